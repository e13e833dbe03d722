//! SQS queues and their policies.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::iam::PolicyDocument;
use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::SQS::Queue`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Queue {
    /// A customer-managed key; `None` with `sqs_managed_sse_enabled` for SQS-owned keys.
    pub kms_master_key_id: Option<Value>,
    pub kms_data_key_reuse_period_seconds: Option<u32>,
    pub sqs_managed_sse_enabled: Option<bool>,
    pub message_retention_period: u32,
    pub visibility_timeout: Option<u32>,
    pub redrive_policy: Option<RedrivePolicy>,
}

/// Where messages received too often go.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: Value,
    pub max_receive_count: u32,
}

impl Resource for Queue {
    const TYPE: &'static str = "AWS::SQS::Queue";
}

/// `AWS::SQS::QueuePolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueuePolicy {
    pub queues: Vec<Value>,
    pub policy_document: PolicyDocument,
}

impl Resource for QueuePolicy {
    const TYPE: &'static str = "AWS::SQS::QueuePolicy";
}
