//! IAM policy documents, one judge for every service that speaks the policy
//! language (bucket, key, queue, topic, secret, repository, vault and domain
//! policies, role trust policies): who an Allow statement grants to, whether
//! its conditions pin the callers and to whom, and whether it grants
//! administrator access.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::finding::read::OneOrMany;
use crate::finding::{Finding, ReadError};
use crate::text::json_error;
use contract::Severity;

mod reach;

pub use reach::{Home, Reach, reach};

/// Operators that need the key present and equal to (or like, or inside) a value.
const POSITIVE_OPERATORS: &[&str] = &[
    "stringequals",
    "stringequalsignorecase",
    "stringlike",
    "arnequals",
    "arnlike",
    "ipaddress",
];

/// Condition keys that say nothing about who calls or on what: a grant under
/// them alone is still a grant to whoever the statement names (lower case).
const UNRESTRICTING_KEYS: &[&str] = &[
    "aws:securetransport",
    "aws:currenttime",
    "aws:epochtime",
    "aws:requestedregion",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:tokenissuetime",
    "aws:useragent",
    "aws:referer",
    "aws:viaawsservice",
    "aws:calledvia",
    "aws:calledviafirst",
    "aws:calledvialast",
    "s3:signatureversion",
    "s3:authtype",
    "s3:tlsversion",
];

/// A policy document.
#[derive(Debug, Deserialize)]
struct Document {
    #[serde(rename = "Statement")]
    statement: OneOrMany<Statement>,
}

/// One statement.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    sid: Option<Value>,
    effect: Option<String>,
    principal: Option<Value>,
    not_principal: Option<Value>,
    action: Option<OneOrMany<String>>,
    not_action: Option<OneOrMany<String>>,
    resource: Option<OneOrMany<String>>,
    not_resource: Option<OneOrMany<String>>,
    condition: Option<Map<String, Value>>,
}

/// Who a principal element grants to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// `*` or `{"AWS": "*"}`.
    Everyone,
    /// An AWS account, by id or by an ARN in it.
    Account(String),
    /// A service principal (`cloudtrail.amazonaws.com`).
    Service(String),
    /// A federated identity provider.
    Federated(String),
    /// Anything else (canonical user ids, unreadable values).
    Other,
}

/// What a policy grants, from which a verdict is worded.
#[derive(Debug, Default)]
pub struct Exposure {
    pub public: bool,
    pub shared: bool,
}

/// Reads a policy document given as an object or as a JSON string holding one.
pub fn statements(field: &'static str, raw: &str) -> Result<Vec<Statement>, ReadError> {
    if raw.starts_with('"') {
        let inner: String =
            serde_json::from_str(raw).map_err(|e| ReadError::new(field, json_error(&e)))?;
        return document(field, &inner);
    }
    let document: Document =
        serde_json::from_str(raw).map_err(|e| ReadError::new(field, json_error(&e)))?;
    Ok(document.statement.into_vec())
}

/// Reads the text of a policy document. Positions in errors point into that
/// text, which the reader of the alert can see, so they are kept.
pub fn document(field: &'static str, text: &str) -> Result<Vec<Statement>, ReadError> {
    let document: Document =
        serde_json::from_str(text).map_err(|e| ReadError::new(field, e.to_string()))?;
    Ok(document.statement.into_vec())
}

/// Judges every Allow statement (of those allowing `action`, when given): a
/// grant to everyone that no condition pins is CRITICAL; to another account or
/// organization, directly or through a condition, HIGH, and so is an
/// organization not known to be the home one (it may be anyone's).
pub fn judge_grants(
    statements: &[Statement],
    home: Home<'_>,
    action: Option<&str>,
    finding: &mut Finding,
) -> Exposure {
    let mut exposure = Exposure::default();
    let granting = statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.allows() && action.is_none_or(|a| s.allows_action(a)));
    for (index, statement) in granting {
        let name = statement.name(index);
        let actions = statement.actions();
        for grantee in statement.grantees() {
            match grantee {
                Grantee::Everyone => match statement.reach(home) {
                    Reach::Everyone => {
                        exposure.public = true;
                        finding.raise(
                            Severity::Critical,
                            format!("{name} allows {actions} to everyone with no condition restricting who: it is public"),
                        );
                    }
                    Reach::Restricted(condition) => finding.note(format!(
                        "{name} allows {actions} to everyone, restricted by condition {condition}"
                    )),
                    Reach::Foreign { condition, whom } => {
                        exposure.shared = true;
                        finding.raise(
                            Severity::High,
                            format!("{name} allows {actions} to everyone in {whom} (condition {condition}): shared with another account"),
                        );
                    }
                    Reach::Organization { condition, id } => {
                        exposure.shared = true;
                        finding.raise(
                            Severity::High,
                            format!("{name} allows {actions} to every account of organization {id} (condition {condition}), which trailwatch cannot tell is yours (it can when deployed with [organization])"),
                        );
                    }
                },
                Grantee::Account(account) if Some(account.as_str()) != home.account => {
                    exposure.shared = true;
                    finding.raise(
                        Severity::High,
                        format!("{name} grants {actions} to another account ({account})"),
                    );
                }
                Grantee::Account(_)
                | Grantee::Service(_)
                | Grantee::Federated(_)
                | Grantee::Other => {}
            }
        }
    }
    exposure
}

