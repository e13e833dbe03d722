//! `SecurityMonitor`, the L3 construct: the whole CloudTrail -> EventBridge ->
//! Lambda -> SNS pipeline with safe defaults.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::constructs::{Function, FunctionProps, Key, Queue, Rule, Topic};
use crate::intrinsic::Value;
use crate::stack::{Condition, Export, Output, Parameter, Stack, SynthError};

/// Retention periods CloudWatch Logs accepts, in days.
const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// Detail type of CloudTrail management API calls on EventBridge.
const API_CALL: &str = "AWS API Call via CloudTrail";

/// The calls one monitor needs delivered (from the handler's catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorPattern {
    /// EventBridge `source`, such as `aws.iam`.
    pub source: String,
    /// CloudTrail `eventSource`, such as `iam.amazonaws.com`.
    pub event_source: String,
    /// CloudTrail `eventName`s.
    pub event_names: Vec<String>,
}

/// What to monitor and how; `Default` gives the safe, documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityMonitorProps {
    /// Calls to deliver to the handler; at least one.
    pub monitors: Vec<MonitorPattern>,
    /// Addresses subscribed to the alert topic at deploy (each must confirm).
    pub alert_emails: Vec<String>,
    /// Handler log retention; one of the values CloudWatch Logs accepts.
    pub log_retention_days: u32,
    /// Concurrency reserved for the handler: caps cost during event storms.
    pub reserved_concurrency: u32,
    /// Handler memory in MB.
    pub memory_mb: u32,
    /// Handler timeout in seconds.
    pub timeout_seconds: u32,
}

impl Default for SecurityMonitorProps {
    fn default() -> Self {
        Self {
            monitors: Vec::new(),
            alert_emails: Vec::new(),
            log_retention_days: 90,
            reserved_concurrency: 5,
            memory_mb: 128,
            timeout_seconds: 10,
        }
    }
}

/// The deployed pieces, for callers that add more.
#[derive(Debug, Clone)]
pub struct SecurityMonitor {
    pub topic: Topic,
    pub function: Function,
    pub dead_letters: Queue,
}

