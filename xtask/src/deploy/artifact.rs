//! The handler artifact: the arm64 `bootstrap` built by cargo-lambda and the
//! detection settings, packed into a deterministic zip (fixed timestamps and
//! permissions) named by its sha256. A settings change makes a new zip from the
//! same binary: no recompilation.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use handler::tuning::SETTINGS_FILE;
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

/// Builds the release arm64 handler with cargo-lambda; returns the binary.
pub(crate) fn build() -> Result<PathBuf> {
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
    Ok(binary_path())
}

/// The binary of an earlier `cargo xtask build`, if there is one.
pub fn built() -> Option<PathBuf> {
    Some(binary_path()).filter(|path| path.exists())
}

/// Zips `binary` as `bootstrap` (mode 0755) and the handler's settings beside
/// it, with fixed timestamps, so the same inputs always give the same bytes.
pub(crate) fn pack(binary: &Path, settings: &str, zip: &Path) -> Result<Artifact> {
    let bytes = fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default());
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file("bootstrap", options.unix_permissions(0o755))?;
    writer.write_all(&bytes)?;
    writer.start_file(SETTINGS_FILE, options.unix_permissions(0o644))?;
    writer.write_all(settings.as_bytes())?;
    let archive = writer.finish()?.into_inner();
    fs::write(zip, &archive).with_context(|| format!("writing {}", zip.display()))?;
    Ok(Artifact {
        path: zip.to_owned(),
        sha256: hex::encode(Sha256::digest(&archive)),
        size: archive.len() as u64,
    })
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

/// Extracts the zip into `dir` as Lambda does: `bootstrap` executable, the
/// settings beside it. Returns the binary's path.
pub(crate) fn unpack(artifact: &Artifact, dir: &Path) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let file = fs::File::open(&artifact.path)
        .with_context(|| format!("opening {}", artifact.path.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a zip", artifact.path.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for name in ["bootstrap", SETTINGS_FILE] {
        let mut entry = archive
            .by_name(name)
            .with_context(|| format!("{} has no {name}", artifact.path.display()))?;
        let path = dir.join(name);
        let mut out =
            fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        std::io::copy(&mut entry, &mut out)?;
    }
    let binary = dir.join("bootstrap");
    fs::set_permissions(&binary, fs::Permissions::from_mode(0o755))?;
    Ok(binary)
}

/// A command running an arm64 binary under qemu-user with the arm64 C library.
pub(crate) fn qemu_command(binary: &Path) -> Command {
    let mut command = Command::new(tools::QEMU);
    command.arg("-L").arg(tools::ARM64_SYSROOT).arg(binary);
    command
}
