//! The SQS queue attributes the commands read: a queue's ARN (to subscribe
//! it) and how many messages wait in it.

use anyhow::{Context, Result};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::aws::explain;

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
