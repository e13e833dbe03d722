//! Logging turned off or narrowed: CloudTrail, AWS Config, VPC flow logs,
//! Route 53 Resolver query logging, and services' own audit logs (RDS
//! activity streams, Bedrock invocation logs, CloudWatch Logs).

use serde::Deserialize;
use serde_json::Value;

use super::Pack::{Cis, Stratus};
use super::{CHECK_CALLER, EC2, Monitor, calls, means, services};
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
            )
            .refine(UPDATE_TRAIL),
            Call::named(
                "PutInsightSelectors",
                means(Changed, "the Insights selectors of CloudTrail trail", Low)
                    .target(&["trailName", "eventDataStore"]),
            )
            .refine(INSIGHT_SELECTORS),
            Call::named(
                "StopEventDataStoreIngestion",
                means(TurnedOff, "ingestion of CloudTrail Lake event data store", High)
                    .target(&["eventDataStore"])
                    .why("events are no longer added to the event data store: queries miss everything from now on")
                    .check(CHECK_CALLER)
                    .revert("aws cloudtrail start-event-data-store-ingestion --event-data-store {target} --region {region}"),
            ),
            Call::named(
                "DeleteEventDataStore",
                means(Deleted, "CloudTrail Lake event data store", High)
                    .target(&["eventDataStore"])
                    .why("the event data store stops ingesting and its events are deleted after the wait period")
                    .check("Restore it within the wait period (RestoreEventDataStore) unless the deletion was planned"),
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

/// `service-logging-disabled`.
pub const SERVICE_LOGGING_DISABLED: Monitor = services(
    "service-logging-disabled",
    "Service audit logs turned off or deleted: RDS activity streams, Bedrock invocation logs, CloudWatch Logs",
    &[],
    &[
        Selector::calls(
            "rds.amazonaws.com",
            &[Call::named(
                "StopActivityStream",
                means(TurnedOff, "the activity stream of RDS database", High)
                    .target(&["resourceArn"])
                    .why("database activity is no longer audited")
                    .check(CHECK_CALLER),
            )],
        ),
        Selector::calls(
            "bedrock.amazonaws.com",
            &[
                Call::named(
                    "DeleteModelInvocationLoggingConfiguration",
                    means(TurnedOff, "Bedrock model invocation logging", High)
                        .why("prompts and responses are no longer logged: model abuse leaves no record")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "PutModelInvocationLoggingConfiguration",
                    means(Changed, "Bedrock model invocation logging", Low)
                        .check("Confirm the new log destination belongs to you"),
                )
                .refine(INVOCATION_LOGGING),
            ],
        ),
        Selector::calls(
            "logs.amazonaws.com",
            &[
                Call::named(
                    "DeleteLogGroup",
                    means(Deleted, "CloudWatch log group", Medium)
                        .target(&["logGroupName"])
                        .why("the group's log events are gone, with the evidence they held")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DeleteLogStream",
                    means(Deleted, "CloudWatch log stream", Low)
                        .target(&["logGroupName"])
                        .why("the stream's log events are gone"),
                ),
            ],
        ),
    ],
    &[],
    &["T1562.008", "T1070"],
)
.answers(&[
    "panther:aws_rds_activity_stream_stopped",
    "panther:aws_bedrock_deletemodelinvocationloggingconfiguration",
    "elastic:defense_evasion_bedrock_model_invocation_logging_disabled_or_modified",
    "elastic:impact_bedrock_api_key_destructive_action",
    "elastic:impact_cloudwatch_log_group_deletion",
    "elastic:impact_cloudwatch_log_stream_deletion",
]);

/// [`invocation_logging`] and what it decides.
pub const INVOCATION_LOGGING: Judge = Judge {
    assess: invocation_logging,
    decides: "HIGH when no kind of model data is delivered any more",
};

/// PutModelInvocationLoggingConfiguration: logging left on with every data
/// kind off records nothing.
pub fn invocation_logging(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let config = &request["loggingConfig"];
    let kinds = [
        "textDataDeliveryEnabled",
        "imageDataDeliveryEnabled",
        "embeddingDataDeliveryEnabled",
        "videoDataDeliveryEnabled",
    ];
    let delivered = kinds.iter().any(|kind| config[kind] == Value::Bool(true));
    if config.is_object() && !delivered {
        finding.describe(
            TurnedOff,
            "Bedrock model invocation logging (no data delivered)",
        );
        finding.raise(
            High,
            "the configuration delivers no text, image, embedding or video data: invocations are no longer recorded".to_owned(),
        );
    }
    Ok(())
}

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
    advanced_event_selectors: Option<Vec<AdvancedSelector>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct EventSelector {
    read_write_type: Option<String>,
    include_management_events: Option<bool>,
    exclude_management_event_sources: Vec<String>,
}

/// One advanced event selector: its field selectors must all match.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct AdvancedSelector {
    #[serde(alias = "FieldSelectors")]
    field_selectors: Vec<FieldSelector>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct FieldSelector {
    #[serde(alias = "Field")]
    field: String,
    #[serde(alias = "Equals")]
    equals: Vec<String>,
}

/// [`event_selectors`] and what it decides.
pub const EVENT_SELECTORS: Judge = Judge {
    assess: event_selectors,
    decides: "HIGH when management events are dropped or narrowed, by basic or advanced event selectors",
};

/// PutEventSelectors: HIGH when management events are dropped or narrowed.
pub fn event_selectors(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Selectors = request(event)?;
    let object = finding.object.clone();
    let narrowed = match request.advanced_event_selectors {
        Some(advanced) => advanced_narrowing(&advanced),
        None => basic_narrowing(&request.event_selectors.unwrap_or_default()),
    };
    if !narrowed.is_empty() {
        finding.describe(Verb::Weakened, &object);
    }
    for reason in narrowed {
        finding.raise(Severity::High, reason);
    }
    Ok(())
}

/// How basic event selectors narrow management events.
fn basic_narrowing(selectors: &[EventSelector]) -> Vec<String> {
    let management: Vec<&EventSelector> = selectors
        .iter()
        .filter(|s| s.include_management_events != Some(false))
        .collect();
    if management.is_empty() {
        return vec!["no selector includes management events: API activity is no longer recorded by this trail".to_owned()];
    }
    let mut narrowed = Vec::new();
    for selector in management {
        let kind = selector.read_write_type.as_deref().unwrap_or("All");
        if kind != "All" {
            narrowed.push(format!("management events are recorded only when {kind}: the other half of API activity is not"));
        }
        if !selector.exclude_management_event_sources.is_empty() {
            narrowed.push(format!(
                "management events of {} are excluded",
                selector.exclude_management_event_sources.join(", ")
            ));
        }
    }
    narrowed
}

/// How advanced event selectors narrow management events: every management
/// event is recorded only when a selector has `eventCategory` equal to
/// `Management` and no other field selector.
fn advanced_narrowing(selectors: &[AdvancedSelector]) -> Vec<String> {
    let management: Vec<&AdvancedSelector> = selectors
        .iter()
        .filter(|s| {
            s.field_selectors
                .iter()
                .any(|f| f.field == "eventCategory" && f.equals.iter().any(|v| v == "Management"))
        })
        .collect();
    if management.is_empty() {
        return vec!["no advanced event selector selects management events: API activity is no longer recorded by this trail".to_owned()];
    }
    if management.iter().any(|s| s.field_selectors.len() == 1) {
        return Vec::new();
    }
    let fields: Vec<&str> = management
        .iter()
        .flat_map(|s| s.field_selectors.iter().map(|f| f.field.as_str()))
        .filter(|f| *f != "eventCategory")
        .collect();
    vec![format!(
        "management events are selected only where {} also match: the rest of API activity is not recorded",
        fields.join(", ")
    )]
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TrailUpdate {
    is_multi_region_trail: Option<bool>,
    include_global_service_events: Option<bool>,
    is_organization_trail: Option<bool>,
    enable_log_file_validation: Option<bool>,
}

/// [`update_trail`] and what it decides.
pub const UPDATE_TRAIL: Judge = Judge {
    assess: update_trail,
    decides: "HIGH when the trail is made single-region, stops recording global service events or stops being an organization trail; MEDIUM when log file validation is turned off",
};

/// UpdateTrail: what the trail stops recording.
pub fn update_trail(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let update: TrailUpdate = request(event)?;
    let object = finding.object.clone();
    let mut dropped = Vec::new();
    if update.is_multi_region_trail == Some(false) {
        dropped.push("the trail now records its home region only: activity in every other region is no longer recorded");
    }
    if update.include_global_service_events == Some(false) {
        dropped.push(
            "global service events (IAM, STS, CloudFront) are no longer recorded by this trail",
        );
    }
    if update.is_organization_trail == Some(false) {
        dropped.push("the trail is no longer an organization trail: the member accounts' activity is no longer recorded");
    }
    if !dropped.is_empty() {
        finding.describe(Verb::Weakened, &object);
    }
    for reason in dropped {
        finding.raise(Severity::High, reason.to_owned());
    }
    if update.enable_log_file_validation == Some(false) {
        finding.raise(
            Severity::Medium,
            "log file validation is off: changes to delivered log files can no longer be detected"
                .to_owned(),
        );
    }
    Ok(())
}

/// [`insight_selectors`] and what it decides.
pub const INSIGHT_SELECTORS: Judge = Judge {
    assess: insight_selectors,
    decides: "HIGH when every Insights selector is removed",
};

/// PutInsightSelectors with no selector turns CloudTrail Insights off.
pub fn insight_selectors(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let selectors = request
        .get("insightSelectors")
        .or_else(|| request.get("InsightSelectors"));
    if selectors.is_none_or(|s| s.as_array().is_some_and(Vec::is_empty) || s.is_null()) {
        let object = finding.object.clone();
        finding.describe(Verb::TurnedOff, &object);
        finding.raise(
            Severity::High,
            "every Insights selector was removed: unusual API call volumes and error rates are no longer detected".to_owned(),
        );
    }
    Ok(())
}
