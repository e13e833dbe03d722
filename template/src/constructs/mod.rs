//! L2 constructs: resources with intent, and CDK-like verbs that hide the IAM and
//! permission plumbing (`grant_publish`, `add_target`, `dead_letter`).

mod bus;
mod function;
mod key;
mod queue;
mod role;
mod rule;
mod table;
mod topic;

pub use bus::Bus;
pub use function::{Function, FunctionProps};
pub use key::Key;
pub use queue::Queue;
pub use role::Role;
pub use rule::Rule;
pub use table::StateTable;
pub use topic::Topic;

use crate::intrinsic::Value;
use crate::resources::events::RetryPolicy;

/// EventBridge's longest retry: 185 attempts over 24 hours.
const RETRY_FOR_A_DAY: RetryPolicy = RetryPolicy {
    maximum_retry_attempts: 185,
    maximum_event_age_in_seconds: 86_400,
};

/// Actions a principal needs to use a KMS key for encrypting messages.
const KMS_USE: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];

/// Every EventBridge rule of the stack's account and region, on any bus.
fn rules_of_account() -> Value {
    Value::sub("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*")
}

fn account_root() -> Value {
    Value::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
}
