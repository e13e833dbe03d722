//! Tuning: the monitors a deployment enables, the user's own monitors, and
//! suppressions. One [`Settings`] document, written by `cargo xtask synth` and
//! read by the handler at start, gives one [`Detection`]; both the rule patterns
//! and the handler's decisions come from it.

pub mod custom;
mod delivery;
mod remember;
pub mod suppress;
mod wildcard;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event::Event;
use crate::monitors::Monitor;
use crate::own::Own;
use crate::selection::Selection;
use crate::selector;
use contract::Severity;

pub use custom::CustomSpec;
pub use remember::{FirstSeenSpec, SequenceSpec, ThresholdSpec};
pub use suppress::{SuppressSpec, Suppression, Suppressions};

/// Largest event deferred to the digest queue (SQS takes 262,144 bytes);
/// a larger one is published at once.
const MAX_DEFERRED_BYTES: usize = 250 * 1024;
/// File name of the settings inside the handler's zip, beside `bootstrap`.
pub const SETTINGS_FILE: &str = "trailwatch.json";

/// The detection settings a handler is deployed with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The enabled built-in monitors' ids.
    pub monitors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppress: Vec<SuppressSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<DigestSpec>,
    /// The stack deployed with these settings: its resources are
    /// trailwatch's own, and its canary is recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_name: Option<String>,
}

/// The `[digest]` block: findings below `below` wait up to `window_seconds` in
/// the digest queue, and those of one caller and monitor become one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSpec {
    #[serde(default = "default_window")]
    pub window_seconds: u32,
    #[serde(default = "default_below")]
    pub below: Severity,
}

fn default_window() -> u32 {
    300
}

fn default_below() -> Severity {
    Severity::High
}

impl DigestSpec {
    /// Whether an alert of this severity waits for a digest.
    pub fn defers(&self, severity: Severity) -> bool {
        severity < self.below
    }
}

/// Enabled monitors and suppressions, checked and ready to judge events.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    pub selection: Selection,
    pub suppressions: Suppressions,
    pub digest: Option<DigestSpec>,
    /// trailwatch's own resources (none known without a stack name).
    pub own: Own,
}

impl From<Selection> for Detection {
    fn from(selection: Selection) -> Self {
        Self {
            selection,
            suppressions: Suppressions::default(),
            digest: None,
            own: Own::default(),
        }
    }
}

