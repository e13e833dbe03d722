//! CloudFormation's own resources.

use serde::Serialize;

use crate::stack::Resource;

/// `AWS::CloudFormation::WaitConditionHandle`: a resource that does nothing,
/// for templates whose other resources may all be left out by conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaitConditionHandle {}

impl Resource for WaitConditionHandle {
    const TYPE: &'static str = "AWS::CloudFormation::WaitConditionHandle";
}
