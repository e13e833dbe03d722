//! Handler core speed: parse + assess + render per sample, and a mixed batch.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use handler::{Detection, Selection, alert, render};
use serde_json::Value;
use serde_json::value::RawValue;

fn samples() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples");
    let mut samples: Vec<(String, Value)> = std::fs::read_dir(dir)
        .expect("samples directory")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        // Negative samples never reach the handler: the rules do not deliver them.
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("negative-"))
        })
        .map(|path| {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).expect("readable sample");
            (
                name,
                serde_json::from_str(&text).expect("valid sample JSON"),
            )
        })
        .collect();
    samples.sort_by(|a, b| a.0.cmp(&b.0));
    samples
}

/// Take the JSON text as the runtime hands it over (validated, owned), then judge
/// with every monitor enabled and render.
fn pipeline(text: &str, detection: &Detection) -> usize {
    let raw: Box<RawValue> = serde_json::from_str(text).expect("valid sample JSON");
    let today = time::macros::date!(2026 - 11 - 30);
    render::render(alert::judge(&raw, detection, today).alert()).size()
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
    let mut group = c.benchmark_group("selection_size");
    group.throughput(Throughput::Elements(texts.len() as u64));
    for (name, selection) in [("seed_monitors", &seed), ("every_monitor", &every)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|t| pipeline(black_box(t), selection))
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, per_sample, mixed_batch, selection_size);
criterion_main!(benches);
