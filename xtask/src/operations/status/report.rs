//! The status as people read it: what needs attention, and the report text.

use super::RegionStatus;
use crate::terminal;

/// SNS's subscription ARN of a subscription awaiting confirmation.
pub(crate) const PENDING: &str = "PendingConfirmation";

/// What needs attention in a region's state.
pub(crate) fn attention(status: &RegionStatus) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(stack_status) = &status.stack_status
        && (!stack_status.ends_with("_COMPLETE") || stack_status.contains("ROLLBACK"))
    {
        found.push(format!("stack {} is {stack_status}", status.stack));
    }
    if status.drift.as_deref() == Some("DRIFTED") {
        found.push(format!(
            "stack {} has drifted from its template: run cargo xtask deploy to restore it",
            status.stack
        ));
    }
    if status.trail.is_some_and(|t| !t.write) {
        found.push("no logging CloudTrail trail records write management events here: EventBridge receives none".to_owned());
    }
    for rule in status
        .rules
        .iter()
        .filter(|r| !r.state.starts_with("ENABLED"))
    {
        found.push(format!("rule {} is {}", rule.name, rule.state));
    }
    let counts = &status.last_24_hours;
    if counts.errors.is_some_and(|e| e > 0.0) {
        found.push(format!(
            "the handler failed {} times in the last 24 hours",
            counts.errors.unwrap_or_default()
        ));
    }
    if counts.failed_rule_invocations > 0.0 {
        found.push(format!(
            "rules failed to invoke their target {} times in the last 24 hours",
            counts.failed_rule_invocations
        ));
    }
    for queue in status
        .queues
        .iter()
        .filter(|q| q.name.contains("DeadLetter") && q.messages > 0)
    {
        found.push(format!(
            "{} messages wait in {} ({}): events that were not alerted or forwarded",
            queue.messages, queue.name, queue.url
        ));
    }
    for alarm in &status.alarms_firing {
        found.push(format!("alarm {alarm} is in ALARM"));
    }
    for subscription in status.subscriptions.iter().filter(|s| s.pending) {
        found.push(format!(
            "{} subscription {} to {} is pending confirmation: it receives nothing until confirmed",
            subscription.protocol, subscription.endpoint, subscription.topic
        ));
    }
    let reached = status
        .subscriptions
        .iter()
        .any(|s| s.topic == contract::parameters::ALERT_TOPIC_RESOURCE && !s.pending);
    if status.home && !reached {
        found.push("no confirmed subscription on the alert topic: alerts reach no one".to_owned());
    }
    found
}

/// The report as text, one block per region; values from AWS escaped.
pub fn describe(status: &RegionStatus) -> String {
    let v = |s: &str| terminal::value(s);
    let mut out = format!("{} ({})\n", v(&status.stack), v(&status.region));
    let line = |out: &mut String, label: &str, value: String| {
        out.push_str(&format!("  {label:<14}{value}\n"));
    };
    line(
        &mut out,
        "stack",
        match &status.stack_status {
            Some(s) => format!(
                "{} (drift: {})",
                v(s),
                v(status.drift.as_deref().unwrap_or("unknown"))
            ),
            None => "not deployed".to_owned(),
        },
    );
    if let Some(trail) = status.trail {
        line(
            &mut out,
            "trail",
            match (trail.write, trail.read) {
                (true, true) => "logging write and read-only management events".to_owned(),
                (true, false) => "logging write management events".to_owned(),
                (false, true) => "logging read-only management events only".to_owned(),
                (false, false) => "none logging management events".to_owned(),
            },
        );
    }
    for rule in &status.rules {
        line(
            &mut out,
            "rule",
            format!("{} {}", v(&rule.name), v(&rule.state)),
        );
    }
    let counts = &status.last_24_hours;
    if let (Some(invocations), Some(errors)) = (counts.invocations, counts.errors) {
        line(
            &mut out,
            "24 hours",
            format!(
                "{invocations} invocations, {errors} errors, {} failed rule invocations",
                counts.failed_rule_invocations
            ),
        );
    } else {
        line(
            &mut out,
            "24 hours",
            format!("{} failed rule invocations", counts.failed_rule_invocations),
        );
    }
    if let Some(canary) = &status.canary {
        line(
            &mut out,
            "canary",
            match &canary.last {
                Some(last) => format!("last received in the hour from {}", v(last)),
                None => "none received in the last 48 hours".to_owned(),
            },
        );
    }
    for queue in &status.queues {
        line(
            &mut out,
            "queue",
            format!("{} {} messages", v(&queue.name), queue.messages),
        );
    }
    line(
        &mut out,
        "alarms",
        if status.alarms_firing.is_empty() {
            "none in ALARM".to_owned()
        } else {
            status
                .alarms_firing
                .iter()
                .map(|a| v(a))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    for s in &status.subscriptions {
        let state = if s.pending {
            "PENDING CONFIRMATION"
        } else {
            "confirmed"
        };
        line(
            &mut out,
            "subscription",
            format!(
                "{} {} {} ({state})",
                v(&s.topic),
                v(&s.protocol),
                v(&s.endpoint)
            ),
        );
    }
    if status.attention.is_empty() {
        out.push_str("  all well\n");
    } else {
        out.push_str("  needs attention:\n");
        for item in &status.attention {
            out.push_str(&format!("    - {}\n", v(item)));
        }
    }
    out
}
