//! Tool bootstrap: makes sure the external tools exist, installing them into the
//! git-ignored `.tools/` directory when missing.
//!
//! Python tools live in one project-local virtualenv whose pinned requirement list
//! is recorded in a stamp file; when the stamp matches, nothing runs and the check
//! costs a file read. The Rust cross target is added through rustup, and
//! cfn-guard is installed from crates.io.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::workspace;

/// Pinned Python tools: the Lambda cross-builder (brings zig), the local AWS
/// emulator, the two template linters and the IAM policy linter.
const PYTHON_REQUIREMENTS: &[&str] = &[
    "cargo-lambda==1.9.2",
    "moto[server]==5.2.1",
    "cfn-lint==1.58.0",
    "checkov==3.3.30",
    "parliament==1.6.4",
    // The runtime client of the Python reference handler that `cargo xtask bench` compares against.
    "awslambdaric==4.2.2",
];

/// CloudFormation Guard, from crates.io, installed under `.tools/cfn-guard`.
const CFN_GUARD_VERSION: &str = "3.2.1";

/// The Rust target of the Lambda (Graviton, provided.al2023).
pub(crate) const LAMBDA_TARGET: &str = "aarch64-unknown-linux-gnu";

/// Makes sure every external tool is installed; cheap when they already are.
pub(crate) fn ensure() -> Result<()> {
    ensure_venv()?;
    ensure_rust_target()?;
    ensure_cfn_guard()
}

/// The cfn-guard executable.
pub(crate) fn cfn_guard() -> PathBuf {
    workspace::tools_dir().join("cfn-guard/bin/cfn-guard")
}

/// Makes sure cfn-guard is installed, installing it from crates.io when missing.
pub fn ensure_cfn_guard() -> Result<()> {
    let installed = Command::new(cfn_guard())
        .arg("--version")
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout).trim() == format!("cfn-guard {CFN_GUARD_VERSION}")
        });
    if installed {
        return Ok(());
    }
    let log_path = workspace::tools_dir().join("cfn-guard-install.log");
    let log = fs::File::create(&log_path).context("creating the cfn-guard install log")?;
    let spinner = spinner(&format!(
        "cargo install cfn-guard {CFN_GUARD_VERSION} into .tools/cfn-guard (first run only, about a minute)"
    ));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // A debug build: 41 s instead of over two minutes on two cores, and
    // validating the templates takes half a second either way.
    let status = Command::new(cargo)
        .args(["install", "--debug", "--locked", "--quiet"])
        .arg(format!("cfn-guard@{CFN_GUARD_VERSION}"))
        .arg("--root")
        .arg(workspace::tools_dir().join("cfn-guard"))
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("running cargo install")?;
    spinner.finish_and_clear();
    if !status.success() {
        bail!(
            "cargo install cfn-guard@{CFN_GUARD_VERSION} failed; its output is in {} (it needs crates.io)",
            log_path.display()
        );
    }
    eprintln!("tools: installed cfn-guard {CFN_GUARD_VERSION}");
    Ok(())
}

/// Path of an executable inside the project virtualenv (`python`, `cfn-lint`, ...).
pub fn venv_bin(name: &str) -> PathBuf {
    bin_dir().join(name)
}

/// The virtualenv's `bin` directory.
pub(crate) fn bin_dir() -> PathBuf {
    venv_dir().join("bin")
}

/// `PATH` with the virtualenv's `bin` first, for tools that call each other (cargo-lambda runs zig).
pub(crate) fn path_with_venv() -> Result<std::ffi::OsString> {
    let current = std::env::var_os("PATH").unwrap_or_default();
    let paths = std::iter::once(bin_dir()).chain(std::env::split_paths(&current));
    std::env::join_paths(paths).context("building PATH")
}

fn venv_dir() -> PathBuf {
    workspace::tools_dir().join("venv")
}

fn stamp_path() -> PathBuf {
    venv_dir().join("trailwatch-requirements.txt")
}

fn requirements_text() -> String {
    PYTHON_REQUIREMENTS.join("\n") + "\n"
}

fn venv_is_current() -> bool {
    venv_bin("python").exists()
        && fs::read_to_string(stamp_path()).is_ok_and(|s| s == requirements_text())
}

