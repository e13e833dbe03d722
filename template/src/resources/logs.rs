//! CloudWatch Logs log groups.

use serde::Serialize;

use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::Logs::LogGroup`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    pub log_group_name: Value,
    pub retention_in_days: u32,
    pub kms_key_id: Value,
}

impl Resource for LogGroup {
    const TYPE: &'static str = "AWS::Logs::LogGroup";
}
