//! The alert document: everything a subscriber needs to act on one event.

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::assess::{self, Finding};
use crate::catalog::{self, Monitor};
use crate::event::{Event, UserIdentity};
use crate::severity::Severity;
use crate::text::clip;

/// Name of the alert JSON schema.
pub const SCHEMA: &str = "trailwatch.alert";
/// Version of the alert JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;
/// Monitor id of alerts for events no monitor could judge.
pub const REVIEW_MONITOR: &str = "unrecognised";
/// Severity of alerts for events no monitor could judge: the rule only delivers
/// sensitive calls, so one that cannot be read deserves a prompt look.
pub const REVIEW_SEVERITY: Severity = Severity::High;
/// Longest identity, name or header field kept, in bytes.
const MAX_FIELD_BYTES: usize = 512;

/// Whether the call succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Succeeded,
    Failed,
    Unknown,
}

/// The error a failed call returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallError {
    pub code: String,
    pub message: Option<String>,
}

/// Who made the call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: String,
    pub arn: Option<String>,
    pub account: Option<String>,
    pub session_issuer: Option<String>,
    pub mfa: Option<bool>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    /// The actor of an event whose identity could not be read.
    fn unknown() -> Self {
        Self {
            name: "unknown principal".to_owned(),
            ..Self::default()
        }
    }
}

/// One alert, serialised as the machine-readable document.
#[derive(Debug, Clone, Serialize)]
pub struct Alert<'a> {
    pub schema: &'static str,
    pub schema_version: u32,
    /// CloudTrail `eventID`: subscribers dedupe on it (EventBridge may deliver twice).
    pub event_id: Option<String>,
    pub monitor: &'static str,
    pub monitor_title: &'static str,
    pub severity: Severity,
    pub title: String,
    pub outcome: Outcome,
    pub error: Option<CallError>,
    pub reasons: Vec<String>,
    pub actor: Actor,
    pub target: Option<String>,
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub time: Option<String>,
    pub console_url: Option<String>,
    /// The raw event (the envelope's `detail`, or the whole input for unreadable events),
    /// embedded as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'a RawValue>,
    /// The start of the raw event's JSON text, when the whole would not fit SNS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_excerpt: Option<String>,
}

/// Judges one delivered event. Never fails: what cannot be read or matched becomes
/// a review alert carrying the raw input.
pub fn judge(raw: &RawValue) -> Alert<'_> {
    let event = match Event::parse(raw) {
        Ok(event) => event,
        Err(error) => return Alert::review(raw, None, None, &error.to_string()),
    };
    let record = &event.record;
    let (source, name) = (
        record.event_source.as_deref().unwrap_or(""),
        record.event_name.as_deref().unwrap_or(""),
    );
    let Some(monitor) = catalog::for_call(source, name) else {
        let why = format!("no monitor judges eventSource {source:?} eventName {name:?}");
        return Alert::review(event.detail, Some(&event), None, &why);
    };
    match assess::judge(monitor, record) {
        Ok(finding) => Alert::assessed(&event, monitor, finding),
        Err(error) => Alert::review(
            event.detail,
            Some(&event),
            Some(monitor),
            &error.to_string(),
        ),
    }
}

impl<'a> Alert<'a> {
    fn assessed(event: &Event<'a>, monitor: &'static Monitor, finding: Finding) -> Self {
        let mut alert = Self::base(event.detail, Some(event));
        let who = &alert.actor.name;
        alert.title = match &event.record.error_code {
            Some(code) => format!("{who} tried to {} ({code})", finding.tried),
            None => format!("{who} {}", finding.done),
        };
        alert.monitor = monitor.id;
        alert.monitor_title = monitor.title;
        alert.severity = finding.severity;
        alert.reasons = finding.all_reasons();
        alert.target = finding.target;
        alert
    }

    fn review(
        raw: &'a RawValue,
        event: Option<&Event<'a>>,
        monitor: Option<&'static Monitor>,
        why: &str,
    ) -> Self {
        tracing::warn!(why, "event could not be judged; publishing a review alert");
        let mut alert = Self::base(raw, event);
        let call = alert.event_name.as_deref().unwrap_or("an unreadable event");
        alert.title = clip(
            &format!("Unrecognised security event, review: {call}"),
            MAX_FIELD_BYTES,
        );
        alert.reasons = vec![clip(
            &format!("trailwatch could not judge it: {why}"),
            MAX_FIELD_BYTES,
        )];
        if let Some(monitor) = monitor {
            alert.monitor = monitor.id;
            alert.monitor_title = monitor.title;
        }
        if alert.outcome == Outcome::Succeeded {
            alert.outcome = Outcome::Unknown;
        }
        alert
    }

