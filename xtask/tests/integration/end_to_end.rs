//! The whole pipeline on the emulator, as `cargo xtask demo` runs it: the deploy
//! code, the emulator's EventBridge matcher, the arm64 handler from the deployed
//! zip under qemu-user, and SNS delivering to SQS subscribers.
//! Needs `cargo xtask build` first (`cargo xtask test` does it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Duration;

use handler::monitors::CATALOG;

use handler::selector::Test;
use serde_json::{Value, json};
use xtask::config::{self, Config, ConfigArgs};
use xtask::local::demo::{self, FILTERED_SEVERITY, Report};
use xtask::local::emulator::Emulator;
use xtask::local::runtime_api::{
    HandlerEnv, HandlerProcess, Outcome, RuntimeApi, topic_only_variables,
};
use xtask::{local::simulate, workspace};

use crate::common;

const HUGE: &str = "extra-200kb-policy-unicode-user";
/// Name prefix of the foreign-pair probes: calls no monitor selects.
const PROBE: &str = "probe-";

/// The sample the tuning example suppresses in the rule pattern.
const SUPPRESSED_IN_RULE: &str = "tuning/ci-role-adds-route";
/// The sample the tuning example suppresses in the handler.
const SUPPRESSED_IN_HANDLER: &str = "tuning/ci-role-creates-user";

/// The README's tuning example: every monitor, a custom one, and suppressions.
fn tuning_config() -> Config {
    config::load(&ConfigArgs {
        config: Some(workspace::root().join("samples/tuning/trailwatch.toml")),
        ..ConfigArgs::default()
    })
    .expect("the tuning example is a valid configuration")
}

