//! Health alerts: the monitor's own CloudWatch alarms changing state, as
//! EventBridge delivers them (`CloudWatch Alarm State Change`). They become
//! alerts of the `trailwatch-health` monitor, with the same document,
//! attributes and routing as every other alert.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::alert::{Actor, Alert, MAX_FIELD_BYTES, Outcome, SCHEMA, SCHEMA_VERSION};
use crate::event::Event;
use crate::text::{clip, shell_command};
use contract::Severity;

/// Monitor id of health alerts.
pub const MONITOR: &str = "trailwatch-health";
/// Title of the health monitor.
pub const MONITOR_TITLE: &str = "trailwatch health";
/// EventBridge sources of alarm state changes: CloudWatch's guide ("Alarm
/// events and EventBridge") shows `aws.cloudwatch`, EventBridge's events
/// reference lists them under both `aws.cloudwatch` and `aws.monitoring`.
/// Both are taken, so the health rule hears either.
pub const SOURCES: [&str; 2] = ["aws.cloudwatch", "aws.monitoring"];
/// EventBridge detail-type of alarm state changes.
pub const DETAIL_TYPE: &str = "CloudWatch Alarm State Change";
use contract::names::{ALARM_INFIX, FORWARDING_BUS_SUFFIX, alarm_name_prefix};

/// The part of an alarm state change the alert reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Change {
    alarm_name: Option<String>,
    state: State,
    previous_state: State,
    configuration: Configuration,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct State {
    value: Option<String>,
    reason: Option<String>,
    timestamp: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Configuration {
    description: Option<String>,
}

/// An alarm's state, as the alert judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AlarmState {
    Alarm,
    Ok,
    Other,
}

impl AlarmState {
    fn of(value: Option<&str>) -> Self {
        match value {
            Some("ALARM") => Self::Alarm,
            Some("OK") => Self::Ok,
            _ => Self::Other,
        }
    }

    /// HIGH when the monitor is failing, LOW when it recovered; a state the
    /// rule does not select (INSUFFICIENT_DATA) is worth a look, not a page.
    fn severity(self) -> Severity {
        match self {
            Self::Alarm => Severity::High,
            Self::Ok => Severity::Low,
            Self::Other => Severity::Medium,
        }
    }
}

/// The health rule's pattern: alarms whose names start with `prefix` (JSON:
/// a string, or the template's `Fn::Sub`) entering ALARM, or returning to OK
/// from ALARM; not the OK every new alarm reaches from INSUFFICIENT_DATA.
pub fn pattern(prefix: Value) -> Value {
    json!({
        "source": SOURCES,
        "detail-type": [DETAIL_TYPE],
        "detail": {
            "alarmName": [{"prefix": prefix}],
            "$or": [
                {"state": {"value": ["ALARM"]}},
                {"state": {"value": ["OK"]}, "previousState": {"value": ["ALARM"]}},
            ],
        },
    })
}

/// Whether the health rule of stack `stack` delivers `event`: what
/// [`pattern`] selects, decided in process (as `simulate` needs).
pub fn delivered(event: &Event<'_>, stack: &str) -> bool {
    if !is_alarm_change(event) {
        return false;
    }
    let change: Change = serde_json::from_str(event.detail.get()).unwrap_or_default();
    let prefix = alarm_name_prefix(stack);
    let named = change
        .alarm_name
        .is_some_and(|name| name.starts_with(&prefix));
    let state = AlarmState::of(change.state.value.as_deref());
    let previous = AlarmState::of(change.previous_state.value.as_deref());
    named
        && (state == AlarmState::Alarm
            || (state == AlarmState::Ok && previous == AlarmState::Alarm))
}

/// Whether `event` is an alarm state change (only the health rule delivers them;
/// no one may put events with an `aws.` source on a bus).
pub fn is_alarm_change(event: &Event<'_>) -> bool {
    event
        .envelope
        .source
        .as_deref()
        .is_some_and(|source| SOURCES.contains(&source))
        && event.envelope.detail_type.as_deref() == Some(DETAIL_TYPE)
}

