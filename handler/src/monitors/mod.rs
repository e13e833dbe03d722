//! Monitors: what trailwatch watches and how it judges it. Each monitor owns
//! its [`Selector`]s, from which both its EventBridge pattern and its
//! in-process match are derived, so the rules and the handler can never disagree.
//!
//! This file holds the model ([`Monitor`], [`Pack`], [`Failure`]) and how a
//! monitor judges an event; [`catalog`] lists every monitor; each family file
//! holds its monitors beside the code that judges them.

mod access;
mod account;
mod ai;
mod catalog;
mod compute;
mod databases;
mod detection;
mod iam;
mod iam_access;
mod instances;
mod logging;
mod network;
mod protection;
mod read_only;
mod recovery;
mod resource_policies;
mod s3;
mod security_groups;
mod sharing;
mod stateful;
mod tamper;
mod trust;
mod workloads;

pub use catalog::{CATALOG, by_id};

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::event::Event;
use crate::finding::{
    Finding, Judge, MAX_REASON_BYTES, Meaning, OwnJudge, ReadError, Reason, Verb,
};
use crate::own::Own;
use crate::selector::{Condition, Field, Selector, Test};
use crate::stateful::rule::Rule;
use crate::text::clip;
use contract::Severity;

/// A named group of monitors, selectable as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pack {
    /// The four calls of the original design.
    Seed,
    /// CIS AWS Foundations monitoring controls (Security Hub CloudWatch.1-14).
    Cis,
    /// Stratus Red Team attack techniques with write management events.
    Stratus,
    /// Read-only calls: need the read-only rule, off by default.
    ReadOnly,
    /// Routine lifecycle calls some peers log one by one (instances started,
    /// functions created, databases rebooted): LOW, off by default.
    Activity,
    /// Detections that remember (thresholds, first-seen, sequences): they
    /// keep state in the stack's DynamoDB table.
    Stateful,
}

impl Pack {
    /// Every pack.
    pub const ALL: [Pack; 6] = [
        Pack::Seed,
        Pack::Cis,
        Pack::Stratus,
        Pack::ReadOnly,
        Pack::Activity,
        Pack::Stateful,
    ];

    /// Whether a default deployment leaves the pack's monitors out.
    pub fn opt_in(self) -> bool {
        matches!(self, Pack::ReadOnly | Pack::Activity)
    }

    /// The name used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Pack::Seed => "seed",
            Pack::Cis => "cis",
            Pack::Stratus => "stratus",
            Pack::ReadOnly => "read-only",
            Pack::Activity => "activity",
            Pack::Stateful => "stateful",
        }
    }
}

impl fmt::Display for Pack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a failed call means to a monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// An attempt: reported as such, never more severe than its success.
    Attempt,
    /// The failure is what the monitor looks for (denied calls, failed sign-ins).
    Finding,
}

/// How a monitor selects events.
#[derive(Debug)]
pub enum Selects {
    /// A built-in monitor's typed selector, with a rule per named call.
    Calls(Selector),
    /// A built-in monitor of calls to several services: a selector each.
    Services(&'static [Selector]),
    /// A custom monitor's EventBridge pattern, judged with a fixed severity.
    Pattern(Pattern),
}

/// A custom monitor's pattern (JSON text) and the severity its events get.
#[derive(Debug, Clone, Copy)]
pub struct Pattern {
    /// What EventBridge matches (a sequence's two steps as one `$or`).
    pub json: &'static str,
    /// What the handler's matcher matches: each pattern on its own.
    pub parts: &'static [&'static str],
    pub severity: Severity,
}

