//! PutBucketPolicy: is the bucket now public, or shared with another account?

use serde::Deserialize;
use serde_json::value::RawValue;

use super::policy::{self, Grantee, Statement};
use super::{Finding, Judge, ReadError, Verb, own_account, request};
use crate::event::Event;
use crate::severity::Severity;

/// Where the policy sits in the record, as errors name it.
const POLICY_FIELD: &str = "requestParameters.bucketPolicy";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Request {
    bucket_name: Option<String>,
    /// Kept as text: the policy is read straight into statements, without a `Value` tree first.
    bucket_policy: Option<Box<RawValue>>,
}

/// What the new policy grants, from which the verdict is worded.
#[derive(Debug, Default)]
pub struct Exposure {
    pub public: bool,
    pub shared: bool,
}

/// [`put_bucket_policy`] and what it decides.
pub const PUT_BUCKET_POLICY: Judge = Judge {
    assess: put_bucket_policy,
    decides: "CRITICAL when an Allow grants `*` without a condition pinning who may call (negated, IfExists and wildcard conditions pin nobody); HIGH when it grants another account",
};

/// PutBucketPolicy: CRITICAL for a public grant, HIGH for another account, LOW otherwise.
pub fn put_bucket_policy(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let bucket = request
        .bucket_name
        .unwrap_or_else(|| "(name not recorded)".to_owned());
    let statements = match request.bucket_policy.as_deref().map(RawValue::get) {
        None | Some("null") => Vec::new(),
        Some(text) => policy::statements(POLICY_FIELD, text)?,
    };
    finding.target(&bucket);
    let count = statements.len();
    let plural = if count == 1 { "" } else { "s" };
    finding.note(format!(
        "the new policy of bucket {bucket} has {count} statement{plural}"
    ));
    let exposure = judge_statements(&statements, own_account(event), finding);
    let object = format!("S3 bucket {bucket}");
    if exposure.public {
        finding.describe(Verb::MadePublic, &object);
    } else if exposure.shared {
        finding.describe(Verb::Shared, &object);
    }
    if exposure.public || exposure.shared {
        let region = event.region().unwrap_or("us-east-1");
        finding.command(
            "aws s3api delete-bucket-policy --bucket {bucket} --region {region}",
            &[("bucket", &bucket), ("region", region)],
        );
    }
    Ok(())
}

/// Judges every Allow statement of a resource policy: grants to everyone without
/// a restricting condition are CRITICAL, grants to another account HIGH.
pub fn judge_statements(
    statements: &[Statement],
    own_account: Option<&str>,
    finding: &mut Finding,
) -> Exposure {
    let mut exposure = Exposure::default();
    for (index, statement) in statements.iter().enumerate() {
        if !statement.allows() {
            continue; // Deny statements never grant access.
        }
        let name = statement.name(index);
        let actions = statement.actions();
        for grantee in statement.grantees() {
            match grantee {
                Grantee::Everyone => match statement.restriction() {
                    Some(condition) => finding.note(format!(
                        "{name} allows {actions} to everyone, restricted by condition {condition}"
                    )),
                    None => {
                        exposure.public = true;
                        finding.raise(
                            Severity::Critical,
                            format!("{name} allows {actions} to everyone with no condition restricting who: it is public"),
                        );
                    }
                },
                Grantee::Account(account) if Some(account.as_str()) != own_account => {
                    exposure.shared = true;
                    finding.raise(
                        Severity::High,
                        format!("{name} grants {actions} to another account ({account})"),
                    );
                }
                Grantee::Account(_)
                | Grantee::Service(_)
                | Grantee::Federated(_)
                | Grantee::Other => {}
            }
        }
    }
    exposure
}
