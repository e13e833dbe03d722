//! The rules that hand events to the handler: their kinds (write calls and
//! sign-ins, read-only calls, forwarded events), how patterns are packed into
//! them, and adding them with their target.

use serde_json::Value as Json;

use crate::constructs::{Bus, Function, Queue, Rule};
use crate::intrinsic::LogicalId;
use crate::patterns::{self, MAX_RULES_PER_BUS};
use crate::stack::Stack;

use super::SecurityMonitorProps;

/// One kind of rule: its logical id prefix (numbered from 1), description and state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleKind {
    pub name: &'static str,
    pub description: &'static str,
    pub state: &'static str,
}

/// State of rules that receive write management events and sign-ins.
pub(crate) const ENABLED: &str = "ENABLED";
/// State that also delivers read-only management events (free to match; set
/// through CloudFormation or the API only), on the default or a custom bus.
pub(crate) const ENABLED_WITH_READ_ONLY: &str = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

/// Rules of write calls and sign-ins.
pub(super) const WRITE_RULES: RuleKind = RuleKind {
    name: "SecurityEventRule",
    description: "trailwatch: monitored CloudTrail calls and sign-ins",
    state: ENABLED,
};

/// Rules of read-only calls.
pub(super) const READ_ONLY_RULES: RuleKind = RuleKind {
    name: "ReadOnlyEventRule",
    description: "trailwatch: monitored read-only CloudTrail calls",
    state: ENABLED_WITH_READ_ONLY,
};

/// Rules on the forwarding bus: events other regions and accounts forward
/// (read-only ones included: the forwarders' rules selected them).
const FORWARDED_RULES: [RuleKind; 2] = [
    RuleKind {
        name: "ForwardedEventRule",
        description: "trailwatch: monitored events forwarded from other regions and accounts",
        state: ENABLED,
    },
    // EventBridge user guide, "Receiving read-only management events from AWS
    // services" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html):
    // a rule on a default or custom bus receives read-only management events
    // only in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
    RuleKind {
        name: "ForwardedReadOnlyEventRule",
        description: "trailwatch: monitored read-only calls forwarded from other regions and accounts",
        state: ENABLED_WITH_READ_ONLY,
    },
];

/// The rules of each kind (write, read-only): the patterns packed within
/// EventBridge's limits; problems when they do not fit.
pub(crate) fn pack_rules(
    patterns: &[Json],
    read_only_patterns: &[Json],
    kinds: [RuleKind; 2],
    problems: &mut Vec<String>,
) -> Vec<(RuleKind, Vec<Json>)> {
    let mut rules = Vec::new();
    for (kind, patterns) in kinds.into_iter().zip([patterns, read_only_patterns]) {
        match patterns::pack(patterns) {
            Ok(packed) => rules.push((kind, packed)),
            Err(mut errors) => problems.append(&mut errors),
        }
    }
    let count: usize = rules.iter().map(|(_, packed)| packed.len()).sum();
    if count > MAX_RULES_PER_BUS {
        problems.push(format!(
            "monitors: the enabled monitors need {count} EventBridge rules, over the {MAX_RULES_PER_BUS} a bus may hold"
        ));
    }
    rules
}

/// Adds the rules invoking `function` (with `dead_letters` for what cannot be
/// delivered): the packed `rules`, the health rule, and on the forwarding
/// `bus` the forwarded health rule and the forwarded rules. Returns each
/// rule's id and whether it is on the forwarding bus.
pub(super) fn add_handler_rules(
    stack: &mut Stack,
    props: &SecurityMonitorProps,
    rules: &[(RuleKind, Vec<Json>)],
    function: &Function,
    dead_letters: &Queue,
    bus: Option<&Bus>,
) -> Vec<(LogicalId, bool)> {
    let mut rule_ids: Vec<(LogicalId, bool)> = Vec::new();
    let mut add = |stack: &mut Stack, mut rule: Rule, forwarded: bool| {
        rule.add_target(function, dead_letters);
        rule_ids.push((rule.add_to(stack), forwarded));
    };
    for (kind, patterns) in rules {
        for (index, pattern) in patterns.iter().enumerate() {
            let id = format!("{}{}", kind.name, index + 1);
            add(
                stack,
                Rule::new(&id, kind.description, pattern.clone(), kind.state),
                false,
            );
        }
    }
    let health = Rule::new(
        "HealthRule",
        "trailwatch: state changes of the monitor's own health alarms",
        props.health_pattern.clone(),
        ENABLED,
    );
    add(stack, health, false);
    if let Some(bus) = bus {
        let health = Rule::new(
            "ForwardedHealthRule",
            "trailwatch: state changes of the forwarders' health alarms",
            props.forwarded_health_pattern.clone(),
            ENABLED,
        )
        .on(bus);
        add(stack, health, true);
        for ((_, patterns), kind) in rules.iter().zip(FORWARDED_RULES) {
            for (index, pattern) in patterns.iter().enumerate() {
                let id = format!("{}{}", kind.name, index + 1);
                let rule = Rule::new(&id, kind.description, pattern.clone(), kind.state).on(bus);
                add(stack, rule, true);
            }
        }
    }
    rule_ids
}
