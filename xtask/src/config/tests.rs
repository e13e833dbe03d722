//! The configuration: file and flags merged, defaults, and every problem named.

use super::*;

fn load_toml(name: &str, text: &str, args: ConfigArgs) -> Result<Config> {
    let dir = workspace::target_dir().join("test-scratch").join(name);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(CONFIG_FILE);
    std::fs::write(&path, text)?;
    load(&ConfigArgs {
        config: Some(path),
        ..args
    })
}

fn error(name: &str, text: &str, args: ConfigArgs) -> String {
    format!("{:#}", load_toml(name, text, args).expect_err("invalid"))
}

#[test]
fn defaults_enable_every_monitor_but_read_only_in_stack_trailwatch() {
    let config = load_toml("defaults", "", ConfigArgs::default()).expect("valid");
    assert_eq!(config.stack_name, "trailwatch");
    assert_eq!(config.detection.selection, Selection::default());
    // Root use and denied calls, which CIS counts for reads too.
    assert_eq!(config.props().read_only_patterns.len(), 2);
    assert_eq!(config.props().log_retention_days, 90);
}

#[test]
fn packs_and_ids_combine_and_exclusions_win() {
    let args = ConfigArgs {
        exclude_monitors: vec!["iam-create-user".into()],
        ..ConfigArgs::default()
    };
    let config = load_toml(
        "packs",
        "monitors = [\"seed\", \"secrets-retrieved\"]\n",
        args,
    )
    .expect("valid");
    assert_eq!(
        config.detection.selection.ids().collect::<Vec<_>>(),
        [
            "iam-create-access-key",
            "s3-bucket-policy",
            "ec2-security-group-ingress",
            "secrets-retrieved"
        ]
    );
    assert_eq!(config.props().read_only_patterns.len(), 1);
}

#[test]
fn flags_override_the_file() {
    let args = ConfigArgs {
        stack_name: Some("from-flag".into()),
        ..ConfigArgs::default()
    };
    let config = load_toml(
        "override",
        "stack_name = \"from-file\"\nregion = \"eu-west-1\"\n",
        args,
    )
    .expect("valid");
    assert_eq!(
        (config.stack_name.as_str(), config.region.as_deref()),
        ("from-flag", Some("eu-west-1"))
    );
}

#[test]
fn chat_defaults_to_high_and_health_keys_override_only_themselves() {
    let config = load_toml(
        "operations",
        "[chat]\n[health]\nperiod_seconds = 60\ndead_letters = 10\n",
        ConfigArgs::default(),
    )
    .expect("valid");
    let props = config.props();
    assert_eq!(
        props.chat,
        Some(ChatProps {
            min_severity: "HIGH".to_owned(),
            topic: true,
            webhook: None
        })
    );
    assert_eq!(
        props.health,
        HealthProps {
            period_seconds: 60,
            dead_letters: 10,
            ..HealthProps::default()
        }
    );
}

#[test]
fn an_unknown_chat_or_health_key_is_named() {
    let message = error(
        "chat_key",
        "[chat]\nchannel = \"x\"\n",
        ConfigArgs::default(),
    );
    assert!(message.contains("unknown field `channel`"), "{message}");
    let message = error(
        "health_key",
        "[health]\nerrors = 1\n",
        ConfigArgs::default(),
    );
    assert!(message.contains("unknown field `errors`"), "{message}");
}

#[test]
fn an_unknown_key_is_named() {
    let message = error("unknown_key", "stack = \"x\"\n", ConfigArgs::default());
    assert!(message.contains("unknown field `stack`"), "{message}");
}

#[test]
fn an_unknown_monitor_is_named_with_the_known_ones() {
    let message = error(
        "unknown_monitor",
        "monitors = [\"iam-create-user\", \"iam-delete-user\"]\n",
        ConfigArgs::default(),
    );
    assert!(
        message.contains("monitors: unknown monitor or pack \"iam-delete-user\" (packs: all, seed, cis, stratus, read-only, activity, stateful; monitors: iam-create-user, "),
        "{message}"
    );
}

#[test]
fn a_bad_stack_name_and_retention_are_both_reported() {
    let args = ConfigArgs {
        stack_name: Some("1st stack".into()),
        ..ConfigArgs::default()
    };
    let message = error("bad_name", "log_retention_days = 42\n", args);
    assert!(
        message.contains("stack_name: \"1st stack\" must start with a letter"),
        "{message}"
    );
    assert!(
        message.contains("log_retention_days: 42 is not a retention CloudWatch Logs accepts"),
        "{message}"
    );
}

