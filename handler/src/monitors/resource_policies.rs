//! Resource policies of other services opened to everyone or to another
//! account: KMS keys, secrets, repositories, queues, topics, S3 access points,
//! Glacier vaults, EFS file systems, OpenSearch domains, Backup vaults and
//! Lambda layers. Every document is judged by the one policy judge
//! ([`crate::policy::judge_grants`]) that also judges bucket and trust policies.

use serde::Deserialize;

use super::{CHECK_CALLER, LAMBDA, Monitor, S3, means};
use super::{Failure, Selects};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::{request, request_raw};
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::policy::{self, Home, Reach};
use crate::selector::{Call, Selector};
use contract::Severity::{self, Low};

/// A call that sets a resource policy: what it changes and where its target is.
const fn sets(name: &'static str, object: &'static str, target: &'static [&'static str]) -> Call {
    Call::named(
        name,
        means(Changed, object, Low)
            .target(target)
            .check("Read the new policy's principals and conditions"),
    )
    .refine(RESOURCE_POLICY)
}

/// `resource-policy-opened`.
pub const RESOURCE_POLICY_OPENED: Monitor = Monitor {
    id: "resource-policy-opened",
    title: "Resource policy opened to everyone or another account",
    packs: &[],
    selects: Selects::Services(&[
        Selector::calls(
            "kms.amazonaws.com",
            &[
                sets("PutKeyPolicy", "the policy of KMS key", &["keyId"]),
                sets("CreateKey", "the policy of a new KMS key", &[]),
            ],
        ),
        Selector::calls(
            "secretsmanager.amazonaws.com",
            &[sets(
                "PutResourcePolicy",
                "the resource policy of secret",
                &["secretId"],
            )],
        ),
        Selector::calls(
            "ecr.amazonaws.com",
            &[
                sets(
                    "SetRepositoryPolicy",
                    "the policy of ECR repository",
                    &["repositoryName"],
                ),
                sets("PutRegistryPolicy", "the ECR registry policy", &[]),
            ],
        ),
        Selector::calls(
            "sqs.amazonaws.com",
            &[
                sets(
                    "SetQueueAttributes",
                    "the policy of SQS queue",
                    &["queueUrl"],
                ),
                sets("CreateQueue", "the policy of new SQS queue", &["queueName"]),
            ],
        ),
        Selector::calls(
            "sns.amazonaws.com",
            &[
                sets(
                    "SetTopicAttributes",
                    "the policy of SNS topic",
                    &["topicArn"],
                ),
                sets("CreateTopic", "the policy of new SNS topic", &["name"]),
            ],
        ),
        Selector::calls(
            S3,
            &[sets(
                "PutAccessPointPolicy",
                "the policy of S3 access point",
                &["name", "accessPointName"],
            )],
        ),
        Selector::calls(
            "glacier.amazonaws.com",
            &[sets(
                "SetVaultAccessPolicy",
                "the access policy of Glacier vault",
                &["vaultName"],
            )],
        ),
        Selector::calls(
            "elasticfilesystem.amazonaws.com",
            &[sets(
                "PutFileSystemPolicy",
                "the policy of EFS file system",
                &["fileSystemId"],
            )],
        ),
        Selector::calls(
            "es.amazonaws.com",
            &[
                sets(
                    "UpdateDomainConfig",
                    "the access policy of OpenSearch domain",
                    &["domainName"],
                ),
                sets(
                    "UpdateElasticsearchDomainConfig",
                    "the access policy of OpenSearch domain",
                    &["domainName"],
                ),
                sets(
                    "CreateDomain",
                    "the access policy of new OpenSearch domain",
                    &["domainName"],
                ),
                sets(
                    "CreateElasticsearchDomain",
                    "the access policy of new OpenSearch domain",
                    &["domainName"],
                ),
            ],
        ),
        Selector::calls(
            "backup.amazonaws.com",
            &[sets(
                "PutBackupVaultAccessPolicy",
                "the access policy of Backup vault",
                &["backupVaultName"],
            )],
        ),
        Selector::calls(
            LAMBDA,
            &[Call::prefixed(
                "AddLayerVersionPermission",
                means(Changed, "the permissions of Lambda layer", Low).target(&["layerName"]),
            )
            .refine(LAYER_PERMISSION)],
        ),
    ]),
    assess: None,
    own: None,
    failure: Failure::Attempt,
    reads: false,
    controls: &[],
    techniques: &["T1537", "T1098"],
    state: None,
    references: &[
        "elastic:privilege_escalation_kms_key_policy_put",
        "elastic:exfiltration_ecr_repository_policy_granted_public_access",
        "elastic:execution_lambda_layer_shared_externally",
        "panther:aws_resource_made_public",
    ],
};

