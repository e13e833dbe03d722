//! SNS constraints hold whatever the input: subject, size, structure, attributes.

use crate::common;

use common::judge;
use common::sample;
use handler::render::{self, MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS, render};
use serde_json::{Value, json};

fn assert_sns_safe_subject(subject: &str) {
    assert!(
        subject.len() <= MAX_SUBJECT_CHARS,
        "{} chars: {subject}",
        subject.len()
    );
    assert!(
        subject.chars().all(|c| c == ' ' || c.is_ascii_graphic()),
        "{subject:?}"
    );
}

#[test]
fn message_structure_has_text_for_people_and_the_document_for_machines() {
    let message = render(judge(&common::raw(&sample("iam-create-user-by-root"))));
    let bodies: Value = serde_json::from_str(&message.body).expect("JSON bodies");
    assert_eq!(bodies["default"], bodies["email"]);
    assert!(
        bodies["email"]
            .as_str()
            .is_some_and(|t| t.starts_with("root created IAM user backdoor\n"))
    );
    assert_eq!(bodies["sms"], message.subject.as_str());
    for protocol in ["sqs", "lambda", "http", "https", "firehose"] {
        let document: Value = serde_json::from_str(bodies[protocol].as_str().expect("string"))
            .expect("JSON document");
        assert_eq!(
            (document["schema"].as_str(), document["severity"].as_str()),
            (Some("trailwatch.alert"), Some("CRITICAL")),
            "{protocol}"
        );
    }
}

#[test]
fn the_document_carries_control_characters_unchanged_and_the_text_shows_them_escaped() {
    let mut raw = sample("iam-create-user-by-admin");
    let name = "\u{0}\u{8}\t\n\u{c}\r\u{1f} \"q\" \\ / \u{7f} \u{2028} Jürgen 管理者 😀";
    raw["detail"]["requestParameters"]["userName"] = json!(name);
    let raw = common::raw(&raw);
    let alert = judge(&raw);
    let (text, document) = (render::text(&alert), render::document(&alert));

    let bodies: Value = serde_json::from_str(&render(alert).body).expect("JSON bodies");

    let shown =
        "\\u{0}\\u{8}\\u{9}\\u{a}\\u{c}\\u{d}\\u{1f} \"q\" \\ / \\u{7f} \\u{2028} Jürgen 管理者 😀";
    assert!(text.contains(shown), "{text:?}");
    assert_eq!(bodies["email"].as_str(), Some(text.as_str()));
    assert_eq!(bodies["sqs"].as_str(), Some(document.as_str()));
    let parsed: Value = serde_json::from_str(&document).expect("JSON document");
    assert!(
        parsed["title"].as_str().is_some_and(|t| t.contains(name)),
        "{document}"
    );
}

#[test]
fn attributes_name_severity_monitor_event_account_region() {
    let message = render(judge(&common::raw(&sample(
        "ec2-ingress-rdp-from-ipv6-internet",
    ))));
    assert_eq!(
        message.attributes,
        [
            ("severity", "CRITICAL".to_owned()),
            ("monitor", "ec2-security-group-ingress".to_owned()),
            ("event_name", "AuthorizeSecurityGroupIngress".to_owned()),
            ("account", "111122223333".to_owned()),
            ("region", "eu-west-1".to_owned()),
        ]
    );
}

#[test]
fn unicode_and_line_breaks_in_names_never_reach_the_subject() {
    let mut raw = sample("iam-create-user-by-admin");
    raw["detail"]["requestParameters"]["userName"] = json!("Jürgen\r\n[CRITICAL] 管理者\u{0007}");
    let message = render(judge(&common::raw(&raw)));
    assert_eq!(
        message.subject,
        "[MEDIUM] alice created IAM user J?rgen??[CRITICAL] ???? (111122223333/us-east-1)"
    );
}

#[test]
fn a_long_title_is_cut_but_severity_and_account_region_survive() {
    let mut raw = sample("iam-create-user-by-root");
    raw["detail"]["requestParameters"]["userName"] = json!("u".repeat(500));
    let subject = render(judge(&common::raw(&raw))).subject;
    assert_sns_safe_subject(&subject);
    assert!(
        subject.starts_with("[CRITICAL] root created IAM user uuu"),
        "{subject}"
    );
    assert!(
        subject.ends_with("... (111122223333/us-east-1)"),
        "{subject}"
    );
}

#[test]
fn a_200_kb_policy_with_a_unicode_user_fits_sns_as_valid_json() {
    let mut raw = sample("s3-put-bucket-policy-public-read");
    let statements: Vec<Value> = (0..1500)
        .map(|i| json!({"Sid": format!("Ünïcödé{i}"), "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{:012}:root", i)}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-web-assets/*"}))
        .collect();
    raw["detail"]["requestParameters"]["bucketPolicy"]["Statement"] = Value::Array(statements);
    raw["detail"]["userIdentity"]["userName"] = json!("Zoë-Ångström");
    assert!(raw.to_string().len() > 200_000);

    let message = render(judge(&common::raw(&raw)));

    assert!(
        message.size() <= MAX_MESSAGE_BYTES,
        "{} bytes",
        message.size()
    );
    let bodies: Value = serde_json::from_str(&message.body).expect("bodies stay JSON");
    let document: Value =
        serde_json::from_str(bodies["sqs"].as_str().expect("string")).expect("document stays JSON");
    assert_eq!(document.get("event"), None);
    let excerpt = document["event_excerpt"]
        .as_str()
        .expect("an excerpt of the raw event");
    assert!(
        excerpt.starts_with("{\"") && excerpt.ends_with("..."),
        "{}",
        &excerpt[..40]
    );
    assert_eq!(document["severity"], "HIGH");
    assert_eq!(
        document["reasons"].as_array().map(Vec::len),
        Some(21),
        "20 reasons and a count of the rest"
    );
    assert_sns_safe_subject(&message.subject);
}

#[test]
fn an_event_that_fits_keeps_the_whole_raw_event() {
    let raw = sample("ec2-ingress-all-traffic-from-internet");
    let message = render(judge(&common::raw(&raw)));
    let bodies: Value = serde_json::from_str(&message.body).expect("JSON bodies");
    let document: Value =
        serde_json::from_str(bodies["sqs"].as_str().expect("string")).expect("JSON");
    assert_eq!(document["event"], raw["detail"]);
    assert_eq!(document.get("event_excerpt"), None);
}

#[test]
fn the_raw_event_is_embedded_as_received_with_its_key_order() {
    let text = r#"{"source":"aws.iam","detail":{"userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root"},"eventSource":"iam.amazonaws.com","eventName":"CreateUser","requestParameters":{"userName":"z"},"awsRegion":"us-east-1"}}"#;
    let raw: Box<serde_json::value::RawValue> = serde_json::from_str(text).expect("valid JSON");
    let message = render(judge(&raw));
    let bodies: Value = serde_json::from_str(&message.body).expect("JSON bodies");
    let document = bodies["sqs"].as_str().expect("string");
    let detail = &text[r#"{"source":"aws.iam","detail":"#.len()..text.len() - 1];
    assert!(
        document.contains(&format!(r#""event":{detail}"#)),
        "{document}"
    );
}

#[test]
fn input_that_is_not_an_event_still_yields_a_review_alert() {
    let message = render(judge(&common::raw(&json!([1, 2, 3]))));
    assert_eq!(
        message.subject,
        "[HIGH] Unrecognised security event, review: an unreadable event (unknown account/unknown region)"
    );
}
