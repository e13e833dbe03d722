//! Handler core speed: parse + assess + render per sample, and a mixed batch.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use handler::tuning::{CustomSpec, SuppressSpec};
use handler::{Detection, Selection, Settings, Severity, pipeline, render};
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// Every sample the rules deliver (negative samples never reach the handler),
/// sorted by name.
fn samples() -> Vec<(String, Value)> {
    samples::all()
        .into_iter()
        .filter(|sample| sample.folder != samples::NEGATIVE)
        .map(|sample| {
            let json = sample.json();
            (sample.name, json)
        })
        .collect()
}

/// Take the JSON text as the runtime hands it over (validated, owned), then judge
/// with every monitor enabled and render.
fn pipeline(text: &str, detection: &Detection) -> usize {
    let raw: Box<RawValue> = serde_json::from_str(text).expect("valid sample JSON");
    let today = time::macros::date!(2026 - 11 - 30);
    pipeline::verdict(&raw, detection, today)
        .alert()
        .map_or(0, |alert| render::render(alert).size())
}

fn per_sample(c: &mut Criterion) {
    let selection = Detection::from(Selection::every());
    let mut group = c.benchmark_group("parse_assess_render");
    for (name, value) in samples() {
        let text = value.to_string();
        group.bench_function(name, |b| b.iter(|| pipeline(black_box(&text), &selection)));
    }
    group.finish();
}

fn mixed_batch(c: &mut Criterion) {
    let selection = Detection::from(Selection::every());
    let texts: Vec<String> = samples().iter().map(|(_, v)| v.to_string()).collect();
    let mut group = c.benchmark_group("mixed_batch");
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function("all_samples", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| pipeline(black_box(t), &selection))
                .sum::<usize>()
        })
    });
    group.finish();
}

/// The cost of the catalog's size: the seed samples judged with the four seed
/// monitors and with every monitor, in one run.
fn selection_size(c: &mut Criterion) {
    let seed = Selection::resolve(Some(&["seed".to_owned()]), &[]).expect("`seed` is a pack");
    let (seed, every) = (Detection::from(seed), Detection::from(Selection::every()));
    let texts: Vec<String> = samples()
        .iter()
        .filter(|(name, _)| {
            ["iam-create-", "s3-put-bucket-policy-", "ec2-ingress-"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
        })
        .map(|(_, v)| v.to_string())
        .collect();
    compare(
        c,
        "selection_size",
        &texts,
        [("seed_monitors", &seed), ("every_monitor", &every)],
    );
}

/// One group judging every text with each detection in turn: the batch time
/// over the texts' count is the per-event cost.
fn compare(c: &mut Criterion, group: &str, texts: &[String], variants: [(&str, &Detection); 2]) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements(texts.len() as u64));
    for (name, detection) in variants {
        group.bench_function(name, |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|t| pipeline(black_box(t), detection))
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

/// The monitors added for breadth (issue 25): the baseline of [`breadth`] is
/// every monitor but these, the catalog before them.
const BREADTH: &[&str] = &[
    "console-session-from-api-credentials",
    "iam-credential-added",
    "iam-access-path-changed",
    "account-regions-or-contacts-changed",
    "route53-domain-or-zone-changed",
    "identity-center-source-changed",
    "rds-exposed-or-unprotected",
    "rds-data-destroyed",
    "rds-data-copied",
    "bedrock-guardrail-weakened",
    "bedrock-model-access",
    "sagemaker-code-execution",
    "ec2-instance-exported",
    "ec2-traffic-mirrored",
    "ec2-instance-role-or-key-added",
    "ec2-protection-weakened",
    "s3-bucket-deleted-or-unencrypted",
    "backups-or-storage-deleted",
    "service-logging-disabled",
    "securityhub-findings-suppressed",
    "macie-disabled",
    "config-rules-deleted",
    "waf-protection-removed",
    "service-security-groups-changed",
    "eks-access-or-logging-changed",
    "lambda-function-exposed-or-deleted",
    "glue-dev-endpoint",
    "codebuild-project-public",
    "cloudshell-environment-created",
    "ses-identity-deleted",
    "ec2-instance-lifecycle",
    "lambda-function-lifecycle",
    "ecs-tasks",
    "rds-operations",
    "sagemaker-jobs",
];

/// The cost of breadth: the samples of the monitors that existed before it
/// judged with the catalog before the breadth monitors and with every
/// monitor, in one run.
fn breadth(c: &mut Criterion) {
    let (before, every) = before_and_after_breadth();
    let texts: Vec<String> = samples_before_breadth()
        .iter()
        .map(|(_, v)| v.to_string())
        .collect();
    compare(
        c,
        "breadth",
        &texts,
        [
            ("catalog_before_breadth", &before),
            ("every_monitor", &every),
        ],
    );
}

/// The same, per sample, for per-event medians (short runs: 480 of them).
fn breadth_per_sample(c: &mut Criterion) {
    let (before, every) = before_and_after_breadth();
    let mut group = c.benchmark_group("breadth_per_sample");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600));
    for (name, value) in samples_before_breadth() {
        let text = value.to_string();
        for (variant, detection) in [("before", &before), ("every", &every)] {
            group.bench_function(format!("{variant}/{name}"), |b| {
                b.iter(|| pipeline(black_box(&text), detection))
            });
        }
    }
    group.finish();
}

