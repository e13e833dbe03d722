//! IAM monitors: users, access keys, policies, trust policies, passwords, groups.

use serde::Deserialize;

use super::policy::{self, Grantee};
use super::{Finding, Judge, ReadError, Verb, own_account, request, response};
use crate::event::Event;
use crate::severity::Severity;

/// AWS managed policies that give administrator access (or the power to take it).
const ADMIN_POLICIES: &[&str] = &["AdministratorAccess", "IAMFullAccess"];

/// `requestParameters` of the IAM calls judged here.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Request {
    user_name: Option<String>,
    role_name: Option<String>,
    group_name: Option<String>,
    policy_arn: Option<String>,
    policy_document: Option<String>,
    assume_role_policy_document: Option<String>,
    set_as_default: Option<bool>,
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

/// [`create_user`] and what it decides.
pub const CREATE_USER: Judge = Judge {
    assess: create_user,
    decides: "",
};

/// CreateUser: who created whom (root use is the root monitor's to judge).
pub fn create_user(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let response: UserResponse = response(event)?;
    let user = request
        .user_name
        .or_else(|| response.user.and_then(|u| u.user_name))
        .unwrap_or_else(|| "(name not recorded)".to_owned());
    finding.describe(Verb::Created, &format!("IAM user {user}"));
    finding.target(&user);
    finding.note(format!(
        "a new IAM user is a new long-lived identity: confirm {user} was expected"
    ));
    Ok(())
}

/// [`create_access_key`] and what it decides.
pub const CREATE_ACCESS_KEY: Judge = Judge {
    assess: create_access_key,
    decides: "HIGH for a key made for another user; CRITICAL for a root access key",
};

/// CreateAccessKey: a key for oneself, for another user (persistence), or by root.
pub fn create_access_key(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let key = response::<UserResponse>(event)?
        .access_key
        .unwrap_or_default();
    let identity = &event.record.user_identity;
    let owner = request.user_name.or(key.user_name);
    let key_id = key
        .access_key_id
        .clone()
        .unwrap_or_else(|| "id not recorded".to_owned());
    match &owner {
        None if identity.is_root() => {
            finding.describe(Verb::Created, "an access key for the root user");
            finding.target(&format!("root ({key_id})"));
            finding.raise(
                Severity::Critical,
                "a root access key gives unrestricted access to the whole account and cannot be limited by IAM policies".to_owned(),
            );
        }
        Some(owner) if identity.user_name.as_deref() != Some(owner.as_str()) => {
            finding.describe(Verb::Created, &format!("an access key for {owner}"));
            finding.target(&format!("{owner} ({key_id})"));
            finding.raise(
                Severity::High,
                format!("the key is for another user ({owner}): creating keys for others is a common persistence technique"),
            );
        }
        owner => {
            let owner = owner.clone().unwrap_or_else(|| identity.display_name());
            finding.describe(Verb::Created, &format!("an access key for {owner} (self)"));
            finding.target(&format!("{owner} ({key_id})"));
            finding.note(
                "a new long-lived credential: confirm it was expected and is rotated".to_owned(),
            );
        }
    }
    if let (Some(owner), Some(key_id)) = (&owner, &key.access_key_id) {
        finding.command(
            "aws iam update-access-key --user-name {user} --access-key-id {key} --status Inactive",
            &[("user", owner), ("key", key_id)],
        );
    }
    Ok(())
}

/// [`policy_change`] and what it decides.
pub const POLICY_CHANGE: Judge = Judge {
    assess: policy_change,
    decides: "HIGH when administrator access (AdministratorAccess, IAMFullAccess, `*` on `*`) is attached, put inline or made the default version; CRITICAL by root",
};

/// Policy changes: administrator access attached, put inline or made the default
/// version is HIGH (CRITICAL by root).
pub fn policy_change(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let name = event.record.event_name.as_deref().unwrap_or_default();
    let principal = request
        .user_name
        .as_deref()
        .or(request.role_name.as_deref())
        .or(request.group_name.as_deref())
        .unwrap_or("(not recorded)");
    let admin = match (&request.policy_arn, &request.policy_document) {
        (_, Some(document)) => admin_statement(document)?,
        (Some(arn), None) => ADMIN_POLICIES
            .iter()
            .find(|p| arn.ends_with(&format!(":policy/{p}")))
            .map(|p| format!("{p} is an administrator policy")),
        (None, None) => None,
    };
    let Some(admin) = admin else {
        if name == "SetDefaultPolicyVersion" {
            finding.step("Read the new default version: it takes effect for every principal the policy is attached to".to_owned());
        }
        return Ok(());
    };
    match name {
        "CreatePolicy" => finding.raise(
            Severity::Medium,
            format!("{admin}; it is not attached to anyone yet"),
        ),
        "CreatePolicyVersion" if request.set_as_default != Some(true) => finding.raise(
            Severity::Medium,
            format!("{admin}; the version is not the default yet"),
        ),
        _ => {
            // A policy version applies to whoever the policy is attached to.
            let holders = match (name, &request.policy_arn) {
                ("CreatePolicyVersion" | "SetDefaultPolicyVersion", Some(arn)) => {
                    format!("every principal IAM policy {arn} is attached to")
                }
                _ => principal.to_owned(),
            };
            finding.describe(Verb::GrantedAdmin, &holders);
            finding.raise(
                Severity::High,
                format!("{admin}: {holders} can now do anything in the account"),
            );
            if event.record.user_identity.is_root() {
                finding.raise(
                    Severity::Critical,
                    "administrator access granted by the root user".to_owned(),
                );
            }
        }
    }
    match (
        name,
        &request.policy_arn,
        &request.user_name,
        &request.role_name,
    ) {
        ("AttachUserPolicy", Some(arn), Some(user), _) => finding.command(
            "aws iam detach-user-policy --user-name {user} --policy-arn {arn}",
            &[("user", user), ("arn", arn)],
        ),
        ("AttachRolePolicy", Some(arn), _, Some(role)) => finding.command(
            "aws iam detach-role-policy --role-name {role} --policy-arn {arn}",
            &[("role", role), ("arn", arn)],
        ),
        _ => {}
    }
    Ok(())
}

