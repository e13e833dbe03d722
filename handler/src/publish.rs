//! The seam between the alert engine and SNS.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_sns::types::MessageAttributeValue;
use tokio::time::Instant;

use crate::chat::{self, Summary};
use crate::destinations::Destinations;
use crate::render::{ATTRIBUTE_TYPE, Format, Message};
use crate::webhook::{Secret, Webhook, WebhookError};
use contract::Severity;

/// Least time between two chat notifications from one execution environment:
/// Amazon Q Developer in chat applications accepts 10 events a second.
const CHAT_SPACING: Duration = Duration::from_millis(100);

/// Delivering an alert failed; the invocation must fail so Lambda retries and,
/// after the retries, the on-failure destination keeps the event.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// SNS refused or could not be reached.
    #[error("publishing the alert to SNS failed: {0}")]
    Publish(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The digest queue refused or could not be reached.
    #[error("queueing the event for the next digest failed: {0}")]
    Defer(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A chat destination (topic or webhook) refused or could not be reached
    /// (logged and counted, never failing the invocation: the alert itself
    /// was published).
    #[error("publishing the chat notification failed: {0}")]
    Chat(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A webhook's failure is a chat failure, worded as the webhook words it.
impl From<WebhookError> for PublishError {
    fn from(error: WebhookError) -> Self {
        Self::Chat(error.why.into())
    }
}

impl PublishError {
    /// The `errorType` Lambda records for the failed invocation.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Publish(_) => "AlertPublishFailed",
            Self::Defer(_) => "DigestQueueSendFailed",
            Self::Chat(_) => "ChatPublishFailed",
        }
    }
}

/// What the Lambda runtime reports, so the function's error logs and metrics
/// name the failure rather than a Rust type.
impl From<PublishError> for lambda_runtime::Diagnostic {
    fn from(error: PublishError) -> Self {
        Self {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Somewhere alerts go.
pub trait Publisher {
    /// Publishes one message.
    fn publish(&self, message: &Message) -> impl Future<Output = Result<(), PublishError>> + Send;

    /// Queues an event for the next digest (its JSON text, as delivered).
    fn defer(&self, event: &str) -> impl Future<Output = Result<(), PublishError>> + Send;

    /// What the machine protocols' bodies carry.
    fn format(&self) -> Format {
        Format::Alert
    }

    /// The destinations besides SNS; none unless configured.
    fn destinations(&self) -> Option<&Destinations> {
        None
    }

    /// The least severity sent to chat; none without chat destinations.
    fn chat_threshold(&self) -> Option<Severity> {
        None
    }

    /// Sends one alert's chat message to every chat destination.
    fn chat(&self, summary: &Summary) -> impl Future<Output = Result<(), PublishError>> + Send {
        let _ = summary;
        async { Ok(()) }
    }
}

/// Where chat messages go: the chat topic (Amazon Q Developer), a webhook,
/// or both.
pub struct ChatTargets {
    pub topic_arn: Option<String>,
    pub webhook: Option<Webhook<Secret>>,
}

/// The chat destinations, their threshold, and when the next message may go.
struct Chat {
    targets: ChatTargets,
    threshold: Severity,
    next: Mutex<Instant>,
}

/// Publishes to one SNS topic with `MessageStructure=json`, and defers events
/// to the digest queue when there is one.
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
    topic_arn: String,
    digests: Option<(aws_sdk_sqs::Client, String)>,
    chat: Option<Chat>,
    format: Format,
    destinations: Destinations,
}

impl SnsPublisher {
    /// A publisher for `topic_arn` using an already configured client.
    pub fn new(client: aws_sdk_sns::Client, topic_arn: String) -> Self {
        Self {
            client,
            topic_arn,
            digests: None,
            chat: None,
            format: Format::Alert,
            destinations: Destinations::default(),
        }
    }

    /// The same publisher, its machine bodies in `format`.
    pub fn with_format(self, format: Format) -> Self {
        Self { format, ..self }
    }

    /// The same publisher, also sending each alert to `destinations`.
    pub fn with_destinations(self, destinations: Destinations) -> Self {
        Self {
            destinations,
            ..self
        }
    }

    /// The same publisher, also sending alerts of at least `threshold` to the
    /// chat destinations.
    pub fn with_chat(self, targets: ChatTargets, threshold: Severity) -> Self {
        Self {
            chat: Some(Chat {
                targets,
                threshold,
                next: Mutex::new(Instant::now()),
            }),
            ..self
        }
    }

    /// The same publisher, deferring to the digest queue at `queue_url`.
    pub fn with_digest_queue(self, client: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self {
            digests: Some((client, queue_url)),
            ..self
        }
    }
}

impl Publisher for SnsPublisher {
    fn format(&self) -> Format {
        self.format
    }

    fn destinations(&self) -> Option<&Destinations> {
        Some(&self.destinations)
    }

    fn chat_threshold(&self) -> Option<Severity> {
        self.chat.as_ref().map(|chat| chat.threshold)
    }

    async fn chat(&self, summary: &Summary) -> Result<(), PublishError> {
        let Some(chat) = &self.chat else {
            return Ok(());
        };
        // Pace this environment's notifications to the service's rate.
        let slot = {
            let mut next = crate::lock(&chat.next);
            let slot = (*next).max(Instant::now());
            *next = slot + CHAT_SPACING;
            slot
        };
        tokio::time::sleep_until(slot).await;
        // Both destinations are tried; the first failure is reported.
        let topic = match &chat.targets.topic_arn {
            Some(topic_arn) => self
                .client
                .publish()
                .topic_arn(topic_arn)
                .message(chat::notification(summary).to_json())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| PublishError::Chat(Box::new(aws_sdk_sns::Error::from(e)))),
            None => Ok(()),
        };
        let webhook = match &chat.targets.webhook {
            Some(webhook) => webhook.post(summary).await.map_err(PublishError::from),
            None => Ok(()),
        };
        topic.and(webhook)
    }

    async fn defer(&self, event: &str) -> Result<(), PublishError> {
        let Some((client, queue_url)) = &self.digests else {
            return Err(PublishError::Defer(
                "digests are configured but the function has no DIGEST_QUEUE_URL".into(),
            ));
        };
        client
            .send_message()
            .queue_url(queue_url)
            .message_body(event)
            .send()
            .await
            .map_err(|e| PublishError::Defer(Box::new(aws_sdk_sqs::Error::from(e))))?;
        Ok(())
    }

    async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&message.subject)
            .message(&message.body)
            .message_structure("json");
        for (name, value) in &message.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type(ATTRIBUTE_TYPE)
                .string_value(value)
                .build()
                .map_err(|e| PublishError::Publish(Box::new(e)))?;
            request = request.message_attributes(*name, attribute);
        }
        request
            .send()
            .await
            .map_err(|e| PublishError::Publish(Box::new(aws_sdk_sns::Error::from(e))))?;
        Ok(())
    }
}
