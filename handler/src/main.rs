//! The Lambda entry point: wires `lambda_runtime` and SNS to the alert engine.

use aws_config::BehaviorVersion;
use handler::{Selection, SnsPublisher, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::value::RawValue;

/// Environment variable holding the alert topic's ARN (set by the template).
const TOPIC_ARN_VAR: &str = "TOPIC_ARN";
/// Environment variable listing the enabled monitor ids, comma-separated (set by the template).
const MONITORS_VAR: &str = "MONITORS";

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let topic_arn = std::env::var(TOPIC_ARN_VAR).map_err(|_| {
        format!("environment variable {TOPIC_ARN_VAR} (the alert topic ARN) is not set")
    })?;
    let monitors = std::env::var(MONITORS_VAR).map_err(|_| {
        format!("environment variable {MONITORS_VAR} (the enabled monitor ids) is not set")
    })?;
    let selection = Selection::parse(&monitors).map_err(|e| format!("{MONITORS_VAR}: {e}"))?;
    // One client for the life of the execution environment, never one per event.
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let publisher = SnsPublisher::new(aws_sdk_sns::Client::new(&config), topic_arn);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| {
        let (publisher, selection) = (&publisher, &selection);
        async move {
            handle(publisher, selection, &event.payload)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