#[test]
fn an_unknown_exclusion_is_named() {
    let message = error(
        "unknown_exclusion",
        "exclude_monitors = [\"cis\"]\n",
        ConfigArgs::default(),
    );
    assert!(
        message.contains("exclude_monitors: unknown monitor \"cis\""),
        "{message}"
    );
}

#[test]
fn problems_of_custom_monitors_and_suppressions_are_reported_together() {
    let text = "[[monitor]]\nid = \"ssm-send-command\"\ntitle = \"SSM\"\nseverity = \"LOW\"\npattern = '{\"source\": [\"aws.ssm\"]}'\n\n[[suppress]]\nreason = \"CI\"\nsource_ip = [\"10.0.0.0/33\"]\n";
    let message = error("tuning_problems", text, ConfigArgs::default());
    assert!(
        message.ends_with("monitor[0] (\"ssm-send-command\"): id \"ssm-send-command\" is a built-in monitor or pack; suppress[0] (\"CI\"): source_ip: \"10.0.0.0/33\" is not a CIDR (like 10.0.0.0/8 or 2001:db8::/32)"),
        "{message}"
    );
}

#[test]
fn a_custom_pattern_over_eventbridges_size_limit_is_named() {
    let names: Vec<String> = (0..300).map(|i| format!("\"Call{i:04}\"")).collect();
    let text = format!(
        "[[monitor]]\nid = \"big\"\ntitle = \"Big\"\nseverity = \"LOW\"\npattern = '{{\"source\": [\"aws.ssm\"], \"detail-type\": [\"AWS API Call via CloudTrail\"], \"detail\": {{\"eventName\": [{}]}}}}'\n",
        names.join(", ")
    );
    let message = error("big_pattern", &text, ConfigArgs::default());
    assert!(
        message.contains("monitor[0] (\"big\"): pattern is ")
            && message.contains("characters, over EventBridge's limit of 2048"),
        "{message}"
    );
}

#[test]
fn a_custom_pattern_may_be_a_toml_table() {
    let text = "[[monitor]]\nid = \"ssm-documents\"\ntitle = \"SSM document shared\"\nseverity = \"HIGH\"\n[monitor.pattern]\nsource = [\"aws.ssm\"]\n\"detail-type\" = [\"AWS API Call via CloudTrail\"]\ndetail = { eventName = [\"ModifyDocumentPermission\"] }\n";
    let config = load_toml("toml_pattern", text, ConfigArgs::default()).expect("valid");
    let monitor = config
        .detection
        .selection
        .get("ssm-documents")
        .expect("enabled");
    assert_eq!(
        monitor.pattern(),
        serde_json::json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["ModifyDocumentPermission"]}})
    );
    // In the rules, with the root and denied-call events left to their own rules.
    let mut deployed = monitor.pattern();
    deployed["detail"]["userIdentity"] =
        serde_json::json!({"type": [{"exists": false}, {"anything-but": "Root"}]});
    deployed["detail"]["errorCode"] = serde_json::json!([{"exists": false}, {"anything-but": {"wildcard": ["*UnauthorizedOperation", "AccessDenied*"]}}]);
    assert!(
        config.props().patterns.contains(&deployed),
        "{:#?}",
        config.props().patterns
    );
}

#[test]
fn expired_suppressions_are_named_by_reason() {
    // `expires` as a TOML date and as a string.
    let text = "[[suppress]]\nreason = \"old CI\"\nrole = [\"ci-*\"]\nexpires = 2026-11-29\n\n[[suppress]]\nreason = \"current CI\"\nrole = [\"ci-*\"]\nexpires = \"2026-11-30\"\n";
    let config = load_toml("expired", text, ConfigArgs::default()).expect("valid");
    let today = time::macros::date!(2026 - 11 - 30);
    assert_eq!(config.expired_suppressions(today), ["old CI"]);
}

#[test]
fn a_home_outside_us_east_1_forwards_and_one_in_it_does_not_unless_asked() {
    let home = |region: &str, extra: &str| {
        let args = ConfigArgs {
            region: Some(region.into()),
            ..ConfigArgs::default()
        };
        load_toml(&format!("home_{region}"), extra, args)
            .expect("valid")
            .props()
            .forwarding
    };
    assert_eq!(
        [
            home("eu-west-1", ""),
            home("us-east-1", ""),
            home("us-east-2", "regions = [\"eu-west-1\"]\n")
        ],
        [true, false, true]
    );
}

#[test]
fn bad_regions_and_organization_settings_are_named() {
    let text = "regions = [\"eu-west-1\", \"Mars\"]\n[organization]\nou_ids = [\"sales\"]\n";
    let message = error("bad_fleet", text, ConfigArgs::default());
    assert!(
        message.contains("regions: \"Mars\" is not an AWS region name")
            && message.contains("organization.ou_ids: \"sales\" is not an OU id"),
        "{message}"
    );
}

