//! PutBucketPolicy: is the bucket now public, or shared with another account?

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{Finding, OneOrMany, ReadError, parse, request};
use crate::event::Record;
use crate::severity::Severity;

/// Condition keys that pin a `*` principal to known callers, as S3 Block Public
/// Access and IAM Access Analyzer count them.
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

/// Where the policy sits in the record, as errors name it.
const POLICY_FIELD: &str = "requestParameters.bucketPolicy";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Request {
    bucket_name: Option<String>,
    /// Kept as text: the policy is read straight into [`Policy`], without a `Value` tree first.
    bucket_policy: Option<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
struct Policy {
    #[serde(rename = "Statement")]
    statement: OneOrMany<Statement>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Statement {
    sid: Option<Value>,
    effect: Option<String>,
    principal: Option<Value>,
    not_principal: Option<Value>,
    action: Option<OneOrMany<String>>,
    condition: Option<Map<String, Value>>,
}

/// Who a principal element grants to.
#[derive(Debug, PartialEq, Eq)]
enum Grantee {
    Everyone,
    Account(String),
    Other,
}

/// PutBucketPolicy: CRITICAL for a public grant, HIGH for another account, LOW otherwise.
pub fn put_bucket_policy(record: &Record<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(record)?;
    let bucket = request
        .bucket_name
        .unwrap_or_else(|| "(name not recorded)".to_owned());
    let statements = parse_policy(request.bucket_policy.as_deref())?;
    let own_account = record
        .recipient_account_id
        .as_deref()
        .or(record.user_identity.account_id.as_deref());
    finding.target(&bucket);
    let count = statements.len();
    let plural = if count == 1 { "" } else { "s" };
    finding.note(format!(
        "the new policy of bucket {bucket} has {count} statement{plural}"
    ));
    for (index, statement) in statements.iter().enumerate() {
        judge_statement(statement, index, own_account, finding);
    }
    let object = format!("S3 bucket {bucket}");
    match finding.severity {
        Severity::Critical => finding.describe("made", "make", &format!("{object} public")),
        Severity::High => {
            finding.describe("shared", "share", &format!("{object} with another account"))
        }
        _ => finding.describe("changed", "change", &format!("the policy of {object}")),
    }
    Ok(())
}

fn parse_policy(policy: Option<&RawValue>) -> Result<Vec<Statement>, ReadError> {
    let text = match policy.map(RawValue::get) {
        None | Some("null") => return Ok(Vec::new()),
        Some(text) => text,
    };
    let policy: Policy = if text.starts_with('"') {
        // Some clients send the policy document as a JSON string: positions in
        // errors point into that document, which the reader can see.
        let document: String = serde_json::from_str(text).map_err(policy_error)?;
        serde_json::from_str(&document).map_err(policy_error)?
    } else {
        parse(POLICY_FIELD, text)?
    };
    Ok(policy.statement.into_vec())
}

fn policy_error(error: serde_json::Error) -> ReadError {
    ReadError {
        field: POLICY_FIELD,
        message: error.to_string(),
    }
}

fn judge_statement(
    statement: &Statement,
    index: usize,
    own_account: Option<&str>,
    finding: &mut Finding,
) {
    if statement.effect.as_deref() != Some("Allow") {
        return; // Deny statements never grant access.
    }
    let name = statement_name(statement, index);
    let actions = actions(statement);
    let restriction = restricting_condition(statement.condition.as_ref());
    if let Some(not_principal) = &statement.not_principal {
        let reason =
            format!("{name} allows {actions} to everyone except {not_principal} (NotPrincipal)");
        judge_public(reason, restriction, finding);
        return;
    }
    let Some(principal) = &statement.principal else {
        return;
    };
    for grantee in grantees(principal) {
        match grantee {
            Grantee::Everyone => {
                let reason = format!("{name} allows {actions} to everyone (Principal \"*\")");
                judge_public(reason, restriction, finding);
            }
            Grantee::Account(account) if Some(account.as_str()) != own_account => {
                finding.raise(
                    Severity::High,
                    format!("{name} grants {actions} to another account ({account})"),
                );
            }
            Grantee::Account(_) | Grantee::Other => {}
        }
    }
}

fn judge_public(reason: String, restriction: Option<&str>, finding: &mut Finding) {
    match restriction {
        Some(key) => finding.note(format!("{reason}, restricted by condition {key}")),
        None => finding.raise(
            Severity::Critical,
            format!("{reason} with no restricting condition: the bucket is public"),
        ),
    }
}

fn statement_name(statement: &Statement, index: usize) -> String {
    match &statement.sid {
        Some(Value::String(sid)) if !sid.is_empty() => format!("statement {sid}"),
        _ => format!("statement {}", index + 1),
    }
}

fn actions(statement: &Statement) -> String {
    match &statement.action {
        Some(action) => match action.clone().into_vec().as_slice() {
            [] => "no action".to_owned(),
            [one] => one.clone(),
            many => many.join(", "),
        },
        None => "actions (NotAction)".to_owned(),
    }
}

/// The first condition key that restricts a public grant, if any.
fn restricting_condition(condition: Option<&Map<String, Value>>) -> Option<&str> {
    condition?
        .values()
        .filter_map(Value::as_object)
        .flat_map(|keys| keys.iter())
        .find(|(key, values)| restricts(key, values))
        .map(|(key, _)| key.as_str())
}

fn restricts(key: &str, values: &Value) -> bool {
    let key = key.to_ascii_lowercase();
    if !RESTRICTING_KEYS.contains(&key.as_str()) {
        return false;
    }
    let values: Vec<&str> = match values {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => return false,
    };
    // A wildcard or a whole-internet range pins nothing down.
    !values.is_empty() && values.iter().all(|v| *v != "*" && !v.ends_with("/0"))
}

fn grantees(principal: &Value) -> Vec<Grantee> {
    match principal {
        Value::String(s) if s == "*" => vec![Grantee::Everyone],
        Value::Object(kinds) => kinds
            .iter()
            .flat_map(|(kind, ids)| strings(ids).map(move |id| grantee(kind, id)))
            .collect(),
        _ => vec![Grantee::Other],
    }
}

fn strings(value: &Value) -> impl Iterator<Item = &str> {
    let list: Vec<&str> = match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
}

fn grantee(kind: &str, id: &str) -> Grantee {
    if kind != "AWS" {
        return Grantee::Other; // Service, Federated, CanonicalUser
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

    #[test]
    fn aws_star_in_a_list_is_everyone() {
        assert_eq!(
            grantees(&json!({"AWS": ["arn:aws:iam::111122223333:root", "*"]})),
            vec![Grantee::Account("111122223333".into()), Grantee::Everyone]
        );
    }

    #[test]
    fn service_principals_are_not_accounts() {
        assert_eq!(
            grantees(&json!({"Service": "cloudtrail.amazonaws.com"})),
            vec![Grantee::Other]
        );
    }

    #[test]
    fn secure_transport_does_not_restrict_a_public_grant() {
        let condition = json!({"Bool": {"aws:SecureTransport": "true"}});
        assert_eq!(restricting_condition(condition.as_object()), None);
    }

    #[test]
    fn source_ip_of_the_whole_internet_does_not_restrict() {
        let condition = json!({"IpAddress": {"aws:SourceIp": ["0.0.0.0/0"]}});
        assert_eq!(restricting_condition(condition.as_object()), None);
    }

    #[test]
    fn organisation_id_restricts() {
        let condition = json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}});
        assert_eq!(
            restricting_condition(condition.as_object()),
            Some("aws:PrincipalOrgID")
        );
    }
}