/// Where each call carries its policy document, under `requestParameters`
/// (as a JSON string or an object); the first path present is read. SNS and
/// SQS carry other attributes in the same calls: a request without a policy
/// is not this monitor's.
const POLICY_PATHS: &[(&str, &[&str])] = &[
    ("PutKeyPolicy", &["policy"]),
    ("CreateKey", &["policy"]),
    ("PutRegistryPolicy", &["policyText"]),
    ("CreateQueue", &["attributes/Policy"]),
    ("CreateTopic", &["attributes/Policy"]),
    ("CreateDomain", &["accessPolicies"]),
    ("CreateElasticsearchDomain", &["accessPolicies"]),
    ("PutResourcePolicy", &["resourcePolicy"]),
    ("SetRepositoryPolicy", &["policyText"]),
    ("SetQueueAttributes", &["attributes/Policy"]),
    ("SetTopicAttributes", &["attributeValue"]),
    (
        "PutAccessPointPolicy",
        &["PutAccessPointPolicyRequest/Policy", "policy", "Policy"],
    ),
    (
        "SetVaultAccessPolicy",
        &["policy/Policy", "policy/policy", "policy"],
    ),
    ("PutFileSystemPolicy", &["policy"]),
    ("UpdateDomainConfig", &["accessPolicies"]),
    ("UpdateElasticsearchDomainConfig", &["accessPolicies"]),
    ("PutBackupVaultAccessPolicy", &["policy"]),
];

/// [`resource_policy`] and what it decides.
pub const RESOURCE_POLICY: Judge = Judge {
    assess: resource_policy,
    decides: "CRITICAL when an Allow grants `*` with no condition pinning the callers, HIGH for another account or organization (directly or through a condition); a request that sets no policy (other queue or topic attributes, other domain settings) is dismissed",
};

/// Judges the policy a call sets, with the policy judge shared by every service.
pub fn resource_policy(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let name = event.record.event_name.as_deref().unwrap_or_default();
    let paths = POLICY_PATHS
        .iter()
        .find(|(call, _)| *call == name)
        .map_or(&[][..], |(_, paths)| paths);
    let is_policy_attribute = name != "SetTopicAttributes"
        || request_raw(event, "attributeName").is_some_and(|n| n == "\"Policy\"");
    let text = paths.iter().find_map(|path| request_raw(event, path));
    let Some(text) = text.filter(|t| is_policy_attribute && *t != "null" && *t != "\"\"") else {
        finding.dismiss("the request sets no resource policy");
        return Ok(());
    };
    let statements = policy::statements("the resource policy", text)?;
    let exposure = policy::judge_grants(&statements, Home::of(event), None, finding);
    let object = finding.object.clone();
    let resource = object
        .split_once(" of ")
        .map_or(object.as_str(), |(_, r)| r)
        .to_owned();
    if exposure.public {
        finding.describe(Verb::MadePublic, &resource);
    } else if exposure.shared {
        finding.describe(Verb::Shared, &resource);
    }
    if exposure.public || exposure.shared {
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct LayerPermission {
    layer_name: Option<String>,
    principal: Option<String>,
    organization_id: Option<String>,
}

/// [`layer_permission`] and what it decides.
pub const LAYER_PERMISSION: Judge = Judge {
    assess: layer_permission,
    decides: "CRITICAL when `*` may use the layer with no organization pinned, HIGH for another account or organization",
};

/// AddLayerVersionPermission: who may read and use the layer's code.
pub fn layer_permission(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: LayerPermission = request(event)?;
    let layer = request
        .layer_name
        .unwrap_or_else(|| "(not recorded)".to_owned());
    let object = format!("Lambda layer {layer}");
    let home = Home::of(event);
    let principal = request.principal.unwrap_or_default();
    let organization = request.organization_id.as_deref().map(|id| {
        (
            format!("organizationId {id}"),
            "aws:PrincipalOrgID",
            vec![id],
        )
    });
    if principal != "*" {
        match policy::grantee("AWS", &principal) {
            policy::Grantee::Account(account) if Some(account.as_str()) != home.account => {
                finding.describe(Verb::Shared, &object);
                finding.raise(
                    Severity::High,
                    format!("account {account} can now read and use the layer's code"),
                );
            }
            _ => finding.note(format!("the layer is shared with {principal}")),
        }
        return Ok(());
    }
    match policy::reach(organization, home) {
        Reach::Everyone => {
            finding.describe(Verb::MadePublic, &object);
            finding.raise(
                Severity::Critical,
                "every AWS account can now read and use the layer's code".to_owned(),
            );
        }
        Reach::Foreign { whom, .. } => {
            finding.describe(Verb::Shared, &object);
            finding.raise(
                Severity::High,
                format!("every account in {whom} can now read and use the layer's code"),
            );
        }
        Reach::Organization { id, .. } => {
            finding.describe(Verb::Shared, &object);
            finding.raise(
                Severity::High,
                format!("every account of organization {id} can now read and use the layer's code, and trailwatch cannot tell it is yours (it can when deployed with [organization])"),
            );
        }
        Reach::Restricted(_) => {
            finding.note("the layer is shared within your organization".to_owned())
        }
    }
    Ok(())
}
