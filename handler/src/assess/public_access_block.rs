//! Put(Bucket|Account)PublicAccessBlock: a block turned off is HIGH, all four on is LOW.

use serde::Deserialize;
use serde_json::Value;

use super::{Finding, Judge, ReadError, Verb, request};
use crate::event::Event;
use crate::severity::Severity;

/// The four settings, as S3 names them.
const SETTINGS: &[&str] = &[
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Request {
    #[serde(rename = "PublicAccessBlockConfiguration")]
    configuration: Option<serde_json::Map<String, Value>>,
}

/// [`put`] and what it decides.
pub const PUT: Judge = Judge {
    assess: put,
    decides: "HIGH when any of the four settings is off",
};

/// Weakened when any of the four settings is off (or absent, which S3 reads as off).
pub fn put(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let configuration = request.configuration.unwrap_or_default();
    let off: Vec<&str> = SETTINGS
        .iter()
        .copied()
        .filter(|setting| !is_on(configuration.get(*setting)))
        .collect();
    if off.is_empty() {
        finding.note("all four public access block settings are on".to_owned());
        return Ok(());
    }
    let object = finding.object.clone();
    finding.describe(Verb::Weakened, &object);
    finding.raise(
        Severity::High,
        format!(
            "{} now off: public policies or ACLs are no longer blocked",
            off.join(", ")
        ),
    );
    Ok(())
}

fn is_on(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(on)) => *on,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
        _ => false,
    }
}
