//! Assessment: what a monitored call did, how severe it is, and why.

pub mod bucket_policy;
pub mod iam;
pub mod security_group;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::catalog::Monitor;
use crate::event::Record;
use crate::severity::Severity;
use crate::text::{clip, json_error};

/// How a monitor reads a record into a finding.
pub type Assess = fn(&Record<'_>, &mut Finding) -> Result<(), ReadError>;

/// Most reasons an alert lists; further ones are counted in a last line.
const MAX_REASONS: usize = 20;
/// Longest reason kept, in bytes.
const MAX_REASON_BYTES: usize = 300;
/// Longest object description kept, in bytes.
const MAX_OBJECT_BYTES: usize = 200;

/// A record's service-specific part could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {field}: {message}")]
pub struct ReadError {
    field: &'static str,
    message: String,
}

/// The judgement of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The highest severity any reason raised it to (never below the monitor's default).
    pub severity: Severity,
    /// What happened, past tense without the actor ("created IAM user bob").
    pub done: String,
    /// What was tried, infinitive without the actor ("create IAM user bob").
    pub tried: String,
    /// The resource acted on.
    pub target: Option<String>,
    /// Why the severity is what it is, most important first.
    pub reasons: Vec<String>,
    omitted_reasons: usize,
}

impl Finding {
    fn new(severity: Severity) -> Self {
        Self {
            severity,
            done: String::new(),
            tried: String::new(),
            target: None,
            reasons: Vec::new(),
            omitted_reasons: 0,
        }
    }

    /// Says what the call did: `past` and `base` are the verb's two forms, `object` the rest.
    pub fn describe(&mut self, past: &str, base: &str, object: &str) {
        let object = clip(object, MAX_OBJECT_BYTES);
        self.done = format!("{past} {object}");
        self.tried = format!("{base} {object}");
    }

    /// Sets the resource acted on.
    pub fn target(&mut self, target: &str) {
        self.target = Some(clip(target, MAX_OBJECT_BYTES));
    }

    /// Records a reason and raises the severity to at least `severity`.
    pub fn raise(&mut self, severity: Severity, reason: String) {
        self.severity = self.severity.max(severity);
        self.note(reason);
    }

    /// Records a reason that does not change the severity.
    pub fn note(&mut self, reason: String) {
        if self.reasons.len() < MAX_REASONS {
            self.reasons.push(clip(&reason, MAX_REASON_BYTES));
        } else {
            self.omitted_reasons += 1;
        }
    }

    /// Reasons including a last line counting those left out.
    pub fn all_reasons(&self) -> Vec<String> {
        let mut reasons = self.reasons.clone();
        if self.omitted_reasons > 0 {
            reasons.push(format!("... and {} more reasons", self.omitted_reasons));
        }
        reasons
    }
}

/// Judges a record with its monitor, then caps failed calls: an attempt is never
/// more severe than its success, and at most MEDIUM (LOW unless access was denied).
pub fn judge(monitor: &Monitor, record: &Record<'_>) -> Result<Finding, ReadError> {
    let mut finding = Finding::new(monitor.default_severity);
    (monitor.assess)(record, &mut finding)?;
    if let Some(code) = &record.error_code {
        let cap = if is_access_denied(code) {
            Severity::Medium
        } else {
            Severity::Low
        };
        finding.severity = finding.severity.min(cap);
        for reason in &mut finding.reasons {
            *reason = clip(&format!("had it succeeded: {reason}"), MAX_REASON_BYTES);
        }
        finding.reasons.insert(
            0,
            clip(
                &format!("the call FAILED with {code}: nothing was changed"),
                MAX_REASON_BYTES,
            ),
        );
    }
    Ok(finding)
}

fn is_access_denied(code: &str) -> bool {
    code.contains("AccessDenied") || code.contains("UnauthorizedOperation")
}

/// Reads `requestParameters` into a monitor's own type; `null` or absent gives the default.
fn request<T: DeserializeOwned + Default>(record: &Record<'_>) -> Result<T, ReadError> {
    read("requestParameters", record.request_parameters)
}

/// Reads `responseElements` into a monitor's own type; `null` or absent gives the default.
fn response<T: DeserializeOwned + Default>(record: &Record<'_>) -> Result<T, ReadError> {
    read("responseElements", record.response_elements)
}

fn read<T: DeserializeOwned + Default>(
    field: &'static str,
    value: Option<&RawValue>,
) -> Result<T, ReadError> {
    match value.map(RawValue::get) {
        None | Some("null") => Ok(T::default()),
        Some(text) => parse(field, text),
    }
}

/// Reads the raw JSON text of `field` into a monitor's own type.
fn parse<T: DeserializeOwned>(field: &'static str, text: &str) -> Result<T, ReadError> {
    serde_json::from_str(text).map_err(|e| ReadError {
        field,
        message: json_error(&e),
    })
}

/// One value or a list of them, as IAM policies write `Statement`, `Action` and principals.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}
