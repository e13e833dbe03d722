//! EventBridge Scheduler schedules.

use serde::Serialize;

use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::Scheduler::Schedule`: calls one target on a schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Schedule {
    pub description: String,
    pub schedule_expression: String,
    pub flexible_time_window: FlexibleTimeWindow,
    pub state: String,
    pub target: ScheduleTarget,
}

impl Resource for Schedule {
    const TYPE: &'static str = "AWS::Scheduler::Schedule";
}

/// Whether the schedule may run late to spread load (`OFF`: on time).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlexibleTimeWindow {
    pub mode: String,
}

/// What the schedule calls: a universal target (`arn:aws:scheduler:::aws-sdk:service:apiAction`)
/// with its request as `Input`, as `role_arn`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleTarget {
    pub arn: Value,
    pub role_arn: Value,
    pub input: Value,
    pub retry_policy: ScheduleRetryPolicy,
}

/// How long and how often the schedule retries a failed call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleRetryPolicy {
    pub maximum_retry_attempts: u32,
    pub maximum_event_age_in_seconds: u32,
}
