//! Chat delivery: a topic of its own for Amazon Q Developer in chat
//! applications (which drops any message not in its custom notification
//! format, so alerts cannot share the alert topic), and the handler's read of
//! a Slack or Teams webhook URL kept in Secrets Manager.

use contract::{Severity, WebhookKind, env, parameters};

use crate::constructs::{Function, Key, Topic};
use crate::form::parameter;
use crate::intrinsic::{LogicalId, Value};
use crate::resources::iam::Statement;
use crate::stack::{Parameter, Stack};

/// Where chat messages go, and from which severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatProps {
    /// Least severity sent (`HIGH`, ...).
    pub min_severity: String,
    /// Whether to add the topic for Amazon Q Developer in chat applications.
    pub topic: bool,
    /// A direct webhook, besides or instead of the topic.
    pub webhook: Option<WebhookProps>,
}

/// A Slack incoming webhook or a Teams Workflows webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookProps {
    /// `slack` or `teams`.
    pub kind: String,
    /// The full ARN of the Secrets Manager secret holding the URL.
    pub secret_arn: String,
}

impl ChatProps {
    /// What is wrong with the props, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !severities().contains(&self.min_severity.as_str()) {
            problems.push(format!(
                "chat.min_severity: {:?} is not one of {}",
                self.min_severity,
                severities().join(", ")
            ));
        }
        if !self.topic && self.webhook.is_none() {
            problems.push("chat: amazon_q = false needs a webhook".to_owned());
        }
        if let Some(webhook) = &self.webhook {
            if WebhookKind::parse(&webhook.kind).is_none() {
                let kinds = WebhookKind::ALL.map(WebhookKind::as_str);
                problems.push(format!(
                    "chat.webhook: {:?} is not one of {}",
                    webhook.kind,
                    kinds.join(", ")
                ));
            }
            if !is_secret_arn(&webhook.secret_arn) {
                problems.push(format!(
                    "chat.webhook_secret_arn: {:?} is not a secret's full ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX, as aws secretsmanager describe-secret shows it)",
                    webhook.secret_arn
                ));
            }
        }
        problems
    }
}

/// A full secret ARN: the name ends with `-` and the six characters Secrets
/// Manager adds, so the grant names exactly one secret.
/// Severities' names, least urgent first, as the handler reads them.
fn severities() -> [&'static str; 5] {
    Severity::ALL.map(Severity::as_str)
}

fn is_secret_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let [prefix, partition, service, region, account, kind, name] = parts[..] else {
        return false;
    };
    let suffix_ok = name.rsplit_once('-').is_some_and(|(stem, tail)| {
        !stem.is_empty() && tail.len() == 6 && tail.chars().all(|c| c.is_ascii_alphanumeric())
    });
    prefix == "arn"
        && partition.starts_with("aws")
        && service == "secretsmanager"
        && !region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && kind == "secret"
        && suffix_ok
}

/// The chat destinations added to a stack.
#[derive(Debug, Clone)]
pub struct Chat {
    pub minimum: LogicalId,
    pub topic: Option<Topic>,
    webhook: Option<WebhookProps>,
}

impl Chat {
    /// The parameter holding the least severity sent to chat.
    pub fn parameter(stack: &mut Stack, props: &ChatProps) -> LogicalId {
        stack.add_parameter(
            parameters::CHAT_MIN_SEVERITY,
            Parameter {
                allowed_pattern: Some(format!("^({})$", severities().join("|"))),
                constraint_description: Some(format!("one of {}", severities().join(", "))),
                ..parameter(
                    "Least severity of the alerts sent to chat",
                    "Chat minimum severity",
                    Some(&props.min_severity),
                )
            },
        )
    }

    /// Adds the chat topic (when configured), encrypted with `key`.
    pub fn new(stack: &mut Stack, props: &ChatProps, minimum: LogicalId, key: &Key) -> Self {
        let topic = props
            .topic
            .then(|| Topic::new(stack, "ChatTopic", "trailwatch chat notifications", key));
        Self {
            minimum,
            topic,
            webhook: props.webhook.clone(),
        }
    }

    /// The handler's environment for chat.
    pub fn environment(&self) -> Vec<(String, Value)> {
        let mut environment = vec![(env::CHAT_MIN_SEVERITY.to_owned(), self.minimum.reference())];
        if let Some(topic) = &self.topic {
            environment.push((env::CHAT_TOPIC_ARN.to_owned(), topic.arn()));
        }
        if let Some(webhook) = &self.webhook {
            environment.push((env::WEBHOOK_KIND.to_owned(), webhook.kind.as_str().into()));
            environment.push((
                env::WEBHOOK_SECRET_ARN.to_owned(),
                webhook.secret_arn.as_str().into(),
            ));
        }
        environment
    }

    /// Lets `function` publish to the chat topic and read the webhook secret
    /// (that secret alone); the topic admits CloudWatch for `alarms`.
    pub fn grant(&self, stack: &mut Stack, function: &Function, alarms: &Value) {
        if let Some(topic) = &self.topic {
            topic.grant_publish(stack, function, "PublishChat", alarms);
        }
        if let Some(webhook) = &self.webhook {
            let grant = function.role.attach(
                stack,
                "ReadWebhookSecret",
                vec![Statement::allow(
                    &["secretsmanager:GetSecretValue"],
                    vec![webhook.secret_arn.as_str().into()],
                )],
            );
            stack.add_dependency(&function.id, &grant);
        }
    }
}
