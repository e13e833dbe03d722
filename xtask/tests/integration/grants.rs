//! Every grant to an AWS service in the rendered templates is one AWS
//! documents: each service-principal statement (key, topic, queue, bucket and
//! bus policies, role trust policies, Lambda permissions) equals an entry of
//! `template::grants::GRANTS`, which names the page it follows.

use std::collections::BTreeSet;

use serde_json::Value;
use template::grants::{GRANTS, Grant};
use xtask::commands::test::linted_stacks;

/// A service-principal grant as rendered: where, to whom, what, on which conditions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rendered {
    template: String,
    resource_id: String,
    resource: String,
    service: String,
    effect: String,
    actions: Vec<String>,
    conditions: Vec<String>,
}

impl Rendered {
    fn follows(&self, grant: &Grant) -> bool {
        self.effect == "Allow"
            && self.resource == grant.resource
            && self.service == grant.service
            && self.actions == grant.actions
            && self.conditions == grant.conditions
    }
}

/// The statements a resource holds, by its type.
fn statements<'a>(kind: &str, properties: &'a Value) -> Vec<&'a Value> {
    let document = match kind {
        "AWS::KMS::Key" => &properties["KeyPolicy"],
        "AWS::IAM::Role" => &properties["AssumeRolePolicyDocument"],
        "AWS::Events::EventBusPolicy" => return vec![&properties["Statement"]],
        _ => &properties["PolicyDocument"],
    };
    document["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .collect()
}

/// A principal's services: a string, a list, or a `Fn::Sub` template.
fn services(principal: &Value) -> Vec<String> {
    let one = |value: &Value| {
        value
            .as_str()
            .or_else(|| value["Fn::Sub"].as_str())
            .map(str::to_owned)
    };
    match &principal["Service"] {
        Value::Array(list) => list.iter().filter_map(one).collect(),
        Value::Null => Vec::new(),
        value => one(value).into_iter().collect(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    let mut list: Vec<String> = match value {
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(one) => vec![one.clone()],
        _ => Vec::new(),
    };
    list.sort();
    list
}

/// `Operator:key` of each condition, sorted.
fn conditions(condition: &Value) -> Vec<String> {
    let mut found: Vec<String> = condition
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(operator, keys)| {
            keys.as_object()
                .into_iter()
                .flatten()
                .map(move |(key, _)| format!("{operator}:{key}"))
        })
        .collect();
    found.sort();
    found
}

/// Every service-principal grant of every linted template.
fn rendered() -> Vec<Rendered> {
    let mut found = Vec::new();
    for (file, stack) in linted_stacks().expect("the linted stacks") {
        let template = stack.to_json().expect("renders");
        for (id, resource) in template["Resources"].as_object().expect("resources") {
            let kind = resource["Type"].as_str().unwrap_or_default();
            let properties = &resource["Properties"];
            let at = |service: String, effect: &str, actions, conditions| Rendered {
                template: file.to_owned(),
                resource_id: id.clone(),
                resource: kind.to_owned(),
                service,
                effect: effect.to_owned(),
                actions,
                conditions,
            };
            if kind == "AWS::Lambda::Permission" {
                let scoping = [
                    "SourceArn",
                    "SourceAccount",
                    "PrincipalOrgID",
                    "EventSourceToken",
                ]
                .into_iter()
                .filter(|key| properties.get(*key).is_some())
                .map(str::to_owned)
                .collect();
                found.push(at(
                    properties["Principal"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    "Allow",
                    strings(&properties["Action"]),
                    scoping,
                ));
                continue;
            }
            for statement in statements(kind, properties) {
                for service in services(&statement["Principal"]) {
                    found.push(at(
                        service,
                        statement["Effect"].as_str().unwrap_or_default(),
                        strings(&statement["Action"]),
                        conditions(&statement["Condition"]),
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn every_service_principal_grant_rendered_is_one_aws_documents() {
    let undocumented: Vec<Rendered> = rendered()
        .into_iter()
        .filter(|r| !GRANTS.iter().any(|grant| r.follows(grant)))
        .collect();
    assert!(undocumented.is_empty(), "{undocumented:#?}");
}

#[test]
fn every_documented_grant_is_rendered_somewhere() {
    let rendered = rendered();
    let unused: Vec<&Grant> = GRANTS
        .iter()
        .filter(|grant| !rendered.iter().any(|r| r.follows(grant)))
        .collect();
    assert!(unused.is_empty(), "{unused:#?}");
}

#[test]
fn each_grant_names_an_aws_page_and_lists_its_actions_and_conditions_sorted() {
    for grant in GRANTS {
        assert!(
            grant.page.starts_with("https://docs.aws.amazon.com/")
                || grant
                    .page
                    .starts_with("https://repost.aws/knowledge-center/"),
            "{grant:?}"
        );
        let sorted = |list: &[&str]| list.windows(2).all(|w| w[0] < w[1]);
        assert!(
            sorted(grant.actions) && sorted(grant.conditions),
            "{grant:?}"
        );
    }
    let distinct: BTreeSet<(&str, &str, &[&str], &[&str])> = GRANTS
        .iter()
        .map(|g| (g.resource, g.service, g.actions, g.conditions))
        .collect();
    assert_eq!(distinct.len(), GRANTS.len());
}

#[test]
fn no_lambda_permission_for_eventbridge_carries_source_account() {
    let with_account: Vec<Rendered> = rendered()
        .into_iter()
        .filter(|r| r.resource == "AWS::Lambda::Permission")
        .filter(|r| r.conditions.iter().any(|c| c == "SourceAccount"))
        .collect();
    assert!(with_account.is_empty(), "{with_account:#?}");
}
