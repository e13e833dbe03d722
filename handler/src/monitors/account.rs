//! The account itself: regions enabled, contacts changed, member accounts
//! closed; domains transferred and private DNS zones attached; the identity
//! source of IAM Identity Center replaced.

use serde_json::Value;

use super::{CHECK_CALLER, Monitor, means, services};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError};
use crate::selector::{Call, Selector};
use contract::Severity::{High, Low, Medium};

/// `account-regions-or-contacts-changed`.
pub const ACCOUNT_REGIONS_OR_CONTACTS_CHANGED: Monitor = services(
    "account-regions-or-contacts-changed",
    "Opt-in region enabled, account contacts changed or a member account closed",
    &[],
    &[
        Selector::calls(
            "account.amazonaws.com",
            &[
                Call::named(
                    "EnableRegion",
                    means(Enabled, "opt-in region", Medium)
                        .target(&["RegionName", "regionName"])
                        .why("resources can now be created in a region your monitoring may not cover")
                        .check("Confirm the region is needed, and that trailwatch and your trail cover it"),
                ),
                Call::named(
                    "DisableRegion",
                    means(Changed, "opt-in region (disabled)", Low).target(&["RegionName", "regionName"]),
                ),
                Call::named("PutAlternateContact", means(Changed, "an alternate contact", Low))
                    .refine(CONTACT),
                Call::named("DeleteAlternateContact", means(Deleted, "an alternate contact", Low))
                    .refine(CONTACT),
                Call::named(
                    "PutContactInformation",
                    means(Changed, "the account's primary contact", Medium)
                        .why("AWS sends account notices, and account recovery goes, to the primary contact")
                        .check(CHECK_CALLER),
                ),
            ],
        ),
        Selector::calls(
            "organizations.amazonaws.com",
            &[Call::named(
                "CloseAccount",
                means(Closed, "member account", High)
                    .target(&["accountId", "AccountId"])
                    .why("the account's resources stop and are deleted after the post-closure period")
                    .check(CHECK_CALLER),
            )],
        ),
    ],
    &[],
    &["T1535", "T1531"],
)
.answers(&[
    "panther:aws_cloudtrail_region_enabled",
    "sigma:aws_cloudtrail_region_enabled",
    "elastic:impact_aws_account_closed",
]);

/// `route53-domain-or-zone-changed`.
pub const ROUTE53_DOMAIN_OR_ZONE_CHANGED: Monitor = services(
    "route53-domain-or-zone-changed",
    "Route 53 domain transfer lock removed or domain transferred, or a private zone attached to a VPC",
    &[],
    &[
        Selector::calls(
            "route53domains.amazonaws.com",
            &[
                Call::named(
                    "DisableDomainTransferLock",
                    means(Removed, "the transfer lock of domain", High)
                        .target(&["domainName"])
                        .why("the domain can now be transferred to another registrar: the prelude to a domain hijack")
                        .check(CHECK_CALLER)
                        .revert("aws route53domains enable-domain-transfer-lock --domain-name {target} --region us-east-1"),
                ),
                Call::named(
                    "TransferDomainToAnotherAwsAccount",
                    means(Started, "transfer of domain to another AWS account", High)
                        .target(&["domainName"])
                        .why("once the other account accepts, it controls the domain's DNS and mail")
                        .check(CHECK_CALLER),
                )
                .refine(DOMAIN_RECIPIENT),
            ],
        ),
        Selector::calls(
            "route53.amazonaws.com",
            &[Call::named(
                "AssociateVPCWithHostedZone",
                means(Attached, "private hosted zone to a VPC", Low)
                    .target(&["hostedZoneId"])
                    .why("the zone's records now answer the VPC's DNS queries for its names"),
            )],
        ),
    ],
    &[],
    &["T1584.001", "T1565"],
)
.answers(&[
    "elastic:persistence_route_53_domain_transfer_lock_disabled",
    "elastic:persistence_route_53_domain_transferred_to_another_account",
    "elastic:persistence_route_53_hosted_zone_associated_with_a_vpc",
    "sigma:aws_route_53_domain_transferred_lock_disabled",
    "sigma:aws_route_53_domain_transferred_to_another_account",
]);

/// Identity Center's identity-source calls, recorded under either event source.
const IDENTITY_SOURCE: &[Call] = &[
    Call::named(
        "EnableExternalIdPConfigurationForDirectory",
        means(
            Enabled,
            "an external identity provider for IAM Identity Center",
            High,
        )
        .why("whoever controls the provider can sign in as any Identity Center user")
        .check(CHECK_CALLER),
    ),
    Call::named(
        "AssociateDirectory",
        means(
            Attached,
            "a directory as IAM Identity Center's identity source",
            High,
        )
        .why("the directory's users can now sign in to the accounts Identity Center manages")
        .check(CHECK_CALLER),
    ),
    Call::named(
        "DisableExternalIdPConfigurationForDirectory",
        means(
            TurnedOff,
            "the external identity provider of IAM Identity Center",
            Medium,
        )
        .why("users signing in through the provider are locked out")
        .check(CHECK_CALLER),
    ),
    Call::named(
        "DisassociateDirectory",
        means(Removed, "the directory of IAM Identity Center", Medium)
            .why("users signing in through the directory are locked out")
            .check(CHECK_CALLER),
    ),
];

/// `identity-center-source-changed`.
pub const IDENTITY_CENTER_SOURCE_CHANGED: Monitor = services(
    "identity-center-source-changed",
    "IAM Identity Center identity source changed",
    &[],
    &[
        Selector::calls("sso-directory.amazonaws.com", IDENTITY_SOURCE),
        Selector::calls("sso.amazonaws.com", IDENTITY_SOURCE),
    ],
    &[],
    &["T1556.007", "T1484.002"],
)
.answers(&["sigma:aws_sso_idp_change"]);

/// [`contact`] and what it decides.
pub const CONTACT: Judge = Judge {
    assess: contact,
    decides: "MEDIUM for the SECURITY contact (where AWS sends security notices)",
};

/// Put/DeleteAlternateContact: the security contact is where AWS warns you.
pub fn contact(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let kind = request["AlternateContactType"]
        .as_str()
        .or(request["alternateContactType"].as_str())
        .unwrap_or("(not recorded)");
    let verb = finding.verb;
    finding.describe(
        verb,
        &format!("the {} alternate contact", kind.to_lowercase()),
    );
    if kind.eq_ignore_ascii_case("SECURITY") {
        finding.raise(
            Medium,
            "AWS sends security notices (abuse reports, exposed keys) to the security contact"
                .to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}

/// [`domain_recipient`] and what it decides.
pub const DOMAIN_RECIPIENT: Judge = Judge {
    assess: domain_recipient,
    decides: "",
};

/// TransferDomainToAnotherAwsAccount: names the receiving account.
pub fn domain_recipient(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if let Some(account) = request["accountId"].as_str() {
        finding.note(format!("receiving account: {account}"));
    }
    Ok(())
}
