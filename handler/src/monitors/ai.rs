//! Generative AI and machine learning: Bedrock guardrails weakened, model
//! access enabled (the first steps of LLMjacking), models imported; SageMaker
//! notebooks given scripts that run as their role; and (opt-in) SageMaker
//! jobs that pass a role.

use serde_json::Value;

use super::Pack::Activity;
use super::{CHECK_CALLER, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError};
use crate::selector::{Call, Selector};
use contract::Severity::{High, Low, Medium};

const BEDROCK: &str = "bedrock.amazonaws.com";
const SAGEMAKER: &str = "sagemaker.amazonaws.com";
const GUARDRAIL: &[&str] = &["guardrailIdentifier"];
const POLICY: &[&str] = &["policyArn"];
const CHECK_MODEL_USE: &str = "Confirm the model access was requested by its owner; stolen credentials are used to run models at the account's expense (LLMjacking)";

/// `bedrock-guardrail-weakened`.
pub const BEDROCK_GUARDRAIL_WEAKENED: Monitor = calls(
    "bedrock-guardrail-weakened",
    "Bedrock guardrail or safety policy deleted or changed",
    &[],
    Selector::calls(
        BEDROCK,
        &[
            Call::named(
                "DeleteGuardrail",
                means(Deleted, "Bedrock guardrail", High)
                    .target(GUARDRAIL)
                    .why("prompts and responses of the applications using it are no longer filtered")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UpdateGuardrail",
                means(Changed, "Bedrock guardrail", Medium)
                    .target(GUARDRAIL)
                    .why("an update replaces the guardrail's policies: filters may have been relaxed or removed")
                    .check("Compare the guardrail's new version with the previous one"),
            ),
            Call::named(
                "DeleteEnforcedGuardrailConfiguration",
                means(Deleted, "Bedrock account-enforced guardrail", High)
                    .why("model calls in the account are no longer forced through the guardrail")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "PutEnforcedGuardrailConfiguration",
                means(Changed, "Bedrock account-enforced guardrail", Medium)
                    .why("the guardrail every model call in the account must pass was replaced")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteAutomatedReasoningPolicy",
                means(Deleted, "Bedrock Automated Reasoning policy", Medium)
                    .target(POLICY)
                    .why("model answers are no longer checked against the policy's rules")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "UpdateAutomatedReasoningPolicy",
                means(Changed, "Bedrock Automated Reasoning policy", Low).target(POLICY),
            ),
            Call::named(
                "UpdateAutomatedReasoningPolicyAnnotations",
                means(Changed, "Bedrock Automated Reasoning policy annotations", Low).target(POLICY),
            ),
        ],
    ),
    &[],
    &["T1562.001"],
)
.answers(&[
    "elastic:defense_evasion_bedrock_guardrail_deleted_or_weakened",
    "elastic:defense_evasion_bedrock_automated_reasoning_safety_policy_tampering",
    "elastic:impact_bedrock_api_key_destructive_action",
    "panther:aws_bedrock_guardrail_update_delete",
    "sigma:aws_cloudtrail_bedrock_guardrail_deleted",
    "sigma:aws_cloudtrail_bedrock_guardrail_updated",
]);

/// `bedrock-model-access`.
pub const BEDROCK_MODEL_ACCESS: Monitor = calls(
    "bedrock-model-access",
    "Bedrock model access enabled, capacity bought or models imported or deleted",
    &[],
    Selector::calls(
        BEDROCK,
        &[
            Call::named(
                "PutUseCaseForModelAccess",
                means(Enabled, "Bedrock model access (use case submitted)", Medium)
                    .why("the first step to run models in an account that never used them: attackers do it to run models at the account's expense")
                    .check(CHECK_MODEL_USE),
            ),
            Call::named(
                "CreateFoundationModelAgreement",
                means(Created, "Bedrock model agreement", Medium)
                    .target(&["modelId"])
                    .why("a marketplace model's terms were accepted so it can be invoked, and billed")
                    .check(CHECK_MODEL_USE),
            ),
            Call::named(
                "PutFoundationModelEntitlement",
                means(Enabled, "Bedrock model entitlement", Medium)
                    .target(&["modelId"])
                    .why("the account was entitled to invoke the model, and to be billed for it")
                    .check(CHECK_MODEL_USE),
            ),
            Call::named(
                "CreateProvisionedModelThroughput",
                means(Created, "Bedrock provisioned throughput", Medium)
                    .target(&["provisionedModelName"])
                    .why("dedicated model capacity is billed by the hour whether used or not")
                    .check(CHECK_MODEL_USE),
            )
            .refine(COMMITMENT),
            Call::named(
                "UpdateProvisionedModelThroughput",
                means(Changed, "Bedrock provisioned throughput", Low).target(&["provisionedModelId"]),
            ),
            Call::named(
                "DeleteProvisionedModelThroughput",
                means(Deleted, "Bedrock provisioned throughput", Low).target(&["provisionedModelId"]),
            ),
            Call::named(
                "CreateModelImportJob",
                means(Started, "import of a model into Bedrock", Medium)
                    .target(&["importedModelName"])
                    .why("model weights from outside are served in the account: check where they come from")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "CreateCustomModelDeployment",
                means(Created, "Bedrock custom model deployment", Low).target(&["modelDeploymentName"]),
            ),
            Call::named(
                "CreateMarketplaceModelEndpoint",
                means(Created, "Bedrock marketplace model endpoint", Low).target(&["endpointName"]),
            ),
            Call::named(
                "RegisterMarketplaceModelEndpoint",
                means(Added, "a marketplace model endpoint to Bedrock", Low).target(&["endpointIdentifier"]),
            ),
            Call::named(
                "CreateAgent",
                means(Created, "Bedrock agent", Low).target(&["agentName"]),
            ),
            Call::named(
                "DeleteCustomModel",
                means(Deleted, "Bedrock custom model", Low).target(&["modelIdentifier"]),
            ),
            Call::named(
                "DeleteImportedModel",
                means(Deleted, "Bedrock imported model", Low).target(&["modelIdentifier"]),
            ),
            Call::named(
                "DeleteMarketplaceModelEndpoint",
                means(Deleted, "Bedrock marketplace model endpoint", Low).target(&["endpointArn"]),
            ),
            Call::named(
                "DeleteModelCustomizationJob",
                means(Deleted, "Bedrock model customization job", Low).target(&["jobIdentifier"]),
            ),
        ],
    ),
    &[],
    &["aws.impact.bedrock-invoke-model", "T1496"],
)
.answers(&[
    "elastic:persistence_bedrock_foundation_model_access_enabled_or_entitlement_granted",
    "elastic:impact_bedrock_provisioned_model_throughput_tampering",
    "elastic:persistence_bedrock_untrusted_model_imported_or_marketplace_endpoint_registered",
    "elastic:persistence_bedrock_agent_created",
    "elastic:impact_bedrock_api_key_destructive_action",
    "stratus:aws.impact.bedrock-invoke-model",
]);

