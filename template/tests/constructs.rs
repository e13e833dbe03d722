//! The construct library on its own: small fixture props (a few patterns,
//! no handler) through `SecurityMonitor`, the forwarder and their constructs.
//! Least privilege, encryption, TLS-only policies, rules with their
//! permissions and dead letters, health alarms, chat, digests, the canary.
//! What only trailwatch's own monitors show is tested in `xtask/tests/template.rs`.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use template::forwarder::ForwarderProps;
use template::{SecurityMonitor, SecurityMonitorProps, Stack};

/// Small props standing in for what an application derives from its monitors.
mod fixture {
    use super::*;

    /// Two write patterns (a call of a global and of a regional service).
    pub fn patterns() -> Vec<Value> {
        vec![
            json!({"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"],
                   "detail": {"eventSource": ["iam.amazonaws.com"], "eventName": ["CreateUser"]}}),
            json!({"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"],
                   "detail": {"eventSource": ["ec2.amazonaws.com"], "eventName": ["AuthorizeSecurityGroupIngress"]}}),
        ]
    }

    /// One read-only pattern.
    pub fn read_only_patterns() -> Vec<Value> {
        vec![
            json!({"source": ["aws.secretsmanager"], "detail-type": ["AWS API Call via CloudTrail"],
                   "detail": {"eventSource": ["secretsmanager.amazonaws.com"], "eventName": ["GetSecretValue"]}}),
        ]
    }

    /// A pattern of alarm state changes, as the application derives it.
    fn health_pattern() -> Value {
        json!({"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]})
    }

    /// A pattern of the canary's call.
    fn canary_pattern() -> Value {
        json!({"source": ["aws.monitoring"], "detail-type": ["AWS API Call via CloudTrail"],
               "detail": {"eventName": ["UntagResource"]}})
    }

    /// Write patterns only, as the default monitors give.
    pub fn props() -> SecurityMonitorProps {
        SecurityMonitorProps {
            patterns: patterns(),
            health_pattern: health_pattern(),
            forwarded_health_pattern: health_pattern(),
            canary_pattern: canary_pattern(),
            ..SecurityMonitorProps::default()
        }
    }

    /// Write and read-only patterns.
    pub fn every_props() -> SecurityMonitorProps {
        SecurityMonitorProps {
            read_only_patterns: read_only_patterns(),
            ..props()
        }
    }

    /// A forwarder's props: regional and global patterns of both kinds.
    pub fn forwarder_props() -> ForwarderProps {
        let [global, regional] = [patterns().remove(0), patterns().remove(1)];
        ForwarderProps {
            patterns: vec![regional],
            read_only_patterns: read_only_patterns(),
            global_patterns: vec![global],
            global_read_only_patterns: vec![
                json!({"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventSource": ["iam.amazonaws.com"], "eventName": ["GetUser"]}}),
            ],
            health_pattern: health_pattern(),
            canary_every_hours: Some(6),
            canary_pattern: canary_pattern(),
        }
    }

    /// The stack of `props`.
    pub fn stack(props: &SecurityMonitorProps) -> Result<Stack, template::SynthError> {
        let mut stack = Stack::new("trailwatch test stack");
        SecurityMonitor::new(&mut stack, props)?;
        Ok(stack)
    }
}

/// The template of `props`, or the construct's refusal.
fn try_render(props: &SecurityMonitorProps) -> Result<Value, String> {
    fixture::stack(props)
        .and_then(|stack| stack.to_json())
        .map_err(|e| e.to_string())
}

/// The template of valid `props`.
fn render(props: &SecurityMonitorProps) -> Value {
    try_render(props).expect("valid props")
}

/// Chat through the Amazon Q Developer topic alone, from `min_severity`.
fn chat_topic(min_severity: &str) -> Option<template::ChatProps> {
    Some(template::ChatProps {
        min_severity: min_severity.to_owned(),
        topic: true,
        webhook: None,
    })
}

fn template() -> Value {
    render(&fixture::props())
}

