//! Judgements of single calls to CloudTrail, Lambda, GuardDuty and S3, and of
//! denied calls to any service.

use serde::Deserialize;
use serde_json::Value;

use super::policy::{self, Grantee};
use super::{Finding, Judge, ReadError, Verb, own_account, request};
use crate::event::Event;
use crate::severity::Severity;

/// [`unauthorized`] and what it decides.
pub const UNAUTHORIZED: Judge = Judge {
    assess: unauthorized,
    decides: "LOW: the denial is the finding",
};

/// A denied call: the denial is the finding (LOW; CIS CloudWatch.2).
pub fn unauthorized(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let call = event.call_name();
    let code = event.record.error_code.as_deref().unwrap_or_default();
    finding.describe(Verb::WasDenied, &call);
    finding.settle(
        Severity::Low,
        format!("the caller lacked permission for {call} ({code}): bursts of denials point to stolen credentials probing what they may do"),
    );
    finding.step("Look for other denied calls by the same principal in the last hour".to_owned());
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Selectors {
    event_selectors: Option<Vec<EventSelector>>,
    advanced_event_selectors: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct EventSelector {
    read_write_type: Option<String>,
    include_management_events: Option<bool>,
    exclude_management_event_sources: Vec<String>,
}

/// [`event_selectors`] and what it decides.
pub const EVENT_SELECTORS: Judge = Judge {
    assess: event_selectors,
    decides: "HIGH when management events are dropped or narrowed",
};

/// PutEventSelectors: HIGH when management events are dropped or narrowed.
pub fn event_selectors(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Selectors = request(event)?;
    let object = finding.object.clone();
    if request.advanced_event_selectors.is_some() {
        finding.raise(
            Severity::Medium,
            "advanced event selectors replace the trail's selection: check they still select every management event".to_owned(),
        );
        return Ok(());
    }
    let selectors = request.event_selectors.unwrap_or_default();
    let management: Vec<&EventSelector> = selectors
        .iter()
        .filter(|s| s.include_management_events != Some(false))
        .collect();
    if management.is_empty() {
        finding.describe(Verb::Weakened, &object);
        finding.raise(
            Severity::High,
            "no selector includes management events: API activity is no longer recorded by this trail".to_owned(),
        );
        return Ok(());
    }
    for selector in management {
        let kind = selector.read_write_type.as_deref().unwrap_or("All");
        if kind != "All" {
            finding.describe(Verb::Weakened, &object);
            finding.raise(
                Severity::High,
                format!("management events are recorded only when {kind}: the other half of API activity is not"),
            );
        }
        if !selector.exclude_management_event_sources.is_empty() {
            finding.describe(Verb::Weakened, &object);
            finding.raise(
                Severity::High,
                format!(
                    "management events of {} are excluded",
                    selector.exclude_management_event_sources.join(", ")
                ),
            );
        }
    }
    Ok(())
}

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
    decides: "CRITICAL for `*` without a source or organization condition, HIGH for another account",
};

/// Lambda AddPermission: `*` without a source or organization condition is
/// CRITICAL, another account HIGH.
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
    let restricted = request.source_arn.is_some()
        || request.source_account.is_some()
        || request.principal_org_id.is_some();
    let object = format!("Lambda function {function}");
    // Lambda takes an account id, an ARN, a service or `*` in one field.
    let grantee = policy::grantee("AWS", &principal);
    if grantee == Grantee::Everyone && !restricted {
        finding.describe(Verb::MadePublic, &object);
        finding.raise(
            Severity::Critical,
            format!("{action} is allowed to every AWS principal, with no source or organization condition"),
        );
    } else if let Grantee::Account(account) = &grantee
        && Some(account.as_str()) != own_account(event)
    {
        finding.describe(Verb::Shared, &object);
        finding.raise(
            Severity::High,
            format!("{action} is allowed to another account ({account})"),
        );
    } else {
        finding.note(format!("{action} is allowed to {principal}"));
        return Ok(());
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

/// [`guardduty_detector`] and what it decides.
pub const GUARDDUTY_DETECTOR: Judge = Judge {
    assess: guardduty_detector,
    decides: "HIGH when the detector is suspended",
};

/// GuardDuty UpdateDetector with `enable: false` turns detection off (HIGH).
pub fn guardduty_detector(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request.get("enable") == Some(&Value::Bool(false)) {
        let object = finding.object.clone();
        finding.describe(Verb::TurnedOff, &object);
        finding.raise(
            Severity::High,
            "the detector is suspended: GuardDuty stops analysing this region".to_owned(),
        );
    }
    Ok(())
}

/// [`bucket_logging`] and what it decides.
pub const BUCKET_LOGGING: Judge = Judge {
    assess: bucket_logging,
    decides: "MEDIUM when access logging is turned off",
};

/// PutBucketLogging without `LoggingEnabled` turns access logging off (MEDIUM).
pub fn bucket_logging(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let enabled = request
        .pointer("/BucketLoggingStatus/LoggingEnabled")
        .is_some_and(|v| !v.is_null());
    if !enabled {
        let object = finding.object.clone();
        finding.describe(Verb::TurnedOff, &object);
        finding.raise(
            Severity::Medium,
            "server access logging is off: requests to the bucket are no longer logged".to_owned(),
        );
    }
    Ok(())
}

/// [`bucket_versioning`] and what it decides.
pub const BUCKET_VERSIONING: Judge = Judge {
    assess: bucket_versioning,
    decides: "MEDIUM when versioning is suspended",
};

/// PutBucketVersioning `Suspended`: overwritten and deleted objects can no longer be recovered (MEDIUM).
pub fn bucket_versioning(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request.pointer("/VersioningConfiguration/Status") == Some(&Value::from("Suspended")) {
        let object = finding.object.clone();
        finding.describe(Verb::TurnedOff, &object);
        finding.raise(
            Severity::Medium,
            "versioning is suspended: objects overwritten or deleted from now on cannot be recovered".to_owned(),
        );
    }
    Ok(())
}
