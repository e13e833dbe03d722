//! The synth output, as the CDK's cloud assembly: the template, the handler's
//! settings, the handler zip, and a manifest naming them. `deploy` reads only
//! this, so what it deploys is exactly what `synth` wrote.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use handler::tuning::SETTINGS_FILE;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::deploy::artifact::{self, Artifact};
use crate::{config::app, workspace};

/// File name of the rendered monitor template.
pub(crate) const TEMPLATE_FILE: &str = "trailwatch.template.yaml";
/// File name of the rendered forwarder template (other regions and accounts).
pub(crate) const FORWARDER_TEMPLATE_FILE: &str = "trailwatch-forwarder.template.yaml";
/// File name of the rendered assets (bootstrap) template.
pub(crate) const ASSETS_TEMPLATE_FILE: &str = "trailwatch-assets.template.yaml";
/// File name of the manifest.
pub(crate) const MANIFEST_FILE: &str = "assets.json";
/// File name of the handler zip.
const ZIP_FILE: &str = "handler.zip";

/// A synth output directory, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembly {
    pub dir: PathBuf,
    /// The monitor template's YAML.
    pub template: String,
    /// The forwarder template's YAML, when the configuration forwards.
    pub forwarder: Option<String>,
    /// The handler zip; absent when the handler was never built.
    pub handler: Option<Artifact>,
}

impl Assembly {
    /// The handler zip, which deploy and publish upload; an error saying how
    /// to build it when absent.
    pub(crate) fn handler_zip(&self) -> Result<&Artifact> {
        match &self.handler {
            Some(handler) => Ok(handler),
            None => bail!(
                "{} has no handler zip: build the handler (cargo xtask build) and synth again",
                self.dir.display()
            ),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    template: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    forwarder: Option<String>,
    settings: String,
    handler: Option<HandlerAsset>,
}

#[derive(Debug, Serialize, Deserialize)]
struct HandlerAsset {
    path: String,
    sha256: String,
    size: u64,
}

/// Largest template CloudFormation takes in a request body (`TemplateBody`);
/// deploy uploads a larger one to an assets bucket.
pub(crate) const MAX_TEMPLATE_BODY_BYTES: usize = 51_200;
/// Largest template CloudFormation reads from S3: "max size: 1 MB" in the
/// `TemplateURL` of CreateStack, CreateChangeSet and CreateStackSet (API
/// reference), counted here as 1,000,000 bytes.
pub(crate) const MAX_TEMPLATE_URL_BYTES: usize = 1_000_000;

/// Refuses a template over `limit` bytes, the most CloudFormation takes the
/// way it will be passed.
pub(crate) fn check_size(file: &str, yaml: &str, limit: usize) -> Result<()> {
    if yaml.len() > limit {
        bail!(
            "{file} is {} bytes, over the {limit} CloudFormation accepts for it: enable fewer monitors or shorten custom patterns",
            yaml.len()
        );
    }
    Ok(())
}

/// The default output directory.
pub(crate) fn default_dir() -> PathBuf {
    workspace::target_dir().join("synth")
}

/// Writes both templates, the settings and, given the built `binary`, the
/// handler zip into `dir`, with the manifest.
pub fn write(dir: &Path, config: &Config, binary: Option<&Path>) -> Result<Assembly> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let template = app::stack(&config.props())?.to_yaml()?;
    check_size(TEMPLATE_FILE, &template, MAX_TEMPLATE_URL_BYTES)?;
    let settings = serde_json::to_string_pretty(&config.settings)? + "\n";
    let forwarder = if config.forwards() {
        let yaml = app::forwarder_stack(&app::forwarder_props(
            &config.detection,
            config.props().canary.as_ref(),
        ))?
        .to_yaml()?;
        // A forwarder region or a StackSet reads a large template from an assets bucket.
        check_size(FORWARDER_TEMPLATE_FILE, &yaml, MAX_TEMPLATE_URL_BYTES)?;
        let path = dir.join(FORWARDER_TEMPLATE_FILE);
        fs::write(&path, &yaml).with_context(|| format!("writing {}", path.display()))?;
        Some(yaml)
    } else {
        None
    };
    for (file, text) in [
        (TEMPLATE_FILE, template.as_str()),
        (
            ASSETS_TEMPLATE_FILE,
            &template::assets::assets_stack().to_yaml()?,
        ),
        (SETTINGS_FILE, &settings),
    ] {
        let path = dir.join(file);
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let handler = binary
        .map(|binary| artifact::pack(binary, &settings, &dir.join(ZIP_FILE)))
        .transpose()?;
    let manifest = Manifest {
        template: TEMPLATE_FILE.to_owned(),
        forwarder: forwarder
            .as_ref()
            .map(|_| FORWARDER_TEMPLATE_FILE.to_owned()),
        settings: SETTINGS_FILE.to_owned(),
        handler: handler.as_ref().map(|h| HandlerAsset {
            path: ZIP_FILE.to_owned(),
            sha256: h.sha256.clone(),
            size: h.size,
        }),
    };
    fs::write(
        dir.join(MANIFEST_FILE),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    Ok(Assembly {
        dir: dir.to_owned(),
        template,
        forwarder,
        handler,
    })
}

/// Reads a synth output directory, checking the zip is the one the manifest names.
pub(crate) fn read(dir: &Path) -> Result<Assembly> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let text = fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "reading {} (run cargo xtask synth first)",
            manifest_path.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a synth manifest", manifest_path.display()))?;
    let template_path = dir.join(&manifest.template);
    let template = fs::read_to_string(&template_path)
        .with_context(|| format!("reading {}", template_path.display()))?;
    let forwarder = manifest
        .forwarder
        .map(|file| {
            let path = dir.join(file);
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        })
        .transpose()?;
    let handler = match manifest.handler {
        None => None,
        Some(asset) => {
            let found = artifact::load(&dir.join(&asset.path))?;
            if found.sha256 != asset.sha256 {
                bail!(
                    "{} changed after synth (sha256 {} instead of {}): run cargo xtask synth again",
                    found.path.display(),
                    found.sha256,
                    asset.sha256
                );
            }
            Some(found)
        }
    };
    Ok(Assembly {
        dir: dir.to_owned(),
        template,
        forwarder,
        handler,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_over_cloudformations_limit_is_refused_with_its_size() {
        let limit = MAX_TEMPLATE_BODY_BYTES;
        assert!(check_size(FORWARDER_TEMPLATE_FILE, &"x".repeat(limit), limit).is_ok());
        assert_eq!(
            check_size(FORWARDER_TEMPLATE_FILE, &"x".repeat(limit + 1), limit)
                .expect_err("too big")
                .to_string(),
            "trailwatch-forwarder.template.yaml is 51201 bytes, over the 51200 CloudFormation accepts for it: enable fewer monitors or shorten custom patterns"
        );
    }
}
