//! Health alerts: which alarm state changes the health rule delivers, and how
//! an unreadable one is still alerted.

use crate::common;

use common::{judge, raw, sample};
use handler::Severity;
use handler::event::Event;
use handler::health::{self, delivered};
use serde_json::Value;

fn delivers(event: &Value, stack: &str) -> bool {
    let raw = raw(event);
    delivered(&Event::parse(&raw).expect("an event"), stack)
}

fn ok_after(previous: &str) -> Value {
    let mut event = sample("health-handler-errors-ok");
    event["detail"]["previousState"]["value"] = previous.into();
    event
}

#[test]
fn the_stacks_alarm_entering_alarm_or_leaving_it_is_delivered() {
    assert!(delivers(
        &sample("health-handler-errors-alarm"),
        "trailwatch"
    ));
    assert!(delivers(&sample("health-handler-errors-ok"), "trailwatch"));
}

#[test]
fn the_ok_every_new_alarm_reaches_is_not_delivered() {
    assert!(!delivers(&ok_after("INSUFFICIENT_DATA"), "trailwatch"));
}

#[test]
fn another_stacks_or_an_unrelated_alarm_is_not_delivered() {
    let alarm = sample("health-handler-errors-alarm");
    assert!(!delivers(&alarm, "trailwatch-staging"));
    let mut unrelated = alarm.clone();
    unrelated["detail"]["alarmName"] = "trailwatch-cpu".into();
    assert!(!delivers(&unrelated, "trailwatch"));
}

#[test]
fn a_cloudtrail_event_is_never_taken_for_an_alarm() {
    assert!(!delivers(
        &sample("cloudtrail-change-stop-logging"),
        "trailwatch"
    ));
}

#[test]
fn an_alarm_change_without_a_readable_detail_still_alerts_and_says_so() {
    let mut event = sample("health-handler-errors-alarm");
    event["detail"] = serde_json::json!({"alarmName": 42, "state": "ALARM"});
    let raw = raw(&event);
    let alert = judge(&raw);
    assert_eq!(
        (alert.monitor, alert.severity, alert.title.as_str()),
        (
            health::MONITOR,
            Severity::Medium,
            "no state: (unnamed alarm)"
        )
    );
}

#[test]
fn a_forwarders_alarm_points_to_the_home_stacks_status() {
    let mut event = sample("health-handler-errors-alarm");
    event["region"] = "eu-west-1".into();
    event["detail"]["alarmName"] = "trailwatch-forwarded-health-dead-letters".into();
    let raw = raw(&event);
    let alert = judge(&raw);
    assert_eq!(
        (alert.title.as_str(), alert.next_steps.as_slice()),
        (
            "ALARM: trailwatch-forwarded-health-dead-letters",
            ["cargo xtask status --stack-name trailwatch".to_owned()].as_slice()
        )
    );
}
