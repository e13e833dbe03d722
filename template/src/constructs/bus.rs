//! Custom EventBridge buses and who may put events on them.

use serde_json::json;

use super::account_root;
use crate::intrinsic::{LogicalId, Value};
use crate::resources::events::{self};
use crate::resources::iam::{Principal, Statement};
use crate::stack::Stack;

/// A custom EventBridge bus.
#[derive(Debug, Clone)]
pub struct Bus {
    pub id: LogicalId,
}

impl Bus {
    /// Adds the bus named `name`.
    pub fn new(stack: &mut Stack, id: &str, name: Value) -> Self {
        Self {
            id: stack.add(id, &events::EventBus { name }),
        }
    }

    /// The bus's name (`Fn::GetAtt Name`, equal to its `Ref`; the emulator
    /// resolves only this one to the name).
    pub fn name(&self) -> Value {
        self.id.get_att("Name")
    }

    /// The bus's ARN.
    pub fn arn(&self) -> Value {
        self.id.get_att("Arn")
    }

    /// Lets the forwarders put events on the bus: the roles matching
    /// `forwarder_roles` (an ARN pattern whose account part is `*`) in this
    /// account and, when `admits` holds, in the accounts of the organization
    /// named by the `organization` parameter (through `aws:PrincipalOrgID`).
    ///
    /// EventBridge's guide to sending events between buses
    /// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html)
    /// has the receiving bus allow the sender in its resource policy; its
    /// cross-region page leaves that step out. Both forms accept a statement
    /// naming the sending roles, so this account's own forwarders are named
    /// too, not left to IAM alone.
    pub fn admit_forwarders(
        &self,
        stack: &mut Stack,
        forwarder_roles: &str,
        organization: &LogicalId,
        admits: &LogicalId,
    ) {
        let roles_in = |account: &str| {
            Value::sub(format!(
                "arn:${{AWS::Partition}}:iam::{account}:role{forwarder_roles}*"
            ))
        };
        let account = Statement::allow(&["events:PutEvents"], vec![self.arn()])
            .principal(Principal::Aws(account_root()))
            .condition(json!({"ArnLike": {"aws:PrincipalArn": roles_in("${AWS::AccountId}")}}));
        self.add_policy(stack, "Account", "TrailwatchAccountForwarders", account);
        let statement = Statement::allow(&["events:PutEvents"], vec![self.arn()])
            .principal(Principal::Any)
            .condition(json!({
                "StringEquals": {"aws:PrincipalOrgID": organization.reference()},
                "ArnLike": {"aws:PrincipalArn": roles_in("*")},
            }));
        let id = self.add_policy(stack, "", "TrailwatchOrganizationForwarders", statement);
        stack.set_condition(&id, admits);
    }

    fn add_policy(
        &self,
        stack: &mut Stack,
        id_suffix: &str,
        statement_id: &str,
        statement: Statement,
    ) -> LogicalId {
        let policy = events::EventBusPolicy {
            event_bus_name: self.name(),
            statement_id: statement_id.into(),
            statement,
        };
        stack.add(&format!("{}{id_suffix}Policy", self.id.as_str()), &policy)
    }
}
