//! CloudFormation Guard over rendered templates: trailwatch's own rules
//! (`xtask/guard`), run by the `cfn-guard` CLI, and its JSON reports read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::{tools, workspace};

/// One template's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub file: String,
    pub passed: BTreeSet<String>,
    pub failed: BTreeSet<String>,
}

/// The directory of trailwatch's Guard rules.
pub(crate) fn rules_dir() -> PathBuf {
    workspace::root().join("xtask/guard")
}

/// Runs the rules over `templates`: one report per template.
pub fn validate(templates: &[PathBuf]) -> Result<Vec<Report>> {
    let mut command = Command::new(tools::cfn_guard());
    command
        .args([
            "validate",
            "--output-format",
            "json",
            "--show-summary",
            "none",
        ])
        .arg("--rules")
        .arg(rules_dir());
    for template in templates {
        command.arg("--data").arg(template);
    }
    let output = command.output().context("running cfn-guard")?;
    let text = String::from_utf8_lossy(&output.stdout);
    // One JSON report per data file, one after another.
    serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(|report| report.map(read))
        .collect::<Result<Vec<Report>, _>>()
        .with_context(|| {
            format!(
                "cfn-guard printed no JSON reports: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

fn read(report: Value) -> Report {
    // Passed rules are listed by name, failed ones as `{"Rule": {"name": ...}}`.
    let names = |key: &str| -> BTreeSet<String> {
        report[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|rule| rule.as_str().or_else(|| rule["Rule"]["name"].as_str()))
            .map(str::to_owned)
            .collect()
    };
    Report {
        file: report["name"].as_str().unwrap_or("?").to_owned(),
        passed: names("compliant"),
        failed: names("not_compliant"),
    }
}

/// The names of the rules in the Guard files of `dir`.
pub(crate) fn declared_rules(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        names.extend(text.lines().filter_map(|line| {
            let name = line.strip_prefix("rule ")?.split_whitespace().next()?;
            Some(name.to_owned())
        }));
    }
    Ok(names)
}
