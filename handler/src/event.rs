//! A tolerant model of EventBridge envelopes carrying CloudTrail records.
//!
//! `aws_lambda_events`' `AWSAPICall` requires fields that real records sometimes
//! lack (`eventID`, `userAgent`, ...), so this model makes every field optional,
//! ignores unknown fields, and leaves the service-specific `requestParameters` and
//! `responseElements` as raw JSON for each monitor to read in its own typed way.
//!
//! Parsing works on the JSON text, never on a `serde_json::Value` tree: the raw
//! `detail` and parameters are borrowed slices of the input, so the alert embeds
//! the event without rebuilding or re-serialising it.

use std::cell::OnceCell;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::text::json_error;

/// EventBridge `detail-type` of CloudTrail management API calls.
pub const API_CALL: &str = "AWS API Call via CloudTrail";
/// EventBridge `detail-type` of console sign-ins; AWS documents both spellings.
pub const SIGN_IN: &[&str] = &[
    "AWS Console Sign In via CloudTrail",
    "AWS Console Signin via CloudTrail",
];

/// A field's value as a condition sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar<'a> {
    Absent,
    Text(&'a str),
    Bool(bool),
    /// Present but neither a string nor a boolean (a number, object, list or null).
    Other,
}

/// `aws.` and the first label of an `eventSource`, as EventBridge names sources.
pub fn source_of(event_source: &str) -> String {
    format!("aws.{}", first_label(event_source))
}

/// The first label of an `eventSource` (`iam` of `iam.amazonaws.com`).
pub fn first_label(event_source: &str) -> &str {
    event_source.split('.').next().unwrap_or(event_source)
}

/// The EventBridge envelope around a CloudTrail record.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Envelope<'a> {
    #[serde(deserialize_with = "text")]
    pub id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub detail_type: Option<String>,
    #[serde(deserialize_with = "text")]
    pub source: Option<String>,
    #[serde(deserialize_with = "text")]
    pub account: Option<String>,
    #[serde(deserialize_with = "text")]
    pub time: Option<String>,
    #[serde(deserialize_with = "text")]
    pub region: Option<String>,
    /// The CloudTrail record, as raw JSON.
    #[serde(borrow)]
    pub detail: Option<&'a RawValue>,
}

/// One CloudTrail record (the envelope's `detail`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Record<'a> {
    #[serde(deserialize_with = "text")]
    pub event_version: Option<String>,
    #[serde(deserialize_with = "text")]
    pub event_time: Option<String>,
    #[serde(deserialize_with = "text")]
    pub event_source: Option<String>,
    #[serde(deserialize_with = "text")]
    pub event_name: Option<String>,
    #[serde(deserialize_with = "text")]
    pub aws_region: Option<String>,
    #[serde(rename = "sourceIPAddress")]
    #[serde(deserialize_with = "text")]
    pub source_ip_address: Option<String>,
    #[serde(deserialize_with = "text")]
    pub user_agent: Option<String>,
    #[serde(deserialize_with = "identity")]
    pub user_identity: UserIdentity,
    #[serde(borrow)]
    pub request_parameters: Option<&'a RawValue>,
    #[serde(borrow)]
    pub response_elements: Option<&'a RawValue>,
    #[serde(deserialize_with = "text")]
    pub error_code: Option<String>,
    #[serde(deserialize_with = "text")]
    pub error_message: Option<String>,
    #[serde(deserialize_with = "text")]
    pub event_type: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub additional_event_data: AdditionalEventData,
    #[serde(rename = "eventID")]
    #[serde(deserialize_with = "text")]
    pub event_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub recipient_account_id: Option<String>,
}

/// Who made the call. Only `type` is always present; `AWSService` identities
/// carry just `invokedBy`, `AWSAccount` and `Unknown` ones have no `arn`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserIdentity {
    #[serde(rename = "type")]
    #[serde(deserialize_with = "text")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "text")]
    pub principal_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub arn: Option<String>,
    #[serde(deserialize_with = "text")]
    pub account_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub user_name: Option<String>,
    #[serde(deserialize_with = "text")]
    pub invoked_by: Option<String>,
    /// `AKIA...` for a long-term key, `ASIA...` for temporary credentials.
    #[serde(deserialize_with = "text")]
    pub access_key_id: Option<String>,
    pub session_context: Option<SessionContext>,
    /// Set when `userIdentity` was present but not an object: who acted is unknown.
    #[serde(skip)]
    pub unreadable: bool,
}

/// Role session details of an assumed-role or federated identity.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionContext {
    pub session_issuer: Option<SessionIssuer>,
    pub attributes: Option<SessionAttributes>,
}

/// The role (or user) that issued a session.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionIssuer {
    pub arn: Option<String>,
    pub user_name: Option<String>,
}

