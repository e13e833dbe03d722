//! `cargo xtask build`: the arm64 handler zip.

use anyhow::Result;

use crate::artifact;

/// Runs the command.
pub fn run() -> Result<()> {
    let artifact = artifact::build()?;
    eprintln!(
        "build: {} ({:.2} MB, sha256 {})",
        artifact.path.display(),
        artifact.size as f64 / 1_048_576.0,
        artifact.sha256
    );
    Ok(())
}
