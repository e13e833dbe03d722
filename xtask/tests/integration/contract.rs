//! The contract between the template and what reads its stacks is spelled in
//! one place, the `contract` crate: a name spelled by hand elsewhere could
//! drift from it while every other test stays green.

use std::path::Path;

use handler::{Detection, Selection};
use serde_json::Value;
use xtask::{config::app, workspace};

/// Every name both sides share.
fn contract_names() -> Vec<&'static str> {
    let mut names = contract::env::ALL.to_vec();
    names.extend(contract::outputs::ALL);
    names.extend(contract::parameters::ALL);
    names
}

/// Each line of the Rust sources under `dir` that quotes `name`.
fn quoting(dir: &Path, names: &[&str], found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            quoting(&path, names, found);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        for (number, line) in text.lines().enumerate() {
            for name in names {
                if line.contains(&format!("\"{name}\"")) {
                    found.push(format!("{}:{}: {name}", path.display(), number + 1));
                }
            }
        }
    }
}

#[test]
fn no_source_but_the_contract_spells_an_environment_output_or_parameter_name() {
    let names = contract_names();
    let mut found = Vec::new();
    for crate_dir in ["handler/src", "template/src", "xtask/src"] {
        quoting(&workspace::root().join(crate_dir), &names, &mut found);
    }
    assert!(found.is_empty(), "spelled by hand:\n{}", found.join("\n"));
}

#[test]
fn the_handler_is_given_only_variables_the_contract_names() {
    let every = app::props(&Detection::from(Selection::every()));
    let props = template::SecurityMonitorProps {
        digest_window_seconds: Some(60),
        forwarding: true,
        chat: Some(template::ChatProps {
            min_severity: "HIGH".to_owned(),
            topic: true,
            webhook: Some(template::WebhookProps {
                kind: contract::WebhookKind::Slack.as_str().to_owned(),
                secret_arn:
                    "arn:aws:secretsmanager:us-east-1:111122223333:secret:trailwatch/slack-AbCdEf"
                        .to_owned(),
            }),
        }),
        destinations: template::DestinationsProps {
            security_hub: Some(template::HubRegions::Any),
            bus: Some("default".to_owned()),
            ocsf: true,
        },
        ..every
    };
    let template = app::stack(&props)
        .expect("synth")
        .to_json()
        .expect("render");
    let variables: Vec<&str> =
        template["Resources"][contract::parameters::HANDLER_RESOURCE]["Properties"]["Environment"]
            ["Variables"]
            .as_object()
            .expect("variables")
            .keys()
            .map(String::as_str)
            .collect();
    let mut expected = contract::env::ALL.to_vec();
    expected.sort_unstable();
    assert_eq!(variables, expected);
    assert!(template.get("Outputs").and_then(Value::as_object).is_some());
}
