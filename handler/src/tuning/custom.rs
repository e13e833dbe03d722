//! Custom monitors: an EventBridge pattern, a title and a severity from the
//! user's configuration, judged like a built-in monitor of plain calls.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::remember::{FirstSeenSpec, SequenceSpec, ThresholdSpec};
use crate::matcher::Matcher;
use crate::monitors::{self, Failure, Monitor, Pattern, Selects};
use crate::selection;
use crate::stateful::Rule;
use contract::Severity;

/// Longest id, title, control or technique, in characters.
const MAX_TEXT_CHARS: usize = 200;

/// Comparison operators EventBridge accepts on the default bus.
const OPERATORS: &[&str] = &[
    "prefix",
    "suffix",
    "equals-ignore-case",
    "wildcard",
    "anything-but",
    "cidr",
    "exists",
    "numeric",
];

/// Verbs of calls that change something: a pattern naming only such calls
/// (exactly) selects no read-only event. Anything else might, so it goes to the
/// read-only rule, whose state also delivers write calls: a wrong guess there
/// costs nothing, a wrong guess the other way would lose events.
const WRITE_VERBS: &[&str] = &[
    "Accept",
    "Add",
    "Allocate",
    "Apply",
    "Associate",
    "Attach",
    "Authorize",
    "Cancel",
    "Change",
    "Copy",
    "Create",
    "Delete",
    "Deregister",
    "Detach",
    "Disable",
    "Disassociate",
    "Enable",
    "Import",
    "Invite",
    "Leave",
    "Modify",
    "Put",
    "Reboot",
    "Register",
    "Reject",
    "Release",
    "Remove",
    "Replace",
    "Reset",
    "Restore",
    "Revoke",
    "Rotate",
    "Run",
    "Schedule",
    "Send",
    "Set",
    "Share",
    "Start",
    "Stop",
    "Tag",
    "Terminate",
    "Untag",
    "Update",
    "Upload",
];

/// A `[[monitor]]` block of the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomSpec {
    /// Lowercase letters, digits and `-`; unique among all monitors.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// An EventBridge event pattern: a JSON string or a table.
    pub pattern: Value,
    #[serde(default)]
    pub controls: Vec<String>,
    #[serde(default)]
    pub techniques: Vec<String>,
    /// Count the selected events instead of alerting on each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<ThresholdSpec>,
    /// Alert on the first (key, value) pair in a while.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<FirstSeenSpec>,
    /// Alert when an event of `pattern` is followed by one of `sequence.then`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<SequenceSpec>,
}

impl CustomSpec {
    /// The pattern as a JSON object, checked: EventBridge syntax and operators,
    /// `source` limited to AWS services (which no one can forge with PutEvents).
    pub fn pattern(&self) -> Result<Value, String> {
        checked(&self.pattern)
    }

    /// The stateful rule of the spec's block, when it has one (at most one).
    fn rule(&self, first: &str, then: Option<&str>) -> Result<Option<Rule>, String> {
        match (&self.threshold, &self.first_seen, &self.sequence, then) {
            (None, None, None, _) => Ok(None),
            (Some(spec), None, None, _) => spec.rule(self.severity).map(Some),
            (None, Some(spec), None, _) => spec.rule(self.severity).map(Some),
            (None, None, Some(spec), Some(then)) => spec.rule(first, then, self.severity).map(Some),
            _ => Err("give at most one of threshold, first_seen and sequence".to_owned()),
        }
    }
}

/// A pattern as JSON, checked: EventBridge syntax and operators, `source`
/// limited to AWS services (which no one can forge with PutEvents).
fn checked(pattern: &Value) -> Result<Value, String> {
    let pattern = match pattern {
        Value::String(text) => {
            serde_json::from_str(text).map_err(|e| format!("pattern is not valid JSON: {e}"))?
        }
        other => other.clone(),
    };
    let Value::Object(fields) = &pattern else {
        return Err("pattern must be a JSON object".to_owned());
    };
    check_object(fields, "")?;
    check_source(fields.get("source"))?;
    check_detail_type(fields.get("detail-type"))?;
    Ok(pattern)
}