/// One monitor.
#[derive(Debug)]
pub struct Monitor {
    /// Stable identifier, used in alerts, attributes and configuration.
    pub id: &'static str,
    /// What the monitor watches, for people.
    pub title: &'static str,
    pub packs: &'static [Pack],
    pub selects: Selects,
    /// Judges events the selector takes without naming a call (root usage, denied calls).
    pub assess: Option<Judge>,
    /// Judges what the call did to trailwatch's own resources.
    pub own: Option<OwnJudge>,
    pub failure: Failure,
    /// Selects read-only calls too: they reach a rule only in the state
    /// `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`, so its pattern goes to
    /// a rule in that state.
    pub reads: bool,
    /// Controls it implements, such as `CIS CloudWatch.4`.
    pub controls: &'static [&'static str],
    /// Stratus Red Team ids and MITRE ATT&CK ids it detects.
    pub techniques: &'static [&'static str],
    /// Public rules it answers, as `peer:rule` (`sigma:aws_rds_change_master_password`).
    pub references: &'static [&'static str],
    /// What a stateful monitor remembers; none for a monitor judging each
    /// event alone.
    pub state: Option<Rule>,
}

impl Monitor {
    /// The typed selectors of a built-in monitor (none for a custom one).
    pub fn selectors(&self) -> &[Selector] {
        match &self.selects {
            Selects::Calls(selector) => std::slice::from_ref(selector),
            Selects::Services(selectors) => selectors,
            Selects::Pattern(_) => &[],
        }
    }

    /// Whether the monitor watches named calls (rather than every call of a
    /// kind, like root use or denied calls): such a monitor titles an alert.
    pub fn names_calls(&self) -> bool {
        self.selectors().iter().all(|s| !s.calls.is_empty())
    }

    /// The monitor's EventBridge pattern (several services' as one `$or`).
    pub fn pattern(&self) -> Value {
        match &self.selects {
            Selects::Calls(selector) => selector.pattern(),
            Selects::Services(selectors) => {
                serde_json::json!({"$or": selectors.iter().map(Selector::pattern).collect::<Vec<_>>()})
            }
            // Checked when the custom monitor was built.
            Selects::Pattern(pattern) => serde_json::from_str(pattern.json).unwrap_or_default(),
        }
    }

    /// The highest severity the monitor can give: a custom monitor's own, a
    /// plain call's rule, or CRITICAL where code judges (it may raise).
    pub fn ceiling(&self) -> Severity {
        if let Selects::Pattern(pattern) = &self.selects {
            return pattern.severity;
        }
        let calls = self.selectors().iter().flat_map(|s| s.calls);
        let judged = self.assess.is_some()
            || self.own.is_some()
            || calls.clone().any(|c| c.refine.is_some());
        if judged || !self.names_calls() {
            return Severity::Critical;
        }
        calls
            .map(|call| call.means.severity)
            .max()
            .unwrap_or(Severity::Critical)
    }

    /// Whether the monitor watches only global services, whose events occur
    /// in [`contract::names::GLOBAL_REGION`] alone.
    pub fn global(&self) -> bool {
        match &self.selects {
            Selects::Calls(_) | Selects::Services(_) => self.selectors().iter().all(|selector| {
                selector
                    .event_source
                    .is_some_and(|source| GLOBAL_EVENT_SOURCES.contains(&source))
            }),
            Selects::Pattern(_) => {
                let global: Vec<String> = GLOBAL_EVENT_SOURCES
                    .iter()
                    .map(|s| crate::event::source_of(s))
                    .collect();
                let pattern = self.pattern();
                let sources = pattern["source"].as_array().map(Vec::as_slice);
                sources.is_some_and(|sources| {
                    !sources.is_empty()
                        && sources
                            .iter()
                            .all(|s| s.as_str().is_some_and(|s| global.iter().any(|g| g == s)))
                })
            }
        }
    }

    /// Whether the monitor belongs to `pack`.
    pub fn in_pack(&self, pack: Pack) -> bool {
        self.packs.contains(&pack)
    }

    /// Whether a default deployment enables the monitor.
    pub fn default_on(&self) -> bool {
        !self.packs.iter().any(|p| p.opt_in())
    }

