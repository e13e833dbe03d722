//! Suppressions: findings the user decided not to hear about, each with a reason,
//! optional conditions on who, from where and in which account, an optional
//! expiry, and a severity above which it never hides anything.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::Date;
use time::macros::format_description;

use crate::event::Event;
use crate::monitors::Monitor;
use crate::selection::Selection;
use crate::tuning::wildcard::Wildcard;
use contract::Severity;

/// Longest reason, in characters.
const MAX_REASON_CHARS: usize = 200;
/// Where the caller's ARN is, and where a role session's role ARN is.
const PRINCIPAL_PATHS: [&[&str]; 2] = [
    &["userIdentity", "arn"],
    &["userIdentity", "sessionContext", "sessionIssuer", "arn"],
];

/// A `[[suppress]]` block of the configuration. Conditions are ANDed, the
/// values of one condition ORed; the principal conditions (`role`, `user`,
/// `service`, `principal_arn`) together say who, and any of them may match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressSpec {
    /// Why: logged with every event it suppresses.
    pub reason: String,
    /// Monitor ids or packs it applies to (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitors: Option<Vec<String>>,
    /// Role name patterns (`*` for any name characters), matched on the role
    /// of an assumed-role session, in an allowed account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<String>,
    /// IAM user name patterns, matched on IAM users of an allowed account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user: Vec<String>,
    /// AWS service principals (`cloudformation.amazonaws.com`) calling on someone's behalf.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service: Vec<String>,
    /// Exact ARNs of the caller or of a role session's role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub principal_arn: Vec<String>,
    /// CIDRs the call came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_ip: Vec<String>,
    /// Accounts the event was recorded in, and whose roles and users `role`
    /// and `user` match (default: the event's own account only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account: Vec<String>,
    /// Last day (UTC) it applies: a TOML date or a string YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Day>,
    /// It never hides a finding above this severity.
    #[serde(default = "default_max_severity")]
    pub max_severity: Severity,
}

/// A day as TOML writes it (`2025-12-31`, a local date) or as a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Day {
    Text(String),
    /// The form the `toml` crate gives a date to serde.
    Toml {
        #[serde(rename = "$__toml_private_datetime")]
        datetime: String,
    },
}

impl From<&str> for Day {
    fn from(text: &str) -> Self {
        Day::Text(text.to_owned())
    }
}

impl Day {
    fn text(&self) -> &str {
        match self {
            Day::Text(text) | Day::Toml { datetime: text } => text,
        }
    }
}

/// MEDIUM: hiding a HIGH finding (StopLogging, an admin grant) is a choice
/// to write down, not a default.
fn default_max_severity() -> Severity {
    Severity::Medium
}

/// A checked suppression.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub reason: String,
    /// The monitor ids it covers; `None` for all.
    monitors: Option<Vec<&'static str>>,
    roles: Vec<Wildcard>,
    users: Vec<Wildcard>,
    services: Vec<String>,
    principals: Vec<Wildcard>,
    networks: Vec<IpNet>,
    accounts: Vec<String>,
    pub expires: Option<Date>,
    pub max_severity: Severity,
}

impl Suppression {
    /// Whether it no longer applies on `today`.
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|last| today > last)
    }

    /// Whether it may hide a finding of `monitor` with `severity`.
    pub fn covers(&self, monitor: &Monitor, severity: Severity) -> bool {
        severity <= self.max_severity && self.names(monitor)
    }

    fn names(&self, monitor: &Monitor) -> bool {
        self.monitors
            .as_ref()
            .is_none_or(|ids| ids.contains(&monitor.id))
    }

    /// The principal ARNs EventBridge can exclude in `monitor`'s rule pattern:
    /// only for a suppression that never expires, tests nothing but exact
    /// principal ARNs, and could hide anything the monitor raises.
    pub fn excludes(&self, monitor: &Monitor) -> &[Wildcard] {
        let pattern_only = self.expires.is_none()
            && !self.principals.is_empty()
            && self.roles.is_empty()
            && self.users.is_empty()
            && self.services.is_empty()
            && self.networks.is_empty()
            && self.accounts.is_empty()
            && self.names(monitor)
            && monitor.ceiling() <= self.max_severity;
        if pattern_only { &self.principals } else { &[] }
    }

    /// Whether the caller is one it names (true when it names none).
    fn names_caller(&self, event: &Event<'_>) -> bool {
        if self.roles.is_empty()
            && self.users.is_empty()
            && self.services.is_empty()
            && self.principals.is_empty()
        {
            return true;
        }
        let identity = &event.record.user_identity;
        let home = event
            .envelope
            .account
            .as_deref()
            .or(event.record.recipient_account_id.as_deref());
        let allowed = |account: Option<&str>| match (account, self.accounts.is_empty()) {
            (Some(account), true) => Some(account) == home,
            (Some(account), false) => self.accounts.iter().any(|a| a == account),
            (None, _) => false,
        };
        let kind = identity.kind.as_deref();
        let role = (kind == Some("AssumedRole"))
            .then(|| identity.session_context.as_ref()?.session_issuer.as_ref())
            .flatten()
            .filter(|issuer| {
                issuer
                    .arn
                    .as_deref()
                    .is_some_and(|arn| arn.contains(":role/"))
            });
        let role_matches = role.is_some_and(|issuer| {
            let account = issuer.arn.as_deref().and_then(|arn| arn.split(':').nth(4));
            allowed(account)
                && issuer
                    .user_name
                    .as_deref()
                    .is_some_and(|name| self.roles.iter().any(|w| w.matches(name)))
        });
        let user_matches = kind == Some("IAMUser")
            && allowed(identity.account_id.as_deref())
            && identity
                .user_name
                .as_deref()
                .is_some_and(|name| self.users.iter().any(|w| w.matches(name)));
        let service_matches = identity
            .invoked_by
            .as_deref()
            .is_some_and(|by| self.services.iter().any(|s| s == by));
        let arns = [identity.arn.as_deref(), identity.session_issuer()];
        let arn_matches = self
            .principals
            .iter()
            .any(|w| arns.iter().flatten().any(|arn| w.matches(arn)));
        role_matches || user_matches || service_matches || arn_matches
    }
}

