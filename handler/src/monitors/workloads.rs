//! Where code runs with the account's permissions: EKS access and audit
//! logging, Lambda function URLs and triggers, Glue development endpoints,
//! CodeBuild projects made public, CloudShell; and (opt-in) the routine
//! Lambda and ECS lifecycle.

use serde_json::Value;

use super::Pack::Activity;
use super::{CHECK_CALLER, LAMBDA, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, Meaning, ReadError};
use crate::selector::{Call, Selector};
use contract::Severity::{High, Low, Medium};

const CLUSTER: &[&str] = &["name"];
const FUNCTION: &[&str] = &["functionName"];

/// `eks-access-or-logging-changed`.
pub const EKS_ACCESS_OR_LOGGING_CHANGED: Monitor = calls(
    "eks-access-or-logging-changed",
    "EKS cluster access granted, audit logging turned off, or a cluster created or deleted",
    &[],
    Selector::calls(
        "eks.amazonaws.com",
        &[
            Call::named(
                "CreateAccessEntry",
                means(Added, "an IAM principal to EKS cluster", Medium)
                    .target(CLUSTER)
                    .why("the principal can now reach the cluster's Kubernetes API")
                    .check(CHECK_CALLER),
            )
            .refine(EKS_PRINCIPAL),
            Call::named(
                "AssociateAccessPolicy",
                means(Attached, "an access policy in EKS cluster", Medium)
                    .target(CLUSTER)
                    .check(CHECK_CALLER),
            )
            .refine(EKS_ACCESS_POLICY),
            Call::named(
                "UpdateAccessEntry",
                means(Changed, "an access entry of EKS cluster", Low).target(CLUSTER),
            ),
            Call::named(
                "DeleteAccessEntry",
                means(Removed, "an access entry of EKS cluster", Low).target(CLUSTER),
            ),
            Call::named(
                "DisassociateAccessPolicy",
                means(Removed, "an access policy in EKS cluster", Low).target(CLUSTER),
            ),
            Call::named(
                "UpdateClusterConfig",
                means(Changed, "EKS cluster", Low).target(CLUSTER),
            )
            .refine(EKS_CLUSTER_CONFIG),
            Call::named(
                "CreateCluster",
                means(Created, "EKS cluster", Low).target(CLUSTER),
            ),
            Call::named(
                "DeleteCluster",
                means(Deleted, "EKS cluster", Medium)
                    .target(CLUSTER)
                    .why("the cluster and its workloads are gone")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["T1098", "T1562.008"],
)
.answers(&[
    "elastic:persistence_eks_access_entry_modified",
    "elastic:privilege_escalation_eks_access_entry_granted_cluster_admin_policy",
    "elastic:defense_evasion_eks_control_plane_logging_disabled",
    "sigma:aws_eks_cluster_created_or_deleted",
]);

/// A Lambda call, whatever version suffix CloudTrail gives its name
/// (`DeleteFunction20150331`): the bare name, and the name followed by the
/// suffix's first digit (so `DeleteFunction` never takes `DeleteFunctionUrlConfig`).
macro_rules! lambda {
    ($name:literal, $means:expr) => {
        [
            Call::named($name, $means),
            Call::prefixed(concat!($name, "2"), $means),
        ]
    };
}

const fn pair(calls: [Call; 2], judge: Judge) -> [Call; 2] {
    [calls[0].refine(judge), calls[1].refine(judge)]
}

const URL: Meaning = means(Changed, "the URL of Lambda function", Low).target(FUNCTION);
const LAMBDA_EXPOSED: &[Call] = &{
    let [a, b] = pair(lambda!("CreateFunctionUrlConfig", URL), FUNCTION_URL);
    let [c, d] = pair(lambda!("UpdateFunctionUrlConfig", URL), FUNCTION_URL);
    let [e, f] = lambda!(
        "CreateEventSourceMapping",
        means(Added, "a trigger to Lambda function", Low).target(FUNCTION)
    );
    let [g, h] = lambda!(
        "DeleteFunction",
        means(Deleted, "Lambda function", Low).target(FUNCTION)
    );
    [a, b, c, d, e, f, g, h]
};

/// `lambda-function-exposed-or-deleted`.
pub const LAMBDA_FUNCTION_EXPOSED_OR_DELETED: Monitor = calls(
    "lambda-function-exposed-or-deleted",
    "Lambda function URL opened, trigger added or function deleted",
    &[],
    Selector::calls(LAMBDA, LAMBDA_EXPOSED),
    &[],
    &["T1190", "T1546", "T1485"],
)
.answers(&[
    "elastic:persistence_lambda_function_url_public_access",
    "elastic:persistence_lambda_event_source_mapping_created",
    "elastic:impact_lambda_function_deleted",
    "sigma:aws_lambda_function_url",
]);

const LAMBDA_LIFECYCLE_CALLS: &[Call] = &{
    let [a, b] = lambda!(
        "CreateFunction",
        means(Created, "Lambda function", Low).target(FUNCTION)
    );
    let [c, d] = lambda!(
        "PublishVersion",
        means(Created, "version of Lambda function", Low).target(FUNCTION)
    );
    let [e, f] = lambda!(
        "PublishLayerVersion",
        means(Created, "version of Lambda layer", Low).target(&["layerName"])
    );
    let [g, h] = lambda!(
        "CreateAlias",
        means(Created, "alias of Lambda function", Low).target(FUNCTION)
    );
    let [i, j] = lambda!(
        "UpdateAlias",
        means(Changed, "alias of Lambda function", Low).target(FUNCTION)
    );
    let [k, l] = lambda!(
        "DeleteAlias",
        means(Deleted, "alias of Lambda function", Low).target(FUNCTION)
    );
    let [m, n] = lambda!(
        "UpdateEventSourceMapping",
        means(Changed, "a Lambda trigger", Low).target(&["uUID"])
    );
    let [o, p] = lambda!(
        "DeleteEventSourceMapping",
        means(Removed, "a Lambda trigger", Low).target(&["uUID"])
    );
    [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]
};

/// `lambda-function-lifecycle` (pack `activity`).
pub const LAMBDA_FUNCTION_LIFECYCLE: Monitor = calls(
    "lambda-function-lifecycle",
    "Lambda functions, versions, layers, aliases and triggers created or changed",
    &[Activity],
    Selector::calls(LAMBDA, LAMBDA_LIFECYCLE_CALLS),
    &[],
    &["T1648"],
)
.answers(&[
    "panther:aws_lambda_crud",
    "elastic:execution_lambda_external_layer_added_to_function",
]);

/// `ecs-tasks` (pack `activity`).
pub const ECS_TASKS: Monitor = calls(
    "ecs-tasks",
    "ECS task definitions registered and tasks run",
    &[Activity],
    Selector::calls(
        "ecs.amazonaws.com",
        &[
            Call::named(
                "RegisterTaskDefinition",
                means(Created, "ECS task definition", Low).target(&["family"]),
            )
            .refine(TASK_CREDENTIALS),
            Call::named(
                "RunTask",
                means(Started, "ECS task", Low).target(&["taskDefinition"]),
            ),
        ],
    ),
    &[],
    &["T1610"],
)
.answers(&["sigma:aws_ecs_task_definition_cred_endpoint_query"]);

/// `glue-dev-endpoint`.
pub const GLUE_DEV_ENDPOINT: Monitor = calls(
    "glue-dev-endpoint",
    "Glue development endpoint created or given an SSH key",
    &[],
    Selector::calls(
        "glue.amazonaws.com",
        &[
            Call::named(
                "CreateDevEndpoint",
                means(Created, "Glue development endpoint", Medium)
                    .target(&["endpointName"])
                    .why("code run on the endpoint acts as the role it was given: a way to use a role the caller could not assume")
                    .check(CHECK_CALLER),
            ),
            Call::named("UpdateDevEndpoint", means(Changed, "Glue development endpoint", Low).target(&["endpointName"]))
                .refine(DEV_ENDPOINT_KEYS),
            Call::named("DeleteDevEndpoint", means(Deleted, "Glue development endpoint", Low).target(&["endpointName"])),
        ],
    ),
    &[],
    &["T1098", "T1548"],
)
.answers(&["sigma:aws_passed_role_to_glue_development_endpoint"]);

/// `codebuild-project-public`.
pub const CODEBUILD_PROJECT_PUBLIC: Monitor = calls(
    "codebuild-project-public",
    "CodeBuild project made public",
    &[],
    Selector::calls(
        "codebuild.amazonaws.com",
        &[Call::named(
            "UpdateProjectVisibility",
            means(Changed, "the visibility of CodeBuild project", Low).target(&["projectArn"]),
        )
        .refine(PROJECT_VISIBILITY)],
    ),
    &[],
    &["T1552.001"],
)
.answers(&["panther:aws_codebuild_made_public"]);

/// `cloudshell-environment-created`.
pub const CLOUDSHELL_ENVIRONMENT_CREATED: Monitor = calls(
    "cloudshell-environment-created",
    "CloudShell environment created",
    &[],
    Selector::calls(
        "cloudshell.amazonaws.com",
        &[Call::named(
            "CreateEnvironment",
            means(Created, "CloudShell environment", Low)
                .why("a browser shell acting with the caller's console credentials: hands-on activity follows"),
        )],
    ),
    &[],
    &["T1059.009"],
)
.answers(&["elastic:execution_cloudshell_environment_created"]);

/// `ses-identity-deleted`.
pub const SES_IDENTITY_DELETED: Monitor = calls(
    "ses-identity-deleted",
    "SES sending identity deleted",
    &[],
    Selector::calls(
        "ses.amazonaws.com",
        &[
            Call::named(
                "DeleteIdentity",
                means(Deleted, "SES identity", Low).target(&["identity"]),
            ),
            Call::named(
                "DeleteEmailIdentity",
                means(Deleted, "SES identity", Low).target(&["emailIdentity"]),
            ),
        ],
    ),
    &[],
    &["T1070", "T1485"],
)
.answers(&["sigma:aws_delete_identity"]);

/// [`eks_principal`] and what it decides.
pub const EKS_PRINCIPAL: Judge = Judge {
    assess: eks_principal,
    decides: "",
};

/// CreateAccessEntry: names the principal and its Kubernetes groups.
pub fn eks_principal(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if let Some(principal) = request["principalArn"].as_str() {
        finding.note(format!("principal: {principal}"));
    }
    let groups: Vec<&str> = request["kubernetesGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if groups.contains(&"system:masters") {
        finding.raise(
            High,
            "the principal joins Kubernetes group system:masters: full control of the cluster"
                .to_owned(),
        );
    }
    Ok(())
}

/// [`eks_access_policy`] and what it decides.
pub const EKS_ACCESS_POLICY: Judge = Judge {
    assess: eks_access_policy,
    decides: "HIGH for the cluster-wide admin policies (AmazonEKSClusterAdminPolicy, or AmazonEKSAdminPolicy on the whole cluster)",
};

/// AssociateAccessPolicy: which Kubernetes permissions a principal gets.
pub fn eks_access_policy(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let principal = request["principalArn"].as_str().unwrap_or("(not recorded)");
    let policy = request["policyArn"].as_str().unwrap_or_default();
    let name = policy.rsplit('/').next().unwrap_or(policy);
    let whole_cluster = request["accessScope"]["type"]
        .as_str()
        .is_none_or(|t| t.eq_ignore_ascii_case("cluster"));
    let admin =
        name == "AmazonEKSClusterAdminPolicy" || (name == "AmazonEKSAdminPolicy" && whole_cluster);
    if admin {
        let cluster = request["name"].as_str().unwrap_or("(not recorded)");
        finding.describe(
            GrantedAdmin,
            &format!("{principal} in EKS cluster {cluster}"),
        );
        finding.raise(
            High,
            format!(
                "{name} gives {principal} administrator rights over the cluster's Kubernetes API"
            ),
        );
    } else {
        finding.raise(Medium, format!("{principal} gets {name} in the cluster"));
    }
    Ok(())
}

/// [`eks_cluster_config`] and what it decides.
pub const EKS_CLUSTER_CONFIG: Judge = Judge {
    assess: eks_cluster_config,
    decides: "HIGH when control-plane log types are turned off; MEDIUM when the API endpoint is opened to 0.0.0.0/0; other changes are dismissed",
};

/// UpdateClusterConfig: audit logs turned off, or the API endpoint opened.
pub fn eks_cluster_config(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let cluster = finding.object.clone();
    let disabled: Vec<&str> = request["logging"]["clusterLogging"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|setting| setting["enabled"] == Value::Bool(false))
        .flat_map(|setting| setting["types"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    if !disabled.is_empty() {
        finding.describe(TurnedOff, &format!("control-plane logging of {cluster}"));
        finding.raise(
            High,
            format!(
                "{} logs of the Kubernetes control plane are no longer written",
                disabled.join(", ")
            ),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    let vpc = &request["resourcesVpcConfig"];
    let open = vpc["publicAccessCidrs"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c.as_str() == Some("0.0.0.0/0"));
    if vpc["endpointPublicAccess"] == Value::Bool(true) && open {
        finding.raise(
            Medium,
            "the cluster's API endpoint accepts connections from the whole internet (0.0.0.0/0)"
                .to_owned(),
        );
    }
    if finding.reasons.is_empty() {
        finding.dismiss(
            "the change turns off no control-plane log and opens no endpoint to the internet",
        );
    }
    Ok(())
}

/// [`function_url`] and what it decides.
pub const FUNCTION_URL: Judge = Judge {
    assess: function_url,
    decides: "HIGH when the URL needs no authentication (`authType: NONE`)",
};

/// Create/UpdateFunctionUrlConfig: a URL without authentication is public.
pub fn function_url(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    match request["authType"].as_str() {
        Some(auth) if auth.eq_ignore_ascii_case("NONE") => {
            let function = request["functionName"].as_str().unwrap_or("(not recorded)");
            finding.describe(Opened, &format!("the URL of Lambda function {function}"));
            finding.raise(
                High,
                "anyone on the internet can invoke the function through its URL (authType NONE)"
                    .to_owned(),
            );
            finding.step(CHECK_CALLER.to_owned());
        }
        Some(auth) => finding.note(format!("callers of the URL must authenticate ({auth})")),
        None => finding.note("the request does not change who may call the URL".to_owned()),
    }
    Ok(())
}

/// [`task_credentials`] and what it decides.
pub const TASK_CREDENTIALS: Judge = Judge {
    assess: task_credentials,
    decides: "MEDIUM when a container's command or environment reads the task credential endpoint",
};

/// RegisterTaskDefinition: containers that fetch the task role's credentials
/// themselves (169.254.170.2) are how those credentials are taken out.
pub fn task_credentials(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let reads_endpoint = request["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|container| {
            let text = format!(
                "{} {} {}",
                container["command"], container["entryPoint"], container["environment"]
            );
            text.contains("169.254.170.2") || text.contains("AWS_CONTAINER_CREDENTIALS")
        });
    if reads_endpoint {
        finding.raise(
            Medium,
            "a container's command reads the task credential endpoint: the task role's credentials can leave the task".to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}

/// [`dev_endpoint_keys`] and what it decides.
pub const DEV_ENDPOINT_KEYS: Judge = Judge {
    assess: dev_endpoint_keys,
    decides: "HIGH when SSH public keys are added",
};

/// UpdateDevEndpoint: an added SSH key lets its holder run code as the endpoint's role.
pub fn dev_endpoint_keys(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let added = request["addPublicKeys"]
        .as_array()
        .is_some_and(|k| !k.is_empty())
        || request["publicKey"].as_str().is_some_and(|k| !k.is_empty());
    if added {
        finding.raise(
            High,
            "an SSH key was added: whoever holds its private key runs code as the endpoint's role"
                .to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}

/// [`project_visibility`] and what it decides.
pub const PROJECT_VISIBILITY: Judge = Judge {
    assess: project_visibility,
    decides: "HIGH when the project becomes PUBLIC_READ; making it private is dismissed",
};

/// UpdateProjectVisibility: a public project shows its builds' logs and artifacts to everyone.
pub fn project_visibility(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request["projectVisibility"]
        .as_str()
        .is_some_and(|v| v.eq_ignore_ascii_case("PUBLIC_READ"))
    {
        let project = request["projectArn"].as_str().unwrap_or("(not recorded)");
        finding.describe(MadePublic, &format!("CodeBuild project {project}"));
        finding.raise(
            High,
            "anyone can read the project's build logs and artifacts, where secrets often leak"
                .to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    } else {
        finding.dismiss("the project is not made public");
    }
    Ok(())
}
