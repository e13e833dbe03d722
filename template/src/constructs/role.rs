//! IAM roles assumed by a service, with inline policies.

use crate::intrinsic::{LogicalId, Value};
use crate::resources::iam::{self, PolicyDocument, Principal, Statement};
use crate::stack::Stack;

/// An IAM role a service assumes.
#[derive(Debug, Clone)]
pub struct Role {
    pub id: LogicalId,
}

impl Role {
    /// Adds a role that `service` (such as `lambda.amazonaws.com`) may assume;
    /// `condition`, when given, limits who may make it do so.
    pub fn new(
        stack: &mut Stack,
        id: &str,
        service: &str,
        description: String,
        condition: Option<serde_json::Value>,
    ) -> Self {
        Self::at_path(stack, id, service, description, condition, None)
    }

    /// [`Role::new`], under `path` (`/a/b/`) when given.
    pub fn at_path(
        stack: &mut Stack,
        id: &str,
        service: &str,
        description: String,
        condition: Option<serde_json::Value>,
        path: Option<Value>,
    ) -> Self {
        let mut trust = Statement::allow(&["sts:AssumeRole"], Vec::new())
            .principal(Principal::Service(service.into()));
        if let Some(condition) = condition {
            trust = trust.condition(condition);
        }
        let role = iam::Role {
            assume_role_policy_document: PolicyDocument::new(vec![trust]),
            description: Some(description),
            path,
        };
        Self {
            id: stack.add(id, &role),
        }
    }

    /// Attaches a separate `AWS::IAM::Policy` named `{role}{purpose}Policy`.
    pub fn attach(
        &self,
        stack: &mut Stack,
        purpose: &str,
        statements: Vec<Statement>,
    ) -> LogicalId {
        let id = format!("{}{purpose}Policy", self.id.as_str());
        let policy = iam::Policy {
            // Unique per role is enough; a name from the stack name could
            // overflow IAM's 128 characters.
            policy_name: Value::from(purpose),
            policy_document: PolicyDocument::new(statements),
            roles: vec![self.id.reference()],
        };
        stack.add(&id, &policy)
    }

    /// The role's ARN.
    pub fn arn(&self) -> Value {
        self.id.get_att("Arn")
    }
}
