//! The IAM policy documents of a rendered template, with CloudFormation's
//! functions replaced by example values of the right shape (account
//! 111122223333, region us-east-1, ARNs of each resource's type), so that a
//! policy linter such as parliament can read them. Hand-written: no crate
//! evaluates CloudFormation intrinsics, and only the few trailwatch renders
//! (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`)
//! are needed.

use serde_json::{Map, Value, json};

/// The example account, region and stack of the resolved values.
const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";
const STACK: &str = "trailwatch";

/// One policy document: where it is, what kind, and its resolved JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    /// `<logical id>` and, for a document of several, `/<key>`.
    pub at: String,
    /// `identity` for permissions of a principal, `resource` for resource and
    /// trust policies (parliament checks each kind with its own rules).
    pub kind: &'static str,
    pub policy: Value,
}

/// Every policy document of `template` (a rendered template as JSON).
pub(crate) fn documents(template: &Value) -> Vec<Document> {
    let resources = template["Resources"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut found = Vec::new();
    for (id, resource) in &resources {
        let properties = &resource["Properties"];
        let (key, kind) = match resource["Type"].as_str().unwrap_or_default() {
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => ("PolicyDocument", "identity"),
            "AWS::IAM::Role" => ("AssumeRolePolicyDocument", "resource"),
            "AWS::KMS::Key" => ("KeyPolicy", "resource"),
            "AWS::SNS::TopicPolicy" | "AWS::SQS::QueuePolicy" | "AWS::S3::BucketPolicy" => {
                ("PolicyDocument", "resource")
            }
            _ => continue,
        };
        found.push(Document {
            at: format!("{id}/{key}"),
            kind,
            policy: resolve(&properties[key], &resources),
        });
    }
    found
}

/// `value` with every CloudFormation function replaced by its example value.
pub fn resolve(value: &Value, resources: &Map<String, Value>) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, resources)).collect()),
        Value::Object(object) => {
            let resolved = match object.iter().next() {
                Some((name, argument)) if object.len() == 1 => function(name, argument, resources),
                _ => None,
            };
            resolved.unwrap_or_else(|| {
                Value::Object(
                    object
                        .iter()
                        .map(|(k, v)| (k.clone(), resolve(v, resources)))
                        .collect(),
                )
            })
        }
        other => other.clone(),
    }
}

fn function(name: &str, argument: &Value, resources: &Map<String, Value>) -> Option<Value> {
    let text = |value: &Value| {
        resolve(value, resources)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    Some(match name {
        "Ref" => json!(reference(argument.as_str()?, resources)),
        "Fn::GetAtt" => json!(attribute(
            argument[0].as_str()?,
            argument[1].as_str()?,
            resources
        )),
        "Fn::Sub" => json!(substitute(argument.as_str()?, resources)),
        "Fn::Join" => {
            let parts: Vec<String> = argument[1].as_array()?.iter().map(text).collect();
            json!(parts.join(argument[0].as_str()?))
        }
        "Fn::Split" => {
            let separator = argument[0].as_str()?;
            json!(text(&argument[1]).split(separator).collect::<Vec<_>>())
        }
        "Fn::Select" => {
            let index = usize::try_from(argument[0].as_u64()?).ok()?;
            resolve(&argument[1], resources).get(index)?.clone()
        }
        _ => return None,
    })
}

fn substitute(template: &str, resources: &Map<String, Value>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 2..start + end];
        out.push_str(&match name.split_once('.') {
            Some((id, attr)) => attribute(id, attr, resources),
            None => reference(name, resources),
        });
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// A `Ref`: pseudo parameters, parameters by name, and the ids or ARNs
/// CloudFormation returns for resources.
fn reference(name: &str, resources: &Map<String, Value>) -> String {
    match name {
        "AWS::Partition" => "aws".to_owned(),
        "AWS::Region" => REGION.to_owned(),
        "AWS::AccountId" => ACCOUNT.to_owned(),
        "AWS::StackName" => STACK.to_owned(),
        "AWS::URLSuffix" => "amazonaws.com".to_owned(),
        _ => match resources.get(name).and_then(|r| r["Type"].as_str()) {
            Some("AWS::SNS::Topic") => format!("arn:aws:sns:{REGION}:{ACCOUNT}:{STACK}-{name}"),
            Some("AWS::SQS::Queue") => {
                format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{STACK}-{name}")
            }
            Some("AWS::KMS::Key") => "1234abcd-12ab-34cd-56ef-1234567890ab".to_owned(),
            Some(_) => format!("{STACK}-{name}"),
            None => parameter(name),
        },
    }
}

/// An example value of a parameter of the templates, of its documented shape.
fn parameter(name: &str) -> String {
    match name {
        contract::parameters::HOME_BUS_ARN => {
            format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{STACK}-forwarded")
        }
        contract::parameters::ORGANIZATION_ID => "o-a1b2c3d4e5".to_owned(),
        _ => format!("example-{name}"),
    }
}

/// A `Fn::GetAtt`: the ARN (or name) of a resource of that type.
fn attribute(id: &str, attribute: &str, resources: &Map<String, Value>) -> String {
    let kind = resources
        .get(id)
        .and_then(|r| r["Type"].as_str())
        .unwrap_or_default();
    let name = format!("{STACK}-{id}");
    match (kind, attribute) {
        ("AWS::SQS::Queue", "Arn") => format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"),
        ("AWS::KMS::Key", "Arn") => {
            format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        }
        ("AWS::Logs::LogGroup", "Arn") => {
            format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/trailwatch/{STACK}/handler:*")
        }
        ("AWS::Events::Rule", "Arn") => format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"),
        ("AWS::Events::EventBus", "Arn") => {
            format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{STACK}-forwarded")
        }
        ("AWS::Events::EventBus", "Name") => format!("{STACK}-forwarded"),
        ("AWS::IAM::Role", "Arn") => format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        ("AWS::Lambda::Function", "Arn") => {
            format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
        }
        ("AWS::S3::Bucket", "Arn") => format!("arn:aws:s3:::{}", name.to_lowercase()),
        ("AWS::DynamoDB::Table", "Arn") => {
            format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}")
        }
        (_, "QueueName") => name,
        _ => format!("{name}-{attribute}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_resolve_to_values_of_the_resources_type() {
        let resources = json!({
            "DeadLetterQueue": {"Type": "AWS::SQS::Queue"},
            "HandlerRole": {"Type": "AWS::IAM::Role"},
        });
        let resources = resources.as_object().expect("object");
        let policy = json!({"Statement": [{
            "Resource": [
                {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
                {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*"},
                {"Fn::Join": ["", [{"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"}, {"Fn::Sub": "${AWS::StackName}-health-dead-letters"}]]},
                {"Fn::Select": [1, {"Fn::Split": ["/", "arn:aws:events:us-east-1:1:event-bus/home"]}]}
            ],
            "Principal": {"AWS": {"Fn::GetAtt": ["HandlerRole", "Arn"]}}
        }]});
        assert_eq!(
            resolve(&policy, resources),
            json!({"Statement": [{
                "Resource": [
                    "arn:aws:sqs:us-east-1:111122223333:trailwatch-DeadLetterQueue",
                    "arn:aws:events:us-east-1:111122223333:rule/*",
                    "arn:aws:cloudwatch:us-east-1:111122223333:alarm:trailwatch-health-dead-letters",
                    "home"
                ],
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/trailwatch-HandlerRole"}
            }]})
        );
    }
}
