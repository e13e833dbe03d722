//! The demo of stateful monitors on the deployed state table: a threshold
//! and a sequence replayed through the deployed handler, then a repeat of an
//! alerted event delivered to a second handler process, which must publish
//! nothing (the once-only mark in the table holds across environments).

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::local::runtime_api::{HandlerEnv, HandlerProcess, Outcome, RuntimeApi};
use crate::workspace;

/// The sequences the demo replays (monitor folder, file stem): one threshold,
/// one sequence; both are on by default.
pub const REPLAYED: [(&str, &str); 2] = [
    ("root-sign-in-failures", "ten-root-failures"),
    ("new-principal-made-admin", "user-created-then-made-admin"),
];

const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);

/// One sequence through the deployed handler: each event's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceRun {
    pub monitor: String,
    pub name: String,
    pub outcomes: Vec<Outcome>,
}

/// What the stateful demo showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub runs: Vec<SequenceRun>,
    /// The second process's answer to the last event of the last sequence.
    pub repeat_elsewhere: Outcome,
}

impl Shown {
    /// How many alerts the handler reported publishing while replaying:
    /// the events' own and the stateful ones.
    pub fn published(&self) -> usize {
        self.runs
            .iter()
            .flat_map(|run| &run.outcomes)
            .map(|outcome| match outcome {
                Outcome::Response(response) => {
                    usize::from(response.get("subject").is_some())
                        + response["crossed"].as_array().map_or(0, Vec::len)
                }
                Outcome::Error(_) => 0,
            })
            .sum::<usize>()
    }
}

/// Replays [`REPLAYED`] through `api` (served by the deployed handler), then
/// delivers the last event again to a second handler started from `bootstrap`.
pub fn show(api: &RuntimeApi, env: &HandlerEnv, second: std::process::Command) -> Result<Shown> {
    let sequences = samples::sequences();
    let mut runs = Vec::new();
    for (monitor, name) in REPLAYED {
        let events = sequences
            .iter()
            .find(|(m, n, _)| m == monitor && n == name)
            .map(|(_, _, s)| s.events.clone())
            .with_context(|| format!("the sequence {monitor}/{name} is missing"))?;
        eprintln!("demo: replaying the stateful sequence {monitor}/{name}");
        let outcomes = events
            .iter()
            .map(|event| api.invoke(event, INVOKE_TIMEOUT))
            .collect::<Result<Vec<_>>>()?;
        runs.push(SequenceRun {
            monitor: monitor.to_owned(),
            name: name.to_owned(),
            outcomes,
        });
    }
    let last = last_event(&sequences)?;
    let other = RuntimeApi::start()?;
    let log = workspace::target_dir().join("demo-second-handler.log");
    let _process = HandlerProcess::spawn(second, &other, env, &log)?;
    eprintln!("demo: the last event again, to a second handler process");
    let repeat_elsewhere = other.invoke(&last, INVOKE_TIMEOUT)?;
    Ok(Shown {
        runs,
        repeat_elsewhere,
    })
}

fn last_event(sequences: &[(String, String, samples::Sequence)]) -> Result<Value> {
    let (monitor, name) = REPLAYED[REPLAYED.len() - 1];
    sequences
        .iter()
        .find(|(m, n, _)| m == monitor && n == name)
        .and_then(|(_, _, s)| s.events.last().cloned())
        .context("the last replayed sequence has no events")
}
