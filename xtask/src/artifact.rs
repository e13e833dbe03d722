//! The handler artifact: the arm64 `bootstrap` built by cargo-lambda, packed into
//! a deterministic zip (fixed timestamp and permissions) named by its sha256.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::{tools, workspace};

/// A built, zipped handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
}

/// Where cargo-lambda leaves the binary.
fn binary_path() -> PathBuf {
    workspace::target_dir().join("lambda/bootstrap/bootstrap")
}

/// Where the zip goes.
pub fn zip_path() -> PathBuf {
    workspace::target_dir().join("lambda/trailwatch-handler.zip")
}

/// Builds the release arm64 handler with cargo-lambda and zips it.
pub fn build() -> Result<Artifact> {
    tools::ensure()?;
    eprintln!("build: cargo lambda build --release --arm64 (a few minutes the first time)");
    let status = Command::new(tools::venv_bin("cargo-lambda"))
        .args([
            "lambda",
            "build",
            "--release",
            "--arm64",
            "--package",
            "handler",
            "--bin",
            "bootstrap",
        ])
        .current_dir(workspace::root())
        .env("PATH", tools::path_with_venv()?)
        .status()
        .context("running cargo-lambda")?;
    if !status.success() {
        bail!("cargo lambda build failed (see its output above)");
    }
    pack(&binary_path(), &zip_path())
}

/// Zips `binary` as `bootstrap` with a fixed timestamp and mode 0755, so the
/// same binary always gives the same bytes.
pub fn pack(binary: &Path, zip: &Path) -> Result<Artifact> {
    let bytes = fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o755);
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file("bootstrap", options)?;
    writer.write_all(&bytes)?;
    let archive = writer.finish()?.into_inner();
    fs::write(zip, &archive).with_context(|| format!("writing {}", zip.display()))?;
    Ok(Artifact {
        path: zip.to_owned(),
        sha256: hex::encode(Sha256::digest(&archive)),
        size: archive.len() as u64,
    })
}

/// The zip at its usual place, if it was built.
pub fn existing() -> Result<Option<Artifact>> {
    let path = zip_path();
    if path.exists() {
        load(&path).map(Some)
    } else {
        Ok(None)
    }
}

/// An already built zip.
pub fn load(path: &Path) -> Result<Artifact> {
    let archive = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Artifact {
        sha256: hex::encode(Sha256::digest(&archive)),
        size: archive.len() as u64,
        path: path.to_owned(),
    })
}
