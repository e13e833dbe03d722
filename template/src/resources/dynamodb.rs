//! DynamoDB tables.

use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::DynamoDB::Table`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Table {
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub key_schema: Vec<KeySchema>,
    /// `PAY_PER_REQUEST` (on demand) or `PROVISIONED`.
    pub billing_mode: String,
    #[serde(rename = "SSESpecification")]
    pub sse_specification: SseSpecification,
    pub time_to_live_specification: TimeToLiveSpecification,
    pub point_in_time_recovery_specification: PointInTimeRecoverySpecification,
    pub deletion_protection_enabled: Option<bool>,
}

/// One key attribute's name and type (`S`, `N` or `B`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: String,
}

/// One key attribute's role (`HASH` or `RANGE`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchema {
    pub attribute_name: String,
    pub key_type: String,
}

/// Encryption at rest: `SSEType` `KMS` with a customer-managed key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SseSpecification {
    #[serde(rename = "SSEEnabled")]
    pub sse_enabled: bool,
    #[serde(rename = "SSEType")]
    pub sse_type: String,
    #[serde(rename = "KMSMasterKeyId")]
    pub kms_master_key_id: Value,
}

/// The attribute whose epoch-seconds value expires an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveSpecification {
    pub attribute_name: String,
    pub enabled: bool,
}

/// Continuous backups.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    pub point_in_time_recovery_enabled: bool,
}

impl Resource for Table {
    const TYPE: &'static str = "AWS::DynamoDB::Table";
}
