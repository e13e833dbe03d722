//! Findings and detections silenced piecemeal: Security Hub findings
//! suppressed, Macie paused or archived, Config rules deleted, WAF protection
//! removed.

use serde_json::Value;

use super::protection::archiving_filter;
use super::{CHECK_CALLER, Monitor, calls, means, services};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError};
use crate::selector::{Call, Selector};
use contract::Severity::{High, Low, Medium};

/// `securityhub-findings-suppressed`.
pub const SECURITYHUB_FINDINGS_SUPPRESSED: Monitor = calls(
    "securityhub-findings-suppressed",
    "Security Hub findings suppressed, resolved or archived",
    &[],
    Selector::calls(
        "securityhub.amazonaws.com",
        &[
            Call::named(
                "BatchUpdateFindings",
                means(Changed, "Security Hub findings", Low),
            )
            .refine(FINDINGS_WORKFLOW),
            Call::named(
                "UpdateFindings",
                means(Changed, "Security Hub findings", Low),
            )
            .refine(FINDINGS_WORKFLOW),
            Call::named(
                "DeleteInsight",
                means(Deleted, "Security Hub insight", Low).target(&["InsightArn", "insightArn"]),
            ),
            Call::named(
                "UpdateInsight",
                means(Changed, "Security Hub insight", Low).target(&["InsightArn", "insightArn"]),
            ),
        ],
    ),
    &[],
    &["T1562.001"],
)
.answers(&[
    "panther:aws_securityhub_finding_evasion",
    "sigma:aws_securityhub_finding_evasion",
]);

/// `macie-disabled`.
pub const MACIE_DISABLED: Monitor = calls(
    "macie-disabled",
    "Macie turned off, paused, detached or its findings archived",
    &[],
    Selector::calls(
        "macie2.amazonaws.com",
        &[
            Call::named(
                "DisableMacie",
                means(TurnedOff, "Macie", High)
                    .why("sensitive-data discovery stops and Macie's findings and settings are deleted")
                    .check(CHECK_CALLER),
            ),
            Call::named("UpdateMacieSession", means(Changed, "Macie", Low)).refine(MACIE_STATUS),
            Call::named(
                "DisassociateFromAdministratorAccount",
                means(Removed, "this account from its Macie administrator", High)
                    .why("the security team's Macie administrator no longer sees this account")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DisassociateFromMasterAccount",
                means(Removed, "this account from its Macie administrator", High)
                    .why("the security team's Macie administrator no longer sees this account")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "ArchiveFindings",
                means(Removed, "Macie findings (archived)", Medium)
                    .why("archived findings leave the views the security team works from")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "CreateFindingsFilter",
                means(Created, "Macie findings filter", Low).target(&["name"]),
            )
            .refine(ARCHIVE_ACTION),
            Call::named(
                "UpdateFindingsFilter",
                means(Changed, "Macie findings filter", Low).target(&["id", "name"]),
            )
            .refine(ARCHIVE_ACTION),
        ],
    ),
    &[],
    &["T1562.001"],
);

/// `config-rules-deleted`.
pub const CONFIG_RULES_DELETED: Monitor = calls(
    "config-rules-deleted",
    "AWS Config rules, conformance packs or remediation deleted",
    &[],
    Selector::calls(
        "config.amazonaws.com",
        &[
            Call::named(
                "DeleteConfigRule",
                means(Deleted, "AWS Config rule", Medium)
                    .target(&["configRuleName"])
                    .why("the rule's compliance checks stop")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteConformancePack",
                means(Deleted, "AWS Config conformance pack", Medium)
                    .target(&["conformancePackName"])
                    .why("the pack's compliance checks stop")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteOrganizationConfigRule",
                means(Deleted, "AWS Config organization rule", High)
                    .target(&["organizationConfigRuleName"])
                    .why("the rule's compliance checks stop in every account of the organization")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteOrganizationConformancePack",
                means(Deleted, "AWS Config organization conformance pack", High)
                    .target(&["organizationConformancePackName"])
                    .why("the pack's compliance checks stop in every account of the organization")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteRemediationConfiguration",
                means(Deleted, "AWS Config remediation", Medium)
                    .target(&["configRuleName"])
                    .why("non-compliant resources are no longer fixed automatically")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteConfigurationAggregator",
                means(Deleted, "AWS Config aggregator", Medium)
                    .target(&["configurationAggregatorName"])
                    .why("the central view of other accounts' and regions' compliance is gone")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteRetentionConfiguration",
                means(Deleted, "AWS Config retention setting", Low)
                    .target(&["retentionConfigurationName"]),
            ),
        ],
    ),
    &[],
    &["T1562.001"],
)
.answers(&["elastic:defense_evasion_config_service_rule_deletion"]);