impl Statement {
    /// Whether the statement grants (Deny never does).
    pub fn allows(&self) -> bool {
        self.effect.as_deref() == Some("Allow")
    }

    /// `statement <Sid>`, or its position when it has none.
    pub fn name(&self, index: usize) -> String {
        match &self.sid {
            Some(Value::String(sid)) if !sid.is_empty() => format!("statement {sid}"),
            _ => format!("statement {}", index + 1),
        }
    }

    /// The actions, joined for a reason.
    pub fn actions(&self) -> String {
        match (&self.action, &self.not_action) {
            (Some(action), _) => match action.clone().into_vec().as_slice() {
                [] => "no action".to_owned(),
                many => many.join(", "),
            },
            (None, Some(not)) => format!(
                "every action except {} (NotAction)",
                not.clone().into_vec().join(", ")
            ),
            (None, None) => "no action".to_owned(),
        }
    }

    /// Whether any action matches `wanted` (`*`, `service:*` and prefixes with
    /// `*` count; NotAction allows whatever it does not list).
    pub fn allows_action(&self, wanted: &str) -> bool {
        let matches = |patterns: &OneOrMany<String>| {
            patterns
                .clone()
                .into_vec()
                .iter()
                .any(|pattern| wildcard_match(pattern, wanted))
        };
        match (&self.action, &self.not_action) {
            (Some(action), _) => matches(action),
            (None, Some(not)) => !matches(not),
            (None, None) => false,
        }
    }