fn every_monitor_template() -> Value {
    render(&fixture::every_props())
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// The rules of a template, by logical id.
fn rules(template: &Value) -> Vec<(&String, &Value)> {
    resources_of_type(template, "AWS::Events::Rule")
}

fn alarms(template: &Value) -> Vec<(&String, &Value)> {
    resources_of_type(template, "AWS::CloudWatch::Alarm")
}

/// Every policy statement in the template, with the type of the resource holding it.
fn statements(template: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for resource in template["Resources"]
        .as_object()
        .expect("resources")
        .values()
    {
        let properties = &resource["Properties"];
        for key in ["PolicyDocument", "KeyPolicy", "AssumeRolePolicyDocument"] {
            if let Some(list) = properties[key]["Statement"].as_array() {
                found.extend(list.iter().map(|s| {
                    (
                        resource["Type"].as_str().unwrap_or_default().to_owned(),
                        s.clone(),
                    )
                }));
            }
        }
    }
    found
}

fn digest_template(window: u32) -> Result<Value, String> {
    let props = SecurityMonitorProps {
        digest_window_seconds: Some(window),
        ..fixture::props()
    };
    try_render(&props)
}

fn forwarder() -> Value {
    let mut stack = Stack::new("trailwatch test forwarder");
    template::forwarder::add(&mut stack, &fixture::forwarder_props()).expect("synth");
    stack.to_json().expect("valid stack")
}

fn home() -> Value {
    render(&SecurityMonitorProps {
        forwarding: true,
        ..fixture::props()
    })
}

fn chat_template() -> Value {
    render(&SecurityMonitorProps {
        chat: chat_topic("MEDIUM"),
        ..fixture::props()
    })
}

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:trailwatch/teams-AbCdEf";

fn webhook_template(topic: bool, secret_arn: &str) -> Result<Value, String> {
    let props = SecurityMonitorProps {
        chat: Some(template::ChatProps {
            min_severity: "HIGH".to_owned(),
            topic,
            webhook: Some(template::WebhookProps {
                kind: "teams".to_owned(),
                secret_arn: secret_arn.to_owned(),
            }),
        }),
        ..fixture::props()
    };
    try_render(&props)
}

#[test]
fn no_statement_allows_every_action_and_only_the_account_root_administers_a_whole_service() {
    for (holder, statement) in statements(&template()) {
        let actions: Vec<&str> = match &statement["Action"] {
            Value::String(a) => vec![a.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            other => panic!("{holder}: unexpected Action {other}"),
        };
        assert!(
            !actions.is_empty() && !actions.contains(&"*"),
            "{holder}: {statement}"
        );
        // As AWS's default key policy: the account root holds the key, so IAM
        // can delegate every operation on it.
        let account_root = statement["Principal"]["AWS"]
            == json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"});
        if statement["Effect"] == "Allow" && !(holder == "AWS::KMS::Key" && account_root) {
            assert!(
                actions.iter().all(|a| !a.ends_with(":*")),
                "{holder} allows a whole service: {statement}"
            );
        }
    }
}

#[test]
fn wildcard_resources_appear_only_in_key_policies_where_aws_requires_them() {
    for (holder, statement) in statements(&template()) {
        let star = statement["Resource"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("*")));
        assert!(!star || holder == "AWS::KMS::Key", "{holder}: {statement}");
    }
}

#[test]
fn topic_queue_and_logs_are_encrypted_with_the_rotated_key() {
    let template = template();
    let key_arn = json!({"Fn::GetAtt": ["AlertKey", "Arn"]});
    assert_eq!(
        resources_of_type(&template, "AWS::SNS::Topic")[0].1["Properties"]["KmsMasterKeyId"],
        key_arn
    );
    assert_eq!(
        resources_of_type(&template, "AWS::SQS::Queue")[0].1["Properties"]["KmsMasterKeyId"],
        key_arn
    );
    assert_eq!(
        resources_of_type(&template, "AWS::Logs::LogGroup")[0].1["Properties"]["KmsKeyId"],
        key_arn
    );
    assert_eq!(
        template["Resources"]["AlertKey"]["Properties"]["EnableKeyRotation"],
        true
    );
}

#[test]
fn topic_and_queue_policies_deny_requests_without_tls() {
    let template = template();
    for kind in ["AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"] {
        let policy =
            &resources_of_type(&template, kind)[0].1["Properties"]["PolicyDocument"]["Statement"];
        let denies_plaintext = policy.as_array().expect("statements").iter().any(|s| {
            s["Effect"] == "Deny"
                && s["Principal"] == "*"
                && s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        });
        assert!(denies_plaintext, "{kind}: {policy}");
    }
}

#[test]
fn grant_publish_gives_the_role_exactly_publish_on_the_topic_and_use_of_its_key() {
    let template = template();
    assert_eq!(
        template["Resources"]["HandlerRolePublishPolicy"]["Properties"]["PolicyDocument"]["Statement"],
        json!([
            {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": [{"Ref": "AlertTopic"}]},
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [{"Fn::GetAtt": ["AlertKey", "Arn"]}]},
        ])
    );
}

#[test]
fn topic_policy_lets_only_the_handler_role_and_the_stacks_health_alarms_publish() {
    let template = template();
    let statements =
        &template["Resources"]["AlertTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    let role = json!({"Fn::GetAtt": ["HandlerRole", "Arn"]});
    let alarms = json!({"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-health-*"});
    let topic = json!([{"Ref": "AlertTopic"}]);
    assert_eq!(
        statements,
        &json!([
            {"Sid": "DenyPublishWithoutTls", "Effect": "Deny", "Principal": "*", "Action": ["sns:Publish"], "Resource": topic,
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyPublishByOthers", "Effect": "Deny", "Principal": "*", "Action": ["sns:Publish"], "Resource": topic,
             "Condition": {"ArnNotEquals": {"aws:PrincipalArn": role}, "ArnNotLike": {"aws:SourceArn": alarms}}},
            {"Sid": "AllowPublishByHandler", "Effect": "Allow", "Principal": {"AWS": role}, "Action": ["sns:Publish"], "Resource": topic},
            {"Sid": "AllowPublishByHealthAlarms", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": ["sns:Publish"], "Resource": topic,
             "Condition": {"ArnLike": {"aws:SourceArn": alarms}, "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}},
        ])
    );
}

#[test]
fn each_rule_lets_only_itself_invoke_the_function_by_its_arn_without_source_account() {
    let template = every_monitor_template();
    for (id, _) in rules(&template) {
        assert_eq!(
            template["Resources"][format!("{id}HandlerPermission")]["Properties"],
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": ["Handler", "Arn"]},
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": [id, "Arn"]},
            }),
            "{id}"
        );
    }
}

#[test]
fn one_queue_policy_accepts_dead_letters_from_every_rule() {
    let template = every_monitor_template();
    let policies = resources_of_type(&template, "AWS::SQS::QueuePolicy");
    assert_eq!(policies.len(), 1);
    let arns: Vec<Value> = rules(&template)
        .iter()
        .map(|(id, _)| json!({"Fn::GetAtt": [id, "Arn"]}))
        .collect();
    let statements = &policies[0].1["Properties"]["PolicyDocument"]["Statement"];
    assert!(
        statements.as_array().expect("list").iter().any(|s| {
            s["Principal"]["Service"] == "events.amazonaws.com"
                && s["Condition"]["ArnEquals"]["aws:SourceArn"] == Value::Array(arns.clone())
        }),
        "{statements}"
    );
}

#[test]
fn function_is_arm64_al2023_with_the_documented_limits() {
    let template = template();
    let function = &template["Resources"]["Handler"]["Properties"];
    assert_eq!(
        (
            &function["Architectures"],
            &function["Runtime"],
            &function["MemorySize"],
            &function["Timeout"],
            &function["ReservedConcurrentExecutions"]
        ),
        (
            &json!(["arm64"]),
            &json!("provided.al2023"),
            &json!(128),
            &json!(10),
            &json!({"Fn::If": ["ReservesConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]})
        )
    );
    assert_eq!(
        template["Parameters"]["ReservedConcurrency"]["Default"],
        "5"
    );
    assert_eq!(
        template["Conditions"]["ReservesConcurrency"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, "0"]}]})
    );
    assert_eq!(
        template["Resources"]["HandlerLogs"]["Properties"]["RetentionInDays"],
        90
    );
}

#[test]
fn bad_props_are_rejected_naming_each_problem() {
    let props = SecurityMonitorProps {
        patterns: Vec::new(),
        read_only_patterns: Vec::new(),
        log_retention_days: 42,
        alert_emails: vec!["not an address".into()],
        ..fixture::props()
    };
    let error = try_render(&props).expect_err("invalid props");
    assert!(
        error.contains("monitors: enable at least one monitor"),
        "{error}"
    );
    assert!(
        error.contains("log_retention_days: 42 is not a retention CloudWatch Logs accepts"),
        "{error}"
    );
    assert!(
        error.contains("alert_emails: \"not an address\" is not one e-mail address"),
        "{error}"
    );
}

#[test]
fn digests_add_a_queue_the_function_consumes_with_the_window_and_partial_failures() {
    let template = digest_template(120).expect("synth");
    let queue = &template["Resources"]["DigestQueue"]["Properties"];
    // Six function timeouts of 10 s, plus the window.
    assert_eq!(queue["VisibilityTimeout"], 180);
    assert_eq!(
        queue["RedrivePolicy"],
        json!({"deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}, "maxReceiveCount": 5})
    );
    let mapping = &template["Resources"]["DigestQueueMapping"];
    assert_eq!(
        mapping["Properties"],
        json!({
            "EventSourceArn": {"Fn::GetAtt": ["DigestQueue", "Arn"]},
            "FunctionName": {"Ref": "Handler"},
            "BatchSize": 10000,
            "MaximumBatchingWindowInSeconds": 120,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        })
    );
    assert_eq!(mapping["DependsOn"], json!(["HandlerRoleBufferPolicy"]));
    assert_eq!(
        template["Resources"]["Handler"]["Properties"]["Environment"]["Variables"]["DIGEST_QUEUE_URL"],
        json!({"Ref": "DigestQueue"})
    );
    assert_eq!(
        template["Outputs"]["DigestQueueUrl"]["Value"],
        json!({"Ref": "DigestQueue"})
    );
}

#[test]
fn the_handler_may_use_only_the_digest_queue_and_the_queue_refuses_plain_http() {
    let template = digest_template(60).expect("synth");
    let grant = &template["Resources"]["HandlerRoleBufferPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        [0];
    assert_eq!(
        grant["Resource"],
        json!([{"Fn::GetAtt": ["DigestQueue", "Arn"]}])
    );
    let policy =
        &template["Resources"]["DigestQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(policy["Effect"], "Deny");
    assert_eq!(
        policy["Condition"],
        json!({"Bool": {"aws:SecureTransport": "false"}})
    );
}

#[test]
fn no_digest_queue_without_digests_and_a_window_beyond_lambdas_is_refused() {
    assert!(template()["Resources"].get("DigestQueue").is_none());
    for window in [0, 301] {
        let error = digest_template(window).expect_err("refused");
        assert!(
            error.contains(&format!(
                "digest.window_seconds: {window} is not within 1-300"
            )),
            "{error}"
        );
    }
}

#[test]
fn every_forwarder_rule_sends_to_the_home_bus_as_the_role_with_retries_and_a_dead_letter_queue() {
    let template = forwarder();
    let rules = resources_of_type(&template, "AWS::Events::Rule");
    assert!(rules.len() >= 4, "{} rules", rules.len());
    for (id, rule) in rules {
        assert_eq!(
            rule["Properties"]["Targets"],
            json!([{
                "Id": "HomeBus",
                "Arn": {"Ref": "HomeBusArn"},
                "RoleArn": {"Fn::GetAtt": ["ForwarderRole", "Arn"]},
                "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
                "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["ForwarderDeadLetterQueue", "Arn"]}}
            }]),
            "{id}"
        );
    }
}

#[test]
fn the_forwarder_role_may_only_put_events_on_the_home_bus_and_only_eventbridge_of_this_account_assumes_it()
 {
    let template = forwarder();
    let resources = &template["Resources"];
    assert_eq!(
        resources["ForwarderRolePutEventsPolicy"]["Properties"]["PolicyDocument"]["Statement"],
        json!([{"Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [{"Ref": "HomeBusArn"}]}])
    );
    assert_eq!(
        resources["ForwarderRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["sts:AssumeRole"],
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        }])
    );
}

#[test]
fn the_home_bus_admits_only_the_forwarder_roles_of_this_account_and_of_the_organization_when_named()
{
    let template = home();
    let policies: BTreeMap<&str, &Value> =
        resources_of_type(&template, "AWS::Events::EventBusPolicy")
            .into_iter()
            .map(|(id, policy)| (id.as_str(), policy))
            .collect();
    let roles = |account: &str| {
        json!({"Fn::Sub": format!(
            "arn:${{AWS::Partition}}:iam::{account}:role/trailwatch-forwarder/${{AWS::StackName}}-forwarded/*"
        )})
    };
    let account = policies["ForwardingBusAccountPolicy"];
    assert_eq!(account.get("Condition"), None);
    assert_eq!(
        account["Properties"]["Statement"],
        json!({
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
            "Action": ["events:PutEvents"],
            "Resource": [{"Fn::GetAtt": ["ForwardingBus", "Arn"]}],
            "Condition": {"ArnLike": {"aws:PrincipalArn": roles("${AWS::AccountId}")}}
        })
    );
    let organization = policies["ForwardingBusPolicy"];
    assert_eq!(organization["Condition"], "AdmitsOrganization");
    assert_eq!(
        template["Conditions"]["AdmitsOrganization"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "OrganizationId"}, ""]}]})
    );
    assert_eq!(
        organization["Properties"]["Statement"],
        json!({
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["events:PutEvents"],
            "Resource": [{"Fn::GetAtt": ["ForwardingBus", "Arn"]}],
            "Condition": {
                "StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}},
                "ArnLike": {"aws:PrincipalArn": roles("*")}
            }
        })
    );
    assert_eq!(policies.len(), 2);
}

#[test]
fn the_forwarder_role_lives_under_the_path_the_home_bus_admits() {
    let template = forwarder();
    assert_eq!(
        template["Resources"]["ForwarderRole"]["Properties"]["Path"],
        json!({"Fn::Join": ["", [
            "/trailwatch-forwarder/",
            {"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "HomeBusArn"}]}]},
            "/"
        ]]})
    );
}

#[test]
fn health_alarms_watch_handler_errors_throttles_and_dead_letters_with_the_default_thresholds() {
    let template = template();
    let watched: Vec<(String, &Value, &Value, &Value, &Value)> = alarms(&template)
        .into_iter()
        .filter(|(id, _)| !id.ends_with("FailuresAlarm") && !id.starts_with("Canary"))
        .map(|(id, a)| {
            let p = &a["Properties"];
            (
                id.clone(),
                &p["MetricName"],
                &p["Threshold"],
                &p["Period"],
                &p["Dimensions"][0]["Value"],
            )
        })
        .collect();
    assert_eq!(
        watched,
        vec![
            (
                "HandlerErrorsAlarm".to_owned(),
                &json!("Errors"),
                &json!(1),
                &json!(300),
                &json!({"Ref": "Handler"})
            ),
            (
                "HandlerThrottlesAlarm".to_owned(),
                &json!("Throttles"),
                &json!(1),
                &json!(300),
                &json!({"Ref": "Handler"})
            ),
            (
                "DeadLettersAlarm".to_owned(),
                &json!("ApproximateNumberOfMessagesVisible"),
                &json!(1),
                &json!(300),
                &json!({"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]})
            ),
        ]
    );
}

#[test]
fn every_rule_invoking_the_handler_has_a_failed_invocations_alarm_on_its_own_bus() {
    let template = home();
    for (id, rule) in rules(&template) {
        let alarm = &template["Resources"][format!("{id}FailuresAlarm")]["Properties"];
        assert_eq!(alarm["MetricName"], "FailedInvocations", "{id}");
        let name_at = |index: u32| json!({"Fn::Select": [index, {"Fn::Split": ["/", {"Fn::GetAtt": [id, "Arn"]}]}]});
        let expected = if rule["Properties"].get("EventBusName").is_some() {
            json!([{"Name": "RuleName", "Value": name_at(2)}, {"Name": "EventBusName", "Value": name_at(1)}])
        } else {
            json!([{"Name": "RuleName", "Value": name_at(1)}])
        };
        assert_eq!(alarm["Dimensions"], expected, "{id}");
    }
}

#[test]
fn only_the_alarms_meaning_alerts_cannot_arrive_publish_directly_to_the_topic() {
    let template = template();
    let direct: Vec<&String> = alarms(&template)
        .into_iter()
        .filter(|(_, a)| a["Properties"].get("AlarmActions").is_some())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        direct,
        ["CanaryAlarm", "HandlerErrorsAlarm", "DeadLettersAlarm"]
    );
    for id in direct {
        assert_eq!(
            template["Resources"][id]["Properties"]["AlarmActions"],
            json!([{"Ref": "AlertTopic"}])
        );
    }
}

#[test]
fn cloudwatch_may_use_the_key_as_aws_documents_for_alarms_notifying_an_encrypted_topic() {
    let template = template();
    let statements = template["Resources"]["AlertKey"]["Properties"]["KeyPolicy"]["Statement"]
        .as_array()
        .expect("list");
    let cloudwatch: Vec<&Value> = statements
        .iter()
        .filter(|s| s["Principal"]["Service"] == "cloudwatch.amazonaws.com")
        .collect();
    assert_eq!(
        cloudwatch,
        [&json!({
            "Sid": "CloudWatchAlarmsPublishToTopics",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": ["*"],
        })]
    );
}

#[test]
fn chat_adds_an_encrypted_topic_the_handler_alone_publishes_to_with_its_arn_as_output() {
    let template = chat_template();
    let resources = &template["Resources"];
    assert_eq!(
        resources["ChatTopic"]["Properties"]["KmsMasterKeyId"],
        json!({"Fn::GetAtt": ["AlertKey", "Arn"]})
    );
    assert_eq!(
        resources["HandlerRolePublishChatPolicy"]["Properties"]["PolicyDocument"]["Statement"][0],
        json!({"Effect": "Allow", "Action": ["sns:Publish"], "Resource": [{"Ref": "ChatTopic"}]})
    );
    let denies = &resources["ChatTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][1];
    assert_eq!(denies["Sid"], "DenyPublishByOthers");
    assert_eq!(
        template["Outputs"]["ChatTopicArn"]["Value"],
        json!({"Ref": "ChatTopic"})
    );
    let environment = &resources["Handler"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        (
            &environment["CHAT_TOPIC_ARN"],
            &environment["CHAT_MIN_SEVERITY"]
        ),
        (
            &json!({"Ref": "ChatTopic"}),
            &json!({"Ref": "ChatMinSeverity"})
        )
    );
    assert_eq!(
        template["Parameters"]["ChatMinSeverity"]["Default"],
        "MEDIUM"
    );
}

#[test]
fn with_chat_the_fallback_alarms_also_notify_the_chat_topic() {
    let template = chat_template();
    assert_eq!(
        template["Resources"]["HandlerErrorsAlarm"]["Properties"]["AlarmActions"],
        json!([{"Ref": "AlertTopic"}, {"Ref": "ChatTopic"}])
    );
}

#[test]
fn no_chat_topic_unless_configured() {
    let template = template();
    assert!(template["Resources"].get("ChatTopic").is_none());
    assert!(template["Parameters"].get("ChatMinSeverity").is_none());
}

#[test]
fn bad_health_thresholds_and_chat_severity_are_rejected_naming_each_key() {
    let props = SecurityMonitorProps {
        health: template::HealthProps {
            period_seconds: 90,
            evaluation_periods: 0,
            dead_letters: 0,
            ..template::HealthProps::default()
        },
        chat: chat_topic("URGENT"),
        ..fixture::props()
    };
    let error = try_render(&props).expect_err("invalid props");
    for expected in [
        "health.period_seconds: 90 is not a multiple of 60 from 60 to 86400",
        "health.evaluation_periods: 0 periods of 90 s must be at least 1 and span at most a day",
        "health.dead_letters: 0 would keep the alarm firing; use 1 or more",
        "chat.min_severity: \"URGENT\" is not one of INFO, LOW, MEDIUM, HIGH, CRITICAL",
    ] {
        assert!(error.contains(expected), "{expected}\n{error}");
    }
}

#[test]
fn the_console_form_groups_alerts_first_then_the_handler_then_other_regions() {
    let template = render(&SecurityMonitorProps {
        chat: chat_topic("HIGH"),
        forwarding: true,
        ..fixture::props()
    });
    assert_eq!(
        template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"],
        json!([
            {"Label": {"default": "Alerts"}, "Parameters": ["AlertEmail", "ChatMinSeverity"]},
            {"Label": {"default": "Handler"}, "Parameters": ["ArtifactBucket", "ArtifactKey", "ReservedConcurrency"]},
            {"Label": {"default": "Other regions and accounts"}, "Parameters": ["OrganizationId", "ForwarderRegions"]},
        ])
    );
}

#[test]
fn a_webhook_lets_the_handler_read_exactly_its_secret_and_names_it_by_arn_only() {
    let template = webhook_template(false, SECRET).expect("valid");
    let resources = &template["Resources"];
    assert_eq!(
        resources["HandlerRoleReadWebhookSecretPolicy"]["Properties"]["PolicyDocument"]["Statement"],
        json!([{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [SECRET]}])
    );
    let environment = &resources["Handler"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        (
            &environment["WEBHOOK_KIND"],
            &environment["WEBHOOK_SECRET_ARN"],
            &environment["CHAT_MIN_SEVERITY"]
        ),
        (
            &json!("teams"),
            &json!(SECRET),
            &json!({"Ref": "ChatMinSeverity"})
        )
    );
    assert!(
        resources.get("ChatTopic").is_none(),
        "amazon_q = false: no topic"
    );
}

#[test]
fn a_webhook_secret_must_be_named_by_its_full_arn() {
    let error = webhook_template(true, "trailwatch/teams").expect_err("refused");
    assert!(
        error.contains("chat.webhook_secret_arn: \"trailwatch/teams\" is not a secret's full ARN"),
        "{error}"
    );
    let error = webhook_template(
        true,
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:trailwatch/teams",
    )
    .expect_err("no six-character suffix: a partial ARN");
    assert!(error.contains("is not a secret's full ARN"), "{error}");
}

#[test]
fn read_only_rules_on_the_forwarding_bus_are_in_the_all_management_events_state_too() {
    let template = render(&SecurityMonitorProps {
        forwarding: true,
        ..fixture::every_props()
    });
    let forwarded: Vec<(&String, &Value)> = rules(&template)
        .into_iter()
        .filter(|(id, _)| id.starts_with("ForwardedReadOnlyEventRule"))
        .collect();
    assert!(!forwarded.is_empty());
    for (id, rule) in forwarded {
        assert_eq!(
            rule["Properties"]["State"], "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
            "{id}"
        );
    }
}

#[test]
fn the_canary_untags_the_dead_letter_alarm_every_six_hours_as_a_role_allowed_that_alone() {
    let template = template();
    let alarm = json!({"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-health-dead-letters"});
    let schedule = &template["Resources"]["CanarySchedule"];
    assert_eq!(schedule["Type"], "AWS::Scheduler::Schedule");
    let properties = &schedule["Properties"];
    assert_eq!(
        (
            &properties["ScheduleExpression"],
            &properties["State"],
            &properties["FlexibleTimeWindow"],
            &properties["Target"]["Arn"],
            &properties["Target"]["RoleArn"],
        ),
        (
            &json!("rate(6 hours)"),
            &json!("ENABLED"),
            &json!({"Mode": "OFF"}),
            &json!({"Fn::Sub": "arn:${AWS::Partition}:scheduler:::aws-sdk:cloudwatch:untagResource"}),
            &json!({"Fn::GetAtt": ["CanaryRole", "Arn"]}),
        )
    );
    assert_eq!(
        properties["Target"]["Input"],
        json!({"Fn::Sub": "{\"ResourceARN\":\"arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-health-dead-letters\",\"TagKeys\":[\"trailwatch-canary\"]}"})
    );
    let role = &template["Resources"]["CanaryRole"]["Properties"];
    assert_eq!(
        role["Path"],
        json!({"Fn::Sub": "/trailwatch-canary/${AWS::StackName}-forwarded/"})
    );
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": ["sts:AssumeRole"],
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        }])
    );
    assert_eq!(
        template["Resources"]["CanaryRoleCanaryPolicy"]["Properties"]["PolicyDocument"]["Statement"],
        json!([{"Effect": "Allow", "Action": ["cloudwatch:UntagResource"], "Resource": [alarm]}])
    );
}

