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

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::text::json_error;

/// The EventBridge envelope around a CloudTrail record.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct Envelope<'a> {
    pub id: Option<String>,
    pub detail_type: Option<String>,
    pub source: Option<String>,
    pub account: Option<String>,
    pub time: Option<String>,
    pub region: Option<String>,
    /// The CloudTrail record, as raw JSON.
    #[serde(borrow)]
    pub detail: Option<&'a RawValue>,
}

/// One CloudTrail record (the envelope's `detail`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Record<'a> {
    pub event_version: Option<String>,
    pub event_time: Option<String>,
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    pub aws_region: Option<String>,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
    pub user_agent: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub user_identity: UserIdentity,
    #[serde(borrow)]
    pub request_parameters: Option<&'a RawValue>,
    #[serde(borrow)]
    pub response_elements: Option<&'a RawValue>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    pub recipient_account_id: Option<String>,
}

/// Who made the call. Only `type` is always present; `AWSService` identities
/// carry just `invokedBy`, `AWSAccount` and `Unknown` ones have no `arn`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserIdentity {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub principal_id: Option<String>,
    pub arn: Option<String>,
    pub account_id: Option<String>,
    pub user_name: Option<String>,
    pub invoked_by: Option<String>,
    pub session_context: Option<SessionContext>,
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

/// A CloudTrail event as delivered: the envelope, the record, and the raw detail.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub envelope: Envelope<'a>,
    pub record: Record<'a>,
    pub detail: &'a RawValue,
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
            envelope,
            record,
            detail,
        })
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

/// Reads `null` as the type's default (CloudTrail writes `null` for absent objects).
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
