//! Offline simulation: CloudTrail input files through the generated rule pattern
//! and the handler core, printing the alerts that would be published.

use std::io::Read;

use anyhow::{Context, Result, bail};
use flate2::read::GzDecoder;
use handler::Detection;
use handler::alert;
use handler::event::Event;
use handler::render::{self, document};
use handler::selector::{API_CALL, SIGN_IN};
use serde::Serialize;
use serde_json::{Value, json};
use time::Date;

/// One event read from an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub file: String,
    /// Position of the record in a log file or list, else 0.
    pub index: usize,
    pub envelope: Value,
}

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
    /// The alert document: published, or kept back by a suppression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<Value>,
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
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rule => "rule",
            Self::Handler => "handler",
        }
    }
}

/// Reads `path` (`-` for standard input), plain or gzipped: an EventBridge event,
/// a raw CloudTrail record, a CloudTrail log file (`{"Records": [...]}`), or a list.
pub fn read(path: &str) -> Result<Vec<Input>> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read"))?;
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut text)
            .with_context(|| format!("{path}: not a valid gzip file"))?;
        bytes = text;
    }
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{path}: invalid JSON: {e}"))?;
    let items = match value {
        Value::Object(mut map) if map.contains_key("Records") => match map.remove("Records") {
            Some(Value::Array(records)) => records,
            _ => bail!("{path}: `Records` is not a list"),
        },
        Value::Array(items) => items,
        single => vec![single],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let envelope = envelope(item).with_context(|| format!("{path}: item {index}"))?;
            Ok(Input {
                file: path.to_owned(),
                index,
                envelope,
            })
        })
        .collect()
}

/// An EventBridge envelope as is; a raw CloudTrail record wrapped as EventBridge wraps it.
fn envelope(item: Value) -> Result<Value> {
    if item.get("detail").is_some() {
        return Ok(item);
    }
    let Some(event_source) = item.get("eventSource").and_then(Value::as_str) else {
        bail!(
            "neither an EventBridge event (no `detail`) nor a CloudTrail record (no `eventSource`)"
        );
    };
    let label = event_source.split('.').next().unwrap_or(event_source);
    let detail_type = if item["eventName"] == "ConsoleLogin" {
        SIGN_IN[0]
    } else {
        API_CALL
    };
    Ok(json!({
        "version": "0",
        "id": item.get("eventID").cloned().unwrap_or(json!("simulated")),
        "detail-type": detail_type,
        "source": format!("aws.{label}"),
        "account": item.get("recipientAccountId").or(item.pointer("/userIdentity/accountId")).cloned().unwrap_or(Value::Null),
        "time": item.get("eventTime").cloned().unwrap_or(Value::Null),
        "region": item.get("awsRegion").cloned().unwrap_or(Value::Null),
        "resources": [],
        "detail": item,
    }))
}

/// Runs one event through the rules the configuration generates and the
/// handler core, with the suppressions in force `today`.
pub fn simulate(input: &Input, detection: &Detection, today: Date) -> Simulated {
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
        alert: None,
    };
    // The handler reads the JSON text, as the Lambda runtime hands it over;
    // serialising a `Value` cannot fail.
    let Ok(raw) = serde_json::value::to_raw_value(&input.envelope) else {
        return simulated;
    };
    if let Ok(event) = Event::parse(&raw) {
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
    let verdict = alert::judge(&raw, detection, today);
    if let alert::Verdict::Suppressed { reason, .. } = &verdict {
        simulated.suppressed = Some(Suppressed {
            by: reason.clone(),
            place: if simulated.matched_rule {
                SuppressedIn::Handler
            } else {
                SuppressedIn::Rule
            },
        });
    }
    let alert = verdict.alert();
    simulated.monitor = Some(alert.monitor.to_owned());
    simulated.severity = Some(alert.severity.to_string());
    if simulated.suppressed.is_none() {
        simulated.subject = Some(render::subject(&alert));
        simulated.deferred = detection.defers(alert.severity, raw.get().len());
    }
    simulated.alert = serde_json::from_str(&document(&alert)).ok();
    simulated
}

/// A human-readable report of one simulated event.
pub fn describe(simulated: &Simulated) -> String {
    let place = if simulated.index == 0 {
        simulated.file.clone()
    } else {
        format!("{}[{}]", simulated.file, simulated.index)
    };
    if let (Some(suppressed), Some(alert)) = (&simulated.suppressed, &simulated.alert) {
        return format!(
            "{place}: suppressed in the {} by {:?}; would have raised [{}] {}",
            suppressed.place.as_str(),
            suppressed.by,
            alert["severity"].as_str().unwrap_or("?"),
            alert["title"].as_str().unwrap_or("?")
        );
    }
    match (&simulated.subject, &simulated.alert) {
        (Some(subject), Some(alert)) => {
            let reasons: Vec<&str> = alert["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let wait = if simulated.deferred {
                " (waits for the next digest)"
            } else {
                ""
            };
            format!(
                "{place}: {subject}{wait}\n    monitor {}: {}",
                alert["monitor"].as_str().unwrap_or("?"),
                reasons.join("; ")
            )
        }
        _ => format!("{place}: no alert (the rule does not deliver this event)"),
    }
}
