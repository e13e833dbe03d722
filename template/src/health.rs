//! Self-monitoring: CloudWatch alarms on the monitor's own failures, and the
//! rule that hands their state changes to the handler as `trailwatch-health`
//! alerts.
//!
//! Two paths reach people. While the handler works, every alarm's state
//! change (ALARM, and OK after ALARM) goes through the health rule to the
//! handler, which publishes an alert like any other. The alarms that mean the
//! handler cannot alert (its errors, dead letters) also name the topics as
//! alarm actions, so CloudWatch itself publishes its own notification when
//! they fire, whatever state the handler is in.

use contract::names::{self, DEAD_LETTERS_ALARM};

use crate::intrinsic::STACK_NAME;

use crate::constructs::{Function, Queue};
use crate::intrinsic::{LogicalId, Value};
use crate::resources::cloudwatch::{Alarm, Dimension};
use crate::stack::Stack;

/// What the health alarms watch and when they fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthProps {
    /// Length of one evaluation period, in seconds (a multiple of 60).
    pub period_seconds: u32,
    /// Periods that must breach before an alarm fires.
    pub evaluation_periods: u32,
    /// Handler errors per period that fire the errors alarm.
    pub handler_errors: u32,
    /// Throttled handler invocations per period that fire the throttles alarm.
    pub handler_throttles: u32,
    /// Messages waiting in the dead-letter queue that fire its alarm.
    pub dead_letters: u32,
    /// Failed rule invocations per period that fire a rule's alarm.
    pub failed_invocations: u32,
}

impl Default for HealthProps {
    fn default() -> Self {
        Self {
            period_seconds: 300,
            evaluation_periods: 1,
            handler_errors: 1,
            handler_throttles: 1,
            dead_letters: 1,
            failed_invocations: 1,
        }
    }
}

impl HealthProps {
    /// What is wrong with the props, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(60..=86_400).contains(&self.period_seconds) || !self.period_seconds.is_multiple_of(60)
        {
            problems.push(format!(
                "health.period_seconds: {} is not a multiple of 60 from 60 to 86400",
                self.period_seconds
            ));
        }
        let periods = u64::from(self.period_seconds) * u64::from(self.evaluation_periods);
        if self.evaluation_periods == 0 || periods > 86_400 {
            problems.push(format!(
                "health.evaluation_periods: {} periods of {} s must be at least 1 and span at most a day",
                self.evaluation_periods, self.period_seconds
            ));
        }
        for (key, threshold) in [
            ("handler_errors", self.handler_errors),
            ("handler_throttles", self.handler_throttles),
            ("dead_letters", self.dead_letters),
            ("failed_invocations", self.failed_invocations),
        ] {
            if threshold == 0 {
                problems.push(format!(
                    "health.{key}: 0 would keep the alarm firing; use 1 or more"
                ));
            }
        }
        problems
    }
}

/// The name every health alarm of the stack starts with (a `Fn::Sub` template).
pub fn alarm_name_prefix() -> String {
    names::alarm_name_prefix(STACK_NAME)
}

/// The name every health alarm of the stack's forwarders starts with, as the
/// home stack names it (a `Fn::Sub` template): the forwarding bus's name, then
/// `-health-` (see [`crate::forwarder::alarm_name_prefix`]).
pub fn forwarded_alarm_name_prefix() -> String {
    names::forwarded_alarm_name_prefix(STACK_NAME)
}

/// The ARNs of the stack's health alarms, as an `aws:SourceArn` pattern.
pub fn alarm_arns() -> Value {
    Value::sub(format!(
        "arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{}*",
        alarm_name_prefix()
    ))
}

/// What the alarms watch.
pub struct Watched<'a> {
    pub function: &'a Function,
    pub dead_letters: &'a Queue,
    /// Every rule invoking the handler, and whether it listens on a custom
    /// bus (its metrics then also carry the bus's name).
    pub rules: &'a [(LogicalId, bool)],
    /// Where CloudWatch publishes directly when the handler cannot.
    pub fallback_topics: Vec<Value>,
}

/// One CloudWatch metric.
struct Metric {
    namespace: &'static str,
    name: &'static str,
    statistic: &'static str,
    dimensions: Vec<Dimension>,
}

/// One alarm: its name, what it means, and when it fires.
struct Watch {
    name: Value,
    description: &'static str,
    metric: Metric,
    threshold: u32,
    /// Topics CloudWatch publishes to itself on ALARM.
    actions: Option<Vec<Value>>,
}

