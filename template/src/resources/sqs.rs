//! SQS queues and their policies.

use serde::Serialize;

use super::iam::PolicyDocument;
use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::SQS::Queue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Queue {
    pub kms_master_key_id: Value,
    pub kms_data_key_reuse_period_seconds: u32,
    pub message_retention_period: u32,
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
