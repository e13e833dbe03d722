//! Every revert command an alert offers, for every sample: one shell command
//! (POSIX shell words, as bash and zsh split them), nothing a shell would
//! expand left unquoted (zsh fails on an unquoted `[` with "no matches
//! found"), and options and values of the shapes the AWS CLI v2 reference
//! gives for that command.

use crate::common;

use common::{all_samples, judge};
use serde_json::Value;

/// The options of each command trailwatch offers, from the AWS CLI v2
/// command reference (awscli.amazonaws.com/v2/documentation/api/latest/reference),
/// with the ones it cannot run without. `--region` is a global option.
const SHAPES: &[(&str, &str, &[&str], &[&str])] = &[
    ("cloudtrail", "start-logging", &["--name"], &["--name"]),
    (
        "cloudtrail",
        "start-event-data-store-ingestion",
        &["--event-data-store"],
        &["--event-data-store"],
    ),
    (
        "configservice",
        "start-configuration-recorder",
        &["--configuration-recorder-name"],
        &["--configuration-recorder-name"],
    ),
    (
        "ec2",
        "modify-image-attribute",
        &["--image-id", "--launch-permission"],
        &["--image-id", "--launch-permission"],
    ),
    (
        "ec2",
        "modify-snapshot-attribute",
        &[
            "--snapshot-id",
            "--attribute",
            "--operation-type",
            "--group-names",
            "--user-ids",
        ],
        &["--snapshot-id", "--attribute", "--operation-type"],
    ),
    (
        "ec2",
        "revoke-security-group-ingress",
        &[
            "--group-id",
            "--group-name",
            "--ip-permissions",
            "--security-group-rule-ids",
        ],
        &[],
    ),
    ("events", "enable-rule", &["--name"], &["--name"]),
    ("iam", "delete-user", &["--user-name"], &["--user-name"]),
    (
        "iam",
        "detach-role-policy",
        &["--role-name", "--policy-arn"],
        &["--role-name", "--policy-arn"],
    ),
    (
        "iam",
        "detach-user-policy",
        &["--user-name", "--policy-arn"],
        &["--user-name", "--policy-arn"],
    ),
    (
        "iam",
        "remove-user-from-group",
        &["--group-name", "--user-name"],
        &["--group-name", "--user-name"],
    ),
    (
        "iam",
        "update-access-key",
        &["--user-name", "--access-key-id", "--status"],
        &["--access-key-id", "--status"],
    ),
    ("kms", "cancel-key-deletion", &["--key-id"], &["--key-id"]),
    ("kms", "enable-key", &["--key-id"], &["--key-id"]),
    ("ec2", "enable-ebs-encryption-by-default", &[], &[]),
    (
        "route53domains",
        "enable-domain-transfer-lock",
        &["--domain-name"],
        &["--domain-name"],
    ),
    (
        "lambda",
        "remove-permission",
        &["--function-name", "--statement-id"],
        &["--function-name", "--statement-id"],
    ),
    (
        "rds",
        "modify-db-snapshot-attribute",
        &[
            "--db-snapshot-identifier",
            "--attribute-name",
            "--values-to-remove",
        ],
        &["--db-snapshot-identifier", "--attribute-name"],
    ),
    (
        "rds",
        "modify-db-cluster-snapshot-attribute",
        &[
            "--db-cluster-snapshot-identifier",
            "--attribute-name",
            "--values-to-remove",
        ],
        &["--db-cluster-snapshot-identifier", "--attribute-name"],
    ),
    (
        "s3api",
        "delete-bucket-policy",
        &["--bucket"],
        &["--bucket"],
    ),
    (
        "s3api",
        "put-bucket-acl",
        &["--bucket", "--acl"],
        &["--bucket"],
    ),
];

/// Characters bash or zsh give a meaning to outside quotes.
const SHELL_SPECIAL: &[char] = &[
    '*', '?', '[', ']', '{', '}', '(', ')', '<', '>', '|', '&', ';', '$', '`', '~', '#', '!', '\'',
    '"', '\\', ' ',
];

