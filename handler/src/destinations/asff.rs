//! An alert as an AWS Security Finding Format (ASFF) finding, for Security
//! Hub's `BatchImportFindings`. Every field and limit follows the ASFF
//! reference (Security Hub user guide, "AWS Security Finding Format (ASFF)"
//! and its "Required top-level attributes" and "Optional top-level
//! attributes" pages).

use aws_sdk_securityhub::types::{
    Action, ActionRemoteIpDetails, AwsApiCallAction, AwsSecurityFinding, FindingProviderFields,
    FindingProviderSeverity, Partition, Recommendation, RecordState, Remediation, Resource,
    SeverityLabel,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::alert::{Alert, FINDING_PREFIX};
use crate::text::clip;
use contract::Severity;

/// The ASFF version every finding declares.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// Longest `Title`, `Description` and recommendation text ASFF accepts, in
/// characters (clipping to bytes keeps within it).
const MAX_TITLE: usize = 256;
const MAX_DESCRIPTION: usize = 1024;
const MAX_RECOMMENDATION: usize = 512;
/// Longest `GeneratorId` and `Resources[].Id`.
const MAX_ID: usize = 512;
/// Longest `ProductFields` value (ASFF allows 50 pairs; trailwatch sends fewer).
const MAX_PRODUCT_FIELD: usize = 2048;
/// The type of a finding no technique or control classifies.
const UNCLASSIFIED: &str = "Software and Configuration Checks/AWS Security Best Practices";
/// The type of a finding of a CIS monitoring control.
const CIS: &str = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark";

/// Where the finding goes: the product ARN of the account's default
/// integration in one region, which also names the account and partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub arn: String,
    pub partition: String,
    pub region: String,
    pub account: String,
}

impl Product {
    /// Reads `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`;
    /// none for any other shape.
    pub fn parse(arn: &str) -> Option<Self> {
        let mut parts = arn.trim().splitn(6, ':');
        let (Some("arn"), Some(partition), Some("securityhub"), Some(region), Some(account)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let valid = !partition.is_empty()
            && !region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && parts.next() == Some(&format!("product/{account}/default"));
        valid.then(|| Self {
            arn: arn.trim().to_owned(),
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
        })
    }
}

impl Product {
    /// The same account's default product in `region`.
    pub fn in_region(&self, region: &str) -> Self {
        Self {
            arn: format!(
                "arn:{}:securityhub:{region}:{}:product/{}/default",
                self.partition, self.account, self.account
            ),
            region: region.to_owned(),
            ..self.clone()
        }
    }
}

/// The finding for `alert`, imported through `product`. `now` stands in for
/// the event's time when the event has none that reads as RFC 3339.
pub fn finding(alert: &Alert<'_>, product: &Product, now: OffsetDateTime) -> AwsSecurityFinding {
    let when = alert
        .observed_at()
        .unwrap_or(now)
        .format(&Rfc3339)
        .unwrap_or_default();
    let types = types(alert);
    let severity = label(alert.severity);
    let mut finding = AwsSecurityFinding::builder()
        .schema_version(SCHEMA_VERSION)
        .id(alert.finding_id())
        .product_arn(&product.arn)
        .product_name("trailwatch")
        // A custom integration may name its company and product; `Region`
        // is left out: Security Hub fills it, and BatchImportFindings may not
        // set it ("Optional top-level ASFF attributes").
        .company_name("trailwatch")
        .generator_id(clip(&format!("{FINDING_PREFIX}{}", alert.monitor), MAX_ID))
        .aws_account_id(&product.account)
        .set_types(Some(types.clone()))
        .first_observed_at(&when)
        .last_observed_at(&when)
        .created_at(&when)
        .updated_at(&when)
        .severity(
            aws_sdk_securityhub::types::Severity::builder()
                .label(severity.clone())
                .original(alert.severity.to_string())
                .build(),
        )
        .finding_provider_fields(
            FindingProviderFields::builder()
                .severity(
                    FindingProviderSeverity::builder()
                        .label(severity)
                        .original(alert.severity.to_string())
                        .build(),
                )
                .set_types(Some(types))
                .build(),
        )
        .title(clip(alert.title.trim(), MAX_TITLE))
        .description(clip(&description(alert), MAX_DESCRIPTION))
        .resources(resource(alert, product))
        .record_state(RecordState::Active)
        .set_product_fields(Some(product_fields(alert)))
        .set_source_url(alert.console_url.clone());
    if !alert.next_steps.is_empty() {
        finding = finding.remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(clip(&alert.next_steps.join("\n"), MAX_RECOMMENDATION))
                        .build(),
                )
                .build(),
        );
    }
    if let Some(action) = action(alert, &when) {
        finding = finding.action(action);
    }
    finding.build()
}