/// Every suppression. Conditions are tested directly on the fields the event
/// model has read: quamina compiles a CIDR into some 1,300 automaton states (50
/// of them overflow its memory budget), and its wildcards cost more than
/// [`Wildcard`] on two short ARNs.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    list: Vec<Suppression>,
}

impl Suppressions {
    /// Checks every block against the enabled monitors; reports each problem
    /// with the block's position and reason.
    pub fn build(specs: &[SuppressSpec], selection: &Selection) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let mut list = Vec::new();
        for (index, spec) in specs.iter().enumerate() {
            match build_one(spec, selection) {
                Ok(suppression) => list.push(suppression),
                Err(errors) => problems.extend(
                    errors
                        .into_iter()
                        .map(|e| format!("suppress[{index}] ({:?}): {e}", spec.reason)),
                ),
            }
        }
        if problems.is_empty() {
            Ok(Self { list })
        } else {
            Err(problems)
        }
    }

    /// Every suppression.
    pub fn iter(&self) -> impl Iterator<Item = &Suppression> {
        self.list.iter()
    }

    /// The unexpired suppressions whose conditions hold for `event`.
    pub fn holding(&self, event: &Event<'_>, today: Date) -> Vec<&Suppression> {
        if self.list.is_empty() {
            return Vec::new();
        }
        let source: Option<IpAddr> = event
            .record
            .source_ip_address
            .as_deref()
            .and_then(|ip| ip.parse().ok());
        let account = event.envelope.account.as_deref();
        self.list
            .iter()
            // The cheap conditions first: most suppressions fail one of them.
            .filter(|s| {
                !s.expired(today)
                    && (s.accounts.is_empty()
                        || account.is_some_and(|a| s.accounts.iter().any(|x| x == a)))
                    && (s.networks.is_empty()
                        || source.is_some_and(|ip| s.networks.iter().any(|n| n.contains(&ip))))
                    && s.names_caller(event)
            })
            .collect()
    }

    /// The principal patterns `monitor`'s rule pattern excludes, sorted.
    pub fn excluded_principals(&self, monitor: &Monitor) -> Vec<String> {
        let mut all: Vec<String> = self
            .list
            .iter()
            .flat_map(|s| s.excludes(monitor))
            .map(|w| w.as_str().to_owned())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// One checked suppression, or every problem of its block.
fn build_one(spec: &SuppressSpec, selection: &Selection) -> Result<Suppression, Vec<String>> {
    let mut problems = Vec::new();
    let reason = spec.reason.trim();
    if reason.is_empty()
        || reason.chars().count() > MAX_REASON_CHARS
        || reason.chars().any(char::is_control)
    {
        problems.push(format!(
            "reason must hold 1-{MAX_REASON_CHARS} characters, no control characters"
        ));
    }
    let monitors = spec.monitors.as_ref().map(|names| {
        if names.is_empty() {
            problems.push("monitors is empty: leave it out to cover every monitor".to_owned());
        }
        let mut ids = Vec::new();
        for name in names {
            match selection.named(name) {
                Some(mut named) => ids.append(&mut named),
                None => problems.push(format!("monitors: {name:?} is no enabled monitor or pack")),
            }
        }
        ids
    });
    let roles = names("role", &spec.role, &mut problems);
    let users = names("user", &spec.user, &mut problems);
    for service in &spec.service {
        if !service.ends_with(".amazonaws.com") || service.contains(['*', ' ']) {
            problems.push(format!(
                "service: {service:?} is not a service principal (like cloudformation.amazonaws.com)"
            ));
        }
    }
    let principals: Vec<Wildcard> = spec
        .principal_arn
        .iter()
        .filter_map(|arn| {
            if arn.contains('*') {
                problems.push(format!(
                    "principal_arn: {arn:?} holds '*', which can span ':' and '/' (an IAM user whose path holds \":role/\", another account): give exact ARNs, and name roles with role = [\"ci-*\"], users with user = [...]"
                ));
                return None;
            }
            let exact = arn.starts_with("arn:") && !arn.chars().any(char::is_control);
            if !exact {
                problems.push(format!("principal_arn: {arn:?} is not an ARN"));
            }
            Wildcard::new(&arn.replace('\\', "\\\\")).filter(|_| exact)
        })
        .collect();
    let networks: Vec<IpNet> = spec
        .source_ip
        .iter()
        .filter_map(|cidr| {
            cidr.parse::<IpNet>()
                .map_err(|_| {
                    problems.push(format!(
                        "source_ip: {cidr:?} is not a CIDR (like 10.0.0.0/8 or 2001:db8::/32)"
                    ))
                })
                .ok()
        })
        .collect();
    for account in &spec.account {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(format!("account: {account:?} is not a 12-digit account id"));
        }
    }
    let names_who =
        !(roles.is_empty() && users.is_empty() && spec.service.is_empty() && principals.is_empty());
    if !names_who && spec.account.is_empty() {
        if spec.source_ip.is_empty() {
            problems.push("it names no principal (role, user, service, principal_arn), account or source_ip: it would hide every finding of its monitors".to_owned());
        } else if spec.max_severity >= Severity::High {
            problems.push(format!("max_severity {} hides HIGH findings: name a principal (role, user, service, principal_arn) or an account too", spec.max_severity));
        }
    }
    let expires = spec.expires.as_ref().map(Day::text).and_then(|text| {
        Date::parse(text, format_description!("[year]-[month]-[day]"))
            .map_err(|_| problems.push(format!("expires: {text:?} is not a date YYYY-MM-DD")))
            .ok()
    });
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Suppression {
        reason: reason.to_owned(),
        monitors,
        roles,
        users,
        services: spec.service.clone(),
        principals,
        networks,
        accounts: spec.account.clone(),
        expires,
        max_severity: spec.max_severity,
    })
}