impl SecurityMonitor {
    /// Adds the monitor to `stack` after checking `props`.
    pub fn new(stack: &mut Stack, props: &SecurityMonitorProps) -> Result<Self, SynthError> {
        validate(props)?;
        let bucket = stack.add_parameter(
            "ArtifactBucket",
            parameter(
                "S3 bucket holding the handler zip",
                "Handler code bucket",
                None,
            ),
        );
        let object = stack.add_parameter(
            "ArtifactKey",
            parameter("S3 key of the handler zip", "Handler code key", None),
        );
        let email = stack.add_parameter(
            "AlertEmail",
            Parameter {
                allowed_pattern: Some(r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$".into()),
                constraint_description: Some("an e-mail address, or empty for none".into()),
                ..parameter(
                    "One more e-mail address to receive alerts (optional)",
                    "Alert e-mail address",
                    Some(""),
                )
            },
        );
        let has_email =
            stack.add_condition("HasAlertEmail", Condition::NotEmpty(email.reference()));

        let log_prefix = "/trailwatch/";
        let key = Key::new(stack, "AlertKey", log_prefix);
        let topic = Topic::new(stack, "AlertTopic", "trailwatch security alerts", &key);
        let dead_letters = Queue::new(stack, "DeadLetterQueue", &key);
        let function = Function::new(
            stack,
            "Handler",
            &key,
            FunctionProps {
                description: "trailwatch: judges CloudTrail events and publishes alerts".into(),
                code_bucket: bucket.reference(),
                code_key: object.reference(),
                memory_mb: props.memory_mb,
                timeout_seconds: props.timeout_seconds,
                reserved_concurrency: props.reserved_concurrency,
                log_retention_days: props.log_retention_days,
                log_group_name: Value::sub(format!("{log_prefix}${{AWS::StackName}}/handler")),
                environment: BTreeMap::from([("TOPIC_ARN".to_owned(), topic.arn())]),
            },
        );
        skip_function_checks(stack, &function);
        topic.grant_publish(stack, &function);
        function.dead_letter(stack, &dead_letters, &key, 2);
        let mut rule = Rule::new(
            "SecurityEventRule",
            "trailwatch: monitored CloudTrail API calls",
            pattern(&props.monitors),
        );
        rule.add_target(&function, &dead_letters);
        let rule = rule.add_to(stack);

        let subscription =
            topic.subscribe_email(stack, "AlertEmailSubscription", email.reference());
        stack.set_condition(&subscription, &has_email);
        for (index, address) in props.alert_emails.iter().enumerate() {
            topic.subscribe_email(
                stack,
                &format!("AlertEmail{}Subscription", index + 1),
                address.as_str().into(),
            );
        }

        output(
            stack,
            "TopicArn",
            "ARN of the alert topic: subscribe here",
            topic.arn(),
        );
        output(
            stack,
            "FunctionArn",
            "ARN of the handler function",
            function.arn(),
        );
        output(
            stack,
            "RuleArn",
            "ARN of the EventBridge rule",
            rule.get_att("Arn"),
        );
        output(
            stack,
            "DeadLetterQueueUrl",
            "URL of the queue keeping events that could not be alerted",
            dead_letters.url(),
        );
        Ok(Self {
            topic,
            function,
            dead_letters,
        })
    }
}

fn unique(mut values: Vec<&str>) -> Vec<&str> {
    values.sort_unstable();
    values.dedup();
    values
}

/// The EventBridge pattern delivering exactly the monitored calls.
pub fn pattern(monitors: &[MonitorPattern]) -> Json {
    let sources = unique(monitors.iter().map(|m| m.source.as_str()).collect());
    let event_sources = unique(monitors.iter().map(|m| m.event_source.as_str()).collect());
    let names = unique(
        monitors
            .iter()
            .flat_map(|m| m.event_names.iter().map(String::as_str))
            .collect(),
    );
    json!({
        "source": sources,
        "detail-type": [API_CALL],
        "detail": {"eventSource": event_sources, "eventName": names},
    })
}

/// Whether an EventBridge event matches the pattern [`pattern`] generates. The
/// pattern holds only exact-value lists, so this is membership in each list, not
/// a general EventBridge matcher (the end-to-end test checks it against one).
pub fn matches(monitors: &[MonitorPattern], event: &Json) -> bool {
    let field = |value: &Json| value.as_str().unwrap_or_default().to_owned();
    let (source, detail_type) = (field(&event["source"]), field(&event["detail-type"]));
    let (event_source, event_name) = (
        field(&event["detail"]["eventSource"]),
        field(&event["detail"]["eventName"]),
    );
    detail_type == API_CALL
        && monitors.iter().any(|m| m.source == source)
        && monitors.iter().any(|m| m.event_source == event_source)
        && monitors.iter().any(|m| m.event_names.contains(&event_name))
}

fn validate(props: &SecurityMonitorProps) -> Result<(), SynthError> {
    let mut problems = Vec::new();
    if props.monitors.is_empty() {
        problems.push("monitors: enable at least one monitor".to_owned());
    }
    if !RETENTION_DAYS.contains(&props.log_retention_days) {
        problems.push(format!(
            "log_retention_days: {} is not a retention CloudWatch Logs accepts ({RETENTION_DAYS:?})",
            props.log_retention_days
        ));
    }
    if !(128..=10_240).contains(&props.memory_mb) {
        problems.push(format!(
            "memory_mb: {} is outside 128-10240",
            props.memory_mb
        ));
    }
    if !(1..=900).contains(&props.timeout_seconds) {
        problems.push(format!(
            "timeout_seconds: {} is outside 1-900",
            props.timeout_seconds
        ));
    }
    if props.reserved_concurrency == 0 {
        problems.push("reserved_concurrency: 0 would disable the handler".to_owned());
    }
    for address in &props.alert_emails {
        let valid = address
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
            && !address.contains(char::is_whitespace);
        if !valid {
            problems.push(format!(
                "alert_emails: {address:?} is not an e-mail address"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SynthError(problems))
    }
}

fn parameter(description: &str, label: &str, default: Option<&str>) -> Parameter {
    Parameter {
        kind: "String",
        description: description.into(),
        default: default.map(str::to_owned),
        allowed_pattern: None,
        constraint_description: None,
        label: label.into(),
        group: "trailwatch".into(),
    }
}

fn output(stack: &mut Stack, id: &str, description: &str, value: Value) {
    stack.add_output(
        id,
        Output {
            description: description.into(),
            value,
            export: Some(Export {
                name: Value::sub(format!("${{AWS::StackName}}-{id}")),
            }),
        },
    );
}

/// checkov checks that do not fit this function, each with the reason.
fn skip_function_checks(stack: &mut Stack, function: &Function) {
    stack.skip_checkov(&function.id, "CKV_AWS_117", "runs outside a VPC: it only calls the SNS API, and a VPC would need NAT or endpoints for no gain");
    stack.skip_checkov(&function.id, "CKV_AWS_116", "failed invocations go to the on-failure destination (EventInvokeConfig), the successor of DeadLetterConfig, on the same queue");
    stack.skip_checkov(
        &function.id,
        "CKV_AWS_173",
        "its only environment variable is the topic ARN, which is not secret",
    );
}
