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
        ],
    ),
    &["CIS CloudWatch.7"],
    &["T1485"],
);

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
        ],
    ),
    &[],
    &["T1562.001"],
);

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

/// [`guardduty_detector`] and what it decides.
pub const GUARDDUTY_DETECTOR: Judge = Judge {
    assess: guardduty_detector,
    decides: "HIGH when the detector is suspended",
};

/// GuardDuty UpdateDetector with `enable: false` turns detection off (HIGH).
pub fn guardduty_detector(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request.get("enable") == Some(&Value::Bool(false)) {
        let object = finding.object.clone();
        finding.describe(Verb::TurnedOff, &object);
        finding.raise(
            Severity::High,
            "the detector is suspended: GuardDuty stops analysing this region".to_owned(),
        );
    }
    Ok(())
}