/// The reason an inline policy document grants administrator access, if it does.
fn admin_statement(document: &str) -> Result<Option<String>, ReadError> {
    let statements = policy::document("requestParameters.policyDocument", document)?;
    Ok(statements
        .iter()
        .enumerate()
        .find(|(_, s)| s.grants_admin())
        .map(|(index, s)| {
            format!(
                "{} of the policy allows {} on every resource",
                s.name(index),
                s.actions()
            )
        }))
}

/// [`trust_policy`] and what it decides.
pub const TRUST_POLICY: Judge = Judge {
    assess: trust_policy,
    decides: "CRITICAL when `*` may assume the role, HIGH for another account, MEDIUM for an identity provider",
};

/// CreateRole and UpdateAssumeRolePolicy: who may assume the role. `*` without a
/// restricting condition is CRITICAL, another account HIGH.
pub fn trust_policy(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let role = request
        .role_name
        .clone()
        .unwrap_or_else(|| "(name not recorded)".to_owned());
    let Some(document) = request
        .policy_document
        .or(request.assume_role_policy_document)
    else {
        return Ok(());
    };
    let statements = policy::document("the trust policy", &document)?;
    let own = own_account(event);
    let (mut public, mut shared) = (false, false);
    for (index, statement) in statements.iter().enumerate() {
        if !statement.allows() || !statement.allows_action("sts:AssumeRole") {
            continue;
        }
        let name = statement.name(index);
        for grantee in statement.grantees() {
            match grantee {
                Grantee::Everyone => match statement.restriction() {
                    Some(condition) => finding.note(format!(
                        "{name} lets anyone assume the role, restricted by condition {condition}"
                    )),
                    None => {
                        public = true;
                        finding.raise(Severity::Critical, format!("{name} lets any AWS principal assume the role"));
                    }
                },
                Grantee::Account(account) if Some(account.as_str()) != own => {
                    shared = true;
                    finding.raise(Severity::High, format!("{name} lets another account ({account}) assume the role"));
                }
                Grantee::Federated(provider) => finding.raise(
                    Severity::Medium,
                    format!("{name} trusts identity provider {provider}: check its conditions limit which identities"),
                ),
                Grantee::Service(service) => finding.note(format!("{name} trusts the service {service}")),
                Grantee::Account(_) | Grantee::Other => {}
            }
        }
    }
    let object = format!("IAM role {role}");
    if public {
        finding.describe(Verb::MadePublic, &object);
    } else if shared {
        finding.describe(Verb::Shared, &object);
    }
    Ok(())
}

/// [`login_profile`] and what it decides.
pub const LOGIN_PROFILE: Judge = Judge {
    assess: login_profile,
    decides: "HIGH for another user's password, LOW for one's own",
};

/// Create/UpdateLoginProfile: a console password for another user is HIGH.
pub fn login_profile(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let identity = &event.record.user_identity;
    match request.user_name {
        Some(user) if identity.user_name.as_deref() != Some(user.as_str()) => finding.raise(
            Severity::High,
            format!(
                "the password is for another user ({user}): whoever set it can sign in as {user}"
            ),
        ),
        _ => finding.settle(
            Severity::Low,
            "the user set their own console password".to_owned(),
        ),
    }
    Ok(())
}

/// [`group_membership`] and what it decides.
pub const GROUP_MEMBERSHIP: Judge = Judge {
    assess: group_membership,
    decides: "HIGH when the group's name says admin",
};

/// AddUserToGroup: HIGH when the group's name says it is an administrators' group.
pub fn group_membership(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let group = request
        .group_name
        .unwrap_or_else(|| "(not recorded)".to_owned());
    let user = request
        .user_name
        .unwrap_or_else(|| "(not recorded)".to_owned());
    finding.describe(Verb::Added, &format!("{user} to IAM group {group}"));
    if group.to_ascii_lowercase().contains("admin") {
        finding.raise(
            Severity::High,
            format!("the group's name says it grants administrator access: {user} gains whatever {group} allows"),
        );
    } else {
        finding.note(format!("{user} gains whatever {group} allows"));
    }
    finding.command(
        "aws iam remove-user-from-group --group-name {group} --user-name {user}",
        &[("group", &group), ("user", &user)],
    );
    Ok(())
}
