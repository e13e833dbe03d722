//! `cargo xtask smoke`: the real-account self-test.

use std::time::Duration;

use anyhow::Result;

use crate::config::{self, ConfigArgs};
use crate::deploy::cloudformation::Driver;
use crate::operations::smoke::{self, CloudTrail, Target};
use crate::{aws, terminal};

/// Runs the smoke test against the configured stack; Ctrl-C stops it after
/// cleaning up.
pub fn run(args: &ConfigArgs, timeout_minutes: u64) -> Result<()> {
    let config = config::load(args)?;
    smoke::check_alerted(&config.detection, &config.stack_name)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let sdk = aws::load(config.region.as_deref()).await?;
        let region = aws::region(&sdk);
        let driver = Driver::new(
            aws_sdk_cloudformation::Client::new(&sdk),
            Duration::from_secs(3),
        );
        let current = driver.current(&config.stack_name).await?;
        let target = Target::from_outputs(&config.stack_name, &region, &current.outputs)?;
        let interrupted = async {
            // Without a terminal's signal handler the test runs to its timeout.
            let _ = tokio::signal::ctrl_c().await;
        };
        let proof = smoke::run(
            &sdk,
            &target,
            &CloudTrail,
            Duration::from_secs(timeout_minutes * 60),
            interrupted,
        )
        .await?;
        println!(
            "smoke: the alert arrived {:.1} s after the call: {}",
            proof.latency.as_secs_f64(),
            terminal::value(&proof.title)
        );
        println!("smoke: removed the queue, subscription and bucket it created");
        Ok(())
    })
}
