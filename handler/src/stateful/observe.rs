//! One stateful monitor and one event: what to write ([`Observation`], worked
//! out without the store), then the write and whether it crossed the rule
//! ([`Crossing`]). Each observation is one store write; a first-seen
//! monitor's learning start is one more per execution environment, and a
//! completed sequence one more (its once-only mark).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use serde::Serialize;

use super::rule::{FirstSeen, Key, Rule, Sequence, StepSelects, Threshold};
use crate::event::Event;
use crate::monitors::Monitor;
use crate::state::{Attr, EXPIRES, FIRST, ItemExt, MEMBERS, Member, Store, StoreError, Tally};

const MINUTE: i64 = 60;
const DAY: i64 = 86_400;
/// How long a learning start is kept without events (then learning restarts).
const LEARNING_KEPT: i64 = 400 * DAY;
/// How long the once-only mark of a completed sequence is kept.
const MARK_KEPT: i64 = DAY;
/// Most event ids and values an alert lists.
pub const MAX_LISTED: usize = 100;

/// What a stateful monitor will write for one event.
#[derive(Debug, Clone)]
pub struct Observation {
    pub monitor: &'static Monitor,
    pub rule: Rule,
    /// The key's value (who or what the events are grouped by).
    pub key: String,
    /// The event's time, seconds since the epoch.
    pub at: i64,
    pub event_id: String,
    write: Write,
}

#[derive(Debug, Clone)]
enum Write {
    Tally {
        item: String,
        members: Vec<Member>,
        expires: i64,
    },
    Sight {
        item: String,
        value: String,
    },
    Step {
        item: String,
        first: bool,
    },
}

/// A rule crossed: the alert's substance and how to undo the write when the
/// alert cannot be published (so the retry crosses again).
#[derive(Debug, Clone)]
pub struct Crossing {
    pub monitor: &'static Monitor,
    pub rule: Rule,
    /// Why, in one sentence.
    pub says: String,
    pub summary: Summary,
    pub undo: Undo,
}

/// What a stateful alert carries in its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Summary {
    /// `threshold`, `first_seen` or `sequence`.
    pub kind: &'static str,
    /// What the events were grouped by, and its value.
    pub key_name: String,
    pub key: String,
    /// Events or distinct values counted, and the threshold (thresholds only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// The window, or the sequence's longest gap, in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_minutes: Option<u32>,
    /// Time of the first and the last event that made it (RFC 3339).
    pub first: String,
    pub last: String,
    /// The distinct values counted, or the value seen first (at most [`MAX_LISTED`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// The CloudTrail event ids that made it (at most [`MAX_LISTED`]).
    pub event_ids: Vec<String>,
}

/// The write to take back when the alert was not published.
#[derive(Debug, Clone)]
pub enum Undo {
    Untally { item: String, members: Vec<Member> },
    Release { item: String },
}

impl Undo {
    /// Takes the write back.
    pub async fn run(&self, store: &Store) -> Result<(), StoreError> {
        match self {
            Undo::Untally { item, members } => store.untally(item, members).await,
            Undo::Release { item } => store.release(item).await,
        }
    }
}

/// When each first-seen monitor started learning, as this execution
/// environment has read it from the store.
#[derive(Debug, Default)]
pub struct Learning {
    starts: Mutex<HashMap<&'static str, i64>>,
}

impl Learning {
    fn get(&self, monitor: &str) -> Option<i64> {
        self.lock().get(monitor).copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, i64>> {
        crate::lock(&self.starts)
    }
}

impl Observation {
    /// What `monitor` (stateful, selecting `event`) will write; none when the
    /// event lacks the rule's key. `at` is the event's time.
    pub fn of(monitor: &'static Monitor, rule: Rule, event: &Event<'_>, at: i64) -> Option<Self> {
        let event_id = event
            .event_id()
            .or(event.envelope.id.as_deref())
            .map(super::rule::bounded)?;
        let (key, write) = match rule {
            Rule::Threshold(rule) => threshold(monitor, &rule, event, at, &event_id)?,
            Rule::FirstSeen(rule) => {
                let key = rule.key.value(event)?;
                let value = rule.value.value(event)?;
                let item = format!("f#{}#{key}#{value}", monitor.id);
                (key, Write::Sight { item, value })
            }
            Rule::Sequence(rule) => {
                let first = step_matches(&rule, event, true);
                let step = if first { rule.first } else { rule.then };
                let key = step.key.value(event)?;
                let item = format!("s#{}#{key}", monitor.id);
                (key, Write::Step { item, first })
            }
        };
        Some(Self {
            monitor,
            rule,
            key,
            at,
            event_id,
            write,
        })
    }

