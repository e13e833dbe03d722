//! The composition root: the handler's monitor catalog feeds the construct
//! library, so the rule patterns and the handler can never disagree.

use contract::names::DEAD_LETTERS_ALARM;
use std::collections::BTreeMap;

use handler::{Detection, Selection};
use template::{
    CanaryProps, ForwarderProps, SecurityMonitor, SecurityMonitorProps, Stack, StateProps,
    SynthError,
};

/// Description of the forwarder stacks.
const FORWARDER_DESCRIPTION: &str = "trailwatch forwarder: sends this region's monitored CloudTrail events to the home region's trailwatch bus";
/// Description of the trailwatch stack.
const DESCRIPTION: &str =
    "trailwatch: CloudTrail security-event monitor (EventBridge rules, Rust Lambda, SNS alerts)";

/// Props delivering exactly what the enabled monitors judge, less what
/// suppressions exclude in the patterns, with the construct's defaults for
/// everything else.
pub fn props(detection: &Detection) -> SecurityMonitorProps {
    let (patterns, read_only_patterns) = detection.patterns();
    let sub = |template: &str| serde_json::json!({ "Fn::Sub": template });
    let dead_letters = |prefix: &str| sub(&format!(":alarm:{prefix}{}", DEAD_LETTERS_ALARM));
    SecurityMonitorProps {
        patterns,
        read_only_patterns,
        health_pattern: handler::health::pattern(sub(&template::health::alarm_name_prefix())),
        forwarded_health_pattern: handler::health::pattern(sub(
            &template::health::forwarded_alarm_name_prefix(),
        )),
        canary_pattern: handler::canary::pattern(vec![
            dead_letters(&template::health::alarm_name_prefix()),
            dead_letters(&template::health::forwarded_alarm_name_prefix()),
        ]),
        // Stateful monitors remember in the state table; without one enabled
        // there is nothing to remember (once-only then holds per environment).
        state: detection
            .selection
            .monitors()
            .any(|m| m.is_stateful())
            .then(StateProps::default),
        ..SecurityMonitorProps::default()
    }
}

/// The forwarder's props: the same monitors and suppressions, split by where
/// their events occur.
pub fn forwarder_props(detection: &Detection, canary: Option<&CanaryProps>) -> ForwarderProps {
    let [
        (patterns, read_only_patterns),
        (global_patterns, global_read_only_patterns),
    ] = detection.patterns_by_scope();
    // Serialising a template value cannot fail.
    let json = |value: template::Value| serde_json::to_value(value).unwrap_or_default();
    let prefix = template::forwarder::alarm_name_prefix();
    let dead_letters = template::Value::Join(
        String::new(),
        vec![":alarm:".into(), prefix.clone(), DEAD_LETTERS_ALARM.into()],
    );
    ForwarderProps {
        patterns,
        read_only_patterns,
        global_patterns,
        global_read_only_patterns,
        health_pattern: handler::health::pattern(json(prefix)),
        canary_every_hours: canary.map(|c| c.every_hours),
        canary_pattern: handler::canary::pattern(vec![json(dead_letters)]),
    }
}

/// The forwarder stack, deployed in other regions and member accounts.
pub fn forwarder_stack(props: &ForwarderProps) -> Result<Stack, SynthError> {
    let mut stack = Stack::new(FORWARDER_DESCRIPTION);
    template::forwarder::add(&mut stack, props)?;
    for (key, value) in tags() {
        stack.tag(&key, &value);
    }
    Ok(stack)
}

/// Props with the default monitors (all but the read-only pack).
pub fn default_props() -> SecurityMonitorProps {
    props(&Detection::from(Selection::default()))
}

/// The trailwatch stack for `props`.
pub fn stack(props: &SecurityMonitorProps) -> Result<Stack, SynthError> {
    let mut stack = Stack::new(DESCRIPTION);
    SecurityMonitor::new(&mut stack, props)?;
    for (key, value) in tags() {
        stack.tag(&key, &value);
    }
    Ok(stack)
}

/// The tags every trailwatch stack carries.
pub(crate) fn tags() -> BTreeMap<String, String> {
    BTreeMap::from([("project".to_owned(), "trailwatch".to_owned())])
}
