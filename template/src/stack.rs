//! A stack: parameters, conditions, resources and outputs, rendered to
//! deterministic YAML after checking that every reference names something real.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value as Json, json};

use crate::intrinsic::{LogicalId, Pseudo, Value};

/// Template sections in CloudFormation's conventional order.
const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Conditions",
    "Resources",
    "Outputs",
];

/// A typed CloudFormation resource (an L1 construct).
pub trait Resource: Serialize {
    /// The CloudFormation type, such as `AWS::SNS::Topic`.
    const TYPE: &'static str;
}

/// Most resources a CloudFormation stack may hold.
pub const MAX_RESOURCES: usize = 500;

/// Why a stack cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stack is invalid:\n  - {}", .0.join("\n  - "))]
pub struct SynthError(pub Vec<String>);

/// A template parameter, shown in the console form under `label`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint_description: Option<String>,
    #[serde(skip)]
    pub label: String,
    #[serde(skip)]
    pub group: String,
}

/// A condition on a parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// True when the value is not the empty string.
    NotEmpty(Value),
    /// True unless the stack runs in the account and region of this ARN.
    ElsewhereThan(Value),
    /// True when the stack runs in this region.
    InRegion(&'static str),
    /// True when every named condition holds.
    All(Vec<LogicalId>),
    /// True when the value is not this literal.
    Differs(Value, String),
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // arn:partition:service:region:account:resource
        let arn_field =
            |arn: &Value, index: u32| json!({"Fn::Select": [index, {"Fn::Split": [":", arn]}]});
        match self {
            Condition::NotEmpty(value) => json!({"Fn::Not": [{"Fn::Equals": [value, ""]}]}),
            Condition::Differs(value, literal) => {
                json!({"Fn::Not": [{"Fn::Equals": [value, literal]}]})
            }
            Condition::ElsewhereThan(arn) => json!({"Fn::Not": [{"Fn::And": [
                {"Fn::Equals": [Value::Pseudo(Pseudo::Region), arn_field(arn, 3)]},
                {"Fn::Equals": [Value::Pseudo(Pseudo::AccountId), arn_field(arn, 4)]},
            ]}]}),
            Condition::InRegion(region) => {
                json!({"Fn::Equals": [Value::Pseudo(Pseudo::Region), region]})
            }
            Condition::All(conditions) => json!({"Fn::And": conditions
                .iter()
                .map(|c| json!({"Condition": c.as_str()}))
                .collect::<Vec<_>>()}),
        }
        .serialize(serializer)
    }
}

/// A stack output, exported for other stacks when `export` is set.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    pub description: String,
    pub value: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Export>,
}

/// An output's export name.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Export {
    pub name: Value,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_policy: Option<DeletionPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_replace_policy: Option<DeletionPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Json>,
    properties: Json,
}

/// What CloudFormation does with a stateful resource's data when it is deleted or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeletionPolicy {
    Delete,
    Retain,
}

/// A CloudFormation stack under construction.
#[derive(Debug, Clone, Default)]
pub struct Stack {
    description: String,
    parameters: Vec<(String, Parameter)>,
    conditions: Vec<(String, Condition)>,
    resources: Vec<(String, Entry)>,
    outputs: Vec<(String, Output)>,
    tags: BTreeMap<String, String>,
    problems: Vec<String>,
}

