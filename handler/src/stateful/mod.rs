//! Detections that remember: thresholds, first-seen pairs and sequences.
//! A stateful monitor selects events like any other; instead of judging each
//! alone, it records each in the [`crate::state`] store and alerts when the
//! record crosses its [`Rule`].

mod observe;
pub mod rule;

pub use observe::{Crossing, Learning, MAX_LISTED, Observation, Summary, Undo, rfc3339};
pub use rule::{FirstSeen, Key, Rule, Sequence, Step, StepSelects, Threshold};

use crate::alert::Alert;
use crate::event::Event;
use crate::finding::{Finding, Verb};

/// The event's time in seconds since the epoch: `eventTime`, else the
/// envelope's `time`, else `now` (windows follow when things happened, so a
/// replay of logs counts as the live events did).
pub fn event_time(event: &Event<'_>, now: i64) -> i64 {
    let parse = |text: &str| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(time::OffsetDateTime::unix_timestamp)
    };
    event
        .record
        .event_time
        .as_deref()
        .and_then(parse)
        .or_else(|| event.envelope.time.as_deref().and_then(parse))
        .unwrap_or(now)
}

/// The alert for a crossing, on the event that made it.
pub fn alert<'a>(crossing: &Crossing, event: &Event<'a>) -> Alert<'a> {
    let severity = crossing.rule.severity();
    let mut finding = Finding::new(Verb::Called, crossing.monitor.title, severity);
    finding.raise(severity, crossing.says.clone());
    finding.step(next_step(&crossing.rule).to_owned());
    let mut alert = Alert::assessed(event, vec![(crossing.monitor, finding)]);
    alert.title = crate::text::clip(
        &format!("{}: {}", crossing.monitor.title, crossing.summary.key),
        crate::alert::MAX_FIELD_BYTES,
    );
    alert.target = Some(crossing.summary.key.clone());
    alert.state = Some(crossing.summary.clone());
    alert
}

fn next_step(rule: &Rule) -> &'static str {
    match rule {
        Rule::Threshold(_) => {
            "Review the listed events together: ask the caller whether the burst was planned; if not, treat its credentials as compromised"
        }
        Rule::FirstSeen(_) => {
            "Confirm with the caller that this first use was planned; a new caller of a sensitive call is how intrusions start"
        }
        Rule::Sequence(_) => {
            "Review both listed events: together they form a known attack path; confirm both with the caller"
        }
    }
}
