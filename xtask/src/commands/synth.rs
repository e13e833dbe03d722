//! `cargo xtask synth`: render the template and the asset manifest.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

use crate::{app, artifact, workspace};

/// File name of the rendered template.
pub const TEMPLATE_FILE: &str = "trailwatch.template.yaml";
/// File name of the asset manifest.
pub const MANIFEST_FILE: &str = "assets.json";

/// The default output directory.
pub fn default_dir() -> PathBuf {
    workspace::target_dir().join("synth")
}

/// Renders the template (default props) into `dir`, with the asset manifest; returns the template path.
pub fn synth_to(dir: &Path) -> Result<PathBuf> {
    let yaml = app::stack(&app::default_props())?.to_yaml()?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let template = dir.join(TEMPLATE_FILE);
    fs::write(&template, yaml).with_context(|| format!("writing {}", template.display()))?;
    let manifest = match artifact::existing()? {
        Some(asset) => {
            json!({"handler": {"path": asset.path, "sha256": asset.sha256, "size": asset.size}})
        }
        None => {
            json!({"handler": {"path": artifact::zip_path(), "sha256": null, "note": "not built yet: run cargo xtask build"}})
        }
    };
    fs::write(
        dir.join(MANIFEST_FILE),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    Ok(template)
}

/// Runs the command.
pub fn run(out: Option<PathBuf>, stdout: bool) -> Result<()> {
    if stdout {
        print!("{}", app::stack(&app::default_props())?.to_yaml()?);
        return Ok(());
    }
    let dir = out.unwrap_or_else(default_dir);
    let template = synth_to(&dir)?;
    eprintln!(
        "synth: wrote {} and {}",
        template.display(),
        dir.join(MANIFEST_FILE).display()
    );
    Ok(())
}
