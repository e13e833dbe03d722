//! A local AWS emulator (moto server) for tests and the demo.
//!
//! Each [`Emulator`] owns one moto process on a free port of 127.0.0.1 and kills it
//! when dropped, including while a panicking test unwinds. moto starts through a
//! small launcher that fixes two gaps against real AWS (see `moto_server.py`).

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::{tools, workspace};

/// Region the emulator's SDK configuration uses.
pub const REGION: &str = "us-east-1";
/// Account id moto reports for every call.
pub const ACCOUNT: &str = "123456789012";

const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// The moto launcher script.
const LAUNCHER: &str = include_str!("moto_server.py");

/// A running moto server, stopped on drop.
pub struct Emulator {
    child: Child,
    endpoint: String,
    log: PathBuf,
}

impl Emulator {
    /// Starts moto from the project virtualenv and waits until it answers.
    pub fn start() -> Result<Self> {
        let python = tools::venv_bin("python");
        if !python.exists() {
            bail!(
                "the emulator is not installed: run `cargo xtask test` or `cargo xtask tools` once"
            );
        }
        let port = free_port()?;
        let log = log_path(port)?;
        let child = Command::new(python)
            .args(["-c", LAUNCHER, "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).context("creating the emulator log")?)
            .spawn()
            .context("starting moto server")?;
        let mut emulator = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        };
        emulator.wait_until_ready()?;
        Ok(emulator)
    }

    /// The endpoint URL to give the SDK (`AWS_ENDPOINT_URL`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Process id of the moto server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SDK configuration pointed at the emulator: dummy credentials, fixed region,
    /// retries off (a retried request has side effects on moto).
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new(REGION))
            .test_credentials()
            .retry_config(RetryConfig::disabled())
            .load()
            .await
    }

    /// Leaves the server running after this value is gone; returns its pid.
    pub(crate) fn keep_running(self) -> u32 {
        let pid = self.child.id();
        std::mem::forget(self);
        pid
    }

    /// Clears every resource the emulator holds.
    pub fn reset(&self) -> Result<()> {
        ureq::post(format!("{}/moto-api/reset", self.endpoint))
            .send_empty()
            .with_context(|| format!("resetting the emulator at {}", self.endpoint))?;
        Ok(())
    }

    fn wait_until_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        let probe = format!("{}/moto-api/data.json", self.endpoint);
        while started.elapsed() < READY_TIMEOUT {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "moto server exited with {status} before answering; its log is {}",
                    self.log.display()
                );
            }
            if ureq::get(&probe).call().is_ok() {
                return Ok(());
            }
            sleep(Duration::from_millis(50));
        }
        bail!(
            "moto server did not answer on {} within {READY_TIMEOUT:?}; its log is {}",
            self.endpoint,
            self.log.display()
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Errors mean the process is already gone, which is the goal.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn log_path(port: u16) -> Result<PathBuf> {
    let dir = workspace::target_dir().join("emulator");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir.join(format!("moto-{port}.log")))
}