    /// Writes the observation; the crossing, when this event made one.
    pub async fn observe(
        &self,
        store: &Store,
        learning: &Learning,
    ) -> Result<Option<Crossing>, StoreError> {
        match (&self.write, self.rule) {
            (
                Write::Tally {
                    item,
                    members,
                    expires,
                },
                Rule::Threshold(rule),
            ) => self.tally(store, &rule, item, members, *expires).await,
            (Write::Sight { item, value }, Rule::FirstSeen(rule)) => {
                self.sight(store, learning, &rule, item, value).await
            }
            (Write::Step { item, first }, Rule::Sequence(rule)) => {
                self.step(store, &rule, item, *first).await
            }
            _ => Ok(None),
        }
    }

    async fn tally(
        &self,
        store: &Store,
        rule: &Threshold,
        item: &str,
        members: &[Member],
        expires: i64,
    ) -> Result<Option<Crossing>, StoreError> {
        let tally = Tally {
            members,
            cap: rule.count as usize,
            at: self.at,
            expires,
        };
        // None: the window already crossed, and alerted.
        let Some(old) = store.tally(item, &tally).await? else {
            return Ok(None);
        };
        let before = old.set(MEMBERS).cloned().unwrap_or_default();
        let mut after = before.clone();
        after.extend(members.iter().map(|m| m.value.clone()));
        if before.len() >= rule.count as usize || after.len() < rule.count as usize {
            return Ok(None);
        }
        let first = old.num(FIRST).unwrap_or(self.at);
        let minutes = (self.at - first).max(0) / MINUTE;
        let mut ids: Vec<String> = Vec::new();
        let recorded = old.iter().filter(|(name, _)| name.starts_with("e_"));
        for (_, value) in recorded {
            if let Attr::Text(id) = value
                && !ids.contains(id)
            {
                ids.push(id.clone());
            }
        }
        if !ids.contains(&self.event_id) {
            ids.push(self.event_id.clone());
        }
        ids.truncate(MAX_LISTED);
        let says = format!(
            "{}: {} {} within {minutes} minutes (threshold {} per {}-minute window)",
            self.key,
            after.len(),
            rule.counts,
            rule.count,
            rule.window_minutes
        );
        let new: Vec<Member> = members
            .iter()
            .filter(|m| !before.contains(&m.value))
            .cloned()
            .collect();
        let values = match rule.distinct {
            Some(_) => after.into_iter().take(MAX_LISTED).collect(),
            None => Vec::new(),
        };
        Ok(Some(self.crossing(
            says,
            Summary {
                count: Some(before.len() + new.len()),
                threshold: Some(rule.count),
                window_minutes: Some(rule.window_minutes),
                first: rfc3339(first),
                values,
                event_ids: ids,
                ..self.summary(rule.key)
            },
            Undo::Untally {
                item: item.to_owned(),
                members: new,
            },
        )))
    }

    async fn sight(
        &self,
        store: &Store,
        learning: &Learning,
        rule: &FirstSeen,
        item: &str,
        value: &str,
    ) -> Result<Option<Crossing>, StoreError> {
        let forget = i64::from(rule.forget_days) * DAY;
        let old = store
            .record(
                item,
                &[
                    (EXPIRES, Attr::Num(self.at + forget)),
                    ("seen", Attr::Num(self.at)),
                ],
                &[(FIRST, Attr::Num(self.at))],
            )
            .await?;
        // An expired item DynamoDB has not yet deleted is not a sighting.
        let seen_lately = old.num(EXPIRES).is_some_and(|exp| exp >= self.at);
        if seen_lately {
            return Ok(None);
        }
        let since = self.learning_start(store, learning).await?;
        if self.at < since + i64::from(rule.learning_days) * DAY {
            return Ok(None);
        }
        let says = format!(
            "{}: first {} {value} in {} days (learning since {})",
            self.key,
            rule.names,
            rule.forget_days,
            rfc3339(since)
        );
        Ok(Some(self.crossing(
            says,
            Summary {
                values: vec![value.to_owned()],
                event_ids: vec![self.event_id.clone()],
                ..self.summary(rule.key)
            },
            Undo::Release {
                item: item.to_owned(),
            },
        )))
    }