/// ASFF's severity labels are trailwatch's, INFO spelled out.
fn label(severity: Severity) -> SeverityLabel {
    match severity {
        Severity::Info => SeverityLabel::Informational,
        Severity::Low => SeverityLabel::Low,
        Severity::Medium => SeverityLabel::Medium,
        Severity::High => SeverityLabel::High,
        Severity::Critical => SeverityLabel::Critical,
    }
}

/// The reasons, the one explaining the severity first.
fn description(alert: &Alert<'_>) -> String {
    if alert.reasons.is_empty() {
        return alert.title.clone();
    }
    alert.reasons.join("; ")
}

/// The finding types: the CIS type for a CIS control, then the tactic or
/// effect of each technique, in ASFF's `namespace/category` taxonomy
/// ("Types taxonomy for ASFF"); a finding none classifies is a best-practice
/// check.
pub fn types(alert: &Alert<'_>) -> Vec<String> {
    let mut types: Vec<&str> = Vec::new();
    if alert.controls.iter().any(|c| c.starts_with("CIS ")) {
        types.push(CIS);
    }
    for technique in &alert.techniques {
        if let Some(kind) = tactic(technique)
            && !types.contains(&kind)
        {
            types.push(kind);
        }
    }
    if types.is_empty() {
        types.push(UNCLASSIFIED);
    }
    types.into_iter().map(str::to_owned).collect()
}

/// The ASFF type of a technique: a Stratus Red Team id names its tactic
/// (`aws.<tactic>.<name>`); a MITRE ATT&CK id has its primary tactic from
/// [`ATTACK_TACTICS`]. Tactics ASFF has no category for (resource
/// development) and impacts with no matching effect give none.
fn tactic(technique: &str) -> Option<&'static str> {
    if let Some(rest) = technique.strip_prefix("aws.") {
        let stratus = rest.split('.').next()?;
        return STRATUS_TACTICS
            .iter()
            .find(|(name, _)| *name == stratus)
            .map(|(_, kind)| *kind);
    }
    ATTACK_TACTICS
        .iter()
        .find(|(id, _)| *id == technique)
        .map(|(_, kind)| *kind)
}

const INITIAL_ACCESS: &str = "TTPs/Initial Access";
const EXECUTION: &str = "TTPs/Execution";
const PERSISTENCE: &str = "TTPs/Persistence";
const PRIVILEGE_ESCALATION: &str = "TTPs/Privilege Escalation";
const DEFENSE_EVASION: &str = "TTPs/Defense Evasion";
const CREDENTIAL_ACCESS: &str = "TTPs/Credential Access";
const DISCOVERY: &str = "TTPs/Discovery";
const LATERAL_MOVEMENT: &str = "TTPs/Lateral Movement";
const COLLECTION: &str = "TTPs/Collection";
const EXFILTRATION: &str = "Effects/Data Exfiltration";
const DESTRUCTION: &str = "Effects/Data Destruction";
const DENIAL: &str = "Effects/Denial of Service";
const CONSUMPTION: &str = "Effects/Resource Consumption";

/// Stratus Red Team's tactic names (the second part of its ids). Its
/// `impact` has no one ASFF effect: the MITRE ids beside it give theirs.
const STRATUS_TACTICS: &[(&str, &str)] = &[
    ("initial-access", INITIAL_ACCESS),
    ("execution", EXECUTION),
    ("persistence", PERSISTENCE),
    ("privilege-escalation", PRIVILEGE_ESCALATION),
    ("defense-evasion", DEFENSE_EVASION),
    ("credential-access", CREDENTIAL_ACCESS),
    ("discovery", DISCOVERY),
    ("lateral-movement", LATERAL_MOVEMENT),
    ("exfiltration", EXFILTRATION),
];