/// The catalog before the breadth monitors, and every monitor.
fn before_and_after_breadth() -> (Detection, Detection) {
    let all = ["all".to_owned()];
    let before: Vec<String> = BREADTH.iter().map(|id| (*id).to_owned()).collect();
    let before = Selection::resolve(Some(&all), &before).expect("known ids");
    (Detection::from(before), Detection::from(Selection::every()))
}

/// The samples of the monitors that existed before breadth: the same work for
/// both catalogs but for matching against more monitors.
fn samples_before_breadth() -> Vec<(String, Value)> {
    samples::all()
        .into_iter()
        .filter(|s| s.folder != samples::NEGATIVE && !BREADTH.contains(&s.folder.as_str()))
        .map(|s| {
            let json = s.json();
            (s.name, json)
        })
        .collect()
}

/// The cost of tuning: every sample judged with every monitor, alone and with
/// 50 custom monitors and 100 suppressions (none of which hide these samples,
/// so every event is still judged and rendered), in one run.
fn tuning(c: &mut Criterion) {
    let untuned = Detection::from(Selection::every());
    let tuned = Detection::build(&tuned_settings()).expect("valid settings");
    let texts: Vec<String> = samples().iter().map(|(_, v)| v.to_string()).collect();
    compare(
        c,
        "tuning",
        &texts,
        [
            ("every_monitor", &untuned),
            ("every_monitor_50_custom_100_suppressions", &tuned),
        ],
    );
}

