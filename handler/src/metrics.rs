//! Metrics in CloudWatch's embedded metric format: one JSON log line that
//! CloudWatch Logs turns into a metric, with no API call from the function.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use contract::names::{CANARY_RECEIVED_METRIC, METRIC_NAMESPACE};

use crate::alert::Alert;
use crate::canary::Arrival;

/// Metric counting events every finding of which a suppression hid.
pub const SUPPRESSED: &str = "SuppressedEvents";

/// Metric counting chat notifications that could not be published.
pub const CHAT_FAILED: &str = "ChatNotificationsFailed";

/// Metric counting writes to the state table that failed (throttled,
/// unreachable, refused): once-only marks and stateful records are then
/// skipped, never the alert.
pub const STATE_FAILED: &str = "StateWritesFailed";

/// Metric counting alerts a destination besides SNS (Security Hub, a bus)
/// refused or could not take: the alert itself was published.
pub const DESTINATION_FAILED: &str = "DestinationDeliveriesFailed";

/// Counts an alert `destination` did not take.
pub fn destination_failed(destination: &str) {
    count(
        DESTINATION_FAILED,
        json!({"message": "alert not delivered to a destination", "destination": destination}),
    );
}

/// Counts a failed write to the state table.
pub fn state_failed(operation: &str) {
    count(
        STATE_FAILED,
        json!({"message": "state table write failed", "operation": operation}),
    );
}

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

/// Counts an arrived canary under its region, and its account and region
/// (the alarms watch the home account's regions).
pub fn canary_received(arrival: &Arrival) {
    println!("{}", canary_record(arrival));
}

/// The embedded-metric record counting an arrived canary.
pub fn canary_record(arrival: &Arrival) -> serde_json::Value {
    line(
        CANARY_RECEIVED_METRIC,
        json!([["Region"], ["Account", "Region"]]),
        json!({
            "message": "canary received",
            "Region": arrival.region,
            "Account": arrival.account,
        }),
    )
}

/// One embedded-metric log line counting `metric` once per function, with `fields`.
fn count(metric: &str, fields: serde_json::Value) {
    let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into());
    let mut fields = fields;
    if let Some(fields) = fields.as_object_mut() {
        fields.insert("FunctionName".into(), function.into());
    }
    println!("{}", line(metric, json!([["FunctionName"]]), fields));
}

/// The embedded-metric line counting `metric` once under `dimensions`, whose
/// values `fields` holds beside the rest of the record.
fn line(
    metric: &str,
    dimensions: serde_json::Value,
    fields: serde_json::Value,
) -> serde_json::Value {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut line = json!({
        "_aws": {
            "Timestamp": millis,
            "CloudWatchMetrics": [{
                "Namespace": METRIC_NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": [{"Name": metric, "Unit": "Count"}],
            }],
        },
        metric: 1,
    });
    if let (Some(line), Some(fields)) = (line.as_object_mut(), fields.as_object()) {
        line.extend(fields.clone());
    }
    line
}
