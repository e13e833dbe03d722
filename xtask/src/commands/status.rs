//! `cargo xtask status`: the deployed monitor's state, per region.

use anyhow::{Result, bail};

use crate::config::{self, ConfigArgs};
use crate::{aws, operations::status};

/// How to print the report.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// One block per region, for people.
    Text,
    /// One JSON document (a list of regions), for scripts.
    Json,
}

/// Prints every region's state; fails when something needs attention.
pub fn run(args: &ConfigArgs, format: Format) -> Result<()> {
    let config = config::load(args)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let reports = runtime.block_on(async {
        let sdk = aws::load(config.region.as_deref()).await?;
        status::collect(&sdk, &config.stack_name).await
    })?;
    match format {
        Format::Text => {
            for report in &reports {
                println!("{}", status::describe(report));
            }
        }
        Format::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
    }
    if reports.iter().any(status::RegionStatus::needs_attention) {
        let count: usize = reports.iter().map(|r| r.attention.len()).sum();
        bail!("{count} things need attention (listed above)");
    }
    Ok(())
}
