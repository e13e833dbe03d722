//! The forwarder, the L3 construct deployed in the home account's other regions
//! (and, through a StackSet, in every member account): the monitors' rules,
//! sending what they match to the home stack's forwarding bus. One template
//! serves every region: rules of global services exist only in us-east-1, where
//! their events occur, so each global event is forwarded once.

use contract::names::{
    ALARM_INFIX, CANARY_ROLE_PATH_PREFIX, DEAD_LETTERS_ALARM, FORWARDER_ROLE_PATH_PREFIX,
    GLOBAL_REGION,
};
use contract::parameters;

use serde_json::{Value as Json, json};

use crate::canary;
use crate::constructs::{Queue, Role, Rule};
use crate::form::parameter;
use crate::health;
use crate::intrinsic::{LogicalId, Pseudo, Value};
use crate::monitor::{ENABLED_WITH_READ_ONLY, RuleKind, pack_rules};
use crate::patterns::MAX_RULES_PER_BUS;
use crate::resources::cloudformation::WaitConditionHandle;
use crate::resources::iam::Statement;
use crate::stack::{Condition, Parameter, Stack, SynthError};

/// Rules of regional services' write calls and sign-ins, and of read-only calls.
const REGIONAL_RULES: [RuleKind; 2] = [
    RuleKind {
        name: "ForwardEventRule",
        description: "trailwatch: forwards monitored CloudTrail calls and sign-ins to the home region",
        state: "ENABLED",
    },
    RuleKind {
        name: "ForwardReadOnlyEventRule",
        description: "trailwatch: forwards monitored read-only CloudTrail calls to the home region",
        state: ENABLED_WITH_READ_ONLY,
    },
];

/// The same for global services, created in us-east-1 only.
const GLOBAL_RULES: [RuleKind; 2] = [
    RuleKind {
        name: "ForwardGlobalEventRule",
        description: "trailwatch: forwards monitored calls of global services (us-east-1 only) to the home region",
        state: "ENABLED",
    },
    RuleKind {
        name: "ForwardGlobalReadOnlyEventRule",
        description: "trailwatch: forwards monitored read-only calls of global services (us-east-1 only) to the home region",
        state: ENABLED_WITH_READ_ONLY,
    },
];

/// What a forwarder selects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwarderProps {
    /// Patterns of write calls and sign-ins whose events occur in any region.
    pub patterns: Vec<Json>,
    /// Patterns of such read-only calls.
    pub read_only_patterns: Vec<Json>,
    /// Patterns of global services' write calls (us-east-1 only).
    pub global_patterns: Vec<Json>,
    /// Patterns of global services' read-only calls (us-east-1 only).
    pub global_read_only_patterns: Vec<Json>,
    /// The pattern selecting the state changes of the forwarder's own alarms
    /// (names under [`alarm_name_prefix`]), forwarded to the home bus.
    pub health_pattern: Json,
    /// Hours between the forwarder's canaries; none without a canary.
    pub canary_every_hours: Option<u32>,
    /// The pattern selecting this forwarder's canary calls.
    pub canary_pattern: Json,
}

/// The home bus's name, from the `HomeBusArn` parameter.
fn home_bus_name() -> Value {
    Value::Ref(parameters::HOME_BUS_ARN.to_owned()).part("/", 1)
}

/// The name the forwarder's health alarms start with: the home bus's name
/// (from the `HomeBusArn` parameter, the same in every region and account,
/// whatever the stack is called), then `-health-`.
pub fn alarm_name_prefix() -> Value {
    Value::Join(String::new(), vec![home_bus_name(), ALARM_INFIX.into()])
}