impl Stack {
    /// An empty stack.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            ..Self::default()
        }
    }

    /// Adds a parameter.
    pub fn add_parameter(&mut self, id: &str, parameter: Parameter) -> LogicalId {
        self.claim(id);
        self.parameters.push((id.to_owned(), parameter));
        LogicalId(id.to_owned())
    }

    /// Adds a condition.
    pub fn add_condition(&mut self, id: &str, condition: Condition) -> LogicalId {
        self.claim(id);
        self.conditions.push((id.to_owned(), condition));
        LogicalId(id.to_owned())
    }

    /// Adds a resource.
    pub fn add<R: Resource>(&mut self, id: &str, resource: &R) -> LogicalId {
        self.claim(id);
        let properties = serde_json::to_value(resource).unwrap_or_else(|e| {
            self.problems.push(format!("resource {id}: {e}"));
            Json::Null
        });
        self.resources.push((
            id.to_owned(),
            Entry {
                kind: R::TYPE,
                condition: None,
                depends_on: Vec::new(),
                deletion_policy: None,
                update_replace_policy: None,
                metadata: None,
                properties,
            },
        ));
        LogicalId(id.to_owned())
    }

    /// Creates `resource` only when `condition` holds.
    pub fn set_condition(&mut self, resource: &LogicalId, condition: &LogicalId) {
        if let Some(entry) = self.entry(resource) {
            entry.condition = Some(condition.0.clone());
        }
    }

    /// States explicitly what happens to a stateful resource's data on deletion and replacement.
    pub fn set_deletion_policy(&mut self, resource: &LogicalId, policy: DeletionPolicy) {
        if let Some(entry) = self.entry(resource) {
            entry.deletion_policy = Some(policy);
            entry.update_replace_policy = Some(policy);
        }
    }

    /// Declares that `resource` must be created after `dependency`.
    pub fn add_dependency(&mut self, resource: &LogicalId, dependency: &LogicalId) {
        if let Some(entry) = self.entry(resource) {
            entry.depends_on.push(dependency.0.clone());
        }
    }

    /// Records in the resource's metadata that checkov check `id` is skipped, and why.
    pub fn skip_checkov(&mut self, resource: &LogicalId, id: &str, reason: &str) {
        if let Some(entry) = self.entry(resource) {
            let metadata = entry.metadata.get_or_insert_with(|| json!({}));
            let skips = &mut metadata["checkov"]["skip"];
            if !skips.is_array() {
                *skips = json!([]);
            }
            if let Some(skips) = skips.as_array_mut() {
                skips.push(json!({"id": id, "comment": reason}));
            }
        }
    }

    /// Adds an output.
    pub fn add_output(&mut self, id: &str, output: Output) {
        self.claim(id);
        self.outputs.push((id.to_owned(), output));
    }

    /// Sets a stack-wide tag (applied by CloudFormation to every taggable resource at deploy).
    pub fn tag(&mut self, key: &str, value: &str) {
        self.tags.insert(key.to_owned(), value.to_owned());
    }

    /// The stack-wide tags.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// Logical ids of the resources created whatever the conditions.
    pub fn unconditioned_resources(&self) -> impl Iterator<Item = LogicalId> + '_ {
        self.resources
            .iter()
            .filter(|(_, entry)| entry.condition.is_none())
            .map(|(id, _)| LogicalId(id.clone()))
    }

    /// Logical ids of the resources, in the order they were added.
    pub fn resource_ids(&self) -> impl Iterator<Item = &str> {
        self.resources.iter().map(|(id, _)| id.as_str())
    }

    /// The template as JSON, after checking every reference.
    pub fn to_json(&self) -> Result<Json, SynthError> {
        let document =
            serde_json::to_value(self.document()).map_err(|e| SynthError(vec![e.to_string()]))?;
        let mut problems = self.problems.clone();
        if self.resources.len() > MAX_RESOURCES {
            problems.push(format!(
                "the stack would hold {} resources, over the {MAX_RESOURCES} CloudFormation allows: list fewer alert_emails (one subscription each) or enable fewer monitors",
                self.resources.len()
            ));
        }
        self.check_references(&document, &mut problems);
        if problems.is_empty() {
            Ok(document)
        } else {
            Err(SynthError(problems))
        }
    }

    /// The template as YAML: the same stack always gives the same bytes.
    pub fn to_yaml(&self) -> Result<String, SynthError> {
        let document = self.to_json()?;
        Ok(crate::yaml::sections_to_yaml(&document, SECTIONS))
    }

    fn document(&self) -> Document<'_> {
        Document {
            version: "2010-09-09",
            description: &self.description,
            metadata: self.interface(),
            parameters: Ordered(&self.parameters),
            conditions: Ordered(&self.conditions),
            resources: Ordered(&self.resources),
            outputs: Ordered(&self.outputs),
        }
    }

    /// `AWS::CloudFormation::Interface`: parameter groups and labels for the console form.
    fn interface(&self) -> Json {
        let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
        for (id, parameter) in &self.parameters {
            match groups.iter_mut().find(|(name, _)| *name == parameter.group) {
                Some((_, ids)) => ids.push(id),
                None => groups.push((&parameter.group, vec![id])),
            }
        }
        let labels: serde_json::Map<String, Json> = self
            .parameters
            .iter()
            .map(|(id, p)| (id.clone(), json!({"default": p.label})))
            .collect();
        json!({"AWS::CloudFormation::Interface": {
            "ParameterGroups": groups.iter().map(|(name, ids)| json!({"Label": {"default": name}, "Parameters": ids})).collect::<Vec<_>>(),
            "ParameterLabels": labels,
        }})
    }

    fn claim(&mut self, id: &str) {
        let valid =
            !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if !valid {
            self.problems.push(format!(
                "logical id {id:?} must be 1-255 ASCII letters and digits"
            ));
        }
        let taken = self.parameters.iter().any(|(i, _)| i == id)
            || self.conditions.iter().any(|(i, _)| i == id)
            || self.resources.iter().any(|(i, _)| i == id)
            || self.outputs.iter().any(|(i, _)| i == id);
        if taken {
            self.problems.push(format!("logical id {id} is used twice"));
        }
    }

    fn entry(&mut self, id: &LogicalId) -> Option<&mut Entry> {
        let found = self
            .resources
            .iter_mut()
            .find(|(i, _)| *i == id.0)
            .map(|(_, e)| e);
        if found.is_none() {
            self.problems
                .push(format!("{} is not a resource of this stack", id.0));
        }
        found
    }

    fn check_references(&self, document: &Json, problems: &mut Vec<String>) {
        let resources: BTreeSet<&str> = self.resources.iter().map(|(id, _)| id.as_str()).collect();
        let referable: BTreeSet<&str> = self
            .parameters
            .iter()
            .map(|(id, _)| id.as_str())
            .chain(resources.iter().copied())
            .collect();
        let conditions: BTreeSet<&str> =
            self.conditions.iter().map(|(id, _)| id.as_str()).collect();
        for (id, entry) in &self.resources {
            for dependency in &entry.depends_on {
                if !resources.contains(dependency.as_str()) {
                    problems.push(format!(
                        "{id} depends on {dependency}, which is not a resource"
                    ));
                }
            }
            if let Some(condition) = &entry.condition
                && !conditions.contains(condition.as_str())
            {
                problems.push(format!(
                    "{id} uses condition {condition}, which is not defined"
                ));
            }
        }
        let names = Names {
            resources: &resources,
            referable: &referable,
            conditions: &conditions,
        };
        walk(document, &names, problems);
    }
}

