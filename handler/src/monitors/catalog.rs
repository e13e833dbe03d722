//! The list of every monitor trailwatch ships, in the order alerts, rules
//! and the README show them.

use super::{
    Monitor, access, account, ai, compute, databases, detection, iam, iam_access, instances,
    logging, network, protection, read_only, recovery, resource_policies, s3, security_groups,
    sharing, stateful, tamper, trust, workloads,
};

/// Every monitor trailwatch ships.
pub static CATALOG: &[&Monitor] = &[
    // The original design's four calls, judged closely.
    &iam::IAM_CREATE_USER,
    &iam::IAM_CREATE_ACCESS_KEY,
    &s3::S3_BUCKET_POLICY,
    &security_groups::EC2_SECURITY_GROUP_INGRESS,
    // CIS AWS Foundations monitoring controls (Security Hub CloudWatch.1-14).
    &access::ROOT_ACCOUNT_USAGE,
    &access::UNAUTHORIZED_API_CALLS,
    &access::CONSOLE_SIGN_IN_WITHOUT_MFA,
    &iam::IAM_POLICY_CHANGE,
    &logging::CLOUDTRAIL_CHANGE,
    &access::CONSOLE_SIGN_IN_FAILURE,
    &protection::KMS_KEY_DISABLED_OR_DELETED,
    &s3::S3_BUCKET_ACL,
    &s3::S3_BUCKET_CHANGE,
    &logging::CONFIG_CHANGE,
    &security_groups::EC2_SECURITY_GROUP_CHANGE,
    &network::EC2_NETWORK_ACL_CHANGE,
    &network::EC2_NETWORK_GATEWAY_CHANGE,
    &network::EC2_ROUTE_TABLE_CHANGE,
    &network::EC2_VPC_CHANGE,
    // Attack techniques (Stratus Red Team) not covered above.
    &logging::VPC_FLOW_LOGS_DELETED,
    &logging::DNS_QUERY_LOGGING_DELETED,
    &protection::ORGANIZATIONS_LEAVE,
    &sharing::EC2_AMI_SHARED,
    &sharing::EC2_SNAPSHOT_SHARED,
    &sharing::RDS_SNAPSHOT_SHARED,
    &trust::IAM_ROLE_TRUST,
    &iam::IAM_LOGIN_PROFILE,
    &compute::LAMBDA_PERMISSION_ADDED,
    &compute::LAMBDA_LAYER_ADDED,
    &compute::LAMBDA_CODE_UPDATED,
    &trust::ROLESANYWHERE_TRUST_ANCHOR,
    &trust::STS_FEDERATION_TOKEN,
    &compute::EC2_INSTANCE_CONNECT,
    &compute::EC2_SERIAL_CONSOLE_ENABLED,
    &compute::EC2_USER_DATA_MODIFIED,
    &compute::SSM_SEND_COMMAND,
    &compute::SSM_START_SESSION,
    // Well-known extras: protections and detection turned off, identities widened.
    &s3::S3_PUBLIC_ACCESS_BLOCK,
    &protection::GUARDDUTY_DISABLED,
    &protection::SECURITYHUB_DISABLED,
    &protection::ACCESS_ANALYZER_DELETED,
    &protection::ORGANIZATIONS_GUARDRAIL_REMOVED,
    &iam::IAM_GROUP_MEMBERSHIP,
    &trust::IAM_IDENTITY_PROVIDER,
    &iam::IAM_MFA_REMOVED,
    &iam::IAM_PASSWORD_POLICY,
    &s3::S3_LOGGING_VERSIONING,
    &resource_policies::RESOURCE_POLICY_OPENED,
    // What the public CloudTrail rule sets catch beyond the above, service by service.
    &access::CONSOLE_SESSION_FROM_API_CREDENTIALS,
    &iam_access::IAM_CREDENTIAL_ADDED,
    &iam_access::IAM_ACCESS_PATH_CHANGED,
    &account::ACCOUNT_REGIONS_OR_CONTACTS_CHANGED,
    &account::ROUTE53_DOMAIN_OR_ZONE_CHANGED,
    &account::IDENTITY_CENTER_SOURCE_CHANGED,
    &databases::RDS_EXPOSED_OR_UNPROTECTED,
    &databases::RDS_DATA_DESTROYED,
    &databases::RDS_DATA_COPIED,
    &ai::BEDROCK_GUARDRAIL_WEAKENED,
    &ai::BEDROCK_MODEL_ACCESS,
    &ai::SAGEMAKER_CODE_EXECUTION,
    &instances::EC2_INSTANCE_EXPORTED,
    &instances::EC2_TRAFFIC_MIRRORED,
    &instances::EC2_INSTANCE_ROLE_OR_KEY_ADDED,
    &instances::EC2_PROTECTION_WEAKENED,
    &s3::S3_BUCKET_DELETED_OR_UNENCRYPTED,
    &recovery::BACKUPS_OR_STORAGE_DELETED,
    &logging::SERVICE_LOGGING_DISABLED,
    &detection::SECURITYHUB_FINDINGS_SUPPRESSED,
    &detection::MACIE_DISABLED,
    &detection::CONFIG_RULES_DELETED,
    &detection::WAF_PROTECTION_REMOVED,
    &network::SERVICE_SECURITY_GROUPS_CHANGED,
    &workloads::EKS_ACCESS_OR_LOGGING_CHANGED,
    &workloads::LAMBDA_FUNCTION_EXPOSED_OR_DELETED,
    &workloads::GLUE_DEV_ENDPOINT,
    &workloads::CODEBUILD_PROJECT_PUBLIC,
    &workloads::CLOUDSHELL_ENVIRONMENT_CREATED,
    &workloads::SES_IDENTITY_DELETED,
    // Detections that remember (pack `stateful`; those counting reads also `read-only`).
    &stateful::CONSOLE_SIGN_IN_FAILURES_BY_USER,
    &stateful::CONSOLE_SIGN_IN_SPRAYING,
    &stateful::ROOT_SIGN_IN_FAILURES,
    &stateful::IAM_PRINCIPAL_ENUMERATION,
    &stateful::SSM_COMMAND_MANY_INSTANCES,
    &stateful::SSM_FIRST_SESSION_OR_COMMAND,
    &stateful::NEW_PRINCIPAL_MADE_ADMIN,
    &stateful::SECRETS_MASS_READ,
    &stateful::SSM_PARAMETERS_MASS_READ,
    &stateful::S3_ACCESS_DENIED_BURST,
    &stateful::BEDROCK_LLM_JACKING,
    // trailwatch watching itself: changes to its own resources.
    &tamper::TRAILWATCH_TAMPER,
    // Read-only calls (pack `read-only`, off by default).
    &read_only::SECRETS_RETRIEVED,
    &read_only::SSM_PARAMETERS_DECRYPTED,
    &read_only::EC2_PASSWORD_DATA,
    &read_only::EC2_USER_DATA_READ,
    // Routine lifecycle calls (pack `activity`, off by default).
    &instances::EC2_INSTANCE_LIFECYCLE,
    &workloads::LAMBDA_FUNCTION_LIFECYCLE,
    &workloads::ECS_TASKS,
    &databases::RDS_OPERATIONS,
    &ai::SAGEMAKER_JOBS,
];

