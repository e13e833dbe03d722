//! trailwatch's own resources, recognised from the deployment's stack name:
//! the resources CloudFormation creates for a stack are named after it
//! (`<stack>-<LogicalId>-<suffix>`, StackSet instances `StackSet-<name>-...`),
//! and trailwatch names its alarms, log group, bus and schedules after it
//! too. The key has no name: it is recognised by its ARN.

/// The deployment whose resources are trailwatch's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Own {
    stack: Option<String>,
    key_arn: Option<String>,
    organization: Option<String>,
}

impl Own {
    /// The deployment of the stack named `stack`.
    pub fn new(stack: &str) -> Self {
        Self {
            stack: Some(stack.to_owned()),
            key_arn: None,
            organization: None,
        }
    }

    /// Also owns the KMS key with this ARN.
    pub fn with_key(self, arn: &str) -> Self {
        Self {
            key_arn: Some(arn.to_owned()),
            ..self
        }
    }

    /// Also watches the accounts of this organization: policies pinned to it
    /// stay at home.
    pub fn with_organization(self, id: &str) -> Self {
        Self {
            organization: Some(id.to_owned()),
            ..self
        }
    }

    /// The organization of the watched accounts, when known.
    pub fn organization(&self) -> Option<&str> {
        self.organization.as_deref()
    }

    /// The stack name, when the deployment is known.
    pub fn stack(&self) -> Option<&str> {
        self.stack.as_deref()
    }

    /// Whether `resource` (a name, an ARN or a queue URL) is one of
    /// trailwatch's own: a part of it (between `:` and `/`) is the stack's
    /// name, starts with it and a hyphen, or is a StackSet instance's name of
    /// the forwarders; or it is the key, by ARN or id.
    pub fn owns(&self, resource: &str) -> bool {
        let key = self
            .key_arn
            .as_deref()
            .is_some_and(|arn| resource == arn || arn.rsplit('/').next() == Some(resource));
        let Some(stack) = self.stack.as_deref() else {
            return key;
        };
        let named = format!("{stack}-");
        let instance = format!("StackSet-{stack}-forwarder-");
        key || resource
            .split([':', '/'])
            .any(|part| part == stack || part.starts_with(&named) || part.starts_with(&instance))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_named_after_the_stack_are_its_own_and_others_are_not() {
        let own = Own::new("trailwatch").with_key(
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        );
        for ours in [
            "trailwatch-SecurityEventRule1-AbCdEf123456",
            "arn:aws:lambda:us-east-1:111122223333:function:trailwatch-Handler-AbCdEf123456",
            "arn:aws:sns:us-east-1:111122223333:trailwatch-AlertTopic-AbCdEf:5f2c1a6e-1111-2222-3333-444455556666",
            "https://sqs.us-east-1.amazonaws.com/111122223333/trailwatch-DeadLetterQueue-AbCdEf",
            "/trailwatch/trailwatch/handler",
            "trailwatch-health-dead-letters",
            "trailwatch-forwarder",
            "arn:aws:cloudformation:us-east-1:111122223333:stack/trailwatch/0a1b2c3d",
            "StackSet-trailwatch-forwarder-0a1b2c3d-ForwardEventRule1-XyZ",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ] {
            assert!(own.owns(ours), "{ours}");
        }
        for theirs in [
            "prod-api-Handler-AbCdEf",
            "trailwatchdog-Handler-AbCdEf",
            "arn:aws:kms:us-east-1:111122223333:key/99999999-12ab-34cd-56ef-1234567890ab",
            "/aws/lambda/orders",
            "",
        ] {
            assert!(!own.owns(theirs), "{theirs}");
        }
    }

    #[test]
    fn an_unknown_deployment_owns_nothing() {
        assert!(!Own::default().owns("trailwatch-Handler-AbCdEf"));
    }
}
