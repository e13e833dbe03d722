//! The composition root: the handler's monitor catalog feeds the construct
//! library, so the rule patterns and the handler can never disagree.

use handler::Selection;
use template::{SecurityMonitor, SecurityMonitorProps, Stack, SynthError};

/// Description of the trailwatch stack.
const DESCRIPTION: &str =
    "trailwatch: CloudTrail security-event monitor (EventBridge rules, Rust Lambda, SNS alerts)";

/// Props delivering exactly what the selected monitors judge, with the
/// construct's defaults for everything else.
pub fn props(selection: &Selection) -> SecurityMonitorProps {
    let (patterns, read_only_patterns) = selection.patterns();
    SecurityMonitorProps {
        patterns,
        read_only_patterns,
        monitors: selection.to_list(),
        ..SecurityMonitorProps::default()
    }
}

/// Props with the default monitors (all but the read-only pack).
pub fn default_props() -> SecurityMonitorProps {
    props(&Selection::default())
}

/// The trailwatch stack for `props`.
pub fn stack(props: &SecurityMonitorProps) -> Result<Stack, SynthError> {
    let mut stack = Stack::new(DESCRIPTION);
    SecurityMonitor::new(&mut stack, props)?;
    stack.tag("project", "trailwatch");
    Ok(stack)
}