/// What a reference may name.
struct Names<'a> {
    resources: &'a BTreeSet<&'a str>,
    referable: &'a BTreeSet<&'a str>,
    conditions: &'a BTreeSet<&'a str>,
}

/// Checks every `Ref`, `Fn::GetAtt`, `Fn::Sub` and `Fn::If` below `value`.
fn walk(value: &Json, names: &Names<'_>, problems: &mut Vec<String>) {
    match value {
        Json::Object(map) => {
            for (key, argument) in map {
                check_function(key, argument, names, problems);
                walk(argument, names, problems);
            }
        }
        Json::Array(items) => items.iter().for_each(|v| walk(v, names, problems)),
        _ => {}
    }
}

fn check_function(key: &str, argument: &Json, names: &Names<'_>, problems: &mut Vec<String>) {
    let mut missing = |kind: &str, name: &str| {
        problems.push(format!(
            "{key} names {kind} {name}, which is not in the stack"
        ))
    };
    match (key, argument) {
        ("Ref", Json::String(name))
            if !name.starts_with("AWS::") && !names.referable.contains(name.as_str()) =>
        {
            missing("parameter or resource", name)
        }
        ("Fn::GetAtt", Json::Array(parts)) => match parts.first().and_then(Json::as_str) {
            Some(name) if names.resources.contains(name) => {}
            name => missing("resource", name.unwrap_or("(none)")),
        },
        ("Fn::Sub", Json::String(template)) => {
            for name in sub_names(template) {
                if !names.referable.contains(name) {
                    missing("parameter or resource", name);
                }
            }
        }
        ("Fn::If", Json::Array(parts)) => match parts.first().and_then(Json::as_str) {
            Some(name) if names.conditions.contains(name) => {}
            name => missing("condition", name.unwrap_or("(none)")),
        },
        _ => {}
    }
}

