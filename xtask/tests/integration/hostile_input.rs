//! Hostile and odd input to the xtask commands: real log folders for
//! `simulate`, and configurations that must be refused before anything touches
//! AWS. Each test is one case found by probing.

use crate::aws_mocks;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;
use xtask::local::records::{BadRecord, Input, read_each};
use xtask::workspace;

/// A scratch file of this test binary.
fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = workspace::target_dir().join("test-scratch/hostile-input");
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("scratch file");
    path
}

fn sample_text(name: &str) -> String {
    std::fs::read_to_string(samples::path(name)).expect("sample")
}

/// A CloudTrail log file of the samples' records.
fn log_file(samples: &[&str]) -> String {
    let records: Vec<Value> = samples
        .iter()
        .map(|name| {
            let event: Value = serde_json::from_str(&sample_text(name)).expect("JSON");
            event["detail"].clone()
        })
        .collect();
    serde_json::json!({ "Records": records }).to_string()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(text.as_bytes()).expect("gzip");
    encoder.finish().expect("gzip")
}

/// Every item `simulate` reads from `path`.
fn read(path: &Path) -> anyhow::Result<Vec<Result<Input, BadRecord>>> {
    let mut items = Vec::new();
    read_each(path.to_str().expect("UTF-8 path"), &mut |item| {
        items.push(item);
        Ok(())
    })?;
    Ok(items)
}

