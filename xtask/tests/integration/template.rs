//! The synthesised trailwatch templates: deterministic, YAML 1.1-safe, least
//! privilege, encrypted, TLS-only, and deployable; forwarders deliver to the
//! home bus, and only the account or the organization may put events there.

use std::io::Write;
use std::process::{Command, Stdio};

use handler::{Detection, Selection};
use serde_json::{Value, json};
use template::resources::sns::Topic;
use template::{Stack, Value as Cfn};
use xtask::{commands, config::app, tools, workspace};

/// The template of `props`, or the construct's refusal.
fn try_render(props: &template::SecurityMonitorProps) -> Result<Value, String> {
    app::stack(props)
        .and_then(|stack| stack.to_json())
        .map_err(|e| e.to_string())
}

/// The template of valid `props`.
fn render(props: &template::SecurityMonitorProps) -> Value {
    try_render(props).expect("valid props")
}

fn template() -> Value {
    render(&app::default_props())
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// Parses YAML with PyYAML (a YAML 1.1 parser, like CloudFormation's) and returns it as JSON.
fn parse_with_pyyaml(yaml: &str) -> Value {
    let mut child = Command::new(tools::venv_bin("python"))
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python from the project virtualenv (cargo xtask tools)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(yaml.as_bytes())
        .expect("write yaml");
    let output = child.wait_with_output().expect("python runs");
    assert!(
        output.status.success(),
        "PyYAML failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json from python")
}

#[test]
fn full_template_matches_the_reviewed_snapshot() {
    let yaml = app::stack(&app::default_props())
        .expect("synth")
        .to_yaml()
        .expect("yaml");
    insta::assert_snapshot!("trailwatch.template.yaml", yaml);
}

#[test]
fn yaml_parses_back_with_a_yaml_1_1_parser_to_the_typed_model() {
    let stack = app::stack(&app::default_props()).expect("synth");
    assert_eq!(
        parse_with_pyyaml(&stack.to_yaml().expect("yaml")),
        stack.to_json().expect("json")
    );
}

#[test]
fn yaml_1_1_lookalike_strings_survive_the_round_trip() {
    let mut stack = Stack::new("yes");
    for (id, name) in [
        ("A", "on"),
        ("B", "0755"),
        ("C", "1e3"),
        ("D", "2010-09-09"),
        ("E", "No"),
        ("F", "line\nbreak: # not a comment"),
    ] {
        stack.add(
            id,
            &Topic {
                display_name: Some(name.into()),
                kms_master_key_id: Some(Cfn::from("~")),
            },
        );
    }
    let parsed = parse_with_pyyaml(&stack.to_yaml().expect("yaml"));
    assert_eq!(parsed, stack.to_json().expect("json"));
    assert_eq!(
        parsed["Resources"]["B"]["Properties"]["DisplayName"],
        "0755"
    );
}

fn every_monitor_template() -> Value {
    render(&app::props(&handler::Detection::from(Selection::every())))
}

/// The rules of a template, by logical id.
fn rules(template: &Value) -> Vec<(&String, &Value)> {
    resources_of_type(template, "AWS::Events::Rule")
}

#[test]
fn every_rule_pattern_is_within_eventbridge_limits() {
    let template = every_monitor_template();
    assert!(!rules(&template).is_empty());
    for (id, rule) in rules(&template) {
        let pattern = &rule["Properties"]["EventPattern"];
        assert!(
            template::patterns::size(pattern) <= template::patterns::MAX_PATTERN_CHARS,
            "{id}"
        );
        let branches = pattern["$or"].as_array().map_or(1, Vec::len);
        assert!(branches <= template::patterns::MAX_OR_COMBINATIONS, "{id}");
        assert_eq!(
            rule["Properties"]["Targets"].as_array().map(Vec::len),
            Some(1),
            "{id}"
        );
    }
}

#[test]
fn read_only_calls_get_their_own_rule_in_the_all_management_events_state() {
    let template = every_monitor_template();
    let states: Vec<(&str, &str)> = rules(&template)
        .iter()
        .map(|(id, rule)| {
            (
                id.as_str(),
                rule["Properties"]["State"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        states
            .iter()
            .any(|(id, _)| id.starts_with("ReadOnlyEventRule")),
        "{states:?}"
    );
    for (id, state) in &states {
        assert_eq!(
            id.starts_with("ReadOnlyEventRule"),
            *state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
            "{id}"
        );
    }
}

#[test]
fn by_default_the_only_rule_receiving_reads_selects_root_use_and_denied_calls() {
    let template = template();
    let read_only: Vec<&Value> = rules(&template)
        .iter()
        .filter(|(_, rule)| {
            rule["Properties"]["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
        })
        .map(|(_, rule)| &rule["Properties"]["EventPattern"])
        .collect();
    assert!(!read_only.is_empty());
    let alternatives = read_only
        .iter()
        .flat_map(|pattern| match pattern["$or"].as_array() {
            Some(alternatives) => alternatives.iter().collect(),
            None => vec![*pattern],
        });
    for pattern in alternatives {
        let detail = &pattern["detail"];
        let root = detail["userIdentity"]["type"] == json!(["Root"]);
        let denied = detail.get("errorCode").is_some();
        assert!(root != denied, "{pattern}");
    }
}

#[test]
fn every_checkov_skip_gives_a_reason() {
    let template = template();
    for (id, resource) in template["Resources"].as_object().expect("resources") {
        for skip in resource["Metadata"]["checkov"]["skip"]
            .as_array()
            .into_iter()
            .flatten()
        {
            assert!(
                skip["comment"].as_str().is_some_and(|c| c.len() > 20),
                "{id}: {skip}"
            );
        }
    }
}

#[test]
fn checkov_passes_wherever_the_checkout_lives() {
    // CKV_AWS_45 scans the template's path with the Lambda environment and takes
    // any 40-character run of letters, digits and slashes for an AWS secret key:
    // "scratch/" + these 21 characters + "/trailwatch" is such a run.
    let dir = workspace::target_dir()
        .join("test-scratch")
        .join("checkoutpathof40chars");

    let passed = commands::test::checkov_in(&dir).expect("checkov ran");

    assert!(passed, "checkov failed on templates in {}", dir.display());
}

// The forwarder template (other regions, and the StackSet in member accounts)
// and the home template's forwarding bus: what they deliver, where, and who may.

fn forwarder() -> Value {
    app::forwarder_stack(&app::forwarder_props(
        &Detection::from(Selection::every()),
        template::SecurityMonitorProps::default().canary.as_ref(),
    ))
    .expect("synth")
    .to_json()
    .expect("valid stack")
}

fn home() -> Value {
    render(&template::SecurityMonitorProps {
        forwarding: true,
        ..app::default_props()
    })
}

#[test]
fn global_service_rules_exist_only_in_us_east_1_and_nothing_in_the_home_buss_own_account_and_region()
 {
    let template = forwarder();
    let mut conditions: Vec<(String, String, bool)> =
        resources_of_type(&template, "AWS::Events::Rule")
            .into_iter()
            .map(|(id, rule)| {
                let text = rule["Properties"]["EventPattern"].to_string();
                (
                    id.clone(),
                    rule["Condition"].as_str().unwrap_or_default().to_owned(),
                    text.contains("\"aws.iam\"") || text.contains("\"aws.organizations\""),
                )
            })
            .collect();
    conditions.sort();
    for (id, condition, global) in &conditions {
        let expected = if *global {
            "ForwardsGlobalEvents"
        } else {
            "ForwardsElsewhere"
        };
        assert_eq!(condition, expected, "{id}");
    }
    assert!(conditions.iter().any(|(_, _, global)| *global));
    assert_eq!(
        template["Conditions"]["ForwardsGlobalEvents"],
        json!({"Fn::And": [{"Condition": "ForwardsElsewhere"}, {"Condition": "InGlobalRegion"}]})
    );
    assert_eq!(
        template["Conditions"]["InGlobalRegion"],
        json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]})
    );
    let unconditioned: Vec<&String> = template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r.get("Condition").is_none())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(unconditioned, ["Placeholder"]);
}

#[test]
fn the_home_bus_has_the_same_rules_as_the_default_bus_invoking_the_handler() {
    let template = home();
    let rules = resources_of_type(&template, "AWS::Events::Rule");
    let on_bus = |forwarded: bool| -> Vec<&Value> {
        rules
            .iter()
            .filter(|(id, _)| !id.ends_with("HealthRule"))
            .filter(|(_, r)| r["Properties"].get("EventBusName").is_some() == forwarded)
            .map(|(_, r)| &r["Properties"]["EventPattern"])
            .collect()
    };
    assert_eq!(on_bus(true), on_bus(false));
    for (id, rule) in rules
        .iter()
        .filter(|(_, r)| r["Properties"].get("EventBusName").is_some())
    {
        assert_eq!(
            rule["Properties"]["EventBusName"],
            json!({"Fn::GetAtt": ["ForwardingBus", "Name"]}),
            "{id}"
        );
        assert_eq!(
            rule["Properties"]["Targets"][0]["Arn"],
            json!({"Fn::GetAtt": ["Handler", "Arn"]}),
            "{id}"
        );
        assert!(
            template["Resources"][format!("{id}HandlerPermission")].is_object(),
            "{id} may invoke the handler"
        );
    }
}

/// The alarms of a template, by logical id.
fn alarms(template: &Value) -> Vec<(&String, &Value)> {
    resources_of_type(template, "AWS::CloudWatch::Alarm")
}

#[test]
fn the_health_rule_sends_the_stacks_alarms_entering_alarm_or_leaving_it_to_the_handler() {
    let template = template();
    let rule = &template["Resources"]["HealthRule"]["Properties"];
    assert_eq!(
        rule["EventPattern"],
        json!({
            "source": ["aws.cloudwatch", "aws.monitoring"],
            "detail-type": ["CloudWatch Alarm State Change"],
            "detail": {
                "alarmName": [{"prefix": {"Fn::Sub": "${AWS::StackName}-health-"}}],
                "$or": [
                    {"state": {"value": ["ALARM"]}},
                    {"state": {"value": ["OK"]}, "previousState": {"value": ["ALARM"]}},
                ],
            },
        })
    );
    assert_eq!(
        rule["Targets"][0]["Arn"],
        json!({"Fn::GetAtt": ["Handler", "Arn"]})
    );
    // Every alarm's name falls under the prefix the rule selects.
    for (id, alarm) in alarms(&template) {
        let name = alarm["Properties"]["AlarmName"]["Fn::Sub"]
            .as_str()
            .expect("named");
        assert!(
            name.starts_with("${AWS::StackName}-health-"),
            "{id}: {name}"
        );
    }
}

/// A `Fn::Sub` template's text for the stack `trailwatch` in account
/// 111122223333, region us-east-1, partition aws.
fn substituted(value: &Value) -> String {
    let text = value["Fn::Sub"].as_str().expect("a Fn::Sub of text");
    text.replace("${AWS::StackName}", "trailwatch")
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::Region}", "us-east-1")
        .replace("${AWS::AccountId}", "111122223333")
}

