//! Who may become whom: role trust policies, identity providers, IAM Roles
//! Anywhere trust anchors and STS federation tokens.

use serde::Deserialize;

use super::Pack::Stratus;
use super::{CHECK_CALLER, IAM, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::{own_account, request};
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::policy::{self, Grantee};
use crate::selector::{Call, Selector};
use contract::Severity::{self, High, Low, Medium};

/// `iam-role-trust`.
pub const IAM_ROLE_TRUST: Monitor = calls(
    "iam-role-trust",
    "IAM role trust policy set",
    &[Stratus],
    Selector::calls(
        IAM,
        &[
            Call::named(
                "UpdateAssumeRolePolicy",
                means(Changed, "the trust policy of IAM role", Medium)
                    .target(&["roleName"])
                    .why("the trust policy decides who may assume the role"),
            )
            .refine(TRUST_POLICY),
            Call::named(
                "CreateRole",
                means(Created, "IAM role", Low).target(&["roleName"]),
            )
            .refine(TRUST_POLICY),
        ],
    ),
    &[],
    &[
        "aws.persistence.iam-backdoor-role",
        "aws.persistence.iam-create-backdoor-role",
        "T1098.003",
    ],
);

/// `rolesanywhere-trust-anchor`.
pub const ROLESANYWHERE_TRUST_ANCHOR: Monitor = calls(
    "rolesanywhere-trust-anchor",
    "IAM Roles Anywhere trust anchor set",
    &[Stratus],
    Selector::calls(
        "rolesanywhere.amazonaws.com",
        &[
            Call::named(
                "CreateTrustAnchor",
                means(Created, "IAM Roles Anywhere trust anchor", High)
                    .target(&["name"])
                    .why("certificates from this authority can obtain role credentials from outside AWS")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UpdateTrustAnchor",
                means(Changed, "IAM Roles Anywhere trust anchor", High)
                    .target(&["trustAnchorId"])
                    .why("certificates from this authority can obtain role credentials from outside AWS")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["aws.persistence.rolesanywhere-create-trust-anchor"],
);

/// `sts-federation-token`.
pub const STS_FEDERATION_TOKEN: Monitor = calls(
    "sts-federation-token",
    "Federation token issued",
    &[Stratus],
    Selector::calls(
        "sts.amazonaws.com",
        &[Call::named(
            "GetFederationToken",
            means(Created, "federation token", Medium)
                .target(&["name"])
                .why("federation tokens outlive the revocation of the caller's access key")
                .check(CHECK_CALLER),
        )],
    ),
    &[],
    &["aws.persistence.sts-federation-token", "T1098.001"],
);

/// `iam-identity-provider`.
pub const IAM_IDENTITY_PROVIDER: Monitor = calls(
    "iam-identity-provider",
    "IAM identity provider changed",
    &[],
    Selector::calls(
        IAM,
        &[
            Call::named(
                "CreateSAMLProvider",
                means(Created, "SAML identity provider", Medium)
                    .target(&["name"])
                    .why("users of the provider can assume roles that trust it")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UpdateSAMLProvider",
                means(Changed, "SAML identity provider", Medium)
                    .target(&["sAMLProviderArn"])
                    .why(
                        "a new signing certificate lets another party sign in through the provider",
                    )
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "CreateOpenIDConnectProvider",
                means(Created, "OIDC identity provider", Medium)
                    .target(&["url"])
                    .why("tokens from the provider can assume roles that trust it")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UpdateOpenIDConnectProviderThumbprint",
                means(Changed, "the thumbprints of OIDC identity provider", Medium)
                    .target(&["openIDConnectProviderArn"])
                    .why("a new thumbprint trusts another certificate for the provider")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "AddClientIDToOpenIDConnectProvider",
                means(Added, "a client ID to OIDC identity provider", Medium)
                    .target(&["openIDConnectProviderArn"])
                    .why("tokens issued to the new client can assume roles that trust the provider")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["T1484.002"],
);

/// `requestParameters` of CreateRole and UpdateAssumeRolePolicy.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TrustRequest {
    role_name: Option<String>,
    policy_document: Option<String>,
    assume_role_policy_document: Option<String>,
}

/// [`trust_policy`] and what it decides.
pub const TRUST_POLICY: Judge = Judge {
    assess: trust_policy,
    decides: "CRITICAL when `*` may assume the role, HIGH for another account, MEDIUM for an identity provider",
};

/// CreateRole and UpdateAssumeRolePolicy: who may assume the role. `*` without a
/// restricting condition is CRITICAL, another account HIGH.
pub fn trust_policy(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: TrustRequest = request(event)?;
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
