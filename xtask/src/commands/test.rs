//! `cargo xtask test`: the one test command, run locally and by CI.

use std::process::Command;
use std::time::Instant;

use anyhow::{Result, bail};

use crate::{tools, workspace};

/// One check: a name for the summary and the cargo arguments that run it.
struct Step {
    name: &'static str,
    cargo_args: &'static [&'static str],
}

const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        cargo_args: &["fmt", "--all", "--check"],
    },
    Step {
        name: "clippy",
        cargo_args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    },
    Step {
        name: "tests",
        cargo_args: &["test", "--workspace"],
    },
];

/// Installs missing tools, then runs every step (all of them, even after a
/// failure) and prints a summary; fails if any step failed.
pub fn run() -> Result<()> {
    tools::ensure()?;
    let started = Instant::now();
    let failed: Vec<&str> = STEPS
        .iter()
        .filter(|step| !run_step(step))
        .map(|step| step.name)
        .collect();
    let elapsed = started.elapsed().as_secs_f32();
    if failed.is_empty() {
        eprintln!("test: all {} steps passed in {elapsed:.1}s", STEPS.len());
        Ok(())
    } else {
        bail!(
            "{} of {} steps failed in {elapsed:.1}s: {}",
            failed.len(),
            STEPS.len(),
            failed.join(", ")
        )
    }
}

fn run_step(step: &Step) -> bool {
    eprintln!("test: {} (cargo {})", step.name, step.cargo_args.join(" "));
    let started = Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let passed = Command::new(cargo)
        .args(step.cargo_args)
        .current_dir(workspace::root())
        .status()
        .is_ok_and(|status| status.success());
    let verdict = if passed { "ok" } else { "FAILED" };
    eprintln!(
        "test: {} {verdict} ({:.1}s)",
        step.name,
        started.elapsed().as_secs_f32()
    );
    passed
}
