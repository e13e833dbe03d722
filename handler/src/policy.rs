//! IAM policy documents (bucket policies, role trust policies): who an Allow
//! statement grants to, and whether a condition really restricts a `*` principal.

use ipnet::IpNet;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::cidr::parse_net;
use crate::finding::ReadError;
use crate::finding::read::OneOrMany;
use crate::text::json_error;

/// Condition keys that pin a `*` principal to known callers, as S3 Block Public
/// Access and IAM Access Analyzer count them (lower case).
const RESTRICTING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
];

/// Operators that need the key present and equal to (or like, or inside) a value.
const POSITIVE_OPERATORS: &[&str] = &[
    "stringequals",
    "stringequalsignorecase",
    "stringlike",
    "arnequals",
    "arnlike",
    "ipaddress",
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
    resource: Option<OneOrMany<String>>,
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
        match &self.action {
            Some(action) => match action.clone().into_vec().as_slice() {
                [] => "no action".to_owned(),
                many => many.join(", "),
            },
            None => "actions (NotAction)".to_owned(),
        }
    }

    /// Whether any action matches `wanted` (`*`, `service:*` and prefixes with `*` count).
    pub fn allows_action(&self, wanted: &str) -> bool {
        let Some(action) = &self.action else {
            return true; // NotAction: everything but the listed actions.
        };
        action.clone().into_vec().iter().any(|pattern| {
            let pattern = pattern.to_ascii_lowercase();
            let wanted = wanted.to_ascii_lowercase();
            match pattern.strip_suffix('*') {
                Some(prefix) => wanted.starts_with(prefix),
                None => pattern == wanted,
            }
        })
    }

    /// Whether the statement allows every action, or all of IAM, on every
    /// resource without a condition: administrator access.
    pub fn grants_admin(&self) -> bool {
        let any_resource = self
            .resource
            .as_ref()
            .is_some_and(|r| r.clone().into_vec().iter().any(|r| r == "*"));
        let any_action = self.action.as_ref().is_some_and(|a| {
            a.clone()
                .into_vec()
                .iter()
                .any(|a| matches!(a.to_ascii_lowercase().as_str(), "*" | "*:*" | "iam:*"))
        });
        self.allows() && any_resource && any_action && self.condition.is_none()
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

    /// The first condition that restricts a grant to everyone to known callers.
    pub fn restriction(&self) -> Option<String> {
        self.condition
            .as_ref()?
            .iter()
            .filter(|(operator, _)| is_positive(operator))
            .filter_map(|(operator, keys)| Some((operator, keys.as_object()?)))
            .flat_map(|(operator, keys)| {
                keys.iter()
                    .map(move |(key, values)| (operator, key, values))
            })
            .find(|(_, key, values)| restricts(key, values))
            .map(|(operator, key, _)| format!("{operator} {key}"))
    }
}

/// Whether an operator needs the key present with a matching value.
fn is_positive(operator: &str) -> bool {
    let operator = operator.to_ascii_lowercase();
    let base = operator.strip_prefix("foranyvalue:").unwrap_or(&operator);
    POSITIVE_OPERATORS.contains(&base)
}

fn restricts(key: &str, values: &Value) -> bool {
    let key = key.to_ascii_lowercase();
    if !RESTRICTING_KEYS.contains(&key.as_str()) {
        return false;
    }
    let values = strings(values);
    if values.is_empty() {
        return false;
    }
    if key == "aws:sourceip" {
        return !covers_internet(&values);
    }
    values.iter().all(|value| pins(value))
}

/// Whether a condition value names something specific: no wildcard at all, or an
/// ARN whose account is a fixed account id.
fn pins(value: &str) -> bool {
    let wild = |s: &str| s.contains(['*', '?']);
    if !wild(value) {
        return true;
    }
    value.starts_with("arn:")
        && value.split(':').nth(4).is_some_and(|account| {
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Whether address ranges together cover every IPv4 or every IPv6 address (or
/// one of them cannot be read, which pins nothing down either).
fn covers_internet(values: &[&str]) -> bool {
    let nets: Option<Vec<IpNet>> = values.iter().map(|v| parse_net(v)).collect();
    nets.is_none_or(|nets| IpNet::aggregate(&nets).iter().any(|n| n.prefix_len() == 0))
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

    fn statement(value: Value) -> Statement {
        serde_json::from_value(value).expect("statement")
    }

    fn restriction(condition: Value) -> Option<String> {
        statement(json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": condition}))
            .restriction()
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
    fn organisation_id_restricts() {
        assert_eq!(
            restriction(json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
            Some("StringEquals aws:PrincipalOrgID".into())
        );
    }

    #[test]
    fn negative_operators_if_exists_and_null_never_restrict() {
        for condition in [
            json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
            json!({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
            json!({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
            json!({"Null": {"aws:SourceVpce": "false"}}),
            json!({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
            json!({"Bool": {"aws:SecureTransport": "true"}}),
        ] {
            assert_eq!(restriction(condition.clone()), None, "{condition}");
        }
    }

    #[test]
    fn a_principal_arn_wildcard_over_every_account_does_not_restrict() {
        assert_eq!(
            restriction(json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:*"}})),
            None
        );
        assert!(
            restriction(
                json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}})
            )
            .is_some()
        );
    }

    #[test]
    fn source_ip_halves_that_cover_the_internet_do_not_restrict() {
        for ranges in [
            json!(["0.0.0.0/1", "128.0.0.0/1"]),
            json!(["10.0.0.0/1", "192.168.0.0/1"]),
            json!(["::/1", "8000::/1"]),
            json!("0.0.0.0/0"),
        ] {
            assert_eq!(
                restriction(json!({"IpAddress": {"aws:SourceIp": ranges}})),
                None,
                "{ranges}"
            );
        }
        assert!(restriction(json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}})).is_some());
    }
}
