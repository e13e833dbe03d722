//! The canary: every few hours EventBridge Scheduler makes one harmless call,
//! `cloudwatch:UntagResource` of a tag never set, on one of trailwatch's own
//! alarms, as a role that may make that call on that alarm alone. Its
//! CloudTrail event takes the monitor's whole path; the handler recognises it
//! and counts it (`trailwatch/CanaryReceived`). In the home stack, an alarm
//! per watched region fires when no canary arrived for two periods: a
//! disabled rule, a broken permission or key policy, a stopped trail or a
//! failing handler then becomes a health alert, through both health paths.

use serde_json::json;

use crate::constructs::Role;
use contract::names::{
    CANARY_RECEIVED_METRIC, CANARY_ROLE_PATH_PREFIX, CANARY_TAG_KEY, DEAD_LETTERS_ALARM,
    METRIC_NAMESPACE,
};

use crate::health::alarm_name_prefix;
use crate::intrinsic::{Pseudo, Value};
use crate::resources::cloudwatch::{Alarm, Dimension};
use crate::resources::iam::Statement;
use crate::resources::scheduler::{
    FlexibleTimeWindow, Schedule, ScheduleRetryPolicy, ScheduleTarget,
};
use crate::stack::{Condition, Stack};

/// The longest period CloudWatch allows for two evaluation periods (a day).
pub const MAX_EVERY_HOURS: u32 = 12;

/// How often the canary runs, and which other regions of the home account
/// the home stack expects canaries from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanaryProps {
    /// Hours between canaries (1-12): an alarm fires after two without one.
    pub every_hours: u32,
    /// Regions of the home account's forwarders, besides the home region.
    pub regions: Vec<String>,
}

impl CanaryProps {
    /// What is wrong with the props, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        if (1..=MAX_EVERY_HOURS).contains(&self.every_hours) {
            return Vec::new();
        }
        vec![format!(
            "canary.every_hours: {} is not within 1-{MAX_EVERY_HOURS} (CloudWatch evaluates at most a day: two periods)",
            self.every_hours
        )]
    }
}

/// Adds the home stack's canary: its schedule, on the stack's dead-letter
/// alarm, as a role under the path of the bus named `bus_name` (a `Fn::Sub`
/// template), and the alarms expecting canaries, notifying `fallback_topics`.
pub fn add_home(stack: &mut Stack, props: &CanaryProps, bus_name: &str, fallback_topics: &[Value]) {
    add_schedule(
        stack,
        props.every_hours,
        alarm_arn(&format!("{}{DEAD_LETTERS_ALARM}", alarm_name_prefix())),
        Value::sub(format!("{CANARY_ROLE_PATH_PREFIX}{bus_name}/")),
    );
    add_alarms(stack, props, &alarm_name_prefix(), fallback_topics);
}

/// The ARN of the alarm named `name` (a `Fn::Sub` template) in the stack's
/// account and region.
pub fn alarm_arn(name: &str) -> Value {
    Value::sub(format!(
        "arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{name}"
    ))
}

