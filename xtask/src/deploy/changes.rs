//! Which planned changes need approval, and asking for it: a change to who
//! may do what, to what is watched or where alerts go, or to encryption.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Result, anyhow, bail};
use aws_sdk_cloudformation::types::{Change, ChangeAction};

use crate::terminal;

/// Resource types that hold who may do what: IAM, key and resource policies.
const POLICY_TYPES: &[&str] = &[
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::KMS::Key",
    "AWS::Lambda::Permission",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy",
    "AWS::Events::EventBusPolicy",
];

/// Resource types that decide what is watched and where alerts go.
const DELIVERY_TYPES: &[&str] = &[
    "AWS::Events::Rule",
    "AWS::SNS::Subscription",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::EventInvokeConfig",
];

/// Properties whose change can drop encryption or open access on any resource.
const PROTECTION_PROPERTIES: &[&str] = &[
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "BucketEncryption",
    "PublicAccessBlockConfiguration",
    "KmsKeyId",
];

/// Whether security-relevant changes may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// `--yes`: go ahead.
    Given,
    /// Ask on the terminal; refuse when there is none.
    Ask,
}

impl Approval {
    /// Given with `--yes`, else asked.
    pub(crate) fn from_flag(yes: bool) -> Self {
        if yes { Self::Given } else { Self::Ask }
    }
}

/// One planned change, as shown before executing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    pub replacement: bool,
    /// The properties the change touches, when CloudFormation names them.
    pub properties: Vec<String>,
}

impl PlannedChange {
    /// Why the change needs approval, or none. As the CDK's "broadening"
    /// check: any change to an IAM, key or resource policy (a removal included:
    /// it can drop a deny such as the TLS-only statement), any change to what the
    /// rules select or where alerts are delivered, and any change to encryption or
    /// public access settings.
    pub fn needs_approval(&self) -> Option<&'static str> {
        let kind = self.resource_type.as_str();
        if POLICY_TYPES.contains(&kind) {
            return Some(if self.action == "Remove" {
                "removes an IAM, key or resource policy"
            } else {
                "changes an IAM, key or resource policy"
            });
        }
        if DELIVERY_TYPES.contains(&kind) {
            return Some("changes what the rules select or where alerts are delivered");
        }
        self.properties
            .iter()
            .any(|p| PROTECTION_PROPERTIES.contains(&p.as_str()))
            .then_some("changes encryption or public access")
    }

    /// One line: action, logical id, type, whether it replaces, and why it needs approval.
    pub fn describe(&self) -> String {
        let replace = if self.replacement {
            " (REPLACEMENT)"
        } else {
            ""
        };
        let flag = self
            .needs_approval()
            .map(|why| format!("  [approval: {why}]"))
            .unwrap_or_default();
        terminal::value(&format!(
            "{:<7} {} {}{replace}{flag}",
            self.action, self.logical_id, self.resource_type
        ))
    }
}

/// The planned change CloudFormation describes, when it is a resource change.
pub(crate) fn planned(change: &Change) -> Option<PlannedChange> {
    let resource = change.resource_change()?;
    Some(PlannedChange {
        action: resource
            .action()
            .map_or("Unknown", ChangeAction::as_str)
            .to_owned(),
        logical_id: resource
            .logical_resource_id()
            .unwrap_or_default()
            .to_owned(),
        resource_type: resource.resource_type().unwrap_or_default().to_owned(),
        replacement: resource
            .replacement()
            .is_some_and(|r| r.as_str() != "False"),
        properties: resource
            .details()
            .iter()
            .filter_map(|detail| detail.target()?.name())
            .map(str::to_owned)
            .collect(),
    })
}

/// `relevant` changes needing approval need `--yes` or a "y" on the terminal.
pub(crate) fn approve(relevant: usize, approval: Approval) -> Result<()> {
    if relevant == 0 {
        return Ok(());
    }
    confirm(
        &format!(
            "Deploy {relevant} changes needing approval (policies, rules, delivery, encryption; each marked above)?"
        ),
        "the changes were not approved",
        approval,
    )
    .map_err(|error| anyhow!("not deployed: {error}"))
}

/// Asks `question` on the terminal unless `--yes` gave approval; refuses when
/// there is no terminal to ask (the error says to rerun with --yes).
pub(crate) fn confirm(question: &str, refusal: &str, approval: Approval) -> Result<()> {
    if approval == Approval::Given {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("{question} This needs approval and there is no terminal to ask: rerun with --yes");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        bail!("{refusal}")
    }
}
