//! The assets stack: one private bucket per account and region holding handler
//! artifacts under content-addressed keys.

use contract::outputs;

use serde_json::json;

use crate::intrinsic::Value;
use crate::resources::iam::{PolicyDocument, Principal, Statement};
use crate::resources::s3::{
    AbortIncompleteMultipartUpload, Bucket, BucketEncryption, BucketPolicy, EncryptionByDefault,
    EncryptionRule, LifecycleConfiguration, LifecycleRule, NoncurrentVersionExpiration,
    OwnershipControls, OwnershipRule, PublicAccessBlockConfiguration, VersioningConfiguration,
};
use crate::stack::{DeletionPolicy, Export, Output, Stack};

/// The assets stack: encrypted, versioned, private, TLS-only, old versions expired.
pub fn assets_stack() -> Stack {
    let mut stack = Stack::new(
        "trailwatch assets: handler artifacts for trailwatch stacks in this account and region",
    );
    let bucket = Bucket {
        bucket_encryption: BucketEncryption {
            server_side_encryption_configuration: vec![EncryptionRule {
                server_side_encryption_by_default: EncryptionByDefault {
                    sse_algorithm: "AES256".into(),
                },
            }],
        },
        versioning_configuration: VersioningConfiguration {
            status: "Enabled".into(),
        },
        public_access_block_configuration: PublicAccessBlockConfiguration {
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
        },
        ownership_controls: OwnershipControls {
            rules: vec![OwnershipRule {
                object_ownership: "BucketOwnerEnforced".into(),
            }],
        },
        lifecycle_configuration: LifecycleConfiguration {
            rules: vec![LifecycleRule {
                id: "ExpireReplacedArtifacts".into(),
                status: "Enabled".into(),
                noncurrent_version_expiration: NoncurrentVersionExpiration {
                    noncurrent_days: 30,
                },
                abort_incomplete_multipart_upload: AbortIncompleteMultipartUpload {
                    days_after_initiation: 1,
                },
            }],
        },
    };
    let id = stack.add("AssetsBucket", &bucket);
    // `destroy --purge-assets` empties the bucket before deleting this stack.
    stack.set_deletion_policy(&id, DeletionPolicy::Delete);
    stack.skip_checkov(&id, "CKV_AWS_18", "holds only build artifacts written by the deploy tool; CloudTrail already records who wrote them");
    stack.skip_checkov(&id, "CKV_AWS_145", "artifacts are public-source build outputs, encrypted with SSE-S3; a KMS key would add cost and key policy for no secrecy gain");
    let arn = id.get_att("Arn");
    let objects = Value::sub("${AssetsBucket.Arn}/*");
    stack.add(
        "AssetsBucketPolicy",
        &BucketPolicy {
            bucket: id.reference(),
            policy_document: PolicyDocument::new(vec![
                Statement::deny(&["s3:*"], vec![arn, objects])
                    .sid("DenyWithoutTls")
                    .principal(Principal::Any)
                    .condition(json!({"Bool": {"aws:SecureTransport": "false"}})),
            ]),
        },
    );
    stack.add_output(
        outputs::ASSETS_BUCKET_NAME,
        Output {
            description: "Bucket holding trailwatch handler artifacts".into(),
            value: id.reference(),
            export: Some(Export {
                name: Value::sub(format!(
                    "${{AWS::StackName}}-{}",
                    outputs::ASSETS_BUCKET_NAME
                )),
            }),
        },
    );
    stack
}