/// The monitor with this id.
pub fn by_id(id: &str) -> Option<&'static Monitor> {
    CATALOG.iter().copied().find(|m| m.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitors::Pack;

    #[test]
    fn monitor_ids_are_unique_lowercase_words() {
        let mut ids: Vec<_> = CATALOG.iter().map(|m| m.id).collect();
        for id in &ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOG.len());
    }

    #[test]
    fn every_cis_control_from_1_to_14_is_implemented() {
        for n in 1..=14 {
            let control = format!("CIS CloudWatch.{n}");
            assert!(
                CATALOG
                    .iter()
                    .any(|m| m.controls.contains(&control.as_str()) && m.in_pack(Pack::Cis)),
                "{control}"
            );
        }
    }

    #[test]
    fn monitors_answering_public_rules_name_an_attack_technique_and_known_peers() {
        for monitor in CATALOG.iter().filter(|m| !m.references.is_empty()) {
            let mitre = |t: &&str| {
                t.len() > 1
                    && t.starts_with('T')
                    && t[1..].starts_with(|c: char| c.is_ascii_digit())
            };
            assert!(monitor.techniques.iter().any(mitre), "{}", monitor.id);
            for reference in monitor.references {
                let (peer, rule) = reference.split_once(':').unwrap_or_default();
                assert!(
                    ["sigma", "elastic", "panther", "stratus"].contains(&peer) && !rule.is_empty(),
                    "{}: {reference}",
                    monitor.id
                );
            }
        }
    }

    #[test]
    fn only_the_read_only_and_activity_packs_are_off_by_default() {
        let off: Vec<Pack> = Pack::ALL.into_iter().filter(|p| p.opt_in()).collect();
        assert_eq!(off, [Pack::ReadOnly, Pack::Activity]);
        for monitor in CATALOG.iter() {
            assert_eq!(
                monitor.default_on(),
                !off.iter().any(|p| monitor.in_pack(*p)),
                "{}",
                monitor.id
            );
        }
    }

    #[test]
    fn monitors_without_named_calls_judge_in_code_or_remember() {
        for monitor in CATALOG.iter().filter(|m| !m.names_calls()) {
            assert!(
                monitor.assess.is_some() || monitor.is_stateful(),
                "{}",
                monitor.id
            );
        }
    }

    #[test]
    fn read_only_monitors_and_the_cis_filters_of_every_event_see_reads() {
        let reading: Vec<&str> = CATALOG.iter().filter(|m| m.reads).map(|m| m.id).collect();
        let expected: Vec<&str> = CATALOG
            .iter()
            .filter(|m| {
                m.in_pack(Pack::ReadOnly)
                    || ["root-account-usage", "unauthorized-api-calls"].contains(&m.id)
            })
            .map(|m| m.id)
            .collect();
        assert_eq!(reading, expected);
    }
}
