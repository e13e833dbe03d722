//! Offline simulation: CloudTrail input files through the generated rule pattern
//! and the handler core, printing the alerts that would be published.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use handler::Detection;
use handler::canary::{self, Arrival};
use handler::event::Event;
use handler::health;
use handler::pipeline;
use handler::render::{self, Message, document};
use handler::state::{MemoryStore, Store};
use handler::stateful::{Learning, Observation};
use handler::text::needs_escape;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use time::Date;

use crate::local::records::Input;
use crate::terminal;

/// What would happen to one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulated {
    pub file: String,
    pub index: usize,
    /// Whether the generated rules would deliver the event to the handler.
    pub matched_rule: bool,
    /// The enabled monitors selecting it.
    pub monitors: Vec<String>,
    pub monitor: Option<String>,
    pub severity: Option<String>,
    /// The published subject; none when nothing is published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The suppression that hides the alert, when one does.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
    /// The alert waits in the digest queue for the next digest.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
    /// Why a closer look found no alert, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dismissed: Option<String>,
    /// The deployment's canary, recorded and never alerted: where it was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<Arrival>,
    /// The alert document: published, or kept back by a suppression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<Value>,
    /// The Publish request the handler would send; none when nothing is published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish: Option<Publish>,
    /// The alert documents of the stateful monitors the event made cross.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stateful: Vec<Value>,
    /// When asked for, the OCSF Detection Findings of the event's alert
    /// (even one a suppression keeps back) and of its crossings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ocsf: Vec<Value>,
}

/// What stateful monitors remember across the simulated events: the store
/// in memory, with the semantics of the handler's DynamoDB table.
pub struct Memory {
    store: Store,
    learning: Learning,
    runtime: tokio::runtime::Runtime,
}

impl Memory {
    /// An empty memory.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            store: Store::Memory(MemoryStore::default()),
            learning: Learning::default(),
            runtime: tokio::runtime::Builder::new_current_thread().build()?,
        })
    }

    /// The alert documents of the crossings the observations make, and
    /// their OCSF findings when `ocsf` holds.
    fn observe(
        &self,
        raw: &RawValue,
        observations: Vec<Observation>,
        ocsf: bool,
    ) -> (Vec<Value>, Vec<Value>) {
        let Ok(event) = Event::parse(raw) else {
            return (Vec::new(), Vec::new());
        };
        let (mut documents, mut findings) = (Vec::new(), Vec::new());
        for observation in observations {
            let crossing = self
                .runtime
                .block_on(observation.observe(&self.store, &self.learning));
            // The store in memory never fails.
            if let Ok(Some(crossing)) = crossing {
                let alert = handler::observing::alert(&crossing, &event);
                documents.extend(serde_json::from_str(&document(&alert)).ok());
                if ocsf {
                    findings.push(ocsf_finding(&alert));
                }
            }
        }
        (documents, findings)
    }
}

/// An SNS Publish request, as the handler sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publish {
    pub subject: String,
    /// The `MessageStructure=json` message, as sent.
    pub message: String,
    pub message_attributes: BTreeMap<&'static str, Attribute>,
    /// The request's size as SNS counts it against its 262,144-byte limit.
    pub bytes: usize,
}

/// One message attribute, as the SNS API spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    pub data_type: &'static str,
    pub string_value: String,
}

impl From<Message> for Publish {
    fn from(message: Message) -> Self {
        Self {
            bytes: message.size(),
            message_attributes: message
                .attributes
                .into_iter()
                .map(|(name, value)| {
                    let attribute = Attribute {
                        data_type: render::ATTRIBUTE_TYPE,
                        string_value: value,
                    };
                    (name, attribute)
                })
                .collect(),
            subject: message.subject,
            message: message.body,
        }
    }
}

/// A suppression hiding an alert, as `suppressed_by` and `suppressed_in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    /// The suppression's reason.
    #[serde(rename = "suppressed_by")]
    pub by: String,
    #[serde(rename = "suppressed_in")]
    pub place: SuppressedIn,
}

