//! The `cargo xtask` command line: one module per subcommand.

mod build;
mod demo;
mod fuzz;
pub mod monitors;
pub mod schema;
mod simulate;
mod smoke;
mod stack;
mod status;
mod synth;
pub mod test;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::tools;

/// trailwatch: a CloudTrail security-event monitor for AWS, built and deployed from Rust.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What `cargo xtask` can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install the project-local tools (virtualenv, Rust cross target, qemu-user) if missing.
    Tools,
    /// Run every check: fmt, clippy, unit and integration tests, template linters.
    Test,
    /// Build the arm64 handler with cargo-lambda into a deterministic zip.
    Build,
    /// Render the CloudFormation template and the asset manifest.
    Synth {
        /// Which monitors, suppressions and custom monitors.
        #[command(flatten)]
        config: crate::config::ConfigArgs,
        /// Directory to write into (default: target/synth).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the template to standard output instead.
        #[arg(long, conflicts_with = "out")]
        stdout: bool,
    },
    /// Build, publish the handler, and create or update the stack through a change set.
    Deploy(stack::DeployArgs),
    /// Show the changes a deploy would make, without making them.
    Diff(crate::config::ConfigArgs),
    /// Delete the stack and wait (an absent stack is success).
    Destroy(stack::DestroyArgs),
    /// Upload the template and handler zip to the assets bucket and print a
    /// CloudFormation quick-create link: a console launch without Rust.
    Publish(stack::PublishArgs),
    /// Prove the deployed monitor end to end in its account and region: a
    /// temporary subscriber, one harmless monitored call (versioning on a new
    /// empty bucket), the alert's latency; removes everything it created.
    Smoke {
        #[command(flatten)]
        config: crate::config::ConfigArgs,
        /// How long to wait for the alert.
        #[arg(long, default_value_t = 10)]
        timeout_minutes: u64,
    },
    /// Report the deployed monitor's state in each region: stack and drift,
    /// trail, rules, last 24 hours, queues, alarms, subscriptions. Exits
    /// non-zero when something needs attention.
    Status {
        #[command(flatten)]
        config: crate::config::ConfigArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: status::Format,
    },
    /// Run CloudTrail files (events, records, log files, gzipped or not; - for stdin)
    /// through the monitors' selectors (what the rules select) and the handler core, offline.
    Simulate {
        /// Input files.
        #[arg(required = true)]
        files: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: simulate::Format,
        /// Which monitors, as for deploy.
        #[command(flatten)]
        config: crate::config::ConfigArgs,
    },
    /// Print the monitor catalog: ids, packs, what each selects, severity rules,
    /// controls and techniques.
    Monitors {
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: monitors::Format,
        /// Rewrite the monitor table in docs/monitors.md instead of printing.
        #[arg(long)]
        update_docs: bool,
    },
    /// Print the JSON Schema of the alert document (generated from the
    /// handler's types).
    Schema {
        /// Rewrite docs/alert.schema.json instead of printing.
        #[arg(long)]
        update_docs: bool,
    },
    /// Deploy to a local emulator and replay the samples end to end.
    Demo {
        /// Leave the emulator running afterwards.
        #[arg(long)]
        keep: bool,
        /// Which monitors, suppressions and custom monitors, as for deploy.
        #[command(flatten)]
        config: crate::config::ConfigArgs,
    },
    /// Fuzz the handler's pipeline (raw bytes to Publish request) for a while,
    /// seeded with the samples and hostile strings; reports executions and findings.
    Fuzz {
        /// How long to run.
        #[arg(long, default_value_t = 600)]
        seconds: u64,
    },
    /// Measure handler cold start, footprint and speed against the Python reference,
    /// and tool speed; writes target/bench/results.md and results.json.
    Bench {
        /// The configuration the handler runs with, as for deploy.
        #[command(flatten)]
        config: crate::config::ConfigArgs,
        /// Measure only first deploys of one region and of five on the emulator.
        #[arg(long)]
        regions_only: bool,
        /// Run only the criterion groups matching this regular expression
        /// (`breadth|mixed_batch`); default: every group (about 40 minutes).
        #[arg(long, value_name = "REGEX")]
        core: Option<String>,
    },
}

impl Command {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        match self {
            Command::Tools => tools::ensure().and_then(|()| tools::ensure_qemu()),
            Command::Test => test::run(),
            Command::Build => build::run(),
            Command::Synth {
                config,
                out,
                stdout,
            } => synth::run(&config, out, stdout),
            Command::Deploy(args) => stack::deploy(args),
            Command::Simulate {
                files,
                format,
                config,
            } => simulate::run(&files, format, &config),
            Command::Demo { keep, config } => demo::run(&config, keep),
            Command::Fuzz { seconds } => fuzz::run(seconds),
            Command::Monitors {
                format,
                update_docs,
            } => monitors::run(format, update_docs),
            Command::Schema { update_docs } => schema::run(update_docs),
            Command::Bench {
                config,
                regions_only: true,
                ..
            } => crate::local::bench::run_regions(&config),
            Command::Bench { config, core, .. } => {
                crate::local::bench::run(&config, core.as_deref())
            }
            Command::Diff(args) => stack::diff(args),
            Command::Destroy(args) => stack::destroy(args),
            Command::Publish(args) => stack::publish(args),
            Command::Status { config, format } => status::run(&config, format),
            Command::Smoke {
                config,
                timeout_minutes,
            } => smoke::run(&config, timeout_minutes),
        }
    }
}