impl Detection {
    /// Checks the settings; reports every problem, naming the block it is in.
    pub fn build(settings: &Settings) -> Result<Self, Vec<String>> {
        let selection = Selection::parse(&settings.monitors).map_err(|e| vec![e])?;
        let mut problems = Vec::new();
        let mut custom: Vec<&'static Monitor> = Vec::new();
        for (index, spec) in settings.custom.iter().enumerate() {
            let name = format!("monitor[{index}] ({:?})", spec.id);
            match spec.build() {
                Ok(_) if custom.iter().any(|m| m.id == spec.id) => {
                    problems.push(format!("{name}: id used by an earlier [[monitor]]"));
                }
                Ok(monitor) => custom.push(monitor),
                Err(problem) => problems.push(format!("{name}: {problem}")),
            }
        }
        // Suppressions are checked against the valid custom monitors, so that
        // every problem of the file is reported at once.
        let selection = match selection.clone().with_custom(custom) {
            Ok(tuned) => tuned,
            Err(problem) => {
                problems.push(problem);
                selection
            }
        };
        let suppressions =
            Suppressions::build(&settings.suppress, &selection).unwrap_or_else(|mut more| {
                problems.append(&mut more);
                Suppressions::default()
            });
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            selection,
            suppressions,
            digest: settings.digest,
            own: settings
                .stack_name
                .as_deref()
                .map(Own::new)
                .unwrap_or_default(),
        })
    }

    /// The same detection, also owning the KMS key with this ARN.
    pub fn with_key(self, arn: &str) -> Self {
        Self {
            own: self.own.with_key(arn),
            ..self
        }
    }

    /// The same detection, watching the accounts of organization `id`.
    pub fn with_organization(self, id: &str) -> Self {
        Self {
            own: self.own.with_organization(id),
            ..self
        }
    }

    /// Whether an alert of `severity` for an event of `event_bytes` waits in
    /// the digest queue rather than being published at once.
    pub fn defers(&self, severity: Severity, event_bytes: usize) -> bool {
        self.digest.is_some_and(|d| d.defers(severity)) && event_bytes <= MAX_DEFERRED_BYTES
    }

    /// Reads and checks a settings file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let settings: Settings = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not valid settings: {e}", path.display()))?;
        Self::build(&settings)
            .map_err(|problems| format!("{}: {}", path.display(), problems.join("; ")))
    }

    /// The EventBridge sub-patterns of the enabled monitors: those of write calls
    /// and sign-ins, and those of read-only calls (which need a rule of their
    /// own). Suppressions EventBridge can apply are written into them.
    pub fn patterns(&self) -> (Vec<Value>, Vec<Value>) {
        self.delivered(|_| true)
    }

    /// The patterns of [`Detection::patterns`] split by where the events
    /// occur: monitors of regional services and sign-ins (any region), and
    /// monitors of global services (only in [`contract::names::GLOBAL_REGION`]).
    pub fn patterns_by_scope(&self) -> [(Vec<Value>, Vec<Value>); 2] {
        [false, true].map(|global| self.delivered(|m: &Monitor| m.global() == global))
    }

    /// The patterns of the monitors `keep` takes. Those of monitors judging
    /// each event alone are made disjoint (each event reaches one rule, so
    /// one invocation). Those of stateful monitors are left as they are: an
    /// event they share with another rule invokes the handler twice, which
    /// is harmless with the state table they need (once-only marks keep the
    /// second alert back, and their records are idempotent), and merging
    /// them would make sub-patterns too long for a rule.
    fn delivered(&self, keep: impl Fn(&Monitor) -> bool) -> (Vec<Value>, Vec<Value>) {
        let alone = |m: &Monitor| keep(m) && !m.is_stateful();
        let remembering = |m: &Monitor| keep(m) && m.is_stateful();
        let (mut write, mut read_only) = delivery::disjoint(
            &self.selection,
            self.patterns_of(false, alone),
            self.patterns_of(true, alone),
        );
        write.extend(self.patterns_of(false, remembering));
        read_only.extend(self.patterns_of(true, remembering));
        (write, read_only)
    }

    fn patterns_of(&self, read_only: bool, keep: impl Fn(&Monitor) -> bool) -> Vec<Value> {
        // Monitors excluding the same principals share sub-patterns.
        let mut groups: Vec<(Vec<String>, Vec<&'static Monitor>)> = Vec::new();
        for monitor in self
            .selection
            .monitors()
            .filter(|m| m.reads == read_only && keep(m))
        {
            let excluded = self.suppressions.excluded_principals(monitor);
            match groups.iter_mut().find(|(e, _)| *e == excluded) {
                Some((_, monitors)) => monitors.push(monitor),
                None => groups.push((excluded, vec![monitor])),
            }
        }
        groups
            .into_iter()
            .flat_map(|(excluded, monitors)| {
                let mut patterns = selector::patterns(monitors.iter().flat_map(|m| m.selectors()));
                patterns.extend(
                    monitors
                        .iter()
                        .filter(|m| m.selectors().is_empty())
                        .map(|m| m.pattern()),
                );
                for pattern in &mut patterns {
                    suppress::exclude_principals(pattern, &excluded);
                }
                patterns
            })
            .collect()
    }

    /// Whether the rules deliver the event: some enabled monitor selects it and
    /// no suppression written into that monitor's pattern excludes it.
    pub fn delivers(&self, event: &Event<'_>, today: time::Date) -> bool {
        let holding = self.suppressions.holding(event, today);
        self.selection.matching(event).into_iter().any(|monitor| {
            let excluded = suppress::can_exclude(&monitor.pattern())
                && holding.iter().any(|s| !s.excludes(monitor).is_empty());
            !excluded
        })
    }
}
