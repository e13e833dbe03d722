//! `cargo xtask test`: the one test command, run locally and by CI.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::deploy::assembly::{ASSETS_TEMPLATE_FILE, FORWARDER_TEMPLATE_FILE, TEMPLATE_FILE};
use crate::{config::app, tools, workspace};
use handler::{Detection, Selection};

/// The monitor template with every monitor enabled, written beside the others for the linters.
const EVERY_MONITOR_FILE: &str = "trailwatch-every-monitor.template.yaml";

/// One check: a name for the summary and how to run it (true when it passed).
struct Step {
    name: &'static str,
    run: fn() -> Result<bool>,
}

const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        run: || cargo(&["fmt", "--all", "--check"]),
    },
    Step {
        name: "clippy",
        run: || {
            cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
        },
    },
    Step {
        name: "arm64 build",
        run: arm64_build,
    },
    Step {
        name: "tests",
        run: || cargo(&["test", "--workspace", "--no-fail-fast"]),
    },
    Step {
        name: "cfn-lint",
        run: cfn_lint,
    },
    Step {
        name: "checkov",
        run: checkov,
    },
    Step {
        name: "cfn-guard",
        run: cfn_guard,
    },
    Step {
        name: "parliament",
        run: parliament,
    },
];

/// Installs missing tools, then runs every step (all of them, even after a
/// failure) and prints a summary; fails if any step failed.
pub fn run() -> Result<()> {
    tools::ensure()?;
    let started = Instant::now();
    let failed: Vec<&str> = STEPS
        .iter()
        .filter(|step| !run_step(step))
        .map(|step| step.name)
        .collect();
    let elapsed = started.elapsed().as_secs_f32();
    if failed.is_empty() {
        eprintln!("test: all {} steps passed in {elapsed:.1}s", STEPS.len());
        Ok(())
    } else {
        bail!(
            "{} of {} steps failed in {elapsed:.1}s: {}",
            failed.len(),
            STEPS.len(),
            failed.join(", ")
        )
    }
}

fn run_step(step: &Step) -> bool {
    eprintln!("test: {}", step.name);
    let started = Instant::now();
    let verdict = match (step.run)() {
        Ok(true) => "ok".to_owned(),
        Ok(false) => "FAILED".to_owned(),
        Err(error) => format!("FAILED: {error:#}"),
    };
    eprintln!(
        "test: {} {verdict} ({:.1}s)",
        step.name,
        started.elapsed().as_secs_f32()
    );
    verdict == "ok"
}

fn cargo(args: &[&str]) -> Result<bool> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(workspace::root())
        .status()
        .context("running cargo")?;
    Ok(status.success())
}

/// The handler zip deploy uploads, and qemu-user to run it: the end-to-end tests use both.
fn arm64_build() -> Result<bool> {
    crate::deploy::artifact::build()?;
    tools::ensure_qemu()?;
    Ok(true)
}

