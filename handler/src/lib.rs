//! trailwatch alert engine: reads EventBridge `AWS API Call via CloudTrail` events,
//! judges them with the monitor catalog, and publishes alerts.
//!
//! The pipeline is pure up to [`Publisher`]: parse ([`event`]), match the enabled
//! monitors' selectors ([`catalog`], [`selector`]), assess ([`assess`]), build the
//! alert ([`alert`]), render ([`render`]), publish.

pub mod alert;
pub mod assess;
pub mod catalog;
pub mod event;
pub mod publish;
pub mod render;
pub mod selector;
pub mod severity;
mod text;

use serde::Serialize;
use serde_json::value::RawValue;

pub use catalog::Selection;
pub use publish::{PublishError, Publisher, SnsPublisher};
pub use severity::Severity;

/// What the handler did with one event (the Lambda's response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    pub event_id: Option<String>,
    pub monitor: &'static str,
    pub severity: Severity,
    pub subject: String,
}

/// Judges one event and publishes its alert. Every input yields exactly one alert;
/// the only error is a failed publish, which must fail the invocation.
pub async fn handle<P: Publisher>(
    publisher: &P,
    selection: &Selection,
    raw: &RawValue,
) -> Result<Published, PublishError> {
    let alert = alert::judge(raw, selection);
    let published = Published {
        event_id: alert.event_id.clone(),
        monitor: alert.monitor,
        severity: alert.severity,
        subject: String::new(),
    };
    let message = render::render(alert);
    publisher.publish(&message).await?;
    tracing::info!(
        event_id = published.event_id.as_deref().unwrap_or("none"),
        monitor = published.monitor,
        severity = %published.severity,
        "alert published"
    );
    Ok(Published {
        subject: message.subject,
        ..published
    })
}
