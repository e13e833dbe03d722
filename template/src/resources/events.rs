//! EventBridge buses, their policies, and rules.

use serde::Serialize;
use serde_json::Value as Json;
use serde_with::skip_serializing_none;

use super::iam::Statement;
use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::Events::Rule`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub description: Option<String>,
    /// The bus the rule listens on; the account's default bus when `None`.
    pub event_bus_name: Option<Value>,
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
    /// The role EventBridge assumes to deliver (needed for an event bus target).
    pub role_arn: Option<Value>,
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

/// `AWS::Events::EventBus`: a custom bus.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventBus {
    pub name: Value,
}

impl Resource for EventBus {
    const TYPE: &'static str = "AWS::Events::EventBus";
}

/// `AWS::Events::EventBusPolicy`: one statement of a bus's resource policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventBusPolicy {
    pub event_bus_name: Value,
    pub statement_id: String,
    pub statement: Statement,
}

impl Resource for EventBusPolicy {
    const TYPE: &'static str = "AWS::Events::EventBusPolicy";
}