fn ensure_venv() -> Result<()> {
    if venv_is_current() {
        return Ok(());
    }
    require_python()?;
    let venv = venv_dir();
    if !venv_bin("python").exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("running python3 -m venv")?;
        if !status.success() {
            bail!(
                "could not create the virtualenv {}: install the venv module \
                 (Debian: `apt-get install python3-venv`) and retry",
                venv.display()
            );
        }
    }
    pip_install()?;
    fs::write(stamp_path(), requirements_text()).context("writing the requirements stamp")
}

fn require_python() -> Result<()> {
    let found = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        bail!(
            "python3 was not found on PATH: install Python 3.9 or newer with pip and venv \
             (Debian: `apt-get install python3 python3-pip python3-venv`) and retry"
        );
    }
    Ok(())
}

fn pip_install() -> Result<()> {
    let log_path = workspace::tools_dir().join("pip-install.log");
    let log = fs::File::create(&log_path).context("creating the pip log")?;
    let spinner = spinner(&format!(
        "installing {} into .tools/venv (first run only, about a minute)",
        PYTHON_REQUIREMENTS.join(", ")
    ));
    let status = Command::new(venv_bin("python"))
        .args(["-m", "pip", "install", "--disable-pip-version-check"])
        .args(PYTHON_REQUIREMENTS)
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .context("running pip")?;
    spinner.finish_and_clear();
    if !status.success() {
        bail!(
            "pip could not install the tools; its output is in {} \
             (pip needs access to PyPI)",
            log_path.display()
        );
    }
    eprintln!("tools: installed {}", PYTHON_REQUIREMENTS.join(", "));
    Ok(())
}

fn ensure_rust_target() -> Result<()> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("running rustc --print sysroot")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if sysroot.join("lib/rustlib").join(LAMBDA_TARGET).exists() {
        return Ok(());
    }
    let spinner = spinner(&format!("rustup target add {LAMBDA_TARGET}"));
    let output = Command::new("rustup")
        .args(["target", "add", LAMBDA_TARGET])
        .output()
        .context("running rustup (is Rust installed through rustup?)")?;
    spinner.finish_and_clear();
    if !output.status.success() {
        bail!(
            "rustup target add {LAMBDA_TARGET} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    eprintln!("tools: added Rust target {LAMBDA_TARGET}");
    Ok(())
}

/// qemu-user's arm64 emulator and the arm64 C library it loads programs with.
pub(crate) const QEMU: &str = "qemu-aarch64";
/// The arm64 sysroot given to qemu with `-L`.
pub(crate) const ARM64_SYSROOT: &str = "/usr/aarch64-linux-gnu";
const QEMU_PACKAGES: &[&str] = &["qemu-user", "libc6-arm64-cross"];

/// Makes sure the arm64 handler can run here under qemu-user, installing the
/// Debian packages when missing (as root); otherwise says what to install.
pub fn ensure_qemu() -> Result<()> {
    if qemu_present() {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !is_root {
        bail!(
            "qemu-user is needed to run the arm64 handler here: run `sudo apt-get install -y {}`",
            QEMU_PACKAGES.join(" ")
        );
    }
    let spinner = spinner(&format!(
        "apt-get install {} (to run the arm64 handler locally)",
        QEMU_PACKAGES.join(" ")
    ));
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(QEMU_PACKAGES)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
    };
    let mut output = install().context("running apt-get")?;
    if !output.status.success() {
        Command::new("apt-get")
            .arg("update")
            .output()
            .context("running apt-get update")?;
        output = install().context("running apt-get")?;
    }
    spinner.finish_and_clear();
    if !output.status.success() || !qemu_present() {
        bail!(
            "could not install {}: {}",
            QEMU_PACKAGES.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    eprintln!("tools: installed {}", QEMU_PACKAGES.join(", "));
    Ok(())
}

fn qemu_present() -> bool {
    let runs = Command::new(QEMU)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    runs && std::path::Path::new(ARM64_SYSROOT)
        .join("lib/ld-linux-aarch64.so.1")
        .exists()
}

/// A spinner on stderr for work of unknown length.
pub(crate) fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
