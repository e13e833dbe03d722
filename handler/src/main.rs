//! The Lambda entry point: wires `lambda_runtime` and SNS to the alert engine.

use std::path::PathBuf;

use aws_config::BehaviorVersion;
use handler::tuning::SETTINGS_FILE;
use handler::{Detection, SnsPublisher, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::value::RawValue;

/// Environment variable holding the alert topic's ARN (set by the template).
const TOPIC_ARN_VAR: &str = "TOPIC_ARN";
/// Environment variable naming the settings file; by default the one shipped
/// in the zip beside `bootstrap` (Lambda's `LAMBDA_TASK_ROOT`).
const SETTINGS_VAR: &str = "TRAILWATCH_SETTINGS";

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let topic_arn = std::env::var(TOPIC_ARN_VAR).map_err(|_| {
        format!("environment variable {TOPIC_ARN_VAR} (the alert topic ARN) is not set")
    })?;
    let detection = Detection::load(&settings_path())?;
    // One client for the life of the execution environment, never one per event.
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let publisher = SnsPublisher::new(aws_sdk_sns::Client::new(&config), topic_arn);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| {
        let (publisher, detection) = (&publisher, &detection);
        async move {
            let today = time::OffsetDateTime::now_utc().date();
            handle(publisher, detection, &event.payload, today)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}

fn settings_path() -> PathBuf {
    match std::env::var_os(SETTINGS_VAR) {
        Some(path) => PathBuf::from(path),
        None => std::env::var_os("LAMBDA_TASK_ROOT")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(SETTINGS_FILE),
    }
}