/// `sagemaker-code-execution`.
pub const SAGEMAKER_CODE_EXECUTION: Monitor = calls(
    "sagemaker-code-execution",
    "SageMaker notebook lifecycle script set",
    &[],
    Selector::calls(
        SAGEMAKER,
        &[
            Call::named(
                "CreateNotebookInstanceLifecycleConfig",
                means(Created, "SageMaker notebook lifecycle script", Medium)
                    .target(&["notebookInstanceLifecycleConfigName"])
                    .why("the script runs as the notebook's IAM role each time a notebook using it starts")
                    .check("Read the script's onCreate and onStart content"),
            ),
            Call::named(
                "UpdateNotebookInstanceLifecycleConfig",
                means(Changed, "SageMaker notebook lifecycle script", High)
                    .target(&["notebookInstanceLifecycleConfigName"])
                    .why("the new script runs as the role of every notebook already using it, at its next start")
                    .check("Read the script's onCreate and onStart content"),
            ),
            Call::named(
                "UpdateNotebookInstance",
                means(Changed, "SageMaker notebook instance", Low).target(&["notebookInstanceName"]),
            )
            .refine(NOTEBOOK_UPDATE),
        ],
    ),
    &[],
    &["aws.execution.sagemaker-update-lifecycle-config", "T1059"],
)
.answers(&[
    "elastic:persistence_sagemaker_lifecycle_config_suspicious_script_content",
    "stratus:aws.execution.sagemaker-update-lifecycle-config",
]);

/// `sagemaker-jobs` (pack `activity`).
pub const SAGEMAKER_JOBS: Monitor = calls(
    "sagemaker-jobs",
    "SageMaker notebook, job or pipeline created with a role",
    &[Activity],
    Selector::calls(
        SAGEMAKER,
        &[
            Call::named(
                "CreateNotebookInstance",
                means(Created, "SageMaker notebook instance", Low)
                    .target(&["notebookInstanceName"]),
            ),
            Call::named(
                "CreateTrainingJob",
                means(Created, "SageMaker training job", Low).target(&["trainingJobName"]),
            ),
            Call::named(
                "CreateProcessingJob",
                means(Created, "SageMaker processing job", Low).target(&["processingJobName"]),
            ),
            Call::named(
                "CreateAutoMLJob",
                means(Created, "SageMaker AutoML job", Low).target(&["autoMLJobName"]),
            ),
            Call::named(
                "CreateAutoMLJobV2",
                means(Created, "SageMaker AutoML job", Low).target(&["autoMLJobName"]),
            ),
            Call::named(
                "CreatePipeline",
                means(Created, "SageMaker pipeline", Low).target(&["pipelineName"]),
            ),
        ],
    ),
    &[],
    &["T1648"],
)
.answers(&["elastic:privilege_escalation_sagemaker_execution_role_passed_by_unusual_principal"]);

/// [`commitment`] and what it decides.
pub const COMMITMENT: Judge = Judge {
    assess: commitment,
    decides: "HIGH with a commitment term (one or six months billed in full)",
};

/// CreateProvisionedModelThroughput: a commitment term is billed whatever happens next.
pub fn commitment(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if let Some(term) = request["commitmentDuration"].as_str() {
        finding.raise(
            High,
            format!("bought with a commitment ({term}): the whole term is billed even if the capacity is deleted"),
        );
    }
    Ok(())
}

/// [`notebook_update`] and what it decides.
pub const NOTEBOOK_UPDATE: Judge = Judge {
    assess: notebook_update,
    decides: "MEDIUM when a lifecycle script or another role is attached; other updates are dismissed",
};

/// UpdateNotebookInstance: a script or role attached to an existing notebook.
pub fn notebook_update(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if let Some(script) = request["lifecycleConfigName"].as_str() {
        finding.raise(
            Medium,
            format!("lifecycle script {script} attached: it runs as the notebook's role at its next start"),
        );
    }
    if let Some(role) = request["roleArn"].as_str() {
        finding.raise(Medium, format!("the notebook now runs as role {role}"));
    }
    if finding.reasons.is_empty() {
        finding.dismiss("the update attaches no lifecycle script and no role");
    } else {
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}
