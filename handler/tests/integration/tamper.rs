//! The tamper monitor: trailwatch's own resources by the deployment's names,
//! others' only where detection rule sets flag the call, never CloudFormation.

use crate::common;

use common::{TODAY, every_monitor, sample};
use contract::Severity;
use handler::pipeline::{self, Verdict};
use serde_json::{Value, json};

fn tamper_severity(event: &Value, detection: &handler::Detection) -> Option<Severity> {
    let raw = common::raw(event);
    match pipeline::verdict(&raw, detection, TODAY) {
        Verdict::Raise(alert) => Some(alert.severity),
        _ => None,
    }
}

/// The disabled-rule sample as call `name` on `resource` in `field`.
fn call(name: &str, field: &str, resource: &str) -> Value {
    let mut event = sample("tamper-rule-disabled");
    event["detail"]["eventName"] = json!(name);
    event["detail"]["requestParameters"] = json!({ field: resource });
    event
}

#[test]
fn a_routine_change_to_someone_elses_rule_is_dismissed() {
    let raw = common::raw(&call("PutRule", "name", "orders-nightly-export"));
    let verdict = pipeline::verdict(&raw, &every_monitor(), TODAY);
    let Verdict::Dismissed { reason, .. } = verdict else {
        panic!("dismissed")
    };
    assert!(
        reason.starts_with("not trailwatch's own resource"),
        "{reason}"
    );
}

#[test]
fn the_same_change_to_trailwatchs_own_rule_is_critical() {
    assert_eq!(
        tamper_severity(
            &call(
                "PutRule",
                "name",
                "trailwatch-SecurityEventRule1-AbCdEf123456"
            ),
            &every_monitor()
        ),
        Some(Severity::Critical)
    );
}

#[test]
fn a_change_to_trailwatchs_key_is_known_by_the_keys_arn() {
    let key = "arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666";
    let mut event = sample("kms-key-disable");
    event["detail"]["eventName"] = json!("PutKeyPolicy");
    event["detail"]["requestParameters"] =
        json!({"keyId": "0a1b2c3d-1111-2222-3333-444455556666", "policyName": "default"});
    assert_eq!(
        tamper_severity(&event, &every_monitor()),
        None,
        "unknown key: dismissed"
    );
    let knowing = every_monitor().with_key(key);
    assert_eq!(tamper_severity(&event, &knowing), Some(Severity::Critical));
}

#[test]
fn a_deployment_of_another_name_owns_none_of_the_samples_resources() {
    let other = handler::Detection {
        own: handler::own::Own::new("prod"),
        ..every_monitor()
    };
    assert_eq!(
        tamper_severity(&sample("tamper-rule-disabled"), &other),
        Some(Severity::Medium)
    );
}

#[tokio::test]
async fn a_dismissed_event_publishes_nothing_and_says_why() {
    let event = call("PutTargets", "rule", "orders-nightly-export");

    let (handled, published) = common::handled(&event).await;

    assert!(handled.dismissed.is_some());
    assert_eq!(published, 0);
}
