//! IAM beyond users, keys and policies: the other credentials a user can hold
//! (service-specific credentials, SSH keys, signing certificates, MFA devices,
//! passwords), and the other paths to a role's permissions (instance profiles,
//! groups, permissions boundaries, SAML providers, service-linked roles).

use serde_json::Value;

use super::{CHECK_CALLER, IAM, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError};
use crate::selector::{Call, Selector};
use contract::Severity::{High, Low, Medium};

const USER: &[&str] = &["userName"];
const ROLE: &[&str] = &["roleName"];

/// `iam-credential-added`.
pub const IAM_CREDENTIAL_ADDED: Monitor = calls(
    "iam-credential-added",
    "IAM user given another credential, or a disabled access key re-activated",
    &[],
    Selector::calls(
        IAM,
        &[
            Call::named("UpdateAccessKey", means(Changed, "access key of IAM user", Low).target(USER))
                .refine(ACCESS_KEY_STATUS),
            Call::named(
                "CreateServiceSpecificCredential",
                means(Created, "service-specific credential for IAM user", Medium)
                    .target(USER)
                    .why("a long-term credential for one service (CodeCommit, Keyspaces, Bedrock API keys) that survives access-key rotation")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UploadSSHPublicKey",
                means(Added, "an SSH key to IAM user", Medium)
                    .target(USER)
                    .why("whoever holds the private key can use CodeCommit as the user")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UploadSigningCertificate",
                means(Added, "a signing certificate to IAM user", Medium)
                    .target(USER)
                    .why("a long-term credential for the services that accept signed requests with it")
                    .check(CHECK_CALLER),
            ),
            Call::named("CreateVirtualMFADevice", means(Created, "virtual MFA device", Low).target(&["virtualMFADeviceName"])),
            Call::named("EnableMFADevice", means(Added, "an MFA device to IAM user", Low).target(USER))
                .refine(MFA_FOR_ANOTHER),
            Call::named("ChangePassword", means(Changed, "own console password", Low)),
            Call::named("DeleteLoginProfile", means(Deleted, "console password of IAM user", Low).target(USER)),
        ],
    ),
    &[],
    &["T1098.001", "T1556.006"],
)
.answers(&[
    "elastic:persistence_aws_attempt_to_register_virtual_mfa_device",
    "panther:aws_iam_anything_changed",
    "panther:aws_update_credentials",
    "panther:aws_cloudtrail_loginprofilecreatedormodified",
]);

/// `iam-access-path-changed`.
pub const IAM_ACCESS_PATH_CHANGED: Monitor = calls(
    "iam-access-path-changed",
    "IAM instance profile, group, permissions boundary, SAML provider or service-linked role changed",
    &[],
    Selector::calls(
        IAM,
        &[
            Call::named(
                "AddRoleToInstanceProfile",
                means(Added, "role to instance profile", Medium)
                    .target(&["instanceProfileName"])
                    .why("whoever may pass the profile to an instance can act as the role")
                    .check(CHECK_CALLER),
            ),
            Call::named("CreateInstanceProfile", means(Created, "instance profile", Low).target(&["instanceProfileName"])),
            Call::named(
                "PutRolePermissionsBoundary",
                means(Changed, "the permissions boundary of IAM role", Medium)
                    .target(ROLE)
                    .why("a wider boundary lets the role use more of its policies' permissions")
                    .check("Compare the new boundary with the one it replaced"),
            )
            .refine(BOUNDARY),
            Call::named(
                "PutUserPermissionsBoundary",
                means(Changed, "the permissions boundary of IAM user", Medium)
                    .target(USER)
                    .why("a wider boundary lets the user use more of their policies' permissions")
                    .check("Compare the new boundary with the one it replaced"),
            )
            .refine(BOUNDARY),
            Call::named(
                "DeleteSAMLProvider",
                means(Deleted, "SAML identity provider", Medium)
                    .target(&["sAMLProviderArn"])
                    .why("federated sign-in through the provider stops")
                    .check(CHECK_CALLER),
            ),
            Call::named("CreateGroup", means(Created, "IAM group", Low).target(&["groupName"])),
            Call::named("DeleteGroup", means(Deleted, "IAM group", Low).target(&["groupName"])),
            Call::named(
                "CreateServiceLinkedRole",
                means(Created, "service-linked role", Low).target(&["aWSServiceName"]),
            ),
        ],
    ),
    &[],
    &["T1098", "T1484"],
)
.answers(&[
    "elastic:persistence_sensitive_operations_via_cloudshell",
    "elastic:privilege_escalation_iam_privilege_operations_via_lambda_execution_role",
    "elastic:privilege_escalation_iam_permissions_boundary_modified",
    "elastic:persistence_iam_group_creation",
    "elastic:impact_iam_group_deletion",
    "panther:aws_iam_anything_changed",
    "panther:aws_iam_entity_created_without_cloudformation",
    "panther:aws_saml_activity",
    "sigma:aws_delete_saml_provider",
]);

/// [`access_key_status`] and what it decides.
pub const ACCESS_KEY_STATUS: Judge = Judge {
    assess: access_key_status,
    decides: "MEDIUM when a key is made Active again; deactivating one is dismissed",
};

/// UpdateAccessKey: a disabled key brought back is a credential in use again.
pub fn access_key_status(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let key = request["accessKeyId"].as_str().unwrap_or("(not recorded)");
    if request["status"]
        .as_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("Active"))
    {
        let user = request["userName"].as_str().unwrap_or("the caller");
        finding.describe(Enabled, &format!("access key {key} of IAM user {user}"));
        finding.raise(
            Medium,
            "a deactivated long-term access key works again: keys are deactivated when suspected or retired".to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    } else {
        finding.dismiss("the key is deactivated, not activated");
    }
    Ok(())
}

/// [`mfa_for_another`] and what it decides.
pub const MFA_FOR_ANOTHER: Judge = Judge {
    assess: mfa_for_another,
    decides: "HIGH when the caller binds an MFA device to another user; a user enabling their own is dismissed",
};

/// EnableMFADevice: whoever binds the device holds the user's second factor.
pub fn mfa_for_another(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let user = request["userName"].as_str();
    let caller = &event.record.user_identity;
    let own = caller.kind.as_deref() == Some("IAMUser") && caller.user_name.as_deref() == user;
    if own || user.is_none() {
        finding.dismiss("a user enabled an MFA device for themselves");
        return Ok(());
    }
    finding.raise(
        High,
        "someone other than the user bound the device: they hold the user's second factor, and the user cannot add their own".to_owned(),
    );
    finding.step(CHECK_CALLER.to_owned());
    Ok(())
}

/// [`boundary`] and what it decides.
pub const BOUNDARY: Judge = Judge {
    assess: boundary,
    decides: "HIGH when the boundary is AWS's AdministratorAccess policy, which bounds nothing",
};

/// Put*PermissionsBoundary: AdministratorAccess as a boundary removes the bound.
pub fn boundary(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request["permissionsBoundary"].as_str()
        == Some("arn:aws:iam::aws:policy/AdministratorAccess")
    {
        let object = finding.object.clone();
        finding.describe(Weakened, &object);
        finding.raise(
            High,
            "the new boundary is AdministratorAccess: it bounds nothing, so every permission the policies grant is usable".to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}
