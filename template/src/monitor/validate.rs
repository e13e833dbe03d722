//! Checking the props before anything is added, naming every problem.

use serde_json::Value as Json;

use crate::canary::CanaryProps;
use crate::chat::ChatProps;
use crate::stack::SynthError;

use super::rules::{READ_ONLY_RULES, RuleKind, WRITE_RULES, pack_rules};
use super::{MAX_DIGEST_WINDOW_SECONDS, SecurityMonitorProps};

/// Retention periods CloudWatch Logs accepts, in days.
const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// Checks the props; returns the rule patterns (and whether each is read-only).
pub(super) fn validate(
    props: &SecurityMonitorProps,
) -> Result<Vec<(RuleKind, Vec<Json>)>, SynthError> {
    let mut problems = Vec::new();
    if props.patterns.is_empty() && props.read_only_patterns.is_empty() {
        problems.push("monitors: enable at least one monitor".to_owned());
    }
    if let Some(window) = props
        .digest_window_seconds
        .filter(|w| !(1..=MAX_DIGEST_WINDOW_SECONDS).contains(w))
    {
        problems.push(format!(
            "digest.window_seconds: {window} is not within 1-{MAX_DIGEST_WINDOW_SECONDS} (Lambda's batching window)"
        ));
    }
    let mut patterns = props.patterns.clone();
    if props.canary.is_some() {
        if !props.canary_pattern.is_object() {
            problems.push("canary_pattern: the canary needs its event pattern".to_owned());
        }
        patterns.push(props.canary_pattern.clone());
    }
    let rules = pack_rules(
        &patterns,
        &props.read_only_patterns,
        [WRITE_RULES, READ_ONLY_RULES],
        &mut problems,
    );
    if !RETENTION_DAYS.contains(&props.log_retention_days) {
        problems.push(format!(
            "log_retention_days: {} is not a retention CloudWatch Logs accepts ({RETENTION_DAYS:?})",
            props.log_retention_days
        ));
    }
    if !(128..=10_240).contains(&props.memory_mb) {
        problems.push(format!(
            "memory_mb: {} is outside 128-10240",
            props.memory_mb
        ));
    }
    if !(1..=900).contains(&props.timeout_seconds) {
        problems.push(format!(
            "timeout_seconds: {} is outside 1-900",
            props.timeout_seconds
        ));
    }
    problems.extend(props.health.problems());
    if !props.health_pattern.is_object()
        || (props.forwarding && !props.forwarded_health_pattern.is_object())
    {
        problems.push("health_pattern: the health rules need event patterns".to_owned());
    }
    problems.extend(props.chat.iter().flat_map(ChatProps::problems));
    problems.extend(props.destinations.problems());
    problems.extend(props.canary.iter().flat_map(CanaryProps::problems));
    if props.reserved_concurrency == 0 {
        problems.push("reserved_concurrency: 0 would disable the handler".to_owned());
    }
    let mut seen = std::collections::BTreeSet::new();
    for address in &props.alert_emails {
        if !is_email_address(address) {
            problems.push(format!(
                "alert_emails: {address:?} is not one e-mail address (like security@example.com)"
            ));
        } else if !seen.insert(address.to_lowercase()) {
            problems.push(format!(
                "alert_emails: {address:?} is listed twice (one subscription per address)"
            ));
        }
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(SynthError(problems))
    }
}

/// One plain address `local@domain.tld`: one `@`, no spaces, no list
/// separators or quoting (`x@y.z,evil@e.com` would subscribe two), a domain of
/// dot-separated labels, at most 254 characters. Hand-written: SNS takes the
/// address as typed and only a typo-proof shape matters here, not RFC 5322's
/// quoted forms, which no crate rejects by default.
fn is_email_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let plain = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let label = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    address.chars().count() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && local.chars().all(plain)
        && domain.contains('.')
        && domain.split('.').all(label)
}
