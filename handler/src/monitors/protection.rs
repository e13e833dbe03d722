//! Protections and detection turned off: KMS keys, GuardDuty, Security Hub,
//! IAM Access Analyzer, and leaving the organization.

use serde_json::Value;

use super::Pack::{Cis, Stratus};
use super::{CHECK_CALLER, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::selector::{Call, Selector};
use contract::Severity::{self, Critical, High, Low, Medium};

/// `kms-key-disabled-or-deleted`.
pub const KMS_KEY_DISABLED_OR_DELETED: Monitor = calls(
    "kms-key-disabled-or-deleted",
    "KMS key disabled or scheduled for deletion",
    &[Cis],
    Selector::calls(
        "kms.amazonaws.com",
        &[
            Call::named(
                "ScheduleKeyDeletion",
                means(ScheduledDeletion, "KMS key", High)
                    .target(&["keyId"])
                    .why("data encrypted under the key becomes unrecoverable once it is deleted")
                    .check("Cancel the deletion unless the key is known to be unused")
                    .revert("aws kms cancel-key-deletion --key-id {target} --region {region}"),
            ),
            Call::named(
                "DisableKey",
                means(TurnedOff, "KMS key", Medium)
                    .target(&["keyId"])
                    .why("data encrypted under the key cannot be read while it is disabled")
                    .check(CHECK_CALLER)
                    .revert("aws kms enable-key --key-id {target} --region {region}"),
            ),
            Call::named(
                "DeleteImportedKeyMaterial",
                means(Deleted, "the imported key material of KMS key", High)
                    .target(&["keyId"])
                    .why("the key is unusable until the same material is imported again: data encrypted under it cannot be read")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "ImportKeyMaterial",
                means(Added, "imported key material to KMS key", Low).target(&["keyId"]),
            )
            .refine(KEY_MATERIAL_EXPIRY),
        ],
    ),
    &["CIS CloudWatch.7"],
    &["T1485"],
)
.answers(&[
    "elastic:impact_kms_imported_key_material_deleted",
    "sigma:aws_kms_import_key_material",
]);

/// `organizations-leave`.
pub const ORGANIZATIONS_LEAVE: Monitor = calls(
    "organizations-leave",
    "Account left its organization",
    &[Stratus],
    Selector::calls(
        "organizations.amazonaws.com",
        &[Call::named(
            "LeaveOrganization",
            means(Left, "the AWS organization", Critical)
                .why("the account escapes the organization's guardrails (SCPs), its organization trail and central security services")
                .check(CHECK_CALLER),
        )],
    ),
    &[],
    &["aws.defense-evasion.organizations-leave", "T1666"],
);

/// `guardduty-disabled`.
pub const GUARDDUTY_DISABLED: Monitor = calls(
    "guardduty-disabled",
    "GuardDuty turned off",
    &[],
    Selector::calls(
        "guardduty.amazonaws.com",
        &[
            Call::named(
                "DeleteDetector",
                means(Deleted, "GuardDuty detector", High)
                    .target(&["detectorId"])
                    .why("threat detection stops in this region and its findings are deleted")
                    .check(CHECK_CALLER),
            ),
            Call::named("UpdateDetector", means(Changed, "GuardDuty detector", Low).target(&["detectorId"]))
                .refine(GUARDDUTY_DETECTOR),
            Call::named(
                "DisassociateFromAdministratorAccount",
                means(Removed, "this account from its GuardDuty administrator", High)
                    .why("the security team's GuardDuty administrator no longer sees this account's findings")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DisassociateFromMasterAccount",
                means(Removed, "this account from its GuardDuty administrator", High)
                    .why("the security team's GuardDuty administrator no longer sees this account's findings")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "CreateIPSet",
                means(Created, "GuardDuty trusted IP list", Medium)
                    .target(&["name"])
                    .why("traffic from addresses in a trusted IP list raises no findings")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UpdateIPSet",
                means(Changed, "GuardDuty trusted IP list", Medium)
                    .target(&["ipSetId"])
                    .why("traffic from addresses in a trusted IP list raises no findings: a new list location can trust any address")
                    .check(CHECK_CALLER),
            ),
            Call::named("CreateFilter", means(Created, "GuardDuty filter", Low).target(&["name"]))
                .refine(GUARDDUTY_FILTER),
            Call::named("UpdateFilter", means(Changed, "GuardDuty filter", Low).target(&["filterName"]))
                .refine(GUARDDUTY_FILTER),
            Call::named(
                "DisassociateMembers",
                means(Removed, "member accounts from GuardDuty", High)
                    .why("the administrator no longer sees those accounts' findings")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteMembers",
                means(Removed, "member accounts from GuardDuty", High)
                    .why("the administrator no longer sees those accounts' findings")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "StopMonitoringMembers",
                means(TurnedOff, "GuardDuty monitoring of member accounts", High)
                    .why("the administrator no longer receives those accounts' findings")
                    .check(CHECK_CALLER),
            ),
            Call::named("DeleteInvitations", means(Deleted, "GuardDuty invitations", Low)),
            Call::named(
                "CreateThreatIntelSet",
                means(Created, "GuardDuty threat list", Low).target(&["name"]),
            ),
            Call::named(
                "UpdateThreatIntelSet",
                means(Changed, "GuardDuty threat list", Medium)
                    .target(&["threatIntelSetId"])
                    .why("findings for the addresses the list named stop if the new list leaves them out")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteThreatIntelSet",
                means(Deleted, "GuardDuty threat list", Medium)
                    .target(&["threatIntelSetId"])
                    .why("traffic to the addresses it named no longer raises findings")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["T1562.001"],
)
.answers(&[
    "elastic:defense_evasion_guardduty_finding_suppression",
    "elastic:defense_evasion_guardduty_member_manipulation",
    "panther:aws_ipset_modified",
]);

/// `securityhub-disabled`.
pub const SECURITYHUB_DISABLED: Monitor = calls(
    "securityhub-disabled",
    "Security Hub turned off",
    &[],
    Selector::calls(
        "securityhub.amazonaws.com",
        &[
            Call::named(
                "DisableSecurityHub",
                means(TurnedOff, "Security Hub", High)
                    .why("security checks and aggregated findings stop in this region")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "BatchDisableStandards",
                means(TurnedOff, "Security Hub standards", High)
                    .why("the standards' controls are no longer evaluated")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UpdateStandardsControl",
                means(Changed, "Security Hub control", Low).target(&["standardsControlArn"]),
            )
            .refine(SECURITYHUB_CONTROL),
            Call::named(
                "BatchUpdateStandardsControlAssociations",
                means(Changed, "Security Hub controls", Low),
            )
            .refine(SECURITYHUB_CONTROL),
        ],
    ),
    &[],
    &["T1562.001"],
);

/// `access-analyzer-deleted`.
pub const ACCESS_ANALYZER_DELETED: Monitor = calls(
    "access-analyzer-deleted",
    "IAM Access Analyzer deleted",
    &[],
    Selector::calls(
        "access-analyzer.amazonaws.com",
        &[Call::named(
            "DeleteAnalyzer",
            means(Deleted, "IAM Access Analyzer analyzer", High)
                .target(&["analyzerName"])
                .why("public and cross-account access to resources is no longer reported")
                .check(CHECK_CALLER),
        )],
    ),
    &[],
    &["T1562.001"],
);

/// `organizations-guardrail-removed`.
pub const ORGANIZATIONS_GUARDRAIL_REMOVED: Monitor = calls(
    "organizations-guardrail-removed",
    "Organization guardrail or trusted service removed",
    &[],
    Selector::calls(
        "organizations.amazonaws.com",
        &[
            Call::named(
                "DetachPolicy",
                means(Removed, "organization policy", High)
                    .target(&["policyId"])
                    .why("if it is a service control policy, the accounts under the target lose its guardrails")
                    .check(CHECK_CALLER),
            )
            .refine(DETACH_POLICY),
            Call::named(
                "DeletePolicy",
                means(Deleted, "organization policy", High)
                    .target(&["policyId"])
                    .why("if it is a service control policy, its guardrails are gone wherever it was attached")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DisablePolicyType",
                means(TurnedOff, "an organization policy type", Low).target(&["policyType"]),
            )
            .refine(POLICY_TYPE),
            Call::named(
                "DisableAWSServiceAccess",
                means(TurnedOff, "organization access of service", Low).target(&["servicePrincipal"]),
            )
            .refine(SERVICE_ACCESS),
        ],
    ),
    &[],
    &["T1562.001", "T1484.001"],
);

/// [`guardduty_detector`] and what it decides.
pub const GUARDDUTY_DETECTOR: Judge = Judge {
    assess: guardduty_detector,
    decides: "HIGH when the detector is suspended or a protection plan (feature or data source) is turned off",
};

/// GuardDuty UpdateDetector: `enable: false` suspends detection; `features[]`
/// with status `DISABLED`, or `dataSources` with `enable: false`, turn
/// protection plans off (HIGH).
pub fn guardduty_detector(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let object = finding.object.clone();
    if request.get("enable") == Some(&Value::Bool(false)) {
        finding.describe(Verb::TurnedOff, &object);
        finding.raise(
            Severity::High,
            "the detector is suspended: GuardDuty stops analysing this region".to_owned(),
        );
    }
    let mut off = Vec::new();
    for feature in request["features"].as_array().into_iter().flatten() {
        let disabled = |f: &Value| {
            f["status"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case("DISABLED"))
        };
        let name = feature["name"].as_str().unwrap_or("(unnamed)");
        if disabled(feature) {
            off.push(name.to_owned());
        }
        for extra in feature["additionalConfiguration"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if disabled(extra) {
                off.push(format!(
                    "{name}/{}",
                    extra["name"].as_str().unwrap_or("(unnamed)")
                ));
            }
        }
    }
    disabled_data_sources(&request["dataSources"], "", &mut off);
    if !off.is_empty() {
        finding.describe(Verb::Weakened, &object);
        finding.raise(
            Severity::High,
            format!(
                "protection plans turned off: {}: GuardDuty no longer analyses what they covered",
                off.join(", ")
            ),
        );
    }
    Ok(())
}

/// Paths of every `enable: false` under the legacy `dataSources`.
fn disabled_data_sources(value: &Value, path: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (key, child) in map {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if key == "enable" && child == &Value::Bool(false) {
                out.push(path.to_owned());
            } else {
                disabled_data_sources(child, &here, out);
            }
        }
    }
}

/// [`guardduty_filter`] and what it decides.
pub const GUARDDUTY_FILTER: Judge = Judge {
    assess: guardduty_filter,
    decides: "HIGH when the filter archives matching findings automatically",
};

/// GuardDuty Create/UpdateFilter with action `ARCHIVE`.
pub fn guardduty_filter(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    archiving_filter(event, finding, "GuardDuty", Severity::High).map(|_| ())
}

/// A findings filter of `service` (GuardDuty, Macie) with action `ARCHIVE`:
/// matching findings are archived as they arrive, so nobody sees them. Raises
/// the finding to `severity` when it archives, and says whether it does.
pub fn archiving_filter(
    event: &Event<'_>,
    finding: &mut Finding,
    service: &str,
    severity: Severity,
) -> Result<bool, ReadError> {
    let request: Value = request(event)?;
    let archives = request["action"]
        .as_str()
        .is_some_and(|a| a.eq_ignore_ascii_case("ARCHIVE"));
    if archives {
        finding.describe(
            Verb::Weakened,
            &format!("{service} with a filter archiving findings"),
        );
        finding.raise(
            severity,
            "the filter archives every matching finding as it arrives: those findings reach no one"
                .to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(archives)
}

/// [`key_material_expiry`] and what it decides.
pub const KEY_MATERIAL_EXPIRY: Judge = Judge {
    assess: key_material_expiry,
    decides: "MEDIUM when the material expires (`expirationModel: KEY_MATERIAL_EXPIRES`)",
};

/// ImportKeyMaterial: material that expires makes the key's data unreadable on a date.
pub fn key_material_expiry(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request["expirationModel"].as_str() == Some("KEY_MATERIAL_EXPIRES") {
        let when = request["validTo"]
            .as_str()
            .unwrap_or("a date in the request");
        finding.raise(
            Medium,
            format!("the material expires ({when}): data encrypted under the key becomes unreadable then unless it is imported again"),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}

/// [`securityhub_control`] and what it decides.
pub const SECURITYHUB_CONTROL: Judge = Judge {
    assess: securityhub_control,
    decides: "HIGH when a control is disabled",
};

/// UpdateStandardsControl (`controlStatus`) and
/// BatchUpdateStandardsControlAssociations (`associationStatus` of each
/// update): a disabled control is no longer evaluated.
pub fn securityhub_control(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let mut disabled: Vec<String> = Vec::new();
    if request["controlStatus"].as_str() == Some("DISABLED") {
        disabled.push(
            request["standardsControlArn"]
                .as_str()
                .unwrap_or("(not recorded)")
                .to_owned(),
        );
    }
    for update in request["standardsControlAssociationUpdates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if update["associationStatus"].as_str() == Some("DISABLED") {
            disabled.push(
                update["securityControlId"]
                    .as_str()
                    .unwrap_or("(not recorded)")
                    .to_owned(),
            );
        }
    }
    if !disabled.is_empty() {
        finding.describe(
            Verb::TurnedOff,
            &format!("Security Hub controls {}", disabled.join(", ")),
        );
        finding.raise(
            Severity::High,
            "the controls are no longer evaluated: the failures they would report reach no one"
                .to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}

/// [`detach_policy`] and what it decides.
pub const DETACH_POLICY: Judge = Judge {
    assess: detach_policy,
    decides: "LOW when the policy is FullAWSAccess (detaching it restricts)",
};

/// Detaching `p-FullAWSAccess` takes permissions away, not guardrails.
pub fn detach_policy(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request["policyId"].as_str() == Some("p-FullAWSAccess") {
        finding.settle(
            Severity::Low,
            "FullAWSAccess was detached: this restricts the target, it removes no guardrail"
                .to_owned(),
        );
    }
    Ok(())
}

/// [`policy_type`] and what it decides.
pub const POLICY_TYPE: Judge = Judge {
    assess: policy_type,
    decides: "HIGH when service control policies are disabled for a root",
};

/// DisablePolicyType `SERVICE_CONTROL_POLICY` detaches every SCP under the root.
pub fn policy_type(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request["policyType"].as_str() == Some("SERVICE_CONTROL_POLICY") {
        finding.describe(
            Verb::TurnedOff,
            "service control policies of the organization",
        );
        finding.raise(
            Severity::High,
            "every service control policy is detached from the root and all its accounts: the organization's guardrails are gone".to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}

/// Trusted services whose organization access carries security logging or detection.
const SECURITY_SERVICES: &[(&str, &str)] = &[
    (
        "cloudtrail.amazonaws.com",
        "the organization trail stops recording the member accounts",
    ),
    (
        "guardduty.amazonaws.com",
        "GuardDuty's delegated administrator loses the member accounts",
    ),
    (
        "securityhub.amazonaws.com",
        "Security Hub's central view loses the member accounts",
    ),
    (
        "config.amazonaws.com",
        "AWS Config's organization rules and aggregation stop",
    ),
    (
        "config-multiaccountsetup.amazonaws.com",
        "AWS Config's organization rules stop",
    ),
    (
        "access-analyzer.amazonaws.com",
        "the organization's IAM Access Analyzer stops",
    ),
    (
        "inspector2.amazonaws.com",
        "Inspector's delegated administrator loses the member accounts",
    ),
    (
        "macie.amazonaws.com",
        "Macie's delegated administrator loses the member accounts",
    ),
    (
        "detective.amazonaws.com",
        "Detective's behavior graph loses the member accounts",
    ),
    (
        "securitylake.amazonaws.com",
        "Security Lake stops collecting from the member accounts",
    ),
];

/// [`service_access`] and what it decides.
pub const SERVICE_ACCESS: Judge = Judge {
    assess: service_access,
    decides: "HIGH when a security or logging service (CloudTrail, GuardDuty, Security Hub, Config, Access Analyzer...) loses organization access",
};

/// DisableAWSServiceAccess: a security service losing organization access stops
/// covering the member accounts.
pub fn service_access(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let principal = request["servicePrincipal"].as_str().unwrap_or_default();
    if let Some((service, what)) = SECURITY_SERVICES.iter().find(|(s, _)| *s == principal) {
        finding.describe(
            Verb::TurnedOff,
            &format!("organization access of {service}"),
        );
        finding.raise(
            Severity::High,
            format!("{what}: as bad as turning it off in every account"),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}
