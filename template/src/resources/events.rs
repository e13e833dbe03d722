//! EventBridge rules.

use serde::Serialize;
use serde_json::Value as Json;
use serde_with::skip_serializing_none;

use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::Events::Rule`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub description: Option<String>,
    pub event_pattern: Json,
    pub state: String,
    pub targets: Vec<Target>,
}

impl Resource for Rule {
    const TYPE: &'static str = "AWS::Events::Rule";
}

/// One rule target, with retries and a dead-letter queue for undeliverable events.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    pub id: String,
    pub arn: Value,
    pub retry_policy: Option<RetryPolicy>,
    pub dead_letter_config: Option<DeadLetterConfig>,
}

/// How long and how often EventBridge retries a failed delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPolicy {
    pub maximum_retry_attempts: u32,
    pub maximum_event_age_in_seconds: u32,
}

/// Where EventBridge sends events it could not deliver.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig {
    pub arn: Value,
}
