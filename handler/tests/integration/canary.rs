//! The canary: exactly this deployment's canary call is recognised and
//! counted without an alert; any other shape is judged like every event.

use crate::common;

use common::{TODAY, every_monitor, sample};
use handler::Detection;
use handler::canary::Arrival;
use handler::own::Own;
use handler::pipeline::{self, Verdict};
use serde_json::{Value, json};

fn verdict(event: &Value, detection: &Detection) -> Verdict<'static> {
    let raw: &'static serde_json::value::RawValue = Box::leak(common::raw(event));
    pipeline::verdict(raw, detection, TODAY)
}

fn arrival(event: &Value) -> Option<Arrival> {
    match verdict(event, &every_monitor()) {
        Verdict::Canary(arrival) => Some(arrival),
        _ => None,
    }
}

#[test]
fn the_home_regions_canary_is_recognised_with_its_account_and_region() {
    assert_eq!(
        arrival(&sample("canary/home")),
        Some(Arrival {
            account: "111122223333".into(),
            region: "us-east-1".into()
        })
    );
}

#[test]
fn a_forwarder_regions_canary_is_recognised_by_the_forwarded_alarm() {
    assert_eq!(
        arrival(&sample("canary/forwarded-eu-west-1")),
        Some(Arrival {
            account: "111122223333".into(),
            region: "eu-west-1".into()
        })
    );
}

/// The home canary with the field at `pointer` set to `value` (a field of
/// `detail` is added when absent).
fn changed(pointer: &str, value: Value) -> Value {
    let mut event = sample("canary/home");
    match event.pointer_mut(pointer) {
        Some(field) => *field = value,
        None => {
            let key = pointer.strip_prefix("/detail/").expect(pointer);
            event["detail"][key] = value;
        }
    }
    event
}

#[test]
fn no_other_shape_is_taken_for_the_canary() {
    let role = "/detail/userIdentity/sessionContext/sessionIssuer/arn";
    for (what, event) in [
        (
            "another tag",
            changed("/detail/requestParameters/tagKeys", json!(["owner"])),
        ),
        (
            "a second tag",
            changed(
                "/detail/requestParameters/tagKeys",
                json!(["trailwatch-canary", "owner"]),
            ),
        ),
        (
            "another alarm",
            changed(
                "/detail/requestParameters/resourceARN",
                json!(
                    "arn:aws:cloudwatch:us-east-1:111122223333:alarm:trailwatch-health-handler-errors"
                ),
            ),
        ),
        (
            "an alarm of another region",
            changed(
                "/detail/requestParameters/resourceARN",
                json!(
                    "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:trailwatch-health-dead-letters"
                ),
            ),
        ),
        (
            "another role",
            changed(role, json!("arn:aws:iam::111122223333:role/admin")),
        ),
        (
            "a role of another account",
            changed(
                role,
                json!("arn:aws:iam::444455556666:role/trailwatch-canary/trailwatch-forwarded/r"),
            ),
        ),
        (
            "a role of another stack",
            changed(
                role,
                json!("arn:aws:iam::111122223333:role/trailwatch-canary/prod-forwarded/r"),
            ),
        ),
        (
            "an IAM user",
            changed("/detail/userIdentity/type", json!("IAMUser")),
        ),
        (
            "a failed call",
            changed("/detail/errorCode", json!("ResourceNotFoundException")),
        ),
        (
            "another call",
            changed("/detail/eventName", json!("TagResource")),
        ),
        ("another source", changed("/source", json!("my.app"))),
    ] {
        assert_eq!(arrival(&event), None, "{what}");
    }
}

#[test]
fn another_deployments_canary_is_not_this_ones() {
    let other = Detection {
        own: Own::new("prod"),
        ..every_monitor()
    };
    assert!(!matches!(
        verdict(&sample("canary/home"), &other),
        Verdict::Canary(_)
    ));
}

#[test]
fn a_failed_canary_call_is_judged_like_any_event_and_alerts() {
    let mut event = changed("/detail/errorCode", json!("AccessDenied"));
    event["detail"]["errorMessage"] =
        json!("User is not authorized to perform: cloudwatch:UntagResource");
    let Verdict::Raise(alert) = verdict(&event, &every_monitor()) else {
        panic!("an alert")
    };
    assert_eq!(alert.monitor, "unauthorized-api-calls");
}

#[tokio::test]
async fn the_handler_counts_the_canary_and_publishes_nothing() {
    let (handled, published) = common::handled(&sample("canary/home")).await;

    assert_eq!(handled.monitor, "trailwatch-canary");
    assert_eq!(
        serde_json::to_value(&handled).expect("JSON")["canary"],
        json!({"account": "111122223333", "region": "us-east-1"})
    );
    assert_eq!(published, 0);
}
