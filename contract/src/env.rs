//! The handler's environment variables, set by the template on the function.

/// The alert topic's ARN (always set).
pub const TOPIC_ARN: &str = "TOPIC_ARN";
/// The alert key's ARN (always set): the handler recognises its own key by it.
pub const KEY_ARN: &str = "KEY_ARN";
/// The digest queue's URL, when digests are configured.
pub const DIGEST_QUEUE_URL: &str = "DIGEST_QUEUE_URL";
/// The organization whose account names alerts carry, when forwarding (empty for none).
pub const ORGANIZATION_ID: &str = "ORGANIZATION_ID";
/// The chat topic's ARN (Amazon Q Developer in chat applications), when configured.
pub const CHAT_TOPIC_ARN: &str = "CHAT_TOPIC_ARN";
/// The least severity sent to chat, when chat is configured.
pub const CHAT_MIN_SEVERITY: &str = "CHAT_MIN_SEVERITY";
/// The Secrets Manager secret holding a direct webhook's URL.
pub const WEBHOOK_SECRET_ARN: &str = "WEBHOOK_SECRET_ARN";
/// The webhook's application (a [`crate::WebhookKind`] name).
pub const WEBHOOK_KIND: &str = "WEBHOOK_KIND";

/// The state table's name, when stateful monitors are enabled.
pub const STATE_TABLE: &str = "STATE_TABLE";

/// Security Hub's default product ARN in the home region, when
/// `[securityhub]` is enabled.
pub const SECURITY_HUB_PRODUCT: &str = "SECURITY_HUB_PRODUCT";
/// The other regions whose events' findings are imported in their own
/// region, comma-separated, or [`ANY_REGION`]; the rest go home.
pub const SECURITY_HUB_REGIONS: &str = "SECURITY_HUB_REGIONS";
/// Every region the handler receives events from.
pub const ANY_REGION: &str = "*";
/// The EventBridge bus (name or ARN) alerts are put on, when configured.
pub const ALERT_BUS: &str = "ALERT_BUS";
/// What SNS's machine bodies carry: `ocsf` for OCSF Detection Findings,
/// unset for the alert document.
pub const ALERT_FORMAT: &str = "ALERT_FORMAT";
/// The [`ALERT_FORMAT`] of OCSF findings.
pub const OCSF_FORMAT: &str = "ocsf";

/// Every variable the template may set.
pub const ALL: [&str; 13] = [
    TOPIC_ARN,
    KEY_ARN,
    DIGEST_QUEUE_URL,
    ORGANIZATION_ID,
    CHAT_TOPIC_ARN,
    CHAT_MIN_SEVERITY,
    WEBHOOK_SECRET_ARN,
    WEBHOOK_KIND,
    STATE_TABLE,
    SECURITY_HUB_PRODUCT,
    SECURITY_HUB_REGIONS,
    ALERT_BUS,
    ALERT_FORMAT,
];
