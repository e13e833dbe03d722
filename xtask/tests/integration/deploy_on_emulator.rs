//! deploy, diff and destroy against the local emulator, through the same code a real account uses.

use crate::common;

use std::time::Duration;

use common::{assembly, config_file, scratch};

use xtask::config::{self, Config, ConfigArgs};
use xtask::deploy::changes::Approval;
use xtask::deploy::{self, Report, Session};
use xtask::local::emulator::Emulator;
use xtask::{config::app, workspace};

const POLL: Duration = Duration::from_millis(20);

/// The configuration from flags only (an empty file, so a local trailwatch.toml cannot leak in).
fn config(test: &str, args: ConfigArgs) -> Config {
    config_file(test, "", args)
}

/// Synthesises `config` into `test`'s scratch directory and deploys it, approved.
async fn deploy_approved(session: &Session, test: &str, config: &Config) -> Report {
    deploy::deploy(session, config, &assembly(test, config), Approval::Given)
        .await
        .expect("deploy")
}

async fn session(emulator: &Emulator) -> Session {
    Session::new(&emulator.sdk_config().await, POLL)
}

#[tokio::test]
async fn first_deploy_creates_the_stack_uploads_the_artifact_and_returns_outputs() {
    let emulator = Emulator::start().expect("emulator");
    let session = session(&emulator).await;
    let config = config("first_deploy", ConfigArgs::default());

    let report = deploy_approved(&session, "first_deploy", &config).await;

    assert!(report.asset.uploaded && report.stack.executed);
    let resources = app::stack(&config.props())
        .expect("synth")
        .resource_ids()
        .count();
    assert_eq!(report.stack.changes.len(), resources);
    let keys: Vec<&str> = report.stack.outputs.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["DeadLetterQueueUrl", "FunctionArn", "RuleArns", "TopicArn"]
    );
    assert!(
        report.stack.outputs["TopicArn"]
            .starts_with("arn:aws:sns:us-east-1:123456789012:trailwatch-AlertTopic-")
    );
}

#[tokio::test]
async fn redeploying_an_unchanged_build_and_config_uploads_and_executes_nothing() {
    let emulator = Emulator::start().expect("emulator");
    let session = session(&emulator).await;
    let config = config("noop", ConfigArgs::default());
    let assembly = assembly("noop", &config);
    let first = deploy::deploy(&session, &config, &assembly, Approval::Given)
        .await
        .expect("first deploy");

    let second = deploy::deploy(&session, &config, &assembly, Approval::Given)
        .await
        .expect("second deploy");

    assert!(!second.asset.uploaded, "uploaded again");
    assert!(!second.stack.executed, "executed a change set");
    assert_eq!(second.stack.outputs, first.stack.outputs);
}

#[tokio::test]
async fn a_config_change_updates_only_what_it_touches() {
    let emulator = Emulator::start().expect("emulator");
    let session = session(&emulator).await;
    let defaults = config("update", ConfigArgs::default());
    deploy_approved(&session, "update", &defaults).await;
    let shorter_logs = config(
        "update",
        ConfigArgs {
            log_retention_days: Some(30),
            ..ConfigArgs::default()
        },
    );

    let changed = assembly("update", &shorter_logs);
    let planned = deploy::diff(&session, &shorter_logs, &changed)
        .await
        .expect("diff");
    let report = deploy::deploy(&session, &shorter_logs, &changed, Approval::Given)
        .await
        .expect("update");

    let summary: Vec<(String, String)> = report
        .stack
        .changes
        .iter()
        .map(|c| (c.action.clone(), c.logical_id.clone()))
        .collect();
    assert_eq!(summary, [("Modify".to_owned(), "HandlerLogs".to_owned())]);
    assert_eq!(
        planned, report.stack.changes,
        "diff showed what deploy then did"
    );
    assert!(report.stack.executed && !report.asset.uploaded);
}