/// Where a suppression holds an event back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressedIn {
    /// In the rule pattern: the event never invokes the handler.
    Rule,
    /// In the handler, which logs and counts it.
    Handler,
}

impl SuppressedIn {
    /// The place as the JSON output names it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Rule => "rule",
            Self::Handler => "handler",
        }
    }
}

/// Whether a simulation renders the Publish request (what JSON output shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Judge only: the subject, not the whole request.
    Skip,
    /// Also render the request exactly as the handler would.
    Render,
    /// Judge, and render the alerts as OCSF Detection Findings.
    Ocsf,
}

/// The OCSF finding of `alert`, timed now when its event has no time.
fn ocsf_finding(alert: &handler::alert::Alert<'_>) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    handler::ocsf::finding(alert, i64::try_from(now).unwrap_or(i64::MAX))
}

/// Runs one event through the rules the configuration generates for stack
/// `stack` and the handler core, with the suppressions in force `today`. An
/// alarm state change goes through the stack's health rule instead. With a
/// `memory`, stateful monitors observe the event too.
pub fn simulate(
    input: &Input,
    detection: &Detection,
    stack: &str,
    today: Date,
    request: Request,
    memory: Option<&Memory>,
) -> Simulated {
    let mut simulated = Simulated {
        file: input.file.clone(),
        index: input.index,
        matched_rule: false,
        monitors: Vec::new(),
        monitor: None,
        severity: None,
        subject: None,
        suppressed: None,
        deferred: false,
        dismissed: None,
        canary: None,
        alert: None,
        publish: None,
        stateful: Vec::new(),
        ocsf: Vec::new(),
    };
    // The handler reads the JSON text, as the Lambda runtime hands it over;
    // serialising a `Value` cannot fail.
    let Ok(raw) = serde_json::value::to_raw_value(&input.envelope) else {
        return simulated;
    };
    if let Ok(event) = Event::parse(&raw)
        && health::is_alarm_change(&event)
    {
        simulated.matched_rule = health::delivered(&event, stack);
        if simulated.matched_rule {
            simulated.monitors = vec![health::MONITOR.to_owned()];
        }
    } else if let Ok(event) = Event::parse(&raw)
        && canary::recognise(&detection.own, &event).is_some()
    {
        // The canary's own pattern is in the rules whenever it runs.
        simulated.matched_rule = true;
        simulated.monitors = vec![canary::MONITOR.to_owned()];
    } else if let Ok(event) = Event::parse(&raw) {
        simulated.monitors = detection
            .selection
            .matching(&event)
            .iter()
            .map(|m| m.id.to_owned())
            .collect();
        simulated.matched_rule = detection.delivers(&event, today);
    }
    if simulated.monitors.is_empty() {
        return simulated;
    }
    let judged = pipeline::judge(&raw, detection, today);
    if let Some(memory) = memory
        && simulated.matched_rule
    {
        (simulated.stateful, simulated.ocsf) =
            memory.observe(&raw, judged.observations, request == Request::Ocsf);
    }
    let verdict = judged.verdict;
    match &verdict {
        pipeline::Verdict::Suppressed { reason, .. } => {
            simulated.suppressed = Some(Suppressed {
                by: reason.clone(),
                place: if simulated.matched_rule {
                    SuppressedIn::Handler
                } else {
                    SuppressedIn::Rule
                },
            });
        }
        pipeline::Verdict::Dismissed { reason, .. } => simulated.dismissed = Some(reason.clone()),
        pipeline::Verdict::Canary(arrival) => {
            simulated.monitor = Some(canary::MONITOR.to_owned());
            simulated.canary = Some(arrival.clone());
        }
        pipeline::Verdict::Raise(_) | pipeline::Verdict::Observed => {}
    }
    let Some(alert) = verdict.alert() else {
        return simulated;
    };
    simulated.monitor = Some(alert.monitor.to_owned());
    simulated.severity = Some(alert.severity.to_string());
    simulated.alert = serde_json::from_str(&document(&alert)).ok();
    if request == Request::Ocsf {
        simulated.ocsf.insert(0, ocsf_finding(&alert));
    }
    if simulated.suppressed.is_none() && simulated.dismissed.is_none() {
        simulated.deferred = detection.defers(alert.severity, raw.get().len());
        simulated.subject = Some(render::subject(&alert));
        if !simulated.deferred && request == Request::Render {
            let message = render::render(alert);
            simulated.subject = Some(message.subject.clone());
            simulated.publish = Some(Publish::from(message));
        }
    }
    simulated
}