    /// Why the statement gives administrator access, if it does: it allows
    /// every action (or all of IAM, with which any other can be granted), by
    /// Action or NotAction, on every resource (by `*`, an ARN pattern over all
    /// of them, or NotResource), under no condition that limits who or what.
    pub fn admin(&self, index: usize) -> Option<String> {
        if !self.allows() {
            return None;
        }
        let every = |actions: &[&str]| actions.iter().all(|a| self.allows_action(a));
        let service = if every(&[
            "iam:CreatePolicyVersion",
            "ec2:RunInstances",
            "s3:GetObject",
            "kms:Decrypt",
        ]) {
            None
        } else if every(&[
            "iam:PutRolePolicy",
            "iam:AttachUserPolicy",
            "iam:CreatePolicyVersion",
            "iam:UpdateAssumeRolePolicy",
        ]) {
            Some("iam")
        } else {
            return None;
        };
        let everywhere = self.not_resource.is_some()
            || self
                .resource
                .as_ref()
                .is_some_and(|r| r.clone().into_vec().iter().any(|r| covers_all(r, service)));
        if !everywhere {
            return None;
        }
        let unlimited = self.condition.as_ref().is_none_or(|c| {
            c.values()
                .filter_map(Value::as_object)
                .flat_map(|keys| keys.keys())
                .all(|key| UNRESTRICTING_KEYS.contains(&key.to_ascii_lowercase().as_str()))
        });
        if !unlimited {
            return None;
        }
        let resources = match (&self.resource, &self.not_resource) {
            (Some(resource), _) => match resource.clone().into_vec().join(", ") {
                all if all == "*" => "every resource".to_owned(),
                some => some,
            },
            (None, _) => "every resource (NotResource)".to_owned(),
        };
        let condition = match &self.condition {
            Some(condition) => format!(
                ", under a condition that limits neither who nor what ({})",
                condition
                    .iter()
                    .filter_map(|(operator, keys)| Some((operator, keys.as_object()?)))
                    .flat_map(|(operator, keys)| keys
                        .keys()
                        .map(move |key| format!("{operator} {key}")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        Some(format!(
            "{} of the policy allows {} on {resources}{condition}",
            self.name(index),
            self.actions()
        ))
    }

    /// Who the statement grants to; `NotPrincipal` grants to everyone but its list.
    pub fn grantees(&self) -> Vec<Grantee> {
        if self.not_principal.is_some() {
            return vec![Grantee::Everyone];
        }
        match &self.principal {
            Some(Value::String(s)) if s == "*" => vec![Grantee::Everyone],
            Some(Value::Object(kinds)) => kinds
                .iter()
                .flat_map(|(kind, ids)| strings(ids).into_iter().map(move |id| grantee(kind, id)))
                .collect(),
            Some(_) => vec![Grantee::Other],
            None => Vec::new(),
        }
    }

    /// The positive conditions (`operator`, `key`, values): those that need
    /// the key present, so that they can narrow who matches.
    pub fn positive_conditions(&self) -> Vec<(&str, &str, Vec<&str>)> {
        let Some(condition) = &self.condition else {
            return Vec::new();
        };
        condition
            .iter()
            .filter(|(operator, _)| is_positive(operator))
            .filter_map(|(operator, keys)| Some((operator, keys.as_object()?)))
            .flat_map(|(operator, keys)| {
                keys.iter()
                    .map(move |(key, values)| (operator.as_str(), key.as_str(), strings(values)))
            })
            .collect()
    }

    /// Whom a grant to everyone reaches once its conditions apply (all must
    /// hold, so the narrowest pin decides).
    pub fn reach(&self, home: Home<'_>) -> Reach {
        let conditions = self
            .positive_conditions()
            .into_iter()
            .map(|(operator, key, values)| (format!("{operator} {key}"), key, values));
        reach(conditions, home)
    }
}

/// Whether an operator needs the key present with a matching value.
fn is_positive(operator: &str) -> bool {
    let operator = operator.to_ascii_lowercase();
    let base = operator.strip_prefix("foranyvalue:").unwrap_or(&operator);
    POSITIVE_OPERATORS.contains(&base)
}

/// Whether an IAM action pattern (`*`, `iam:*`, `s3:Get*`) matches `wanted`.
fn wildcard_match(pattern: &str, wanted: &str) -> bool {
    let (pattern, wanted) = (pattern.to_ascii_lowercase(), wanted.to_ascii_lowercase());
    match pattern.split_once('*') {
        None => pattern == wanted,
        // Patterns with `*` inside (`iam:*Policy`) are read as prefix and suffix.
        Some((prefix, rest)) => {
            let suffix = rest.rsplit('*').next().unwrap_or_default();
            wanted.len() >= prefix.len() + suffix.len()
                && wanted.starts_with(prefix)
                && wanted.ends_with(suffix)
        }
    }
}

/// Whether a Resource pattern covers every resource (of `service`, or of every
/// service when `None`): `*`, or an ARN pattern whose service is that one or a
/// wildcard, over any region and account, with a resource part of `*`.
fn covers_all(resource: &str, service: Option<&str>) -> bool {
    if resource == "*" {
        return true;
    }
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let field = |i: usize| parts.get(i).copied();
    let any = |part: Option<&str>| part.is_none_or(|p| p == "*");
    let service_field = field(2);
    let service_ok = match service {
        None => any(service_field),
        Some(service) => any(service_field) || service_field == Some(service),
    };
    let account_ok = field(4).is_none_or(|a| a == "*" || a.bytes().all(|b| b.is_ascii_digit()));
    field(0) == Some("arn")
        && service_ok
        && account_ok
        && parts.last().is_some_and(|last| *last == "*")
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Who one principal id of a kind (`AWS`, `Service`, `Federated`) is.
pub fn grantee(kind: &str, id: &str) -> Grantee {
    match kind {
        "Service" => return Grantee::Service(id.to_owned()),
        "Federated" => return Grantee::Federated(id.to_owned()),
        "AWS" => {}
        _ => return Grantee::Other,
    }
    if id == "*" {
        return Grantee::Everyone;
    }
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        return Grantee::Account(id.to_owned());
    }
    // arn:partition:iam::ACCOUNT:...
    match id.split(':').nth(4) {
        Some(account) if !account.is_empty() => Grantee::Account(account.to_owned()),
        _ => Grantee::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HOME: Home<'static> = Home {
        account: Some("111122223333"),
        organization: Some("o-home123456"),
    };

    fn statement(value: Value) -> Statement {
        serde_json::from_value(value).expect("statement")
    }

    fn reach(condition: Value) -> Reach {
        statement(json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": condition}))
            .reach(HOME)
    }

    fn admin(value: Value) -> bool {
        statement(value).admin(0).is_some()
    }

    #[test]
    fn aws_star_in_a_list_is_everyone() {
        let s = statement(
            json!({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]}}),
        );
        assert_eq!(
            s.grantees(),
            vec![Grantee::Account("111122223333".into()), Grantee::Everyone]
        );
    }

    #[test]
    fn the_home_organization_restricts_and_another_is_foreign() {
        assert_eq!(
            reach(json!({"StringEquals": {"aws:PrincipalOrgID": "o-home123456"}})),
            Reach::Restricted("StringEquals aws:PrincipalOrgID".into())
        );
        assert_eq!(
            reach(json!({"StringEquals": {"aws:PrincipalOrgID": "o-other98765"}})),
            Reach::Foreign {
                condition: "StringEquals aws:PrincipalOrgID".into(),
                whom: "organization o-other98765".into()
            }
        );
    }

    #[test]
    fn an_organization_is_unknown_when_the_home_one_is() {
        let s = statement(
            json!({"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}),
        );
        assert_eq!(
            s.reach(Home {
                account: Some("111122223333"),
                organization: None
            }),
            Reach::Organization {
                condition: "StringEquals aws:PrincipalOrgID".into(),
                id: "o-abc123".into()
            }
        );
    }

    #[test]
    fn an_account_condition_pins_whose_account_it_names() {
        assert_eq!(
            reach(json!({"StringEquals": {"aws:SourceAccount": "111122223333"}})),
            Reach::Restricted("StringEquals aws:SourceAccount".into())
        );
        assert_eq!(
            reach(
                json!({"StringEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}})
            ),
            Reach::Foreign {
                condition: "StringEquals aws:PrincipalAccount".into(),
                whom: "account 444455556666".into()
            }
        );
    }

    #[test]
    fn negative_operators_if_exists_and_null_never_restrict() {
        for condition in [
            json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            json!({"StringNotEquals": {"aws:PrincipalOrgID": "o-home123456"}}),
            json!({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
            json!({"Null": {"aws:SourceVpce": "false"}}),
            json!({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-home123456"}}),
            json!({"Bool": {"aws:SecureTransport": "true"}}),
        ] {
            assert_eq!(reach(condition.clone()), Reach::Everyone, "{condition}");
        }
    }

    #[test]
    fn arn_wildcards_over_every_account_do_not_restrict() {
        for arn in ["arn:aws:iam::*:*", "arn:aws:execute-api:*:*:*"] {
            assert_eq!(
                reach(json!({"ArnLike": {"aws:SourceArn": arn}})),
                Reach::Everyone,
                "{arn}"
            );
        }
        assert_eq!(
            reach(json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}})),
            Reach::Restricted("ArnLike aws:PrincipalArn".into())
        );
    }

    #[test]
    fn source_ip_ranges_of_internet_scale_do_not_restrict() {
        for ranges in [
            json!(["0.0.0.0/1", "128.0.0.0/1"]),
            json!("0.0.0.0/1"),
            json!(["::/1", "8000::/1"]),
            json!("0.0.0.0/0"),
        ] {
            assert_eq!(
                reach(json!({"IpAddress": {"aws:SourceIp": ranges}})),
                Reach::Everyone,
                "{ranges}"
            );
        }
        assert_eq!(
            reach(json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}})),
            Reach::Restricted("IpAddress aws:SourceIp".into())
        );
    }

    #[test]
    fn every_action_on_every_resource_is_admin_in_all_its_spellings() {
        for value in [
            json!({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            json!({"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"}),
            json!({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}),
            json!({"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::111122223333:*"}),
            json!({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:*:*:*:*"}),
            json!({"Effect": "Allow", "Action": "*:*", "NotResource": "arn:aws:s3:::logs/*"}),
        ] {
            assert!(admin(value.clone()), "{value}");
        }
    }

    #[test]
    fn narrower_grants_are_not_admin() {
        for value in [
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
            json!({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}),
            json!({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"}),
            json!({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}}),
            json!({"Effect": "Deny", "Action": "*", "Resource": "*"}),
        ] {
            assert!(!admin(value.clone()), "{value}");
        }
    }
}
