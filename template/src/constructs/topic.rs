//! SNS topics encrypted with the key, with publish grants and subscriptions.

use serde_json::json;

use super::{Function, Key};
use crate::intrinsic::{LogicalId, Pseudo, Value};
use crate::resources::iam::{PolicyDocument, Principal, Statement};
use crate::resources::sns;
use crate::stack::Stack;

/// A KMS-encrypted SNS topic.
#[derive(Debug, Clone)]
pub struct Topic {
    pub id: LogicalId,
    key: Key,
}

impl Topic {
    /// Adds the topic, encrypted with `key`.
    pub fn new(stack: &mut Stack, id: &str, display_name: &str, key: &Key) -> Self {
        let topic = sns::Topic {
            display_name: Some(display_name.into()),
            kms_master_key_id: Some(key.arn()),
        };
        Self {
            id: stack.add(id, &topic),
            key: key.clone(),
        }
    }

    /// The topic's ARN (its `Ref`).
    pub fn arn(&self) -> Value {
        self.id.reference()
    }

    /// Lets `function` publish: `sns:Publish` on this topic and use of its key in
    /// the role's policy named `purpose`; a topic policy that refuses publishing
    /// without TLS or by any principal but the function's role and CloudWatch
    /// acting for the alarms matching `alarms` (an ARN pattern).
    pub fn grant_publish(
        &self,
        stack: &mut Stack,
        function: &Function,
        purpose: &str,
        alarms: &Value,
    ) {
        let grant = function.role.attach(
            stack,
            purpose,
            vec![
                Statement::allow(&["sns:Publish"], vec![self.arn()]),
                self.key.use_statement(),
            ],
        );
        // No invocation before the function may publish.
        stack.add_dependency(&function.id, &grant);
        let topic = || vec![self.arn()];
        let policy = sns::TopicPolicy {
            topics: topic(),
            policy_document: PolicyDocument::new(vec![
                Statement::deny(&["sns:Publish"], topic())
                    .sid("DenyPublishWithoutTls")
                    .principal(Principal::Any)
                    .condition(json!({"Bool": {"aws:SecureTransport": "false"}})),
                // Denied unless the caller is the handler's role or the request
                // comes from one of the alarms (aws:SourceArn is set only by AWS
                // services acting for a resource; absent, the test denies).
                Statement::deny(&["sns:Publish"], topic())
                    .sid("DenyPublishByOthers")
                    .principal(Principal::Any)
                    .condition(json!({
                        "ArnNotEquals": {"aws:PrincipalArn": function.role.arn()},
                        "ArnNotLike": {"aws:SourceArn": alarms},
                    })),
                Statement::allow(&["sns:Publish"], topic())
                    .sid("AllowPublishByHandler")
                    .principal(Principal::Aws(function.role.arn())),
                Statement::allow(&["sns:Publish"], topic())
                    .sid("AllowPublishByHealthAlarms")
                    .principal(Principal::Service("cloudwatch.amazonaws.com".into()))
                    .condition(json!({
                        "ArnLike": {"aws:SourceArn": alarms},
                        "StringEquals": {"aws:SourceAccount": Value::Pseudo(Pseudo::AccountId)},
                    })),
            ]),
        };
        stack.add(&format!("{}Policy", self.id.as_str()), &policy);
    }

    /// Subscribes an e-mail address (the owner must confirm it).
    pub fn subscribe_email(&self, stack: &mut Stack, id: &str, address: Value) -> LogicalId {
        let subscription = sns::Subscription {
            topic_arn: self.arn(),
            protocol: "email".into(),
            endpoint: address,
        };
        stack.add(id, &subscription)
    }
}
