//! CloudFormation values: literals and intrinsic functions, always rendered in long
//! form (`{"Ref": ..}`, `{"Fn::GetAtt": [..]}`), never as YAML tags.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// The stack's name, as a `Fn::Sub` template writes it.
pub const STACK_NAME: &str = "${AWS::StackName}";

/// The logical id of something in a stack (resource, parameter or condition).
/// Obtained from [`crate::Stack`] when the thing is added, so references name
/// things that exist; [`crate::Stack::render`] checks it again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogicalId(pub(crate) String);

impl LogicalId {
    /// The id as written in the template.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{"Ref": id}`.
    pub fn reference(&self) -> Value {
        Value::Ref(self.0.clone())
    }

    /// `{"Fn::GetAtt": [id, attribute]}`.
    pub fn get_att(&self, attribute: &str) -> Value {
        Value::GetAtt(self.0.clone(), attribute.to_owned())
    }
}

/// Pseudo parameters CloudFormation defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pseudo {
    AccountId,
    Region,
    Partition,
    StackName,
    UrlSuffix,
    NoValue,
}

impl Pseudo {
    fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Region => "AWS::Region",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

/// A string-valued CloudFormation expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A plain string.
    Literal(String),
    /// `{"Ref": logical id}`.
    Ref(String),
    /// `{"Ref": "AWS::..."}`.
    Pseudo(Pseudo),
    /// `{"Fn::GetAtt": [logical id, attribute]}`.
    GetAtt(String, String),
    /// `{"Fn::Sub": template}`; `${Name}` references are checked at render.
    Sub(String),
    /// `{"Fn::Join": [separator, [parts]]}`.
    Join(String, Vec<Value>),
    /// `{"Fn::If": [condition, then, else]}`.
    If(String, Box<Value>, Box<Value>),
    /// `{"Fn::Select": [index, {"Fn::Split": [separator, value]}]}`.
    Part(u32, String, Box<Value>),
}

impl Value {
    /// A `Fn::Sub` expression.
    pub fn sub(template: impl Into<String>) -> Self {
        Value::Sub(template.into())
    }

    /// `value` when `condition` holds, else no value (the property is left out).
    pub fn only_if(condition: &LogicalId, value: Value) -> Self {
        Value::If(
            condition.as_str().to_owned(),
            Box::new(value),
            Box::new(Value::Pseudo(Pseudo::NoValue)),
        )
    }

    /// Part `index` (from 0) of this value split at `separator`.
    pub fn part(self, separator: &str, index: u32) -> Self {
        Value::Part(index, separator.to_owned(), Box::new(self))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Literal(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Literal(s)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Literal(s) => serializer.serialize_str(s),
            Value::Ref(id) => function(serializer, "Ref", id),
            Value::Pseudo(p) => function(serializer, "Ref", p.name()),
            Value::GetAtt(id, attribute) => function(serializer, "Fn::GetAtt", &[id, attribute]),
            Value::Sub(template) => function(serializer, "Fn::Sub", template),
            Value::Join(separator, parts) => function(serializer, "Fn::Join", &(separator, parts)),
            Value::If(condition, then, otherwise) => {
                function(serializer, "Fn::If", &(condition, then, otherwise))
            }
            Value::Part(index, separator, value) => {
                let split = serde_json::json!({"Fn::Split": [separator, value]});
                function(serializer, "Fn::Select", &(index, split))
            }
        }
    }
}

/// `{name: argument}`, the long form of every intrinsic function.
fn function<S: Serializer, T: Serialize + ?Sized>(
    serializer: S,
    name: &str,
    argument: &T,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(name, argument)?;
    map.end()
}
