//! Names derived from the stack's name, and the fixed names both sides match.
//! Functions take the stack name as text: the template passes
//! `${AWS::StackName}` (inside a `Fn::Sub`), the handler and tools the real name.

/// The one region where global services' events reach EventBridge.
pub const GLOBAL_REGION: &str = "us-east-1";

/// What every health alarm's name holds after its stack's (or bus's) name.
pub const ALARM_INFIX: &str = "-health-";
/// What the forwarding bus's name adds to the stack name.
pub const FORWARDING_BUS_SUFFIX: &str = "-forwarded";
/// What the dead-letter alarms' names end with (the canary untags them).
pub const DEAD_LETTERS_ALARM: &str = "dead-letters";

/// The forwarding bus's name for a stack named `stack`.
pub fn forwarding_bus_name(stack: &str) -> String {
    format!("{stack}{FORWARDING_BUS_SUFFIX}")
}

/// What every health alarm of the stack named `stack` starts with.
pub fn alarm_name_prefix(stack: &str) -> String {
    format!("{stack}{ALARM_INFIX}")
}

/// What every health alarm of the forwarders of the stack named `stack`
/// starts with: the forwarding bus's name, then [`ALARM_INFIX`].
pub fn forwarded_alarm_name_prefix(stack: &str) -> String {
    alarm_name_prefix(&forwarding_bus_name(stack))
}

/// The first part of the path of every forwarder's role; the home bus's name
/// follows (`/trailwatch-forwarder/<bus>/`), and the home bus admits the roles
/// under that path.
pub const FORWARDER_ROLE_PATH_PREFIX: &str = "/trailwatch-forwarder/";
/// The first part of the path of every canary role; the home bus's name follows.
pub const CANARY_ROLE_PATH_PREFIX: &str = "/trailwatch-canary/";
/// The tag the canary adds to and removes from the dead-letter alarm.
pub const CANARY_TAG_KEY: &str = "trailwatch-canary";

/// The path of the canary roles of the stack named `stack`:
/// `/trailwatch-canary/<stack>-forwarded/`.
pub fn canary_role_path(stack: &str) -> String {
    format!("{CANARY_ROLE_PATH_PREFIX}{}/", forwarding_bus_name(stack))
}

/// The CloudWatch namespace of the handler's metrics.
pub const METRIC_NAMESPACE: &str = "trailwatch";
/// The metric the handler counts each canary arrival in.
pub const CANARY_RECEIVED_METRIC: &str = "CanaryReceived";

/// Partition key of the state table (a string).
pub const STATE_TABLE_KEY: &str = "pk";
/// The state table's TTL attribute: epoch seconds after which an item is gone.
pub const STATE_TABLE_EXPIRES: &str = "exp";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names_join_the_stack_name_and_the_fixed_parts() {
        assert_eq!(forwarding_bus_name("tw"), "tw-forwarded");
        assert_eq!(alarm_name_prefix("tw"), "tw-health-");
        assert_eq!(forwarded_alarm_name_prefix("tw"), "tw-forwarded-health-");
        assert_eq!(canary_role_path("tw"), "/trailwatch-canary/tw-forwarded/");
    }
}
