//! Stateful monitors: each sample sequence, replayed through the handler with
//! the in-memory store, raises exactly the alerts it names; once-only marks
//! hold across execution environments; a failed publish is undone and
//! alerts on the retry; a store that fails never costs an alert.

use std::sync::Mutex;

use ::samples::SequenceAlert;
use handler::render::Message;
use handler::state::{MemoryStore, Store};
use handler::{Context, Detection, PublishError, Publisher, Selection, handle};
use serde_json::Value;

use crate::common;

const TODAY: time::Date = time::macros::date!(2026 - 11 - 24);

/// Keeps what it publishes; fails while `failing` is set.
#[derive(Default)]
struct Outbox {
    published: Mutex<Vec<Value>>,
    failing: Mutex<bool>,
}

impl Outbox {
    fn documents(&self) -> Vec<Value> {
        self.published.lock().expect("lock").clone()
    }
}

impl Publisher for Outbox {
    async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        if *self.failing.lock().expect("lock") {
            return Err(PublishError::Publish("SNS is unreachable".into()));
        }
        let body: Value = serde_json::from_str(&message.body).expect("a JSON body");
        let document = serde_json::from_str(body["sqs"].as_str().expect("an sqs body"))
            .expect("the alert document");
        self.published.lock().expect("lock").push(document);
        Ok(())
    }

    async fn defer(&self, _: &str) -> Result<(), PublishError> {
        Err(PublishError::Defer("no digest queue here".into()))
    }
}

fn detection() -> Detection {
    Detection::from(Selection::every())
}

fn with_memory() -> Context {
    Context {
        state: Some(Store::Memory(MemoryStore::default())),
        ..Context::default()
    }
}

/// The stateful alerts of one published document, as a sequence expects it.
fn as_expected(after: usize, document: &Value) -> SequenceAlert {
    let texts = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    SequenceAlert {
        after,
        monitor: document["monitor"].as_str().unwrap_or_default().to_owned(),
        severity: document["severity"].as_str().unwrap_or_default().to_owned(),
        title: document["title"].as_str().unwrap_or_default().to_owned(),
        reasons: texts(&document["reasons"]),
        event_ids: texts(&document["state"]["event_ids"]),
    }
}

/// Replays events in delivery order through one environment; the stateful
/// alerts raised, each with the index of the event that raised it.
pub async fn replay(events: &[Value]) -> Vec<SequenceAlert> {
    let (outbox, context, detection) = (Outbox::default(), with_memory(), detection());
    let mut alerts = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let before = outbox.documents().len();
        handle(&outbox, &detection, &context, &common::raw(event), TODAY)
            .await
            .expect("published");
        let published = outbox.documents();
        alerts.extend(
            published[before..]
                .iter()
                .filter(|d| d.get("state").is_some())
                .map(|d| as_expected(index, d)),
        );
    }
    alerts
}

#[tokio::test]
async fn every_sequence_raises_exactly_its_alerts() {
    let update = std::env::var_os("TRAILWATCH_UPDATE_EXPECTED").is_some();
    for (monitor, name, mut sequence) in ::samples::sequences() {
        let raised = replay(&sequence.events).await;
        let planned: Vec<(usize, &str)> = sequence
            .alerts
            .iter()
            .map(|a| (a.after, a.monitor.as_str()))
            .collect();
        let got: Vec<(usize, &str)> = raised
            .iter()
            .map(|a| (a.after, a.monitor.as_str()))
            .collect();
        // Which event alerts, for which monitor, is never rewritten.
        assert_eq!(got, planned, "{monitor}/{name}");
        if update {
            sequence.alerts = raised;
            ::samples::write_sequence(&monitor, &name, &sequence);
        } else {
            assert_eq!(raised, sequence.alerts, "{monitor}/{name}");
        }
    }
}

#[test]
fn every_stateful_monitor_has_a_sequence_that_alerts_and_one_that_does_not() {
    let sequences = ::samples::sequences();
    for monitor in handler::monitors::CATALOG
        .iter()
        .filter(|m| m.is_stateful())
    {
        let own: Vec<_> = sequences
            .iter()
            .filter(|(m, _, _)| m == monitor.id)
            .collect();
        assert!(
            own.iter().any(|(_, _, s)| !s.alerts.is_empty()),
            "{}: no sequence alerts",
            monitor.id
        );
        assert!(
            own.iter().any(|(_, _, s)| s.alerts.is_empty()),
            "{}: no quiet sequence",
            monitor.id
        );
    }
}

fn sequence(monitor: &str, name: &str) -> Vec<Value> {
    ::samples::sequences()
        .into_iter()
        .find(|(m, n, _)| m == monitor && n == name)
        .map(|(_, _, s)| s.events)
        .expect("the sequence")
}

#[tokio::test]
async fn a_repeat_delivered_to_another_environment_publishes_nothing() {
    let store = Store::Memory(MemoryStore::default());
    let event = common::raw(&common::sample("iam-create-user-by-admin"));
    let (outbox, detection) = (Outbox::default(), detection());
    let first = Context {
        state: Some(store),
        ..Context::default()
    };
    handle(&outbox, &detection, &first, &event, TODAY)
        .await
        .expect("published");
    // A second environment: its own memory of recent events, the same table.
    let second = Context {
        state: first.state,
        ..Context::default()
    };
    let handled = handle(&outbox, &detection, &second, &event, TODAY)
        .await
        .expect("acknowledged");
    assert_eq!((handled.duplicate, outbox.documents().len()), (true, 1));
}