#[test]
fn a_custom_threshold_monitor_loads_and_needs_the_state_table() {
    let text = "monitors = [\"seed\"]\n[[monitor]]\nid = \"key-pairs-deleted\"\ntitle = \"Key pairs deleted in bulk\"\nseverity = \"HIGH\"\npattern = '{\"source\": [\"aws.ec2\"], \"detail-type\": [\"AWS API Call via CloudTrail\"], \"detail\": {\"eventName\": [\"DeleteKeyPair\"]}}'\n[monitor.threshold]\ncount = 5\nwindow_minutes = 30\ndistinct = \"requestParameters.keyName\"\n[state]\npoint_in_time_recovery = true\n";
    let config = load_toml("custom_threshold", text, ConfigArgs::default()).expect("valid");
    let monitor = config
        .detection
        .selection
        .get("key-pairs-deleted")
        .expect("enabled");
    assert!(monitor.is_stateful());
    assert_eq!(
        config.props().state,
        Some(template::StateProps {
            point_in_time_recovery: true
        })
    );
}

#[test]
fn every_problem_of_a_custom_stateful_block_is_named() {
    let pattern = "pattern = '{\"source\": [\"aws.ec2\"], \"detail-type\": [\"AWS API Call via CloudTrail\"]}'\n";
    let monitor = |id: &str, block: &str| {
        format!("[[monitor]]\nid = \"{id}\"\ntitle = \"T\"\nseverity = \"LOW\"\n{pattern}{block}")
    };
    let text = [
        monitor("zero", "[monitor.threshold]\ncount = 0\nwindow_minutes = 60\n"),
        monitor("badkey", "[monitor.first_seen]\nvalue = \"requestParameters..name\"\n"),
        monitor("both", "[monitor.threshold]\ncount = 2\nwindow_minutes = 60\n[monitor.first_seen]\nvalue = \"call\"\n"),
        monitor("then", "[monitor.sequence]\nthen = '{\"source\": [\"acme.app\"]}'\nwithin_minutes = 10\n"),
    ]
    .concat();
    let message = error("stateful_problems", &text, ConfigArgs::default());
    for expected in [
        "monitor[0] (\"zero\"): threshold.count: 0 is not within 1-1000",
        "monitor[1] (\"badkey\"): first_seen.value: \"requestParameters..name\" is neither principal",
        "monitor[2] (\"both\"): give at most one of threshold, first_seen and sequence",
        "monitor[3] (\"then\"): sequence.then: ",
    ] {
        assert!(message.contains(expected), "{expected}\nin: {message}");
    }
}

#[test]
fn destinations_are_off_unless_configured() {
    let config = load_toml("no-destinations", "", ConfigArgs::default()).expect("valid");
    assert_eq!(
        config.props().destinations,
        template::DestinationsProps::default()
    );
}

#[test]
fn security_hub_keeps_findings_in_the_listed_forwarded_regions() {
    let text = "region = \"eu-west-1\"\nregions = [\"eu-central-1\"]\n[securityhub]\nenabled = true\n[eventbridge]\nbus = \"security-alerts\"\n[outputs]\nocsf = true\n";
    let config = load_toml("destinations", text, ConfigArgs::default()).expect("valid");
    assert_eq!(
        config.props().destinations,
        template::DestinationsProps {
            security_hub: Some(template::HubRegions::Listed(vec![
                "eu-central-1".to_owned(),
                "us-east-1".to_owned()
            ])),
            bus: Some("security-alerts".to_owned()),
            ocsf: true,
        }
    );
}

#[test]
fn forwarders_in_every_region_keep_findings_in_any_region() {
    let text = "regions = \"all\"\n[securityhub]\nenabled = true\n";
    let config = load_toml("destinations-all", text, ConfigArgs::default()).expect("valid");
    assert_eq!(
        config.props().destinations.security_hub,
        Some(template::HubRegions::Any)
    );
}

#[test]
fn a_misspelt_destination_key_or_a_bad_bus_is_named() {
    let typo = error(
        "destinations-typo",
        "[securityhub]\nenable = true\n",
        ConfigArgs::default(),
    );
    assert!(typo.contains("unknown field `enable`"), "{typo}");
    let bus = error(
        "destinations-bus",
        "[eventbridge]\nbus = \"my bus\"\n",
        ConfigArgs::default(),
    );
    assert!(bus.contains("eventbridge.bus: \"my bus\""), "{bus}");
}
