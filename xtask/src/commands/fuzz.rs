//! `cargo xtask fuzz`: the handler's whole pipeline, from raw bytes to the
//! Publish request, under mutation for as long as asked (handler/tests/integration/fuzz.rs).

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::workspace;

/// Runs the fuzz test in release mode for `seconds`; it prints its executions
/// and fails with the shrunk input of any finding.
pub fn run(seconds: u64) -> Result<()> {
    eprintln!(
        "fuzz: {seconds} s of mutated samples through judge, render and publish (release build)"
    );
    let status = Command::new(env!("CARGO"))
        .args([
            "test",
            "--release",
            "-p",
            "handler",
            "--test",
            "integration",
            "--",
            "fuzz::",
            "--nocapture",
        ])
        .env("TRAILWATCH_FUZZ_SECONDS", seconds.to_string())
        .current_dir(workspace::root())
        .status()
        .context("running cargo test")?;
    if !status.success() {
        bail!("the fuzz run found a problem or could not run (see above)");
    }
    Ok(())
}
