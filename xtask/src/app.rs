//! The composition root: the handler's monitor catalog feeds the construct
//! library, so the rule pattern and the handler can never disagree.

use handler::catalog::{CATALOG, Monitor};
use template::{MonitorPattern, SecurityMonitor, SecurityMonitorProps, Stack, SynthError};

/// Description of the trailwatch stack.
const DESCRIPTION: &str =
    "trailwatch: CloudTrail security-event monitor (EventBridge rule, Rust Lambda, SNS alerts)";

/// The rule pattern input for one catalog monitor.
pub fn pattern_of(monitor: &Monitor) -> MonitorPattern {
    MonitorPattern {
        source: monitor.source.to_owned(),
        event_source: monitor.event_source.to_owned(),
        event_names: monitor
            .event_names
            .iter()
            .map(|n| (*n).to_owned())
            .collect(),
    }
}

/// Props with every catalog monitor enabled and the construct's defaults.
pub fn default_props() -> SecurityMonitorProps {
    SecurityMonitorProps {
        monitors: CATALOG.iter().map(pattern_of).collect(),
        ..SecurityMonitorProps::default()
    }
}

/// The trailwatch stack for `props`.
pub fn stack(props: &SecurityMonitorProps) -> Result<Stack, SynthError> {
    let mut stack = Stack::new(DESCRIPTION);
    SecurityMonitor::new(&mut stack, props)?;
    stack.tag("project", "trailwatch");
    Ok(stack)
}