/// Adds the forwarder to `stack`. In the home bus's own account and region it
/// creates nothing (the home stack's rules see those events already).
pub fn add(stack: &mut Stack, props: &ForwarderProps) -> Result<(), SynthError> {
    let mut problems = Vec::new();
    let mut patterns = props.patterns.clone();
    if props.canary_every_hours.is_some() {
        patterns.push(props.canary_pattern.clone());
    }
    let regional = pack_rules(
        &patterns,
        &props.read_only_patterns,
        REGIONAL_RULES,
        &mut problems,
    );
    let global = pack_rules(
        &props.global_patterns,
        &props.global_read_only_patterns,
        GLOBAL_RULES,
        &mut problems,
    );
    let count: usize = regional.iter().chain(&global).map(|(_, p)| p.len()).sum();
    if count == 0 {
        problems.push("monitors: enable at least one monitor".to_owned());
    }
    if count > MAX_RULES_PER_BUS {
        problems.push(format!(
            "monitors: a forwarder needs {count} EventBridge rules, over the {MAX_RULES_PER_BUS} a bus may hold"
        ));
    }
    if !problems.is_empty() {
        return Err(SynthError(problems));
    }
    let home = home_bus_parameter(stack).reference();
    // A stack needs one resource even when the conditions leave out the rest.
    stack.add("Placeholder", &WaitConditionHandle {});
    let elsewhere =
        stack.add_condition("ForwardsElsewhere", Condition::ElsewhereThan(home.clone()));
    let in_global_region =
        stack.add_condition("InGlobalRegion", Condition::InRegion(GLOBAL_REGION));
    let forwards_global = stack.add_condition(
        "ForwardsGlobalEvents",
        Condition::All(vec![elsewhere.clone(), in_global_region]),
    );
    let role = Role::at_path(
        stack,
        "ForwarderRole",
        "events.amazonaws.com",
        "Lets this region's trailwatch rules put events on the home bus".into(),
        Some(json!({"StringEquals": {"aws:SourceAccount": Value::Pseudo(Pseudo::AccountId)}})),
        Some(Value::Join(
            String::new(),
            vec![
                FORWARDER_ROLE_PATH_PREFIX.into(),
                home_bus_name(),
                "/".into(),
            ],
        )),
    );
    role.attach(
        stack,
        "PutEvents",
        vec![Statement::allow(&["events:PutEvents"], vec![home.clone()])],
    );
    let dead_letters = Queue::with_sqs_owned_key(stack, "ForwarderDeadLetterQueue");
    stack.skip_checkov(
        &dead_letters.id,
        "CKV_AWS_27",
        "encrypted at rest with SQS-owned keys (SqsManagedSseEnabled): a customer key in every region of every account would cost a dollar a month each, and the AWS managed key cannot grant EventBridge",
    );
    // Some rules exist only in us-east-1: the policy names the account's rules
    // in this region rather than each rule.
    dead_letters.accept_dead_letters_from_rules_of_account(stack);
    health::add_dead_letter_alarm(
        stack,
        "ForwarderDeadLettersAlarm",
        alarm_name_prefix(),
        &dead_letters,
    );
    if let Some(every_hours) = props.canary_every_hours {
        canary::add_schedule(
            stack,
            every_hours,
            Value::Join(
                String::new(),
                vec![
                    canary::alarm_arn(""),
                    alarm_name_prefix(),
                    DEAD_LETTERS_ALARM.into(),
                ],
            ),
            Value::Join(
                String::new(),
                vec![CANARY_ROLE_PATH_PREFIX.into(), home_bus_name(), "/".into()],
            ),
        );
    }
    let mut health_rule = Rule::new(
        "ForwardHealthRule",
        "trailwatch: forwards the state changes of this forwarder's health alarms to the home region",
        props.health_pattern.clone(),
        "ENABLED",
    );
    health_rule.forward_to(home.clone(), &role, &dead_letters);
    health_rule.add_to(stack);
    for (rules, condition) in [(regional, &elsewhere), (global, &forwards_global)] {
        for (kind, patterns) in rules {
            for (index, pattern) in patterns.into_iter().enumerate() {
                let id = format!("{}{}", kind.name, index + 1);
                let mut rule = Rule::new(&id, kind.description, pattern, kind.state);
                rule.forward_to(home.clone(), &role, &dead_letters);
                let rule = rule.add_to(stack);
                stack.set_condition(&rule, condition);
            }
        }
    }
    let unconditioned: Vec<LogicalId> = stack
        .unconditioned_resources()
        .filter(|id| id.as_str() != "Placeholder")
        .collect();
    for id in unconditioned {
        stack.set_condition(&id, &elsewhere);
    }
    Ok(())
}

fn home_bus_parameter(stack: &mut Stack) -> LogicalId {
    stack.add_parameter(
        parameters::HOME_BUS_ARN,
        Parameter {
            allowed_pattern: Some(
                r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._-]+$".into(),
            ),
            constraint_description: Some(
                "the ARN of the home stack's ForwardingBusArn output".into(),
            ),
            group: "Home region".into(),
            ..parameter(
                "ARN of the home stack's forwarding bus (its ForwardingBusArn output)",
                "Home event bus",
                None,
            )
        },
    )
}