/// Session attributes; CloudTrail writes `mfaAuthenticated` as the string "true" or "false".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionAttributes {
    #[serde(deserialize_with = "flag")]
    pub mfa_authenticated: Option<bool>,
}

/// `additionalEventData` of console sign-ins.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AdditionalEventData {
    /// `Yes` or `No` (AWS's own examples also write `YES`).
    #[serde(rename = "MFAUsed")]
    pub mfa_used: Option<String>,
    /// The MFA device used, recorded only when one was.
    #[serde(rename = "MFAIdentifier")]
    pub mfa_identifier: Option<String>,
}

impl AdditionalEventData {
    /// Whether the sign-in used MFA, when CloudTrail says: `MFAUsed` read
    /// without regard to case, and a recorded `MFAIdentifier` counts as MFA.
    pub fn mfa(&self) -> Option<bool> {
        if self
            .mfa_identifier
            .as_deref()
            .is_some_and(|id| !id.is_empty())
        {
            return Some(true);
        }
        match self.mfa_used.as_deref().map(str::trim) {
            Some(used) if used.eq_ignore_ascii_case("yes") => Some(true),
            Some(used) if used.eq_ignore_ascii_case("no") => Some(false),
            _ => None,
        }
    }
}

/// What a failed console sign-in has in `responseElements.ConsoleLogin`; it has no
/// `errorCode`, so this word stands for one.
pub const SIGN_IN_FAILURE: &str = "Failure";

/// A CloudTrail event as delivered: the envelope, the record, and the raw detail.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The whole delivered event, as received.
    pub raw: &'a RawValue,
    pub envelope: Envelope<'a>,
    pub record: Record<'a>,
    pub detail: &'a RawValue,
    /// The organization of the watched accounts, when the deployment knows it
    /// (set by the pipeline, never read from the event).
    pub organization: Option<String>,
    facts: OnceCell<Facts>,
}

/// Fields some selectors test inside `requestParameters` and `responseElements`,
/// read once per event and only when a selector asks.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub sign_in_result: Found,
    pub user_data: Found,
    pub group_set: Found,
    pub attribute: Found,
    pub with_decryption: Found,
    pub policy_arn: Found,
}

/// An owned field value, as a selector condition sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Found {
    #[default]
    Absent,
    Text(String),
    Bool(bool),
    Other,
}

impl Found {
    /// EventBridge matches leaves only: an object is no value to `exists`, so
    /// it reads as absent ("Exists matching only works on leaf nodes",
    /// EventBridge, content filtering in event patterns).
    fn of(value: Option<Value>) -> Self {
        match value {
            None | Some(Value::Object(_)) => Found::Absent,
            Some(Value::String(s)) => Found::Text(s),
            Some(Value::Bool(b)) => Found::Bool(b),
            Some(_) => Found::Other,
        }
    }

