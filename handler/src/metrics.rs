//! Metrics in CloudWatch's embedded metric format: one JSON log line that
//! CloudWatch Logs turns into a metric, with no API call from the function.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::alert::Alert;

/// Namespace of trailwatch's metrics.
pub const NAMESPACE: &str = "trailwatch";
/// Metric counting events every finding of which a suppression hid.
pub const SUPPRESSED: &str = "SuppressedEvents";

/// Metric counting chat notifications that could not be published.
pub const CHAT_FAILED: &str = "ChatNotificationsFailed";

/// Logs a suppressed event (structured, with the reason) and counts it.
pub fn suppressed(alert: &Alert<'_>, reason: &str) {
    count(
        SUPPRESSED,
        json!({
            "message": "event suppressed",
            "event_id": alert.event_id,
            "monitor": alert.monitor,
            "severity": alert.severity,
            "reason": reason,
        }),
    );
}

/// Counts a chat notification that could not be published.
pub fn chat_failed() {
    count(
        CHAT_FAILED,
        json!({"message": "chat notification not published"}),
    );
}

/// One embedded-metric log line counting `metric` once, with `fields`.
fn count(metric: &str, fields: serde_json::Value) {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into());
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut line = json!({
        "_aws": {
            "Timestamp": millis,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName"]],
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        "FunctionName": function,
        metric: 1,
    });
    if let (Some(line), Some(fields)) = (line.as_object_mut(), fields.as_object()) {
        line.extend(fields.clone());
    }
    println!("{line}");
}
