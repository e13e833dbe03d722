//! Destinations end to end on the emulator: the deployed stack's arm64
//! handler puts each alert on the configured bus (a rule there delivers it
//! to a queue), imports it into Security Hub, and sends SNS subscribers OCSF
//! findings. Needs `cargo xtask build` first (`cargo xtask test` does it).

use std::sync::OnceLock;

use serde_json::{Value, json};
use xtask::config::{self, ConfigArgs};
use xtask::local::demo::Report;
use xtask::local::runtime_api::Outcome;
use xtask::workspace;

use crate::common;

const SAMPLES: [&str; 2] = ["iam-create-access-key-root-self", "iam-create-user-by-root"];

fn sample(name: &str) -> Value {
    let path = samples::path(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON")
}

/// The samples' CloudTrail event ids, in order.
fn event_ids() -> Vec<Value> {
    SAMPLES
        .iter()
        .map(|name| sample(name)["detail"]["eventID"].clone())
        .collect()
}

/// The destinations example of the documentation.
fn destinations_config() -> config::Config {
    config::load(&ConfigArgs {
        config: Some(workspace::root().join("samples/destinations/trailwatch.toml")),
        ..ConfigArgs::default()
    })
    .expect("the destinations example is a valid configuration")
}

/// One run of the samples on a stack deployed with the destinations example.
fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let config = destinations_config();
        let handler = common::local_handler("destinations_on_emulator", &config);
        let samples: Vec<(String, Value)> = SAMPLES
            .iter()
            .map(|name| ((*name).to_owned(), sample(name)))
            .collect();
        common::demo_on_emulator(&config, handler, &samples)
    })
}

#[test]
fn the_handler_publishes_each_alert_without_error() {
    let subjects: Vec<bool> = report()
        .samples
        .iter()
        .map(|s| matches!(&s.outcome, Some(Outcome::Response(r)) if r.get("subject").is_some()))
        .collect();
    assert_eq!(subjects, vec![true, true]);
}

#[test]
fn a_rule_on_the_configured_bus_delivers_each_alert_as_a_trailwatch_alert_event() {
    let events: Vec<(&Value, &Value, &Value, &Value)> = report()
        .destinations
        .bus_events
        .iter()
        .map(|e| {
            (
                &e["source"],
                &e["detail-type"],
                &e["detail"]["schema"],
                &e["detail"]["event_id"],
            )
        })
        .collect();
    let ids = event_ids();
    let (source, kind, schema) = (
        json!("trailwatch"),
        json!("trailwatch Alert"),
        json!("trailwatch.alert"),
    );
    assert_eq!(
        events,
        ids.iter()
            .map(|id| (&source, &kind, &schema, id))
            .collect::<Vec<_>>()
    );
}

#[test]
fn security_hub_holds_one_finding_per_alert_through_the_account_s_default_product() {
    let findings = &report().destinations.findings;
    let mut ids: Vec<&str> = findings.iter().filter_map(|f| f["Id"].as_str()).collect();
    ids.sort_unstable();
    let expected_ids = event_ids();
    let mut expected: Vec<String> = [("iam-create-access-key", 0), ("iam-create-user", 1)]
        .iter()
        .map(|(monitor, i)| {
            format!(
                "trailwatch/{monitor}/{}",
                expected_ids[*i].as_str().expect("id")
            )
        })
        .collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    for finding in findings {
        let account = finding["AwsAccountId"].as_str().expect("account");
        let product = finding["ProductArn"].as_str().expect("product");
        assert!(
            product.starts_with("arn:aws:securityhub:")
                && product.ends_with(&format!(":{account}:product/{account}/default")),
            "{product}"
        );
    }
}

#[test]
fn each_finding_has_the_severity_and_title_the_handler_core_gives_the_alert() {
    let config = destinations_config();
    let today = time::OffsetDateTime::now_utc().date();
    let mut expected: Vec<(String, String)> = SAMPLES
        .iter()
        .map(|name| {
            let raw = serde_json::value::to_raw_value(&sample(name)).expect("JSON");
            let verdict = handler::pipeline::verdict(&raw, &config.detection, today);
            let alert = verdict.alert().expect("an alert");
            let label = match alert.severity {
                handler::Severity::Info => "INFORMATIONAL".to_owned(),
                severity => severity.to_string(),
            };
            (label, alert.title.clone())
        })
        .collect();
    let mut found: Vec<(String, String)> = report()
        .destinations
        .findings
        .iter()
        .map(|f| {
            (
                f["Severity"].as_str().unwrap_or_default().to_owned(),
                f["Title"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
}

#[test]
fn sns_subscribers_receive_ocsf_detection_findings() {
    let classes: Vec<(&Value, &Value)> = report()
        .alerts
        .iter()
        .map(|a| (&a.document["class_uid"], &a.document["metadata"]["version"]))
        .collect();
    let (class, version) = (json!(2004), json!("1.6.0"));
    assert_eq!(classes, vec![(&class, &version); 2]);
}