/// The first tactic MITRE ATT&CK lists for each technique the catalog names
/// (a test keeps this complete); impacts map to the ASFF effect they cause.
pub const ATTACK_TACTICS: &[(&str, &str)] = &[
    ("T1005", COLLECTION),
    ("T1020", EXFILTRATION),
    ("T1040", CREDENTIAL_ACCESS),
    ("T1059", EXECUTION),
    ("T1059.009", EXECUTION),
    ("T1070", DEFENSE_EVASION),
    ("T1078.004", INITIAL_ACCESS),
    ("T1087.004", DISCOVERY),
    ("T1098", PERSISTENCE),
    ("T1098.001", PERSISTENCE),
    ("T1098.003", PERSISTENCE),
    ("T1110", CREDENTIAL_ACCESS),
    ("T1110.001", CREDENTIAL_ACCESS),
    ("T1110.003", CREDENTIAL_ACCESS),
    ("T1136.003", PERSISTENCE),
    ("T1190", INITIAL_ACCESS),
    ("T1484", DEFENSE_EVASION),
    ("T1484.001", DEFENSE_EVASION),
    ("T1484.002", DEFENSE_EVASION),
    ("T1485", DESTRUCTION),
    ("T1486", DESTRUCTION),
    ("T1490", DESTRUCTION),
    ("T1496", CONSUMPTION),
    ("T1496.004", CONSUMPTION),
    ("T1529", DENIAL),
    ("T1531", DENIAL),
    ("T1535", DEFENSE_EVASION),
    ("T1537", EXFILTRATION),
    ("T1546", PERSISTENCE),
    ("T1548", PRIVILEGE_ESCALATION),
    ("T1550.001", DEFENSE_EVASION),
    ("T1552", CREDENTIAL_ACCESS),
    ("T1552.001", CREDENTIAL_ACCESS),
    ("T1552.005", CREDENTIAL_ACCESS),
    ("T1555.006", CREDENTIAL_ACCESS),
    ("T1556.006", CREDENTIAL_ACCESS),
    ("T1556.007", CREDENTIAL_ACCESS),
    ("T1562.001", DEFENSE_EVASION),
    ("T1562.007", DEFENSE_EVASION),
    ("T1562.008", DEFENSE_EVASION),
    ("T1565", DESTRUCTION),
    ("T1578", DEFENSE_EVASION),
    ("T1610", EXECUTION),
    ("T1619", DISCOVERY),
    ("T1648", EXECUTION),
    ("T1651", EXECUTION),
    ("T1666", DEFENSE_EVASION),
    ("T1021.007", LATERAL_MOVEMENT),
    ("T1021.008", LATERAL_MOVEMENT),
];

/// MITRE ATT&CK ids with no ASFF category (resource development); listed so
/// the completeness test tells them from forgotten ones.
pub const UNMAPPED_TECHNIQUES: &[&str] = &["T1584.001"];

/// The resource the call touched: its target, typed where ASFF has a type,
/// else the account the event happened in.
fn resource(alert: &Alert<'_>, product: &Product) -> Resource {
    let partition = Partition::from(product.partition.as_str());
    let region = alert
        .region
        .clone()
        .unwrap_or_else(|| product.region.clone());
    let account = alert.account.as_deref().unwrap_or(&product.account);
    let (kind, id) = match alert.target.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(target) => (resource_type(alert, target), clip(target, MAX_ID)),
        None => (
            "AwsAccount",
            format!("AWS::::Account:{}", clip(account, 64)),
        ),
    };
    Resource::builder()
        .r#type(kind)
        .id(id)
        .partition(partition)
        .region(clip(&region, 64))
        .build()
}