/// Adds the alarms.
pub fn add_alarms(stack: &mut Stack, props: &HealthProps, watched: &Watched<'_>) {
    let function = || vec![dimension("FunctionName", watched.function.id.reference())];
    let fallback = Some(watched.fallback_topics.clone());
    let alarms = [
        (
            "HandlerErrorsAlarm",
            Watch {
                name: named("handler-errors"),
                description: "the handler failed on events (Lambda retries twice, then keeps them in the dead-letter queue): read /trailwatch/${AWS::StackName}/handler",
                metric: Metric {
                    namespace: "AWS/Lambda",
                    name: "Errors",
                    statistic: "Sum",
                    dimensions: function(),
                },
                threshold: props.handler_errors,
                actions: fallback.clone(),
            },
        ),
        (
            "HandlerThrottlesAlarm",
            Watch {
                name: named("handler-throttles"),
                description: "the handler was throttled (Lambda retries throttled events for up to 6 hours): raise its reserved concurrency",
                metric: Metric {
                    namespace: "AWS/Lambda",
                    name: "Throttles",
                    statistic: "Sum",
                    dimensions: function(),
                },
                threshold: props.handler_throttles,
                actions: None,
            },
        ),
        (
            "DeadLettersAlarm",
            dead_letter_watch(
                named(DEAD_LETTERS_ALARM),
                watched.dead_letters,
                props.dead_letters,
                fallback,
            ),
        ),
    ];
    for (id, watch) in alarms {
        stack.add(id, &alarm(props, watch));
    }
    for (rule, on_custom_bus) in watched.rules {
        stack.add(
            &format!("{}FailuresAlarm", rule.as_str()),
            &alarm(props, rule_watch(props, rule, *on_custom_bus)),
        );
    }
}

fn rule_watch(props: &HealthProps, rule: &LogicalId, on_custom_bus: bool) -> Watch {
    // A rule's ARN ends rule/NAME on the default bus and rule/BUS/NAME on a
    // custom one; its metrics carry the bus name only for a custom bus.
    let part = |index: u32| rule.get_att("Arn").part("/", index);
    let mut dimensions = vec![dimension(
        "RuleName",
        part(if on_custom_bus { 2 } else { 1 }),
    )];
    if on_custom_bus {
        dimensions.push(dimension("EventBusName", part(1)));
    }
    Watch {
        name: named(&format!("rule-failures-{}", rule.as_str())),
        description: "the rule could not invoke the handler (permission or quota): events it matched were not judged",
        metric: Metric {
            namespace: "AWS/Events",
            name: "FailedInvocations",
            statistic: "Sum",
            dimensions,
        },
        threshold: props.failed_invocations,
        actions: None,
    }
}

fn alarm(props: &HealthProps, watch: Watch) -> Alarm {
    Alarm {
        alarm_name: watch.name,
        alarm_description: Value::sub(format!(
            "trailwatch health (${{AWS::StackName}}): {}",
            watch.description
        )),
        namespace: watch.metric.namespace.into(),
        metric_name: watch.metric.name.into(),
        dimensions: watch.metric.dimensions,
        statistic: watch.metric.statistic.into(),
        period: props.period_seconds,
        evaluation_periods: props.evaluation_periods,
        threshold: watch.threshold,
        comparison_operator: "GreaterThanOrEqualToThreshold".into(),
        // Lambda and EventBridge send no data point when nothing happened.
        treat_missing_data: "notBreaching".into(),
        alarm_actions: watch.actions,
    }
}

/// The home stack's alarm named `suffix` after the prefix.
fn named(suffix: &str) -> Value {
    Value::sub(format!("{}{suffix}", alarm_name_prefix()))
}

/// Adds an alarm on messages waiting in `queue`, named `prefix` then
/// `dead-letters`, with the default thresholds (a forwarder's queue).
pub fn add_dead_letter_alarm(stack: &mut Stack, id: &str, prefix: Value, queue: &Queue) {
    let props = HealthProps::default();
    let watch = dead_letter_watch(
        Value::Join(String::new(), vec![prefix, DEAD_LETTERS_ALARM.into()]),
        queue,
        props.dead_letters,
        None,
    );
    stack.add(id, &alarm(&props, watch));
}

fn dead_letter_watch(
    name: Value,
    queue: &Queue,
    threshold: u32,
    actions: Option<Vec<Value>>,
) -> Watch {
    Watch {
        name,
        description: "events that could not be alerted or forwarded wait in the dead-letter queue: read them and replay them",
        metric: Metric {
            namespace: "AWS/SQS",
            name: "ApproximateNumberOfMessagesVisible",
            statistic: "Maximum",
            dimensions: vec![dimension("QueueName", queue.id.get_att("QueueName"))],
        },
        threshold,
        actions,
    }
}

fn dimension(name: &str, value: Value) -> Dimension {
    Dimension {
        name: name.into(),
        value,
    }
}
