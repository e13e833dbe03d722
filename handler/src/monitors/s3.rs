//! S3 buckets made public or shared: policies, ACLs, public access blocks,
//! bucket changes, logging and versioning.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::Pack::{Cis, Seed, Stratus};
use super::{CHECK_CALLER, Monitor, S3, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::policy::{self, Home};
use crate::selector::{Call, Selector};
use contract::Severity::{self, High, Low, Medium};

/// `s3-bucket-policy`.
pub const S3_BUCKET_POLICY: Monitor = calls(
    "s3-bucket-policy",
    "S3 bucket policy changed",
    &[Seed, Cis, Stratus],
    Selector::calls(
        S3,
        &[Call::named(
            "PutBucketPolicy",
            means(Changed, "the policy of S3 bucket", Low)
                .target(&["bucketName"])
                .check("Review the new policy's principals and conditions"),
        )
        .refine(PUT_BUCKET_POLICY)],
    ),
    &["CIS CloudWatch.8"],
    &["aws.exfiltration.s3-backdoor-bucket-policy", "T1537"],
);

/// `s3-bucket-acl`.
pub const S3_BUCKET_ACL: Monitor = calls(
    "s3-bucket-acl",
    "S3 bucket ACL changed",
    &[Cis],
    Selector::calls(
        S3,
        &[Call::named(
            "PutBucketAcl",
            means(Changed, "the ACL of S3 bucket", Low).target(&["bucketName"]),
        )
        .refine(PUT_BUCKET_ACL)],
    ),
    &["CIS CloudWatch.8"],
    &[],
);

/// `s3-bucket-change`.
pub const S3_BUCKET_CHANGE: Monitor = calls(
    "s3-bucket-change",
    "S3 bucket lifecycle, replication or CORS changed",
    &[Cis, Stratus],
    Selector::calls(
        S3,
        &[
            Call::named(
                "PutBucketLifecycle",
                means(Changed, "the lifecycle rules of S3 bucket", Low)
                    .target(&["bucketName"])
                    .why("lifecycle rules can expire objects: on a CloudTrail bucket they delete the logs")
                    .check("Check whether the bucket holds logs and how soon the rules expire objects"),
            ),
            Call::named(
                "PutBucketReplication",
                means(Changed, "the replication of S3 bucket", Medium)
                    .target(&["bucketName"])
                    .check("Check the destination bucket and account"),
            )
            .refine(REPLICATION),
            Call::named("PutBucketCors", means(Changed, "the CORS rules of S3 bucket", Low).target(&["bucketName"])),
            Call::named("DeleteBucketPolicy", means(Deleted, "the policy of S3 bucket", Low).target(&["bucketName"])),
            Call::named("DeleteBucketCors", means(Deleted, "the CORS rules of S3 bucket", Low).target(&["bucketName"])),
            Call::named("DeleteBucketLifecycle", means(Deleted, "the lifecycle rules of S3 bucket", Low).target(&["bucketName"])),
            Call::named("DeleteBucketReplication", means(Deleted, "the replication of S3 bucket", Low).target(&["bucketName"])),
        ],
    ),
    &["CIS CloudWatch.8"],
    &["aws.defense-evasion.cloudtrail-lifecycle-rule", "T1562.008"],
);

/// `s3-public-access-block`.
pub const S3_PUBLIC_ACCESS_BLOCK: Monitor = calls(
    "s3-public-access-block",
    "S3 public access block changed",
    &[],
    Selector::calls(
        S3,
        &[
            Call::named(
                "PutBucketPublicAccessBlock",
                means(Changed, "the public access block of S3 bucket", Low).target(&["bucketName"]),
            )
            .refine(PUT_PUBLIC_ACCESS_BLOCK),
            Call::named(
                "PutAccountPublicAccessBlock",
                means(Changed, "the account's S3 public access block", Low),
            )
            .refine(PUT_PUBLIC_ACCESS_BLOCK),
            Call::named(
                "DeleteBucketPublicAccessBlock",
                means(Removed, "the public access block of S3 bucket", High)
                    .target(&["bucketName"])
                    .why("the bucket can now be made public by a policy or ACL")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteAccountPublicAccessBlock",
                means(Removed, "the account's S3 public access block", High)
                    .why("buckets of the account can now be made public by a policy or ACL")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &[],
);

/// `s3-logging-versioning`.
pub const S3_LOGGING_VERSIONING: Monitor = calls(
    "s3-logging-versioning",
    "S3 access logging or versioning changed",
    &[],
    Selector::calls(
        S3,
        &[
            Call::named(
                "PutBucketLogging",
                means(Changed, "access logging of S3 bucket", Low).target(&["bucketName"]),
            )
            .refine(BUCKET_LOGGING),
            Call::named(
                "PutBucketVersioning",
                means(Changed, "versioning of S3 bucket", Low).target(&["bucketName"]),
            )
            .refine(BUCKET_VERSIONING),
        ],
    ),
    &[],
    &["T1562.008", "T1490"],
);

/// `s3-bucket-deleted-or-unencrypted`.
pub const S3_BUCKET_DELETED_OR_UNENCRYPTED: Monitor = calls(
    "s3-bucket-deleted-or-unencrypted",
    "S3 bucket deleted, its default encryption changed or served as a website",
    &[],
    Selector::calls(
        S3,
        &[
            Call::named(
                "DeleteBucket",
                means(Deleted, "S3 bucket", Medium)
                    .target(&["bucketName"])
                    .why("the bucket name is free again: anyone can create a bucket with it and receive what still writes there")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteBucketEncryption",
                means(Removed, "the default encryption of S3 bucket", Medium)
                    .target(&["bucketName"])
                    .why("new objects fall back to S3-managed keys: the bucket's KMS key and its key policy no longer guard them")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "PutBucketEncryption",
                means(Changed, "the default encryption of S3 bucket", Low).target(&["bucketName"]),
            )
            .refine(BUCKET_ENCRYPTION),
            Call::named(
                "PutBucketWebsite",
                means(Changed, "S3 bucket (website hosting)", Low)
                    .target(&["bucketName"])
                    .why("the bucket serves its objects over HTTP at a website endpoint, to everyone its policy allows"),
            ),
        ],
    ),
    &[],
    &["T1485", "T1486"],
)
.answers(&[
    "elastic:defense_evasion_s3_bucket_configuration_deletion",
    "panther:aws_s3_delete_bucket_encryption",
    "panther:aws_s3_bucket_deleted",
    "sigma:aws_cloudtrail_bucket_deleted",
    "sigma:aws_s3_data_management_tampering",
]);

/// [`bucket_encryption`] and what it decides.
pub const BUCKET_ENCRYPTION: Judge = Judge {
    assess: bucket_encryption,
    decides: "HIGH when the new default key belongs to another account",
};

/// PutBucketEncryption: objects under another account's key are readable by
/// it, and unreadable here once it revokes access (ransomware).
pub fn bucket_encryption(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let rules = &request["ServerSideEncryptionConfiguration"]["Rule"];
    let rules = match rules {
        Value::Array(rules) => rules.iter().collect(),
        rule => vec![rule],
    };
    let foreign = rules
        .iter()
        .filter_map(|rule| rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"].as_str())
        .find_map(|key| super::foreign_account(event, key));
    if let Some(account) = foreign {
        let object = finding.object.clone();
        finding.describe(Verb::Weakened, &object);
        finding.raise(
            High,
            format!("new objects will be encrypted with a KMS key of account {account}: that account can read them, and can make them unreadable here"),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}

/// Where the policy sits in the record, as errors name it.
const POLICY_FIELD: &str = "requestParameters.bucketPolicy";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Request {
    bucket_name: Option<String>,
    /// Kept as text: the policy is read straight into statements, without a `Value` tree first.
    bucket_policy: Option<Box<RawValue>>,
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
    let exposure = policy::judge_grants(&statements, Home::of(event), None, finding);
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

/// Grantee group URIs that mean everyone (AuthenticatedUsers: any AWS account).
const PUBLIC_GROUPS: &[&str] = &[
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];
/// Canned ACLs that make a bucket public.
const PUBLIC_CANNED: &[&str] = &["public-read", "public-read-write", "authenticated-read"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AclRequest {
    #[serde(rename = "bucketName")]
    bucket_name: Option<String>,
    #[serde(rename = "x-amz-acl")]
    canned: Option<Value>,
    #[serde(rename = "AccessControlPolicy")]
    policy: Option<Value>,
    #[serde(flatten)]
    grants: serde_json::Map<String, Value>,
}

/// [`put_bucket_acl`] and what it decides.
pub const PUT_BUCKET_ACL: Judge = Judge {
    assess: put_bucket_acl,
    decides: "CRITICAL when AllUsers or AuthenticatedUsers are granted access",
};

/// PutBucketAcl: CRITICAL when the ACL grants to everyone.
pub fn put_bucket_acl(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: AclRequest = request(event)?;
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
    // Grants may also come as `x-amz-grant-*` headers (`uri="..."` lists).
    // AWS documents no CloudTrail example of them; when recorded beside
    // `x-amz-acl`, they are read the same way.
    for header in request
        .grants
        .iter()
        .filter(|(k, _)| k.starts_with("x-amz-grant-"))
    {
        for text in strings(Some(header.1)) {
            uris.extend(
                text.split(',')
                    .filter_map(|g| g.trim().strip_prefix("uri="))
                    .map(|uri| uri.trim_matches('"').to_owned()),
            );
        }
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

/// The four settings, as S3 names them.
const SETTINGS: &[&str] = &[
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BlockRequest {
    #[serde(rename = "PublicAccessBlockConfiguration")]
    configuration: Option<serde_json::Map<String, Value>>,
}

/// [`put_public_access_block`] and what it decides.
pub const PUT_PUBLIC_ACCESS_BLOCK: Judge = Judge {
    assess: put_public_access_block,
    decides: "HIGH when any of the four settings is off",
};

/// Weakened when any of the four settings is off (or absent, which S3 reads as off).
pub fn put_public_access_block(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: BlockRequest = request(event)?;
    let configuration = request.configuration.unwrap_or_default();
    let off: Vec<&str> = SETTINGS
        .iter()
        .copied()
        .filter(|setting| !is_on(configuration.get(*setting)))
        .collect();
    if off.is_empty() {
        finding.note("all four public access block settings are on".to_owned());
        return Ok(());
    }
    let object = finding.object.clone();
    finding.describe(Verb::Weakened, &object);
    finding.raise(
        Severity::High,
        format!(
            "{} now off: public policies or ACLs are no longer blocked",
            off.join(", ")
        ),
    );
    Ok(())
}

fn is_on(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(on)) => *on,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// [`bucket_logging`] and what it decides.
pub const BUCKET_LOGGING: Judge = Judge {
    assess: bucket_logging,
    decides: "MEDIUM when access logging is turned off",
};

/// PutBucketLogging without `LoggingEnabled` turns access logging off (MEDIUM).
pub fn bucket_logging(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let enabled = request
        .pointer("/BucketLoggingStatus/LoggingEnabled")
        .is_some_and(|v| !v.is_null());
    if !enabled {
        let object = finding.object.clone();
        finding.describe(Verb::TurnedOff, &object);
        finding.raise(
            Severity::Medium,
            "server access logging is off: requests to the bucket are no longer logged".to_owned(),
        );
    }
    Ok(())
}

/// [`bucket_versioning`] and what it decides.
pub const BUCKET_VERSIONING: Judge = Judge {
    assess: bucket_versioning,
    decides: "MEDIUM when versioning is suspended",
};

/// PutBucketVersioning `Suspended`: overwritten and deleted objects can no longer be recovered (MEDIUM).
pub fn bucket_versioning(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request.pointer("/VersioningConfiguration/Status") == Some(&Value::from("Suspended")) {
        let object = finding.object.clone();
        finding.describe(Verb::TurnedOff, &object);
        finding.raise(
            Severity::Medium,
            "versioning is suspended: objects overwritten or deleted from now on cannot be recovered".to_owned(),
        );
    }
    Ok(())
}

/// [`replication`] and what it decides.
pub const REPLICATION: Judge = Judge {
    assess: replication,
    decides: "HIGH when a rule replicates to a bucket of another account (`Destination.Account`); MEDIUM when the destination's account is not recorded",
};

/// PutBucketReplication: every new object is copied to each rule's
/// destination; whose bucket that is, the request says in `Destination.Account`.
pub fn replication(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let configuration = &request["ReplicationConfiguration"];
    let rules: Vec<&Value> = match &configuration["Rule"] {
        Value::Array(rules) => rules.iter().collect(),
        Value::Null => Vec::new(),
        rule => vec![rule],
    };
    let home = Home::of(event);
    let bucket_name = finding
        .target
        .clone()
        .unwrap_or_else(|| "(not recorded)".to_owned());
    let object = format!("the objects of S3 bucket {bucket_name}");
    for rule in rules {
        let destination = &rule["Destination"];
        let bucket = destination["Bucket"].as_str().unwrap_or("(not recorded)");
        match destination["Account"].as_str() {
            Some(account) if Some(account) != home.account => {
                finding.describe(Verb::Shared, &object);
                finding.raise(
                    Severity::High,
                    format!("every new object is copied to {bucket}, a bucket of another account ({account})"),
                );
            }
            Some(_) => finding.note(format!("new objects are copied to {bucket}, in this account")),
            None => finding.raise(
                Severity::Medium,
                format!("every new object is copied to {bucket}; the request names no destination account, so it may be another account's"),
            ),
        }
    }
    Ok(())
}
