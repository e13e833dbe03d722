//! `simulate` says what the deployed rules and handler do with the tuning
//! example: where an event is suppressed, by which reason, and whether its
//! alert waits for a digest.

use serde_json::Value;
use xtask::config::{self, Config, ConfigArgs};
use xtask::local::records::read_each;
use xtask::local::simulate::{self, Simulated, SuppressedIn};
use xtask::workspace;

fn tuning() -> Config {
    with_config("samples/tuning/trailwatch.toml")
}

fn with_config(relative: &str) -> Config {
    config::load(&ConfigArgs {
        config: Some(workspace::root().join(relative)),
        ..ConfigArgs::default()
    })
    .expect("valid configuration")
}

fn run(config: &Config, sample: &str) -> Simulated {
    run_as(config, sample, simulate::Request::Render)
}

fn run_as(config: &Config, sample: &str, request: simulate::Request) -> Simulated {
    let path = samples::path(sample);
    let mut inputs = Vec::new();
    read_each(path.to_str().expect("UTF-8 path"), &mut |item| {
        inputs.push(item.expect("an event"));
        Ok(())
    })
    .expect("readable sample");
    let today = time::OffsetDateTime::now_utc().date();
    simulate::simulate(
        &inputs[0],
        &config.detection,
        &config.stack_name,
        today,
        request,
        None,
    )
}

fn json(simulated: &Simulated) -> Value {
    serde_json::to_value(simulated).expect("JSON")
}

#[test]
fn a_rule_suppressed_event_is_not_delivered_and_names_its_suppression() {
    let simulated = run(&tuning(), "tuning/ci-role-adds-route");
    let line = json(&simulated);
    assert_eq!(line["matched_rule"], false);
    assert_eq!(
        line["suppressed_by"],
        "CI deploys per-branch networks and users"
    );
    assert_eq!(line["suppressed_in"], "rule");
    assert!(line.get("subject").is_none(), "{line}");
}

#[test]
fn a_handler_suppressed_event_is_delivered_and_its_text_names_the_alert_it_hid() {
    let simulated = run(&tuning(), "tuning/ci-role-creates-user");
    assert!(simulated.matched_rule);
    assert_eq!(
        simulated.suppressed.as_ref().map(|s| s.place),
        Some(SuppressedIn::Handler)
    );
    assert_eq!(
        simulate::describe(&simulated),
        format!(
            "{}: suppressed in the handler by \"CI deploys per-branch networks and users\"; would have raised [MEDIUM] ci-deployer/branch-feature-42 created IAM user preview-feature-42",
            simulated.file
        )
    );
}

#[test]
fn an_expired_suppression_hides_nothing() {
    let simulated = run(&tuning(), "tuning/retired-ci-role-creates-user");
    assert_eq!(simulated.suppressed, None);
    assert_eq!(
        simulated.subject.as_deref(),
        Some("[MEDIUM] old-ci/nightly created IAM user nightly-tester (111122223333/us-east-1)")
    );
}

#[test]
fn a_custom_monitor_selects_its_calls() {
    let simulated = run(&tuning(), "tuning/custom-ec2-delete-key-pair");
    assert_eq!(simulated.monitors, ["ec2-key-pair-deleted"]);
    assert_eq!(simulated.severity.as_deref(), Some("MEDIUM"));
}

#[test]
fn with_digests_an_alert_below_the_threshold_waits_and_one_above_does_not() {
    let dir = workspace::target_dir().join("test-scratch/simulate_digest");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(
        dir.join("trailwatch.toml"),
        "monitors = [\"all\"]\n[digest]\n",
    )
    .expect("config");
    let config = config::load(&ConfigArgs {
        config: Some(dir.join("trailwatch.toml")),
        ..ConfigArgs::default()
    })
    .expect("valid configuration");
    assert!(run(&config, "tuning/ci-role-adds-route").deferred);
    assert!(!run(&config, "iam-create-access-key-root-self").deferred);
}

fn defaults() -> Config {
    config::load(&ConfigArgs {
        config: Some("/dev/null".into()),
        ..ConfigArgs::default()
    })
    .expect("defaults")
}

#[test]
fn an_alarm_state_change_of_the_stacks_health_alarm_shows_the_health_alert() {
    let simulated = run(&defaults(), "health-handler-errors-alarm");
    assert!(simulated.matched_rule);
    assert_eq!(simulated.monitors, ["trailwatch-health"]);
    assert_eq!(
        simulate::describe(&simulated),
        format!(
            "{}: [HIGH] ALARM: trailwatch-health-handler-errors (111122223333/us-east-1)\n    monitor trailwatch-health: trailwatch health (trailwatch): the handler failed on events (Lambda retries twice, then keeps them in the dead-letter queue): read /trailwatch/trailwatch/handler; CloudWatch: Threshold Crossed: 1 out of the last 1 datapoints [3.0 (30/11/26 09:10:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).; previous state OK since 2026-11-30T09:10:40.984+0000",
            simulated.file
        )
    );
    let line = json(&simulated);
    assert_eq!(
        line["publish"]["message_attributes"]["monitor"]["StringValue"],
        "trailwatch-health"
    );
}

