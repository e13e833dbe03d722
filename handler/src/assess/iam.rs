//! IAM monitors: new users and new access keys.

use serde::Deserialize;

use super::{Finding, ReadError, request, response};
use crate::event::Record;
use crate::severity::Severity;

/// `requestParameters` of CreateUser and CreateAccessKey.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct UserRequest {
    user_name: Option<String>,
}

/// `responseElements` of CreateUser (`user`) and CreateAccessKey (`accessKey`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct UserResponse {
    user: Option<NamedUser>,
    access_key: Option<AccessKey>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct NamedUser {
    user_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct AccessKey {
    user_name: Option<String>,
    access_key_id: Option<String>,
}

/// CreateUser: who created whom; CRITICAL when done by root.
pub fn create_user(record: &Record<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: UserRequest = request(record)?;
    let response: UserResponse = response(record)?;
    let user = request
        .user_name
        .or_else(|| response.user.and_then(|u| u.user_name))
        .unwrap_or_else(|| "(name not recorded)".to_owned());
    finding.describe("created", "create", &format!("IAM user {user}"));
    finding.target(&user);
    finding.note(format!(
        "a new IAM user is a new long-lived identity: confirm {user} was expected"
    ));
    flag_root(record, finding);
    Ok(())
}

/// CreateAccessKey: a key for oneself, for another user (persistence), or by root.
pub fn create_access_key(record: &Record<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: UserRequest = request(record)?;
    let key = response::<UserResponse>(record)?
        .access_key
        .unwrap_or_default();
    let identity = &record.user_identity;
    let owner = request.user_name.or(key.user_name);
    let key_id = key
        .access_key_id
        .unwrap_or_else(|| "id not recorded".to_owned());
    match owner {
        None if identity.is_root() => {
            finding.describe("created", "create", "an access key for the root user");
            finding.target(&format!("root ({key_id})"));
            finding.raise(
                Severity::Critical,
                "a root access key gives unrestricted access to the whole account and cannot be limited by IAM policies".to_owned(),
            );
        }
        Some(owner) if identity.user_name.as_deref() != Some(owner.as_str()) => {
            finding.describe("created", "create", &format!("an access key for {owner}"));
            finding.target(&format!("{owner} ({key_id})"));
            finding.raise(
                Severity::High,
                format!("the key is for another user ({owner}): creating keys for others is a common persistence technique"),
            );
        }
        owner => {
            let owner = owner.unwrap_or_else(|| identity.display_name());
            finding.describe(
                "created",
                "create",
                &format!("an access key for {owner} (self)"),
            );
            finding.target(&format!("{owner} ({key_id})"));
            finding.note(
                "a new long-lived credential: confirm it was expected and is rotated".to_owned(),
            );
        }
    }
    flag_root(record, finding);
    Ok(())
}

/// Root use is CRITICAL whatever it did.
fn flag_root(record: &Record<'_>, finding: &mut Finding) {
    if record.user_identity.is_root() {
        finding.raise(
            Severity::Critical,
            "performed by the root user, which should not be used for day-to-day work".to_owned(),
        );
    }
}
