//! Hostile CloudTrail fields: each test is one way an attacker could try to
//! lose an alert (a Publish SNS refuses) or inject into what people read.
//! `PROPTEST_CASES=… cargo test -p handler --test hostile_input` runs longer;
//! `cargo xtask fuzz` runs the whole pipeline for minutes.

use crate::common;

use common::{all_samples, judge, pointers, raw, sample};
use handler::render::{Message, render};
use proptest::prelude::*;
use serde_json::Value;

/// Renders `event` and checks everything SNS checks of a Publish request.
fn publishable(event: &Value) -> Message {
    let message = render(judge(&raw(event)));
    if let Some(why) = common::refusal(&message) {
        panic!("{why}");
    }
    message
}

/// The alert document published for the event `text`, read by a strict parser.
fn document_of(text: &str) -> Value {
    let raw: Box<serde_json::value::RawValue> = serde_json::from_str(text).expect("JSON");
    let message = render(judge(&raw));
    let bodies: Value = serde_json::from_str(&message.body).expect("the message is JSON");
    serde_json::from_str(bodies["sqs"].as_str().expect("an sqs body")).expect("readable")
}

/// The e-mail body of a message.
fn email(message: &Message) -> String {
    let bodies: Value = serde_json::from_str(&message.body).expect("the message is JSON");
    bodies["email"].as_str().expect("an email body").to_owned()
}

#[test]
fn a_300_kb_error_code_is_clipped_in_the_title_and_the_alert_fits_sns() {
    let mut event = sample("iam-create-user-denied");
    event["detail"]["errorCode"] = "AccessDenied".repeat(25_000).into();
    let message = publishable(&event);
    let raw = raw(&event);
    let alert = judge(&raw);
    assert!(alert.title.len() <= 512, "{}", alert.title.len());
    assert!(message.subject.starts_with("[HIGH]") || message.subject.starts_with("[MEDIUM]"));
}

#[test]
fn control_characters_in_user_agent_and_group_ids_do_not_grow_the_alert_past_sns() {
    // Forty rules naming groups of control characters: twenty reasons of 512
    // bytes, each growing sevenfold through escaping in every body.
    let mut event = sample("ec2-ingress-group-and-prefix-list");
    let item = event["detail"]["requestParameters"]["ipPermissions"]["items"][0].clone();
    let mut items = Vec::new();
    for i in 0..40 {
        let mut rule = item.clone();
        rule["groups"]["items"][0]["groupId"] = format!("{i}{}", "\u{7}".repeat(600)).into();
        items.push(rule);
    }
    event["detail"]["requestParameters"]["ipPermissions"]["items"] = items.into();
    for field in [
        "userAgent",
        "sourceIPAddress",
        "eventID",
        "awsRegion",
        "eventTime",
    ] {
        event["detail"][field] = "\u{1f}".repeat(5_000).into();
    }
    event["detail"]["userIdentity"]["userName"] = "\u{1f}".repeat(5_000).into();
    event["detail"]["userIdentity"]["arn"] = "\u{1f}".repeat(5_000).into();
    publishable(&event);
}

#[test]
fn the_subject_is_at_most_99_characters() {
    let mut event = sample("iam-create-user-by-root");
    event["detail"]["requestParameters"]["userName"] = "u".repeat(300).into();
    let message = publishable(&event);
    assert_eq!(message.subject.len(), 99, "{}", message.subject);
}

#[test]
fn terminal_sequences_in_a_user_name_are_escaped_in_the_email_body() {
    let mut event = sample("iam-create-user-by-root");
    event["detail"]["requestParameters"]["userName"] =
        "x\u{1b}]0;pwned\u{7}\u{1b}[2J\nSeverity:  LOW".into();
    let body = email(&publishable(&event));
    assert!(
        !body.chars().any(|c| c == '\u{1b}' || c == '\u{7}'),
        "{body}"
    );
    assert!(
        body.contains("x\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{a}Severity:  LOW"),
        "{body}"
    );
    assert_eq!(
        body.matches("\nSeverity:").count(),
        1,
        "a forged line: {body}"
    );
}

#[test]
fn control_characters_in_filterable_attributes_are_escaped() {
    let mut event = sample("iam-create-user-by-root");
    event["detail"]["awsRegion"] = "us-east-1\u{1b}[31m".into();
    let message = publishable(&event);
    let region = message
        .attributes
        .iter()
        .find(|(name, _)| *name == "region")
        .map(|(_, value)| value.as_str());
    assert_eq!(region, Some("us-east-1\\u{1b}[31m"));
}

/// Long strings of what JSON must escape and of multibyte characters.
fn hostile_text() -> impl Strategy<Value = String> {
    let unit = prop::sample::select(vec![
        "\u{0}", "\u{1b}", "\u{7f}", "\u{9b}", "\"", "\\", "é", "日", "🦀", "\u{202e}", "\n",
    ]);
    (unit, 1_000usize..120_000).prop_map(|(unit, count)| unit.repeat(count))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn hostile_strings_in_any_three_fields_of_any_sample_still_fit_sns(
        sample in prop::sample::select(all_samples()),
        picks in prop::collection::vec((any::<prop::sample::Index>(), hostile_text()), 3),
    ) {
        let (_, mut event) = sample;
        let mut all = Vec::new();
        pointers(&event, String::new(), &mut all);
        all.retain(|p| event.pointer(p).is_some_and(|v| v.is_string() || v.is_number()));
        for (pick, text) in picks {
            if let Some(slot) = event.pointer_mut(pick.get(&all).as_str()) {
                *slot = text.into();
            }
        }
        publishable(&event);
    }
}

/// Found by `cargo xtask fuzz`: JSON allows numbers beyond an f64 and the Lambda
/// runtime accepts them, but serde_json, Go and others refuse a document holding one.
#[test]
fn a_number_beyond_an_f64_is_carried_as_text_so_every_parser_reads_the_document() {
    let mut event = sample("iam-create-user-by-root");
    event["detail"]["userIdentity"]["principalId"] = "NUMBER".into();
    let text = event.to_string().replacen("\"NUMBER\"", "-1e0000000309", 1);
    let document = document_of(&text);
    assert_eq!(document.get("event"), None);
    assert!(
        document["event_excerpt"]
            .as_str()
            .is_some_and(|excerpt| excerpt.contains("-1e0000000309")),
        "{document}"
    );
}

#[test]
fn a_lone_surrogate_escape_is_carried_as_text_so_every_parser_reads_the_document() {
    let mut event = sample("iam-create-user-by-root");
    event["detail"]["userAgent"] = "SURROGATE".into();
    let text = event.to_string().replacen("SURROGATE", "\\ud800", 1);
    let document = document_of(&text);
    assert_eq!(document.get("event"), None);
}