    /// Whether the monitor remembers events rather than judging each alone.
    pub fn is_stateful(&self) -> bool {
        self.state.is_some()
    }

    /// The same monitor, answering these public rules.
    pub const fn answers(self, references: &'static [&'static str]) -> Self {
        Self { references, ..self }
    }
}

/// What a call means: a verb, an object and a severity (then target, why, check, revert).
const fn means(verb: Verb, object: &'static str, severity: Severity) -> Meaning {
    Meaning::new(verb, object, severity)
}

/// A monitor of plain calls of one service with the default failure handling.
const fn calls(
    id: &'static str,
    title: &'static str,
    packs: &'static [Pack],
    selector: Selector,
    controls: &'static [&'static str],
    techniques: &'static [&'static str],
) -> Monitor {
    Monitor {
        id,
        title,
        packs,
        selects: Selects::Calls(selector),
        assess: None,
        own: None,
        failure: Failure::Attempt,
        reads: false,
        controls,
        techniques,
        state: None,
        references: &[],
    }
}

/// A monitor of plain calls of several services with the default failure handling.
const fn services(
    id: &'static str,
    title: &'static str,
    packs: &'static [Pack],
    selectors: &'static [Selector],
    controls: &'static [&'static str],
    techniques: &'static [&'static str],
) -> Monitor {
    Monitor {
        selects: Selects::Services(selectors),
        ..calls(id, title, packs, selectors[0], controls, techniques)
    }
}

const fn read_only(monitor: Monitor) -> Monitor {
    Monitor {
        reads: true,
        ..monitor
    }
}

const IAM: &str = "iam.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const CLOUDWATCH: &str = "monitoring.amazonaws.com";

/// Id of the monitor of changes to trailwatch itself.
pub const TAMPER: &str = "trailwatch-tamper";

/// Calls made by a person or a program, not by an AWS service on their behalf
/// (`invokedBy` absent): CloudFormation's changes to the stack are not tampering.
const NOT_BY_A_SERVICE: &[Condition] = &[Condition {
    field: Field::InvokedBy,
    any_of: &[Test::Exists(false)],
}];

const CHECK_CALLER: &str = "Confirm with the caller that the change was planned; if not, treat the caller's credentials as compromised";
const CHECK_NETWORK: &str = "Compare the change with your infrastructure code; an unplanned network change can open or hide a path";

/// CloudTrail event sources of global services (IAM, Organizations, Account
/// Management, Route 53, CloudFront): their events reach EventBridge only in
/// [`contract::names::GLOBAL_REGION`]. STS is not among them: its regional endpoints record
/// events in their own region.
pub const GLOBAL_EVENT_SOURCES: &[&str] = &[
    "iam.amazonaws.com",
    "organizations.amazonaws.com",
    "account.amazonaws.com",
    "route53.amazonaws.com",
    "cloudfront.amazonaws.com",
    // Route 53 Domains has one endpoint, in us-east-1
    // (https://docs.aws.amazon.com/general/latest/gr/r53.html).
    "route53domains.amazonaws.com",
];

impl Monitor {
    /// Judges an event with this monitor: the matched call's meaning, then the
    /// monitor's code (with what `own` deploys), then what a failure means to
    /// this monitor.
    pub fn judge(&self, event: &Event<'_>, own: &Own) -> Result<Finding, ReadError> {
        let monitor = self;
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
            (Some(call), _) => Finding::from_meaning(&call.means, event),
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

/// The account of `arn` when it is a 12-digit account other than the
/// event's own (the recipient, else the caller's).
pub fn foreign_account(event: &Event<'_>, arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    let own = crate::finding::read::own_account(event);
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && Some(account) != own)
        .then(|| account.to_owned())
}

/// Whether an error code says the caller lacked permission.
pub fn is_access_denied(code: &str) -> bool {
    code.contains("AccessDenied") || code.contains("UnauthorizedOperation")
}
