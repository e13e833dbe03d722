//! Digest batches: the events deferred to the digest queue, delivered by
//! Lambda's SQS event source after its batching window. Duplicates (the same
//! CloudTrail `eventID`) count once; the alerts of one caller and monitor
//! become one digest; a failed publish returns only its messages to the queue.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::Date;

use crate::alert::{self, Alert, Verdict};
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

/// Alerts of one caller and monitor, with the messages they came from.
struct Group<'a> {
    key: (&'static str, String),
    alerts: Vec<Alert<'a>>,
    messages: Vec<String>,
}

/// Judges every event of the batch and publishes one alert per caller and
/// monitor (a digest when there are several).
pub async fn handle<P: Publisher>(
    publisher: &P,
    detection: &Detection,
    context: &Context,
    batch: SqsBatch,
    today: Date,
) -> BatchResponse {
    let events = events(batch);
    // EventBridge and Lambda deliver at least once: the first of each
    // CloudTrail `eventID` counts, later copies are acknowledged and dropped.
    let mut seen = HashSet::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (message_id, raw) in &events {
        let verdict = alert::judge(raw, detection, today);
        let event_id = match &verdict {
            Verdict::Raise(alert) | Verdict::Suppressed { alert, .. } => alert.event_id.clone(),
        };
        if event_id.is_some_and(|id| !seen.insert(id)) {
            tracing::info!(message_id, "duplicate event dropped from the digest");
            continue;
        }
        let alert = match verdict {
            Verdict::Suppressed { alert, reason } => {
                metrics::suppressed(&alert, &reason);
                continue;
            }
            Verdict::Raise(alert) => alert,
        };
        let key = (alert.monitor, caller(&alert));
        let merges = detection.digest.is_some_and(|d| d.defers(alert.severity));
        match groups.iter_mut().find(|g| merges && g.key == key) {
            Some(group) => {
                group.alerts.push(alert);
                group.messages.push(message_id.clone());
            }
            None => groups.push(Group {
                key,
                alerts: vec![alert],
                messages: vec![message_id.clone()],
            }),
        }
    }
    let mut response = BatchResponse::default();
    for group in groups {
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
            response.failures.extend(
                group
                    .messages
                    .into_iter()
                    .map(|message_id| ItemFailure { message_id }),
            );
        }
    }
    response
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
