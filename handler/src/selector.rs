//! Typed event selectors. A monitor states what it watches as one [`Selector`];
//! both its EventBridge pattern ([`Selector::pattern`]) and the in-process match
//! ([`Selector::matches`]) are derived from it, so the rule and the handler agree.
//!
//! The selector language is the small part of EventBridge's pattern language the
//! catalog needs (exact, `prefix`, `suffix`, `exists`, booleans), over a closed set
//! of fields with typed readers: no general pattern engine is needed for it.

use serde_json::{Map, Value, json};

use crate::event::{API_CALL, Event, SIGN_IN, Scalar, first_label, source_of};
use crate::finding::{Judge, Meaning};

/// Which kind of CloudTrail event a selector takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `AWS API Call via CloudTrail`.
    ApiCall,
    /// `AWS Console Sign In via CloudTrail`.
    SignIn,
    /// Either.
    Any,
}

impl Kind {
    /// The `detail-type`s of this kind of event.
    fn detail_types(self) -> &'static [&'static str] {
        const ANY: &[&str] = &[API_CALL, SIGN_IN[0], SIGN_IN[1]];
        match self {
            Kind::ApiCall => &[API_CALL],
            Kind::SignIn => SIGN_IN,
            Kind::Any => ANY,
        }
    }
}

/// An event field a condition can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `detail.userIdentity.type`.
    IdentityType,
    /// `detail.userIdentity.invokedBy`.
    InvokedBy,
    /// `detail.eventType`.
    EventType,
    /// `detail.errorCode`.
    ErrorCode,
    /// `detail.responseElements.ConsoleLogin` (`Success` or `Failure`).
    SignInResult,
    /// `detail.additionalEventData.MFAUsed` (`Yes` or `No`).
    MfaUsed,
    /// `detail.additionalEventData.MFAIdentifier`.
    MfaIdentifier,
    /// `detail.requestParameters.userData`.
    UserData,
    /// `detail.requestParameters.groupSet.items.groupId` (a leaf: EventBridge's
    /// `exists` matches no object such as `groupSet` itself).
    GroupSet,
    /// `detail.requestParameters.attribute`.
    Attribute,
    /// `detail.requestParameters.withDecryption`.
    WithDecryption,
    /// `detail.requestParameters.policyArn`.
    PolicyArn,
}

impl Field {
    /// The field's path under `detail`.
    pub fn path(self) -> &'static [&'static str] {
        match self {
            Field::IdentityType => &["userIdentity", "type"],
            Field::InvokedBy => &["userIdentity", "invokedBy"],
            Field::EventType => &["eventType"],
            Field::ErrorCode => &["errorCode"],
            Field::SignInResult => &["responseElements", "ConsoleLogin"],
            Field::MfaUsed => &["additionalEventData", "MFAUsed"],
            Field::MfaIdentifier => &["additionalEventData", "MFAIdentifier"],
            Field::UserData => &["requestParameters", "userData"],
            Field::GroupSet => &["requestParameters", "groupSet", "items", "groupId"],
            Field::Attribute => &["requestParameters", "attribute"],
            Field::WithDecryption => &["requestParameters", "withDecryption"],
            Field::PolicyArn => &["requestParameters", "policyArn"],
        }
    }

    fn read<'e>(self, event: &'e Event<'_>) -> Scalar<'e> {
        let record = &event.record;
        let identity = &record.user_identity;
        let text = |s: Option<&'e String>| s.map_or(Scalar::Absent, |s| Scalar::Text(s));
        match self {
            Field::IdentityType => text(identity.kind.as_ref()),
            Field::InvokedBy => text(identity.invoked_by.as_ref()),
            Field::EventType => text(record.event_type.as_ref()),
            Field::ErrorCode => text(record.error_code.as_ref()),
            Field::SignInResult => event.facts().sign_in_result.as_scalar(),
            Field::MfaUsed => text(record.additional_event_data.mfa_used.as_ref()),
            Field::MfaIdentifier => text(record.additional_event_data.mfa_identifier.as_ref()),
            Field::UserData => event.facts().user_data.as_scalar(),
            Field::GroupSet => event.facts().group_set.as_scalar(),
            Field::Attribute => event.facts().attribute.as_scalar(),
            Field::WithDecryption => event.facts().with_decryption.as_scalar(),
            Field::PolicyArn => event.facts().policy_arn.as_scalar(),
        }
    }
}