    /// The fields every alert takes from the event, with review defaults for the rest.
    fn base(raw: &'a RawValue, event: Option<&Event<'a>>) -> Self {
        let loose: Value;
        let facts = match event {
            Some(event) => Facts::of(event),
            // Only an unreadable event is parsed as a whole, to find what facts it has.
            None => {
                loose = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                Facts::loose(&loose)
            }
        };
        let field = |s: Option<&str>| s.map(|s| clip(s, MAX_FIELD_BYTES));
        let error = facts.error_code.map(|code| CallError {
            code: clip(code, MAX_FIELD_BYTES),
            message: field(facts.error_message),
        });
        Self {
            schema: SCHEMA,
            schema_version: SCHEMA_VERSION,
            console_url: Some(console_url(facts.region, facts.event_id)),
            event_id: field(facts.event_id),
            monitor: REVIEW_MONITOR,
            monitor_title: "Unrecognised security event",
            severity: REVIEW_SEVERITY,
            title: String::new(),
            outcome: if error.is_some() {
                Outcome::Failed
            } else {
                Outcome::Succeeded
            },
            error,
            reasons: Vec::new(),
            actor: event.map_or_else(Actor::unknown, |e| actor(&e.record.user_identity, e)),
            target: None,
            event_source: field(facts.event_source),
            event_name: field(facts.event_name),
            account: field(facts.account),
            region: field(facts.region),
            time: field(facts.time),
            event: Some(raw),
            event_excerpt: None,
        }
    }
}

/// The event's identifying fields, from the parsed model or, when the event could
/// not be parsed, read loosely from the raw JSON.
struct Facts<'v> {
    event_id: Option<&'v str>,
    event_source: Option<&'v str>,
    event_name: Option<&'v str>,
    account: Option<&'v str>,
    region: Option<&'v str>,
    time: Option<&'v str>,
    error_code: Option<&'v str>,
    error_message: Option<&'v str>,
}

impl<'v> Facts<'v> {
    fn of(event: &'v Event<'_>) -> Self {
        let record = &event.record;
        Self {
            event_id: event.event_id(),
            event_source: record.event_source.as_deref(),
            event_name: record.event_name.as_deref(),
            account: event.account(),
            region: event.region(),
            time: record
                .event_time
                .as_deref()
                .or(event.envelope.time.as_deref()),
            error_code: record.error_code.as_deref(),
            error_message: record.error_message.as_deref(),
        }
    }

    fn loose(raw: &'v Value) -> Self {
        let text = |pointer: &str| raw.pointer(pointer).and_then(Value::as_str);
        Self {
            event_id: text("/detail/eventID"),
            event_source: text("/detail/eventSource"),
            event_name: text("/detail/eventName"),
            account: text("/detail/recipientAccountId").or(text("/account")),
            region: text("/detail/awsRegion").or(text("/region")),
            time: text("/detail/eventTime").or(text("/time")),
            error_code: text("/detail/errorCode"),
            error_message: text("/detail/errorMessage"),
        }
    }
}

fn actor(identity: &UserIdentity, event: &Event<'_>) -> Actor {
    let field = |s: Option<&str>| s.map(|s| clip(s, MAX_FIELD_BYTES));
    Actor {
        kind: field(identity.kind.as_deref()),
        name: clip(&identity.display_name(), MAX_FIELD_BYTES),
        arn: field(identity.arn.as_deref()),
        account: field(identity.account_id.as_deref()),
        session_issuer: field(identity.session_issuer()),
        mfa: identity.mfa(),
        source_ip: field(event.record.source_ip_address.as_deref()),
        user_agent: field(event.record.user_agent.as_deref()),
    }
}

/// A link to the event in the CloudTrail console (event history), or to the
/// region's event history when the record has no id.
/// Region and id are checked to be plain tokens so no event can steer the link elsewhere.
fn console_url(region: Option<&str>, event_id: Option<&str>) -> String {
    let is_token =
        |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let region = region.filter(is_token).unwrap_or("us-east-1");
    let event_id = event_id.filter(is_token);
    let base = format!(
        "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events"
    );
    match event_id {
        Some(id) => format!("{base}/{id}"),
        None => base,
    }
}
