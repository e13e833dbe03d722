//! `cargo xtask synth`: render the templates, the handler's settings and zip,
//! and the manifest `deploy` reads.

use std::path::PathBuf;

use anyhow::Result;

use crate::config::{self, ConfigArgs};
use crate::deploy::artifact;
use crate::deploy::assembly::{self, MANIFEST_FILE};

/// Runs the command.
pub fn run(config: &ConfigArgs, out: Option<PathBuf>, stdout: bool) -> Result<()> {
    let config = config::load(config)?;
    config.warn_expired();
    if stdout {
        print!("{}", crate::config::app::stack(&config.props())?.to_yaml()?);
        return Ok(());
    }
    let dir = out.unwrap_or_else(assembly::default_dir);
    let binary = artifact::built();
    let written = assembly::write(&dir, &config, binary.as_deref())?;
    match &written.handler {
        Some(zip) => eprintln!(
            "synth: handler zip {} (sha256 {})",
            zip.path.display(),
            zip.sha256
        ),
        None => eprintln!(
            "synth: the handler is not built yet (cargo xtask build); the manifest names no zip"
        ),
    }
    eprintln!("synth: wrote {}", dir.join(MANIFEST_FILE).display());
    Ok(())
}
