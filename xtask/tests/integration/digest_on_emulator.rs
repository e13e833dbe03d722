//! Digests end to end on the emulator: the arm64 handler defers LOW findings to
//! the deployed digest queue, and one batch from it (as Lambda's SQS event
//! source delivers it) becomes one digest alert without the repeated event.
//! Needs `cargo xtask build` first (`cargo xtask test` does it).

use serde_json::{Value, json};
use xtask::config::{self, ConfigArgs};
use xtask::deploy::artifact;
use xtask::local::demo::{self, LocalHandler};
use xtask::local::emulator::Emulator;
use xtask::local::runtime_api::Outcome;
use xtask::{tools, workspace};

/// A CreateRoute (LOW) by the CI role on `table`, with its own event id.
fn route(event_id: &str, table: &str) -> Value {
    let path = workspace::root().join("samples/tuning/ci-role-adds-route.json");
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON");
    event["detail"]["eventID"] = json!(event_id);
    event["detail"]["requestParameters"]["routeTableId"] = json!(table);
    event
}

fn sample(name: &str) -> Value {
    let path = samples::path(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample")).expect("JSON")
}

#[tokio::test]
async fn low_findings_arrive_as_one_digest_and_critical_ones_at_once() {
    let dir = workspace::target_dir().join("test-scratch/digest_on_emulator");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("trailwatch.toml");
    std::fs::write(
        &file,
        "monitors = [\"all\"]\n\n[digest]\nwindow_seconds = 60\n",
    )
    .expect("config");
    let config = config::load(&ConfigArgs {
        config: Some(file),
        ..ConfigArgs::default()
    })
    .expect("valid config");
    let binary = artifact::built().expect("no handler binary: run `cargo xtask build` first");
    if let Err(error) = tools::ensure_qemu() {
        panic!("cannot run the arm64 handler here: {error:#}");
    }
    let handler = LocalHandler::prepare(&config, &binary, &dir).expect("synth and unpack");
    let samples = vec![
        ("route-1".to_owned(), route("d1", "rtb-1")),
        ("route-2".to_owned(), route("d2", "rtb-2")),
        ("route-1-again".to_owned(), route("d1", "rtb-1")),
        ("route-3".to_owned(), route("d3", "rtb-3")),
        (
            "root-key".to_owned(),
            sample("iam-create-access-key-root-self"),
        ),
    ];
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;

    let report = demo::run(&sdk, emulator.endpoint(), &config, handler, &samples)
        .await
        .expect("demo run");

    let answers: Vec<(bool, bool)> = report
        .samples
        .iter()
        .map(|s| match &s.outcome {
            Some(Outcome::Response(r)) => (r["deferred"] == true, r["duplicate"] == true),
            _ => (false, false),
        })
        .collect();
    // The repeat of d1 is recognised by its CloudTrail eventID and never queued.
    assert_eq!(
        answers,
        [
            (true, false),
            (true, false),
            (false, true),
            (true, false),
            (false, false)
        ]
    );
    let Some(Outcome::Response(batch)) = &report.digest_batch else {
        panic!("no digest batch: {:?}", report.digest_batch)
    };
    assert_eq!(batch["batchItemFailures"], json!([]));
    let mut severities: Vec<&str> = report
        .alerts
        .iter()
        .map(|a| a.attributes["severity"].as_str())
        .collect();
    severities.sort_unstable();
    assert_eq!(severities, ["CRITICAL", "LOW"]);
    let digest = report
        .alerts
        .iter()
        .find(|a| a.attributes["severity"] == "LOW")
        .map(|a| &a.document["digest"])
        .expect("the digest");
    assert_eq!(digest["count"], 3);
    assert_eq!(digest["event_ids"], json!(["d1", "d2", "d3"]));
}