/// The default templates, plus the monitor template with every monitor
/// enabled (read-only rules included) and digests, so the linters see every
/// resource shape.
fn linted_templates(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut paths = Vec::new();
    for (file, stack) in linted_stacks()? {
        let path = dir.join(file);
        std::fs::write(&path, stack.to_yaml()?)
            .with_context(|| format!("writing {}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}

/// The stacks the linters and the grant check read, by file name: the
/// defaults, every monitor with every feature, the forwarder and the assets.
pub fn linted_stacks() -> Result<Vec<(&'static str, template::Stack)>> {
    let every = Detection::from(Selection::every());
    // Digests, forwarding, chat and the destinations on, so the linters also
    // see the digest queue, its mapping, the forwarding bus with its rules and
    // policy, the chat topic and the grants to Security Hub and a bus.
    let every_monitor = template::SecurityMonitorProps {
        digest_window_seconds: Some(template::MAX_DIGEST_WINDOW_SECONDS),
        forwarding: true,
        chat: Some(template::ChatProps {
            min_severity: "HIGH".to_owned(),
            topic: true,
            webhook: Some(template::WebhookProps {
                kind: "slack".to_owned(),
                secret_arn:
                    "arn:aws:secretsmanager:us-east-1:111122223333:secret:trailwatch/slack-AbCdEf"
                        .to_owned(),
            }),
        }),
        canary: Some(template::CanaryProps {
            every_hours: 6,
            regions: vec!["eu-west-1".to_owned(), "us-east-1".to_owned()],
        }),
        destinations: template::DestinationsProps {
            security_hub: Some(template::HubRegions::Listed(vec![
                "eu-west-1".to_owned(),
                "us-east-1".to_owned(),
            ])),
            bus: Some("security-alerts".to_owned()),
            ocsf: true,
        },
        ..app::props(&every)
    };
    Ok(vec![
        (TEMPLATE_FILE, app::stack(&app::default_props())?),
        (ASSETS_TEMPLATE_FILE, template::assets::assets_stack()),
        (EVERY_MONITOR_FILE, app::stack(&every_monitor)?),
        // Also the StackSet's template: one template serves every region and account.
        (
            FORWARDER_TEMPLATE_FILE,
            app::forwarder_stack(&app::forwarder_props(
                &every,
                template::SecurityMonitorProps::default().canary.as_ref(),
            ))?,
        ),
    ])
}

/// Where the linted templates are written.
fn lint_dir() -> PathBuf {
    workspace::target_dir().join("lint")
}

/// The documentation's example templates, linted with the synthesised ones.
const EXAMPLE_TEMPLATES: &[&str] = &["samples/destinations/route-critical.yaml"];

/// cfn-lint on the synthesised templates and the examples: any finding of
/// any level fails.
fn cfn_lint() -> Result<bool> {
    let examples = EXAMPLE_TEMPLATES.iter().map(|t| workspace::root().join(t));
    let status = Command::new(tools::venv_bin("cfn-lint"))
        .args(["--include-checks", "I", "--"])
        .args(linted_templates(&lint_dir())?)
        .args(examples)
        .status()
        .context("running cfn-lint")?;
    Ok(status.success())
}

fn checkov() -> Result<bool> {
    checkov_in(&lint_dir())
}

/// Synthesises the templates into `dir` and runs checkov on them: passes only
/// with checks run, none failed and nothing unparsed (checkov exits 0 on
/// parsing errors, so its JSON summary is read instead). Skips are declared in
/// resource metadata with a reason.
///
/// checkov runs inside `dir` on bare file names: its parser stores each
/// mapping's file path under a `__file__` key, and CKV_AWS_45 runs its secret
/// patterns over that key with the environment variables: an absolute path with
/// a run of exactly 40 letters, digits and slashes (CI's
/// `/check/work/main/target/synth/trailwatch`) reads as an AWS secret key.
pub fn checkov_in(dir: &Path) -> Result<bool> {
    let files: Vec<_> = linted_templates(dir)?
        .iter()
        .filter_map(|path| path.file_name().map(ToOwned::to_owned))
        .collect();
    let output = Command::new(tools::venv_bin("checkov"))
        .args([
            "--quiet",
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
            "--file",
        ])
        .args(files)
        .current_dir(dir)
        .env("PATH", tools::path_with_venv()?)
        .output()
        .context("running checkov")?;
    let report: Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "checkov printed no JSON report: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let summary = &report["summary"];
    let count = |key: &str| summary[key].as_u64().unwrap_or(u64::MAX);
    let (passed, failed, skipped, unparsed) = (
        count("passed"),
        count("failed"),
        count("skipped"),
        count("parsing_errors"),
    );
    eprintln!(
        "checkov: {passed} passed, {failed} failed, {skipped} skipped, {unparsed} parsing errors"
    );
    for check in report["results"]["failed_checks"]
        .as_array()
        .into_iter()
        .flatten()
    {
        eprintln!(
            "checkov: FAILED {} {} on {} ({} lines {}; evaluated {})",
            check["check_id"].as_str().unwrap_or("?"),
            check["check_name"].as_str().unwrap_or("?"),
            check["resource"].as_str().unwrap_or("?"),
            check["file_path"].as_str().unwrap_or("?"),
            check["file_line_range"],
            check["check_result"]["evaluated_keys"],
        );
    }
    Ok(passed > 0 && failed == 0 && unparsed == 0)
}

/// trailwatch's Guard rules (`xtask/guard`) over the linted templates:
/// passes only when no rule fails and each rule passed somewhere (a rule that
/// is skipped everywhere checks nothing).
fn cfn_guard() -> Result<bool> {
    let reports = crate::checks::guard::validate(&linted_templates(&lint_dir())?)?;
    let passed: std::collections::BTreeSet<&String> =
        reports.iter().flat_map(|r| &r.passed).collect();
    let failed: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.failed
                .iter()
                .map(move |rule| format!("{rule} in {}", r.file))
        })
        .collect();
    let declared = crate::checks::guard::declared_rules(&crate::checks::guard::rules_dir())?;
    let never_passed: Vec<&String> = declared.iter().filter(|r| !passed.contains(r)).collect();
    eprintln!(
        "cfn-guard: {} rules over {} templates, {} failed, {} never passed",
        declared.len(),
        reports.len(),
        failed.len(),
        never_passed.len()
    );
    for failure in &failed {
        eprintln!("cfn-guard: FAILED {failure}");
    }
    for rule in &never_passed {
        eprintln!("cfn-guard: {rule} applied to no template");
    }
    Ok(!reports.is_empty() && failed.is_empty() && never_passed.is_empty())
}

/// A parliament finding the check accepts: its issue, a part of where it
/// is (`<resource>/<document>`), and why the policy is right as it is.
struct Accepted {
    issue: &'static str,
    at: &'static str,
    why: &'static str,
}

/// The findings parliament reports that follow AWS's documentation.
const PARLIAMENT_ACCEPTED: &[Accepted] = &[
    Accepted {
        issue: "MALFORMED",
        at: "/AssumeRolePolicyDocument",
        why: "a trust policy has no Resource element: the role is the resource (IAM JSON policy reference)",
    },
    Accepted {
        issue: "RESOURCE_STAR",
        at: "/KeyPolicy",
        why: "in a key policy Resource \"*\" means this key, and KMS accepts nothing else (KMS, key policies)",
    },
    Accepted {
        issue: "PERMISSIONS_MANAGEMENT_ACTIONS",
        at: "/KeyPolicy",
        why: "the account root's kms:* is AWS's default key policy, which keeps the key manageable through IAM",
    },
    Accepted {
        issue: "UNKNOWN_CONDITION_FOR_ACTION",
        at: "/KeyPolicy",
        why: "CloudWatch Logs' documented key statement limits kms:Describe* with kms:EncryptionContext:aws:logs:arn",
    },
    Accepted {
        issue: "MISMATCHED_TYPE",
        at: "/KeyPolicy",
        why: "CloudWatch Logs' documented key statement compares kms:EncryptionContext:aws:logs:arn with ArnLike",
    },
];

/// parliament (IAM policy linter) on every policy document of the linted
/// templates, with CloudFormation's functions resolved to example values:
/// passes only with no finding but those [`PARLIAMENT_ACCEPTED`] explains.
fn parliament() -> Result<bool> {
    let dir = lint_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut documents = Vec::new();
    for (file, stack) in linted_stacks()? {
        let template = stack.to_json().map_err(|e| anyhow::anyhow!("{e}"))?;
        for document in crate::checks::policies::documents(&template) {
            documents.push(serde_json::json!({
                "at": format!("{file}: {}", document.at),
                "kind": document.kind,
                "policy": document.policy,
            }));
        }
    }
    let input = dir.join("policies.json");
    std::fs::write(&input, serde_json::to_string(&documents)?)
        .with_context(|| format!("writing {}", input.display()))?;
    let output = Command::new(tools::venv_bin("python"))
        .args(["-c", PARLIAMENT_SCRIPT])
        .arg(&input)
        .output()
        .context("running parliament")?;
    let findings: Vec<Value> = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "parliament printed no JSON: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let accepted = |finding: &Value| {
        PARLIAMENT_ACCEPTED.iter().find(|a| {
            finding["issue"].as_str() == Some(a.issue)
                && finding["at"].as_str().is_some_and(|at| at.contains(a.at))
        })
    };
    let unexplained: Vec<&Value> = findings.iter().filter(|f| accepted(f).is_none()).collect();
    for kind in PARLIAMENT_ACCEPTED {
        let count = findings
            .iter()
            .filter(|f| accepted(f).is_some_and(|a| std::ptr::eq(a, kind)))
            .count();
        if count > 0 {
            eprintln!(
                "parliament: {count} x {} in {} accepted: {}",
                kind.issue, kind.at, kind.why
            );
        }
    }
    eprintln!(
        "parliament: {} policy documents, {} findings, {} unexplained",
        documents.len(),
        findings.len(),
        unexplained.len()
    );
    for finding in &unexplained {
        eprintln!("parliament: {finding}");
    }
    Ok(!documents.is_empty() && unexplained.is_empty())
}

/// Reads the documents file and prints parliament's findings as one JSON list.
const PARLIAMENT_SCRIPT: &str = r#"
import json, sys
from parliament import analyze_policy_string
findings = []
for document in json.load(open(sys.argv[1])):
    policy = analyze_policy_string(
        json.dumps(document["policy"]),
        include_community_auditors=True,
    )
    for finding in policy.findings:
        findings.append({
            "at": document["at"],
            "kind": document["kind"],
            "issue": finding.issue,
            "detail": str(finding.detail),
            "location": str(finding.location),
        })
print(json.dumps(findings))
"#;
