//! Hostile and odd input to the xtask commands: real log folders for
//! `simulate`, and configurations that must be refused before anything touches
//! AWS. Each test is one case found by probing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;
use xtask::simulate::{self, BadRecord, Input};
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
    std::fs::read_to_string(workspace::root().join(format!("samples/{name}.json"))).expect("sample")
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
    simulate::read_each(path.to_str().expect("UTF-8 path"), &mut |item| {
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
    let path = workspace::root().join("samples/iam-create-user-by-root.json");
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
    let sent = handler::render::render(handler::alert::judge(&raw, &detection, today).alert());
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
    use xtask::cloudformation::PlannedChange;
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
