//! Chat notifications: an alert in the custom notification format of Amazon Q
//! Developer in chat applications (formerly AWS Chatbot), which posts it to
//! Slack, Microsoft Teams or Amazon Chime. That service drops any message on
//! its topic that is not in this format, silently.
//!
//! Every value taken from the event is shown inside an inline code span, with
//! backticks and the characters Slack treats as markup (`<`, `>`, `&`)
//! replaced, so no event can mention `@channel`, forge a link or break the
//! layout; control characters are escaped as everywhere else.

use serde::Serialize;

use crate::alert::Alert;
use crate::severity::Severity;
use crate::text::{clip, escape_controls};

/// Longest title kept, in bytes.
const MAX_TITLE_BYTES: usize = 250;
/// Longest description kept, in bytes (Slack shows at most 3,000 characters
/// of one section).
const MAX_DESCRIPTION_BYTES: usize = 3_000;
/// Longest value from the event shown, in bytes.
const MAX_VALUE_BYTES: usize = 256;
/// Most reasons and next steps listed.
const MAX_ITEMS: usize = 5;

/// A custom notification (`version` 1.0, `source` custom).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    version: &'static str,
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    content: Content,
    metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Content {
    text_type: &'static str,
    title: String,
    description: String,
    next_steps: Vec<String>,
    keywords: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    summary: String,
    event_type: &'static str,
    related_resources: Vec<String>,
}

impl Notification {
    /// The notification's JSON text, as published to the chat topic.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a notification is plain strings")
    }
}

/// The chat notification for `alert`: title, why, who, what and where, a
/// console link and the commands to check or revert, keywords to search on.
pub fn notification(alert: &Alert<'_>) -> Notification {
    let title = clip(
        &format!(
            "{} [{}] {}",
            emoji(alert.severity),
            alert.severity,
            plain(&alert.title)
        ),
        MAX_TITLE_BYTES,
    );
    let mut steps = Vec::new();
    if let Some(url) = &alert.console_url {
        steps.push(format!("Open in the AWS console: {url}"));
    }
    steps.extend(
        alert
            .next_steps
            .iter()
            .take(MAX_ITEMS)
            .map(|step| code(step, crate::alert::MAX_FIELD_BYTES)),
    );
    let keywords = [
        Some(alert.severity.as_str().to_owned()),
        Some(alert.monitor.to_owned()),
        alert.account.clone(),
        alert.region.clone(),
    ]
    .into_iter()
    .flatten()
    .map(|k| plain(&k))
    .collect();
    Notification {
        version: "1.0",
        source: "custom",
        id: alert.event_id.as_deref().map(plain),
        content: Content {
            text_type: "client-markdown",
            title: title.clone(),
            description: description(alert),
            next_steps: steps,
            keywords,
        },
        metadata: Metadata {
            summary: title,
            event_type: alert.monitor,
            related_resources: alert.target.iter().map(|t| plain(t)).collect(),
        },
    }
}

fn description(alert: &Alert<'_>) -> String {
    let value = |v: &Option<String>| {
        v.as_deref()
            .map_or_else(|| "not recorded".to_owned(), |v| code(v, MAX_VALUE_BYTES))
    };
    let mut lines = vec!["*Why*".to_owned()];
    lines.extend(
        alert
            .reasons
            .iter()
            .take(MAX_ITEMS)
            .map(|r| format!("• {}", code(r, MAX_VALUE_BYTES))),
    );
    let actor = &alert.actor;
    lines.push(format!(
        "*Who*: {} ({})",
        code(&actor.name, MAX_VALUE_BYTES),
        value(&actor.arn)
    ));
    lines.push(format!("*Target*: {}", value(&alert.target)));
    lines.push(format!(
        "*Call*: {} ({})",
        value(&alert.event_name),
        value(&alert.event_source)
    ));
    let account = match &alert.account_name {
        Some(name) => format!(
            "{} ({})",
            value(&alert.account),
            code(name, MAX_VALUE_BYTES)
        ),
        None => value(&alert.account),
    };
    lines.push(format!("*Where*: {account} / {}", value(&alert.region)));
    lines.push(format!("*When*: {}", value(&alert.time)));
    lines.push(format!(
        "*Monitor*: {} · event {}",
        alert.monitor,
        value(&alert.event_id)
    ));
    clip(&lines.join("\n"), MAX_DESCRIPTION_BYTES)
}

/// `value` as an inline code span: cut, control characters escaped, and the
/// characters that could end the span or act as chat markup replaced.
fn code(value: &str, max: usize) -> String {
    format!("`{}`", plain(&clip(value, max)))
}

/// `value` with control characters escaped and `` ` < > & `` replaced by
/// look-alikes that no chat application reads as markup.
fn plain(value: &str) -> String {
    escape_controls(value)
        .chars()
        .map(|c| match c {
            '`' => '\'',
            '<' => '‹',
            '>' => '›',
            '&' => '＆',
            c => c,
        })
        .collect()
}

fn emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => ":rotating_light:",
        Severity::High => ":red_circle:",
        Severity::Medium => ":large_orange_circle:",
        Severity::Low => ":large_yellow_circle:",
        Severity::Info => ":information_source:",
    }
}
