//! Importing alerts into AWS Security Hub as ASFF findings.

use std::collections::BTreeMap;
use std::sync::Mutex;

use aws_sdk_securityhub::error::DisplayErrorContext;
use aws_sdk_securityhub::types::AwsSecurityFinding;
use time::OffsetDateTime;

use super::DestinationError;
use super::asff::{self, Product};
use crate::alert::Alert;

/// Security Hub through the account's default product, in the regions the
/// deployment forwards.
#[derive(Debug)]
pub struct SecurityHub {
    config: aws_sdk_securityhub::Config,
    home: Product,
    regions: Regions,
    clients: Mutex<BTreeMap<String, aws_sdk_securityhub::Client>>,
}

/// The regions besides home whose events' findings stay in their region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    Listed(Vec<String>),
    /// Every region (the deployment forwards from each enabled one).
    Any,
}

impl Regions {
    /// Reads the template's list: comma-separated names, or `*` for any.
    pub fn parse(list: &str) -> Self {
        match list.trim() {
            contract::env::ANY_REGION => Self::Any,
            list => Self::Listed(
                list.split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        }
    }

    fn covers(&self, region: &str) -> bool {
        match self {
            Self::Listed(regions) => regions.iter().any(|r| r == region),
            Self::Any => true,
        }
    }
}

/// A finding ready to import, and the product it goes through first.
#[derive(Debug, Clone)]
pub struct Import {
    product: Product,
    finding: AwsSecurityFinding,
}

impl SecurityHub {
    /// Security Hub through the default product ARN `home`, also in
    /// `regions`, with clients made from `config` (its region replaced by
    /// each one's).
    pub fn new(
        config: aws_sdk_securityhub::Config,
        home: &str,
        regions: Regions,
    ) -> Result<Self, String> {
        let home = Product::parse(home).ok_or_else(|| {
            format!("{home:?} is not a default product ARN (arn:<partition>:securityhub:<region>:<account>:product/<account>/default)")
        })?;
        Ok(Self {
            config,
            home,
            regions,
            clients: Mutex::new(BTreeMap::new()),
        })
    }

    /// The finding for `alert`, going to the event's region when the
    /// deployment forwards it, else home. A region that is not a plain
    /// region name stays home: no event steers the call elsewhere.
    pub fn prepare(&self, alert: &Alert<'_>, now: OffsetDateTime) -> Import {
        let home = &self.home;
        let product = alert
            .region
            .as_deref()
            .filter(|r| crate::alert::is_plain_token(r) && self.regions.covers(r))
            .map_or_else(|| home.clone(), |region| home.in_region(region));
        Import {
            finding: asff::finding(alert, &product, now),
            product,
        }
    }

    /// Imports the finding. A region that refuses because Security Hub is
    /// not enabled there (`InvalidAccessException`) hands the finding to the
    /// home region, so it is not lost.
    pub async fn import(&self, import: Import) -> Result<(), DestinationError> {
        let home = &self.home;
        // Only the product ARN names where a finding goes: the copy for home
        // differs in it alone.
        let fallback = (import.product != *home).then(|| {
            let mut finding = import.finding.clone();
            finding.product_arn = Some(home.arn.clone());
            finding
        });
        match (self.send(&import.product, import.finding).await, fallback) {
            (Err(Refusal::NotEnabled(why)), Some(finding)) => {
                tracing::warn!(
                    region = import.product.region,
                    why,
                    "Security Hub refused the finding in the event's region; importing it at home"
                );
                self.send(home, finding).await.map_err(Refusal::into_error)
            }
            (result, _) => result.map_err(Refusal::into_error),
        }
    }

    /// One `BatchImportFindings` call with one finding (each alert is
    /// imported as it is published: the call's 100-finding batches would
    /// hold an alert back). The SDK retries throttling with backoff.
    async fn send(&self, product: &Product, finding: AwsSecurityFinding) -> Result<(), Refusal> {
        let client = self.client(&product.region);
        let output = client
            .batch_import_findings()
            .findings(finding)
            .send()
            .await
            .map_err(|e| {
                let e = aws_sdk_securityhub::Error::from(e);
                let why = DisplayErrorContext(&e).to_string();
                match e {
                    aws_sdk_securityhub::Error::InvalidAccessException(_) => {
                        Refusal::NotEnabled(why)
                    }
                    _ => Refusal::Failed(why),
                }
            })?;
        match output.failed_findings().first() {
            Some(failed) => Err(Refusal::Failed(format!(
                "finding {} refused: {} {}",
                failed.id().unwrap_or_default(),
                failed.error_code().unwrap_or_default(),
                failed.error_message().unwrap_or_default()
            ))),
            None => Ok(()),
        }
    }

    /// The client of `region`, made once per execution environment.
    fn client(&self, region: &str) -> aws_sdk_securityhub::Client {
        let mut clients = crate::lock(&self.clients);
        clients
            .entry(region.to_owned())
            .or_insert_with(|| {
                let config = self
                    .config
                    .to_builder()
                    .region(aws_config::Region::new(region.to_owned()))
                    .build();
                aws_sdk_securityhub::Client::from_conf(config)
            })
            .clone()
    }
}

/// Why an import failed.
enum Refusal {
    /// Security Hub is not enabled (or not allowed) in the region.
    NotEnabled(String),
    Failed(String),
}

impl Refusal {
    fn into_error(self) -> DestinationError {
        let (Self::NotEnabled(why) | Self::Failed(why)) = self;
        DestinationError::new(super::SECURITY_HUB, why)
    }
}
