//! The stack's outputs that tools read after a deploy.

/// The alert topic's ARN.
pub const TOPIC_ARN: &str = "TopicArn";
/// The ARNs of every rule that invokes the handler, comma-separated.
pub const RULE_ARNS: &str = "RuleArns";
/// The digest queue's URL, when digests are configured.
pub const DIGEST_QUEUE_URL: &str = "DigestQueueUrl";
/// The URL of the queue keeping events the handler could not alert on.
pub const DEAD_LETTER_QUEUE_URL: &str = "DeadLetterQueueUrl";
/// The forwarding bus's ARN, when forwarding.
pub const FORWARDING_BUS_ARN: &str = "ForwardingBusArn";
/// The chat topic's ARN, when a chat topic is configured.
pub const CHAT_TOPIC_ARN: &str = "ChatTopicArn";
/// The handler function's ARN.
pub const FUNCTION_ARN: &str = "FunctionArn";
/// The assets stack's bucket name.
pub const ASSETS_BUCKET_NAME: &str = "AssetsBucketName";

/// Every output tools read.
pub const ALL: [&str; 8] = [
    TOPIC_ARN,
    RULE_ARNS,
    DIGEST_QUEUE_URL,
    DEAD_LETTER_QUEUE_URL,
    FORWARDING_BUS_ARN,
    CHAT_TOPIC_ARN,
    FUNCTION_ARN,
    ASSETS_BUCKET_NAME,
];