#[test]
fn the_handlers_health_rule_delivers_the_rendered_alarms_changes() {
    let template = template();
    let name = substituted(&template["Resources"]["HandlerErrorsAlarm"]["Properties"]["AlarmName"]);
    let change = json!({
        "version": "0", "id": "1", "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch", "account": "111122223333", "region": "us-east-1",
        "detail": {"alarmName": name, "state": {"value": "ALARM"}, "previousState": {"value": "OK"}},
    });
    let raw = serde_json::value::to_raw_value(&change).expect("JSON");
    let event = handler::event::Event::parse(&raw).expect("an event");
    assert_eq!(name, "trailwatch-health-handler-errors");
    assert!(handler::health::delivered(&event, "trailwatch"));
    assert!(!handler::health::delivered(&event, "other"));
}

#[test]
fn the_handler_recognises_the_call_the_rendered_canary_schedule_makes() {
    let template = every_monitor_template();
    let resources = &template["Resources"];
    let role_path = substituted(&resources["CanaryRole"]["Properties"]["Path"]);
    let input: Value = serde_json::from_str(&substituted(
        &resources["CanarySchedule"]["Properties"]["Target"]["Input"],
    ))
    .expect("the schedule's input is JSON");
    let issuer = format!("arn:aws:iam::111122223333:role{role_path}trailwatch-CanaryRole-AbCd");
    let call = json!({
        "version": "0", "id": "2", "detail-type": handler::event::API_CALL,
        "source": "aws.monitoring", "account": "111122223333", "region": "us-east-1",
        "detail": {
            "userIdentity": {"type": "AssumedRole", "accountId": "111122223333",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": issuer}}},
            "eventSource": "monitoring.amazonaws.com", "eventName": "UntagResource",
            "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
            "requestParameters": {"resourceARN": input["ResourceARN"], "tagKeys": input["TagKeys"]},
        },
    });
    let raw = serde_json::value::to_raw_value(&call).expect("JSON");
    let event = handler::event::Event::parse(&raw).expect("an event");

    let arrival = handler::canary::recognise(&handler::own::Own::new("trailwatch"), &event);

    assert_eq!(
        arrival,
        Some(handler::canary::Arrival {
            account: "111122223333".into(),
            region: "us-east-1".into()
        })
    );
    let alarm = &resources["CanaryAlarm"]["Properties"];
    let counted = handler::metrics::canary_record(arrival.as_ref().expect("arrived"));
    assert_eq!(
        alarm["Namespace"],
        counted["_aws"]["CloudWatchMetrics"][0]["Namespace"]
    );
    assert_eq!(
        alarm["MetricName"],
        counted["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
    );
}

#[test]
fn a_forwarder_watches_its_dead_letters_and_forwards_the_alarms_changes_home() {
    let template = forwarder();
    let resources = &template["Resources"];
    let prefix = json!({"Fn::Join": ["", [
        {"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "HomeBusArn"}]}]},
        "-health-",
    ]]});
    let alarm = &resources["ForwarderDeadLettersAlarm"];
    assert_eq!(alarm["Condition"], "ForwardsElsewhere");
    assert_eq!(
        alarm["Properties"]["AlarmName"],
        json!({"Fn::Join": ["", [prefix, "dead-letters"]]})
    );
    assert_eq!(
        alarm["Properties"]["Dimensions"],
        json!([{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ForwarderDeadLetterQueue", "QueueName"]}}])
    );
    let rule = &resources["ForwardHealthRule"];
    assert_eq!(rule["Condition"], "ForwardsElsewhere");
    assert_eq!(
        rule["Properties"]["EventPattern"]["detail"]["alarmName"],
        json!([{"prefix": prefix}])
    );
    assert_eq!(
        rule["Properties"]["Targets"][0]["Arn"],
        json!({"Ref": "HomeBusArn"})
    );
}

#[test]
fn the_home_bus_sends_the_forwarders_alarm_changes_to_the_handler() {
    let template = home();
    let rule = &template["Resources"]["ForwardedHealthRule"]["Properties"];
    assert_eq!(
        rule["EventPattern"]["detail"]["alarmName"],
        json!([{"prefix": {"Fn::Sub": "${AWS::StackName}-forwarded-health-"}}])
    );
    assert_eq!(
        rule["EventBusName"],
        json!({"Fn::GetAtt": ["ForwardingBus", "Name"]})
    );
    assert_eq!(
        rule["Targets"][0]["Arn"],
        json!({"Fn::GetAtt": ["Handler", "Arn"]})
    );
}

#[test]
fn the_rules_select_the_canary_at_home_and_from_forwarders() {
    let template = home();
    let suffixes = json!([
        {"suffix": {"Fn::Sub": ":alarm:${AWS::StackName}-health-dead-letters"}},
        {"suffix": {"Fn::Sub": ":alarm:${AWS::StackName}-forwarded-health-dead-letters"}}
    ]);
    for bus in ["SecurityEventRule", "ForwardedEventRule"] {
        let selects = rules(&template).iter().any(|(id, rule)| {
            id.starts_with(bus)
                && rule["Properties"]["EventPattern"]
                    .to_string()
                    .contains(&suffixes.to_string())
        });
        assert!(selects, "{bus}");
    }
}

#[test]
fn a_forwarder_runs_its_own_canary_on_its_dead_letter_alarm() {
    let template = forwarder();
    let prefix = json!({"Fn::Join": ["", [{"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "HomeBusArn"}]}]}, "-health-"]]});
    let properties = &template["Resources"]["CanarySchedule"]["Properties"];
    assert_eq!(
        properties["Target"]["Input"],
        json!({"Fn::Join": ["", [
            "{\"ResourceARN\":\"",
            {"Fn::Join": ["", [
                {"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"},
                prefix,
                "dead-letters"
            ]]},
            "\",\"TagKeys\":[\"trailwatch-canary\"]}"
        ]]})
    );
    assert_eq!(
        template["Resources"]["CanarySchedule"]["Condition"],
        "ForwardsElsewhere"
    );
    let canary =
        json!({"suffix": {"Fn::Join": ["", [":alarm:", prefix, "dead-letters"]]}}).to_string();
    let selects = rules(&template).iter().any(|(_, rule)| {
        rule["Properties"]["EventPattern"]
            .to_string()
            .contains(&canary)
    });
    assert!(selects);
}

/// The template with Security Hub in `regions` and a bus named `bus`.
fn with_destinations(regions: template::HubRegions, bus: &str) -> Value {
    render(&template::SecurityMonitorProps {
        destinations: template::DestinationsProps {
            security_hub: Some(regions),
            bus: Some(bus.to_owned()),
            ocsf: false,
        },
        ..app::props(&handler::Detection::from(Selection::every()))
    })
}

/// The statements of the handler's `SendFindings` policy.
fn send_findings(template: &Value) -> Value {
    resources_of_type(template, "AWS::IAM::Policy")
        .into_iter()
        .find(|(_, policy)| policy["Properties"]["PolicyName"] == "SendFindings")
        .map(|(_, policy)| policy["Properties"]["PolicyDocument"]["Statement"].clone())
        .expect("a SendFindings policy")
}

#[test]
fn security_hub_is_granted_batch_import_findings_on_the_default_product_of_each_forwarded_region_only()
 {
    let template = with_destinations(
        template::HubRegions::Listed(vec!["us-east-1".to_owned()]),
        "default",
    );
    let product = |region: &str| json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:securityhub:{region}:${{AWS::AccountId}}:product/${{AWS::AccountId}}/default")});
    let statements = send_findings(&template);
    assert_eq!(
        statements[0]["Action"],
        json!(["securityhub:BatchImportFindings"])
    );
    assert_eq!(
        statements[0]["Resource"],
        json!([product("${AWS::Region}"), product("us-east-1")])
    );
    let variables = &template["Resources"][contract::parameters::HANDLER_RESOURCE]["Properties"]["Environment"]
        ["Variables"];
    assert_eq!(variables["SECURITY_HUB_PRODUCT"], product("${AWS::Region}"));
    assert_eq!(variables["SECURITY_HUB_REGIONS"], "us-east-1");
}

#[test]
fn forwarders_in_every_region_widen_the_product_to_any_region_of_the_account() {
    let template = with_destinations(template::HubRegions::Any, "default");
    let statements = send_findings(&template);
    assert_eq!(
        statements[0]["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default"}])
    );
}

#[test]
fn the_bus_is_granted_put_events_for_trailwatch_alerts_only() {
    let template = with_destinations(template::HubRegions::Any, "security-alerts");
    let statements = send_findings(&template);
    assert_eq!(
        statements[1],
        json!({
            "Effect": "Allow",
            "Action": ["events:PutEvents"],
            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/security-alerts"}],
            "Condition": {"StringEquals": {
                "events:source": "trailwatch",
                "events:detail-type": "trailwatch Alert",
            }},
        })
    );
}

#[test]
fn a_bus_in_another_account_is_granted_by_its_arn() {
    let arn = "arn:aws:events:eu-west-1:444455556666:event-bus/central-security";
    let template = with_destinations(template::HubRegions::Any, arn);
    assert_eq!(send_findings(&template)[1]["Resource"], json!([arn]));
}

#[test]
fn a_bus_name_eventbridge_would_refuse_is_named_before_synth() {
    let props = template::SecurityMonitorProps {
        destinations: template::DestinationsProps {
            bus: Some("alerts${AWS::AccountId}".to_owned()),
            ..template::DestinationsProps::default()
        },
        ..app::props(&handler::Detection::from(Selection::every()))
    };
    let error = app::stack(&props).expect_err("refused");
    assert!(error.to_string().contains("eventbridge.bus"), "{error}");
}
