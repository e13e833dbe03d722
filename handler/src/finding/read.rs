//! Readers of a record's service-specific parts (`requestParameters`,
//! `responseElements`) into each judge's own types.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::event::Event;
use crate::text::json_error;

/// A record's service-specific part could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {field}: {message}")]
pub struct ReadError {
    field: &'static str,
    message: String,
}

impl ReadError {
    /// `field` holds JSON that did not read: `message` says why and where.
    pub fn new(field: &'static str, message: String) -> Self {
        Self { field, message }
    }
}

/// The raw JSON at a `/`-separated path in `requestParameters`, read without
/// building a tree of the whole parameters (a policy may be 200 KB).
pub fn request_raw<'e>(event: &'e Event<'_>, path: &str) -> Option<&'e str> {
    let mut text = event.record.request_parameters?.get();
    for key in path.split('/') {
        let object: HashMap<Cow<'_, str>, &RawValue> = serde_json::from_str(text).ok()?;
        text = object.get(key)?.get();
    }
    Some(text)
}

/// The string at a `/`-separated path in `requestParameters`.
pub fn request_text(event: &Event<'_>, path: &str) -> Option<String> {
    serde_json::from_str::<String>(request_raw(event, path)?)
        .ok()
        .filter(|s| !s.is_empty())
}

/// Reads `requestParameters` into a monitor's own type; `null` or absent gives the default.
pub fn request<T: DeserializeOwned + Default>(event: &Event<'_>) -> Result<T, ReadError> {
    read("requestParameters", event.record.request_parameters)
}

/// Reads `responseElements` into a monitor's own type; `null` or absent gives the default.
pub fn response<T: DeserializeOwned + Default>(event: &Event<'_>) -> Result<T, ReadError> {
    read("responseElements", event.record.response_elements)
}

fn read<T: DeserializeOwned + Default>(
    field: &'static str,
    value: Option<&RawValue>,
) -> Result<T, ReadError> {
    match value.map(RawValue::get) {
        None | Some("null") => Ok(T::default()),
        Some(text) => parse(field, text),
    }
}

/// Reads the raw JSON text of `field` into a monitor's own type.
pub fn parse<T: DeserializeOwned>(field: &'static str, text: &str) -> Result<T, ReadError> {
    serde_json::from_str(text).map_err(|e| ReadError {
        field,
        message: json_error(&e),
    })
}

/// One value or a list of them, as IAM policies write `Statement`, `Action` and principals.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// CloudTrail writes EC2 lists as `{}` or `{"items": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

/// The account that owns the resource: the recipient, else the caller's.
pub fn own_account<'e>(event: &'e Event<'_>) -> Option<&'e str> {
    event.record.recipient_account_id.as_deref().or(event
        .record
        .user_identity
        .account_id
        .as_deref())
}