/// `simulated` as one line of JSON. Besides what JSON escapes, DEL, C1 control
/// codes (CSI among them) and bidirectional overrides are written as `\uXXXX`, so
/// the line is safe to show in a terminal and means the same.
pub(crate) fn json_line(simulated: &Simulated) -> String {
    // Serialising strings, numbers and JSON values cannot fail.
    safe_json(&serde_json::to_string(simulated).unwrap_or_default())
}

/// One line of JSON with the characters a terminal acts on written as
/// `\uXXXX` (see [`json_line`]).
pub(crate) fn safe_json(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if needs_escape(c) {
            // Outside strings JSON text has no such characters: each is inside one.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Orders events by `eventTime` (RFC 3339 in UTC, so text order is time
/// order), as stateful monitors must see them; stable, so events of one
/// instant keep the order they were read in, and events without a time come first.
pub fn in_time_order(inputs: &mut [Input]) {
    inputs.sort_by_cached_key(|input| {
        input.envelope["detail"]["eventTime"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    });
}

/// A human-readable report of one simulated event, then of each stateful
/// alert it raised.
pub fn describe(simulated: &Simulated) -> String {
    let mut text = describe_alone(simulated);
    for alert in &simulated.stateful {
        let shown = |value: &Value| terminal::value(value.as_str().unwrap_or("?"));
        let _ = write!(
            text,
            "\n    stateful monitor {} raises [{}] {}: {}",
            shown(&alert["monitor"]),
            shown(&alert["severity"]),
            shown(&alert["title"]),
            reasons(alert)
        );
    }
    text
}

/// An alert document's reasons, shown safely, joined.
fn reasons(alert: &Value) -> String {
    let reasons: Vec<String> = alert["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| terminal::value(r.as_str().unwrap_or("?")))
        .collect();
    reasons.join("; ")
}

fn describe_alone(simulated: &Simulated) -> String {
    let place = if simulated.index == 0 {
        terminal::value(&simulated.file)
    } else {
        format!("{}[{}]", terminal::value(&simulated.file), simulated.index)
    };
    let shown = |value: &Value| terminal::value(value.as_str().unwrap_or("?"));
    if let Some(arrival) = &simulated.canary {
        return format!(
            "{place}: the deployment's canary from {}/{}: counted, no alert",
            terminal::value(&arrival.account),
            terminal::value(&arrival.region)
        );
    }
    if let (Some(reason), Some(alert)) = (&simulated.dismissed, &simulated.alert) {
        return format!(
            "{place}: no alert ({}): {}",
            shown(&alert["monitor"]),
            terminal::value(reason)
        );
    }
    if let (Some(suppressed), Some(alert)) = (&simulated.suppressed, &simulated.alert) {
        return format!(
            "{place}: suppressed in the {} by \"{}\"; would have raised [{}] {}",
            suppressed.place.as_str(),
            terminal::value(&suppressed.by),
            shown(&alert["severity"]),
            shown(&alert["title"])
        );
    }
    match (&simulated.subject, &simulated.alert) {
        (Some(subject), Some(alert)) => {
            let wait = if simulated.deferred {
                " (waits for the next digest)"
            } else {
                ""
            };
            format!(
                "{place}: {subject}{wait}\n    monitor {}: {}",
                shown(&alert["monitor"]),
                reasons(alert)
            )
        }
        _ => format!("{place}: no alert (the rule does not deliver this event)"),
    }
}
