//! Why a smoke test's alert may not have come: each link of the path checked
//! on its own (trail, rules, handler, dead letters, subscription filters).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::target::{SEVERITY, Target};
use crate::clients::Clients;
use crate::deploy::trail;

/// Most handler log lines shown.
const MAX_LOG_LINES: i32 = 5;

/// Every finding about `target` since `since` (the call); one line saying
/// nothing was found when all links look right. A check that cannot be made
/// says so instead of failing the others.
pub async fn diagnose(clients: &Clients, target: &Target, since: SystemTime) -> Vec<String> {
    let mut findings = Vec::new();
    findings.extend(trail_finding(clients, target).await);
    findings.extend(rule_findings(clients, target).await);
    findings.extend(handler_errors(clients, target, since).await);
    findings.extend(dead_letters(clients, target).await);
    findings.extend(filter_findings(clients, target).await);
    if findings.is_empty() {
        findings.push(
            "every link looks right: CloudTrail may be slower than usual; run cargo xtask smoke again with a longer --timeout-minutes".to_owned(),
        );
    }
    findings
}

async fn trail_finding(clients: &Clients, target: &Target) -> Option<String> {
    match trail::coverage(&clients.cloudtrail).await {
        Ok(logged) if logged.write => None,
        Ok(_) => Some(format!(
            "no CloudTrail trail is logging write management events in {}: EventBridge receives no API calls there (create a trail or start logging)",
            target.region
        )),
        Err(error) => Some(format!("could not check the trails: {error:#}")),
    }
}

/// Rules that are not enabled.
async fn rule_findings(clients: &Clients, target: &Target) -> Vec<String> {
    let mut findings = Vec::new();
    for arn in &target.rule_arns {
        let (bus, name) = crate::operations::status::rule_location(arn);
        let answer = clients
            .eventbridge
            .describe_rule()
            .name(name)
            .set_event_bus_name(bus.map(str::to_owned))
            .send()
            .await;
        match answer {
            Ok(rule) => {
                let state = rule
                    .state()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default();
                if !state.starts_with("ENABLED") {
                    findings.push(format!(
                        "rule {name} is {state}: it delivers nothing (cargo xtask deploy restores it)"
                    ));
                }
            }
            Err(error) => findings.push(format!(
                "could not read rule {name}: {:#}",
                crate::aws::explain("DescribeRule", error)
            )),
        }
    }
    findings
}

/// The handler's error lines since the call.
async fn handler_errors(clients: &Clients, target: &Target, since: SystemTime) -> Option<String> {
    let start = since
        .checked_sub(Duration::from_secs(60))
        .unwrap_or(since)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let answer = clients
        .logs
        .filter_log_events()
        .log_group_name(&target.log_group)
        .start_time(start)
        .filter_pattern("?ERROR ?\"Task timed out\"")
        .limit(MAX_LOG_LINES)
        .send()
        .await;
    match answer {
        Ok(output) if output.events().is_empty() => None,
        Ok(output) => {
            let lines: Vec<&str> = output
                .events()
                .iter()
                .filter_map(|e| e.message())
                .map(str::trim_end)
                .collect();
            Some(format!(
                "the handler logged errors in {}:\n      {}",
                target.log_group,
                lines.join("\n      ")
            ))
        }
        Err(error) => Some(format!(
            "could not read the handler's log: {:#}",
            crate::aws::explain("FilterLogEvents", error)
        )),
    }
}

async fn dead_letters(clients: &Clients, target: &Target) -> Option<String> {
    let url = target.dead_letter_url.as_deref()?;
    match crate::queues::messages(&clients.sqs, url).await {
        Ok(0) => None,
        Ok(messages) => Some(format!(
            "{messages} events wait in the dead-letter queue {url}: the handler or a rule failed on them"
        )),
        Err(error) => Some(format!("could not read the dead-letter queue: {error:#}")),
    }
}

/// Subscriptions whose filter policy on `severity` leaves out the smoke
/// test's alert: they would not have received it.
async fn filter_findings(clients: &Clients, target: &Target) -> Vec<String> {
    let answer = clients
        .sns
        .list_subscriptions_by_topic()
        .topic_arn(&target.topic_arn)
        .send()
        .await;
    let subscriptions = match answer {
        Ok(output) => output.subscriptions().to_vec(),
        Err(error) => {
            return vec![format!(
                "could not list the topic's subscriptions: {:#}",
                crate::aws::explain("ListSubscriptionsByTopic", error)
            )];
        }
    };
    let mut findings = Vec::new();
    for subscription in subscriptions {
        let Some(arn) = subscription
            .subscription_arn()
            .filter(|a| a.starts_with("arn:"))
        else {
            continue;
        };
        let Ok(attributes) = clients
            .sns
            .get_subscription_attributes()
            .subscription_arn(arn)
            .send()
            .await
        else {
            continue;
        };
        let policy = attributes
            .attributes()
            .and_then(|a| a.get("FilterPolicy"))
            .and_then(|p| serde_json::from_str::<Value>(p).ok());
        if policy.as_ref().is_some_and(excludes_smoke_severity) {
            findings.push(format!(
                "subscription {} ({}) filters on severity and would not receive this {SEVERITY} alert",
                subscription.endpoint().unwrap_or_default(),
                subscription.protocol().unwrap_or_default()
            ));
        }
    }
    findings
}

/// Whether a filter policy's `severity` key is a list of plain values that
/// leaves out the smoke test's severity (other operators are not judged).
pub(crate) fn excludes_smoke_severity(policy: &Value) -> bool {
    match policy.get("severity").and_then(Value::as_array) {
        Some(values) if values.iter().all(Value::is_string) => {
            !values.iter().any(|v| v == SEVERITY)
        }
        _ => false,
    }
}
