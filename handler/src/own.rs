//! trailwatch's own resources, and the canary that proves their path.
//!
//! Own resources are recognised from the deployment's stack name: the
//! resources CloudFormation creates for a stack are named after it
//! (`<stack>-<LogicalId>-<suffix>`, StackSet instances `StackSet-<name>-...`),
//! and trailwatch names its alarms, log group, bus and schedules after it
//! too. The key has no name: it is recognised by its ARN.
//!
//! The canary is one harmless call EventBridge Scheduler makes every few hours
//! in every watched region: it removes a tag that was never set from one of
//! trailwatch's own alarms. Its CloudTrail event takes the whole path
//! (CloudTrail, EventBridge, a rule, the handler), which records it instead of
//! alerting. Only that exact call is recognised: the one call, on the one
//! alarm, removing the one tag, made by a canary role of this deployment in
//! the account and region it was made in, and successful. An event of any
//! other shape is judged like every other.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::event::Event;
use crate::health::{ALARM_INFIX, FORWARDING_BUS_SUFFIX};
use crate::selector::API_CALL;

/// What a canary's arrival is recorded as.
pub const CANARY_MONITOR: &str = "trailwatch-canary";
/// The service the canary calls (CloudWatch, as CloudTrail names it).
pub const CANARY_EVENT_SOURCE: &str = "monitoring.amazonaws.com";
/// EventBridge source of the canary's event.
pub const CANARY_SOURCE: &str = "aws.monitoring";
/// The call: `cloudwatch:UntagResource`, which changes nothing when the tag
/// is absent.
pub const CANARY_EVENT_NAME: &str = "UntagResource";
/// The tag the canary removes; trailwatch never sets it.
pub const CANARY_TAG_KEY: &str = "trailwatch-canary";
/// The path of every canary role starts with this, then the home bus's name.
pub const CANARY_ROLE_PATH_PREFIX: &str = "/trailwatch-canary/";
/// The alarm the canary untags, after the health prefix (`<stack>-health-`,
/// or `<stack>-forwarded-health-` in a forwarder).
pub const CANARY_ALARM: &str = "dead-letters";

/// The deployment whose resources are trailwatch's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Own {
    stack: Option<String>,
    key_arn: Option<String>,
}

/// Where a canary was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Arrival {
    pub account: String,
    pub region: String,
}

/// The canary's request, as CloudTrail records it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CanaryRequest {
    #[serde(rename = "resourceARN")]
    resource_arn: String,
    tag_keys: Vec<String>,
}

impl Own {
    /// The deployment of the stack named `stack`.
    pub fn new(stack: &str) -> Self {
        Self {
            stack: Some(stack.to_owned()),
            key_arn: None,
        }
    }