/// One test on a field value, as EventBridge writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// The exact string.
    Exact(&'static str),
    /// A string starting with this.
    Prefix(&'static str),
    /// A string ending with this.
    Suffix(&'static str),
    /// The boolean.
    Bool(bool),
    /// The field is present (`true`) or absent (`false`).
    Exists(bool),
    /// The string, in any case (`equals-ignore-case`).
    IgnoringCase(&'static str),
    /// Present and not this string (`anything-but`).
    AnythingBut(&'static str),
}

impl Test {
    /// Whether `value` passes, with EventBridge's semantics: every test but
    /// `exists: false` needs the field present.
    pub fn passes(self, value: Scalar<'_>) -> bool {
        match (self, value) {
            (Test::Exists(wanted), value) => wanted == (value != Scalar::Absent),
            (Test::Exact(want), Scalar::Text(have)) => have == want,
            (Test::Prefix(want), Scalar::Text(have)) => have.starts_with(want),
            (Test::Suffix(want), Scalar::Text(have)) => have.ends_with(want),
            (Test::Bool(want), Scalar::Bool(have)) => have == want,
            (Test::IgnoringCase(want), Scalar::Text(have)) => have.eq_ignore_ascii_case(want),
            (Test::AnythingBut(want), Scalar::Text(have)) => have != want,
            (Test::AnythingBut(_), Scalar::Absent) => false,
            (Test::AnythingBut(_), _) => true,
            _ => false,
        }
    }

    pub(crate) fn pattern(self) -> Value {
        match self {
            Test::Exact(value) => json!(value),
            Test::Prefix(prefix) => json!({ "prefix": prefix }),
            Test::Suffix(suffix) => json!({ "suffix": suffix }),
            Test::Bool(value) => json!(value),
            Test::Exists(exists) => json!({ "exists": exists }),
            Test::IgnoringCase(value) => json!({ "equals-ignore-case": value }),
            Test::AnythingBut(value) => json!({ "anything-but": value }),
        }
    }
}

/// One selected call name and how it is judged.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// Test on `eventName`.
    pub name: Test,
    /// What the call means when nothing more is known.
    pub means: Meaning,
    /// Code that looks closer, when the meaning is not enough.
    pub refine: Option<Judge>,
}

impl Call {
    /// The call with exactly this name.
    pub const fn named(name: &'static str, means: Meaning) -> Self {
        Self {
            name: Test::Exact(name),
            means,
            refine: None,
        }
    }

    /// Calls whose name starts with `prefix` (Lambda writes `AddPermission20150331v2`).
    pub const fn prefixed(prefix: &'static str, means: Meaning) -> Self {
        Self {
            name: Test::Prefix(prefix),
            means,
            refine: None,
        }
    }

    /// The same call, refined by `judge`.
    pub const fn refine(self, judge: Judge) -> Self {
        Self {
            refine: Some(judge),
            ..self
        }
    }
}

/// A field and the tests it must pass one of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    pub field: Field,
    pub any_of: &'static [Test],
}

/// What one monitor watches: every part must hold.
#[derive(Debug, Clone, Copy)]
pub struct Selector {
    pub kind: Kind,
    /// CloudTrail `eventSource` (`iam.amazonaws.com`); `None` takes any AWS service.
    pub event_source: Option<&'static str>,
    /// The selected call names; empty takes any name.
    pub calls: &'static [Call],
    /// Further conditions.
    pub when: &'static [Condition],
}

impl Selector {
    /// API calls of one service with these names.
    pub const fn calls(event_source: &'static str, calls: &'static [Call]) -> Self {
        Self {
            kind: Kind::ApiCall,
            event_source: Some(event_source),
            calls,
            when: &[],
        }
    }

    /// Console sign-ins (`signin.amazonaws.com`, `ConsoleLogin`).
    pub const fn sign_in(calls: &'static [Call]) -> Self {
        Self {
            kind: Kind::SignIn,
            event_source: Some("signin.amazonaws.com"),
            calls,
            when: &[],
        }
    }

    /// Events of this kind from any AWS service, whatever their name.
    pub const fn any(kind: Kind) -> Self {
        Self {
            kind,
            event_source: None,
            calls: &[],
            when: &[],
        }
    }

    /// The call of this event, when the selector names calls.
    pub fn call(&self, event: &Event<'_>) -> Option<&'static Call> {
        let name = event
            .record
            .event_name
            .as_deref()
            .map_or(Scalar::Absent, Scalar::Text);
        self.calls.iter().find(|call| call.name.passes(name))
    }

    /// The same selector with further conditions.
    pub const fn when(self, when: &'static [Condition]) -> Self {
        Self { when, ..self }
    }

    /// EventBridge `source` of the selected service: `aws.` and the first label of
    /// `eventSource`.
    pub fn source(&self) -> Option<String> {
        self.event_source.map(source_of)
    }

    /// Whether the event is selected.
    pub fn matches(&self, event: &Event<'_>) -> bool {
        let envelope = &event.envelope;
        let record = &event.record;
        let detail_type = envelope.detail_type.as_deref().unwrap_or_default();
        if !self.kind.detail_types().contains(&detail_type) {
            return false;
        }
        let source = envelope.source.as_deref().unwrap_or_default();
        let service_ok = match self.event_source {
            Some(wanted) => {
                record.event_source.as_deref() == Some(wanted)
                    && source.strip_prefix("aws.") == Some(first_label(wanted))
            }
            None => source.starts_with("aws."),
        };
        service_ok
            && (self.calls.is_empty() || self.call(event).is_some())
            && self.when.iter().all(|condition| {
                let value = condition.field.read(event);
                condition.any_of.iter().any(|t| t.passes(value))
            })
    }

    /// The EventBridge pattern selecting exactly these events.
    pub fn pattern(&self) -> Value {
        let mut pattern = Map::new();
        let source = match self.source() {
            Some(source) => json!([source]),
            // Only AWS may send events with an `aws.` source: nobody can forge them.
            None => json!([{ "prefix": "aws." }]),
        };
        pattern.insert("source".into(), source);
        pattern.insert("detail-type".into(), json!(self.kind.detail_types()));
        let mut detail = Map::new();
        if let Some(event_source) = self.event_source {
            detail.insert("eventSource".into(), json!([event_source]));
        }
        if !self.calls.is_empty() {
            let names = self.calls.iter().map(|c| c.name.pattern()).collect();
            detail.insert("eventName".into(), Value::Array(names));
        }
        for condition in self.when {
            insert(&mut detail, condition.field.path(), tests(condition.any_of));
        }
        pattern.insert("detail".into(), Value::Object(detail));
        Value::Object(pattern)
    }
}

/// The EventBridge patterns selecting what these selectors select. Selectors
/// that differ only in their call names share one pattern listing all the
/// names: no cross product, since everything else in it is the same.
pub fn patterns<'s>(selectors: impl IntoIterator<Item = &'s Selector>) -> Vec<Value> {
    let mut groups: Vec<(Value, Option<Vec<Value>>)> = Vec::new();
    for selector in selectors {
        let mut pattern = selector.pattern();
        let names = pattern["detail"]
            .as_object_mut()
            .and_then(|detail| detail.remove("eventName"))
            .and_then(|names| names.as_array().cloned());
        // Equal patterns merge when both list names; without names, one stands for both.
        let same = groups
            .iter_mut()
            .find(|(base, listed)| *base == pattern && listed.is_some() == names.is_some());
        match (same, names) {
            (Some((_, Some(listed))), Some(names)) => {
                for name in names {
                    if !listed.contains(&name) {
                        listed.push(name);
                    }
                }
            }
            (Some(_), _) => {}
            (None, names) => groups.push((pattern, names)),
        }
    }
    groups
        .into_iter()
        .flat_map(|(pattern, names)| match names {
            None => vec![pattern],
            Some(names) => chunks(names)
                .into_iter()
                .map(|names| {
                    let mut pattern = pattern.clone();
                    if let Some(detail) = pattern["detail"].as_object_mut() {
                        detail.insert("eventName".into(), Value::Array(names));
                    }
                    pattern
                })
                .collect(),
        })
        .collect()
}

/// Longest `eventName` list one pattern carries, in characters of JSON: with
/// the rest of the pattern and the complements delivery adds, a pattern stays
/// well within EventBridge's 2,048 characters.
const NAME_LIST_CHARS: usize = 1000;

/// `names` in consecutive lists of at most [`NAME_LIST_CHARS`] characters each.
fn chunks(names: Vec<Value>) -> Vec<Vec<Value>> {
    let mut chunks: Vec<Vec<Value>> = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut chars = 0;
    for name in names {
        let len = name.to_string().len() + 1;
        if chars + len > NAME_LIST_CHARS && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
            chars = 0;
        }
        chars += len;
        current.push(name);
    }
    chunks.push(current);
    chunks
}

fn tests(tests: &[Test]) -> Value {
    Value::Array(tests.iter().map(|t| t.pattern()).collect())
}

fn insert(map: &mut Map<String, Value>, path: &[&str], value: Value) {
    match path {
        [] => {}
        [last] => {
            map.insert((*last).to_owned(), value);
        }
        [first, rest @ ..] => {
            let child = map
                .entry((*first).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(child) = child {
                insert(child, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Verb;
    use contract::Severity;

    #[test]
    fn exists_false_passes_only_an_absent_field() {
        assert!(Test::Exists(false).passes(Scalar::Absent));
        assert!(!Test::Exists(false).passes(Scalar::Other));
    }

    #[test]
    fn exists_sees_leaves_only_as_eventbridge_does() {
        let envelope = |request: Value| {
            serde_json::value::to_raw_value(&json!({
                "detail": {"eventName": "ModifyInstanceAttribute", "requestParameters": request}
            }))
            .expect("json")
        };
        let object = envelope(json!({"userData": {"value": "x"}, "groupSet": {"items": []}}));
        let leaves =
            envelope(json!({"userData": "x", "groupSet": {"items": [{"groupId": "sg-1"}]}}));
        let (object, leaves) = (
            Event::parse(&object).expect("event"),
            Event::parse(&leaves).expect("event"),
        );
        for (field, leaf) in [(Field::UserData, "x"), (Field::GroupSet, "sg-1")] {
            assert_eq!(field.read(&object), Scalar::Absent, "{field:?}");
            assert_eq!(field.read(&leaves), Scalar::Text(leaf), "{field:?}");
        }
    }

    #[test]
    fn string_tests_fail_on_absent_and_non_string_values() {
        for test in [Test::Exact("x"), Test::Prefix("x"), Test::Suffix("x")] {
            assert!(!test.passes(Scalar::Absent), "{test:?}");
            assert!(!test.passes(Scalar::Bool(true)), "{test:?}");
        }
    }

    #[test]
    fn pattern_names_source_event_source_and_nested_conditions() {
        const SELECTOR: Selector = Selector::calls(
            "ec2.amazonaws.com",
            &[Call::named(
                "ModifyInstanceAttribute",
                Meaning::new(Verb::Changed, "instance", Severity::Low),
            )],
        )
        .when(&[Condition {
            field: Field::UserData,
            any_of: &[Test::Exists(true)],
        }]);
        assert_eq!(
            SELECTOR.pattern(),
            json!({
                "source": ["aws.ec2"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {
                    "eventSource": ["ec2.amazonaws.com"],
                    "eventName": ["ModifyInstanceAttribute"],
                    "requestParameters": {"userData": [{"exists": true}]},
                },
            })
        );
    }
}
