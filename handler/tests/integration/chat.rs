//! Chat notifications: the custom notification format, markup-safe values,
//! the severity threshold, and a chat failure never failing the alert.

use crate::common;

use std::sync::Mutex;

use common::{TODAY, judge, raw, sample};
use handler::chat::{Summary, notification, slack, teams};
use handler::render::Message;
use handler::{Context, Detection, PublishError, Publisher, Selection, Severity, handle};
use serde_json::Value;

/// A publisher with a chat topic receiving alerts of at least `threshold`;
/// its chat topic fails when `chat_fails`.
struct WithChat {
    threshold: Severity,
    chat_fails: bool,
    alerts: Mutex<Vec<Message>>,
    chats: Mutex<Vec<String>>,
}

impl WithChat {
    fn new(threshold: Severity, chat_fails: bool) -> Self {
        Self {
            threshold,
            chat_fails,
            alerts: Mutex::default(),
            chats: Mutex::default(),
        }
    }
}

impl Publisher for WithChat {
    async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        self.alerts.lock().expect("lock").push(message.clone());
        Ok(())
    }

    async fn defer(&self, _: &str) -> Result<(), PublishError> {
        Err(PublishError::Defer("no digest queue here".into()))
    }

    fn chat_threshold(&self) -> Option<Severity> {
        Some(self.threshold)
    }

    async fn chat(&self, summary: &Summary) -> Result<(), PublishError> {
        if self.chat_fails {
            return Err(PublishError::Chat("the chat topic is unreachable".into()));
        }
        self.chats
            .lock()
            .expect("lock")
            .push(notification(summary).to_json());
        Ok(())
    }
}

async fn deliver(publisher: &WithChat, sample_name: &str) {
    let every = Detection::from(Selection::every());
    handle(
        publisher,
        &every,
        &Context::default(),
        &raw(&sample(sample_name)),
        TODAY,
    )
    .await
    .expect("the alert is published");
}

#[test]
fn a_notification_is_in_the_custom_format_amazon_q_developer_accepts() {
    let event = raw(&sample("ec2-ingress-legacy-ssh-from-internet"));
    let json: Value =
        serde_json::from_str(&notification(&Summary::of(&judge(&event))).to_json()).expect("JSON");
    insta::assert_json_snapshot!("chat.ec2-ingress-legacy-ssh-from-internet", json);
}

#[test]
fn a_health_alert_reaches_chat_in_the_same_format() {
    let event = raw(&sample("health-handler-errors-alarm"));
    let json: Value =
        serde_json::from_str(&notification(&Summary::of(&judge(&event))).to_json()).expect("JSON");
    insta::assert_json_snapshot!("chat.health-handler-errors-alarm", json);
}

#[test]
fn event_values_cannot_mention_link_or_break_out_of_their_code_span() {
    let mut event = sample("iam-create-user-by-admin");
    let hostile =
        "`<!channel> [click](https://evil.example) <https://evil.example|login> &amp;\u{1b}[2J";
    event["detail"]["userIdentity"]["userName"] = hostile.into();
    event["detail"]["requestParameters"]["userName"] = hostile.into();
    let summary = Summary::of(&judge(&raw(&event)));
    let text = notification(&summary).to_json();
    let json: Value = serde_json::from_str(&text).expect("JSON");
    let content = &json["content"];
    for field in [&content["title"], &content["description"]] {
        let field = field.as_str().expect("text");
        assert!(!field.contains('<') && !field.contains('>'), "{field}");
        assert!(!field.contains('&') && !field.contains('\u{1b}'), "{field}");
        // Backticks only open and close spans: never an odd count on a line.
        for line in field.lines() {
            assert_eq!(line.matches('`').count() % 2, 0, "{line}");
        }
    }
    assert!(
        content["description"]
            .as_str()
            .expect("text")
            .contains("`'‹!channel› ［click](https://evil.example)"),
        "{content}"
    );
}

#[tokio::test]
async fn alerts_at_or_above_the_threshold_go_to_chat_once_and_others_do_not() {
    let publisher = WithChat::new(Severity::High, false);
    deliver(&publisher, "cloudtrail-change-stop-logging").await; // HIGH
    deliver(&publisher, "cloudtrail-change-create-trail").await; // LOW
    assert_eq!(publisher.alerts.lock().expect("lock").len(), 2);
    let chats = publisher.chats.lock().expect("lock");
    assert_eq!(chats.len(), 1);
    let json: Value = serde_json::from_str(&chats[0]).expect("JSON");
    assert_eq!(
        (
            &json["version"],
            &json["source"],
            &json["content"]["keywords"][0]
        ),
        (
            &Value::from("1.0"),
            &Value::from("custom"),
            &Value::from("HIGH")
        )
    );
}

#[tokio::test]
async fn a_failed_chat_notification_does_not_fail_the_published_alert() {
    let publisher = WithChat::new(Severity::Info, true);
    deliver(&publisher, "cloudtrail-change-stop-logging").await;
    assert_eq!(publisher.alerts.lock().expect("lock").len(), 1);
    assert!(publisher.chats.lock().expect("lock").is_empty());
}

#[test]
fn a_slack_webhook_message_has_the_fallback_text_and_blocks() {
    let event = raw(&sample("ec2-ingress-legacy-ssh-from-internet"));
    insta::assert_json_snapshot!(
        "slack.ec2-ingress-legacy-ssh-from-internet",
        slack(&Summary::of(&judge(&event)))
    );
}

#[test]
fn a_teams_webhook_message_is_one_adaptive_card() {
    let event = raw(&sample("ec2-ingress-legacy-ssh-from-internet"));
    insta::assert_json_snapshot!(
        "teams.ec2-ingress-legacy-ssh-from-internet",
        teams(&Summary::of(&judge(&event)))
    );
}

#[test]
fn webhook_messages_carry_no_markup_from_the_event() {
    let mut event = sample("iam-create-user-by-admin");
    let hostile = "<!channel> [click](https://evil.example) &amp;\u{1b}[2J";
    event["detail"]["userIdentity"]["userName"] = hostile.into();
    event["detail"]["requestParameters"]["userName"] = hostile.into();
    let summary = Summary::of(&judge(&raw(&event)));
    for message in [slack(&summary), teams(&summary)] {
        let text = message.to_string();
        for forbidden in ["<!channel>", "[click]", "&amp;", "\\u001b"] {
            assert!(!text.contains(forbidden), "{forbidden} in {text}");
        }
    }
}

/// An ingress alert for a default-VPC group with a name full of chat markup.
fn hostile_title_summary() -> Summary {
    let mut event = sample("ec2-ingress-default-vpc-group-by-name");
    event["detail"]["requestParameters"]["groupName"] =
        "*_x_* <https://evil.example|click> [y](https://evil.example)".into();
    let raw = raw(&event);
    Summary::of(&judge(&raw))
}

#[test]
fn an_attacker_chosen_name_in_a_slack_title_is_code_and_makes_no_link() {
    let message = slack(&hostile_title_summary());
    assert_eq!(
        message["blocks"][0]["text"]["text"],
        ":rotating_light: [CRITICAL] `DeployRole/ci-pipeline opened *_x_* ‹https://evil.example|click› ［y](https://evil.example) to the internet`"
    );
}

#[test]
fn an_attacker_chosen_name_in_a_teams_title_loses_its_markup() {
    let card = teams(&hostile_title_summary());
    assert_eq!(
        card["attachments"][0]["content"]["body"][0]["text"],
        "[CRITICAL] DeployRole/ci-pipeline opened ∗＿x＿∗ ‹https：//evil.example|click› ［y](https：//evil.example) to the internet"
    );
}
