//! IAM identities and their permissions: users, access keys, policies,
//! groups, console passwords, MFA devices and the password policy.

use serde::Deserialize;

use super::Pack::{Cis, Seed, Stratus};
use super::{CHECK_CALLER, IAM, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::{request, response};
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::policy::{self};
use crate::selector::{Call, Selector};
use contract::Severity::{self, High, Low, Medium};

/// `iam-create-user`.
pub const IAM_CREATE_USER: Monitor = calls(
    "iam-create-user",
    "IAM user created",
    &[Seed, Stratus],
    Selector::calls(
        IAM,
        &[Call::named(
            "CreateUser",
            means(Created, "IAM user", Medium)
                .target(&["userName"])
                .check("Confirm the new user was expected; list its keys, policies and groups")
                .revert("aws iam delete-user --user-name {target}"),
        )
        .refine(CREATE_USER)],
    ),
    &[],
    &["aws.persistence.iam-create-admin-user", "T1136.003"],
);

/// `iam-create-access-key`.
pub const IAM_CREATE_ACCESS_KEY: Monitor = calls(
    "iam-create-access-key",
    "IAM access key created",
    &[Seed, Stratus],
    Selector::calls(
        IAM,
        &[Call::named(
            "CreateAccessKey",
            means(Created, "an access key", Medium)
                .check("Confirm the key owner asked for it; keys made for others are a persistence technique"),
        )
        .refine(CREATE_ACCESS_KEY)],
    ),
    &[],
    &["aws.persistence.iam-backdoor-user", "T1098.001"],
);

/// `iam-policy-change`.
pub const IAM_POLICY_CHANGE: Monitor = calls(
    "iam-policy-change",
    "IAM policy changed",
    &[Cis, Stratus],
    Selector::calls(
        IAM,
        &[
            Call::named(
                "AttachUserPolicy",
                means(Attached, "a managed policy to IAM user", Medium).target(&["userName"]),
            )
            .refine(POLICY_CHANGE),
            Call::named(
                "AttachRolePolicy",
                means(Attached, "a managed policy to IAM role", Medium).target(&["roleName"]),
            )
            .refine(POLICY_CHANGE),
            Call::named(
                "AttachGroupPolicy",
                means(Attached, "a managed policy to IAM group", Medium).target(&["groupName"]),
            )
            .refine(POLICY_CHANGE),
            Call::named(
                "PutUserPolicy",
                means(Changed, "an inline policy of IAM user", Medium).target(&["userName"]),
            )
            .refine(POLICY_CHANGE),
            Call::named(
                "PutRolePolicy",
                means(Changed, "an inline policy of IAM role", Medium).target(&["roleName"]),
            )
            .refine(POLICY_CHANGE),
            Call::named(
                "PutGroupPolicy",
                means(Changed, "an inline policy of IAM group", Medium).target(&["groupName"]),
            )
            .refine(POLICY_CHANGE),
            Call::named(
                "CreatePolicy",
                means(Created, "IAM policy", Medium).target(&["policyName"]),
            )
            .refine(POLICY_CHANGE),
            Call::named(
                "CreatePolicyVersion",
                means(Created, "a new version of IAM policy", Medium).target(&["policyArn"]),
            )
            .refine(POLICY_CHANGE),
            Call::named(
                "SetDefaultPolicyVersion",
                means(Changed, "the default version of IAM policy", Medium).target(&["policyArn"]),
            )
            .refine(POLICY_CHANGE),
            Call::named(
                "DetachUserPolicy",
                means(Removed, "a managed policy from IAM user", Low).target(&["userName"]),
            ),
            Call::named(
                "DetachRolePolicy",
                means(Removed, "a managed policy from IAM role", Low).target(&["roleName"]),
            ),
            Call::named(
                "DetachGroupPolicy",
                means(Removed, "a managed policy from IAM group", Low).target(&["groupName"]),
            ),
            Call::named(
                "DeleteUserPolicy",
                means(Deleted, "an inline policy of IAM user", Low).target(&["userName"]),
            ),
            Call::named(
                "DeleteRolePolicy",
                means(Deleted, "an inline policy of IAM role", Low).target(&["roleName"]),
            ),
            Call::named(
                "DeleteGroupPolicy",
                means(Deleted, "an inline policy of IAM group", Low).target(&["groupName"]),
            ),
            Call::named(
                "DeletePolicy",
                means(Deleted, "IAM policy", Low).target(&["policyArn"]),
            ),
            Call::named(
                "DeletePolicyVersion",
                means(Deleted, "a version of IAM policy", Low).target(&["policyArn"]),
            ),
            Call::named(
                "DeleteRolePermissionsBoundary",
                means(Removed, "the permissions boundary of IAM role", High)
                    .target(&["roleName"])
                    .why("the boundary no longer caps what the role's policies grant")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteUserPermissionsBoundary",
                means(Removed, "the permissions boundary of IAM user", High)
                    .target(&["userName"])
                    .why("the boundary no longer caps what the user's policies grant")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &["CIS CloudWatch.4"],
    &["aws.persistence.iam-create-admin-user", "T1098.003"],
);

/// `iam-login-profile`.
pub const IAM_LOGIN_PROFILE: Monitor = calls(
    "iam-login-profile",
    "IAM console password set",
    &[Stratus],
    Selector::calls(
        IAM,
        &[
            Call::named(
                "CreateLoginProfile",
                means(Created, "a console password for", Medium).target(&["userName"]),
            )
            .refine(LOGIN_PROFILE),
            Call::named(
                "UpdateLoginProfile",
                means(Changed, "the console password of", Medium).target(&["userName"]),
            )
            .refine(LOGIN_PROFILE),
        ],
    ),
    &[],
    &[
        "aws.persistence.iam-create-user-login-profile",
        "aws.privilege-escalation.iam-update-user-login-profile",
        "T1098.001",
    ],
);

/// `iam-group-membership`.
pub const IAM_GROUP_MEMBERSHIP: Monitor = calls(
    "iam-group-membership",
    "IAM group membership added",
    &[],
    Selector::calls(
        IAM,
        &[Call::named(
            "AddUserToGroup",
            means(Added, "a user to IAM group", Low).target(&["groupName"]),
        )
        .refine(GROUP_MEMBERSHIP)],
    ),
    &[],
    &["T1098"],
);

/// `iam-mfa-removed`.
pub const IAM_MFA_REMOVED: Monitor = calls(
    "iam-mfa-removed",
    "IAM MFA device removed",
    &[],
    Selector::calls(
        IAM,
        &[
            Call::named(
                "DeactivateMFADevice",
                means(TurnedOff, "an MFA device of", Medium)
                    .target(&["userName"])
                    .why("the user can sign in with a password alone")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteVirtualMFADevice",
                means(Deleted, "virtual MFA device", Medium)
                    .target(&["serialNumber"])
                    .why("its user can sign in with a password alone")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["T1556.006"],
);

/// `iam-password-policy`.
pub const IAM_PASSWORD_POLICY: Monitor = calls(
    "iam-password-policy",
    "IAM password policy changed",
    &[],
    Selector::calls(
        IAM,
        &[
            Call::named(
                "DeleteAccountPasswordPolicy",
                means(Deleted, "the account password policy", Medium)
                    .why("IAM falls back to its weakest default password rules")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UpdateAccountPasswordPolicy",
                means(Changed, "the account password policy", Low)
                    .check("Check the new length, reuse and expiry rules against your standard"),
            ),
        ],
    ),
    &[],
    &[],
);

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
    decides: "HIGH when administrator access (AdministratorAccess, IAMFullAccess, or a document allowing every action or all of IAM, by Action or NotAction, on every resource, under no condition limiting who or what) is created, attached, put inline or made a version; CRITICAL by root",
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
        // Attaching a policy or making a version the default later shows no
        // content: this is the step at which the content can be judged.
        "CreatePolicy" => finding.raise(
            Severity::High,
            format!("{admin}; it is not attached to anyone yet, and attaching it later grants administrator access without showing its content"),
        ),
        "CreatePolicyVersion" if request.set_as_default != Some(true) => finding.raise(
            Severity::High,
            format!("{admin}; the version is not the default yet, and making it the default later (SetDefaultPolicyVersion) grants administrator access without showing its content"),
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

/// The reason a policy document grants administrator access, if it does.
fn admin_statement(document: &str) -> Result<Option<String>, ReadError> {
    let statements = policy::document("requestParameters.policyDocument", document)?;
    Ok(statements
        .iter()
        .enumerate()
        .find_map(|(index, s)| s.admin(index)))
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
