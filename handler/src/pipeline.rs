//! The pipeline: one delivered event to a [`Verdict`] and the stateful
//! monitors' [`Observation`]s. Health alarms and the canary are recognised
//! first; then the enabled monitors that select the event judge it, and the
//! suppressions in force decide whether it is raised. Stateful monitors do
//! not judge the event alone: they observe it (see [`crate::stateful`]).

use serde_json::value::RawValue;
use time::Date;

use crate::alert::{Alert, REVIEW_SEVERITY};
use crate::canary::{self, Arrival};
use crate::event::Event;
use crate::health;
use crate::monitors::Monitor;
use crate::stateful::{self, Observation};
use crate::tuning::Detection;

/// What the handler does with one event.
#[derive(Debug, Clone)]
pub enum Verdict<'a> {
    /// Publish the alert.
    Raise(Alert<'a>),
    /// Every finding was suppressed: the alert it would have raised, and why not.
    Suppressed { alert: Alert<'a>, reason: String },
    /// A closer look found nothing (a tamper call on someone else's
    /// resource): the alert it would have been, and why it is none.
    Dismissed { alert: Alert<'a>, reason: String },
    /// The deployment's own canary arrived: it is recorded, never alerted.
    Canary(Arrival),
    /// Only stateful monitors select the event: alone, it raises nothing.
    Observed,
}

/// The verdict on an event and what the stateful monitors make of it.
#[derive(Debug, Clone)]
pub struct Judged<'a> {
    pub verdict: Verdict<'a>,
    /// One per enabled stateful monitor that selects the event, unless a
    /// suppression in force covers it (none without stateful monitors).
    pub observations: Vec<Observation>,
}

impl<'a> Verdict<'a> {
    /// The alert, raised, suppressed or dismissed; none for a canary.
    pub fn alert(self) -> Option<Alert<'a>> {
        match self {
            Verdict::Raise(alert)
            | Verdict::Suppressed { alert, .. }
            | Verdict::Dismissed { alert, .. } => Some(alert),
            Verdict::Canary(_) | Verdict::Observed => None,
        }
    }
}

/// Judges one delivered event with the enabled monitors, then the
/// suppressions in force `today`. Never fails: what cannot be read or matched
/// becomes a review alert carrying the raw input.
pub fn verdict<'a>(raw: &'a RawValue, detection: &Detection, today: Date) -> Verdict<'a> {
    judge(raw, detection, today).verdict
}

/// The [`verdict`] on one event and the observations of the stateful
/// monitors that select it.
pub fn judge<'a>(raw: &'a RawValue, detection: &Detection, today: Date) -> Judged<'a> {
    let mut observations = Vec::new();
    let verdict = judge_into(raw, detection, today, &mut observations);
    Judged {
        verdict,
        observations,
    }
}

fn judge_into<'a>(
    raw: &'a RawValue,
    detection: &Detection,
    today: Date,
    observations: &mut Vec<Observation>,
) -> Verdict<'a> {
    let mut event = match Event::parse(raw) {
        Ok(event) => event,
        Err(error) => return Verdict::Raise(Alert::review(raw, None, None, &error.to_string())),
    };
    event.organization = detection.own.organization().map(str::to_owned);
    if health::is_alarm_change(&event) {
        return Verdict::Raise(health::alert(&event));
    }
    if let Some(arrival) = canary::recognise(&detection.own, &event) {
        return Verdict::Canary(arrival);
    }
    let mut monitors = detection.selection.matching(&event);
    let holding = detection.suppressions.holding(&event, today);
    if monitors.iter().any(|m| m.is_stateful()) {
        // Without a readable identity there is no key to count by.
        let readable = !event.record.user_identity.unreadable;
        let at = stateful::event_time(&event, today.midnight().assume_utc().unix_timestamp());
        for monitor in monitors.iter().filter(|_| readable) {
            let Some(rule) = monitor.state else { continue };
            if holding.iter().any(|s| s.covers(monitor, rule.severity())) {
                continue;
            }
            observations.extend(Observation::of(monitor, rule, &event, at));
        }
        monitors.retain(|m| !m.is_stateful());
        if monitors.is_empty() {
            return Verdict::Observed;
        }
    }
    if monitors.is_empty() {
        let record = &event.record;
        let (source, name) = (
            record.event_source.as_deref().unwrap_or(""),
            record.event_name.as_deref().unwrap_or(""),
        );
        let why = format!("no enabled monitor judges eventSource {source:?} eventName {name:?}");
        return Verdict::Raise(Alert::review(event.detail, Some(&event), None, &why));
    }
    if event.record.user_identity.unreadable {
        let why = "cannot read userIdentity: it is not an object";
        return Verdict::Raise(Alert::review(
            event.detail,
            Some(&event),
            Some(monitors[0]),
            why,
        ));
    }
    let suppressing =
        |monitor: &Monitor, severity| holding.iter().find(|s| s.covers(monitor, severity));
    let mut judged = Vec::with_capacity(monitors.len());
    let mut suppressed = Vec::new();
    let mut dismissed = Vec::new();
    for monitor in monitors {
        match monitor.judge(&event, &detection.own) {
            Ok(finding) if finding.dismissed.is_some() => dismissed.push((monitor, finding)),
            Ok(finding) => match suppressing(monitor, finding.severity) {
                Some(by) => suppressed.push((monitor, finding, by)),
                None => judged.push((monitor, finding)),
            },
            // A review of a suppressed monitor is suppressed as its HIGH finding would be.
            Err(_) if suppressing(monitor, REVIEW_SEVERITY).is_some() => {}
            Err(error) => {
                let review = Alert::review(
                    event.detail,
                    Some(&event),
                    Some(monitor),
                    &error.to_string(),
                );
                return Verdict::Raise(review);
            }
        }
    }
    if judged.is_empty()
        && suppressed.is_empty()
        && let Some((_, finding)) = dismissed.first()
    {
        let reason = finding.dismissed.clone().unwrap_or_default();
        return Verdict::Dismissed {
            alert: Alert::assessed(&event, dismissed),
            reason,
        };
    }
    if !judged.is_empty() || suppressed.is_empty() {
        return Verdict::Raise(Alert::assessed(&event, judged));
    }
    let reason = suppressed[0].2.reason.clone();
    let would_be = suppressed.into_iter().map(|(m, f, _)| (m, f)).collect();
    Verdict::Suppressed {
        alert: Alert::assessed(&event, would_be),
        reason,
    }
}