/// Name patterns of IAM roles or users: name characters and `*`, which then
/// spans name characters only (names hold no `:` or `/`).
fn names(field: &str, patterns: &[String], problems: &mut Vec<String>) -> Vec<Wildcard> {
    patterns
        .iter()
        .filter_map(|pattern| {
            let valid = !pattern.is_empty()
                && pattern.len() <= 64
                && pattern
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-*".contains(c));
            if !valid {
                problems.push(format!(
                    "{field}: {pattern:?} is not a name pattern (IAM name characters and '*', no ':' or '/'; paths are not part of a name)"
                ));
                return None;
            }
            Wildcard::new(pattern)
        })
        .collect()
}

/// Whether principals can be excluded in this sub-pattern: its `detail` tests
/// no principal field and has no `$or` of its own.
pub fn can_exclude(pattern: &Value) -> bool {
    let detail = &pattern["detail"];
    detail.get("$or").is_none()
        && !PRINCIPAL_PATHS.iter().any(|path| {
            path.iter()
                .try_fold(detail, |at, key| at.get(*key))
                .is_some()
        })
}

/// `pattern` (one monitor's sub-pattern) with events from these principals
/// excluded, as EventBridge writes it: each principal field either absent or
/// none of them. Left as is when its `detail` already tests a principal field
/// or uses `$or` (the handler still applies the suppression).
pub fn exclude_principals(pattern: &mut Value, principals: &[String]) {
    if principals.is_empty() || !can_exclude(pattern) {
        return;
    }
    let none_of = json!([{"anything-but": {"wildcard": principals}}]);
    let absent = json!([{"exists": false}]);
    let mut alternatives = Vec::new();
    for caller in [&none_of, &absent] {
        for role in [&none_of, &absent] {
            alternatives.push(json!({"userIdentity": {
                "arn": caller,
                "sessionContext": {"sessionIssuer": {"arn": role}},
            }}));
        }
    }
    pattern["detail"]["$or"] = Value::Array(alternatives);
}
