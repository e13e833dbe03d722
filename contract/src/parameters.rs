//! The stack's parameters that tools set on deploy, and the logical ids
//! tools look up among the stack's resources.

/// The email address subscribed to the alert topic.
pub const ALERT_EMAIL: &str = "AlertEmail";
/// The bucket holding the handler's artifact.
pub const ARTIFACT_BUCKET: &str = "ArtifactBucket";
/// The handler artifact's key in that bucket.
pub const ARTIFACT_KEY: &str = "ArtifactKey";
/// Concurrency reserved for the handler.
pub const RESERVED_CONCURRENCY: &str = "ReservedConcurrency";
/// The regions of the home account's forwarder stacks.
pub const FORWARDER_REGIONS: &str = "ForwarderRegions";
/// The organization whose accounts may forward events.
pub const ORGANIZATION_ID: &str = "OrganizationId";
/// The least severity sent to chat.
pub const CHAT_MIN_SEVERITY: &str = "ChatMinSeverity";
/// A forwarder stack's parameter naming the home stack's forwarding bus.
pub const HOME_BUS_ARN: &str = "HomeBusArn";

/// Every parameter tools set.
pub const ALL: [&str; 8] = [
    ALERT_EMAIL,
    ARTIFACT_BUCKET,
    ARTIFACT_KEY,
    RESERVED_CONCURRENCY,
    FORWARDER_REGIONS,
    ORGANIZATION_ID,
    CHAT_MIN_SEVERITY,
    HOME_BUS_ARN,
];

/// Logical id of the alert key.
pub const ALERT_KEY_RESOURCE: &str = "AlertKey";
/// Logical id of the alert topic.
pub const ALERT_TOPIC_RESOURCE: &str = "AlertTopic";
/// Logical id of the handler function.
pub const HANDLER_RESOURCE: &str = "Handler";
/// Logical id of the state table (when stateful monitors are enabled).
pub const STATE_TABLE_RESOURCE: &str = "StateTable";