/// The ASFF resource type of a target, from its service and its id's shape
/// (the types are those ASFF's `Resources` attribute names); `Other` when
/// none fits.
fn resource_type(alert: &Alert<'_>, target: &str) -> &'static str {
    let service = alert
        .event_source
        .as_deref()
        .and_then(|s| s.strip_suffix(".amazonaws.com"))
        .unwrap_or_default();
    let call = alert.event_name.as_deref().unwrap_or_default();
    match service {
        "iam" => iam_type(call),
        "ec2" => ec2_type(target),
        "s3" => "AwsS3Bucket",
        "kms" => "AwsKmsKey",
        "lambda" => "AwsLambdaFunction",
        "cloudtrail" => "AwsCloudTrailTrail",
        "secretsmanager" => "AwsSecretsManagerSecret",
        "sns" => "AwsSnsTopic",
        "sqs" => "AwsSqsQueue",
        "guardduty" => "AwsGuardDutyDetector",
        "ecr" => "AwsEcrRepository",
        "dynamodb" => "AwsDynamoDbTable",
        "eks" => "AwsEksCluster",
        "cloudformation" => "AwsCloudFormationStack",
        "rds" if call.contains("DBClusterSnapshot") => "AwsRdsDbClusterSnapshot",
        "rds" if call.contains("DBSnapshot") => "AwsRdsDbSnapshot",
        "rds" if call.contains("DBCluster") => "AwsRdsDbCluster",
        "rds" if call.contains("DBInstance") => "AwsRdsDbInstance",
        _ => "Other",
    }
}

/// An IAM call's target type, from the noun its name carries (the call's
/// subject before a policy it attaches: `AttachRolePolicy` targets a role).
fn iam_type(call: &str) -> &'static str {
    [
        ("AccessKey", "AwsIamAccessKey"),
        ("LoginProfile", "AwsIamUser"),
        ("MFADevice", "AwsIamUser"),
        ("Role", "AwsIamRole"),
        ("Group", "AwsIamGroup"),
        ("User", "AwsIamUser"),
        ("Policy", "AwsIamPolicy"),
    ]
    .iter()
    .find(|(noun, _)| call.contains(noun))
    .map_or("Other", |(_, kind)| kind)
}

/// An EC2 target's type, from its id's prefix.
fn ec2_type(target: &str) -> &'static str {
    [
        ("sg-", "AwsEc2SecurityGroup"),
        ("i-", "AwsEc2Instance"),
        ("acl-", "AwsEc2NetworkAcl"),
        ("vpc-", "AwsEc2Vpc"),
        ("pcx-", "AwsEc2VpcPeeringConnection"),
        ("subnet-", "AwsEc2Subnet"),
        ("rtb-", "AwsEc2RouteTable"),
        ("vol-", "AwsEc2Volume"),
        ("eni-", "AwsEc2NetworkInterface"),
        ("lt-", "AwsEc2LaunchTemplate"),
    ]
    .iter()
    .find(|(prefix, _)| target.starts_with(prefix))
    .map_or("Other", |(_, kind)| kind)
}

/// The API call, as ASFF's `Action` of type `AWS_API_CALL` describes one; a
/// caller address is kept only when it is an IPv4 address (the field ASFF
/// has), a service name as the caller's domain.
fn action(alert: &Alert<'_>, when: &str) -> Option<Action> {
    let api = alert.event_name.as_deref()?;
    let mut call = AwsApiCallAction::builder()
        .api(clip(api, 128))
        .set_service_name(alert.event_source.as_deref().map(|s| clip(s, 128)))
        .first_seen(when)
        .last_seen(when);
    match alert
        .actor
        .source_ip
        .as_deref()
        .map(|ip| (ip, ip.parse::<std::net::IpAddr>()))
    {
        Some((ip, Ok(std::net::IpAddr::V4(_)))) => {
            call = call
                .caller_type("remoteip")
                .remote_ip_details(ActionRemoteIpDetails::builder().ip_address_v4(ip).build());
        }
        Some((domain, Err(_))) if !domain.is_empty() => {
            call = call.caller_type("domain").domain_details(
                aws_sdk_securityhub::types::AwsApiCallActionDomainDetails::builder()
                    .domain(clip(domain, 253))
                    .build(),
            );
        }
        _ => {}
    }
    Some(
        Action::builder()
            .action_type("AWS_API_CALL")
            .aws_api_call_action(call.build())
            .build(),
    )
}