/// Every revert command of every sample's alert.
fn revert_commands() -> Vec<(String, String)> {
    all_samples()
        .into_iter()
        .flat_map(|(name, event)| {
            let raw = common::raw(&event);
            let steps = judge(&raw).next_steps;
            steps
                .into_iter()
                .filter_map(|s| s.strip_prefix("Revert: ").map(str::to_owned))
                .map(move |command| (name.clone(), command))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What is wrong with one command, if anything.
fn problems(command: &str) -> Vec<String> {
    let Some(words) = shlex::split(command) else {
        return vec!["is not one shell command".to_owned()];
    };
    let mut wrong: Vec<String> = words
        .iter()
        .filter(|w| w.contains(SHELL_SPECIAL))
        .filter(|w| {
            let quoted = shlex::try_quote(w)
                .map(|q| q.into_owned())
                .unwrap_or_default();
            !(quoted.starts_with(['\'', '"']) && command.contains(&quoted))
        })
        .map(|w| format!("leaves {w:?} to the shell unquoted"))
        .collect();
    let [aws, service, operation, options @ ..] = words.as_slice() else {
        return vec!["is not `aws SERVICE OPERATION ...`".to_owned()];
    };
    let shape = SHAPES
        .iter()
        .find(|(s, o, _, _)| s == service && o == operation);
    let Some((_, _, allowed, required)) = (aws == "aws").then_some(shape).flatten() else {
        return vec![format!(
            "{aws} {service} {operation} is not a command of the table"
        )];
    };
    let mut pairs = Vec::new();
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        match rest.next() {
            Some(value) if option.starts_with("--") && !value.starts_with("--") => {
                pairs.push((option.as_str(), value.as_str()));
            }
            _ => wrong.push(format!("option {option} has no value")),
        }
    }
    for (option, value) in &pairs {
        if *option != "--region" && !allowed.contains(option) {
            wrong.push(format!(
                "{option} is not an option of {service} {operation}"
            ));
        }
        wrong.extend(value_problems(option, value));
    }
    for option in *required {
        if !pairs.iter().any(|(o, _)| o == option) {
            wrong.push(format!("lacks {option}"));
        }
    }
    if *operation == "revoke-security-group-ingress" {
        let named = pairs
            .iter()
            .filter(|(o, _)| ["--group-id", "--group-name"].contains(o))
            .count();
        let what = pairs
            .iter()
            .filter(|(o, _)| ["--ip-permissions", "--security-group-rule-ids"].contains(o))
            .count();
        if named != 1 || what != 1 {
            wrong.push(
                "needs one group and one of --ip-permissions or --security-group-rule-ids"
                    .to_owned(),
            );
        }
    }
    wrong
}

/// The value shapes the reference gives for options that take structures or ids.
fn value_problems(option: &str, value: &str) -> Vec<String> {
    let json =
        || serde_json::from_str::<Value>(value).map_err(|e| format!("{option} is not JSON: {e}"));
    match option {
        "--group-id" if !value.starts_with("sg-") => {
            vec![format!("--group-id {value} is not a group id")]
        }
        "--group-name" if value.starts_with("sg-") => {
            vec![format!("--group-name {value} is a group id")]
        }
        "--ip-permissions" => match json() {
            Ok(Value::Array(permissions)) => {
                permissions.iter().flat_map(permission_problems).collect()
            }
            Ok(_) => vec!["--ip-permissions is not a list".to_owned()],
            Err(e) => vec![e],
        },
        "--launch-permission" => match json() {
            Ok(Value::Object(change)) => change
                .iter()
                .flat_map(|(key, entries)| {
                    let key_ok = ["Add", "Remove"].contains(&key.as_str());
                    let entries_ok = entries.as_array().is_some_and(|e| {
                        e.iter().all(|e| {
                            e.as_object().is_some_and(|e| {
                                e.len() == 1
                                    && e.keys().all(|k| {
                                        [
                                            "Group",
                                            "UserId",
                                            "OrganizationArn",
                                            "OrganizationalUnitArn",
                                        ]
                                        .contains(&k.as_str())
                                    })
                            })
                        })
                    });
                    (!key_ok || !entries_ok).then(|| {
                        format!(
                            "--launch-permission {value} is not Add/Remove of launch permissions"
                        )
                    })
                })
                .collect(),
            Ok(_) => vec!["--launch-permission is not an object".to_owned()],
            Err(e) => vec![e],
        },
        "--status" if !["Active", "Inactive", "Expired"].contains(&value) => {
            vec![format!("--status {value}")]
        }
        _ => Vec::new(),
    }
}

/// An `IpPermission`: a protocol, ports for every protocol but `-1`, ranges.
fn permission_problems(permission: &Value) -> Vec<String> {
    let mut wrong = Vec::new();
    let known = ["IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges"];
    if permission
        .as_object()
        .is_none_or(|p| p.keys().any(|k| !known.contains(&k.as_str())))
    {
        wrong.push(format!("{permission} has a key IpPermission does not"));
    }
    let ports = (
        permission["FromPort"].as_i64(),
        permission["ToPort"].as_i64(),
    );
    match (permission["IpProtocol"].as_str(), ports) {
        (Some("-1"), (None, None)) => {}
        (Some("-1"), _) => wrong.push(format!("{permission}: protocol -1 takes no ports")),
        (Some("icmp" | "icmpv6"), (Some(_), Some(_))) => {}
        (Some(_), (Some(from), Some(to)))
            if (0..=65535).contains(&from) && (from..=65535).contains(&to) => {}
        _ => wrong.push(format!(
            "{permission}: ports are not a range of the protocol"
        )),
    }
    let ranges = |key: &str, field: &str| {
        permission[key]
            .as_array()
            .is_some_and(|r| r.iter().all(|r| r[field].is_string()))
    };
    if !(ranges("IpRanges", "CidrIp") || ranges("Ipv6Ranges", "CidrIpv6")) {
        wrong.push(format!("{permission} has no readable range"));
    }
    wrong
}

#[test]
fn every_revert_command_is_one_quoted_shell_command_of_a_documented_shape() {
    let commands = revert_commands();
    let wrong: Vec<String> = commands
        .iter()
        .flat_map(|(sample, command)| {
            problems(command)
                .into_iter()
                .map(move |p| format!("{sample}: `{command}` {p}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Enough commands to have checked every kind the samples produce.
    assert!(commands.len() >= 20, "{} commands", commands.len());
}

#[test]
fn the_shape_check_catches_each_broken_form_it_was_written_for() {
    for broken in [
        "aws ec2 revoke-security-group-ingress --group-id sg-1 --ip-permissions IpProtocol=tcp,FromPort=0-1024,ToPort=0-1024,Ipv6Ranges=[{CidrIpv6=::/0}] --region us-east-1",
        "aws ec2 revoke-security-group-ingress --group-id launch-wizard-1 --protocol tcp --port 22 --cidr 0.0.0.0/0",
        r#"aws ec2 revoke-security-group-ingress --group-id sg-1 --ip-permissions '[{"IpProtocol":"tcp","IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]'"#,
        "aws ec2 modify-image-attribute --image-id ami-1 --launch-permission Remove=[{Group=all}]",
        "aws s3api delete-bucket-policy --bucket",
    ] {
        assert!(!problems(broken).is_empty(), "{broken}");
    }
}