#[test]
fn an_alarm_per_watched_region_fires_when_two_periods_pass_without_a_canary() {
    let template = render(&SecurityMonitorProps {
        canary: Some(template::CanaryProps {
            every_hours: 4,
            regions: vec!["eu-west-1".into()],
        }),
        ..fixture::props()
    });
    let region = |id: &str| &template["Resources"][id]["Properties"]["Dimensions"][1]["Value"];
    assert_eq!(region("CanaryAlarm"), &json!({"Ref": "AWS::Region"}));
    assert_eq!(region("CanaryAlarmEuWest1"), &json!("eu-west-1"));
    assert_eq!(
        template["Resources"]["CanaryAlarmEuWest1"]["Condition"],
        "NotInEuWest1"
    );
    assert_eq!(
        template["Conditions"]["NotInEuWest1"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}]})
    );
    let alarm = &template["Resources"]["CanaryAlarmEuWest1"]["Properties"];
    assert_eq!(
        (
            &alarm["AlarmName"],
            &alarm["Namespace"],
            &alarm["MetricName"],
            &alarm["Dimensions"][0],
            &alarm["Statistic"],
            &alarm["Period"],
            &alarm["EvaluationPeriods"],
            &alarm["Threshold"],
            &alarm["ComparisonOperator"],
            &alarm["TreatMissingData"],
            &alarm["AlarmActions"],
        ),
        (
            &json!({"Fn::Sub": "${AWS::StackName}-health-canary-eu-west-1"}),
            &json!("trailwatch"),
            &json!("CanaryReceived"),
            &json!({"Name": "Account", "Value": {"Ref": "AWS::AccountId"}}),
            &json!("Sum"),
            &json!(4 * 3600),
            &json!(2),
            &json!(1),
            &json!("LessThanThreshold"),
            &json!("breaching"),
            &json!([{"Ref": "AlertTopic"}]),
        )
    );
}

#[test]
fn no_canary_when_it_is_turned_off() {
    let template = render(&SecurityMonitorProps {
        canary: None,
        ..fixture::props()
    });
    let canary: Vec<&String> = template["Resources"]
        .as_object()
        .expect("resources")
        .keys()
        .filter(|id| id.starts_with("Canary"))
        .collect();
    assert!(canary.is_empty(), "{canary:?}");
    assert!(!template.to_string().contains("UntagResource"));
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    let first = fixture::stack(&fixture::props())
        .expect("synth")
        .to_yaml()
        .expect("yaml");
    let second = fixture::stack(&fixture::props())
        .expect("synth")
        .to_yaml()
        .expect("yaml");
    assert_eq!(first, second);
}