    /// The value as a selector condition tests it.
    pub fn as_scalar(&self) -> Scalar<'_> {
        match self {
            Found::Absent => Scalar::Absent,
            Found::Text(s) => Scalar::Text(s),
            Found::Bool(b) => Scalar::Bool(*b),
            Found::Other => Scalar::Other,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RequestFacts {
    user_data: Option<Value>,
    group_set: Option<Value>,
    attribute: Option<Value>,
    with_decryption: Option<Value>,
    policy_arn: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResponseFacts {
    #[serde(rename = "ConsoleLogin")]
    console_login: Option<Value>,
}

/// Why an event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the event has no `detail` object")]
    MissingDetail,
    #[error("the event envelope is malformed: {0}")]
    Envelope(String),
    #[error("the CloudTrail record in `detail` is malformed: {0}")]
    Record(String),
}

impl<'a> Event<'a> {
    /// Reads an EventBridge envelope without copying the raw detail.
    pub fn parse(raw: &'a RawValue) -> Result<Self, ParseError> {
        if !is_object(raw) {
            return Err(ParseError::MissingDetail);
        }
        let envelope: Envelope =
            serde_json::from_str(raw.get()).map_err(|e| ParseError::Envelope(json_error(&e)))?;
        let detail = envelope
            .detail
            .filter(|d| is_object(d))
            .ok_or(ParseError::MissingDetail)?;
        let record: Record =
            serde_json::from_str(detail.get()).map_err(|e| ParseError::Record(json_error(&e)))?;
        Ok(Self {
            raw,
            envelope,
            record,
            detail,
            organization: None,
            facts: OnceCell::new(),
        })
    }

    /// Fields selectors test in the parameters and response, read on first use.
    /// Parameters that are not an object have none of them.
    pub fn facts(&self) -> &Facts {
        self.facts.get_or_init(|| {
            fn read(raw: Option<&RawValue>) -> Option<&str> {
                raw.map(RawValue::get).filter(|t| t.starts_with('{'))
            }
            let request: RequestFacts = read(self.record.request_parameters)
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default();
            let response: ResponseFacts = read(self.record.response_elements)
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default();
            Facts {
                sign_in_result: Found::of(response.console_login),
                user_data: Found::of(request.user_data),
                group_set: Found::of(request.group_set.as_ref().and_then(first_group_id)),
                attribute: Found::of(request.attribute),
                with_decryption: Found::of(request.with_decryption),
                policy_arn: Found::of(request.policy_arn),
            }
        })
    }

    /// The error of a failed call or sign-in: `errorCode`, or [`SIGN_IN_FAILURE`]
    /// for a sign-in that failed.
    pub fn failure(&self) -> Option<&str> {
        match &self.record.error_code {
            Some(code) => Some(code),
            None => self.sign_in_failed().then_some(SIGN_IN_FAILURE),
        }
    }

    /// Whether this is a console sign-in that failed.
    pub fn sign_in_failed(&self) -> bool {
        self.is_sign_in()
            && self.facts().sign_in_result.as_scalar() == Scalar::Text(SIGN_IN_FAILURE)
    }

    /// The call as IAM names actions: `ec2:RunInstances` (the first label of
    /// `eventSource`, then `eventName`).
    pub fn call_name(&self) -> String {
        let record = &self.record;
        let service = record
            .event_source
            .as_deref()
            .map_or("unknown", first_label);
        let name = record.event_name.as_deref().unwrap_or("an unnamed call");
        format!("{service}:{name}")
    }

    /// Whether this is a console sign-in event.
    pub fn is_sign_in(&self) -> bool {
        self.envelope
            .detail_type
            .as_deref()
            .is_some_and(|t| SIGN_IN.contains(&t))
    }

    /// The account the event happened in.
    pub fn account(&self) -> Option<&str> {
        self.record
            .recipient_account_id
            .as_deref()
            .or(self.envelope.account.as_deref())
            .or(self.record.user_identity.account_id.as_deref())
    }

    /// The region the call was made in.
    pub fn region(&self) -> Option<&str> {
        self.record
            .aws_region
            .as_deref()
            .or(self.envelope.region.as_deref())
    }

    /// The CloudTrail event id (absent in eventVersion 1.0x records).
    pub fn event_id(&self) -> Option<&str> {
        self.record.event_id.as_deref()
    }
}

impl UserIdentity {
    /// Whether the call was made by the account's root user.
    pub fn is_root(&self) -> bool {
        self.kind.as_deref() == Some("Root")
    }

    /// A short human name: the user name, `root`, the role session, or the service.
    pub fn display_name(&self) -> String {
        if self.is_root() {
            return "root".to_owned();
        }
        if let Some(name) = &self.user_name {
            return name.clone();
        }
        if let Some(arn) = &self.arn {
            // arn:aws:sts::123456789012:assumed-role/Role/session -> Role/session
            let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
            return resource
                .split_once('/')
                .map_or(resource, |(_, rest)| rest)
                .to_owned();
        }
        self.invoked_by
            .clone()
            .or_else(|| self.principal_id.clone())
            .unwrap_or_else(|| "unknown principal".to_owned())
    }

    /// Whether the session was MFA-authenticated, when CloudTrail says.
    pub fn mfa(&self) -> Option<bool> {
        self.session_context
            .as_ref()?
            .attributes
            .as_ref()?
            .mfa_authenticated
    }

    /// The ARN of the role or user that issued the session.
    pub fn session_issuer(&self) -> Option<&str> {
        self.session_context
            .as_ref()?
            .session_issuer
            .as_ref()?
            .arn
            .as_deref()
    }
}

/// Whether raw JSON is an object (valid JSON starting with `{`).
fn is_object(raw: &RawValue) -> bool {
    raw.get().trim_start().starts_with('{')
}

/// Reads a boolean written either as JSON `true`/`false` or as the string "true"/"false".
fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    })
}

/// Reads a string field; any other JSON type reads as absent, as an EventBridge
/// string pattern would not match it either.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// Reads `userIdentity`; `null` is an absent identity, anything but an object an
/// unreadable one (the event is still selected, and reviewed).
fn identity<'de, D: Deserializer<'de>>(deserializer: D) -> Result<UserIdentity, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Null => UserIdentity::default(),
        value @ Value::Object(_) => UserIdentity::deserialize(value).unwrap_or(UserIdentity {
            unreadable: true,
            ..UserIdentity::default()
        }),
        _ => UserIdentity {
            unreadable: true,
            ..UserIdentity::default()
        },
    })
}

/// Reads `null` as the type's default (CloudTrail writes `null` for absent objects).
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The leaf a selector on `groupSet` tests: `groupSet.items[].groupId`, as
/// EventBridge flattens arrays of objects (the first group that has one).
fn first_group_id(group_set: &Value) -> Option<Value> {
    group_set
        .get("items")?
        .as_array()?
        .iter()
        .find_map(|item| item.get("groupId").cloned())
}
