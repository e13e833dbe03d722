//! Chat messages: an alert summed up for people in a chat channel, in the
//! custom notification format of Amazon Q Developer in chat applications
//! (formerly AWS Chatbot, which posts to Slack, Microsoft Teams or Amazon
//! Chime and silently drops any other format on its topic), as a Slack
//! incoming-webhook message, or as a Teams Workflows Adaptive Card.
//!
//! Every value taken from the event is shown inside an inline code span (a
//! fact's value in Teams), with backticks and the characters chat applications
//! read as markup (`<`, `>`, `&`, `[`) replaced by look-alikes, so no event can
//! mention `@channel`, forge a link or break the layout; control characters
//! are escaped as everywhere else.

use serde::Serialize;
use serde_json::{Value, json};

use crate::alert::{Alert, MAX_FIELD_BYTES};
use crate::text::{clip, escape_controls};
use contract::Severity;

/// Longest title kept, in bytes.
const MAX_TITLE_BYTES: usize = 250;
/// Longest description kept, in bytes (Slack shows at most 3,000 characters
/// of one section).
const MAX_DESCRIPTION_BYTES: usize = 3_000;
/// Longest value from the event shown, in bytes.
const MAX_VALUE_BYTES: usize = 256;
/// Most reasons and next steps listed.
const MAX_ITEMS: usize = 5;

/// An alert summed up for chat: every text already cut and made markup-safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub severity: Severity,
    pub monitor: &'static str,
    pub event_id: Option<String>,
    /// `[SEVERITY]`.
    pub severity_label: String,
    /// The alert's title, made markup-safe: it holds names an attacker chose
    /// (a security group may be called `*_<https://x>_*`), so each format shows
    /// it as code ([`Summary::code_title`]) or with its markup defused
    /// ([`teams`]).
    pub title: String,
    pub reasons: Vec<String>,
    /// Labelled values: who, target, call, where, when, event.
    pub facts: Vec<(&'static str, String)>,
    pub console_url: Option<String>,
    pub next_steps: Vec<String>,
    pub keywords: Vec<String>,
    pub target: Option<String>,
}

impl Summary {
    /// The summary of `alert`.
    pub fn of(alert: &Alert<'_>) -> Self {
        let value = |v: &Option<String>| {
            v.as_deref().map_or_else(
                || "not recorded".to_owned(),
                |v| plain(&clip(v, MAX_VALUE_BYTES)),
            )
        };
        let actor = &alert.actor;
        let account = match &alert.account_name {
            Some(name) => format!("{} ({})", value(&alert.account), value(&Some(name.clone()))),
            None => value(&alert.account),
        };
        let facts = vec![
            (
                "Who",
                format!(
                    "{} ({})",
                    plain(&clip(&actor.name, MAX_VALUE_BYTES)),
                    value(&actor.arn)
                ),
            ),
            ("Target", value(&alert.target)),
            (
                "Call",
                format!(
                    "{} ({})",
                    value(&alert.event_name),
                    value(&alert.event_source)
                ),
            ),
            ("Where", format!("{account} / {}", value(&alert.region))),
            ("When", value(&alert.time)),
            ("Event", value(&alert.event_id)),
        ];
        Self {
            severity: alert.severity,
            monitor: alert.monitor,
            event_id: alert.event_id.as_deref().map(plain),
            severity_label: format!("[{}]", alert.severity),
            title: plain(&clip(&alert.title, MAX_TITLE_BYTES)),
            reasons: alert
                .reasons
                .iter()
                .take(MAX_ITEMS)
                .map(|r| plain(&clip(r, MAX_VALUE_BYTES)))
                .collect(),
            facts,
            console_url: alert.console_url.clone(),
            next_steps: alert
                .next_steps
                .iter()
                .take(MAX_ITEMS)
                .map(|s| code(&clip(s, MAX_FIELD_BYTES)))
                .collect(),
            keywords: [
                Some(alert.severity.as_str().to_owned()),
                Some(alert.monitor.to_owned()),
                alert.account.clone(),
                alert.region.clone(),
            ]
            .into_iter()
            .flatten()
            .map(|k| plain(&k))
            .collect(),
            target: alert.target.as_deref().map(plain),
        }
    }

    /// `[SEVERITY] `title`` : the title as an inline code span, in which
    /// Slack and Amazon Q Developer read no formatting and make no links.
    pub fn code_title(&self) -> String {
        format!("{} `{}`", self.severity_label, self.title)
    }