/// Adds the schedule and its role: every `every_hours`, untag the alarm
/// `alarm_arn` (from [`alarm_arn`], or a template value), as a role under
/// `role_path`.
pub fn add_schedule(stack: &mut Stack, every_hours: u32, alarm_arn: Value, role_path: Value) {
    // EventBridge Scheduler's execution role ("Set up the execution role",
    // https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role):
    // trust scheduler.amazonaws.com, with aws:SourceAccount against the
    // confused deputy.
    let role = Role::at_path(
        stack,
        "CanaryRole",
        "scheduler.amazonaws.com",
        "Lets the trailwatch canary schedule make its one call".into(),
        Some(json!({"StringEquals": {"aws:SourceAccount": Value::Pseudo(Pseudo::AccountId)}})),
        Some(role_path),
    );
    let grant = role.attach(
        stack,
        "Canary",
        vec![Statement::allow(
            &["cloudwatch:UntagResource"],
            vec![alarm_arn.clone()],
        )],
    );
    let input = match &alarm_arn {
        Value::Sub(arn) => Value::sub(format!(
            r#"{{"ResourceARN":"{arn}","TagKeys":["{CANARY_TAG_KEY}"]}}"#
        )),
        arn => Value::Join(
            String::new(),
            vec![
                r#"{"ResourceARN":""#.into(),
                arn.clone(),
                format!(r#"","TagKeys":["{CANARY_TAG_KEY}"]}}"#).into(),
            ],
        ),
    };
    let schedule = Schedule {
        description: "trailwatch canary: a harmless monitored call proving CloudTrail, EventBridge, the rules and the handler".into(),
        schedule_expression: format!("rate({every_hours} {})", if every_hours == 1 { "hour" } else { "hours" }),
        flexible_time_window: FlexibleTimeWindow { mode: "OFF".into() },
        state: "ENABLED".into(),
        target: ScheduleTarget {
            // A universal target: the SDK's service and action names.
            arn: Value::sub("arn:${AWS::Partition}:scheduler:::aws-sdk:cloudwatch:untagResource"),
            role_arn: role.arn(),
            input,
            // A missed canary is the signal: no retries hide a failure.
            retry_policy: ScheduleRetryPolicy {
                maximum_retry_attempts: 0,
                maximum_event_age_in_seconds: 3600,
            },
        },
    };
    let id = stack.add("CanarySchedule", &schedule);
    stack.add_dependency(&id, &grant);
}

/// Adds, in the home stack, one alarm per watched region that fires when no
/// canary of the home account arrived in two periods (missing data
/// breaches), named under `name_prefix` (a `Fn::Sub` template) and notifying
/// `fallback_topics` directly.
fn add_alarms(
    stack: &mut Stack,
    props: &CanaryProps,
    name_prefix: &str,
    fallback_topics: &[Value],
) {
    let home = Value::Pseudo(Pseudo::Region);
    stack.add(
        "CanaryAlarm",
        &alarm(props, name_prefix, "${AWS::Region}", home, fallback_topics),
    );
    for region in &props.regions {
        let id = format!("CanaryAlarm{}", logical(region));
        let alarm = alarm(
            props,
            name_prefix,
            region,
            region.as_str().into(),
            fallback_topics,
        );
        let alarm = stack.add(&id, &alarm);
        // The home region's canary has its alarm above.
        let elsewhere = stack.add_condition(
            &format!("NotIn{}", logical(region)),
            Condition::Differs(Value::Pseudo(Pseudo::Region), region.clone()),
        );
        stack.set_condition(&alarm, &elsewhere);
    }
}

fn alarm(
    props: &CanaryProps,
    name_prefix: &str,
    region_name: &str,
    region: Value,
    fallback_topics: &[Value],
) -> Alarm {
    Alarm {
        alarm_name: Value::sub(format!("{name_prefix}canary-{region_name}")),
        alarm_description: Value::sub(format!(
            "trailwatch health (${{AWS::StackName}}): no canary from {region_name} arrived in two periods: CloudTrail, a rule, a permission or the handler is broken there; run cargo xtask status"
        )),
        namespace: METRIC_NAMESPACE.into(),
        metric_name: CANARY_RECEIVED_METRIC.into(),
        dimensions: vec![
            Dimension {
                name: "Account".into(),
                value: Value::Pseudo(Pseudo::AccountId),
            },
            Dimension {
                name: "Region".into(),
                value: region,
            },
        ],
        statistic: "Sum".into(),
        period: props.every_hours * 3600,
        evaluation_periods: 2,
        threshold: 1,
        comparison_operator: "LessThanThreshold".into(),
        // No canary is the failure this alarm exists for.
        treat_missing_data: "breaching".into(),
        alarm_actions: Some(fallback_topics.to_vec()),
    }
}

/// `eu-west-1` as a logical id part: `EuWest1`.
fn logical(region: &str) -> String {
    region
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
