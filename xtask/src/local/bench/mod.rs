//! `cargo xtask bench`: handler cold start and footprint against the Python
//! reference measured in the same run, handler core speed (criterion), tool speed,
//! and artifact sizes; written to `target/bench/results.{md,json}`.
//! Figures are reported, never asserted: the bench fails only when a step errors.

mod figures;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::config::regions::Regions;
use crate::config::{self, Config, ConfigArgs};
use crate::deploy::artifact;
use crate::deploy::assembly::{self, Assembly};
use crate::deploy::changes::Approval;
use crate::deploy::{self, Session};
use crate::local::emulator::Emulator;
use crate::local::runtime_api::{HandlerEnv, HandlerProcess, RuntimeApi, topic_only_variables};
use crate::{local::demo, local::simulate, tools, workspace};
use contract::names::GLOBAL_REGION;
use figures::{Runtime, Summary, median, percentile};

/// Cold starts per runtime.
const COLD_RUNS: usize = 5;
/// Warm invocations per cold start.
const WARM_INVOCATIONS: usize = 200;
/// Runs of each tool command.
const TOOL_RUNS: usize = 20;
/// First deploys per configuration (each from an emptied emulator).
const REGION_RUNS: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(60);
/// The Python reference handler (the original design's Lambda).
const REFERENCE_HANDLER: &str = include_str!("reference_handler.py");

/// Runs only the first-deploy measurement of one region and of five, and prints it.
pub(crate) fn run_regions(args: &ConfigArgs) -> Result<()> {
    tools::ensure()?;
    let config = config::load(args)?;
    let binary = artifact::build()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let figures = runtime.block_on(async {
        let emulator = Emulator::start()?;
        region_speed(&emulator, &config, &binary).await
    })?;
    let one = figures[0].1;
    for (name, median, _) in &figures {
        println!(
            "{name}: median {:.0} ms ({:.2}x one region)",
            median.as_secs_f64() * 1000.0,
            median.as_secs_f64() / one.as_secs_f64()
        );
    }
    Ok(())
}

/// Runs every benchmark with the configuration `args` and writes the report.
pub fn run(args: &ConfigArgs, core: Option<&str>) -> Result<()> {
    tools::ensure()?;
    let out = workspace::target_dir().join("bench");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let config = config::load(args)?;
    let binary = artifact::build()?;
    let assembly = assembly::write(&out.join("assembly"), &config, Some(&binary))?;
    let zip = assembly
        .handler
        .clone()
        .context("synth wrote no handler zip")?;
    let native = build_native_handler()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (runtimes, tools) = runtime.block_on(async {
        let emulator = Emulator::start()?;
        let sdk = emulator.sdk_config().await;
        let topic = aws_sdk_sns::Client::new(&sdk)
            .create_topic()
            .name("bench-alerts")
            .send()
            .await?
            .topic_arn()
            .unwrap_or_default()
            .to_owned();
        // The bench times the immediate path: the configuration has no digests.
        let template = crate::config::app::stack(&config.props())?.to_json()?;
        let env = HandlerEnv {
            variables: topic_only_variables(&template, &topic)?,
            task_root: assembly.dir.clone(),
            endpoint: emulator.endpoint().to_owned(),
            region: "us-east-1".into(),
        };
        let events = events(&config)?;
        let runtimes = vec![
            measure(
                "trailwatch (Rust)",
                || Ok(Command::new(&native)),
                &env,
                &events,
                &out,
            )?,
            measure(
                "trailwatch, AWS_LC_SYS_NO_JITTER_ENTROPY=1",
                || {
                    let mut command = Command::new(&native);
                    command.env("AWS_LC_SYS_NO_JITTER_ENTROPY", "1");
                    Ok(command)
                },
                &env,
                &events,
                &out,
            )?,
            measure(
                "reference (Python 3 + boto3, awslambdaric)",
                || python_reference(&out),
                &env,
                &events,
                &out,
            )?,
        ];
        let tools = tool_speed(&emulator, &config, &assembly, &binary, args).await?;
        anyhow::Ok((runtimes, tools))
    })?;
    eprintln!("bench: criterion (parse + assess + render per sample)");
    let core = criterion(core)?;
    let summary = Summary {
        machine: figures::machine(),
        runtimes,
        core,
        tools,
        zip_bytes: zip.size,
        native_bytes: std::fs::metadata(&native)?.len(),
    };
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&summary.to_json())? + "\n",
    )?;
    let markdown = summary.to_markdown();
    std::fs::write(out.join("results.md"), &markdown)?;
    println!("{markdown}");
    eprintln!(
        "bench: wrote {} and results.json",
        out.join("results.md").display()
    );
    Ok(())
}