#[tokio::test]
async fn outputs_file_holds_the_outputs_as_json() {
    let emulator = Emulator::start().expect("emulator");
    let session = session(&emulator).await;
    let config = config("outputs", ConfigArgs::default());
    let report = deploy_approved(&session, "outputs", &config).await;
    let path = scratch("outputs").join("outputs.json");

    deploy::write_outputs(&path, &report.stack.outputs).expect("write");

    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    assert_eq!(
        written["FunctionArn"],
        report.stack.outputs["FunctionArn"].as_str()
    );
    assert_eq!(written.as_object().map(|o| o.len()), Some(4));
}

#[tokio::test]
async fn destroy_deletes_the_stack_and_destroying_again_succeeds() {
    let emulator = Emulator::start().expect("emulator");
    let session = session(&emulator).await;
    let config = config("destroy", ConfigArgs::default());
    deploy_approved(&session, "destroy", &config).await;

    deploy::destroy(&session, &config, false)
        .await
        .expect("destroy");
    assert_eq!(
        session
            .driver
            .status(&config.stack_name)
            .await
            .expect("status"),
        None
    );
    deploy::destroy(&session, &config, true)
        .await
        .expect("destroy again, purging assets");

    assert_eq!(
        session
            .driver
            .status(xtask::deploy::assets::ASSETS_STACK)
            .await
            .expect("status"),
        None
    );
}

#[tokio::test]
async fn security_changes_without_yes_or_a_terminal_are_refused_and_nothing_is_created() {
    let emulator = Emulator::start().expect("emulator");
    let session = session(&emulator).await;
    let config = config("refused", ConfigArgs::default());

    // cargo test gives the test no terminal on stdin.
    let error = deploy::deploy(
        &session,
        &config,
        &assembly("refused", &config),
        Approval::Ask,
    )
    .await
    .expect_err("refused");

    assert!(
        error
            .to_string()
            .contains("needs approval and there is no terminal to ask: rerun with --yes"),
        "{error}"
    );
    assert_eq!(
        session
            .driver
            .status(&config.stack_name)
            .await
            .expect("status"),
        None
    );
}

#[tokio::test]
async fn a_suppression_deploys_a_new_handler_zip_as_the_functions_code() {
    let emulator = Emulator::start().expect("emulator");
    let session = session(&emulator).await;
    let defaults = config("settings_change", ConfigArgs::default());
    let first = deploy_approved(&session, "settings_change", &defaults).await;
    let suppressing = config_file(
        "settings_change",
        "[[suppress]]\nreason = \"CI\"\nsource_ip = [\"10.0.0.0/8\"]\n",
        ConfigArgs::default(),
    );

    let second = deploy_approved(&session, "settings_change", &suppressing).await;

    assert!(
        second.asset.uploaded,
        "the zip with the new settings is uploaded"
    );
    assert_ne!(second.asset.key, first.asset.key);
    // The function's code key is the new zip. (moto lists no resource change for
    // a parameter-only update; real CloudFormation shows Modify Handler.)
    let parameters = session
        .driver
        .parameters(&suppressing.stack_name)
        .await
        .expect("parameters");
    assert_eq!(parameters["ArtifactKey"], second.asset.key);
}

#[tokio::test]
async fn a_template_over_the_request_limit_is_deployed_from_the_assets_bucket() {
    let emulator = Emulator::start().expect("emulator");
    let session = session(&emulator).await;
    let config = config::load(&ConfigArgs {
        config: Some(workspace::root().join("samples/tuning/trailwatch.toml")),
        ..ConfigArgs::default()
    })
    .expect("the tuning example is valid");
    let assembly = assembly("large_template", &config);
    assert!(
        assembly.template.len() > 51_200,
        "{} bytes",
        assembly.template.len()
    );

    let report = deploy::deploy(&session, &config, &assembly, Approval::Given)
        .await
        .expect("deploy");

    assert!(report.stack.executed);
    let listed = session
        .s3
        .list_objects_v2()
        .bucket(&report.asset.bucket)
        .prefix("templates/")
        .send()
        .await
        .expect("list");
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].ends_with(".yaml"));
}
