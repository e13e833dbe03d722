//! `cargo xtask test`: the one test command, run locally and by CI.

use std::process::Command;
use std::time::Instant;

use anyhow::{Result, bail};

use super::synth;
use crate::{tools, workspace};

/// One check: a name for the summary and how to start it.
struct Step {
    name: &'static str,
    command: fn() -> Result<Command>,
}

const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        command: || Ok(cargo(&["fmt", "--all", "--check"])),
    },
    Step {
        name: "clippy",
        command: || {
            Ok(cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        },
    },
    Step {
        name: "tests",
        command: || Ok(cargo(&["test", "--workspace"])),
    },
    Step {
        name: "cfn-lint",
        command: cfn_lint,
    },
    Step {
        name: "checkov",
        command: checkov,
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
    let started = Instant::now();
    let outcome = (step.command)().and_then(|mut command| {
        eprintln!("test: {} ({})", step.name, describe(&command));
        Ok(command.current_dir(workspace::root()).status()?.success())
    });
    let verdict = match outcome {
        Ok(true) => "ok".to_owned(),
        Ok(false) => "FAILED".to_owned(),
        Err(error) => format!("FAILED: {error:#}"),
    };
    eprintln!(
        "test: {} {verdict} ({:.1}s)",
        step.name,
        started.elapsed().as_secs_f32()
    );
    verdict == "ok"
}

fn describe(command: &Command) -> String {
    let program = command.get_program().to_string_lossy();
    let program = program.rsplit('/').next().unwrap_or_default().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
    format!("{program} {}", args.join(" "))
}

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.args(args);
    command
}

/// cfn-lint on the synthesised template: any finding of any level fails.
fn cfn_lint() -> Result<Command> {
    let template = synth::synth_to(&synth::default_dir())?;
    let mut command = Command::new(tools::venv_bin("cfn-lint"));
    command
        .arg("--include-checks")
        .arg("I")
        .arg("--")
        .arg(template);
    Ok(command)
}

/// checkov on the synthesised template: any failed check fails; skips must be
/// declared in the resource's metadata with a reason.
fn checkov() -> Result<Command> {
    let template = synth::synth_to(&synth::default_dir())?;
    let mut command = Command::new(tools::venv_bin("checkov"));
    command
        .args([
            "--quiet",
            "--compact",
            "--framework",
            "cloudformation",
            "--skip-download",
            "--file",
        ])
        .arg(template)
        .env("PATH", tools::path_with_venv()?);
    Ok(command)
}