/// The logical ids a `Fn::Sub` template references (`${Id}` or `${Id.Attribute}`),
/// leaving out pseudo parameters (`${AWS::Region}`) and literals (`${!Text}`).
fn sub_names(template: &str) -> impl Iterator<Item = &str> {
    template
        .split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(name, _)| name.split('.').next().unwrap_or(name))
        .filter(|name| !name.starts_with("AWS::") && !name.starts_with('!'))
}

/// The template document, in CloudFormation's conventional section order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Document<'a> {
    #[serde(rename = "AWSTemplateFormatVersion")]
    version: &'static str,
    description: &'a str,
    metadata: Json,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    parameters: Ordered<'a, Parameter>,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    conditions: Ordered<'a, Condition>,
    resources: Ordered<'a, Entry>,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    outputs: Ordered<'a, Output>,
}

/// A map serialised in insertion order.
struct Ordered<'a, T>(&'a [(String, T)]);

impl<T> Ordered<'_, T> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Serialize> Serialize for Ordered<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::sns::Topic;

    fn topic() -> Topic {
        Topic {
            display_name: None,
            kms_master_key_id: None,
        }
    }

    #[test]
    fn a_ref_to_a_resource_of_another_stack_is_rejected() {
        let mut other = Stack::new("other");
        let foreign = other.add("Foreign", &topic());
        let mut stack = Stack::new("test");
        stack.add_output(
            "Leak",
            Output {
                description: "x".into(),
                value: foreign.reference(),
                export: None,
            },
        );
        assert_eq!(
            stack.to_yaml(),
            Err(SynthError(vec![
                "Ref names parameter or resource Foreign, which is not in the stack".into()
            ]))
        );
    }

    #[test]
    fn get_att_of_a_parameter_is_rejected() {
        let mut stack = Stack::new("test");
        let parameter = stack.add_parameter(
            "Name",
            Parameter {
                kind: "String",
                description: "d".into(),
                default: None,
                allowed_pattern: None,
                constraint_description: None,
                label: "l".into(),
                group: "g".into(),
            },
        );
        stack.add_output(
            "Bad",
            Output {
                description: "x".into(),
                value: parameter.get_att("Arn"),
                export: None,
            },
        );
        assert_eq!(
            stack.to_json().map(|_| ()),
            Err(SynthError(vec![
                "Fn::GetAtt names resource Name, which is not in the stack".into()
            ]))
        );
    }

    #[test]
    fn sub_naming_an_unknown_id_is_rejected() {
        let mut stack = Stack::new("test");
        stack.add_output(
            "Bad",
            Output {
                description: "x".into(),
                value: Value::sub("${Missing.Arn}-${AWS::Region}"),
                export: None,
            },
        );
        assert_eq!(
            stack.to_json().map(|_| ()),
            Err(SynthError(vec![
                "Fn::Sub names parameter or resource Missing, which is not in the stack".into()
            ]))
        );
    }

    #[test]
    fn duplicate_and_malformed_logical_ids_are_rejected() {
        let mut stack = Stack::new("test");
        stack.add("Topic", &topic());
        stack.add("Topic", &topic());
        stack.add("My-Topic", &topic());
        assert_eq!(
            stack.to_json().map(|_| ()),
            Err(SynthError(vec![
                "logical id Topic is used twice".into(),
                "logical id \"My-Topic\" must be 1-255 ASCII letters and digits".into(),
            ]))
        );
    }

    #[test]
    fn sub_names_skip_pseudo_parameters_and_literals() {
        let names: Vec<_> =
            sub_names("arn:${AWS::Partition}:sns:${Topic.TopicName}:${!Literal}:${Bucket}")
                .collect();
        assert_eq!(names, ["Topic", "Bucket"]);
    }
}