    /// When the monitor started learning: its first event anywhere, read
    /// once per execution environment.
    async fn learning_start(&self, store: &Store, learning: &Learning) -> Result<i64, StoreError> {
        if let Some(since) = learning.get(self.monitor.id) {
            return Ok(since);
        }
        let item = format!("l#{}", self.monitor.id);
        let old = store
            .record(
                &item,
                &[(EXPIRES, Attr::Num(self.at + LEARNING_KEPT))],
                &[("since", Attr::Num(self.at))],
            )
            .await?;
        let since = old.num("since").unwrap_or(self.at);
        learning.lock().insert(self.monitor.id, since);
        Ok(since)
    }

    async fn step(
        &self,
        store: &Store,
        rule: &Sequence,
        item: &str,
        first: bool,
    ) -> Result<Option<Crossing>, StoreError> {
        let within = i64::from(rule.within_minutes) * MINUTE;
        let (mine, other) = if first { ("a", "b") } else { ("b", "a") };
        let old = store
            .record(
                item,
                &[
                    (EXPIRES, Attr::Num(self.at + within)),
                    (&format!("{mine}_at"), Attr::Num(self.at)),
                    (&format!("{mine}_id"), Attr::Text(self.event_id.clone())),
                ],
                &[],
            )
            .await?;
        let (Some(other_at), Some(other_id)) = (
            old.num(&format!("{other}_at")),
            old.text(&format!("{other}_id")),
        ) else {
            return Ok(None);
        };
        let (a_at, b_at) = if first {
            (self.at, other_at)
        } else {
            (other_at, self.at)
        };
        if b_at < a_at || b_at - a_at > within {
            return Ok(None);
        }
        let (a_id, b_id) = if first {
            (self.event_id.as_str(), other_id)
        } else {
            (other_id, self.event_id.as_str())
        };
        let mark = format!("c#{}#{a_id}#{b_id}", self.monitor.id);
        if !store.claim(&mark, self.at, self.at + MARK_KEPT).await? {
            return Ok(None);
        }
        let says = format!(
            "{}: {} then {} {} minutes later (within {} minutes)",
            self.key,
            rule.first.says,
            rule.then.says,
            (b_at - a_at) / MINUTE,
            rule.within_minutes
        );
        Ok(Some(self.crossing(
            says,
            Summary {
                window_minutes: Some(rule.within_minutes),
                first: rfc3339(a_at),
                last: rfc3339(b_at),
                event_ids: vec![a_id.to_owned(), b_id.to_owned()],
                ..self.summary(if first { rule.first.key } else { rule.then.key })
            },
            Undo::Release { item: mark },
        )))
    }

    fn summary(&self, key: Key) -> Summary {
        Summary {
            kind: self.rule.kind(),
            key_name: key.name().into_owned(),
            key: self.key.clone(),
            count: None,
            threshold: None,
            window_minutes: None,
            first: rfc3339(self.at),
            last: rfc3339(self.at),
            values: Vec::new(),
            event_ids: Vec::new(),
        }
    }

    fn crossing(&self, says: String, summary: Summary, undo: Undo) -> Crossing {
        Crossing {
            monitor: self.monitor,
            rule: self.rule,
            says,
            summary,
            undo,
        }
    }
}

/// The item, members and expiry of a threshold's window for this event.
fn threshold(
    monitor: &Monitor,
    rule: &Threshold,
    event: &Event<'_>,
    at: i64,
    event_id: &str,
) -> Option<(String, Write)> {
    let key = rule.key.value(event)?;
    let values = match rule.distinct {
        Some(distinct) => distinct.values(event),
        None => vec![event_id.to_owned()],
    };
    if values.is_empty() {
        return None;
    }
    let window = i64::from(rule.window_minutes) * MINUTE;
    let start = at.div_euclid(window) * window;
    let item = format!("t#{}#{start}#{key}", monitor.id);
    let members = values
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|value| Member {
            value,
            event_id: event_id.to_owned(),
        })
        .collect();
    let write = Write::Tally {
        item,
        members,
        expires: start + window,
    };
    Some((key, write))
}

/// Whether the event is the sequence's first step (else its second).
fn step_matches(rule: &Sequence, event: &Event<'_>, first: bool) -> bool {
    let step = if first { rule.first } else { rule.then };
    match step.selects {
        StepSelects::Selector(selector) => selector.matches(event),
        StepSelects::Pattern(matcher) => !matcher.matches(event.raw.get()).is_empty(),
    }
}

/// Seconds since the epoch as RFC 3339 (UTC).
pub fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| seconds.to_string())
}
