//! The handler publishes exactly one message per event, and a failed publish fails the invocation.

use crate::common;

use common::TODAY;
use common::{Recording, sample};
use handler::render::Message;
use handler::tuning::SuppressSpec;
use handler::{Context, Detection, PublishError, Publisher, Selection, Settings, Severity, handle};

struct Failing;

impl Publisher for Failing {
    async fn publish(&self, _: &Message) -> Result<(), PublishError> {
        Err(PublishError::Publish("SNS is unreachable".into()))
    }

    async fn defer(&self, _: &str) -> Result<(), PublishError> {
        Err(PublishError::Defer("SQS is unreachable".into()))
    }
}

#[tokio::test]
async fn one_event_publishes_one_message_and_reports_it() {
    let publisher = Recording::default();
    let raw = sample("iam-create-access-key-root-self");

    let every = Detection::from(Selection::every());
    let published = handle(
        &publisher,
        &every,
        &Context::default(),
        &common::raw(&raw),
        TODAY,
    )
    .await
    .expect("published");

    let sent = publisher.0.lock().expect("lock");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (published.monitor, published.severity),
        ("iam-create-access-key", Severity::Critical)
    );
    assert_eq!(published.subject.as_deref(), Some(sent[0].subject.as_str()));
    assert_eq!(
        published.event_id.as_deref(),
        raw["detail"]["eventID"].as_str()
    );
}

#[tokio::test]
async fn a_failed_publish_is_returned_as_an_error() {
    let error = handle(
        &Failing,
        &Detection::from(Selection::every()),
        &Context::default(),
        &common::raw(&sample("iam-create-user-by-root")),
        TODAY,
    )
    .await
    .expect_err("must fail");
    assert_eq!(
        error.to_string(),
        "publishing the alert to SNS failed: SNS is unreachable"
    );
}

#[tokio::test]
async fn a_suppressed_event_publishes_nothing_and_reports_the_reason() {
    let publisher = Recording::default();
    let settings = Settings {
        monitors: vec!["iam-create-user".into()],
        suppress: vec![SuppressSpec {
            reason: "CI creates per-branch users".into(),
            monitors: None,
            role: Vec::new(),
            user: vec!["alice".into()],
            service: Vec::new(),
            principal_arn: Vec::new(),
            source_ip: Vec::new(),
            account: Vec::new(),
            expires: None,
            max_severity: Severity::High,
        }],
        ..Settings::default()
    };
    let detection = Detection::build(&settings).expect("valid settings");
    let raw = common::raw(&sample("iam-create-user-by-admin"));

    let handled = handle(&publisher, &detection, &Context::default(), &raw, TODAY)
        .await
        .expect("handled");

    assert!(publisher.0.lock().expect("lock").is_empty());
    assert_eq!(
        handled.suppressed_by.as_deref(),
        Some("CI creates per-branch users")
    );
    assert_eq!(
        (handled.monitor, handled.subject),
        ("iam-create-user", None)
    );
}

#[tokio::test]
async fn a_forwarded_copy_of_an_alerted_event_is_acknowledged_without_a_second_alert() {
    let publisher = Recording::default();
    let every = Detection::from(Selection::every());
    let context = Context::default();
    let original = sample("iam-create-access-key-root-self");
    // Forwarding to another bus gives the event a new envelope id; the
    // CloudTrail record, and its eventID, stay the same.
    let mut forwarded = original.clone();
    forwarded["id"] = "7f0c8a61-0000-4000-8000-forwarded0001".into();
    forwarded["region"] = "eu-west-1".into();

    let first = handle(&publisher, &every, &context, &common::raw(&original), TODAY)
        .await
        .expect("published");
    let second = handle(
        &publisher,
        &every,
        &context,
        &common::raw(&forwarded),
        TODAY,
    )
    .await
    .expect("acknowledged");

    assert_eq!(publisher.0.lock().expect("lock").len(), 1);
    assert_eq!(
        (first.duplicate, second.duplicate, second.subject),
        (false, true, None)
    );
    assert_eq!(second.event_id, first.event_id);
}

