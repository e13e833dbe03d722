//! Logging turned off or narrowed: CloudTrail, AWS Config, VPC flow logs and
//! Route 53 Resolver query logging.

use serde::Deserialize;
use serde_json::Value;

use super::Pack::{Cis, Stratus};
use super::{CHECK_CALLER, EC2, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::selector::{Call, Selector};
use contract::Severity::{self, High, Low, Medium};

/// `cloudtrail-change`.
pub const CLOUDTRAIL_CHANGE: Monitor = calls(
    "cloudtrail-change",
    "CloudTrail configuration changed",
    &[Cis, Stratus],
    Selector::calls(
        "cloudtrail.amazonaws.com",
        &[
            Call::named(
                "StopLogging",
                means(TurnedOff, "logging of CloudTrail trail", High)
                    .target(&["name"])
                    .why("API activity is no longer recorded by this trail: attackers stop logging before acting")
                    .check(CHECK_CALLER)
                    .revert("aws cloudtrail start-logging --name {target} --region {region}"),
            ),
            Call::named(
                "DeleteTrail",
                means(Deleted, "CloudTrail trail", High)
                    .target(&["name"])
                    .why("API activity is no longer recorded by this trail and its configuration is gone")
                    .check("Recreate the trail from your infrastructure code and look for activity while it was gone"),
            ),
            Call::named(
                "PutEventSelectors",
                means(Changed, "the event selectors of CloudTrail trail", Low)
                    .target(&["trailName"])
                    .check("Check the trail still records all management events"),
            )
            .refine(EVENT_SELECTORS),
            Call::named(
                "UpdateTrail",
                means(Changed, "CloudTrail trail", Medium)
                    .target(&["name"])
                    .why("a trail's bucket, regions or encryption changed: logs may go elsewhere")
                    .check(CHECK_CALLER),
            ),
            Call::named("CreateTrail", means(Created, "CloudTrail trail", Low).target(&["name"])),
            Call::named("StartLogging", means(Started, "logging of CloudTrail trail", Low).target(&["name"])),
        ],
    ),
    &["CIS CloudWatch.5"],
    &[
        "aws.defense-evasion.cloudtrail-stop",
        "aws.defense-evasion.cloudtrail-delete",
        "aws.defense-evasion.cloudtrail-event-selectors",
        "T1562.008",
    ],
);

/// `config-change`.
pub const CONFIG_CHANGE: Monitor = calls(
    "config-change",
    "AWS Config changed",
    &[Cis],
    Selector::calls(
        "config.amazonaws.com",
        &[
            Call::named(
                "StopConfigurationRecorder",
                means(TurnedOff, "AWS Config recorder", High)
                    .target(&["configurationRecorderName"])
                    .why("resource changes are no longer recorded or evaluated")
                    .check(CHECK_CALLER)
                    .revert("aws configservice start-configuration-recorder --configuration-recorder-name {target} --region {region}"),
            ),
            Call::named(
                "DeleteConfigurationRecorder",
                means(Deleted, "AWS Config recorder", High)
                    .target(&["configurationRecorderName"])
                    .why("resource changes are no longer recorded or evaluated")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteDeliveryChannel",
                means(Deleted, "AWS Config delivery channel", High)
                    .target(&["deliveryChannelName"])
                    .why("configuration history and snapshots are no longer delivered")
                    .check(CHECK_CALLER),
            ),
            Call::named("PutDeliveryChannel", means(Changed, "AWS Config delivery channel", Low).target(&["deliveryChannel/name"])),
            Call::named("PutConfigurationRecorder", means(Changed, "AWS Config recorder", Low).target(&["configurationRecorder/name"])),
        ],
    ),
    &["CIS CloudWatch.9"],
    &["T1562.001"],
);

/// `vpc-flow-logs-deleted`.
pub const VPC_FLOW_LOGS_DELETED: Monitor = calls(
    "vpc-flow-logs-deleted",
    "VPC flow logs deleted",
    &[Stratus],
    Selector::calls(
        EC2,
        &[Call::named(
            "DeleteFlowLogs",
            means(Deleted, "VPC flow logs", High)
                .target(&["DeleteFlowLogsRequest/FlowLogId/content"])
                .why("network traffic is no longer recorded: attackers remove flow logs before acting")
                .check(CHECK_CALLER),
        )],
    ),
    &[],
    &["aws.defense-evasion.vpc-remove-flow-logs", "T1562.008"],
);

/// `dns-query-logging-deleted`.
pub const DNS_QUERY_LOGGING_DELETED: Monitor = calls(
    "dns-query-logging-deleted",
    "DNS query logging removed",
    &[Stratus],
    Selector::calls(
        "route53resolver.amazonaws.com",
        &[
            Call::named(
                "DeleteResolverQueryLogConfig",
                means(
                    Deleted,
                    "Route 53 Resolver query logging configuration",
                    High,
                )
                .target(&["resolverQueryLogConfigId"])
                .why("DNS queries from the VPCs it covered are no longer recorded")
                .check(CHECK_CALLER),
            ),
            Call::named(
                "DisassociateResolverQueryLogConfig",
                means(Removed, "Route 53 Resolver query logging from VPC", High)
                    .target(&["resourceId"])
                    .why("DNS queries from this VPC are no longer recorded")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["aws.defense-evasion.dns-delete-logs", "T1562.008"],
);

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Selectors {
    event_selectors: Option<Vec<EventSelector>>,
    advanced_event_selectors: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct EventSelector {
    read_write_type: Option<String>,
    include_management_events: Option<bool>,
    exclude_management_event_sources: Vec<String>,
}

/// [`event_selectors`] and what it decides.
pub const EVENT_SELECTORS: Judge = Judge {
    assess: event_selectors,
    decides: "HIGH when management events are dropped or narrowed",
};

/// PutEventSelectors: HIGH when management events are dropped or narrowed.
pub fn event_selectors(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Selectors = request(event)?;
    let object = finding.object.clone();
    if request.advanced_event_selectors.is_some() {
        finding.raise(
            Severity::Medium,
            "advanced event selectors replace the trail's selection: check they still select every management event".to_owned(),
        );
        return Ok(());
    }
    let selectors = request.event_selectors.unwrap_or_default();
    let management: Vec<&EventSelector> = selectors
        .iter()
        .filter(|s| s.include_management_events != Some(false))
        .collect();
    if management.is_empty() {
        finding.describe(Verb::Weakened, &object);
        finding.raise(
            Severity::High,
            "no selector includes management events: API activity is no longer recorded by this trail".to_owned(),
        );
        return Ok(());
    }
    for selector in management {
        let kind = selector.read_write_type.as_deref().unwrap_or("All");
        if kind != "All" {
            finding.describe(Verb::Weakened, &object);
            finding.raise(
                Severity::High,
                format!("management events are recorded only when {kind}: the other half of API activity is not"),
            );
        }
        if !selector.exclude_management_event_sources.is_empty() {
            finding.describe(Verb::Weakened, &object);
            finding.raise(
                Severity::High,
                format!(
                    "management events of {} are excluded",
                    selector.exclude_management_event_sources.join(", ")
                ),
            );
        }
    }
    Ok(())
}
