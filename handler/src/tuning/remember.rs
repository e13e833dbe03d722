//! The stateful blocks of a custom monitor (`[monitor.threshold]`,
//! `[monitor.first_seen]`, `[monitor.sequence]`), checked and turned into the
//! same [`Rule`] built-in stateful monitors have.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::matcher::Matcher;
use crate::stateful::rule::{MAX_FORGET_DAYS, MAX_THRESHOLD, MAX_WINDOW_MINUTES};
use crate::stateful::{FirstSeen, Key, Rule, Sequence, Step, StepSelects, Threshold};
use contract::Severity;

/// Longest dotted path a key may name, and most segments.
const MAX_PATH_CHARS: usize = 200;
const MAX_PATH_SEGMENTS: usize = 6;

/// `[monitor.threshold]`: alert once per window when `count` events (or
/// distinct values of `distinct`) share a `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdSpec {
    pub count: u32,
    pub window_minutes: u32,
    #[serde(default = "principal")]
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct: Option<String>,
}

/// `[monitor.first_seen]`: alert on a (`key`, `value`) pair not seen in
/// `forget_days`, after `learning_days` of learning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstSeenSpec {
    #[serde(default = "principal")]
    pub key: String,
    pub value: String,
    #[serde(default = "forget_days")]
    pub forget_days: u32,
    #[serde(default = "learning_days")]
    pub learning_days: u32,
}

/// `[monitor.sequence]`: alert when an event of the monitor's `pattern` and
/// one of `then` share a key within `within_minutes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceSpec {
    /// The second step's EventBridge pattern: a JSON string or a table.
    pub then: Value,
    pub within_minutes: u32,
    #[serde(default = "principal")]
    pub key: String,
    /// The second step's key, when it differs from the first's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then_key: Option<String>,
}

fn principal() -> String {
    "principal".to_owned()
}

fn forget_days() -> u32 {
    30
}

fn learning_days() -> u32 {
    7
}

impl ThresholdSpec {
    /// The rule, or what is wrong, naming the field.
    pub fn rule(&self, severity: Severity) -> Result<Rule, String> {
        within("threshold.count", self.count, 1, MAX_THRESHOLD)?;
        within(
            "threshold.window_minutes",
            self.window_minutes,
            1,
            MAX_WINDOW_MINUTES,
        )?;
        let distinct = self
            .distinct
            .as_deref()
            .map(|d| key("threshold.distinct", d))
            .transpose()?;
        Ok(Rule::Threshold(Threshold {
            key: key("threshold.key", &self.key)?,
            distinct,
            count: self.count,
            window_minutes: self.window_minutes,
            counts: match distinct {
                Some(distinct) => leak(format!("distinct values of {}", distinct.name())),
                None => "selected events",
            },
            severity,
        }))
    }
}

impl FirstSeenSpec {
    /// The rule, or what is wrong, naming the field.
    pub fn rule(&self, severity: Severity) -> Result<Rule, String> {
        within(
            "first_seen.forget_days",
            self.forget_days,
            1,
            MAX_FORGET_DAYS,
        )?;
        within(
            "first_seen.learning_days",
            self.learning_days,
            0,
            MAX_FORGET_DAYS,
        )?;
        let value = key("first_seen.value", &self.value)?;
        Ok(Rule::FirstSeen(FirstSeen {
            key: key("first_seen.key", &self.key)?,
            value,
            forget_days: self.forget_days,
            learning_days: self.learning_days,
            names: leak(value.name().into_owned()),
            severity,
        }))
    }
}

impl SequenceSpec {
    /// The rule with each step's compiled pattern (`first` is the monitor's
    /// own), or what is wrong, naming the field.
    pub fn rule(&self, first: &str, then: &str, severity: Severity) -> Result<Rule, String> {
        within(
            "sequence.within_minutes",
            self.within_minutes,
            1,
            MAX_WINDOW_MINUTES,
        )?;
        let first_key = key("sequence.key", &self.key)?;
        let then_key = match &self.then_key {
            Some(name) => key("sequence.then_key", name)?,
            None => first_key,
        };
        let step = |pattern: &str, key, says| -> Result<Step, String> {
            let matcher = Matcher::new([((), pattern)]).map_err(|e| {
                format!("sequence: {e} (the handler's matcher, quamina, lacks this form)")
            })?;
            Ok(Step {
                selects: StepSelects::Pattern(Box::leak(Box::new(matcher))),
                key,
                says,
            })
        };
        Ok(Rule::Sequence(Sequence {
            first: step(first, first_key, "matched the monitor's pattern")?,
            then: step(then, then_key, "matched sequence.then")?,
            within_minutes: self.within_minutes,
            severity,
        }))
    }
}

fn within(field: &str, value: u32, least: u32, most: u32) -> Result<(), String> {
    if (least..=most).contains(&value) {
        return Ok(());
    }
    Err(format!("{field}: {value} is not within {least}-{most}"))
}

/// A key by name (`principal`, `source_ip`, `account`, `user_name`, `call`)
/// or a dotted path under `detail` (`requestParameters.bucketName`).
fn key(field: &str, name: &str) -> Result<Key, String> {
    let known = match name {
        "principal" => Some(Key::Principal),
        "source_ip" => Some(Key::SourceIp),
        "account" => Some(Key::Account),
        "user_name" => Some(Key::UserName),
        "call" => Some(Key::Call),
        _ => None,
    };
    if let Some(key) = known {
        return Ok(key);
    }
    let segments: Vec<&str> = name.split('.').collect();
    let well_formed = name.len() <= MAX_PATH_CHARS
        && segments.len() <= MAX_PATH_SEGMENTS
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if !well_formed {
        return Err(format!(
            "{field}: {name:?} is neither principal, source_ip, account, user_name or call, nor a dotted path under detail (like requestParameters.bucketName; at most {MAX_PATH_SEGMENTS} parts of letters, digits, '_' and '-')"
        ));
    }
    let path: &'static str = leak(name.to_owned());
    Ok(Key::Path(Box::leak(Box::new([path]))))
}

/// Custom monitors live for the whole process, like built-in ones.
fn leak(text: String) -> &'static str {
    text.leak()
}
