//! The three shapes of detection that remember, as typed rules, and the keys
//! they group events by.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::event::Event;
use crate::matcher::Matcher;
use crate::selector::Selector;
use crate::text::clip;
use contract::Severity;

/// Longest key or value kept whole, in bytes; longer ones are cut and
/// suffixed with a hash of the whole, so distinct values stay distinct.
pub const MAX_VALUE_BYTES: usize = 256;
/// Most values one event adds to a tally (a `SendCommand` names at most 50 instances).
pub const MAX_MEMBERS_PER_EVENT: usize = 50;
/// Largest threshold: a tally's set is capped at it, which keeps an item
/// under DynamoDB's 400 KB.
pub const MAX_THRESHOLD: u32 = 1_000;
/// Longest window of a threshold or sequence, in minutes (one day).
pub const MAX_WINDOW_MINUTES: u32 = 1_440;
/// Longest memory of a first-seen pair, in days.
pub const MAX_FORGET_DAYS: u32 = 365;

/// What a stateful monitor remembers and when it alerts.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    Threshold(Threshold),
    FirstSeen(FirstSeen),
    Sequence(Sequence),
}

impl Rule {
    /// The severity of its alerts.
    pub fn severity(&self) -> Severity {
        match self {
            Rule::Threshold(rule) => rule.severity,
            Rule::FirstSeen(rule) => rule.severity,
            Rule::Sequence(rule) => rule.severity,
        }
    }

    /// The shape's name, as the alert and configuration spell it.
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Threshold(_) => "threshold",
            Rule::FirstSeen(_) => "first_seen",
            Rule::Sequence(_) => "sequence",
        }
    }
}

/// Alerts once per window when the events of one key reach `count`: events,
/// or distinct values of `distinct` when set.
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    pub key: Key,
    pub distinct: Option<Key>,
    pub count: u32,
    /// Windows are fixed, aligned to the epoch: a burst across a boundary
    /// counts in two windows.
    pub window_minutes: u32,
    /// What is counted, for people ("distinct secrets read").
    pub counts: &'static str,
    pub severity: Severity,
}

/// Alerts on a (key, value) pair not seen in the last `forget_days`, once
/// the monitor has learned for `learning_days` since its first event.
#[derive(Debug, Clone, Copy)]
pub struct FirstSeen {
    pub key: Key,
    pub value: Key,
    pub forget_days: u32,
    pub learning_days: u32,
    /// What is new, for people ("call").
    pub names: &'static str,
    pub severity: Severity,
}

/// Alerts when `first` and then `then` happen with the same key within
/// `within_minutes`, in either order of arrival.
#[derive(Debug, Clone, Copy)]
pub struct Sequence {
    pub first: Step,
    pub then: Step,
    pub within_minutes: u32,
    pub severity: Severity,
}

/// One step of a sequence: what selects it, what it is keyed by.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub selects: StepSelects,
    pub key: Key,
    /// What happened, for people ("user created").
    pub says: &'static str,
}

/// How a step recognises its events.
#[derive(Debug, Clone, Copy)]
pub enum StepSelects {
    /// A built-in step: one of the monitor's selectors.
    Selector(&'static Selector),
    /// A custom step: its own pattern, compiled.
    Pattern(&'static Matcher<()>),
}

/// What events are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Who called: the role of a role session (its session name is the
    /// caller's choice, so it cannot split a count), else the identity's ARN.
    Principal,
    /// `sourceIPAddress`.
    SourceIp,
    /// The account the event was recorded for.
    Account,
    /// `userIdentity.userName`: for a sign-in, the name that was typed.
    UserName,
    /// `eventName`.
    Call,
    /// The first present of these dotted paths under `detail`
    /// (`requestParameters.secretId`).
    Path(&'static [&'static str]),
    /// The same, named by the path's last segment, so values of different
    /// paths differ (`userName=alice`, `roleName=alice`).
    Labeled(&'static [&'static str]),
}

impl Key {
    /// The key's values in `event`: several for an array, none when absent.
    pub fn values(&self, event: &Event<'_>) -> Vec<String> {
        let identity = &event.record.user_identity;
        let one = |value: Option<&str>| value.map(bounded).into_iter().collect();
        match self {
            Key::Principal => one(principal(event).as_deref()),
            Key::SourceIp => one(event.record.source_ip_address.as_deref()),
            Key::Account => one(event.account()),
            Key::UserName => one(identity.user_name.as_deref()),
            Key::Call => one(event.record.event_name.as_deref()),
            Key::Path(paths) | Key::Labeled(paths) => {
                let labeled = matches!(self, Key::Labeled(_));
                for path in *paths {
                    let mut values = Vec::new();
                    at_path(
                        event.detail,
                        &path.split('.').collect::<Vec<_>>(),
                        &mut values,
                    );
                    if values.is_empty() {
                        continue;
                    }
                    let label = path.rsplit('.').next().unwrap_or(path);
                    return values
                        .iter()
                        .map(|v| match labeled {
                            false => bounded(v),
                            true => bounded(&format!("{label}={v}")),
                        })
                        .collect();
                }
                Vec::new()
            }
        }
    }

    /// The key's one value in `event` (several are joined): none when absent.
    pub fn value(&self, event: &Event<'_>) -> Option<String> {
        let values = self.values(event);
        (!values.is_empty()).then(|| bounded(&values.join(",")))
    }

    /// The key as configuration writes it.
    pub fn name(&self) -> Cow<'static, str> {
        match self {
            Key::Principal => "principal".into(),
            Key::SourceIp => "source_ip".into(),
            Key::Account => "account".into(),
            Key::UserName => "user_name".into(),
            Key::Call => "call".into(),
            Key::Path(paths) | Key::Labeled(paths) => paths.join("|").into(),
        }
    }
}

/// The role behind a role session, else the identity's ARN, else its
/// account and principal id.
fn principal(event: &Event<'_>) -> Option<String> {
    let identity = &event.record.user_identity;
    let role_session = identity.kind.as_deref() == Some("AssumedRole");
    if role_session && let Some(issuer) = identity.session_issuer() {
        return Some(issuer.to_owned());
    }
    identity.arn.clone().or_else(|| {
        let account = identity.account_id.as_deref()?;
        Some(format!(
            "{account}:{}",
            identity.principal_id.as_deref().unwrap_or("unknown")
        ))
    })
}

/// The scalars at `path` under `raw`, descending into every element of arrays.
fn at_path(raw: &RawValue, path: &[&str], values: &mut Vec<String>) {
    if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
        for item in items.into_iter().take(MAX_MEMBERS_PER_EVENT) {
            at_path(item, path, values);
        }
        return;
    }
    let Some((first, rest)) = path.split_first() else {
        match serde_json::from_str::<serde_json::Value>(raw.get()) {
            Ok(serde_json::Value::String(s)) if !s.is_empty() => values.push(s),
            Ok(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                values.push(v.to_string());
            }
            _ => {}
        }
        return;
    };
    let Ok(object) = serde_json::from_str::<HashMap<Cow<'_, str>, &RawValue>>(raw.get()) else {
        return;
    };
    if let Some(inner) = object.get(*first) {
        at_path(inner, rest, values);
    }
}

/// The value whole when short, else cut with a hash of the whole appended.
pub fn bounded(value: &str) -> String {
    if value.len() <= MAX_VALUE_BYTES {
        return value.to_owned();
    }
    let hash = crate::state::stable_hash(value);
    format!("{}#{hash:016x}", clip(value, MAX_VALUE_BYTES - 17))
}
