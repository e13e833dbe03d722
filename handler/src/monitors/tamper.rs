//! `trailwatch-tamper`: changes to trailwatch's own rules, function, topics,
//! key, log group, queues, alarms, schedules and stacks that CloudFormation
//! did not make (the monitor selects only calls without `invokedBy`).

use serde_json::Value;
use serde_json::value::RawValue;

use super::{CLOUDWATCH, Failure, LAMBDA, Monitor, NOT_BY_A_SERVICE, Selects, TAMPER, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::parse;
use crate::finding::{Finding, OwnJudge, ReadError};
use crate::own::Own;
use crate::selector::{Call, Selector};
use contract::Severity::{self, Low, Medium};

/// `trailwatch-tamper`.
pub const TRAILWATCH_TAMPER: Monitor = Monitor {
    id: TAMPER,
    title: "trailwatch tampered with",
    packs: &[],
    selects: Selects::Services(&[
        Selector::calls(
            "events.amazonaws.com",
            &[
                Call::named(
                    "DisableRule",
                    means(TurnedOff, "EventBridge rule", Medium)
                        .target(&["name"])
                        .why("a disabled rule delivers nothing: events it selected go unseen")
                        .revert("aws events enable-rule --name {target} --region {region}"),
                ),
                Call::named(
                    "DeleteRule",
                    means(Deleted, "EventBridge rule", Medium)
                        .target(&["name"])
                        .why("a deleted rule delivers nothing: events it selected go unseen"),
                ),
                Call::named(
                    "RemoveTargets",
                    means(Removed, "targets of EventBridge rule", Low).target(&["rule"]),
                ),
                Call::named(
                    "PutRule",
                    means(Changed, "EventBridge rule", Low).target(&["name"]),
                ),
                Call::named(
                    "PutTargets",
                    means(Changed, "targets of EventBridge rule", Low).target(&["rule"]),
                ),
                Call::named(
                    "DeleteEventBus",
                    means(Deleted, "EventBridge bus", Low).target(&["name"]),
                ),
                Call::named(
                    "RemovePermission",
                    means(Removed, "a permission of EventBridge bus", Low)
                        .target(&["eventBusName"]),
                ),
            ],
        )
        .when(NOT_BY_A_SERVICE),
        Selector::calls(
            LAMBDA,
            &[
                Call::prefixed(
                    "UpdateFunctionCode",
                    means(Changed, "the code of Lambda function", Low).target(&["functionName"]),
                ),
                Call::prefixed(
                    "UpdateFunctionConfiguration",
                    means(Changed, "the configuration of Lambda function", Low)
                        .target(&["functionName"]),
                ),
                Call::prefixed(
                    "PutFunctionConcurrency",
                    means(Changed, "the concurrency of Lambda function", Low)
                        .target(&["functionName"]),
                ),
                Call::prefixed(
                    "DeleteFunction",
                    means(Deleted, "Lambda function or its settings", Low)
                        .target(&["functionName"]),
                ),
                Call::prefixed(
                    "AddPermission",
                    means(Added, "a permission to Lambda function", Low).target(&["functionName"]),
                ),
                Call::prefixed(
                    "RemovePermission",
                    means(Removed, "a permission of Lambda function", Low)
                        .target(&["functionName"]),
                ),
                Call::named(
                    "PutFunctionEventInvokeConfig",
                    means(Changed, "the failure destination of Lambda function", Low)
                        .target(&["functionName"]),
                ),
                Call::named(
                    "UpdateFunctionEventInvokeConfig",
                    means(Changed, "the failure destination of Lambda function", Low)
                        .target(&["functionName"]),
                ),
            ],
        )
        .when(NOT_BY_A_SERVICE),
        Selector::calls(
            "sns.amazonaws.com",
            &[
                Call::named(
                    "SetTopicAttributes",
                    means(Changed, "attributes of SNS topic", Low).target(&["topicArn"]),
                ),
                Call::named(
                    "DeleteTopic",
                    means(Deleted, "SNS topic", Low).target(&["topicArn"]),
                ),
                Call::named(
                    "Unsubscribe",
                    means(Removed, "subscription", Low).target(&["subscriptionArn"]),
                ),
                Call::named(
                    "SetSubscriptionAttributes",
                    means(Changed, "attributes of subscription", Low).target(&["subscriptionArn"]),
                ),
                Call::named(
                    "RemovePermission",
                    means(Removed, "a permission of SNS topic", Low).target(&["topicArn"]),
                ),
            ],
        )
        .when(NOT_BY_A_SERVICE),
        Selector::calls(
            "kms.amazonaws.com",
            &[
                Call::named(
                    "DisableKey",
                    means(TurnedOff, "KMS key", Low).target(&["keyId"]),
                ),
                Call::named(
                    "ScheduleKeyDeletion",
                    means(ScheduledDeletion, "KMS key", Low).target(&["keyId"]),
                ),
                Call::named(
                    "PutKeyPolicy",
                    means(Changed, "the policy of KMS key", Low).target(&["keyId"]),
                ),
            ],
        )
        .when(NOT_BY_A_SERVICE),
        Selector::calls(
            "logs.amazonaws.com",
            &[
                Call::named(
                    "DeleteLogGroup",
                    means(Deleted, "log group", Low).target(&["logGroupName"]),
                ),
                Call::named(
                    "PutRetentionPolicy",
                    means(Changed, "the retention of log group", Low).target(&["logGroupName"]),
                ),
                Call::named(
                    "DisassociateKmsKey",
                    means(Removed, "the KMS key of log group", Low).target(&["logGroupName"]),
                ),
            ],
        )
        .when(NOT_BY_A_SERVICE),
        Selector::calls(
            "sqs.amazonaws.com",
            &[
                Call::named(
                    "DeleteQueue",
                    means(Deleted, "SQS queue", Low).target(&["queueUrl"]),
                ),
                Call::named(
                    "SetQueueAttributes",
                    means(Changed, "attributes of SQS queue", Low).target(&["queueUrl"]),
                ),
                Call::named(
                    "PurgeQueue",
                    means(Deleted, "the messages of SQS queue", Low).target(&["queueUrl"]),
                ),
            ],
        )
        .when(NOT_BY_A_SERVICE),
        Selector::calls(
            CLOUDWATCH,
            &[
                Call::named(
                    "DisableAlarmActions",
                    means(TurnedOff, "the actions of CloudWatch alarms", Medium)
                        .why("an alarm without actions notifies no one"),
                ),
                Call::named("DeleteAlarms", means(Deleted, "CloudWatch alarms", Low)),
                Call::named(
                    "SetAlarmState",
                    means(Changed, "the state of CloudWatch alarm", Low).target(&["alarmName"]),
                ),
                Call::named(
                    "PutMetricAlarm",
                    means(Changed, "CloudWatch alarm", Low).target(&["alarmName"]),
                ),
            ],
        )
        .when(NOT_BY_A_SERVICE),
        Selector::calls(
            "scheduler.amazonaws.com",
            &[
                Call::named(
                    "DeleteSchedule",
                    means(Deleted, "EventBridge Scheduler schedule", Low).target(&["name"]),
                ),
                Call::named(
                    "UpdateSchedule",
                    means(Changed, "EventBridge Scheduler schedule", Low).target(&["name"]),
                ),
            ],
        )
        .when(NOT_BY_A_SERVICE),
        Selector::calls(
            "cloudformation.amazonaws.com",
            &[
                Call::named(
                    "DeleteStack",
                    means(Deleted, "CloudFormation stack", Low).target(&["stackName"]),
                ),
                Call::named(
                    "UpdateStack",
                    means(Changed, "CloudFormation stack", Low).target(&["stackName"]),
                ),
                Call::named(
                    "ExecuteChangeSet",
                    means(Changed, "CloudFormation stack", Low).target(&["stackName"]),
                ),
                Call::named(
                    "DeleteStackSet",
                    means(Deleted, "CloudFormation StackSet", Low).target(&["stackSetName"]),
                ),
                Call::named(
                    "UpdateStackSet",
                    means(Changed, "CloudFormation StackSet", Low).target(&["stackSetName"]),
                ),
                Call::named(
                    "DeleteStackInstances",
                    means(Deleted, "instances of CloudFormation StackSet", Low)
                        .target(&["stackSetName"]),
                ),
            ],
        )
        .when(NOT_BY_A_SERVICE),
    ]),
    assess: None,
    own: Some(TAMPER_JUDGE),
    failure: Failure::Attempt,
    reads: false,
    controls: &[],
    techniques: &["T1562.001"],
    state: None,
    references: &[],
};

/// The request parameters that name the resource a selected call acts on.
const RESOURCE_FIELDS: &[&str] = &[
    "name",
    "rule",
    "functionName",
    "topicArn",
    "subscriptionArn",
    "keyId",
    "logGroupName",
    "queueUrl",
    "alarmName",
    "alarmNames",
    "stackName",
    "stackSetName",
    "eventBusName",
];

/// Calls that stay alerts on anyone's resources.
const FLAGGED_ON_ANY: &[&str] = &["DisableRule", "DeleteRule", "DisableAlarmActions"];

/// Calls that redeploy a stack: how `cargo xtask deploy` changes trailwatch.
const REDEPLOYS: &[&str] = &["UpdateStack", "ExecuteChangeSet", "UpdateStackSet"];

/// A subscription of trailwatch's topic removed: HIGH, since `cargo xtask
/// smoke` removes its temporary one this way.
const UNSUBSCRIBE: &str = "Unsubscribe";

/// [`own_resources`] and what it decides.
pub const TAMPER_JUDGE: OwnJudge = OwnJudge {
    assess: own_resources,
    decides: "CRITICAL on trailwatch's own resources (HIGH for a subscription removed, MEDIUM for a redeploy of its stacks); on others' only a rule disabled or deleted and alarm actions disabled stay alerts",
};

/// What the call did to trailwatch's own resources, if anything.
pub fn own_resources(event: &Event<'_>, own: &Own, finding: &mut Finding) -> Result<(), ReadError> {
    let name = event.record.event_name.as_deref().unwrap_or_default();
    let resources = resources(event.record.request_parameters)?;
    let Some(ours) = resources.iter().find(|r| own.owns(r)) else {
        if !FLAGGED_ON_ANY.contains(&name) {
            finding.dismiss(
                "not trailwatch's own resource: the tamper monitor alerts on others' only when a rule is disabled or deleted or alarm actions are disabled",
            );
        }
        return Ok(());
    };
    finding.target(ours);
    if name == UNSUBSCRIBE {
        finding.settle(
            Severity::High,
            format!("{ours} is a subscription of trailwatch's topic: whoever received alerts there no longer does (cargo xtask smoke removes its temporary subscription this way)"),
        );
        finding.step("Check the topic's subscriptions still include every recipient (cargo xtask status lists them)".to_owned());
    } else if REDEPLOYS.contains(&name) {
        finding.settle(
            Severity::Medium,
            format!("{ours} is trailwatch's own stack: it was redeployed, which changes what trailwatch watches and where alerts go"),
        );
        finding.step("Confirm this was a planned deploy of trailwatch (cargo xtask deploy); if not, treat the caller's credentials as compromised".to_owned());
    } else {
        finding.settle(
            Severity::Critical,
            format!("{ours} belongs to trailwatch itself and was changed outside CloudFormation: an attacker silences the monitor before acting"),
        );
        finding.step(
            "Treat the caller's credentials as compromised unless the change was planned"
                .to_owned(),
        );
        if event.failure().is_none() {
            finding.step("Undo the change: a deploy without template changes does not (aws cloudformation detect-stack-drift shows what differs), then run cargo xtask status".to_owned());
        }
    }
    Ok(())
}

/// The strings (or lists of strings) at [`RESOURCE_FIELDS`] of the request.
fn resources(request: Option<&RawValue>) -> Result<Vec<String>, ReadError> {
    let Some(text) = request.map(RawValue::get).filter(|t| *t != "null") else {
        return Ok(Vec::new());
    };
    let request: serde_json::Map<String, Value> = parse("requestParameters", text)?;
    let mut found = Vec::new();
    for field in RESOURCE_FIELDS {
        match request.get(*field) {
            Some(Value::String(value)) => found.push(value.clone()),
            Some(Value::Array(values)) => {
                found.extend(values.iter().filter_map(Value::as_str).map(str::to_owned))
            }
            _ => {}
        }
    }
    Ok(found)
}
