//! SNS topics, their policies and subscriptions.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::iam::PolicyDocument;
use crate::intrinsic::Value;
use crate::stack::Resource;

/// `AWS::SNS::Topic`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Topic {
    pub display_name: Option<String>,
    pub kms_master_key_id: Option<Value>,
}

impl Resource for Topic {
    const TYPE: &'static str = "AWS::SNS::Topic";
}

/// `AWS::SNS::TopicPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicPolicy {
    pub topics: Vec<Value>,
    pub policy_document: PolicyDocument,
}

impl Resource for TopicPolicy {
    const TYPE: &'static str = "AWS::SNS::TopicPolicy";
}

/// `AWS::SNS::Subscription`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subscription {
    pub topic_arn: Value,
    pub protocol: String,
    pub endpoint: Value,
}

impl Resource for Subscription {
    const TYPE: &'static str = "AWS::SNS::Subscription";
}