/// The public-read sample with a policy over 200 KB and a unicode user name.
fn huge_event() -> Value {
    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(samples::path("s3-put-bucket-policy-public-read"))
            .expect("sample"),
    )
    .expect("JSON");
    let statements = &mut event["detail"]["requestParameters"]["bucketPolicy"]["Statement"];
    let public = statements.clone();
    let mut all = vec![public];
    all.extend((0..1500).map(|i| json!({"Sid": format!("Partner{i}"), "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{:012}:root", 200_000_000_000u64 + i)}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-web-assets/*"})));
    *statements = Value::Array(all);
    event["detail"]["userIdentity"]["userName"] = json!("Zoë-Ångström");
    event["detail"]["eventID"] = json!("0b5e0000-0000-4000-8000-000000000200");
    assert!(event.to_string().len() > 200_000);
    event
}

/// Every selected call name paired with other services' event sources, each
/// pair one that no monitor selects (IAM CreatePolicy is watched, Organizations
/// CreatePolicy is not). Each name gets three foreign services, rotating, to keep
/// the emulator run short; the handler's own test covers every pair in-process.
fn foreign_pairs() -> Vec<(String, Value)> {
    let selectors = || CATALOG.iter().flat_map(|m| m.selectors());
    let mut sources: Vec<&str> = selectors().filter_map(|s| s.event_source).collect();
    sources.sort_unstable();
    sources.dedup();
    let selected: BTreeSet<(&str, &str)> = selectors()
        .flat_map(|s| {
            s.calls.iter().filter_map(move |c| match c.name {
                Test::Exact(name) => Some((s.event_source.unwrap_or_default(), name)),
                _ => None,
            })
        })
        .collect();
    // A name a selector of that service takes by prefix is its own name there.
    let by_prefix = |source: &str, name: &str| {
        selectors()
            .filter(|s| s.event_source == Some(source))
            .flat_map(|s| s.calls)
            .any(|c| matches!(c.name, Test::Prefix(p) if name.starts_with(p)))
    };
    let mut probes = vec![("organizations.amazonaws.com", "CreatePolicy")];
    for (index, (_, name)) in selected.iter().enumerate() {
        let foreign = sources
            .iter()
            .cycle()
            .skip(index)
            .filter(|source| !selected.contains(&(**source, *name)) && !by_prefix(source, name))
            .take(3);
        probes.extend(foreign.map(|source| (*source, *name)));
    }
    probes
        .into_iter()
        .map(|(source, name)| {
            let label = source.split('.').next().unwrap_or(source);
            let event = json!({
                "version": "0", "id": "probe", "detail-type": "AWS API Call via CloudTrail",
                "source": format!("aws.{label}"), "account": "111122223333", "region": "us-east-1",
                "time": "2026-11-20T10:00:00Z", "resources": [],
                "detail": {
                    "eventVersion": "1.10", "eventSource": source, "eventName": name,
                    "eventType": "AwsApiCall", "awsRegion": "us-east-1",
                    "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333", "userName": "alice"},
                    "requestParameters": {}, "responseElements": null, "recipientAccountId": "111122223333"
                }
            });
            (format!("{PROBE}{label}-{name}"), event)
        })
        .collect()
}

/// The sample name of the call the deployed canary schedule makes.
const SCHEDULED_CANARY: &str = "canary/the-deployed-schedule";

/// The CloudTrail event of the call the synthesised stack's canary schedule
/// makes, as CloudTrail records a universal target's call: its target is
/// `cloudwatch:untagResource` (CloudTrail's `monitoring.amazonaws.com`
/// `UntagResource`), its `Input` the request, its role the schedule's. The
/// emulator runs no schedule and records no CloudTrail event: this is the
/// step it cannot take, built from the template it deploys.
fn deployed_schedule_call(config: &Config) -> Value {
    let template = xtask::config::app::stack(&config.props())
        .expect("synth")
        .to_json()
        .expect("render");
    let resources = template["Resources"].as_object().expect("resources");
    let resolve = |value: &Value| xtask::checks::policies::resolve(value, resources);
    let target = &template["Resources"]["CanarySchedule"]["Properties"]["Target"];
    assert_eq!(
        resolve(&target["Arn"]),
        json!("arn:aws:scheduler:::aws-sdk:cloudwatch:untagResource")
    );
    let input: Value = serde_json::from_str(resolve(&target["Input"]).as_str().expect("input"))
        .expect("the input is JSON");
    let path = resolve(&template["Resources"]["CanaryRole"]["Properties"]["Path"]);
    let role = format!(
        "arn:aws:iam::111122223333:role{}trailwatch-CanaryRole-AbCdEf123456",
        path.as_str().expect("path")
    );
    json!({
        "version": "0", "id": "deployed-schedule", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.monitoring", "account": "111122223333", "region": "us-east-1",
        "time": "2026-12-02T12:00:02Z", "resources": [],
        "detail": {
            "eventVersion": "1.11", "eventSource": "monitoring.amazonaws.com",
            "eventName": "UntagResource", "eventType": "AwsApiCall", "awsRegion": "us-east-1",
            "eventTime": "2026-12-02T12:00:02Z", "eventID": "5ce6e0de-0000-4000-8000-00000000c0de",
            "userIdentity": {
                "type": "AssumedRole", "accountId": "111122223333",
                "arn": "arn:aws:sts::111122223333:assumed-role/trailwatch-CanaryRole-AbCdEf123456/5ce6e0de",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role, "accountId": "111122223333"}}
            },
            "requestParameters": {"resourceARN": input["ResourceARN"], "tagKeys": input["TagKeys"]},
            "responseElements": null, "recipientAccountId": "111122223333"
        }
    })
}

/// One run of every sample (plus the huge one and the probes) shared by the tests below.
fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let mut samples = demo::samples().expect("samples");
        samples.push((HUGE.to_owned(), huge_event()));
        samples.extend(foreign_pairs());
        let config = tuning_config();
        samples.push((SCHEDULED_CANARY.to_owned(), deployed_schedule_call(&config)));
        let handler = common::local_handler("end_to_end", &config);
        common::demo_on_emulator(&config, handler, &samples)
    })
}

/// The subject the handler core renders for each judged sample, by name, with
/// every monitor enabled, as the deployed stack (their severities and titles
/// are those the samples' folders expect: `handler/tests/integration/samples.rs`
/// checks them).
fn expected_subjects() -> BTreeMap<String, String> {
    let detection = handler::Detection {
        own: handler::own::Own::new(&tuning_config().stack_name),
        ..handler::Detection::from(handler::Selection::every())
    };
    let today = time::OffsetDateTime::now_utc().date();
    samples::all()
        .into_iter()
        .filter_map(|sample| {
            let raw = serde_json::value::to_raw_value(&sample.json()).expect("JSON");
            let alert = handler::pipeline::verdict(&raw, &detection, today).alert()?;
            Some((sample.name, handler::render::render(alert).subject))
        })
        .collect()
}

/// Negative samples the rules deliver and a monitor dismisses: a permission
/// removed (tamper), root acting through a service (root use, as CIS counts it),
/// and the benign neighbours of judged calls (`DISMISSED_NEGATIVES` of the
/// handler's sample tests names the monitor of each).
const DISMISSED: &[&str] = &[
    "negative-lambda-remove-permission",
    "negative-root-invoked-by-a-service",
    "negative-iam-enable-mfa-device",
    "negative-iam-access-key-deactivated",
    "negative-signin-token-from-identity-center-portal",
    "negative-rds-modify-instance-class",
    "negative-sagemaker-notebook-resized",
    "negative-ec2-metadata-imdsv2-required",
    "negative-securityhub-findings-note-added",
    "negative-eks-endpoint-made-private",
    "negative-codebuild-project-made-private",
    "negative-kms-create-key-without-policy",
];

#[test]
fn the_emulators_matcher_delivers_every_monitored_sample_and_no_negative_one() {
    for sample in &report().samples {
        let unmonitored = (sample.name.starts_with("negative-")
            && !DISMISSED.contains(&sample.name.as_str()))
            || sample.name.starts_with(PROBE)
            || sample.name == SUPPRESSED_IN_RULE;
        assert_eq!(sample.matched, !unmonitored, "{}", sample.name);
    }
}

/// Whether a stateful monitor of every monitor selects the sample: its
/// sub-patterns are not merged with the others', so such an event may reach
/// two rules (harmless with the state table: see `Detection::patterns`).
fn remembered(name: &str) -> bool {
    let every = handler::Selection::every();
    if name.starts_with(PROBE) {
        return false;
    }
    let path = samples::path(name);
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
            .unwrap_or_default();
    let raw = serde_json::value::to_raw_value(&value).expect("JSON");
    handler::event::Event::parse(&raw)
        .is_ok_and(|event| every.matching(&event).iter().any(|m| m.is_stateful()))
}

#[test]
fn no_sample_or_probe_is_delivered_by_two_rules_of_the_default_bus_but_for_stateful_monitors() {
    let twice: Vec<(&str, usize)> = report()
        .samples
        .iter()
        .filter(|s| s.rules > 1 && !(s.rules == 2 && remembered(&s.name)))
        .map(|s| (s.name.as_str(), s.rules))
        .collect();
    assert!(twice.is_empty(), "{twice:?}");
    // Events several monitors select, each delivered once.
    for name in [
        "cloudtrail-change-stop-logging-denied",
        "root-account-usage-enables-own-mfa",
        "sqs-queue-policy-public-wildcard-source",
    ] {
        let sample = report()
            .samples
            .iter()
            .find(|s| s.name == name)
            .expect(name);
        assert_eq!(sample.rules, 1, "{name}");
    }
}

#[test]
fn the_deployed_rules_deliver_the_canaries_and_the_handler_counts_them_without_an_alert() {
    for name in [
        "canary/home",
        "canary/forwarded-eu-west-1",
        SCHEDULED_CANARY,
    ] {
        let run = report()
            .samples
            .iter()
            .find(|s| s.name == name)
            .expect("the canary ran");
        assert!(run.matched, "{name}");
        let Some(Outcome::Response(response)) = &run.outcome else {
            panic!("{name}: {:?}", run.outcome)
        };
        assert_eq!(response["monitor"], "trailwatch-canary", "{name}");
        assert!(response.get("subject").is_none(), "{name}: {response}");
    }
    let log = std::fs::read_to_string(workspace::target_dir().join("demo-handler.log"))
        .expect("the handler's log");
    let counted: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["CanaryReceived"] == 1)
        .map(|l| json!([l["Account"], l["Region"]]))
        .collect();
    assert_eq!(
        counted,
        [
            json!(["111122223333", "eu-west-1"]),
            json!(["111122223333", "us-east-1"]),
            json!(["111122223333", "us-east-1"])
        ]
    );
}

#[test]
fn the_tamper_monitor_dismisses_a_change_to_someone_elses_function() {
    let run = report()
        .samples
        .iter()
        .find(|s| s.name == DISMISSED[0])
        .expect("the sample ran");
    let Some(Outcome::Response(response)) = &run.outcome else {
        panic!("{:?}", run.outcome)
    };
    assert!(response["dismissed"].is_string(), "{response}");
}

#[test]
fn the_rules_deliver_no_foreign_pair() {
    let probes: Vec<&str> = report()
        .samples
        .iter()
        .filter(|s| s.name.starts_with(PROBE))
        .map(|s| s.name.as_str())
        .collect();
    assert!(probes.len() > 300, "{} probes", probes.len());
    assert!(probes.contains(&"probe-organizations-CreatePolicy"));
}

#[test]
fn simulate_agrees_with_the_emulators_matcher_on_every_sample_and_probe() {
    let config = tuning_config();
    let detection = &config.detection;
    let today = time::OffsetDateTime::now_utc().date();
    let mut samples = demo::samples().expect("samples");
    samples.push((HUGE.to_owned(), huge_event()));
    samples.extend(foreign_pairs());
    samples.push((SCHEDULED_CANARY.to_owned(), deployed_schedule_call(&config)));
    assert_eq!(samples.len(), report().samples.len());
    for (run, (name, event)) in report().samples.iter().zip(&samples) {
        let input = xtask::local::records::Input {
            file: name.clone(),
            index: 0,
            envelope: event.clone(),
        };
        assert_eq!(
            simulate::simulate(
                &input,
                detection,
                &config.stack_name,
                today,
                simulate::Request::Skip,
                None
            )
            .matched_rule,
            run.matched,
            "{name}"
        );
    }
}

#[test]
fn the_arm64_handler_answers_every_delivered_event_without_error() {
    for sample in report().samples.iter().filter(|s| s.matched) {
        assert!(
            matches!(sample.outcome, Some(Outcome::Response(_))),
            "{}: {:?}",
            sample.name,
            sample.outcome
        );
    }
}

#[test]
fn the_subscriber_receives_exactly_the_alert_the_handler_core_renders_for_each_monitored_sample() {
    let subjects = expected_subjects();
    // Lists, not sets: two samples may share a subject, and each must arrive once.
    let mut received: Vec<String> = report().alerts.iter().map(|a| a.subject.clone()).collect();
    let mut expected: Vec<String> = report()
        .samples
        .iter()
        .filter(|s| {
            s.matched
                && s.name != HUGE
                && !DISMISSED.contains(&s.name.as_str())
                && !s.name.starts_with("tuning/")
                && !s.name.starts_with("canary/")
        })
        .map(|s| subjects[&s.name].clone())
        .collect();
    expected.extend(
        [
            "[CRITICAL] Zo?-?ngstr?m made S3 bucket acme-web-assets public (111122223333/us-east-1)",
            // The custom monitor, and the expired suppression that no longer hides anything.
            "[MEDIUM] alice called DeleteKeyPair (111122223333/us-east-1)",
            "[MEDIUM] old-ci/nightly created IAM user nightly-tester (111122223333/us-east-1)",
        ]
        .map(str::to_owned),
    );
    received.sort();
    expected.sort();
    assert_eq!(received, expected);
}

#[test]
fn the_handler_reports_the_suppression_that_kept_an_alert_back() {
    let run = report()
        .samples
        .iter()
        .find(|s| s.name == SUPPRESSED_IN_HANDLER)
        .expect("the sample ran");
    let Some(Outcome::Response(response)) = &run.outcome else {
        panic!("{:?}", run.outcome)
    };
    assert_eq!(
        response["suppressed_by"],
        "CI deploys per-branch networks and users"
    );
    assert!(response.get("subject").is_none(), "{response}");
    // Logged as one line in CloudWatch's embedded metric format, with the reason.
    let log = std::fs::read_to_string(workspace::target_dir().join("demo-handler.log"))
        .expect("the handler's log");
    let line: Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["reason"] == "CI deploys per-branch networks and users")
        .expect("a suppression log line");
    assert_eq!(line["SuppressedEvents"], 1);
    assert_eq!(line["monitor"], "iam-create-user");
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
        "SuppressedEvents"
    );
}

#[test]
fn a_custom_monitor_alert_has_the_format_and_attributes_of_a_built_in_one() {
    let alert = report()
        .alerts
        .iter()
        .find(|a| a.attributes["monitor"] == "ec2-key-pair-deleted")
        .expect("the custom monitor's alert arrived");
    assert_eq!(alert.document["schema"], "trailwatch.alert");
    assert_eq!(alert.document["monitor_title"], "EC2 key pair deleted");
    assert_eq!(alert.document["techniques"], json!(["T1531"]));
    assert_eq!(alert.attributes["severity"], "MEDIUM");
}

#[test]
fn message_attributes_match_the_alert_document() {
    for alert in &report().alerts {
        let document = &alert.document;
        for (attribute, field) in [
            ("severity", "severity"),
            ("monitor", "monitor"),
            ("event_name", "event_name"),
            ("account", "account"),
            ("region", "region"),
        ] {
            assert_eq!(
                alert.attributes.get(attribute).map(String::as_str),
                document[field].as_str(),
                "{}: {attribute}",
                alert.subject
            );
        }
        assert!(
            alert
                .subject
                .starts_with(&format!("[{}] ", alert.attributes["severity"])),
            "{}",
            alert.subject
        );
    }
}

#[test]
fn a_severity_filter_policy_delivers_only_that_severity() {
    let mut critical: Vec<&str> = report()
        .alerts
        .iter()
        .filter(|a| a.attributes["severity"] == FILTERED_SEVERITY)
        .map(|a| a.subject.as_str())
        .collect();
    let mut filtered: Vec<&str> = report()
        .filtered
        .iter()
        .map(|a| a.subject.as_str())
        .collect();
    critical.sort_unstable();
    filtered.sort_unstable();
    assert!(critical.len() > 10, "{} critical alerts", critical.len());
    assert_eq!(filtered, critical);
}

#[test]
fn a_200_kb_policy_with_a_unicode_user_arrives_as_a_valid_truncated_alert() {
    let alert = report()
        .alerts
        .iter()
        .find(|a| a.document["event_id"] == "0b5e0000-0000-4000-8000-000000000200")
        .expect("the huge alert was delivered");
    assert!(alert.size <= 256 * 1024, "{} bytes", alert.size);
    assert_eq!(alert.document["actor"]["name"], "Zoë-Ångström");
    assert!(alert.document.get("event").is_none() && alert.document["event_excerpt"].is_string());
}

#[tokio::test]
async fn the_handler_returns_an_error_to_the_runtime_api_when_sns_is_gone() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let topic = aws_sdk_sns::Client::new(&sdk)
        .create_topic()
        .name("alerts")
        .send()
        .await
        .expect("topic");
    let api = RuntimeApi::start().expect("runtime api");
    let handler = common::local_handler("sns_gone", &tuning_config());
    let template = xtask::config::app::stack(&tuning_config().props())
        .expect("synth")
        .to_json()
        .expect("render");
    let env = HandlerEnv {
        variables: topic_only_variables(&template, topic.topic_arn().unwrap_or_default())
            .expect("the handler's variables"),
        task_root: handler.task_root.clone(),
        endpoint: emulator.endpoint().to_owned(),
        region: "us-east-1".to_owned(),
    };
    let log = workspace::target_dir().join("test-scratch/sns-gone-handler.log");
    let _handler = HandlerProcess::spawn(handler.command, &api, &env, &log).expect("handler");
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(samples::path("iam-create-user-by-root")).expect("sample"),
    )
    .expect("JSON");
    let timeout = Duration::from_secs(60);
    assert!(matches!(
        api.invoke(&event, timeout).expect("first invocation"),
        Outcome::Response(_)
    ));

    drop(emulator);
    // Another call (a repeat of the first would be acknowledged without publishing).
    let mut another = event.clone();
    another["detail"]["eventID"] = "e2e-sns-gone-second-call".into();
    let outcome = api.invoke(&another, timeout).expect("second invocation");

    let Outcome::Error(error) = outcome else {
        panic!("expected an error, got {outcome:?}")
    };
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.starts_with("publishing the alert to SNS failed")),
        "{error}"
    );
    assert_eq!(error["errorType"], "AlertPublishFailed");
}

/// The stateful part of the run: the deployed stack has a state table.
fn stateful() -> &'static xtask::local::stateful::Shown {
    report()
        .stateful
        .as_ref()
        .expect("the default deployment has a state table")
}

/// Which replayed events of `monitor`'s sequence made it cross, by index.
fn crossings(monitor: &str) -> Vec<usize> {
    let run = stateful()
        .runs
        .iter()
        .find(|run| run.monitor == monitor)
        .expect("the sequence ran");
    run.outcomes
        .iter()
        .enumerate()
        .filter(|(_, outcome)| {
            matches!(outcome, Outcome::Response(r) if r["crossed"].as_array().is_some_and(|c| c.iter().any(|c| c["monitor"] == monitor)))
        })
        .map(|(index, _)| index)
        .collect()
}

#[test]
fn on_the_deployed_table_a_threshold_alerts_once_at_its_crossing() {
    assert_eq!(crossings("root-sign-in-failures"), [9]);
}

#[test]
fn on_the_deployed_table_a_sequence_alerts_on_its_second_step_once() {
    // Events: CreateUser, AttachUserPolicy, the attachment delivered again.
    assert_eq!(crossings("new-principal-made-admin"), [1]);
}

#[test]
fn the_subscriber_receives_each_stateful_alert_once() {
    let mut monitors: Vec<&str> = report()
        .stateful_alerts
        .iter()
        .map(|alert| alert.document["monitor"].as_str().unwrap_or_default())
        .collect();
    monitors.sort_unstable();
    assert_eq!(
        monitors,
        ["new-principal-made-admin", "root-sign-in-failures"]
    );
}

#[test]
fn a_repeat_delivered_to_a_second_handler_process_publishes_nothing() {
    let Outcome::Response(response) = &stateful().repeat_elsewhere else {
        panic!(
            "the second process failed: {:?}",
            stateful().repeat_elsewhere
        );
    };
    assert_eq!(
        (
            &response["duplicate"],
            response.get("subject"),
            response.get("crossed")
        ),
        (&serde_json::json!(true), None, None)
    );
}
