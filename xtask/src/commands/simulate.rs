//! `cargo xtask simulate`: CloudTrail files through the monitors' selectors and the handler core, offline.

use std::io::Write;

use anyhow::{Result, bail};

use crate::config::{self, ConfigArgs};
use crate::local::records::{BadRecord, Input, read_each};
use crate::{local::simulate, terminal};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable lines.
    Text,
    /// One JSON object per input event.
    Json,
    /// One OCSF 1.6.0 Detection Finding (class 2004) per alert, as JSON
    /// lines; events that raise none print nothing.
    Ocsf,
}

/// Runs the command with the configured monitors; fails when any file or record
/// could not be read, after judging every record that could. A closed output
/// (`| head -1`) ends it quietly. With stateful monitors enabled, every record
/// is read first and the events are judged in order of `eventTime`, with one
/// memory of the same semantics as the handler's state table.
pub fn run(files: &[String], format: Format, config: &ConfigArgs) -> Result<()> {
    let config = config::load(config)?;
    let (detection, stack) = (&config.detection, config.stack_name.as_str());
    let today = time::OffsetDateTime::now_utc().date();
    let mut out = std::io::stdout().lock();
    let request = match format {
        Format::Text => simulate::Request::Skip,
        Format::Json => simulate::Request::Render,
        Format::Ocsf => simulate::Request::Ocsf,
    };
    let memory = match detection.selection.monitors().any(|m| m.is_stateful()) {
        true => Some(simulate::Memory::new()?),
        false => None,
    };
    let mut show = |input: &Input| -> Result<()> {
        let simulated =
            simulate::simulate(input, detection, stack, today, request, memory.as_ref());
        match format {
            Format::Text => writeln!(out, "{}", simulate::describe(&simulated))?,
            Format::Json => writeln!(out, "{}", simulate::json_line(&simulated))?,
            Format::Ocsf => {
                for finding in &simulated.ocsf {
                    writeln!(out, "{}", simulate::safe_json(&finding.to_string()))?;
                }
            }
        }
        Ok(())
    };
    let (mut bad_files, mut bad_records) = (0, 0);
    let mut held = Vec::new();
    for file in files {
        let mut each = |item: Result<Input, BadRecord>| -> Result<()> {
            match item {
                Ok(input) if memory.is_some() => held.push(input),
                Ok(input) => show(&input)?,
                Err(bad) => {
                    eprintln!("error: {}", terminal::value(&bad.to_string()));
                    bad_records += 1;
                }
            }
            Ok(())
        };
        match read_each(file, &mut each) {
            Ok(()) => {}
            Err(error) if closed_output(&error) => return Ok(()),
            Err(error) => {
                eprintln!("error: {}", terminal::value(&format!("{error:#}")));
                bad_files += 1;
            }
        }
    }
    simulate::in_time_order(&mut held);
    for input in &held {
        match show(input) {
            Err(error) if closed_output(&error) => return Ok(()),
            shown => shown?,
        }
    }
    match out.flush() {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        flushed => flushed?,
    }
    if bad_files > 0 || bad_records > 0 {
        bail!(
            "{bad_files} of {} files could not be read and {bad_records} records are not events",
            files.len()
        );
    }
    Ok(())
}

/// Whether writing failed because the reader went away.
fn closed_output(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