impl CustomSpec {
    /// Checks the spec and builds its monitor. Monitors live for the whole
    /// process (the handler reads its settings once, at start), so the built
    /// monitor is leaked to get the `'static` lifetime built-in ones have.
    pub fn build(&self) -> Result<&'static Monitor, String> {
        check_id(&self.id)?;
        check_text("title", &self.title)?;
        for text in self.controls.iter().chain(&self.techniques) {
            check_text("controls and techniques", text)?;
        }
        let pattern = self.pattern()?;
        let json = pattern.to_string();
        // The handler matches custom patterns with quamina: refuse what it cannot
        // match rather than deploy a rule the handler would disagree with.
        Matcher::new([((), json.as_str())]).map_err(|e| {
            format!("pattern: {e} (the handler's matcher, quamina, lacks this form)")
        })?;
        let then = match &self.sequence {
            Some(sequence) => Some(
                checked(&sequence.then)
                    .map_err(|e| format!("sequence.then: {e}"))?
                    .to_string(),
            ),
            None => None,
        };
        let state = self.rule(&json, then.as_deref())?;
        // A sequence selects both steps: EventBridge gets them as one `$or`,
        // the handler's matcher each on its own.
        let (selected, parts): (String, Vec<String>) = match then {
            Some(then) => (format!("{{\"$or\":[{json},{then}]}}"), vec![json, then]),
            None => (json.clone(), vec![json]),
        };
        let detail = pattern.get("detail");
        let failure = match detail.and_then(|d| d.get("errorCode")) {
            // The pattern looks for failures: they are the finding.
            Some(_) => Failure::Finding,
            None => Failure::Attempt,
        };
        let leak = |texts: &[String]| -> &'static [&'static str] {
            texts
                .iter()
                .map(|t| &*t.clone().leak())
                .collect::<Vec<_>>()
                .leak()
        };
        Ok(Box::leak(Box::new(Monitor {
            id: self.id.clone().leak(),
            title: self.title.clone().leak(),
            packs: &[],
            selects: Selects::Pattern(Pattern {
                json: selected.leak(),
                parts: parts
                    .into_iter()
                    .map(|p| &*p.leak())
                    .collect::<Vec<_>>()
                    .leak(),
                severity: self.severity,
            }),
            assess: None,
            own: None,
            failure,
            reads: may_select_read_only(detail),
            controls: leak(&self.controls),
            techniques: leak(&self.techniques),
            state,
            references: &[],
        })))
    }
}

fn check_id(id: &str) -> Result<(), String> {
    let well_formed = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        return Err("id must be 1-64 lowercase letters, digits and '-'".to_owned());
    }
    let taken = monitors::by_id(id).is_some()
        || id == selection::ALL
        || monitors::Pack::ALL.iter().any(|p| p.as_str() == id);
    if taken {
        return Err(format!("id {id:?} is a built-in monitor or pack"));
    }
    Ok(())
}

fn check_text(what: &str, text: &str) -> Result<(), String> {
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("{what} must hold 1-{MAX_TEXT_CHARS} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("{what} must not hold control characters"));
    }
    Ok(())
}

/// Every field of a pattern object: a nested object or a list of matchers.
fn check_object(fields: &Map<String, Value>, path: &str) -> Result<(), String> {
    if fields.is_empty() {
        return Err(format!("pattern{path}: empty object"));
    }
    for (key, value) in fields {
        let here = format!("{path}.{key}");
        if key == "$or" {
            return Err(format!(
                "pattern{here}: `$or` is not supported in custom monitors; write one [[monitor]] per alternative"
            ));
        }
        match value {
            Value::Object(child) => check_object(child, &here)?,
            Value::Array(matchers) if !matchers.is_empty() => {
                for matcher in matchers {
                    check_matcher(matcher, &here)?;
                }
            }
            _ => {
                return Err(format!(
                    "pattern{here}: must be an object or a non-empty list of values"
                ));
            }
        }
    }
    Ok(())
}

fn check_matcher(matcher: &Value, path: &str) -> Result<(), String> {
    let Value::Object(operator) = matcher else {
        return Ok(());
    };
    let mut keys = operator.keys();
    match (keys.next(), keys.next()) {
        (Some(name), None) if OPERATORS.contains(&name.as_str()) => Ok(()),
        (Some(name), None) => Err(format!(
            "pattern{path}: unknown operator {name:?} (EventBridge knows {})",
            OPERATORS.join(", ")
        )),
        _ => Err(format!(
            "pattern{path}: an operator object holds exactly one operator"
        )),
    }
}

fn check_source(source: Option<&Value>) -> Result<(), String> {
    let names = source.and_then(Value::as_array);
    let aws_only = names.is_some_and(|names| {
        names
            .iter()
            .all(|n| n.as_str().is_some_and(|n| n.starts_with("aws.")))
    });
    if aws_only {
        Ok(())
    } else {
        Err("pattern.source must list AWS sources exactly (like \"aws.ssm\"): events from other sources can be forged with PutEvents".to_owned())
    }
}

/// trailwatch judges CloudTrail records: who called what, where. Other AWS
/// events (GuardDuty findings, scheduled events) have none of it, and an
/// alert about them would name an unknown caller of an unnamed call.
fn check_detail_type(detail_type: Option<&Value>) -> Result<(), String> {
    let cloudtrail = detail_type.and_then(Value::as_array).is_some_and(|types| {
        !types.is_empty()
            && types.iter().all(|t| {
                t.as_str().is_some_and(|t| {
                    t == crate::event::API_CALL || crate::event::SIGN_IN.contains(&t)
                })
            })
    });
    if cloudtrail {
        Ok(())
    } else {
        Err(format!(
            "pattern.detail-type must list CloudTrail detail types only ([\"{}\"] or the console sign-in ones): trailwatch judges CloudTrail records, and other events (GuardDuty findings, scheduled events) carry no caller or call to judge",
            crate::event::API_CALL
        ))
    }
}

