//! CloudWatch alarms.

use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::CloudWatch::Alarm` on one metric.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alarm {
    pub alarm_name: Value,
    pub alarm_description: Value,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<Dimension>,
    pub statistic: String,
    pub period: u32,
    pub evaluation_periods: u32,
    pub threshold: u32,
    pub comparison_operator: String,
    pub treat_missing_data: String,
    /// Where CloudWatch itself notifies on ALARM (none: the EventBridge path only).
    pub alarm_actions: Option<Vec<Value>>,
}

impl Resource for Alarm {
    const TYPE: &'static str = "AWS::CloudWatch::Alarm";
}

/// One metric dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    pub name: String,
    pub value: Value,
}
