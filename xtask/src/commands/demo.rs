//! `cargo xtask demo`: the whole product on a local emulator.

use std::time::Instant;

use anyhow::Result;

use crate::config::{self, ConfigArgs};
use crate::local::demo::{self, LocalHandler, Report};
use crate::local::emulator::Emulator;
use crate::local::runtime_api::Outcome;
use crate::terminal;
use crate::{deploy::artifact, tools, workspace};

/// Runs the command with the configuration `args`; `keep` leaves the emulator running.
pub fn run(args: &ConfigArgs, keep: bool) -> Result<()> {
    tools::ensure()?;
    let binary = artifact::build()?;
    let started = Instant::now();
    let config = config::load(args)?;
    config.warn_expired();
    let handler = LocalHandler::prepare(&config, &binary, &workspace::target_dir().join("demo"))?;
    let samples = demo::samples()?;
    let emulator = Emulator::start()?;
    eprintln!("demo: emulator on {}", emulator.endpoint());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let sdk = emulator.sdk_config().await;
        demo::run(&sdk, emulator.endpoint(), &config, handler, &samples).await
    })?;
    print_report(&report);
    eprintln!(
        "demo: finished in {:.1}s after the build",
        started.elapsed().as_secs_f32()
    );
    if !keep {
        drop(emulator);
        eprintln!("demo: emulator stopped; nothing is left running");
        return Ok(());
    }
    {
        let endpoint = emulator.endpoint().to_owned();
        let pid = emulator.keep_running();
        eprintln!(
            "demo: the emulator keeps running (pid {pid}). Try:\n  \
             AWS_ENDPOINT_URL={endpoint} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws sns list-topics\n  \
             kill {pid}   # when done"
        );
    }
    Ok(())
}

fn print_report(report: &Report) {
    println!("\nAlerts as the subscriber received them:");
    for alert in &report.alerts {
        let document = &alert.document;
        let field =
            |value: &serde_json::Value, absent| terminal::value(value.as_str().unwrap_or(absent));
        println!("  {}", terminal::value(&alert.subject));
        println!(
            "      severity {} | monitor {} | actor {} | target {} | event {}",
            field(&document["severity"], "?"),
            field(&document["monitor"], "?"),
            field(&document["actor"]["name"], "?"),
            field(&document["target"], "-"),
            field(&document["event_id"], "-"),
        );
    }
    println!(
        "\nSamples the rules did not deliver (negative ones, and those of monitors not enabled):"
    );
    for sample in report.samples.iter().filter(|s| !s.matched) {
        println!("  {}: no alert", sample.name);
    }
    println!("\nSamples delivered and judged without an alert:");
    for sample in &report.samples {
        let Some(Outcome::Response(response)) = &sample.outcome else {
            continue;
        };
        let field = |key: &str| response[key].as_str().map(terminal::value);
        if let Some(reason) = field("suppressed_by") {
            println!("  {}: suppressed by \"{reason}\"", sample.name);
        } else if let Some(reason) = field("dismissed") {
            println!("  {}: dismissed: {reason}", sample.name);
        } else if let Some(canary) = response.get("canary") {
            println!(
                "  {}: the deployment's canary from {}/{}: counted (trailwatch/CanaryReceived), no alert",
                sample.name,
                terminal::value(canary["account"].as_str().unwrap_or("?")),
                terminal::value(canary["region"].as_str().unwrap_or("?"))
            );
        }
    }
    let errors: Vec<_> = report
        .samples
        .iter()
        .filter(|s| matches!(s.outcome, Some(Outcome::Error(_))))
        .collect();
    for sample in &errors {
        println!(
            "  {}: HANDLER ERROR {}",
            sample.name,
            terminal::value(&format!("{:?}", sample.outcome))
        );
    }
    if !report.forwarded.is_empty() {
        println!(
            "\nA StopLogging made in each forwarder region, alerted by the home region's handler:"
        );
        for (region, alert) in &report.forwarded {
            println!("  made in {region}: {}", terminal::value(&alert.subject));
        }
    }
    if let Some(shown) = &report.stateful {
        println!("\nStateful monitors on the deployed state table:");
        for run in &shown.runs {
            println!(
                "  {}/{}: {} events replayed",
                run.monitor,
                run.name,
                run.outcomes.len()
            );
        }
        for alert in &report.stateful_alerts {
            println!("    alert: {}", terminal::value(&alert.subject));
        }
        let repeat = match &shown.repeat_elsewhere {
            Outcome::Response(response) if response["duplicate"] == true => {
                "acknowledged as a repeat, nothing published"
            }
            _ => "NOT RECOGNISED AS A REPEAT",
        };
        println!("  the last event again, in a second handler process: {repeat}");
    }
    for sample in report.samples.iter().filter(|s| s.rules > 1) {
        println!(
            "  {}: DELIVERED BY {} RULES: the handler would be invoked {} times",
            sample.name, sample.rules, sample.rules
        );
    }
    let matched = report.samples.iter().filter(|s| s.matched).count();
    println!(
        "\nSummary: {} samples, {matched} matched the rules, {} alerts received ({} by the {}-only subscription), {} ignored, {} handler errors",
        report.samples.len(),
        report.alerts.len(),
        report.filtered.len(),
        demo::FILTERED_SEVERITY,
        report.samples.len() - matched,
        errors.len()
    );
}
