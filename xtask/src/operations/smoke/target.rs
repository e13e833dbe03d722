//! What the smoke test calls and where: the deployed stack's pieces it uses.

use anyhow::{Result, anyhow};

/// The monitored call the smoke test makes.
pub const EVENT_NAME: &str = "PutBucketVersioning";
/// The severity of its alert.
pub const SEVERITY: &str = "LOW";

/// The deployed stack's pieces the smoke test uses (from its outputs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub stack: String,
    pub region: String,
    pub topic_arn: String,
    pub rule_arns: Vec<String>,
    pub dead_letter_url: Option<String>,
    pub log_group: String,
}

impl Target {
    /// The target of the home stack `stack` in `region`, from its outputs.
    pub(crate) fn from_outputs(
        stack: &str,
        region: &str,
        outputs: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self> {
        let topic_arn = outputs.get(contract::outputs::TOPIC_ARN).ok_or_else(|| {
            anyhow!(
                "stack {stack} is not deployed in {region} (no {} output): run cargo xtask deploy first",
                contract::outputs::TOPIC_ARN
            )
        })?;
        Ok(Self {
            stack: stack.to_owned(),
            region: region.to_owned(),
            topic_arn: topic_arn.clone(),
            rule_arns: outputs
                .get(contract::outputs::RULE_ARNS)
                .map(|arns| arns.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            dead_letter_url: outputs
                .get(contract::outputs::DEAD_LETTER_QUEUE_URL)
                .cloned(),
            log_group: format!("/trailwatch/{stack}/handler"),
        })
    }
}
