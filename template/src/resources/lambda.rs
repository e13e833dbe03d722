//! Lambda functions, permissions and asynchronous invocation settings.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::Lambda::Function`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Function {
    pub description: Option<String>,
    pub runtime: String,
    pub handler: String,
    pub architectures: Vec<String>,
    pub memory_size: u32,
    pub timeout: u32,
    pub reserved_concurrent_executions: Option<Value>,
    pub role: Value,
    pub code: Code,
    pub environment: Option<Environment>,
    pub logging_config: Option<LoggingConfig>,
}

impl Resource for Function {
    const TYPE: &'static str = "AWS::Lambda::Function";
}

/// Code from an S3 object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Code {
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Value,
    #[serde(rename = "S3Key")]
    pub s3_key: Value,
}

/// Environment variables.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Environment {
    pub variables: BTreeMap<String, Value>,
}

/// Where and how the function logs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    pub log_format: String,
    pub log_group: Value,
}

/// `AWS::Lambda::Permission`: a service may invoke the function on behalf of
/// one resource (`SourceArn`). There is no `SourceAccount`: EventBridge's
/// troubleshooting guide ("My rule ran but my Lambda function wasn't
/// invoked", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html)
/// shows the permission with `SourceArn` alone, and a `SourceAccount` there is
/// reported to make EventBridge's invocations fail silently
/// (awsdocs/aws-cloudformation-user-guide#481). The rule's ARN already names
/// the account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Permission {
    pub action: String,
    pub function_name: Value,
    pub principal: String,
    pub source_arn: Value,
}

impl Resource for Permission {
    const TYPE: &'static str = "AWS::Lambda::Permission";
}

/// `AWS::Lambda::EventInvokeConfig`: retries and the on-failure destination.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeConfig {
    pub function_name: Value,
    pub qualifier: String,
    pub maximum_retry_attempts: u32,
    pub maximum_event_age_in_seconds: u32,
    pub destination_config: DestinationConfig,
}

impl Resource for EventInvokeConfig {
    const TYPE: &'static str = "AWS::Lambda::EventInvokeConfig";
}

/// Destinations of asynchronous invocations.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationConfig {
    pub on_failure: OnFailure,
}

/// Where failed asynchronous invocations go.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnFailure {
    pub destination: Value,
}

/// `AWS::Lambda::EventSourceMapping`: the function consumes an SQS queue in batches.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventSourceMapping {
    pub event_source_arn: Value,
    pub function_name: Value,
    pub batch_size: u32,
    pub maximum_batching_window_in_seconds: u32,
    /// `ReportBatchItemFailures`: only the failed messages return to the queue.
    pub function_response_types: Vec<String>,
}

impl Resource for EventSourceMapping {
    const TYPE: &'static str = "AWS::Lambda::EventSourceMapping";
}
