//! `cargo xtask simulate`: CloudTrail files through the monitors' selectors and the handler core, offline.

use anyhow::{Result, bail};

use crate::config::{self, ConfigArgs};
use crate::simulate;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable lines.
    Text,
    /// One JSON object per input event.
    Json,
}

/// Runs the command with the configured monitors; fails when any file could not be read.
pub fn run(files: &[String], format: Format, config: &ConfigArgs) -> Result<()> {
    let detection = config::load(config)?.detection;
    let today = time::OffsetDateTime::now_utc().date();
    let mut failed = 0;
    for file in files {
        let inputs = match simulate::read(file) {
            Ok(inputs) => inputs,
            Err(error) => {
                eprintln!("error: {error:#}");
                failed += 1;
                continue;
            }
        };
        for input in &inputs {
            let simulated = simulate::simulate(input, &detection, today);
            match format {
                Format::Text => println!("{}", simulate::describe(&simulated)),
                Format::Json => println!("{}", serde_json::to_string(&simulated)?),
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} files could not be read", files.len());
    }
    Ok(())
}