/// Every monitor, 50 custom monitors of several services and operators, and
/// 100 suppressions on principals, networks and accounts.
fn tuned_settings() -> Settings {
    let services = [
        "ec2", "iam", "s3", "ssm", "kms", "lambda", "sts", "rds", "sns", "sqs",
    ];
    let custom = (0..50)
        .map(|i| {
            let source = services[i % services.len()];
            let name = match i % 3 {
                0 => json!([format!("CustomCall{i}")]),
                1 => json!([{"prefix": format!("Custom{i}")}]),
                _ => json!([{"wildcard": format!("*Custom{i}*")}]),
            };
            CustomSpec {
                id: format!("custom-{i}"),
                title: format!("Custom monitor {i}"),
                severity: Severity::Medium,
                pattern: json!({"source": [format!("aws.{source}")], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": name}}),
                controls: Vec::new(),
                techniques: Vec::new(),
                threshold: None,
                first_seen: None,
                sequence: None,
            }
        })
        .collect();
    let suppress = (0..100)
        .map(|i| SuppressSpec {
            reason: format!("team {i}"),
            monitors: None,
            role: vec![format!("team-{i}-*")],
            user: Vec::new(),
            service: Vec::new(),
            principal_arn: Vec::new(),
            source_ip: if i % 2 == 0 {
                vec![format!("10.{i}.0.0/16")]
            } else {
                Vec::new()
            },
            account: if i % 5 == 0 {
                vec![format!("{:012}", 900_000_000_000_u64 + i as u64)]
            } else {
                Vec::new()
            },
            expires: None,
            max_severity: Severity::High,
        })
        .collect();
    Settings {
        monitors: Selection::every().ids().map(str::to_owned).collect(),
        custom,
        suppress,
        digest: None,
        stack_name: Some("trailwatch".to_owned()),
    }
}

/// Each sample judged with every monitor, then also with 50 custom monitors and
/// 100 suppressions: per-event medians of both in one run (shorter runs: 326 of them).
fn tuning_per_sample(c: &mut Criterion) {
    let untuned = Detection::from(Selection::every());
    let tuned = Detection::build(&tuned_settings()).expect("valid settings");
    let mut group = c.benchmark_group("tuning_per_sample");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600));
    for (name, value) in samples() {
        let text = value.to_string();
        for (variant, detection) in [("untuned", &untuned), ("tuned", &tuned)] {
            group.bench_function(format!("{variant}/{name}"), |b| {
                b.iter(|| pipeline(black_box(&text), detection))
            });
        }
    }
    group.finish();
}

/// The cost of stateful monitors to events none of them selects: those
/// samples judged without the stateful monitors and with them, in one run.
fn stateless_path(c: &mut Criterion) {
    let every = Detection::from(Selection::every());
    let ids: Vec<String> = every
        .selection
        .monitors()
        .filter(|m| !m.is_stateful())
        .map(|m| m.id.to_owned())
        .collect();
    let without = Detection::from(Selection::parse(&ids).expect("known ids"));
    let today = time::macros::date!(2026 - 11 - 30);
    let texts: Vec<String> = samples()
        .iter()
        .map(|(_, v)| v.to_string())
        .filter(|text| {
            let raw: Box<RawValue> = serde_json::from_str(text).expect("valid sample JSON");
            pipeline::judge(&raw, &every, today).observations.is_empty()
        })
        .collect();
    compare(
        c,
        "stateless_path",
        &texts,
        [("without_stateful", &without), ("every_monitor", &every)],
    );
}

/// What the destinations add on the CPU, over every delivered sample: the
/// alert document in the machine bodies (baseline), OCSF findings there
/// instead, and the document plus the Security Hub finding built beside it.
fn destinations(c: &mut Criterion) {
    let every = Detection::from(Selection::every());
    let texts: Vec<String> = samples().iter().map(|(_, v)| v.to_string()).collect();
    let product = handler::destinations::asff::Product::parse(
        "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
    )
    .expect("a default product");
    let now = time::macros::datetime!(2026-11-30 0:00 UTC);
    let today = now.date();
    let run = |text: &str, format: render::Format, asff: bool| {
        let raw: Box<RawValue> = serde_json::from_str(text).expect("valid sample JSON");
        let verdict = pipeline::verdict(&raw, &every, today);
        let Some(alert) = verdict.alert() else {
            return 0;
        };
        let finding = asff.then(|| handler::destinations::asff::finding(&alert, &product, now));
        render::render_as(alert, format).size() + usize::from(finding.is_some())
    };
    let mut group = c.benchmark_group("destinations");
    group.throughput(Throughput::Elements(texts.len() as u64));
    for (name, format, asff) in [
        ("alert_document", render::Format::Alert, false),
        ("ocsf_body", render::Format::Ocsf, false),
        ("alert_and_asff", render::Format::Alert, true),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|t| run(black_box(t), format, asff))
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    destinations,
    stateless_path,
    per_sample,
    mixed_batch,
    selection_size,
    breadth,
    breadth_per_sample,
    tuning,
    tuning_per_sample
);
criterion_main!(benches);
