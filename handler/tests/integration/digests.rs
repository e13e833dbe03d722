//! Digests: findings below the threshold wait in the digest queue; a batch
//! merges one caller's findings of one monitor, counts a repeated event once,
//! and returns only the messages of an alert that could not be published.

use crate::common;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use common::{TODAY, sample};
use handler::batch::{self, ItemFailure, SqsBatch};
use handler::render::Message;
use handler::tuning::DigestSpec;
use handler::{Context, Detection, PublishError, Publisher, Settings, Severity, handle};
use serde_json::{Value, json};
use tokio::time::Instant;

/// Records published messages and deferred events; fails publishing when
/// told; each publish takes `latency` (of tokio's clock).
#[derive(Default)]
struct Outbox {
    published: Mutex<Vec<Message>>,
    deferred: Mutex<Vec<String>>,
    failing: bool,
    latency: Duration,
}

impl Publisher for Outbox {
    async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        tokio::time::sleep(self.latency).await;
        if self.failing {
            return Err(PublishError::Publish("SNS is unreachable".into()));
        }
        self.published.lock().expect("lock").push(message.clone());
        Ok(())
    }

    async fn defer(&self, event: &str) -> Result<(), PublishError> {
        self.deferred.lock().expect("lock").push(event.to_owned());
        Ok(())
    }
}

fn digesting() -> Detection {
    let settings = Settings {
        monitors: vec![
            "ec2-route-table-change".into(),
            "iam-create-access-key".into(),
        ],
        digest: Some(DigestSpec {
            window_seconds: 300,
            below: Severity::High,
        }),
        ..Settings::default()
    };
    Detection::build(&settings).expect("valid settings")
}

/// A CreateRoute (LOW) by `caller` on `table`, with its own event id.
fn route(event_id: &str, table: &str, caller: &str) -> Value {
    let mut event = sample("tuning/ci-role-adds-route");
    event["detail"]["eventID"] = json!(event_id);
    event["detail"]["requestParameters"]["routeTableId"] = json!(table);
    event["detail"]["userIdentity"]["arn"] =
        json!(format!("arn:aws:sts::111122223333:assumed-role/{caller}/s"));
    event
}

fn batch(events: &[Value]) -> SqsBatch {
    let records: Vec<Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"messageId": format!("m{i}"), "eventSource": "aws:sqs", "body": e.to_string()}))
        .collect();
    let payload = common::raw(&json!({ "Records": records }));
    SqsBatch::read(&payload).expect("an SQS batch")
}

/// Hands `events` to the handler as one digest batch, with the default
/// function timeout (10 s) to run.
async fn digest(outbox: &Outbox, events: &[Value]) -> batch::BatchResponse {
    digest_until(outbox, events, Instant::now() + Duration::from_secs(10)).await
}

async fn digest_until(
    outbox: &Outbox,
    events: &[Value],
    deadline: Instant,
) -> batch::BatchResponse {
    batch::handle(
        outbox,
        &digesting(),
        &Context::default(),
        batch(events),
        TODAY,
        deadline,
    )
    .await
}

fn document(message: &Message) -> Value {
    let body: Value = serde_json::from_str(&message.body).expect("JSON body");
    serde_json::from_str(body["sqs"].as_str().expect("sqs body")).expect("alert document")
}

