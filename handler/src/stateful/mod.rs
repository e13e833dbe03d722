//! Detections that remember: thresholds, first-seen pairs and sequences.
//! A stateful monitor selects events like any other; instead of judging each
//! alone, it records each in the [`crate::state`] store and alerts when the
//! record crosses its [`Rule`].

mod observe;
pub mod rule;

pub use observe::{Crossing, Learning, MAX_LISTED, Observation, Summary, Undo, rfc3339};
pub use rule::{FirstSeen, Key, Rule, Sequence, Step, StepSelects, Threshold};

use crate::event::Event;

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
