//! Digest batches: the events deferred to the digest queue, delivered by
//! Lambda's SQS event source after its batching window. Duplicates (the same
//! CloudTrail `eventID`) count once; the alerts of one caller and monitor
//! become one digest; a failed publish returns only its messages to the queue.
//!
//! One invocation publishes what fits before its deadline: a group is started
//! only while [`RESERVE`] is left, and the groups not started return to the
//! queue for the next batch. Lambda redelivers a timed-out batch whole, so
//! running out of time would publish the finished groups again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::Date;

use crate::alert::Alert;
use crate::pipeline::{self, Verdict};
use crate::publish::Publisher;
use crate::tuning::Detection;
use crate::{Context, metrics};

/// An SQS event as Lambda delivers it.
#[derive(Debug, Clone, Deserialize)]
pub struct SqsBatch {
    #[serde(rename = "Records")]
    pub records: Vec<SqsMessage>,
}

/// One message of the batch.
#[derive(Debug, Clone, Deserialize)]
pub struct SqsMessage {
    #[serde(rename = "messageId")]
    pub message_id: String,
    #[serde(rename = "eventSource")]
    pub event_source: String,
    pub body: String,
}

impl SqsBatch {
    /// The batch, when `payload` is an SQS event (and not an EventBridge one).
    pub fn read(payload: &RawValue) -> Option<Self> {
        serde_json::from_str::<Self>(payload.get())
            .ok()
            .filter(|b| b.records.iter().all(|r| r.event_source == "aws:sqs"))
    }
}

/// The partial batch response: messages to receive again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub failures: Vec<ItemFailure>,
}

/// A message whose alert could not be published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub message_id: String,
}

/// Time one group may take: an Organizations lookup (up to 2 s, see
/// [`crate::accounts`]) and an SNS publish with the SDK's retries.
pub const RESERVE: Duration = Duration::from_secs(4);

/// Alerts of one caller and monitor, with the messages they came from.
struct Group<'a> {
    alerts: Vec<Alert<'a>>,
    messages: Vec<String>,
}

/// Judges every event of the batch and publishes one alert per caller and
/// monitor (a digest when there are several), starting no group after
/// `deadline` less [`RESERVE`]; the messages of groups not published return
/// to the queue.
pub async fn handle<P: Publisher>(
    publisher: &P,
    detection: &Detection,
    context: &Context,
    batch: SqsBatch,
    today: Date,
    deadline: Instant,
) -> BatchResponse {
    let events = events(batch);
    let groups = group(&events, detection, today);
    let mut response = BatchResponse::default();
    let mut returned = 0;
    for group in groups {
        if Instant::now() + RESERVE > deadline {
            returned += 1;
            response.fail(group.messages);
            continue;
        }
        let mut alerts = group.alerts.into_iter();
        let Some(mut first) = alerts.next() else {
            continue;
        };
        if let Some(account) = &first.account {
            first.account_name = context.accounts.name(account).await;
        }
        if let Err(error) = crate::deliver(publisher, Alert::digest(first, alerts.collect())).await
        {
            tracing::error!(%error, messages = group.messages.len(), "digest not published; its messages return to the queue");
            response.fail(group.messages);
        }
    }
    if returned > 0 {
        tracing::warn!(
            groups = returned,
            "the invocation's time ran out; these digests' messages return to the queue"
        );
    }
    response
}

impl BatchResponse {
    fn fail(&mut self, messages: Vec<String>) {
        self.failures.extend(
            messages
                .into_iter()
                .map(|message_id| ItemFailure { message_id }),
        );
    }
}

/// The batch's alerts grouped by caller and monitor (when they merge), in
/// the order of their first message. EventBridge and Lambda deliver at least
/// once: the first of each CloudTrail `eventID` counts, later copies are
/// acknowledged and dropped.
fn group<'a>(
    events: &'a [(String, Box<RawValue>)],
    detection: &Detection,
    today: Date,
) -> Vec<Group<'a>> {
    let mut seen = HashSet::new();
    let mut groups: Vec<Group<'a>> = Vec::new();
    let mut index: HashMap<(&'static str, String), usize> = HashMap::new();
    for (message_id, raw) in events {
        let verdict = pipeline::verdict(raw, detection, today);
        let event_id = match &verdict {
            Verdict::Raise(alert)
            | Verdict::Suppressed { alert, .. }
            | Verdict::Dismissed { alert, .. } => alert.event_id.clone(),
            Verdict::Canary(_) | Verdict::Observed => None,
        };
        if event_id.is_some_and(|id| !seen.insert(id)) {
            tracing::info!(message_id, "duplicate event dropped from the digest");
            continue;
        }
        // Only alerts are deferred: a dismissed event or a canary never
        // reaches the queue, and is acknowledged should it arrive.
        let alert = match verdict {
            Verdict::Suppressed { alert, reason } => {
                metrics::suppressed(&alert, &reason);
                continue;
            }
            Verdict::Raise(alert) => alert,
            Verdict::Dismissed { .. } | Verdict::Canary(_) | Verdict::Observed => continue,
        };
        let key = (alert.monitor, caller(&alert));
        let merges = detection.digest.is_some_and(|d| d.defers(alert.severity));
        match index.get(&key).filter(|_| merges) {
            Some(&at) => {
                groups[at].alerts.push(alert);
                groups[at].messages.push(message_id.clone());
            }
            None => {
                index.entry(key).or_insert(groups.len());
                groups.push(Group {
                    alerts: vec![alert],
                    messages: vec![message_id.clone()],
                });
            }
        }
    }
    groups
}

/// The batch's events. A body that is not JSON is kept as a JSON string, to
/// be reviewed like any unreadable event.
fn events(batch: SqsBatch) -> Vec<(String, Box<RawValue>)> {
    batch
        .records
        .into_iter()
        .filter_map(|message| {
            let raw = serde_json::from_str::<Box<RawValue>>(&message.body)
                .or_else(|_| serde_json::value::to_raw_value(&message.body))
                .ok()?;
            Some((message.message_id, raw))
        })
        .collect()
}

/// Who made the call, for grouping: the ARN, else the display name.
fn caller(alert: &Alert<'_>) -> String {
    alert
        .actor
        .arn
        .clone()
        .unwrap_or_else(|| alert.actor.name.clone())
}
