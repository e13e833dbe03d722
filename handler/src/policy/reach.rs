//! Whom the conditions of a grant reach: the home account or organization,
//! someone else's, or anyone (`aws:SourceIp` of internet scale and wildcard
//! ARNs pin nobody).

use crate::cidr::{Peer, classify_cidrs};
use crate::event::Event;
use crate::finding::read::own_account;

/// Where a judge found the account and organization the policy belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Home<'a> {
    /// The account the event was recorded in.
    pub account: Option<&'a str>,
    /// The organization of the watched accounts, when the deployment knows it.
    pub organization: Option<&'a str>,
}

impl<'a> Home<'a> {
    /// The account and organization an event's resource belongs to.
    pub fn of(event: &'a Event<'_>) -> Self {
        Self {
            account: own_account(event),
            organization: event.organization.as_deref(),
        }
    }
}

/// Whom the conditions of a grant to everyone leave it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// No condition pins the callers: anyone.
    Everyone,
    /// Pinned to the home account or organization, a named resource or a
    /// network, by `condition`.
    Restricted(String),
    /// Pinned to another account or organization (`whom`) by `condition`.
    Foreign { condition: String, whom: String },
    /// Pinned to an organization that may or may not be the home one.
    Organization { condition: String, id: String },
}

/// What one condition key pins a caller to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Pin {
    Nothing,
    Network,
    Organization(String),
    Foreign(String),
    Resource,
    Home,
}

/// Whom a grant to everyone reaches under conditions (`label`, key, values)
/// that must all hold: the narrowest pin decides.
pub fn reach<'v>(
    conditions: impl IntoIterator<Item = (String, &'v str, Vec<&'v str>)>,
    home: Home<'_>,
) -> Reach {
    let best = conditions
        .into_iter()
        .map(|(label, key, values)| (pin(key, &values, home), label))
        .max_by(|a, b| a.0.cmp(&b.0));
    match best {
        None | Some((Pin::Nothing, _)) => Reach::Everyone,
        Some((Pin::Home | Pin::Resource | Pin::Network, condition)) => Reach::Restricted(condition),
        Some((Pin::Foreign(whom), condition)) => Reach::Foreign { condition, whom },
        Some((Pin::Organization(id), condition)) => Reach::Organization { condition, id },
    }
}

fn wild(value: &str) -> bool {
    value.contains(['*', '?'])
}

/// What a condition key with these values pins a caller to.
fn pin(key: &str, values: &[&str], home: Home<'_>) -> Pin {
    if values.is_empty() {
        return Pin::Nothing;
    }
    match key.to_ascii_lowercase().as_str() {
        "aws:sourceip" => {
            let peers = classify_cidrs(values);
            let wide = peers
                .iter()
                .any(|p| matches!(p, Peer::Internet(_) | Peer::Unreadable(_)));
            if wide { Pin::Nothing } else { Pin::Network }
        }
        "aws:sourcevpc" | "aws:sourcevpce" if values.iter().all(|v| !wild(v)) => Pin::Network,
        "aws:principalaccount"
        | "aws:sourceaccount"
        | "aws:sourceowner"
        | "s3:dataaccesspointaccount" => all_of(values, |v| account_pin(v, home)),
        "aws:principalarn" | "aws:sourcearn" | "s3:dataaccesspointarn" => {
            all_of(values, |v| arn_pin(v, home))
        }
        "aws:userid" => all_of(values, |v| {
            let principal = v.split(':').next().unwrap_or_default();
            if principal.is_empty() || wild(principal) {
                Pin::Nothing
            } else {
                Pin::Resource
            }
        }),
        "aws:principalorgid" | "aws:sourceorgid" => all_of(values, |v| organization_pin(v, home)),
        "aws:principalorgpaths" | "aws:sourceorgpaths" => all_of(values, |v| {
            organization_pin(v.split('/').next().unwrap_or_default(), home)
        }),
        _ => Pin::Nothing,
    }
}

/// A key's values are alternatives: the key pins only as far as its widest value.
fn all_of(values: &[&str], pin: impl Fn(&str) -> Pin) -> Pin {
    values.iter().map(|v| pin(v)).min().unwrap_or(Pin::Nothing)
}

fn account_pin(account: &str, home: Home<'_>) -> Pin {
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Pin::Nothing;
    }
    if Some(account) == home.account {
        Pin::Home
    } else {
        Pin::Foreign(format!("account {account}"))
    }
}

/// An ARN pins its account when that field is fixed; a fixed ARN without an
/// account (an S3 bucket) pins that resource; a wildcard account pins nobody.
fn arn_pin(arn: &str, home: Home<'_>) -> Pin {
    match arn.split(':').nth(4) {
        Some("") if !wild(arn) => Pin::Resource,
        Some(account) => account_pin(account, home),
        None => Pin::Nothing,
    }
}

fn organization_pin(id: &str, home: Home<'_>) -> Pin {
    if !id.starts_with("o-") || wild(id) {
        return Pin::Nothing;
    }
    match home.organization {
        Some(home) if home == id => Pin::Home,
        Some(_) => Pin::Foreign(format!("organization {id}")),
        None => Pin::Organization(id.to_owned()),
    }
}
