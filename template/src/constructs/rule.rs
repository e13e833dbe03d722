//! EventBridge rules: a pattern, a target, retries and dead letters.

use super::RETRY_FOR_A_DAY;
use super::{Bus, Function, Queue, Role};
use crate::intrinsic::{LogicalId, Value};
use crate::resources::events::{self, DeadLetterConfig};
use crate::resources::lambda;
use crate::stack::Stack;

/// An EventBridge rule on the default bus, built up and then added with [`Rule::add_to`].
#[derive(Debug, Clone)]
pub struct Rule {
    id: String,
    rule: events::Rule,
    targets: Vec<Function>,
}

impl Rule {
    /// A rule matching `pattern`, in `state` (`ENABLED`, or
    /// `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` to receive read-only calls).
    pub fn new(id: &str, description: &str, pattern: serde_json::Value, state: &str) -> Self {
        Self {
            id: id.to_owned(),
            rule: events::Rule {
                description: Some(description.into()),
                event_bus_name: None,
                event_pattern: pattern,
                state: state.into(),
                targets: Vec::new(),
            },
            targets: Vec::new(),
        }
    }

    /// Invokes `function` for every matched event, retrying for a day and sending
    /// what cannot be delivered to `dead_letters` (whose policy must then accept
    /// this rule: [`Queue::accept_dead_letters_from`]).
    pub fn add_target(&mut self, function: &Function, dead_letters: &Queue) {
        self.rule.targets.push(events::Target {
            id: function.id.as_str().to_owned(),
            arn: function.arn(),
            role_arn: None,
            retry_policy: Some(RETRY_FOR_A_DAY),
            dead_letter_config: Some(DeadLetterConfig {
                arn: dead_letters.arn(),
            }),
        });
        self.targets.push(function.clone());
    }

    /// Listens on `bus` instead of the account's default bus.
    pub fn on(mut self, bus: &Bus) -> Self {
        self.rule.event_bus_name = Some(bus.name());
        self
    }

    /// Sends every matched event to the bus `bus_arn` (in any account or
    /// region) as `role`, retrying for a day, with what cannot be delivered
    /// going to `dead_letters`.
    pub fn forward_to(&mut self, bus_arn: Value, role: &Role, dead_letters: &Queue) {
        self.rule.targets.push(events::Target {
            id: "HomeBus".to_owned(),
            arn: bus_arn,
            role_arn: Some(role.arn()),
            retry_policy: Some(RETRY_FOR_A_DAY),
            dead_letter_config: Some(DeadLetterConfig {
                arn: dead_letters.arn(),
            }),
        });
    }

    /// Adds the rule and, per target, the `Lambda::Permission` for EventBridge
    /// (scoped to this rule, whose ARN names the account).
    pub fn add_to(self, stack: &mut Stack) -> LogicalId {
        let id = stack.add(&self.id, &self.rule);
        for function in &self.targets {
            let permission = lambda::Permission {
                action: "lambda:InvokeFunction".into(),
                function_name: function.arn(),
                principal: "events.amazonaws.com".into(),
                source_arn: id.get_att("Arn"),
            };
            stack.add(
                &format!("{}{}Permission", self.id, function.id.as_str()),
                &permission,
            );
        }
        id
    }
}
