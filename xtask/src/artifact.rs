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

/// Extracts the zip's `bootstrap` into `dir` as an executable, as Lambda does.
pub fn unpack(artifact: &Artifact, dir: &Path) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let file = fs::File::open(&artifact.path)
        .with_context(|| format!("opening {}", artifact.path.display()))?;
    let mut archive = zip::ZipArchive::new(file)
        .with_context(|| format!("{} is not a zip", artifact.path.display()))?;
    let mut entry = archive
        .by_name("bootstrap")
        .with_context(|| format!("{} has no bootstrap", artifact.path.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("bootstrap");
    let mut out =
        fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    std::io::copy(&mut entry, &mut out)?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
    Ok(path)
}

/// A command running an arm64 binary under qemu-user with the arm64 C library.
pub fn qemu_command(binary: &Path) -> Command {
    let mut command = Command::new(tools::QEMU);
    command.arg("-L").arg(tools::ARM64_SYSROOT).arg(binary);
    command
}
