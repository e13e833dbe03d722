//! Assessment: what a monitored call did, how severe it is, and why.
//!
//! Every selected call carries a [`Rule`]: the verdict, object, target field,
//! severity, reason and runbook of a plain call. A monitor that needs more (a
//! policy, a security group, a sign-in) refines the finding in code.

pub mod bucket_acl;
pub mod bucket_policy;
pub mod iam;
pub mod policy;
pub mod public_access_block;
pub mod security_group;
pub mod services;
pub mod sharing;
pub mod sign_in;
pub mod tamper;
mod verdict;

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::catalog::{Failure, Monitor, Selects};
use crate::event::Event;
use crate::own::Own;
use crate::severity::Severity;
use crate::text::{clip, json_error, shell_command};

pub use verdict::Verb;

/// How a monitor refines the finding its call's rule started.
pub type Assess = fn(&Event<'_>, &mut Finding) -> Result<(), ReadError>;

/// Code that judges what a call did to trailwatch's own resources, and what
/// it decides, in words for the catalog.
#[derive(Debug, Clone, Copy)]
pub struct OwnJudge {
    pub assess: fn(&Event<'_>, &Own, &mut Finding) -> Result<(), ReadError>,
    pub decides: &'static str,
}

/// Code that judges closer, and what it decides, in words for the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Judge {
    pub assess: Assess,
    /// The severity rules it applies, for people (empty when it only words the alert).
    pub decides: &'static str,
}

/// Most reasons an alert lists; further ones are counted in a last line.
const MAX_REASONS: usize = 20;
/// Longest reason kept, in bytes.
const MAX_REASON_BYTES: usize = 300;
/// Longest object or target kept, in bytes.
const MAX_OBJECT_BYTES: usize = 200;

/// A record's service-specific part could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {field}: {message}")]
pub struct ReadError {
    field: &'static str,
    message: String,
}

/// How one selected call is judged when nothing more is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub verb: Verb,
    /// What the call acts on, before its name ("CloudTrail trail").
    pub object: &'static str,
    /// `requestParameters` paths (`/`-separated) whose first string value names the target.
    pub target: &'static [&'static str],
    pub severity: Severity,
    /// Why the call matters.
    pub why: &'static str,
    /// What to check first.
    pub check: &'static str,
    /// The command that undoes the call: `{target}` and `{region}` are filled in, quoted.
    pub revert: Option<&'static str>,
}

impl Rule {
    /// A rule with no target, reason or runbook yet.
    pub const fn new(verb: Verb, object: &'static str, severity: Severity) -> Self {
        Self {
            verb,
            object,
            target: &[],
            severity,
            why: "",
            check: "",
            revert: None,
        }
    }

    /// Names the target by these `requestParameters` paths.
    pub const fn target(self, target: &'static [&'static str]) -> Self {
        Self { target, ..self }
    }

    /// Says why the call matters.
    pub const fn why(self, why: &'static str) -> Self {
        Self { why, ..self }
    }

    /// Says what to check first.
    pub const fn check(self, check: &'static str) -> Self {
        Self { check, ..self }
    }

    /// Gives the command that undoes the call.
    pub const fn revert(self, revert: &'static str) -> Self {
        Self {
            revert: Some(revert),
            ..self
        }
    }
}

/// One reason, with the severity it supports (`Info` for context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub severity: Severity,
    pub text: String,
}

/// The judgement of one call by one monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The highest severity any reason raised it to.
    pub severity: Severity,
    /// What was done.
    pub verb: Verb,
    /// What it was done to, for the title ("CloudTrail trail main").
    pub object: String,
    /// The resource acted on.
    pub target: Option<String>,
    /// Why the severity is what it is.
    pub reasons: Vec<Reason>,
    /// What to do next: checks, then commands.
    pub next_steps: Vec<String>,
    /// Why the call is no finding of this monitor after all, when it is not.
    pub dismissed: Option<String>,
    omitted_reasons: usize,
}

