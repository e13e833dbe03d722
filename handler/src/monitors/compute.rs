//! Code and access on compute: Lambda permissions, layers and code, EC2
//! Instance Connect, serial console and user data, SSM commands and sessions.

use serde::Deserialize;
use serde_json::Value;

use super::Pack::Stratus;
use super::{CHECK_CALLER, EC2, Failure, LAMBDA, Monitor, Selects, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::{Items, own_account, request};
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::policy::{self, Grantee, Home, Reach};
use crate::selector::{Call, Condition, Field, Selector, Test};
use contract::Severity::{self, Low, Medium};

/// `lambda-permission-added`.
pub const LAMBDA_PERMISSION_ADDED: Monitor = calls(
    "lambda-permission-added",
    "Lambda function policy extended",
    &[Stratus],
    Selector::calls(
        LAMBDA,
        &[Call::prefixed(
            "AddPermission",
            means(Changed, "the resource policy of Lambda function", Low).target(&["functionName"]),
        )
        .refine(LAMBDA_PERMISSION)],
    ),
    &[],
    &["aws.persistence.lambda-backdoor-function"],
);

/// `lambda-layer-added`.
pub const LAMBDA_LAYER_ADDED: Monitor = calls(
    "lambda-layer-added",
    "Lambda function configuration changed",
    &[Stratus],
    Selector::calls(
        LAMBDA,
        &[Call::prefixed(
            "UpdateFunctionConfiguration",
            means(Changed, "the configuration of Lambda function", Low).target(&["functionName"]),
        )
        .refine(LAMBDA_LAYERS)],
    ),
    &[],
    &["aws.persistence.lambda-layer-extension"],
);

/// `lambda-code-updated`.
pub const LAMBDA_CODE_UPDATED: Monitor = calls(
    "lambda-code-updated",
    "Lambda function code changed",
    &[Stratus],
    Selector::calls(
        LAMBDA,
        &[Call::prefixed(
            "UpdateFunctionCode",
            means(Changed, "the code of Lambda function", Low)
                .target(&["functionName"])
                .why("new code runs with the function's role")
                .check("Confirm the update came from your deployment pipeline"),
        )],
    ),
    &[],
    &["aws.persistence.lambda-overwrite-code"],
);

/// `ec2-instance-connect`.
pub const EC2_INSTANCE_CONNECT: Monitor = calls(
    "ec2-instance-connect",
    "SSH key pushed to an instance",
    &[Stratus],
    Selector::calls(
        "ec2-instance-connect.amazonaws.com",
        &[
            Call::named(
                "SendSSHPublicKey",
                means(Sent, "an SSH key to instance", Medium)
                    .target(&["instanceId"])
                    .why("the key's holder can log in to the instance for the next 60 seconds")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "SendSerialConsoleSSHPublicKey",
                means(Sent, "an SSH key to the serial console of instance", Medium)
                    .target(&["instanceId"])
                    .why("the key's holder can reach the instance's serial console")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &[
        "aws.lateral-movement.ec2-instance-connect",
        "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
        "T1021.008",
    ],
);

/// `ec2-serial-console-enabled`.
pub const EC2_SERIAL_CONSOLE_ENABLED: Monitor = calls(
    "ec2-serial-console-enabled",
    "EC2 serial console access enabled",
    &[Stratus],
    Selector::calls(
        EC2,
        &[Call::named(
            "EnableSerialConsoleAccess",
            means(Enabled, "EC2 serial console access", Medium)
                .why("instances in the region can be reached through their serial console")
                .check(CHECK_CALLER),
        )],
    ),
    &[],
    &[
        "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
        "T1021.008",
    ],
);

/// `ec2-user-data-modified`.
pub const EC2_USER_DATA_MODIFIED: Monitor = Monitor {
    id: "ec2-user-data-modified",
    title: "Instance user data or security groups changed",
    packs: &[Stratus],
    // ModifyInstanceAttribute takes user data and security groups in two
    // forms each: `userData`/`groupSet` parameters, or `attribute` naming
    // them with a `value`. Other attributes are not selected.
    selects: Selects::Services(&[
        Selector::calls(EC2, MODIFY_INSTANCE_ATTRIBUTE).when(&[Condition {
            field: Field::UserData,
            any_of: &[Test::Exists(true)],
        }]),
        Selector::calls(EC2, MODIFY_INSTANCE_ATTRIBUTE).when(&[Condition {
            field: Field::GroupSet,
            any_of: &[Test::Exists(true)],
        }]),
        Selector::calls(EC2, MODIFY_INSTANCE_ATTRIBUTE).when(&[Condition {
            field: Field::Attribute,
            any_of: &[Test::Exact("userData"), Test::Exact("groupSet")],
        }]),
    ]),
    assess: None,
    own: None,
    failure: Failure::Attempt,
    reads: false,
    controls: &[],
    techniques: &["aws.execution.ec2-user-data", "T1562.007"],
    state: None,
    references: &[],
};

const MODIFY_INSTANCE_ATTRIBUTE: &[Call] = &[Call::named(
    "ModifyInstanceAttribute",
    means(Changed, "an attribute of instance", Low)
        .target(&["instanceId"])
        .check(CHECK_CALLER),
)
.refine(INSTANCE_ATTRIBUTE)];

/// `requestParameters` of ModifyInstanceAttribute.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct InstanceAttribute {
    user_data: Option<Value>,
    group_set: Items<GroupItem>,
    attribute: Option<String>,
    value: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct GroupItem {
    group_id: Option<String>,
}

/// [`instance_attribute`] and what it decides.
pub const INSTANCE_ATTRIBUTE: Judge = Judge {
    assess: instance_attribute,
    decides: "MEDIUM for new user data (it runs as root at the next start) and for replaced security groups, in either request form",
};

/// ModifyInstanceAttribute: user data or the security groups, in either form.
pub fn instance_attribute(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: InstanceAttribute = request(event)?;
    let instance = finding
        .target
        .clone()
        .unwrap_or_else(|| "(not recorded)".to_owned());
    let named = request.attribute.as_deref();
    if request.user_data.is_some() || named == Some("userData") {
        finding.describe(
            Verb::Changed,
            &format!("the user data of instance {instance}"),
        );
        finding.raise(
            Severity::Medium,
            "user data runs as root at the instance's next start".to_owned(),
        );
    }
    let mut groups: Vec<String> = request
        .group_set
        .items
        .into_iter()
        .filter_map(|g| g.group_id)
        .collect();
    if named == Some("groupSet") {
        groups.extend(request.value.iter().flat_map(texts));
    }
    if !groups.is_empty() || named == Some("groupSet") {
        finding.describe(
            Verb::Changed,
            &format!("the security groups of instance {instance}"),
        );
        finding.raise(
            Severity::Medium,
            format!(
                "the instance's security groups were replaced by {}: what can reach it is now what those groups allow",
                if groups.is_empty() { "groups not recorded".to_owned() } else { groups.join(", ") }
            ),
        );
    }
    Ok(())
}

/// Strings of a value written as one string, a list, or `{"items": [...]}`.
fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(texts).collect(),
        Value::Object(map) => map.values().flat_map(texts).collect(),
        _ => Vec::new(),
    }
}

/// `ssm-send-command`.
pub const SSM_SEND_COMMAND: Monitor = calls(
    "ssm-send-command",
    "SSM command sent",
    &[Stratus],
    Selector::calls(
        "ssm.amazonaws.com",
        &[Call::named(
            "SendCommand",
            means(Sent, "SSM command", Medium)
                .target(&["documentName"])
                .why("commands run as root or SYSTEM on the targeted instances")
                .check(CHECK_CALLER),
        )],
    ),
    &[],
    &["aws.execution.ssm-send-command", "T1651"],
);

/// `ssm-start-session`.
pub const SSM_START_SESSION: Monitor = calls(
    "ssm-start-session",
    "SSM session started",
    &[Stratus],
    Selector::calls(
        "ssm.amazonaws.com",
        &[Call::named(
            "StartSession",
            means(Started, "an SSM session on", Medium)
                .target(&["target"])
                .why("a session is an interactive shell on the instance")
                .check(CHECK_CALLER),
        )],
    ),
    &[],
    &["aws.execution.ssm-start-session", "T1021.008"],
);

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Permission {
    function_name: Option<String>,
    statement_id: Option<String>,
    principal: Option<String>,
    action: Option<String>,
    source_arn: Option<String>,
    source_account: Option<String>,
    #[serde(rename = "principalOrgID")]
    principal_org_id: Option<String>,
}

/// [`lambda_permission`] and what it decides.
pub const LAMBDA_PERMISSION: Judge = Judge {
    assess: lambda_permission,
    decides: "CRITICAL for `*` unless a source account, a source ARN with a fixed account, or the home organization pins the caller; HIGH for another account or organization; MEDIUM for a service with no source pinned",
};

/// Lambda AddPermission: judged as the policy statement it adds, its
/// `sourceAccount`, `sourceArn` and `principalOrgID` read as the conditions
/// Lambda writes for them.
pub fn lambda_permission(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Permission = request(event)?;
    let function = request
        .function_name
        .clone()
        .unwrap_or_else(|| "(not recorded)".to_owned());
    let principal = request.principal.clone().unwrap_or_default();
    let action = request
        .action
        .clone()
        .unwrap_or_else(|| "an action".to_owned());
    let home = Home::of(event);
    let conditions = [
        ("aws:SourceAccount", &request.source_account),
        ("aws:SourceArn", &request.source_arn),
        ("aws:PrincipalOrgID", &request.principal_org_id),
    ]
    .into_iter()
    .filter_map(|(key, value)| {
        Some((
            format!("{key} {}", value.as_deref()?),
            key,
            vec![value.as_deref()?],
        ))
    });
    let object = format!("Lambda function {function}");
    // Lambda takes an account id, an ARN, a service or `*` in one field.
    let grantee = match principal.as_str() {
        service if service.ends_with(".amazonaws.com") => Grantee::Service(service.to_owned()),
        other => policy::grantee("AWS", other),
    };
    match (&grantee, policy::reach(conditions, home)) {
        (Grantee::Everyone, Reach::Everyone) => {
            finding.describe(Verb::MadePublic, &object);
            finding.raise(
                Severity::Critical,
                format!("{action} is allowed to every AWS principal, with no source account, source ARN of a fixed account, or organization pinning the caller"),
            );
        }
        (Grantee::Service(service), Reach::Everyone) => {
            finding.raise(
                Severity::Medium,
                format!("{action} is allowed to {service} with no source account or source ARN of a fixed account: resources of any account on that service can invoke it"),
            );
            return Ok(());
        }
        (Grantee::Everyone | Grantee::Service(_), Reach::Foreign { condition, whom }) => {
            finding.describe(Verb::Shared, &object);
            finding.raise(
                Severity::High,
                format!("{action} is allowed to callers in {whom} ({condition})"),
            );
        }
        (Grantee::Everyone | Grantee::Service(_), Reach::Organization { id, .. }) => {
            finding.describe(Verb::Shared, &object);
            finding.raise(
                Severity::High,
                format!("{action} is allowed to every account of organization {id}, which trailwatch cannot tell is yours (it can when deployed with [organization])"),
            );
        }
        (Grantee::Account(account), _) if Some(account.as_str()) != home.account => {
            finding.describe(Verb::Shared, &object);
            finding.raise(
                Severity::High,
                format!("{action} is allowed to another account ({account})"),
            );
        }
        _ => {
            finding.note(format!("{action} is allowed to {principal}"));
            return Ok(());
        }
    }
    if let Some(statement) = &request.statement_id {
        let region = event.region().unwrap_or("us-east-1");
        finding.command(
            "aws lambda remove-permission --function-name {function} --statement-id {statement} --region {region}",
            &[("function", &function), ("statement", statement), ("region", region)],
        );
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Configuration {
    function_name: Option<String>,
    layers: Option<Vec<String>>,
}

/// [`lambda_layers`] and what it decides.
pub const LAMBDA_LAYERS: Judge = Judge {
    assess: lambda_layers,
    decides: "MEDIUM when layers are set, HIGH for a layer of another account",
};

/// UpdateFunctionConfiguration: layers run code inside the function (MEDIUM);
/// a layer from another account is HIGH.
pub fn lambda_layers(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Configuration = request(event)?;
    let Some(layers) = request.layers.filter(|l| !l.is_empty()) else {
        return Ok(());
    };
    let function = request
        .function_name
        .unwrap_or_else(|| "(not recorded)".to_owned());
    finding.describe(
        Verb::Added,
        &format!("layers to Lambda function {function}"),
    );
    let own = own_account(event);
    for layer in &layers {
        match layer.split(':').nth(4) {
            Some(account) if Some(account) != own => finding.raise(
                Severity::High,
                format!("layer {layer} belongs to another account ({account}) and runs inside the function"),
            ),
            _ => finding.raise(Severity::Medium, format!("layer {layer} runs inside the function")),
        }
    }
    Ok(())
}