#[tokio::test]
async fn a_finding_below_the_threshold_waits_and_one_at_it_is_published() {
    let outbox = Outbox::default();
    let detection = digesting();

    let low = handle(
        &outbox,
        &detection,
        &Context::default(),
        &common::raw(&route("e1", "rtb-1", "ci")),
        TODAY,
    )
    .await
    .expect("deferred");
    let critical = common::raw(&sample("iam-create-access-key-root-self"));
    let high = handle(&outbox, &detection, &Context::default(), &critical, TODAY)
        .await
        .expect("published");

    assert!(low.deferred && low.subject.is_none());
    assert!(!high.deferred && high.subject.is_some());
    assert_eq!(outbox.deferred.lock().expect("lock").len(), 1);
    assert_eq!(outbox.published.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn one_callers_findings_of_one_monitor_become_one_digest() {
    let outbox = Outbox::default();
    let events = [
        route("e1", "rtb-1", "ci"),
        route("e2", "rtb-2", "ci"),
        route("e3", "rtb-3", "ci"),
    ];

    let response = digest(&outbox, &events).await;

    assert!(response.failures.is_empty());
    let published = outbox.published.lock().expect("lock");
    assert_eq!(published.len(), 1);
    let alert = document(&published[0]);
    assert_eq!(alert["digest"]["count"], 3);
    assert_eq!(
        alert["digest"]["targets"],
        json!(["rtb-1", "rtb-2", "rtb-3"])
    );
    assert_eq!(alert["digest"]["event_ids"], json!(["e1", "e2", "e3"]));
    assert!(
        alert["title"]
            .as_str()
            .is_some_and(|t| t.ends_with("(and 2 more like it)")),
        "{}",
        alert["title"]
    );
}

#[tokio::test]
async fn a_repeated_event_id_in_a_batch_is_alerted_once() {
    let outbox = Outbox::default();
    let events = [route("e1", "rtb-1", "ci"), route("e1", "rtb-1", "ci")];

    digest(&outbox, &events).await;

    let published = outbox.published.lock().expect("lock");
    assert_eq!(published.len(), 1);
    assert_eq!(document(&published[0])["digest"]["count"], 1);
}

#[tokio::test]
async fn different_callers_get_alerts_of_their_own() {
    let outbox = Outbox::default();
    let events = [route("e1", "rtb-1", "ci"), route("e2", "rtb-2", "admin")];

    digest(&outbox, &events).await;

    assert_eq!(outbox.published.lock().expect("lock").len(), 2);
}

#[tokio::test]
async fn a_failed_publish_returns_exactly_its_messages_to_the_queue() {
    let outbox = Outbox {
        failing: true,
        ..Outbox::default()
    };
    let events = [
        route("e1", "rtb-1", "ci"),
        route("e2", "rtb-2", "ci"),
        route("e3", "rtb-3", "admin"),
    ];

    let response = digest(&outbox, &events).await;

    let ids: Vec<&str> = response
        .failures
        .iter()
        .map(|f: &ItemFailure| f.message_id.as_str())
        .collect();
    assert_eq!(ids, ["m0", "m1", "m2"]);
}

#[test]
fn an_eventbridge_event_is_not_read_as_a_batch() {
    assert!(SqsBatch::read(&common::raw(&route("e1", "rtb-1", "ci"))).is_none());
}

/// A full batch (10,000 messages, the mapping's batch size) of 10,000
/// callers: one digest each, 50 ms per publish, with a 10 s timeout.
fn full_batch_of_callers() -> Vec<Value> {
    (0..10_000)
        .map(|i| route(&format!("e{i}"), "rtb-1", &format!("caller-{i}")))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_full_batch_stops_publishing_before_the_deadline_and_returns_the_rest() {
    let outbox = Outbox {
        latency: Duration::from_millis(50),
        ..Outbox::default()
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs(10);

    let response = digest_until(&outbox, &full_batch_of_callers(), deadline).await;

    let published = outbox.published.lock().expect("lock").len();
    // (10 s - 4 s reserve) / 50 ms: the groups started while the reserve was left.
    assert_eq!(published, 121);
    assert_eq!(response.failures.len(), 10_000 - published);
    assert!(Instant::now() <= deadline - batch::RESERVE + Duration::from_millis(50));
}

#[tokio::test(start_paused = true)]
async fn a_batch_cut_short_returns_exactly_the_messages_it_did_not_publish() {
    let outbox = Outbox {
        latency: Duration::from_millis(50),
        ..Outbox::default()
    };
    let events = full_batch_of_callers();

    let response = digest_until(&outbox, &events, Instant::now() + Duration::from_secs(10)).await;

    let published: BTreeSet<String> = outbox
        .published
        .lock()
        .expect("lock")
        .iter()
        .map(|message| {
            document(message)["event_id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    let returned: BTreeSet<String> = response
        .failures
        .iter()
        .map(|failure| format!("e{}", &failure.message_id[1..]))
        .collect();
    assert!(published.is_disjoint(&returned));
    assert_eq!(published.len() + returned.len(), events.len());
}

#[tokio::test(start_paused = true)]
async fn a_batch_with_no_time_left_publishes_nothing_and_returns_everything() {
    let outbox = Outbox::default();
    let events = [route("e1", "rtb-1", "ci"), route("e2", "rtb-2", "deployer")];

    let response = digest_until(&outbox, &events, Instant::now() + batch::RESERVE / 2).await;

    assert!(outbox.published.lock().expect("lock").is_empty());
    assert_eq!(
        response.failures,
        [
            ItemFailure {
                message_id: "m0".into()
            },
            ItemFailure {
                message_id: "m1".into()
            }
        ]
    );
}
