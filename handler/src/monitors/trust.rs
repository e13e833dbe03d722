//! Who may become whom: role trust policies, identity providers, IAM Roles
//! Anywhere trust anchors and STS federation tokens.

use serde::Deserialize;

use super::Pack::Stratus;
use super::{CHECK_CALLER, IAM, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::policy::{self, Grantee, Home, Statement};
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
            Call::named(
                "CreateProfile",
                means(Created, "IAM Roles Anywhere profile", Low)
                    .target(&["name"])
                    .why("a profile names the roles that a trust anchor's certificates can obtain credentials for"),
            ),
        ],
    ),
    &[],
    &["aws.persistence.rolesanywhere-create-trust-anchor", "T1098"],
)
.answers(&["elastic:persistence_iam_roles_anywhere_profile_created"]);

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
    decides: "CRITICAL when `*` may assume the role, or any identity of a public OIDC provider (no `sub` or audience condition); HIGH for another account or organization, a wildcarded `sub`, or an unconditioned private provider; MEDIUM for other identity providers",
};

/// OIDC providers anyone can get a token from, with the condition keys that
/// narrow them to your identities (GitHub's audience is the same for every
/// repository, so only `sub` narrows it).
const PUBLIC_PROVIDERS: &[(&str, &[&str])] = &[
    ("token.actions.githubusercontent.com", &["sub"]),
    ("gitlab.com", &["sub"]),
    ("app.terraform.io", &["sub"]),
    ("accounts.google.com", &["sub", "aud", "oaud"]),
    ("cognito-identity.amazonaws.com", &["aud"]),
    ("graph.facebook.com", &["id", "app_id"]),
    ("www.amazon.com", &["user_id", "app_id"]),
];

/// CreateRole and UpdateAssumeRolePolicy: who may assume the role, through
/// `sts:AssumeRole`, `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML`.
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
    let home = Home::of(event);
    let exposure = policy::judge_grants(&statements, home, Some("sts:AssumeRole"), finding);
    let mut public = exposure.public;
    for (index, statement) in statements.iter().enumerate() {
        if !statement.allows() {
            continue;
        }
        for grantee in statement.grantees() {
            match grantee {
                Grantee::Federated(provider) => {
                    public |=
                        federated(statement, &statement.name(index), &provider, home, finding);
                }
                Grantee::Service(service) => {
                    finding.note(format!(
                        "{} trusts the service {service}",
                        statement.name(index)
                    ));
                }
                Grantee::Everyone | Grantee::Account(_) | Grantee::Other => {}
            }
        }
    }
    let object = format!("IAM role {role}");
    if public {
        finding.describe(Verb::MadePublic, &object);
    } else if exposure.shared {
        finding.describe(Verb::Shared, &object);
    }
    Ok(())
}

/// Judges a trust in an identity provider; true when anyone on a public
/// provider can assume the role.
fn federated(
    statement: &Statement,
    name: &str,
    provider: &str,
    home: Home<'_>,
    finding: &mut Finding,
) -> bool {
    // `arn:aws:iam::ACCOUNT:oidc-provider/HOST[/PATH]`, `...:saml-provider/NAME`, or a bare host.
    let (account, kind, host) = match provider.split_once(":oidc-provider/") {
        Some((arn, host)) => (arn.rsplit(':').next(), "OIDC", host),
        None => match provider.split_once(":saml-provider/") {
            Some((arn, name)) => (arn.rsplit(':').next(), "SAML", name),
            None => (None, "OIDC", provider),
        },
    };
    if let Some(account) = account.filter(|a| Some(*a) != home.account && !a.is_empty()) {
        finding.raise(
            Severity::High,
            format!("{name} trusts identity provider {provider} of another account ({account})"),
        );
    }
    if kind == "SAML" {
        let action = "sts:AssumeRoleWithSAML";
        if statement.allows_action(action) {
            finding.raise(
                Severity::Medium,
                format!("{name} lets users of SAML provider {host} assume the role: check its conditions limit which identities"),
            );
        }
        return false;
    }
    if !statement.allows_action("sts:AssumeRoleWithWebIdentity") {
        return false;
    }
    let public = PUBLIC_PROVIDERS.iter().find(|(p, _)| *p == host);
    let narrowing: &[&str] = public.map_or(&["sub", "aud", "amr"], |(_, keys)| keys);
    let conditions: Vec<(String, Vec<&str>)> = statement
        .positive_conditions()
        .into_iter()
        .filter(|(_, key, _)| {
            key.to_ascii_lowercase()
                .strip_prefix(&format!("{}:", host.to_ascii_lowercase()))
                .is_some_and(|claim| narrowing.contains(&claim))
        })
        .map(|(_, key, values)| (key.to_owned(), values))
        .collect();
    let (anyone, open) = match public {
        Some(_) => (
            "anyone with a token from this public provider",
            Severity::Critical,
        ),
        None => ("any identity of the provider", Severity::High),
    };
    if conditions.is_empty() {
        finding.raise(
            open,
            format!("{name} trusts OIDC provider {host} with no condition on {}: {anyone} can assume the role", narrowing.join(" or ")),
        );
        return public.is_some();
    }
    let mut wildcarded = false;
    for (key, values) in &conditions {
        for value in values.iter().filter(|v| v.contains(['*', '?'])) {
            wildcarded = true;
            if pins_nothing(value) {
                finding.raise(
                    open,
                    format!("{name} trusts OIDC provider {host} where {key} is {value:?}, which names no one: {anyone} can assume the role"),
                );
                return public.is_some();
            }
            finding.raise(
                Severity::High,
                format!("{name} trusts OIDC provider {host} where {key} is {value:?}: every identity the wildcard matches (every repository, branch or workflow under it) can assume the role"),
            );
        }
    }
    if !wildcarded {
        finding.raise(
            Severity::Medium,
            format!("{name} trusts OIDC provider {host} for the identities its conditions name: check they are yours"),
        );
    }
    false
}

/// Whether a wildcarded claim value leaves nothing fixed that names an
/// owner: `*`, `repo:*`, `project_path:*`, `*:ref:refs/heads/main`.
fn pins_nothing(value: &str) -> bool {
    let fixed = value.split(['*', '?']).next().unwrap_or_default();
    let owner = fixed.split_once(':').map_or(fixed, |(_, rest)| rest);
    owner.trim_matches(['/', ':']).is_empty()
}