impl Finding {
    /// A finding with only a verdict and a severity.
    pub fn new(verb: Verb, object: &str, severity: Severity) -> Self {
        Self {
            severity,
            verb,
            object: clip(object, MAX_OBJECT_BYTES),
            target: None,
            reasons: Vec::new(),
            next_steps: Vec::new(),
            dismissed: None,
            omitted_reasons: 0,
        }
    }

    /// The finding a call's rule gives before any code looks closer.
    pub fn from_rule(rule: &Rule, event: &Event<'_>) -> Self {
        let target = rule
            .target
            .iter()
            .find_map(|path| request_text(event, path));
        let object = match &target {
            Some(target) => format!("{} {target}", rule.object),
            None => rule.object.to_owned(),
        };
        let mut finding = Self::new(rule.verb, object.trim(), rule.severity);
        if let Some(target) = &target {
            finding.target(target);
        }
        if !rule.why.is_empty() {
            finding.raise(rule.severity, rule.why.to_owned());
        }
        if !rule.check.is_empty() {
            finding.step(rule.check.to_owned());
        }
        if let (Some(template), Some(target)) = (rule.revert, &target) {
            let region = event.region().unwrap_or("us-east-1");
            finding.command(template, &[("target", target), ("region", region)]);
        }
        finding
    }

    /// Sets the verdict.
    pub fn describe(&mut self, verb: Verb, object: &str) {
        self.verb = verb;
        self.object = clip(object, MAX_OBJECT_BYTES);
    }

    /// Sets the resource acted on.
    pub fn target(&mut self, target: &str) {
        self.target = Some(clip(target, MAX_OBJECT_BYTES));
    }

    /// Records a reason and raises the severity to at least `severity`.
    pub fn raise(&mut self, severity: Severity, reason: String) {
        self.severity = self.severity.max(severity);
        self.push(severity, reason);
    }

    /// Records a reason that does not change the severity.
    pub fn note(&mut self, reason: String) {
        self.push(Severity::Info, reason);
    }

    /// Sets the severity, up or down, with the reason that decides it.
    pub fn settle(&mut self, severity: Severity, reason: String) {
        self.severity = severity;
        self.push(severity, reason);
    }

    fn push(&mut self, severity: Severity, text: String) {
        if self.reasons.len() < MAX_REASONS {
            let text = clip(&text, MAX_REASON_BYTES);
            self.reasons.push(Reason { severity, text });
        } else {
            self.omitted_reasons += 1;
        }
    }

    /// Decides the call is no finding of this monitor, for `why`.
    pub fn dismiss(&mut self, why: &str) {
        self.dismissed = Some(why.to_owned());
    }

    /// Adds a next step.
    pub fn step(&mut self, step: String) {
        self.next_steps.push(clip(&step, MAX_REASON_BYTES * 2));
    }

    /// Adds the command that reverts the call, with `{name}` placeholders filled
    /// in and quoted for a POSIX shell; values with control characters give a
    /// note to revert by hand instead, never a command.
    pub fn command(&mut self, template: &str, values: &[(&str, &str)]) {
        match shell_command(template, values) {
            Some(command) => self.step(format!("Revert: {command}")),
            None => self.step(
                "Revert by hand: a value in the event holds control characters, so no command is given"
                    .to_owned(),
            ),
        }
    }

    /// How many reasons were left out.
    pub fn omitted_reasons(&self) -> usize {
        self.omitted_reasons
    }
}

/// The string at a `/`-separated path in `requestParameters`, read without
/// building a tree of the whole parameters (a policy may be 200 KB).
pub fn request_text(event: &Event<'_>, path: &str) -> Option<String> {
    let mut text = event.record.request_parameters?.get();
    for key in path.split('/') {
        let object: HashMap<Cow<'_, str>, &RawValue> = serde_json::from_str(text).ok()?;
        text = object.get(key)?.get();
    }
    serde_json::from_str::<String>(text)
        .ok()
        .filter(|s| !s.is_empty())
}