    /// Reasons and facts as Slack-style markdown, cut to fit one section.
    fn markdown(&self) -> String {
        let mut lines = vec!["*Why*".to_owned()];
        lines.extend(self.reasons.iter().map(|r| format!("• `{r}`")));
        lines.extend(
            self.facts
                .iter()
                .map(|(label, value)| format!("*{label}*: `{value}`")),
        );
        lines.push(format!("*Monitor*: {}", self.monitor));
        clip(&lines.join("\n"), MAX_DESCRIPTION_BYTES)
    }

    /// The console link, then each next step as code.
    fn steps(&self) -> Vec<String> {
        let mut steps: Vec<String> = self
            .console_url
            .iter()
            .map(|url| format!("Open in the AWS console: {url}"))
            .collect();
        steps.extend(self.next_steps.iter().map(|s| format!("`{s}`")));
        steps
    }
}

/// A custom notification (`version` 1.0, `source` custom) of Amazon Q
/// Developer in chat applications.
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

/// The custom notification of `summary`.
pub fn notification(summary: &Summary) -> Notification {
    let title = format!("{} {}", emoji(summary.severity), summary.code_title());
    Notification {
        version: "1.0",
        source: "custom",
        id: summary.event_id.clone(),
        content: Content {
            text_type: "client-markdown",
            title: title.clone(),
            description: summary.markdown(),
            next_steps: summary.steps(),
            keywords: summary.keywords.clone(),
        },
        metadata: Metadata {
            summary: title,
            event_type: summary.monitor,
            related_resources: summary.target.iter().cloned().collect(),
        },
    }
}

/// A Slack incoming-webhook message: `text` (the notification's fallback) and
/// blocks for the title, the details and the next steps.
pub fn slack(summary: &Summary) -> Value {
    let section =
        |text: String| json!({"type": "section", "text": {"type": "mrkdwn", "text": text}});
    let mut blocks = vec![section(format!(
        "{} {}",
        emoji(summary.severity),
        summary.code_title()
    ))];
    blocks.push(section(summary.markdown()));
    let steps = summary.steps();
    if !steps.is_empty() {
        blocks.push(section(clip(&steps.join("\n"), MAX_DESCRIPTION_BYTES)));
    }
    json!({"text": summary.code_title(), "blocks": blocks})
}

/// A Microsoft Teams Workflows message: one Adaptive Card with the title, the
/// reasons, the facts and the console link.
pub fn teams(summary: &Summary) -> Value {
    let text = |text: &str, extra: Value| {
        let mut block = json!({"type": "TextBlock", "text": text, "wrap": true});
        if let (Some(block), Some(extra)) = (block.as_object_mut(), extra.as_object()) {
            block.extend(extra.clone());
        }
        block
    };
    // Adaptive Card text has no code spans: markup is defused instead.
    let title = format!("{} {}", summary.severity_label, defused(&summary.title));
    let mut body = vec![text(
        &title,
        json!({"weight": "Bolder", "size": "Medium", "color": if summary.severity >= Severity::High { "Attention" } else { "Default" }}),
    )];
    body.extend(
        summary
            .reasons
            .iter()
            .map(|r| text(&format!("- {r}"), json!({}))),
    );
    body.push(json!({
        "type": "FactSet",
        "facts": summary.facts.iter().map(|(title, value)| json!({"title": title, "value": value})).collect::<Vec<_>>(),
    }));
    body.extend(
        summary
            .next_steps
            .iter()
            .map(|s| text(&defused(s), json!({"fontType": "Monospace"}))),
    );
    let mut card = json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    });
    if let Some(url) = &summary.console_url {
        card["actions"] =
            json!([{"type": "Action.OpenUrl", "title": "Open in the AWS console", "url": url}]);
    }
    json!({
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    })
}

/// `value` with control characters escaped and `` ` < > & [ `` replaced by
/// look-alikes that no chat application reads as markup.
fn plain(value: &str) -> String {
    code(value).replace('[', "［")
}

/// `value` made safe inside a code span: control characters escaped and
/// `` ` < > & `` (which end the span or are read by Slack even inside it)
/// replaced by look-alikes; `[` is kept, so commands stay runnable.
fn code(value: &str) -> String {
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

/// Text for an Adaptive Card, whose markdown has emphasis and links but no
/// code spans: `* _ ~ [` and `://` replaced by look-alikes.
fn defused(value: &str) -> String {
    value
        .replace("://", "：//")
        .chars()
        .map(|c| match c {
            '*' => '∗',
            '_' => '＿',
            '~' => '∼',
            '[' => '［',
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