#[tokio::test]
async fn a_crossing_whose_alert_fails_alerts_on_the_retry() {
    let events = sequence("root-sign-in-failures", "ten-root-failures");
    let (outbox, context, detection) = (Outbox::default(), with_memory(), detection());
    for event in &events[..9] {
        handle(&outbox, &detection, &context, &common::raw(event), TODAY)
            .await
            .expect("published");
    }
    let tenth = common::raw(&events[9]);
    *outbox.failing.lock().expect("lock") = true;
    assert!(
        handle(&outbox, &detection, &context, &tenth, TODAY)
            .await
            .is_err()
    );
    *outbox.failing.lock().expect("lock") = false;
    let retried = handle(&outbox, &detection, &context, &tenth, TODAY)
        .await
        .expect("published on the retry");
    let crossed: Vec<&str> = retried.crossed.iter().map(|c| c.monitor).collect();
    assert_eq!(crossed, ["root-sign-in-failures"]);
}

#[tokio::test]
async fn without_a_store_stateful_monitors_observe_nothing_and_alerts_still_go() {
    let (outbox, detection) = (Outbox::default(), detection());
    let events = sequence("root-sign-in-failures", "ten-root-failures");
    for event in &events {
        handle(
            &outbox,
            &detection,
            &Context::default(),
            &common::raw(event),
            TODAY,
        )
        .await
        .expect("published");
    }
    let documents = outbox.documents();
    assert_eq!(
        (
            documents.len(),
            documents
                .iter()
                .filter(|d| d.get("state").is_some())
                .count()
        ),
        (events.len(), 0),
        "one alert per failed root sign-in (root usage), none stateful"
    );
}

#[tokio::test]
async fn a_throttled_table_costs_no_alert() {
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
    use aws_sdk_dynamodb::types::error::ProvisionedThroughputExceededException;
    let throttled = || {
        ProvisionedThroughputExceededException::builder()
            .message("Rate of requests exceeds the allowed throughput")
            .build()
    };
    let put = aws_smithy_mocks::mock!(aws_sdk_dynamodb::Client::put_item)
        .then_error(move || PutItemError::ProvisionedThroughputExceededException(throttled()));
    let update = aws_smithy_mocks::mock!(aws_sdk_dynamodb::Client::update_item)
        .then_error(move || UpdateItemError::ProvisionedThroughputExceededException(throttled()));
    let client = aws_smithy_mocks::mock_client!(
        aws_sdk_dynamodb,
        aws_smithy_mocks::RuleMode::MatchAny,
        [&put, &update]
    );
    let context = Context {
        state: Some(Store::DynamoDb(handler::state::DynamoStore::new(
            client,
            "trailwatch-state".into(),
        ))),
        ..Context::default()
    };
    let (outbox, detection) = (Outbox::default(), detection());
    // A root sign-in failure: root usage alerts on it, and a stateful monitor counts it.
    let events = sequence("root-sign-in-failures", "ten-root-failures");
    let handled = handle(
        &outbox,
        &detection,
        &context,
        &common::raw(&events[0]),
        TODAY,
    )
    .await
    .expect("published without the table");
    assert_eq!(
        (
            handled.subject.is_some(),
            outbox.documents().len(),
            put.num_calls(),
            update.num_calls()
        ),
        (true, 1, 1, 1),
        "one once-only mark and one record tried, both throttled; the alert went"
    );
}

/// A custom monitor from its `[[monitor]]` block (as JSON: the same serde shape).
fn custom(block: serde_json::Value) -> Detection {
    let spec: handler::tuning::CustomSpec = serde_json::from_value(block).expect("a spec");
    Detection::build(&handler::Settings {
        monitors: Vec::new(),
        custom: vec![spec],
        ..handler::Settings::default()
    })
    .expect("valid settings")
}

/// The stateful alerts `events` raise with `detection`, by event index and monitor.
async fn crossings(detection: &Detection, events: &[Value]) -> Vec<(usize, &'static str)> {
    let (outbox, context) = (Outbox::default(), with_memory());
    let mut crossed = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let handled = handle(&outbox, detection, &context, &common::raw(event), TODAY)
            .await
            .expect("handled");
        crossed.extend(handled.crossed.iter().map(|c| (index, c.monitor)));
    }
    crossed
}

#[tokio::test]
async fn a_custom_threshold_counts_distinct_values_of_its_path() {
    let detection = custom(serde_json::json!({
        "id": "sign-in-failures-per-address",
        "title": "Sign-in failures from one address",
        "severity": "HIGH",
        "pattern": {"source": ["aws.signin"], "detail-type": ["AWS Console Sign In via CloudTrail"], "detail": {"eventName": ["ConsoleLogin"], "responseElements": {"ConsoleLogin": ["Failure"]}}},
        "threshold": {"count": 3, "window_minutes": 60, "key": "source_ip", "distinct": "userIdentity.userName"}
    }));
    let events = sequence("console-sign-in-spraying", "eleven-users-from-one-address");
    assert_eq!(
        crossings(&detection, &events).await,
        [(2, "sign-in-failures-per-address")]
    );
}

#[tokio::test]
async fn a_custom_sequence_alerts_on_its_second_pattern() {
    let detection = custom(serde_json::json!({
        "id": "user-then-admin",
        "title": "User created, then made admin",
        "severity": "CRITICAL",
        "pattern": {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["CreateUser"]}},
        "sequence": {
            "then": {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["AttachUserPolicy"]}},
            "within_minutes": 30,
            "key": "requestParameters.userName"
        }
    }));
    let events = sequence("new-principal-made-admin", "user-created-then-made-admin");
    assert_eq!(
        crossings(&detection, &events).await,
        [(1, "user-then-admin")]
    );
}