/// WAF web ACL and rule deletions, common to classic and regional WAF.
const WAF_CLASSIC: &[Call] = &[
    Call::named(
        "DeleteWebACL",
        means(Deleted, "WAF web ACL", Medium)
            .target(&["webACLId"])
            .why("requests to the resources it protected are no longer filtered")
            .check(CHECK_CALLER),
    ),
    Call::named(
        "DeleteRule",
        means(Deleted, "WAF rule", Medium)
            .target(&["ruleId"])
            .why("requests it blocked may now pass")
            .check(CHECK_CALLER),
    ),
    Call::named(
        "DeleteRuleGroup",
        means(Deleted, "WAF rule group", Medium)
            .target(&["ruleGroupId"])
            .why("requests it blocked may now pass")
            .check(CHECK_CALLER),
    ),
];

/// `waf-protection-removed`.
pub const WAF_PROTECTION_REMOVED: Monitor = services(
    "waf-protection-removed",
    "WAF web ACL or rules deleted or detached, or an IP set changed",
    &[],
    &[
        Selector::calls(
            "wafv2.amazonaws.com",
            &[
                Call::named(
                    "DeleteWebACL",
                    means(Deleted, "WAF web ACL", Medium)
                        .target(&["name"])
                        .why("requests to the resources it protected are no longer filtered")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DisassociateWebACL",
                    means(Removed, "WAF web ACL from resource", Medium)
                        .target(&["resourceArn"])
                        .why("requests to the resource are no longer filtered")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DeleteRuleGroup",
                    means(Deleted, "WAF rule group", Medium)
                        .target(&["name"])
                        .why("requests it blocked may now pass")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "CreateIPSet",
                    means(Created, "WAF IP set", Low).target(&["name"]),
                ),
                Call::named(
                    "UpdateIPSet",
                    means(Changed, "WAF IP set", Low)
                        .target(&["name"])
                        .check("If rules allow this IP set, check the addresses added"),
                ),
            ],
        ),
        Selector::calls("waf.amazonaws.com", WAF_CLASSIC),
        Selector::calls("waf-regional.amazonaws.com", WAF_CLASSIC),
    ],
    &[],
    &["T1562.001"],
)
.answers(&[
    "elastic:defense_evasion_waf_acl_deletion",
    "elastic:defense_evasion_waf_rule_or_rule_group_deletion",
    "panther:aws_waf_disassociation",
    "panther:aws_ipset_modified",
]);

/// [`findings_workflow`] and what it decides.
pub const FINDINGS_WORKFLOW: Judge = Judge {
    assess: findings_workflow,
    decides: "MEDIUM when findings are set SUPPRESSED or RESOLVED, or archived; other triage updates (notes, severity) are dismissed",
};

/// BatchUpdateFindings and UpdateFindings: findings taken out of view.
pub fn findings_workflow(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let status = request["Workflow"]["Status"]
        .as_str()
        .or(request["workflow"]["status"].as_str());
    let archived = request["RecordState"]
        .as_str()
        .or(request["recordState"].as_str())
        .is_some_and(|s| s.eq_ignore_ascii_case("ARCHIVED"));
    let count = request["FindingIdentifiers"]
        .as_array()
        .or(request["findingIdentifiers"].as_array())
        .map_or(0, Vec::len);
    let findings = match count {
        0 => "matching findings".to_owned(),
        1 => "1 finding".to_owned(),
        n => format!("{n} findings"),
    };
    match status {
        Some(status)
            if status.eq_ignore_ascii_case("SUPPRESSED")
                || status.eq_ignore_ascii_case("RESOLVED") =>
        {
            finding.describe(Weakened, "Security Hub findings");
            finding.raise(
                Medium,
                format!("{findings} set to {status}: they leave the views and automations that track open findings"),
            );
            finding.step(CHECK_CALLER.to_owned());
        }
        _ if archived => {
            finding.describe(Weakened, "Security Hub findings");
            finding.raise(
                Medium,
                format!("{findings} archived: they leave the views that track active findings"),
            );
            finding.step(CHECK_CALLER.to_owned());
        }
        _ => finding.dismiss("the update neither suppresses, resolves nor archives findings"),
    }
    Ok(())
}

/// [`macie_status`] and what it decides.
pub const MACIE_STATUS: Judge = Judge {
    assess: macie_status,
    decides: "HIGH when Macie is paused; other session changes are dismissed",
};

/// UpdateMacieSession with status PAUSED.
pub fn macie_status(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request["status"]
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("PAUSED"))
    {
        finding.describe(TurnedOff, "Macie (paused)");
        finding.raise(
            High,
            "sensitive-data discovery and its findings stop until Macie is resumed".to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    } else {
        finding.dismiss("the change does not pause Macie");
    }
    Ok(())
}

/// [`archive_action`] and what it decides.
pub const ARCHIVE_ACTION: Judge = Judge {
    assess: archive_action,
    decides: "MEDIUM when the filter archives matching findings; other filters are dismissed",
};

/// Macie findings filters with action ARCHIVE: suppression rules.
pub fn archive_action(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    if !archiving_filter(event, finding, "Macie", Medium)? {
        finding.dismiss("the filter does not archive findings");
    }
    Ok(())
}
