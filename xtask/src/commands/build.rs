//! `cargo xtask build`: the arm64 handler binary (synth packs it with the settings).

use anyhow::Result;

use crate::deploy::artifact;

/// Runs the command.
pub fn run() -> Result<()> {
    let binary = artifact::build()?;
    let size = std::fs::metadata(&binary)?.len();
    eprintln!(
        "build: {} ({:.2} MB)",
        binary.display(),
        size as f64 / 1_048_576.0
    );
    Ok(())
}
