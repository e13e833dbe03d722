//! `trailwatch-tamper`: changes to trailwatch's own rules, function, topics,
//! key, log group, queues, alarms, schedules and stacks that CloudFormation
//! did not make (the monitor selects only calls without `invokedBy`).
//!
//! On trailwatch's own resources a change is CRITICAL (deletions of its
//! stacks too); a subscription removed is HIGH (`cargo xtask smoke` removes
//! its own) and a redeploy of its stacks MEDIUM, since `cargo xtask deploy`
//! executes change sets as the person deploying. On anyone else's
//! resources only what detection rule sets flag stays an alert (a rule
//! disabled or deleted, alarm actions disabled: MEDIUM by the call's rule);
//! other calls are dismissed.

use serde_json::Value;
use serde_json::value::RawValue;

use super::{Finding, OwnJudge, ReadError, parse};
use crate::event::Event;
use crate::own::Own;
use crate::severity::Severity;

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

/// [`assess`] and what it decides.
pub const JUDGE: OwnJudge = OwnJudge {
    assess,
    decides: "CRITICAL on trailwatch's own resources (HIGH for a subscription removed, MEDIUM for a redeploy of its stacks); on others' only a rule disabled or deleted and alarm actions disabled stay alerts",
};

/// What the call did to trailwatch's own resources, if anything.
pub fn assess(event: &Event<'_>, own: &Own, finding: &mut Finding) -> Result<(), ReadError> {
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