/// Reads `requestParameters` into a monitor's own type; `null` or absent gives the default.
fn request<T: DeserializeOwned + Default>(event: &Event<'_>) -> Result<T, ReadError> {
    read("requestParameters", event.record.request_parameters)
}

/// Reads `responseElements` into a monitor's own type; `null` or absent gives the default.
fn response<T: DeserializeOwned + Default>(event: &Event<'_>) -> Result<T, ReadError> {
    read("responseElements", event.record.response_elements)
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

/// CloudTrail writes EC2 lists as `{}` or `{"items": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(default)]
struct Items<T> {
    items: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

/// The account that owns the resource: the recipient, else the caller's.
fn own_account<'e>(event: &'e Event<'_>) -> Option<&'e str> {
    event.record.recipient_account_id.as_deref().or(event
        .record
        .user_identity
        .account_id
        .as_deref())
}

/// Judges an event with one monitor: the matched call's rule, then the
/// monitor's code (with what `own` deploys), then what a failure means to
/// this monitor.
pub fn judge(monitor: &Monitor, event: &Event<'_>, own: &Own) -> Result<Finding, ReadError> {
    // The monitor selected the event: with one selector, that one did; of
    // several, the call is the matching selector's.
    let call = match monitor.selectors() {
        [selector] => selector.call(event),
        selectors => selectors
            .iter()
            .filter(|s| s.matches(event))
            .find_map(|s| s.call(event)),
    };
    let name = event
        .record
        .event_name
        .as_deref()
        .unwrap_or("an unnamed call");
    let mut finding = match (call, &monitor.selects) {
        (Some(call), _) => Finding::from_rule(&call.rule, event),
        (None, Selects::Pattern(pattern)) => {
            let mut finding = Finding::new(Verb::Called, name, pattern.severity);
            finding.raise(
                pattern.severity,
                format!("your monitor {}: {}", monitor.id, monitor.title),
            );
            finding
        }
        (None, _) => Finding::new(Verb::Called, name, Severity::Info),
    };
    if let Some(judge) = call.and_then(|c| c.refine).or(monitor.assess) {
        (judge.assess)(event, &mut finding)?;
    }
    if let Some(judge) = monitor.own {
        (judge.assess)(event, own, &mut finding)?;
    }
    if finding.reasons.is_empty() {
        let tracked = match monitor.controls {
            [] => format!("change tracked for review: {}", monitor.title),
            controls => format!(
                "change tracked for {}: {}",
                controls.join(", "),
                monitor.title
            ),
        };
        finding.note(tracked);
    }
    if let (Failure::Attempt, Some(code)) = (monitor.failure, event.failure()) {
        cap_attempt(&mut finding, code);
    }
    Ok(finding)
}

/// A failed attempt is never more severe than its success, and at most MEDIUM
/// (LOW unless access was denied): it changed nothing.
fn cap_attempt(finding: &mut Finding, code: &str) {
    let cap = if is_access_denied(code) {
        Severity::Medium
    } else {
        Severity::Low
    };
    finding.severity = finding.severity.min(cap);
    for reason in &mut finding.reasons {
        reason.text = clip(
            &format!("had it succeeded: {}", reason.text),
            MAX_REASON_BYTES,
        );
        reason.severity = reason.severity.min(finding.severity);
    }
    finding.reasons.insert(
        0,
        Reason {
            severity: finding.severity,
            text: clip(
                &format!("the call FAILED with {code}: nothing was changed"),
                MAX_REASON_BYTES,
            ),
        },
    );
    // The revert commands would undo nothing.
    finding
        .next_steps
        .retain(|step| !step.starts_with("Revert"));
}

/// Whether an error code says the caller lacked permission.
pub fn is_access_denied(code: &str) -> bool {
    code.contains("AccessDenied") || code.contains("UnauthorizedOperation")
}
