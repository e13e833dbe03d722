//! OCSF output: every alert is a Detection Finding the shipped OCSF 1.6.0
//! schema (docs/ocsf/) accepts, in SNS's machine bodies too.

use std::sync::LazyLock;

use crate::common;

use common::{judge, sample};
use handler::ocsf;
use handler::render::{Format, MAX_MESSAGE_BYTES, render_as};
use serde_json::{Value, json};

/// Fixed "now" for events without a time: 2026-11-30T00:00:00Z.
const NOW_MS: i64 = 1_795_996_800_000;

/// The shipped schema of Detection Finding with the cloud profile.
static SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/ocsf/detection_finding-1.6.0-cloud.schema.json"
    );
    let text = std::fs::read_to_string(path).expect("the shipped OCSF schema");
    let schema: Value = serde_json::from_str(&text).expect("JSON schema");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
});

/// Every violation of the schema, with where it is.
fn violations(finding: &Value) -> Vec<String> {
    SCHEMA
        .iter_errors(finding)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_shipped_schema_is_detection_finding_of_ocsf_1_6_0_with_the_cloud_profile() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/ocsf/detection_finding-1.6.0-cloud.schema.json"
    );
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("JSON");
    assert_eq!(
        schema["$id"],
        "https://schema.ocsf.io/schema/1.6.0/classes/detection_finding?profiles=cloud"
    );
    assert_eq!(ocsf::VERSION, "1.6.0");
    assert!(
        schema["properties"]["type_uid"]["enum"]
            .as_array()
            .is_some_and(|uids| uids.contains(&json!(ocsf::CLASS_UID * 100 + 1)))
    );
}

#[test]
fn every_sample_renders_a_detection_finding_the_schema_accepts() {
    for (name, event) in common::all_samples() {
        let raw = common::raw(&event);
        let finding = ocsf::finding(&judge(&raw), NOW_MS);
        assert_eq!(violations(&finding), Vec::<String>::new(), "{name}");
        assert_eq!(finding["class_uid"], 2004, "{name}");
    }
}

#[test]
fn the_schema_refuses_a_finding_without_its_required_attributes() {
    let raw = common::raw(&sample("iam-create-user-by-root"));
    let mut finding = ocsf::finding(&judge(&raw), NOW_MS);
    finding
        .as_object_mut()
        .expect("object")
        .remove("finding_info");
    finding["severity_id"] = json!(7);
    let found = violations(&finding);
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn a_finding_carries_the_event_its_caller_and_its_call() {
    let raw = common::raw(&sample("iam-create-user-by-root"));
    let finding = ocsf::finding(&judge(&raw), NOW_MS);
    insta::assert_json_snapshot!("ocsf_iam_create_user_by_root", finding);
}

#[test]
fn an_event_without_a_time_takes_the_rendering_time() {
    let mut event = sample("iam-create-user-by-root");
    event["detail"]
        .as_object_mut()
        .expect("detail")
        .remove("eventTime");
    event.as_object_mut().expect("envelope").remove("time");
    let raw = common::raw(&event);
    let finding = ocsf::finding(&judge(&raw), NOW_MS);
    assert_eq!(finding["time"], NOW_MS);
    assert_eq!(violations(&finding), Vec::<String>::new());
}

#[test]
fn the_ocsf_body_of_an_oversized_event_fits_sns_and_is_marked_truncated() {
    let mut event = sample("iam-create-user-by-root");
    event["detail"]["requestParameters"]["padding"] = json!("\"".repeat(300_000));
    let raw = common::raw(&event);
    let message = render_as(judge(&raw), Format::Ocsf);
    assert!(message.size() <= MAX_MESSAGE_BYTES, "{}", message.size());
    let bodies: Value = serde_json::from_str(&message.body).expect("JSON bodies");
    for protocol in ["sqs", "lambda", "http", "https", "firehose"] {
        let finding: Value =
            serde_json::from_str(bodies[protocol].as_str().expect("string")).expect("JSON");
        assert_eq!(finding["metadata"]["is_truncated"], true, "{protocol}");
        assert_eq!(violations(&finding), Vec::<String>::new(), "{protocol}");
    }
    let document: Value = serde_json::from_str(&message.document).expect("alert document");
    assert_eq!(document["schema"], "trailwatch.alert");
}

#[test]
fn people_still_read_the_text_when_machines_get_ocsf() {
    let raw = common::raw(&sample("iam-create-user-by-root"));
    let message = render_as(judge(&raw), Format::Ocsf);
    let bodies: Value = serde_json::from_str(&message.body).expect("JSON bodies");
    assert!(
        bodies["email"]
            .as_str()
            .is_some_and(|t| t.starts_with("root created IAM user backdoor\n"))
    );
    let finding: Value =
        serde_json::from_str(bodies["sqs"].as_str().expect("string")).expect("JSON");
    assert_eq!(
        finding["finding_info"]["title"],
        "root created IAM user backdoor"
    );
}
