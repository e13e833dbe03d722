//! Checks of the rendered templates beyond cfn-lint and checkov: cfn-guard
//! rules, and IAM policies resolved for parliament.

pub mod guard;
pub mod policies;
