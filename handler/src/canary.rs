//! The canary: one harmless call EventBridge Scheduler makes every few hours
//! in every watched region: it removes a tag that was never set from one of
//! trailwatch's own alarms. Its CloudTrail event takes the whole path
//! (CloudTrail, EventBridge, a rule, the handler), which records it instead of
//! alerting. Only that exact call is recognised: the one call, on the one
//! alarm, removing the one tag, made by a canary role of this deployment in
//! the account and region it was made in, and successful. An event of any
//! other shape is judged like every other.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::event::API_CALL;
use crate::event::Event;
use contract::names::{
    CANARY_TAG_KEY, DEAD_LETTERS_ALARM, alarm_name_prefix, canary_role_path,
    forwarded_alarm_name_prefix,
};

use crate::own::Own;

/// What a canary's arrival is recorded as.
pub const MONITOR: &str = "trailwatch-canary";
/// The service the canary calls (CloudWatch, as CloudTrail names it).
pub const EVENT_SOURCE: &str = "monitoring.amazonaws.com";
/// EventBridge source of the canary's event.
pub const SOURCE: &str = "aws.monitoring";
/// The call: `cloudwatch:UntagResource`, which changes nothing when the tag
/// is absent.
pub const EVENT_NAME: &str = "UntagResource";

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

/// Where the canary in `event` was made, when `event` is exactly the canary
/// call of `own`'s deployment.
pub fn recognise(own: &Own, event: &Event<'_>) -> Option<Arrival> {
    let stack = own.stack()?;
    let record = &event.record;
    let shaped = event.envelope.source.as_deref() == Some(SOURCE)
        && event.envelope.detail_type.as_deref() == Some(API_CALL)
        && record.event_source.as_deref() == Some(EVENT_SOURCE)
        && record.event_name.as_deref() == Some(EVENT_NAME)
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
    let alarm = |prefix: String| {
        format!("arn:{partition}:cloudwatch:{region}:{account}:alarm:{prefix}{DEAD_LETTERS_ALARM}")
    };
    let alarms = [
        alarm(alarm_name_prefix(stack)),
        alarm(forwarded_alarm_name_prefix(stack)),
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

/// The pattern selecting the canary calls on the alarms whose ARNs end with
/// the `suffixes` (`:alarm:<name>`, as JSON strings or the template's
/// functions giving them). The handler then checks the whole shape
/// ([`recognise`]); a canary it does not recognise (a failed call, say) is
/// judged like any event.
pub fn pattern(suffixes: Vec<Value>) -> Value {
    let suffixes: Vec<Value> = suffixes
        .into_iter()
        .map(|suffix| json!({ "suffix": suffix }))
        .collect();
    json!({
        "source": [SOURCE],
        "detail-type": [API_CALL],
        "detail": {
            "eventSource": [EVENT_SOURCE],
            "eventName": [EVENT_NAME],
            "requestParameters": {"resourceARN": suffixes},
        },
    })
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
