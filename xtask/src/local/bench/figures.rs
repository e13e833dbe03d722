//! Benchmark figures: medians, percentiles, ratios, and the report.

use std::fmt::Write;
use std::time::Duration;

use serde_json::{Value, json};

/// Measurements of one runtime over several cold starts.
pub(crate) struct Runtime {
    pub name: String,
    pub init: Vec<Duration>,
    pub first: Vec<Duration>,
    pub warm_p50: Vec<Duration>,
    pub warm_p99: Vec<Duration>,
    pub peak_rss_kib: Vec<u64>,
}

impl Runtime {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            init: Vec::new(),
            first: Vec::new(),
            warm_p50: Vec::new(),
            warm_p99: Vec::new(),
            peak_rss_kib: Vec::new(),
        }
    }

    /// A file-name-safe form of the name.
    pub(crate) fn slug(&self) -> String {
        self.name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect()
    }

    fn medians(&self) -> [f64; 5] {
        let ms = |values: &[Duration]| median(&mut values.to_vec()).as_secs_f64() * 1000.0;
        let mut rss = self.peak_rss_kib.clone();
        rss.sort_unstable();
        let rss_mib = rss.get(rss.len() / 2).copied().unwrap_or_default() as f64 / 1024.0;
        [
            ms(&self.init),
            ms(&self.first),
            ms(&self.warm_p50),
            ms(&self.warm_p99),
            rss_mib,
        ]
    }
}

/// Everything one bench run measured.
pub(crate) struct Summary {
    pub machine: String,
    pub runtimes: Vec<Runtime>,
    /// Criterion medians in nanoseconds, by benchmark id.
    pub core: Vec<(String, f64)>,
    /// Tool, median, target.
    pub tools: Vec<(String, Duration, Duration)>,
    pub zip_bytes: u64,
    pub native_bytes: u64,
}

const COLUMNS: [&str; 5] = [
    "init (exec to first poll), ms",
    "first invocation, ms",
    "warm p50, ms",
    "warm p99, ms",
    "peak RSS, MiB",
];

impl Summary {
    /// The report as Markdown tables; ratios are against the last runtime (the reference).
    pub(crate) fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# trailwatch benchmarks\n\nMachine: {}\n\nCommand: `cargo xtask bench`. Medians of {} cold starts; warm figures over {} invocations each.\n",
            self.machine,
            super::COLD_RUNS,
            super::WARM_INVOCATIONS
        );
        let _ = writeln!(
            out,
            "## Handler cold start and footprint (x86_64, Runtime API and SNS on 127.0.0.1)\n"
        );
        let _ = writeln!(out, "| runtime | {} |", COLUMNS.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(COLUMNS.len()));
        let reference = self.runtimes.last().map(Runtime::medians);
        for runtime in &self.runtimes {
            let values = runtime.medians();
            let cells: Vec<String> = values.iter().map(|v| format!("{v:.2}")).collect();
            let _ = writeln!(out, "| {} | {} |", runtime.name, cells.join(" | "));
        }
        if let (Some(reference), Some(ours)) =
            (reference, self.runtimes.first().map(Runtime::medians))
        {
            let ratios: Vec<String> = ours
                .iter()
                .zip(reference)
                .map(|(o, r)| format!("{:.2}x", r / o))
                .collect();
            let _ = writeln!(out, "| reference / trailwatch | {} |", ratios.join(" | "));
        }
        let _ = writeln!(
            out,
            "\n## Handler core: parse + assess + render (criterion medians)\n"
        );
        for (group, label) in [
            // Criterion names the directory of `untuned/NAME` `untuned_NAME`.
            ("tuning_per_sample/untuned_", "every monitor"),
            (
                "tuning_per_sample/tuned_",
                "every monitor, 50 custom, 100 suppressions",
            ),
        ] {
            let mut per_sample: Vec<Duration> = self
                .core
                .iter()
                .filter(|(name, _)| name.starts_with(group))
                .map(|(_, nanos)| Duration::from_secs_f64(nanos / 1e9))
                .collect();
            if !per_sample.is_empty() {
                let _ = writeln!(
                    out,
                    "Median over the {} samples, {label}: {:.2} µs\n",
                    per_sample.len(),
                    median(&mut per_sample).as_secs_f64() * 1e6
                );
            }
        }
        let _ = writeln!(out, "| benchmark | median |\n|---|---|");
        for (name, nanos) in &self.core {
            let _ = writeln!(out, "| {name} | {:.2} µs |", nanos / 1000.0);
        }
        let _ = writeln!(
            out,
            "\n## Tools\n\n| command | median | target | target / median |\n|---|---|---|---|"
        );
        for (name, median, target) in &self.tools {
            let _ = writeln!(
                out,
                "| {name} | {:.1} ms | {:.0} ms | {:.1}x |",
                ms(*median),
                ms(*target),
                target.as_secs_f64() / median.as_secs_f64()
            );
        }
        let _ = writeln!(out, "\n## Artifacts\n\n| artifact | size |\n|---|---|");
        let _ = writeln!(
            out,
            "| arm64 zip (deployed) | {:.2} MB |",
            self.zip_bytes as f64 / 1_048_576.0
        );
        let _ = writeln!(
            out,
            "| x86_64 release binary | {:.2} MB |",
            self.native_bytes as f64 / 1_048_576.0
        );
        out
    }

    /// The same figures as JSON.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "machine": self.machine,
            "runtimes": self.runtimes.iter().map(|r| {
                let m = r.medians();
                json!({"name": r.name, "init_ms": m[0], "first_invocation_ms": m[1], "warm_p50_ms": m[2], "warm_p99_ms": m[3], "peak_rss_mib": m[4]})
            }).collect::<Vec<_>>(),
            "core_median_ns": self.core.iter().map(|(n, v)| json!({"benchmark": n, "median_ns": v})).collect::<Vec<_>>(),
            "tools": self.tools.iter().map(|(n, m, t)| json!({"command": n, "median_ms": ms(*m), "target_ms": ms(*t)})).collect::<Vec<_>>(),
            "arm64_zip_bytes": self.zip_bytes,
            "x86_64_binary_bytes": self.native_bytes,
        })
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The median (upper middle for even counts).
pub(crate) fn median(values: &mut [Duration]) -> Duration {
    percentile(values, 50.0)
}

/// The nearest-rank percentile.
pub(crate) fn percentile(values: &mut [Duration], percent: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort_unstable();
    let rank = ((percent / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// CPU model and core count, for the report.
pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, {}", std::env::consts::ARCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut values: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        assert_eq!(percentile(&mut values, 50.0), Duration::from_millis(100));
        assert_eq!(percentile(&mut values, 99.0), Duration::from_millis(198));
    }
}