fn build_native_handler() -> Result<PathBuf> {
    eprintln!("bench: cargo build --release -p handler (x86_64, for local measurement)");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--package",
            "handler",
            "--bin",
            "bootstrap",
        ])
        .current_dir(workspace::root())
        .status()?;
    if !status.success() {
        bail!("building the native handler failed");
    }
    Ok(workspace::target_dir().join("release/bootstrap"))
}

fn python_reference(out: &Path) -> Result<Command> {
    let dir = out.join("reference");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("reference_handler.py"), REFERENCE_HANDLER)?;
    let mut command = Command::new(tools::venv_bin("python"));
    command
        .args(["-m", "awslambdaric", "reference_handler.handler"])
        .current_dir(dir);
    Ok(command)
}

/// The well-formed monitored samples, cycled for warm invocations. The malformed
/// ones are left out: the reference handler raises on them (trailwatch alerts).
fn events(config: &Config) -> Result<Vec<Value>> {
    let samples = demo::samples()?;
    let today = time::OffsetDateTime::now_utc().date();
    Ok(samples
        .into_iter()
        .filter(|(name, event)| {
            let input = crate::local::records::Input {
                file: name.clone(),
                index: 0,
                envelope: event.clone(),
            };
            !name.starts_with("malformed-")
                && simulate::simulate(
                    &input,
                    &config.detection,
                    &config.stack_name,
                    today,
                    simulate::Request::Skip,
                    None,
                )
                .matched_rule
        })
        .map(|(_, event)| event)
        .collect())
}

/// Cold starts `COLD_RUNS` processes; in each, times init, the first invocation and
/// `WARM_INVOCATIONS` warm ones, and reads peak RSS.
fn measure(
    name: &str,
    command: impl Fn() -> Result<Command>,
    env: &HandlerEnv,
    events: &[Value],
    out: &Path,
) -> Result<Runtime> {
    eprintln!("bench: {name}: {COLD_RUNS} cold starts x {WARM_INVOCATIONS} warm invocations");
    let mut runtime = Runtime::new(name);
    for run in 0..COLD_RUNS {
        let api = RuntimeApi::start()?;
        let started = Instant::now();
        let log = out.join(format!("handler-{}-{run}.log", runtime.slug()));
        let process = HandlerProcess::spawn(command()?, &api, env, &log)?;
        let ready = api
            .wait_first_poll(TIMEOUT)
            .with_context(|| format!("{name}: see {}", log.display()))?;
        runtime.init.push(ready - started);
        let first = Instant::now();
        expect_response(api.invoke(&events[0], TIMEOUT)?, name)?;
        runtime.first.push(first.elapsed());
        let mut warm = Vec::with_capacity(WARM_INVOCATIONS);
        for event in events.iter().cycle().take(WARM_INVOCATIONS) {
            let at = Instant::now();
            expect_response(api.invoke(event, TIMEOUT)?, name)?;
            warm.push(at.elapsed());
        }
        runtime.warm_p50.push(percentile(&mut warm, 50.0));
        runtime.warm_p99.push(percentile(&mut warm, 99.0));
        runtime.peak_rss_kib.push(process.peak_rss_kib()?);
    }
    Ok(runtime)
}

fn expect_response(outcome: crate::local::runtime_api::Outcome, name: &str) -> Result<()> {
    match outcome {
        crate::local::runtime_api::Outcome::Response(_) => Ok(()),
        crate::local::runtime_api::Outcome::Error(error) => {
            bail!("{name} returned an error: {error}")
        }
    }
}

