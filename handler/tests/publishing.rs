//! The handler publishes exactly one message per event, and a failed publish fails the invocation.

mod common;

use std::sync::Mutex;

use common::sample;
use handler::render::Message;
use handler::{PublishError, Publisher, Selection, Severity, handle};

#[derive(Default)]
struct Recording(Mutex<Vec<Message>>);

impl Publisher for Recording {
    async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        self.0.lock().expect("lock").push(message.clone());
        Ok(())
    }
}

struct Failing;

impl Publisher for Failing {
    async fn publish(&self, _: &Message) -> Result<(), PublishError> {
        Err(PublishError("SNS is unreachable".into()))
    }
}

#[tokio::test]
async fn one_event_publishes_one_message_and_reports_it() {
    let publisher = Recording::default();
    let raw = sample("iam-create-access-key-root-self");

    let published = handle(&publisher, &Selection::every(), &common::raw(&raw))
        .await
        .expect("published");

    let sent = publisher.0.lock().expect("lock");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (published.monitor, published.severity),
        ("iam-create-access-key", Severity::Critical)
    );
    assert_eq!(published.subject, sent[0].subject);
    assert_eq!(
        published.event_id.as_deref(),
        raw["detail"]["eventID"].as_str()
    );
}

#[tokio::test]
async fn a_failed_publish_is_returned_as_an_error() {
    let error = handle(
        &Failing,
        &Selection::every(),
        &common::raw(&sample("iam-create-user-by-root")),
    )
    .await
    .expect_err("must fail");
    assert_eq!(
        error.to_string(),
        "publishing the alert failed: SNS is unreachable"
    );
}
