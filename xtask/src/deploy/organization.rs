//! The organization a deploy serves: facts about the caller's place in it, and
//! the StackSet that puts forwarders into its member accounts.

use super::assembly::Assembly;
use super::assembly::FORWARDER_TEMPLATE_FILE;
use super::changes::Approval;
use super::regions::resolve;
use super::stackset::{StackSetReport, StackSetSpec};
use super::{Session, assets, forwarders, stack_tags};
use crate::aws::explain;
use crate::config::Config;
use crate::config::regions::Organization;
use anyhow::{Context, Result};
use aws_config::SdkConfig;
use contract::parameters;
use std::collections::{BTreeMap, BTreeSet};

/// The organization as the deploying credentials see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrganizationFacts {
    pub id: String,
    pub management_account: String,
    pub caller_account: String,
}

impl OrganizationFacts {
    /// Whether the deploy runs in the management account, which StackSets
    /// never deploy to (it gets plain forwarder stacks instead).
    pub(crate) fn in_management_account(&self) -> bool {
        self.caller_account == self.management_account
    }
}

/// Asks Organizations and STS who the organization and the caller are.
pub(crate) async fn organization_facts(sdk: &SdkConfig) -> Result<OrganizationFacts> {
    let described = aws_sdk_organizations::Client::new(sdk)
        .describe_organization()
        .send()
        .await
        .map_err(|e| explain("organizations:DescribeOrganization (for --org)", e))?;
    let organization = described
        .organization()
        .context("DescribeOrganization returned no organization")?;
    Ok(OrganizationFacts {
        id: organization.id().unwrap_or_default().to_owned(),
        management_account: organization
            .master_account_id()
            .unwrap_or_default()
            .to_owned(),
        caller_account: caller_account(sdk).await?,
    })
}

/// The account of the deploying credentials.
pub(crate) async fn caller_account(sdk: &SdkConfig) -> Result<String> {
    let caller = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| explain("sts:GetCallerIdentity", e))?;
    caller
        .account()
        .map(str::to_owned)
        .context("GetCallerIdentity named no account")
}

/// The organization's root id, the default StackSet target.
pub(crate) async fn organization_root(sdk: &SdkConfig) -> Result<String> {
    let roots = aws_sdk_organizations::Client::new(sdk)
        .list_roots()
        .send()
        .await
        .map_err(|e| {
            explain(
                "organizations:ListRoots (name [organization] ou_ids to skip it)",
                e,
            )
        })?;
    roots
        .roots()
        .first()
        .and_then(|r| r.id())
        .map(str::to_owned)
        .context("the organization has no root")
}

/// The organization's part of a deploy.
pub(crate) struct OrganizationStackSet<'a> {
    settings: &'a Organization,
    pub(crate) facts: OrganizationFacts,
    pub(crate) regions: BTreeSet<String>,
}

impl<'a> OrganizationStackSet<'a> {
    /// The organization as the caller sees it, and the StackSet's regions:
    /// as configured, else the home region and `forwarder_regions`.
    pub(crate) async fn new(
        session: &Session,
        settings: &'a Organization,
        forwarder_regions: &BTreeSet<String>,
    ) -> Result<Self> {
        let regions = match &settings.regions {
            Some(regions) => resolve(session, regions).await?,
            None => {
                let mut regions = forwarder_regions.clone();
                regions.insert(session.region.clone());
                regions
            }
        };
        Ok(Self {
            settings,
            facts: organization_facts(&session.sdk).await?,
            regions,
        })
    }

    /// Deploys the forwarder StackSet targeting `bus` (its template, when
    /// too large for the request, read from the home region's assets
    /// `bucket`, where the StackSet is administered); from outside the
    /// management account, leaves this account out (it has plain forwarder
    /// stacks) and says how to cover the management account.
    pub(crate) async fn deploy(
        self,
        session: &Session,
        config: &Config,
        assembly: &Assembly,
        (bucket, bus): (&str, String),
        approval: Approval,
    ) -> Result<StackSetReport> {
        let template = assembly
            .forwarder
            .clone()
            .context("the synth output has no forwarder template: synth again with --org")?;
        let ou_ids = if self.settings.ou_ids.is_empty() {
            vec![organization_root(&session.sdk).await?]
        } else {
            self.settings.ou_ids.clone()
        };
        let member = !self.facts.in_management_account();
        let spec = StackSetSpec {
            name: forwarders::stack_name(&config.stack_name),
            template: assets::template(&session.s3, bucket, &session.region, &template).await?,
            parameters: BTreeMap::from([(parameters::HOME_BUS_ARN.to_owned(), bus)]),
            tags: stack_tags(config),
            ou_ids,
            regions: self.regions,
            excluded_account: member.then(|| self.facts.caller_account.clone()),
        };
        let report = session
            .stack_sets(self.settings)
            .deploy(&spec, approval)
            .await
            .context("the home stack and this account's forwarders are deployed, but the organization's StackSet is not")?;
        if member {
            eprintln!(
                "NOTE: StackSets never deploy to the management account ({}): deploy its forwarders with its credentials, \
                 in each region: aws cloudformation deploy --template-file {} --stack-name {} \
                 --capabilities CAPABILITY_IAM --parameter-overrides {}={} --region REGION",
                self.facts.management_account,
                assembly.dir.join(FORWARDER_TEMPLATE_FILE).display(),
                spec.name,
                parameters::HOME_BUS_ARN,
                spec.parameters[parameters::HOME_BUS_ARN],
            );
        }
        Ok(report)
    }
}
