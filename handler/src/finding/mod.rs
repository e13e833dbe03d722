//! Findings: what a monitored call did, how severe it is, and why.
//!
//! Every selected call carries a [`Meaning`]: the verdict, object, target field,
//! severity, reason and runbook of a plain call. A monitor that needs more (a
//! policy, a security group, a sign-in) refines the finding with a [`Judge`].
//! Nothing here knows a monitor.

pub mod read;
mod verb;

use crate::event::Event;
use crate::own::Own;
use crate::text::{clip, shell_command};
use contract::Severity;
use read::request_text;

pub use read::ReadError;
pub use verb::Verb;

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
pub const MAX_REASONS: usize = 20;
/// Longest reason kept, in bytes.
pub const MAX_REASON_BYTES: usize = 300;
/// Longest object or target kept, in bytes.
const MAX_OBJECT_BYTES: usize = 200;

/// What one selected call means when nothing more is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meaning {
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

impl Meaning {
    /// A meaning with no target, reason or runbook yet.
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

    /// The finding a call's meaning gives before any code looks closer.
    pub fn from_meaning(rule: &Meaning, event: &Event<'_>) -> Self {
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