#[tokio::test]
async fn an_event_whose_publish_failed_is_alerted_when_delivered_again() {
    let every = Detection::from(Selection::every());
    let context = Context::default();
    let raw = common::raw(&sample("iam-create-access-key-root-self"));

    handle(&Failing, &every, &context, &raw, TODAY)
        .await
        .expect_err("publish failed");
    let publisher = Recording::default();
    let retried = handle(&publisher, &every, &context, &raw, TODAY)
        .await
        .expect("published");

    assert!(!retried.duplicate);
    assert_eq!(publisher.0.lock().expect("lock").len(), 1);
}

/// Publishes the alerts of two samples of account 111122223333, with account
/// names from Organizations answered by `rule`; returns what was sent.
async fn publish_two_alerts_of_one_account(rule: &aws_smithy_mocks::Rule) -> Vec<Message> {
    let client = aws_smithy_mocks::mock_client!(
        aws_sdk_organizations,
        aws_smithy_mocks::RuleMode::MatchAny,
        [rule]
    );
    let context = Context {
        accounts: handler::accounts::AccountNames::from_organizations(client),
        ..Context::default()
    };
    let publisher = Recording::default();
    let every = Detection::from(Selection::every());
    for name in [
        "iam-create-access-key-root-self",
        "cloudtrail-change-stop-logging",
    ] {
        handle(
            &publisher,
            &every,
            &context,
            &common::raw(&sample(name)),
            TODAY,
        )
        .await
        .expect("published whatever Organizations answers");
    }
    publisher.0.into_inner().expect("lock")
}

/// The e-mail text and the JSON document of a published message.
fn bodies(message: &Message) -> (String, serde_json::Value) {
    let body: serde_json::Value = serde_json::from_str(&message.body).expect("body");
    let document = serde_json::from_str(body["sqs"].as_str().expect("sqs")).expect("document");
    (body["email"].as_str().expect("email").to_owned(), document)
}

#[tokio::test]
async fn alerts_name_the_account_from_organizations_asking_once_per_account() {
    use aws_sdk_organizations::operation::describe_account::DescribeAccountOutput;
    use aws_sdk_organizations::types::Account;
    let describe = aws_smithy_mocks::mock!(aws_sdk_organizations::Client::describe_account)
        .match_requests(|request| request.account_id() == Some("111122223333"))
        .then_output(|| {
            DescribeAccountOutput::builder()
                .account(
                    Account::builder()
                        .id("111122223333")
                        .name("Production")
                        .build(),
                )
                .build()
        });
    let sent = publish_two_alerts_of_one_account(&describe).await;

    assert_eq!(describe.num_calls(), 1);
    for message in &sent {
        let (email, document) = bodies(message);
        assert!(
            email.contains("Account:   111122223333 (Production)\n"),
            "{email}"
        );
        assert_eq!(document["account_name"], "Production");
    }
}

#[tokio::test]
async fn an_account_name_organizations_refuses_leaves_the_alert_with_the_id_alone() {
    use aws_sdk_organizations::operation::describe_account::DescribeAccountError;
    use aws_sdk_organizations::types::error::AccessDeniedException;
    let describe = aws_smithy_mocks::mock!(aws_sdk_organizations::Client::describe_account)
        .then_error(|| {
            DescribeAccountError::AccessDeniedException(
                AccessDeniedException::builder()
                    .message("not the management account")
                    .build(),
            )
        });
    let sent = publish_two_alerts_of_one_account(&describe).await;

    assert_eq!(describe.num_calls(), 1, "a refusal is remembered");
    assert_eq!(sent.len(), 2);
    let (email, document) = bodies(&sent[0]);
    assert!(email.contains("Account:   111122223333\n"), "{email}");
    assert!(document.get("account_name").is_none());
}