    /// Also owns the KMS key with this ARN.
    pub fn with_key(self, arn: &str) -> Self {
        Self {
            key_arn: Some(arn.to_owned()),
            ..self
        }
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

    /// Where the canary in `event` was made, when `event` is exactly this
    /// deployment's canary call.
    pub fn canary(&self, event: &Event<'_>) -> Option<Arrival> {
        let stack = self.stack.as_deref()?;
        let record = &event.record;
        let shaped = event.envelope.source.as_deref() == Some(CANARY_SOURCE)
            && event.envelope.detail_type.as_deref() == Some(API_CALL)
            && record.event_source.as_deref() == Some(CANARY_EVENT_SOURCE)
            && record.event_name.as_deref() == Some(CANARY_EVENT_NAME)
            && record.error_code.is_none();
        if !shaped {
            return None;
        }
        let account = record.recipient_account_id.as_deref()?;
        let region = record.aws_region.as_deref()?;
        let identity = &record.user_identity;
        let issuer = identity
            .session_context
            .as_ref()?
            .session_issuer
            .as_ref()?
            .arn
            .as_deref()?;
        let partition = canary_role_partition(issuer, account, stack)?;
        let request: CanaryRequest = serde_json::from_str(record.request_parameters?.get()).ok()?;
        let alarm = |prefix: &str| {
            format!(
                "arn:{partition}:cloudwatch:{region}:{account}:alarm:{prefix}{ALARM_INFIX}{CANARY_ALARM}"
            )
        };
        let alarms = [
            alarm(stack),
            alarm(&format!("{stack}{FORWARDING_BUS_SUFFIX}")),
        ];
        let exact = identity.kind.as_deref() == Some("AssumedRole")
            && identity.account_id.as_deref() == Some(account)
            && alarms.contains(&request.resource_arn)
            && request.tag_keys == [CANARY_TAG_KEY];
        exact.then(|| Arrival {
            account: account.to_owned(),
            region: region.to_owned(),
        })
    }
}

/// The pattern selecting the canary calls on the alarms whose ARNs end with
/// the `suffixes` (`:alarm:<name>`, as JSON strings or the template's
/// functions giving them). The handler then checks the whole shape
/// ([`Own::canary`]); a canary it does not recognise (a failed call, say) is
/// judged like any event.
pub fn canary_pattern(suffixes: Vec<Value>) -> Value {
    let suffixes: Vec<Value> = suffixes
        .into_iter()
        .map(|suffix| json!({ "suffix": suffix }))
        .collect();
    json!({
        "source": [CANARY_SOURCE],
        "detail-type": [API_CALL],
        "detail": {
            "eventSource": [CANARY_EVENT_SOURCE],
            "eventName": [CANARY_EVENT_NAME],
            "requestParameters": {"resourceARN": suffixes},
        },
    })
}

/// The path of the canary roles of the stack named `stack`:
/// `/trailwatch-canary/<stack>-forwarded/` (the home bus's name, which a
/// forwarder knows).
pub fn canary_role_path(stack: &str) -> String {
    format!("{CANARY_ROLE_PATH_PREFIX}{stack}{FORWARDING_BUS_SUFFIX}/")
}

/// The partition of `issuer` when it is a canary role of `stack` in
/// `account`: `arn:<partition>:iam::<account>:role<path><name>`, the name
/// holding no further `/`.
fn canary_role_partition<'a>(issuer: &'a str, account: &str, stack: &str) -> Option<&'a str> {
    let rest = issuer.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(':')?;
    let name = rest
        .strip_prefix("iam::")?
        .strip_prefix(account)?
        .strip_prefix(":role")?
        .strip_prefix(canary_role_path(stack).as_str())?;
    let valid = !partition.is_empty()
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
        && !name.is_empty()
        && !name.contains('/');
    valid.then_some(partition)
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

    #[test]
    fn only_a_canary_role_of_the_stack_in_the_account_is_one() {
        fn role(arn: &str) -> Option<&str> {
            canary_role_partition(arn, "111122223333", "trailwatch")
        }
        assert_eq!(
            role(
                "arn:aws:iam::111122223333:role/trailwatch-canary/trailwatch-forwarded/trailwatch-CanaryRole-AbCd"
            ),
            Some("aws")
        );
        assert_eq!(
            role("arn:aws-cn:iam::111122223333:role/trailwatch-canary/trailwatch-forwarded/r"),
            Some("aws-cn")
        );
        for other in [
            "arn:aws:iam::444455556666:role/trailwatch-canary/trailwatch-forwarded/r",
            "arn:aws:iam::111122223333:role/trailwatch-canary/other-forwarded/r",
            "arn:aws:iam::111122223333:role/trailwatch-canary/trailwatch-forwarded/a/b",
            "arn:aws:iam::111122223333:role/trailwatch-canary/trailwatch-forwarded/",
            "arn:aws:iam::111122223333:role/admin",
            "arn:aws:iam::111122223333:user/trailwatch-canary/trailwatch-forwarded/r",
        ] {
            assert_eq!(role(other), None, "{other}");
        }
    }
}