/// trailwatch's own fields: monitor, controls, techniques and the event's
/// identity, under `trailwatch/` keys.
fn product_fields(alert: &Alert<'_>) -> std::collections::HashMap<String, String> {
    let actor = &alert.actor;
    let fields = [
        ("monitor", Some(alert.monitor.to_owned())),
        ("monitors", Some(alert.monitors.join(","))),
        ("controls", Some(alert.controls.join(","))),
        ("techniques", Some(alert.techniques.join(","))),
        ("eventId", alert.event_id.clone()),
        ("eventName", alert.event_name.clone()),
        ("eventSource", alert.event_source.clone()),
        ("account", alert.account.clone()),
        ("accountName", alert.account_name.clone()),
        ("region", alert.region.clone()),
        ("actor", Some(actor.name.clone())),
        ("actorArn", actor.arn.clone()),
        ("sourceIp", actor.source_ip.clone()),
        ("userAgent", actor.user_agent.clone()),
    ];
    fields
        .into_iter()
        .filter_map(|(key, value)| {
            let value = value.filter(|v| !v.is_empty())?;
            Some((
                format!("{FINDING_PREFIX}{key}"),
                clip(&value, MAX_PRODUCT_FIELD),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_product_arn_names_its_partition_region_and_account() {
        let product = Product::parse(
            "arn:aws-us-gov:securityhub:us-gov-west-1:111122223333:product/111122223333/default",
        )
        .expect("a default product");
        assert_eq!(
            (
                product.partition.as_str(),
                product.region.as_str(),
                product.account.as_str()
            ),
            ("aws-us-gov", "us-gov-west-1", "111122223333")
        );
        assert_eq!(
            product.in_region("us-gov-east-1").arn,
            "arn:aws-us-gov:securityhub:us-gov-east-1:111122223333:product/111122223333/default"
        );
    }

    #[test]
    fn another_account_s_or_a_partner_s_product_is_not_the_default_product() {
        for arn in [
            "arn:aws:securityhub:eu-west-1:111122223333:product/444455556666/default",
            "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/other",
            "arn:aws:securityhub:eu-west-1::product/111122223333/default",
            "arn:aws:sns:eu-west-1:111122223333:product/111122223333/default",
        ] {
            assert_eq!(Product::parse(arn), None, "{arn}");
        }
    }

    #[test]
    fn every_technique_the_catalog_names_has_an_asff_type_or_is_known_to_have_none() {
        let unmapped: Vec<&str> = crate::monitors::CATALOG
            .iter()
            .flat_map(|m| m.techniques.iter().copied())
            .filter(|t| {
                tactic(t).is_none()
                    && !t.starts_with("aws.impact.")
                    && !UNMAPPED_TECHNIQUES.contains(t)
            })
            .collect();
        assert_eq!(unmapped, Vec::<&str>::new());
    }

    #[test]
    fn a_stratus_id_gives_its_tactic_and_exfiltration_its_effect() {
        assert_eq!(
            tactic("aws.defense-evasion.cloudtrail-stop"),
            Some("TTPs/Defense Evasion")
        );
        assert_eq!(
            tactic("aws.exfiltration.ec2-share-ebs-snapshot"),
            Some("Effects/Data Exfiltration")
        );
        assert_eq!(tactic("aws.unknown.whatever"), None);
    }

    #[test]
    fn ec2_and_iam_targets_get_their_asff_resource_types() {
        assert_eq!(ec2_type("sg-0123"), "AwsEc2SecurityGroup");
        assert_eq!(ec2_type("ami-0123"), "Other");
        assert_eq!(iam_type("CreateAccessKey"), "AwsIamAccessKey");
        assert_eq!(iam_type("UpdateAssumeRolePolicy"), "AwsIamRole");
        assert_eq!(iam_type("CreateLoginProfile"), "AwsIamUser");
        assert_eq!(iam_type("AttachUserPolicy"), "AwsIamUser");
        assert_eq!(iam_type("CreatePolicyVersion"), "AwsIamPolicy");
    }
}
