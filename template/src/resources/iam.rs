//! IAM roles, policies and policy documents.

use serde::Serialize;
use serde_json::Value as Json;
use serde_with::skip_serializing_none;

use crate::intrinsic::Value;
use crate::stack::Resource;

/// An IAM policy document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: &'static str,
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    /// A document of the current policy language version.
    pub fn new(statement: Vec<Statement>) -> Self {
        Self {
            version: "2012-10-17",
            statement,
        }
    }
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// Who a resource policy statement applies to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Principal {
    /// Every principal (`"*"`), used only with Deny or with a restricting condition.
    #[serde(rename = "*")]
    Any,
    /// An AWS service, such as `lambda.amazonaws.com`.
    Service(Value),
    /// An AWS account or IAM principal ARN.
    #[serde(rename = "AWS")]
    Aws(Value),
}

/// One statement: named actions on named resources.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    #[serde(serialize_with = "principal")]
    pub principal: Option<Principal>,
    pub action: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Value>,
    pub condition: Option<Json>,
}

impl Statement {
    /// Allows `actions` on `resources`.
    pub fn allow(actions: &[&str], resources: Vec<Value>) -> Self {
        Self {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            action: actions.iter().map(|a| (*a).to_owned()).collect(),
            resource: resources,
            condition: None,
        }
    }

    /// Denies `actions` on `resources`.
    pub fn deny(actions: &[&str], resources: Vec<Value>) -> Self {
        Self {
            effect: Effect::Deny,
            ..Self::allow(actions, resources)
        }
    }

    /// Names the statement.
    pub fn sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_owned());
        self
    }

    /// Sets the principal (resource policies only).
    pub fn principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Sets the condition block.
    pub fn condition(mut self, condition: Json) -> Self {
        self.condition = Some(condition);
        self
    }
}

/// `Principal: "*"` is a bare string; the others are one-key objects.
fn principal<S: serde::Serializer>(
    principal: &Option<Principal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match principal {
        Some(Principal::Any) => serializer.serialize_str("*"),
        other => other.serialize(serializer),
    }
}

/// `AWS::IAM::Role`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub assume_role_policy_document: PolicyDocument,
    pub description: Option<String>,
    /// The role's path (`/a/b/`): part of its ARN, so policies elsewhere can
    /// name the roles under it.
    pub path: Option<Value>,
}

impl Resource for Role {
    const TYPE: &'static str = "AWS::IAM::Role";
}

/// `AWS::IAM::Policy`: permissions kept apart from the role, as CDK grants emit them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    pub policy_name: Value,
    pub policy_document: PolicyDocument,
    pub roles: Vec<Value>,
}

impl Resource for Policy {
    const TYPE: &'static str = "AWS::IAM::Policy";
}
