//! SQS queues the commands use: subscriber queues for an alert topic (the
//! demo's and the smoke test's), a queue's ARN, and how many messages wait.

use anyhow::{Context, Result};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Value, json};

use crate::aws::explain;

/// Creates the queue `name`, encrypted with SQS-managed keys; returns its URL.
pub(crate) async fn create_encrypted(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String> {
    Ok(sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::SqsManagedSseEnabled, "true")
        .send()
        .await
        .map_err(|e| explain("CreateQueue", e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned())
}

/// Lets the topic `topic_arn` (and no one else) send to the queue at `url`;
/// returns the queue's ARN.
pub(crate) async fn allow_topic(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    topic_arn: &str,
) -> Result<String> {
    let queue_arn = arn(sqs, url).await?;
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AlertTopicSends",
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
        }],
    });
    sqs.set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
        .map_err(|e| explain("SetQueueAttributes", e))?;
    Ok(queue_arn)
}

/// How a queue subscribes to a topic.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subscription {
    /// Deliver the message as published, not wrapped in SNS's notification.
    pub raw: bool,
    /// Only messages whose attributes match this filter policy.
    pub filter: Option<Value>,
}

/// Subscribes the queue `queue_arn` to `topic_arn`; returns the subscription's ARN.
pub(crate) async fn subscribe(
    sns: &aws_sdk_sns::Client,
    topic_arn: &str,
    queue_arn: &str,
    subscription: Subscription,
) -> Result<Option<String>> {
    let mut request = sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .return_subscription_arn(true);
    if subscription.raw {
        request = request.attributes("RawMessageDelivery", "true");
    }
    if let Some(filter) = subscription.filter {
        request = request.attributes("FilterPolicy", filter.to_string());
    }
    let output = request.send().await.map_err(|e| explain("Subscribe", e))?;
    Ok(output.subscription_arn().map(str::to_owned))
}

/// One attribute of the queue at `url`; none when SQS does not report it.
pub(crate) async fn attribute(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    name: QueueAttributeName,
) -> Result<Option<String>> {
    let output = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone())
        .send()
        .await
        .map_err(|e| explain("GetQueueAttributes", e))?;
    Ok(output.attributes().and_then(|a| a.get(&name)).cloned())
}

/// The queue's ARN.
pub(crate) async fn arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String> {
    attribute(sqs, url, QueueAttributeName::QueueArn)
        .await?
        .context("SQS returned no queue ARN")
}

/// The messages waiting in the queue (`ApproximateNumberOfMessages`; 0 when
/// not reported).
pub(crate) async fn messages(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<u64> {
    let count = attribute(sqs, url, QueueAttributeName::ApproximateNumberOfMessages).await?;
    Ok(count.and_then(|n| n.parse().ok()).unwrap_or(0))
}

/// Creates a queue; returns its URL and ARN.
pub(crate) async fn create(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<(String, String)> {
    let url = create_encrypted(sqs, name).await?;
    let arn = arn(sqs, &url).await?;
    Ok((url, arn))
}

/// The JSON bodies of one ReceiveMessage call, long-polling `wait_seconds`.
pub(crate) async fn receive_bodies(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    wait_seconds: i32,
) -> Result<Vec<Value>> {
    let messages = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .send()
        .await
        .with_context(|| format!("reading the queue {url}"))?;
    messages
        .messages()
        .iter()
        .map(|m| {
            serde_json::from_str(m.body().unwrap_or_default())
                .context("a queued message is not JSON")
        })
        .collect()
}
