//! What the handler does with the state table: once-only alerts across
//! execution environments ([`Once`]), and the stateful monitors' observations
//! written and their crossings published ([`observe`]). The table is best
//! effort: when it throttles or cannot be reached, the failure is logged and
//! counted ([`metrics::STATE_FAILED`]) and the alert is published anyway.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::alert::Alert;
use crate::event::Event;
use crate::finding::{Finding, Verb};
use crate::publish::{PublishError, Publisher};
use crate::state::{Store, StoreError};
use crate::stateful::{Crossing, Observation, Rule};
use crate::{Context, metrics};

/// How long a once-only mark on an event id is kept: EventBridge retries a
/// target for up to 24 hours.
const ONCE_KEPT: i64 = 86_400;

/// A stateful monitor's alert, published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crossed {
    pub monitor: &'static str,
    pub subject: String,
}

/// The once-only mark on one event's alert.
#[derive(Debug)]
pub enum Once {
    /// This invocation holds the mark (its key): it publishes.
    Claimed(String),
    /// Another delivery of the event holds it: nothing to publish.
    Repeat,
    /// No mark could be taken (no table, no event id, or the table failed):
    /// publish, as without a table.
    Unmarked,
}

impl Once {
    /// Takes the mark on `event_id` with one conditional put.
    pub async fn claim(store: Option<&Store>, event_id: Option<&str>) -> Self {
        let (Some(store), Some(id)) = (store, event_id) else {
            return Once::Unmarked;
        };
        let key = format!("d#{id}");
        let now = now();
        match store.claim(&key, now, now + ONCE_KEPT).await {
            Ok(true) => Once::Claimed(key),
            Ok(false) => {
                tracing::info!(
                    event_id = id,
                    "event alerted on by another delivery; acknowledged without a second alert"
                );
                Once::Repeat
            }
            Err(error) => {
                failed(&error);
                Once::Unmarked
            }
        }
    }

    /// Whether another delivery alerted on the event already.
    pub fn is_repeat(&self) -> bool {
        matches!(self, Once::Repeat)
    }

    /// Gives the mark back after a failed publish, so the retry alerts.
    pub async fn release(self, store: Option<&Store>) {
        if let (Once::Claimed(key), Some(store)) = (self, store)
            && let Err(error) = store.release(&key).await
        {
            failed(&error);
        }
    }
}

/// Writes each observation and publishes the alert of each crossing. A
/// crossing whose alert fails is undone, so Lambda's retry crosses again;
/// the failure is then the invocation's.
pub async fn observe<P: Publisher>(
    publisher: &P,
    context: &Context,
    raw: &RawValue,
    observations: Vec<Observation>,
) -> Result<Vec<Crossed>, PublishError> {
    let Some(store) = context.state.as_ref().filter(|_| !observations.is_empty()) else {
        return Ok(Vec::new());
    };
    let mut crossed = Vec::new();
    for observation in observations {
        let crossing = match observation.observe(store, &context.learning).await {
            Ok(Some(crossing)) => crossing,
            Ok(None) => continue,
            Err(error) => {
                failed(&error);
                continue;
            }
        };
        // The event was read once already; it reads again.
        let Ok(event) = Event::parse(raw) else {
            continue;
        };
        let mut alert = alert(&crossing, &event);
        if let Some(account) = &alert.account {
            alert.account_name = context.accounts.name(account).await;
        }
        match crate::deliver(publisher, alert).await {
            Ok(message) => {
                tracing::info!(
                    monitor = crossing.monitor.id,
                    key = crossing.summary.key,
                    "stateful alert published"
                );
                crossed.push(Crossed {
                    monitor: crossing.monitor.id,
                    subject: message.subject,
                });
            }
            Err(error) => {
                if let Err(undo) = crossing.undo.run(store).await {
                    failed(&undo);
                }
                return Err(error);
            }
        }
    }
    Ok(crossed)
}

fn failed(error: &StoreError) {
    tracing::error!(%error, "state table unavailable; going on without it");
    metrics::state_failed(error.operation);
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The alert for a crossing, on the event that made it.
pub fn alert<'a>(crossing: &Crossing, event: &Event<'a>) -> Alert<'a> {
    let severity = crossing.rule.severity();
    let mut finding = Finding::new(Verb::Called, crossing.monitor.title, severity);
    finding.raise(severity, crossing.says.clone());
    finding.step(next_step(&crossing.rule).to_owned());
    let mut alert = Alert::assessed(event, vec![(crossing.monitor, finding)]);
    alert.title = crate::text::clip(
        &format!("{}: {}", crossing.monitor.title, crossing.summary.key),
        crate::alert::MAX_FIELD_BYTES,
    );
    alert.target = Some(crossing.summary.key.clone());
    alert.state = Some(crossing.summary.clone());
    alert
}

fn next_step(rule: &Rule) -> &'static str {
    match rule {
        Rule::Threshold(_) => {
            "Review the listed events together: ask the caller whether the burst was planned; if not, treat its credentials as compromised"
        }
        Rule::FirstSeen(_) => {
            "Confirm with the caller that this first use was planned; a new caller of a sensitive call is how intrusions start"
        }
        Rule::Sequence(_) => {
            "Review both listed events: together they form a known attack path; confirm both with the caller"
        }
    }
}