/// The health alert for an alarm state change. A detail that cannot be read
/// still alerts, naming what is missing.
pub fn alert<'a>(event: &Event<'a>) -> Alert<'a> {
    let change: Change = serde_json::from_str(event.detail.get()).unwrap_or_default();
    let name = change.alarm_name.as_deref().unwrap_or("(unnamed alarm)");
    let value = change.state.value.as_deref();
    let state = AlarmState::of(value);
    let envelope = &event.envelope;
    let region = envelope.region.as_deref();
    // Short, as CloudWatch words its own: the subject keeps 99 characters.
    let title = match state {
        AlarmState::Alarm => format!("ALARM: {name}"),
        AlarmState::Ok => format!("OK again: {name}"),
        AlarmState::Other => format!("{}: {name}", value.unwrap_or("no state")),
    };
    let mut reasons = Vec::new();
    reasons.extend(change.configuration.description.clone());
    if let Some(reason) = &change.state.reason {
        reasons.push(format!("CloudWatch: {reason}"));
    }
    if let Some(previous) = &change.previous_state.value {
        let since = change
            .previous_state
            .timestamp
            .as_deref()
            .map(|t| format!(" since {t}"))
            .unwrap_or_default();
        reasons.push(format!("previous state {previous}{since}"));
    }
    let field = |s: Option<&str>| s.map(|s| clip(s, MAX_FIELD_BYTES));
    Alert {
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        event_id: field(envelope.id.as_deref()),
        monitor: MONITOR,
        monitor_title: MONITOR_TITLE,
        monitors: vec![MONITOR],
        severity: state.severity(),
        title,
        outcome: Outcome::Succeeded,
        error: None,
        reasons,
        next_steps: next_steps(name, region, state),
        controls: Vec::new(),
        techniques: Vec::new(),
        actor: Actor {
            kind: Some("AWSService".to_owned()),
            name: "CloudWatch".to_owned(),
            ..Actor::default()
        },
        target: Some(name.to_owned()),
        event_source: Some(SOURCES[0].to_owned()),
        event_name: Some(DETAIL_TYPE.to_owned()),
        account: field(envelope.account.as_deref()),
        account_name: None,
        region: field(region),
        time: field(
            change
                .state
                .timestamp
                .as_deref()
                .or(envelope.time.as_deref()),
        ),
        console_url: Some(console_url(region, name)),
        event: Some(event.detail),
        event_excerpt: None,
        digest: None,
        state: None,
    }
    .bounded(MAX_FIELD_BYTES)
}

/// What to run: the status report, and for a failing handler its recent log.
fn next_steps(alarm: &str, region: Option<&str>, state: AlarmState) -> Vec<String> {
    let Some((stack, kind)) = alarm.rsplit_once(ALARM_INFIX) else {
        return Vec::new();
    };
    // A forwarder's alarm is named after the home stack's forwarding bus: its
    // region's report is part of the home stack's status.
    if let Some(home) = stack.strip_suffix(FORWARDING_BUS_SUFFIX) {
        return shell_command(
            "cargo xtask status --stack-name {stack}",
            &[("stack", home)],
        )
        .into_iter()
        .collect();
    }
    let region = region.unwrap_or("us-east-1");
    let values = [("stack", stack), ("region", region)];
    let mut steps: Vec<Option<String>> = vec![shell_command(
        "cargo xtask status --stack-name {stack} --region {region}",
        &values,
    )];
    if state == AlarmState::Alarm && kind == "handler-errors" {
        let log_group = format!("/trailwatch/{stack}/handler");
        steps.push(shell_command(
            "aws logs tail {group} --since 1h --region {region}",
            &[("group", &log_group), ("region", region)],
        ));
    }
    steps.into_iter().flatten().collect()
}

/// The alarm in the CloudWatch console; the alarm list when the name or
/// region is not a plain token (no event can steer the link elsewhere).
fn console_url(region: Option<&str>, alarm: &str) -> String {
    let is_name = |s: &&str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    };
    let region = crate::alert::console_region(region);
    let base = format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:"
    );
    match Some(alarm).filter(is_name) {
        Some(name) => format!("{base}alarm/{name}"),
        None => base,
    }
}
