//! Code and access on compute: Lambda permissions, layers and code, EC2
//! Instance Connect, serial console and user data, SSM commands and sessions.

use serde::Deserialize;

use super::Pack::Stratus;
use super::{CHECK_CALLER, EC2, LAMBDA, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::{own_account, request};
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
pub const EC2_USER_DATA_MODIFIED: Monitor = calls(
    "ec2-user-data-modified",
    "Instance user data changed",
    &[Stratus],
    Selector::calls(
        EC2,
        &[Call::named(
            "ModifyInstanceAttribute",
            means(Changed, "the user data of instance", Medium)
                .target(&["instanceId"])
                .why("user data runs as root at the instance's next start")
                .check(CHECK_CALLER),
        )],
    )
    .when(&[Condition {
        field: Field::UserData,
        any_of: &[Test::Exists(true)],
    }]),
    &[],
    &["aws.execution.ec2-user-data"],
);

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
