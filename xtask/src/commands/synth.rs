//! `cargo xtask synth`: render the template and the asset manifest.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

use crate::{app, artifact, workspace};

/// File name of the rendered monitor template.
pub const TEMPLATE_FILE: &str = "trailwatch.template.yaml";
/// File name of the rendered assets (bootstrap) template.
pub const ASSETS_TEMPLATE_FILE: &str = "trailwatch-assets.template.yaml";
/// File name of the asset manifest.
pub const MANIFEST_FILE: &str = "assets.json";

/// The default output directory.
pub fn default_dir() -> PathBuf {
    workspace::target_dir().join("synth")
}

/// Renders both templates (default props) into `dir`, with the asset manifest;
/// returns the template paths.
pub fn synth_to(dir: &Path) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    for (file, stack) in [
        (TEMPLATE_FILE, app::stack(&app::default_props())?),
        (ASSETS_TEMPLATE_FILE, template::assets::assets_stack()),
    ] {
        let path = dir.join(file);
        fs::write(&path, stack.to_yaml()?)
            .with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
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
    Ok(written)
}

/// Runs the command.
pub fn run(out: Option<PathBuf>, stdout: bool) -> Result<()> {
    if stdout {
        print!("{}", app::stack(&app::default_props())?.to_yaml()?);
        return Ok(());
    }
    let dir = out.unwrap_or_else(default_dir);
    for path in synth_to(&dir)? {
        eprintln!("synth: wrote {}", path.display());
    }
    eprintln!("synth: wrote {}", dir.join(MANIFEST_FILE).display());
    Ok(())
}
