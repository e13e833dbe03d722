//! KMS keys.

use serde::Serialize;

use super::iam::PolicyDocument;
use crate::stack::Resource;

/// `AWS::KMS::Key`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Key {
    pub description: String,
    pub enable_key_rotation: bool,
    pub key_policy: PolicyDocument,
}

impl Resource for Key {
    const TYPE: &'static str = "AWS::KMS::Key";
}
