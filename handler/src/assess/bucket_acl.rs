//! PutBucketAcl: grants to AllUsers or AuthenticatedUsers make a bucket public.

use serde::Deserialize;
use serde_json::Value;

use super::{Finding, Judge, ReadError, Verb, request};
use crate::event::Event;
use crate::severity::Severity;

/// Grantee group URIs that mean everyone (AuthenticatedUsers: any AWS account).
const PUBLIC_GROUPS: &[&str] = &[
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];
/// Canned ACLs that make a bucket public.
const PUBLIC_CANNED: &[&str] = &["public-read", "public-read-write", "authenticated-read"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Request {
    #[serde(rename = "bucketName")]
    bucket_name: Option<String>,
    #[serde(rename = "x-amz-acl")]
    canned: Option<Value>,
    #[serde(rename = "AccessControlPolicy")]
    policy: Option<Value>,
}

/// [`put_bucket_acl`] and what it decides.
pub const PUT_BUCKET_ACL: Judge = Judge {
    assess: put_bucket_acl,
    decides: "CRITICAL when AllUsers or AuthenticatedUsers are granted access",
};

/// PutBucketAcl: CRITICAL when the ACL grants to everyone.
pub fn put_bucket_acl(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let bucket = request
        .bucket_name
        .unwrap_or_else(|| "(name not recorded)".to_owned());
    let mut public = Vec::new();
    let canned = strings(request.canned.as_ref());
    public.extend(
        canned
            .iter()
            .filter(|c| PUBLIC_CANNED.contains(c))
            .map(|c| format!("the canned ACL {c} grants access to everyone")),
    );
    let mut uris = Vec::new();
    if let Some(policy) = &request.policy {
        collect_uris(policy, &mut uris);
    }
    public.extend(
        uris.iter()
            .filter(|uri| PUBLIC_GROUPS.contains(&uri.as_str()))
            .map(|uri| {
                format!(
                    "the ACL grants to the group {}",
                    uri.rsplit('/').next().unwrap_or(uri)
                )
            }),
    );
    if public.is_empty() {
        return Ok(());
    }
    for reason in public {
        finding.raise(
            Severity::Critical,
            format!("{reason}: the bucket is public"),
        );
    }
    finding.describe(Verb::MadePublic, &format!("S3 bucket {bucket}"));
    let region = event.region().unwrap_or("us-east-1");
    finding.command(
        "aws s3api put-bucket-acl --bucket {bucket} --acl private --region {region}",
        &[("bucket", &bucket), ("region", region)],
    );
    Ok(())
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Every grantee `URI` in the ACL, whatever the nesting CloudTrail gave it.
fn collect_uris(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("URI", Value::String(uri)) => out.push(uri.clone()),
                    _ => collect_uris(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_uris(item, out)),
        _ => {}
    }
}
