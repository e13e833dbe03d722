//! The Lambda entry point: wires `lambda_runtime` and SNS to the alert engine.

use std::path::PathBuf;

use aws_config::BehaviorVersion;
use contract::{WebhookKind, env};
use handler::accounts::AccountNames;
use handler::batch::{self, BatchResponse, SqsBatch};
use handler::destinations::security_hub::Regions;
use handler::destinations::{Bus, Destinations, SecurityHub};
use handler::publish::ChatTargets;
use handler::render::Format;
use handler::state::{DynamoStore, Store};
use handler::tuning::SETTINGS_FILE;
use handler::webhook::{Secret, Webhook};
use handler::{Context, Detection, Handled, Severity, SnsPublisher, handle};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let topic_arn = std::env::var(env::TOPIC_ARN).map_err(|_| {
        format!(
            "environment variable {} (the alert topic ARN) is not set",
            env::TOPIC_ARN
        )
    })?;
    let mut detection = Detection::load(&settings_path())?;
    if let Ok(key) = std::env::var(env::KEY_ARN) {
        detection = detection.with_key(&key);
    }
    if let Ok(id) = std::env::var(env::ORGANIZATION_ID).map(|id| id.trim().to_owned())
        && !id.is_empty()
    {
        detection = detection.with_organization(&id);
    }
    let digest_queue = std::env::var(env::DIGEST_QUEUE_URL).ok();
    if detection.digest.is_some() && digest_queue.is_none() {
        return Err(format!(
            "digests are configured but {} is not set",
            env::DIGEST_QUEUE_URL
        )
        .into());
    }
    // One client for the life of the execution environment, never one per event.
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let mut publisher = SnsPublisher::new(aws_sdk_sns::Client::new(&config), topic_arn);
    if let Some(url) = digest_queue {
        publisher = publisher.with_digest_queue(aws_sdk_sqs::Client::new(&config), url);
    }
    if let Some((targets, threshold)) = chat(&config)? {
        publisher = publisher.with_chat(targets, threshold);
    }
    publisher = publisher
        .with_format(format()?)
        .with_destinations(destinations(&config)?);
    let context = Context {
        accounts: match std::env::var(env::ORGANIZATION_ID) {
            Ok(id) if !id.is_empty() => {
                AccountNames::from_organizations(aws_sdk_organizations::Client::new(&config))
            }
            _ => AccountNames::default(),
        },
        state: state_table(&config),
        ..Context::default()
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<Box<RawValue>>| {
        let (publisher, detection, context) = (&publisher, &detection, &context);
        async move {
            let today = time::OffsetDateTime::now_utc().date();
            // Only the digest queue delivers SQS batches.
            let batch = detection
                .digest
                .and_then(|_| SqsBatch::read(&event.payload));
            match batch {
                Some(batch) => {
                    let deadline = deadline(event.context.deadline);
                    Ok(Response::Batch(
                        batch::handle(publisher, detection, context, batch, today, deadline).await,
                    ))
                }
                None => handle(publisher, detection, context, &event.payload, today)
                    .await
                    .map(Response::Event),
            }
        }
    }))
    .await
}

/// The chat destinations and the least severity sent there, when the
/// template set any.
fn chat(config: &aws_config::SdkConfig) -> Result<Option<(ChatTargets, Severity)>, Error> {
    let topic_arn = std::env::var(env::CHAT_TOPIC_ARN).ok();
    let webhook = match std::env::var(env::WEBHOOK_SECRET_ARN) {
        Ok(id) => {
            let kind = std::env::var(env::WEBHOOK_KIND).unwrap_or_default();
            let kind = WebhookKind::parse(&kind)
                .ok_or_else(|| format!("{} {kind:?} is not slack or teams", env::WEBHOOK_KIND))?;
            let secret = Secret {
                client: aws_sdk_secretsmanager::Client::new(config),
                id,
            };
            Some(Webhook::new(kind, secret)?)
        }
        Err(_) => None,
    };
    if topic_arn.is_none() && webhook.is_none() {
        return Ok(None);
    }
    let threshold = std::env::var(env::CHAT_MIN_SEVERITY).unwrap_or_default();
    let threshold =
        serde_json::from_value(serde_json::Value::String(threshold.clone())).map_err(|_| {
            format!(
                "{} {threshold:?} is not a severity (INFO, LOW, MEDIUM, HIGH, CRITICAL)",
                env::CHAT_MIN_SEVERITY
            )
        })?;
    Ok(Some((ChatTargets { topic_arn, webhook }, threshold)))
}

/// What SNS's machine bodies carry, as the template set it.
fn format() -> Result<Format, Error> {
    match std::env::var(env::ALERT_FORMAT).as_deref() {
        Err(_) | Ok("") => Ok(Format::Alert),
        Ok(env::OCSF_FORMAT) => Ok(Format::Ocsf),
        Ok(other) => Err(format!(
            "{} {other:?} is not {:?} (or unset, for the alert document)",
            env::ALERT_FORMAT,
            env::OCSF_FORMAT
        )
        .into()),
    }
}

/// Security Hub and the alert bus, when the template set them. Their calls
/// get a deadline of their own: each runs beside the SNS publish, and a slow
/// one must not hold the invocation.
fn destinations(config: &aws_config::SdkConfig) -> Result<Destinations, Error> {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(std::time::Duration::from_secs(3))
        .build();
    let config = config.to_builder().timeout_config(timeouts).build();
    let security_hub = match std::env::var(env::SECURITY_HUB_PRODUCT) {
        Ok(home) if !home.trim().is_empty() => {
            let regions = std::env::var(env::SECURITY_HUB_REGIONS).unwrap_or_default();
            let hub_config = aws_sdk_securityhub::config::Builder::from(&config).build();
            let hub = SecurityHub::new(hub_config, &home, Regions::parse(&regions))
                .map_err(|why| format!("{}: {why}", env::SECURITY_HUB_PRODUCT))?;
            Some(hub)
        }
        _ => None,
    };
    let bus = std::env::var(env::ALERT_BUS)
        .ok()
        .filter(|bus| !bus.trim().is_empty())
        .map(|bus| Bus::new(aws_sdk_eventbridge::Client::new(&config), bus));
    Ok(Destinations { security_hub, bus })
}

/// The state table, when the template made one. Its calls get a short
/// deadline: the table is best effort, and a slow one must not hold the
/// alert back for long.
fn state_table(config: &aws_config::SdkConfig) -> Option<Store> {
    let table = std::env::var(env::STATE_TABLE)
        .ok()
        .filter(|t| !t.is_empty())?;
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_timeout(std::time::Duration::from_secs(2))
        .build();
    let config = aws_sdk_dynamodb::config::Builder::from(config)
        .timeout_config(timeouts)
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    Some(Store::DynamoDb(DynamoStore::new(client, table)))
}

/// The invocation's deadline (Lambda gives milliseconds since the epoch) on
/// the monotonic clock.
fn deadline(epoch_millis: u64) -> tokio::time::Instant {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let left = std::time::Duration::from_millis(epoch_millis).saturating_sub(now);
    tokio::time::Instant::now() + left
}

/// What an invocation returns: one event's outcome, or a batch's failures.
#[derive(Serialize)]
#[serde(untagged)]
enum Response {
    Event(Handled),
    Batch(BatchResponse),
}

/// The settings shipped in the zip beside `bootstrap` (Lambda's `LAMBDA_TASK_ROOT`).
fn settings_path() -> PathBuf {
    std::env::var_os("LAMBDA_TASK_ROOT")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(SETTINGS_FILE)
}