/// Whether the pattern may select read-only calls (see [`WRITE_VERBS`]).
fn may_select_read_only(detail: Option<&Value>) -> bool {
    let field = |name: &str| detail.and_then(|d| d.get(name)).and_then(Value::as_array);
    if field("readOnly").is_some_and(|v| v == &[Value::Bool(false)]) {
        return false;
    }
    let writes_only = field("eventName").is_some_and(|names| {
        names.iter().all(|name| {
            name.as_str().is_some_and(|name| {
                WRITE_VERBS.iter().any(|verb| {
                    name.strip_prefix(verb)
                        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
                })
            })
        })
    });
    !writes_only
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(pattern: Value) -> CustomSpec {
        CustomSpec {
            id: "ec2-key-pair-deleted".into(),
            title: "EC2 key pair deleted".into(),
            severity: Severity::Medium,
            pattern,
            controls: Vec::new(),
            techniques: vec!["T1651".into()],
            threshold: None,
            first_seen: None,
            sequence: None,
        }
    }

    fn error(pattern: Value) -> String {
        spec(pattern).build().expect_err("invalid")
    }

    #[test]
    fn a_pattern_given_as_json_text_is_read() {
        let text = r#"{"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["DeleteKeyPair"]}}"#;
        let monitor = spec(Value::String(text.into())).build().expect("valid");
        assert_eq!(
            monitor.pattern(),
            json!({"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["DeleteKeyPair"]}})
        );
        assert!(!monitor.reads);
    }

    #[test]
    fn invalid_json_text_is_named() {
        assert!(
            error(Value::String("{\"source\": [".into())).starts_with("pattern is not valid JSON")
        );
    }

    #[test]
    fn a_pattern_of_other_aws_events_than_cloudtrail_is_refused() {
        for pattern in [
            json!({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}),
            json!({"source": ["aws.guardduty"]}),
        ] {
            assert!(
                error(pattern)
                    .starts_with("pattern.detail-type must list CloudTrail detail types only")
            );
        }
    }

    #[test]
    fn a_source_outside_aws_is_refused() {
        assert!(
            error(json!({"source": ["my.app"]}))
                .starts_with("pattern.source must list AWS sources")
        );
        assert!(error(json!({"detail": {"eventName": ["X"]}})).starts_with("pattern.source"));
    }

    #[test]
    fn an_unknown_operator_is_named_with_its_path() {
        assert_eq!(
            error(
                json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": [{"regexp": "Send.*"}]}})
            ),
            "pattern.detail.eventName: unknown operator \"regexp\" (EventBridge knows prefix, suffix, equals-ignore-case, wildcard, anything-but, cidr, exists, numeric)"
        );
    }

    #[test]
    fn or_is_refused_with_the_alternative() {
        assert!(
            error(json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"], "$or": [{"a": ["b"]}]}))
                .contains("write one [[monitor]] per alternative")
        );
    }

    #[test]
    fn a_leaf_that_is_not_a_list_is_refused() {
        assert_eq!(
            error(
                json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": "SendCommand"}})
            ),
            "pattern.detail.eventName: must be an object or a non-empty list of values"
        );
    }

    #[test]
    fn ids_clashing_with_built_in_monitors_or_packs_are_refused() {
        for id in ["iam-create-user", "cis", "all"] {
            let spec = CustomSpec {
                id: id.into(),
                ..spec(
                    json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"]}),
                )
            };
            assert_eq!(
                spec.build().expect_err(id),
                format!("id {id:?} is a built-in monitor or pack")
            );
        }
        let spec = CustomSpec {
            id: "SSM".into(),
            ..spec(json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"]}))
        };
        assert!(spec.build().is_err());
    }

    #[test]
    fn read_only_unless_only_write_calls_are_named() {
        let read_only = |detail: Value| {
            spec(json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"], "detail": detail}))
                .build()
                .expect("valid")
                .reads
        };
        assert!(!read_only(
            json!({"eventName": ["SendCommand", "StartSession"]})
        ));
        assert!(read_only(json!({"eventName": ["GetParameter"]})));
        assert!(read_only(json!({"eventName": ["SendCommand", "Settle"]})));
        assert!(read_only(json!({"eventName": [{"prefix": "Send"}]})));
        assert!(read_only(json!({"userIdentity": {"type": ["Root"]}})));
        assert!(!read_only(json!({"readOnly": [false]})));
    }

    #[test]
    fn a_pattern_on_error_codes_makes_failures_the_finding() {
        let monitor =
            spec(json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"errorCode": [{"exists": true}]}}))
                .build()
                .expect("valid");
        assert_eq!(monitor.failure, Failure::Finding);
    }
}