/// Tool speed: `synth` as a process, and a no-op `deploy` and a `diff` on the emulator
/// (artifact prebuilt, so no compilation is timed).
async fn tool_speed(
    emulator: &Emulator,
    config: &Config,
    assembly: &Assembly,
    binary: &Path,
    args: &ConfigArgs,
) -> Result<Vec<(String, Duration, Duration)>> {
    eprintln!("bench: tool speed");
    let xtask = std::env::current_exe()?;
    let synth_dir = workspace::target_dir().join("bench/synth");
    let mut synth = Vec::new();
    for _ in 0..TOOL_RUNS {
        let at = Instant::now();
        let mut command = Command::new(&xtask);
        command.args(["synth", "--out"]).arg(&synth_dir);
        if let Some(file) = &args.config {
            command.arg("--config").arg(file);
        }
        let status = command.stderr(std::process::Stdio::null()).status()?;
        synth.push(at.elapsed());
        if !status.success() {
            bail!("synth failed");
        }
    }
    let session = Session::new(&emulator.sdk_config().await, Duration::from_millis(20));
    deploy::deploy(&session, config, assembly, Approval::Given).await?;
    let (mut noop, mut diff) = (Vec::new(), Vec::new());
    for _ in 0..TOOL_RUNS / 2 {
        let at = Instant::now();
        let report = deploy::deploy(&session, config, assembly, Approval::Given).await?;
        noop.push(at.elapsed());
        if report.stack.executed || report.asset.uploaded {
            bail!("the repeated deploy was not a no-op");
        }
        let at = Instant::now();
        deploy::diff(&session, config, assembly).await?;
        diff.push(at.elapsed());
    }
    let mut figures = region_speed(emulator, config, binary).await?;
    figures.extend([
        (
            "synth (xtask binary, process)".into(),
            median(&mut synth),
            Duration::from_millis(50),
        ),
        (
            "no-op deploy (emulator)".into(),
            median(&mut noop),
            Duration::from_secs(2),
        ),
        (
            "diff (emulator)".into(),
            median(&mut diff),
            Duration::from_secs(2),
        ),
    ]);
    Ok(figures)
}

/// Regions of the five-region deploy besides the home (us-east-1).
const FORWARDER_REGIONS: [&str; 4] = ["eu-west-1", "eu-central-1", "ap-southeast-2", "us-west-2"];

/// First deploys on an emptied emulator: the home stack alone, and the home
/// stack with forwarders in four more regions (deployed in parallel). The
/// target of the second is five times the first, the cost of one region after another.
pub(crate) async fn region_speed(
    emulator: &Emulator,
    config: &Config,
    binary: &Path,
) -> Result<Vec<(String, Duration, Duration)>> {
    eprintln!("bench: first deploys, one region and five");
    let dir = workspace::target_dir().join("bench/regions");
    let mut one = config.clone();
    one.region = Some(GLOBAL_REGION.into());
    one.regions = None;
    let mut five = one.clone();
    five.regions = Some(Regions::Listed(
        FORWARDER_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
    ));
    let assemblies = [
        assembly::write(&dir.join("one"), &one, Some(binary))?,
        assembly::write(&dir.join("five"), &five, Some(binary))?,
    ];
    let session = Session::new(&emulator.sdk_config().await, Duration::from_millis(20));
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..REGION_RUNS {
        for ((config, assembly), times) in [&one, &five].iter().zip(&assemblies).zip(&mut times) {
            emulator.reset()?;
            let at = Instant::now();
            let report = deploy::deploy(&session, config, assembly, Approval::Given).await?;
            times.push(at.elapsed());
            if let Some(failed) = crate::deploy::forwarders::failures(&report.forwarders) {
                bail!("the five-region deploy failed in {failed}");
            }
        }
    }
    let [mut one, mut five] = times;
    let one = median(&mut one);
    Ok(vec![
        (
            "first deploy, one region (emulator)".into(),
            one,
            Duration::from_secs(10),
        ),
        (
            "first deploy, five regions (emulator)".into(),
            median(&mut five),
            one * 5,
        ),
    ])
}

/// Runs the criterion bench (the groups matching `filter`, or all) and reads
/// its medians.
fn criterion(filter: Option<&str>) -> Result<Vec<(String, f64)>> {
    let root = workspace::target_dir().join("criterion");
    // Results of samples renamed or removed since an earlier run must not be read back.
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("clearing {}", root.display()))?;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "bench",
            "--package",
            "handler",
            "--bench",
            "pipeline",
            "--",
            "--warm-up-time",
            "0.5",
            "--measurement-time",
            "1.5",
        ])
        .args(filter)
        .current_dir(workspace::root())
        .status()?;
    if !status.success() {
        bail!("cargo bench failed");
    }
    let mut medians = Vec::new();
    // Every group that ran (all, or those `filter` selected).
    for group in entries(&root)? {
        let dir = root.join(&group);
        for name in entries(&dir)? {
            let estimates: Value = serde_json::from_str(&std::fs::read_to_string(
                dir.join(&name).join("new/estimates.json"),
            )?)?;
            let nanos = estimates["median"]["point_estimate"]
                .as_f64()
                .context("criterion median")?;
            medians.push((format!("{group}/{name}"), nanos));
        }
    }
    Ok(medians)
}

/// The sorted names in a criterion directory, but its HTML `report`.
fn entries(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "report")
        .collect();
    names.sort();
    Ok(names)
}