#[test]
fn another_stacks_alarm_is_not_delivered_by_this_stacks_health_rule() {
    let config = config::load(&ConfigArgs {
        config: Some("/dev/null".into()),
        stack_name: Some("staging".into()),
        ..ConfigArgs::default()
    })
    .expect("valid");
    let simulated = run(&config, "health-handler-errors-alarm");
    assert!(!simulated.matched_rule);
    assert_eq!(simulated.subject, None);
}

#[test]
fn the_deployments_canary_is_delivered_and_counted_without_an_alert() {
    let simulated = run(&tuning(), "canary/home");
    let line = json(&simulated);
    assert_eq!(
        (&line["matched_rule"], &line["monitor"], &line["canary"]),
        (
            &Value::Bool(true),
            &Value::from("trailwatch-canary"),
            &serde_json::json!({"account": "111122223333", "region": "us-east-1"})
        )
    );
    assert!(
        line.get("subject").is_none() && line.get("publish").is_none(),
        "{line}"
    );
    assert!(
        simulate::describe(&simulated)
            .ends_with("canary/home.json: the deployment's canary from 111122223333/us-east-1: counted, no alert"),
        "{}",
        simulate::describe(&simulated)
    );
}

#[test]
fn a_tamper_call_on_someone_elses_function_is_delivered_and_dismissed() {
    let simulated = run(&tuning(), "negative-lambda-remove-permission");
    let line = json(&simulated);
    assert_eq!(line["matched_rule"], true);
    assert!(
        line["dismissed"]
            .as_str()
            .is_some_and(|r| r.starts_with("not trailwatch's own resource")),
        "{line}"
    );
    assert!(line.get("subject").is_none(), "{line}");
}

/// What a stateful alert says, wherever it was raised.
fn substance(alert: &Value) -> (String, String, String, String, String) {
    let text = |v: &Value| v.to_string();
    (
        text(&alert["monitor"]),
        text(&alert["severity"]),
        text(&alert["title"]),
        text(&alert["reasons"]),
        text(&alert["state"]["event_ids"]),
    )
}

#[test]
fn simulate_raises_the_stateful_alerts_the_handler_raises_for_every_sequence() {
    let config = with_config("samples/tuning/trailwatch.toml");
    let detection = handler::Detection::from(handler::Selection::every());
    let today = time::OffsetDateTime::now_utc().date();
    for (monitor, name, sequence) in samples::sequences() {
        let mut inputs: Vec<_> = sequence
            .events
            .iter()
            .enumerate()
            .map(|(index, envelope)| xtask::local::records::Input {
                file: name.clone(),
                index,
                envelope: envelope.clone(),
            })
            .collect();
        simulate::in_time_order(&mut inputs);
        let memory = simulate::Memory::new().expect("a runtime");
        let mut raised: Vec<_> = inputs
            .iter()
            .flat_map(|input| {
                simulate::simulate(
                    input,
                    &detection,
                    &config.stack_name,
                    today,
                    simulate::Request::Skip,
                    Some(&memory),
                )
                .stateful
            })
            .map(|alert| substance(&alert))
            .collect();
        let mut expected: Vec<_> = sequence
            .alerts
            .iter()
            .map(|a| {
                (
                    format!("{:?}", a.monitor),
                    format!("{:?}", a.severity),
                    format!("{:?}", a.title),
                    serde_json::to_string(&a.reasons).expect("JSON"),
                    serde_json::to_string(&a.event_ids).expect("JSON"),
                )
            })
            .collect();
        raised.sort();
        expected.sort();
        assert_eq!(raised, expected, "{monitor}/{name}");
    }
}

#[test]
fn the_ocsf_format_gives_the_alert_as_a_detection_finding() {
    let simulated = run_as(
        &with_config("samples/tuning/trailwatch.toml"),
        "iam-create-user-by-root",
        simulate::Request::Ocsf,
    );
    let classes: Vec<(&Value, &Value)> = simulated
        .ocsf
        .iter()
        .map(|f| (&f["class_uid"], &f["finding_info"]["analytic"]["uid"]))
        .collect();
    assert_eq!(
        classes,
        vec![(&Value::from(2004), &Value::from("iam-create-user"))]
    );
    assert!(simulated.publish.is_none());
}
