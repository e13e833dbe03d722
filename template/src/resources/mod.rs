//! L1 constructs: one typed struct per CloudFormation resource type, serialised
//! with CloudFormation's PascalCase names; `None` options are left out.

pub mod cloudformation;
pub mod cloudwatch;
pub mod dynamodb;
pub mod events;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod s3;
pub mod scheduler;
pub mod sns;
pub mod sqs;