fn event_names(items: &[Result<Input, BadRecord>]) -> Vec<String> {
    items
        .iter()
        .flatten()
        .map(|input| {
            input.envelope["detail"]["eventName"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

#[test]
fn every_member_of_a_concatenated_gzip_file_is_read() {
    let mut bytes = gzip(&log_file(&["iam-create-user-by-root"]));
    bytes.extend(gzip(&log_file(&["cloudtrail-change-stop-logging"])));
    let items = read(&scratch("two-members.json.gz", &bytes)).expect("readable");
    assert_eq!(event_names(&items), ["CreateUser", "StopLogging"]);
}

#[test]
fn a_utf8_byte_order_mark_is_accepted() {
    let text = format!("\u{feff}{}", sample_text("iam-create-user-by-root"));
    let items = read(&scratch("bom.json", text.as_bytes())).expect("readable");
    assert_eq!(event_names(&items), ["CreateUser"]);
}

#[test]
fn a_bad_record_is_reported_by_index_and_the_others_are_judged() {
    let mut log: Value =
        serde_json::from_str(&log_file(&["iam-create-user-by-root", "kms-key-disable"]))
            .expect("JSON");
    log["Records"]
        .as_array_mut()
        .expect("records")
        .insert(1, serde_json::json!(42));
    let path = scratch("bad-record.json", log.to_string().as_bytes());
    let items = read(&path).expect("readable");
    assert_eq!(event_names(&items), ["CreateUser", "DisableKey"]);
    let bad: Vec<&BadRecord> = items
        .iter()
        .filter_map(|item| item.as_ref().err())
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].index, 1);
    assert!(
        bad[0]
            .to_string()
            .starts_with(&format!("{}: record 1: ", path.display())),
        "{}",
        bad[0]
    );
    let positions: Vec<usize> = items.iter().flatten().map(|input| input.index).collect();
    assert_eq!(positions, [0, 2]);
}

#[test]
fn a_gzip_bomb_is_refused_naming_the_file_without_inflating_it_whole() {
    // 64 MiB of one JSON string: over the record limit, a few hundred KB gzipped.
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(b"{\"Records\": [\"").expect("gzip");
    let block = vec![b'a'; 1024 * 1024];
    for _ in 0..64 {
        encoder.write_all(&block).expect("gzip");
    }
    encoder.write_all(b"\"]}").expect("gzip");
    let path = scratch("bomb.json.gz", &encoder.finish().expect("gzip"));
    let error = read(&path).expect_err("refused");
    assert_eq!(
        error.to_string(),
        format!(
            "{}: a record is larger than 16 MiB; refusing to read it (a CloudTrail record is at most a few hundred KB)",
            path.display()
        )
    );
}

#[test]
fn endless_input_is_refused_rather_than_read_into_memory() {
    let error = read(Path::new("/dev/zero")).expect_err("refused");
    assert!(
        error.to_string().starts_with("/dev/zero: invalid JSON: "),
        "{error}"
    );
}

/// The xtask binary Cargo built for these tests.
fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}

#[test]
fn simulate_into_a_closed_pipe_exits_quietly() {
    let records: Vec<&str> = vec!["iam-create-user-by-root"; 2_000];
    let path = scratch("many.json", log_file(&records).as_bytes());
    let mut child = xtask()
        .args(["simulate", path.to_str().expect("UTF-8 path")])
        .current_dir(workspace::root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xtask runs");
    // Read one line, then close the pipe as `head -1` does.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    std::io::Read::read(&mut stdout, &mut first).expect("a first line");
    drop(stdout);
    let output = child.wait_with_output().expect("xtask ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn simulate_escapes_terminal_sequences_in_text_output_and_file_names() {
    let mut event: Value =
        serde_json::from_str(&sample_text("iam-create-user-by-root")).expect("JSON");
    event["detail"]["requestParameters"]["userName"] = "evil\u{1b}]0;pwned\u{7}\u{9b}2J".into();
    let path = scratch("name\u{1b}[2J.json", event.to_string().as_bytes());
    for format in ["text", "json"] {
        let output = xtask()
            .args([
                "simulate",
                "--format",
                format,
                path.to_str().expect("UTF-8 path"),
            ])
            .current_dir(workspace::root())
            .output()
            .expect("xtask runs");
        let stdout = String::from_utf8(output.stdout).expect("UTF-8");
        assert!(output.status.success(), "{format}: {stdout}");
        assert!(
            !stdout
                .chars()
                .any(|c| matches!(c, '\u{1b}' | '\u{7}' | '\u{9b}')),
            "{format}: {stdout:?}"
        );
        assert!(stdout.contains("name"), "{format}: {stdout}");
    }
}

#[test]
fn simulate_json_shows_the_publish_request_the_handler_sends() {
    let path = samples::path("iam-create-user-by-root");
    let output = xtask()
        .args([
            "simulate",
            "--format",
            "json",
            path.to_str().expect("UTF-8 path"),
        ])
        .current_dir(workspace::root())
        .output()
        .expect("xtask runs");
    let line: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    let publish = &line["publish"];
    let raw = serde_json::value::to_raw_value(
        &serde_json::from_str::<Value>(&sample_text("iam-create-user-by-root")).expect("JSON"),
    )
    .expect("raw");
    let detection = handler::Detection::from(handler::Selection::every());
    let today = time::OffsetDateTime::now_utc().date();
    let sent = handler::render::render(
        handler::pipeline::verdict(&raw, &detection, today)
            .alert()
            .expect("an alert"),
    );
    assert_eq!(publish["subject"], sent.subject.as_str());
    assert_eq!(publish["message"], sent.body.as_str());
    assert_eq!(publish["bytes"], sent.size());
    assert_eq!(
        publish["message_attributes"]["severity"],
        serde_json::json!({"DataType": "String", "StringValue": "CRITICAL"})
    );
}

#[test]
fn each_change_needing_approval_says_why() {
    use xtask::deploy::changes::PlannedChange;
    let change = |action: &str, kind: &str, properties: &[&str]| PlannedChange {
        action: action.to_owned(),
        logical_id: "X".to_owned(),
        resource_type: kind.to_owned(),
        replacement: false,
        properties: properties.iter().map(|p| (*p).to_owned()).collect(),
    };
    assert_eq!(
        change("Remove", "AWS::SNS::TopicPolicy", &[]).describe(),
        "Remove  X AWS::SNS::TopicPolicy  [approval: removes an IAM, key or resource policy]"
    );
    assert_eq!(
        change("Modify", "AWS::Events::Rule", &["EventPattern"]).needs_approval(),
        Some("changes what the rules select or where alerts are delivered")
    );
    assert_eq!(
        change("Modify", "AWS::SNS::Topic", &["KmsMasterKeyId"]).needs_approval(),
        Some("changes encryption or public access")
    );
    assert_eq!(
        change("Modify", "AWS::Lambda::Function", &["Code"]).needs_approval(),
        None
    );
}

/// Loads `text` as trailwatch.toml; the error, when refused.
fn config(name: &str, text: &str) -> Result<xtask::config::Config, String> {
    let path = scratch(&format!("{name}.toml"), text.as_bytes());
    xtask::config::load(&xtask::config::ConfigArgs {
        config: Some(path),
        ..Default::default()
    })
    .map_err(|e| format!("{e:#}"))
}

fn refused(name: &str, text: &str) -> String {
    config(name, text).expect_err("refused")
}

#[test]
fn more_than_50_tags_counting_trailwatchs_own_are_refused() {
    let tags: String = (0..50).map(|i| format!("t{i} = \"v\"\n")).collect();
    let error = refused("tags-51", &format!("[tags]\n{tags}"));
    assert!(
        error.contains(
            "tags: 51 tags with trailwatch's own (project), over the 50 a stack may carry"
        ),
        "{error}"
    );
}

#[test]
fn tag_characters_aws_refuses_are_refused() {
    let error = refused("tags-chars", "[tags]\n\"team<1>\" = \"a;b\"\n");
    assert!(
        error.contains("tags: \"team<1>\" = \"a;b\": only letters, digits, spaces and _ . : / = + - @ are allowed"),
        "{error}"
    );
}

#[test]
fn the_aws_tag_prefix_is_refused_in_any_case() {
    let error = refused("tags-aws", "[tags]\n\"AWS:owner\" = \"x\"\n");
    assert!(
        error.contains("tags: \"AWS:owner\": the aws: prefix (in any case) is reserved for AWS"),
        "{error}"
    );
}

#[test]
fn tag_lengths_are_counted_in_characters_not_bytes() {
    let key = "é".repeat(128);
    let value = "日".repeat(256);
    config(
        "tags-multibyte",
        &format!("[tags]\n\"{key}\" = \"{value}\"\n"),
    )
    .expect("accepted");
    let error = refused("tags-long", &format!("[tags]\n\"{key}é\" = \"v\"\n"));
    assert!(error.contains("a key takes 1-128 characters"), "{error}");
}

#[test]
fn a_stack_name_too_long_for_the_forwarder_stack_is_refused() {
    let error = refused(
        "long-name",
        &format!("stack_name = \"{}\"\n", "a".repeat(119)),
    );
    assert!(
        error.contains("(at most 118: the forwarder stacks add -forwarder"),
        "{error}"
    );
    config(
        "long-name-ok",
        &format!("stack_name = \"{}\"\n", "a".repeat(118)),
    )
    .expect("accepted");
}

#[test]
fn an_address_with_two_at_signs_is_refused() {
    let error = refused("email-two-at", "alert_emails = [\"a@b@c.com\"]\n");
    assert!(
        error.contains("alert_emails: \"a@b@c.com\" is not one e-mail address"),
        "{error}"
    );
}

#[test]
fn a_comma_separated_pair_of_addresses_is_refused() {
    let error = refused("email-list", "alert_emails = [\"x@y.z,evil@e.com\"]\n");
    assert!(
        error.contains("alert_emails: \"x@y.z,evil@e.com\" is not one e-mail address"),
        "{error}"
    );
}

#[test]
fn a_duplicate_address_is_refused() {
    let error = refused(
        "email-twice",
        "alert_emails = [\"sec@example.com\", \"SEC@example.com\"]\n",
    );
    assert!(
        error.contains("alert_emails: \"SEC@example.com\" is listed twice"),
        "{error}"
    );
}

#[test]
fn more_addresses_than_a_stack_has_resources_for_are_refused() {
    let addresses: Vec<String> = (0..500).map(|i| format!("\"a{i}@example.com\"")).collect();
    let error = refused(
        "email-500",
        &format!("alert_emails = [{}]\n", addresses.join(", ")),
    );
    assert!(
        error.contains("resources, over the 500 CloudFormation allows: list fewer alert_emails"),
        "{error}"
    );
}

#[test]
fn a_reserved_concurrency_beyond_any_account_is_refused() {
    let error = refused("concurrency-max", "reserved_concurrency = 4294967295\n");
    assert!(
        error.contains("reserved_concurrency: 4294967295 is over 1000"),
        "{error}"
    );
}

#[test]
fn a_region_of_dashes_is_refused() {
    let error = refused("region-dashes", "region = \"--\"\n");
    assert!(
        error.contains("region: \"--\" is not an AWS region name"),
        "{error}"
    );
}

#[tokio::test]
async fn a_new_account_with_a_limit_of_10_gets_the_handler_without_a_reservation() {
    use aws_sdk_lambda::operation::get_account_settings::GetAccountSettingsOutput;
    use aws_sdk_lambda::types::AccountLimit;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use xtask::deploy::concurrency::{self, Reservation};
    let settings = mock!(aws_sdk_lambda::Client::get_account_settings).then_output(|| {
        GetAccountSettingsOutput::builder()
            .account_limit(
                AccountLimit::builder()
                    .concurrent_executions(10)
                    .unreserved_concurrent_executions(10)
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&settings]);

    let default = concurrency::reservation(&client, None, Reservation::Default(5)).await;
    let configured = concurrency::reservation(&client, None, Reservation::Configured(5)).await;

    assert_eq!(default.expect("deploys"), 0);
    let error = configured.expect_err("refused").to_string();
    assert!(
        error.contains("the account's concurrency limit is 10, 10 unreserved"),
        "{error}"
    );
}

#[tokio::test]
async fn a_region_without_a_logging_trail_is_warned_about_before_the_change_set() {
    use aws_sdk_cloudtrail::types::ReadWriteType;
    use aws_smithy_mocks::{RuleMode, mock_client};
    // One trail recording every management event, stopped: as good as none.
    let [trails, stopped, selectors] = aws_mocks::trail(false, ReadWriteType::All);
    let client = mock_client!(
        aws_sdk_cloudtrail,
        RuleMode::MatchAny,
        [&trails, &stopped, &selectors]
    );

    let covered = xtask::deploy::trail::coverage(&client)
        .await
        .expect("checked");

    assert_eq!(covered, xtask::deploy::trail::Logged::default());
}
