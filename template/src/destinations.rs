//! Destinations besides the alert topic: Security Hub findings through the
//! account's default product, an EventBridge bus, and the OCSF body variant.
//! Each adds the handler's environment and exactly the grant its call needs.

use std::collections::BTreeMap;

use contract::env;
use serde_json::json;

use crate::constructs::Function;
use crate::intrinsic::Value;
use crate::resources::iam::Statement;
use crate::stack::Stack;

/// The `source` and `detail-type` of alert events (the handler's `bus` module
/// puts them, the grant allows only them).
pub const ALERT_SOURCE: &str = "trailwatch";
pub const ALERT_DETAIL_TYPE: &str = "trailwatch Alert";
/// Longest event bus name EventBridge accepts.
const MAX_BUS_NAME: usize = 256;

/// The destinations configured; `Default` sends to none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestinationsProps {
    /// Security Hub findings, imported in the event's region when the
    /// deployment forwards it, else at home.
    pub security_hub: Option<HubRegions>,
    /// The bus alerts are put on: `default`, a name, or an ARN.
    pub bus: Option<String>,
    /// SNS's machine bodies as OCSF Detection Findings.
    pub ocsf: bool,
}

/// The regions besides home where Security Hub findings are imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubRegions {
    /// These (the forwarded regions, when all are known at synth).
    Listed(Vec<String>),
    /// Every region events come from (forwarders in every enabled region).
    Any,
}

impl DestinationsProps {
    /// What is wrong with the props, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        match &self.bus {
            Some(bus) if !is_bus(bus) => vec![format!(
                "eventbridge.bus: {bus:?} is not an event bus name (letters, digits, . - _ /, at most {MAX_BUS_NAME}) or ARN (arn:<partition>:events:<region>:<account>:event-bus/<name>)"
            )],
            _ => Vec::new(),
        }
    }

    /// The handler's variables for the destinations.
    pub fn environment(&self) -> BTreeMap<String, Value> {
        let mut variables = BTreeMap::new();
        if let Some(regions) = &self.security_hub {
            variables.insert(
                env::SECURITY_HUB_PRODUCT.to_owned(),
                product("${AWS::Region}"),
            );
            let regions = match regions {
                HubRegions::Listed(regions) => regions.join(","),
                HubRegions::Any => env::ANY_REGION.to_owned(),
            };
            variables.insert(env::SECURITY_HUB_REGIONS.to_owned(), regions.into());
        }
        if let Some(bus) = &self.bus {
            variables.insert(env::ALERT_BUS.to_owned(), bus.as_str().into());
        }
        if self.ocsf {
            variables.insert(env::ALERT_FORMAT.to_owned(), env::OCSF_FORMAT.into());
        }
        variables
    }

    /// Grants the handler each configured destination's one call.
    pub fn grant(&self, stack: &mut Stack, function: &Function) {
        let mut statements = Vec::new();
        // Security Hub's BatchImportFindings acts on the product resource
        // (Service Authorization Reference, "Actions, resources, and
        // condition keys for AWS Security Hub": product,
        // arn:${Partition}:securityhub:${Region}:${Account}:product/${Company}/${ProductId});
        // the account's own default product is product/<account>/default
        // (Security Hub API reference, BatchImportFindings): in the home
        // region and each forwarded one, or in any region when forwarders
        // cover every region.
        if let Some(regions) = &self.security_hub {
            let products = match regions {
                HubRegions::Listed(regions) => std::iter::once("${AWS::Region}")
                    .chain(regions.iter().map(String::as_str))
                    .map(product)
                    .collect(),
                HubRegions::Any => vec![product("*")],
            };
            statements.push(Statement::allow(
                &["securityhub:BatchImportFindings"],
                products,
            ));
        }
        // PutEvents acts on the event-bus resource and takes the
        // events:source and events:detail-type condition keys (Service
        // Authorization Reference, "Actions, resources, and condition keys for
        // Amazon EventBridge"; EventBridge user guide, "Using IAM policy
        // conditions in Amazon EventBridge"): only trailwatch's alerts.
        if let Some(bus) = &self.bus {
            statements.push(
                Statement::allow(&["events:PutEvents"], vec![bus_arn(bus)]).condition(json!({
                    "StringEquals": {
                        "events:source": ALERT_SOURCE,
                        "events:detail-type": ALERT_DETAIL_TYPE,
                    }
                })),
            );
        }
        if !statements.is_empty() {
            let grant = function.role.attach(stack, "SendFindings", statements);
            stack.add_dependency(&function.id, &grant);
        }
    }
}

/// The account's default product ARN in `region`.
fn product(region: &str) -> Value {
    Value::sub(format!(
        "arn:${{AWS::Partition}}:securityhub:{region}:${{AWS::AccountId}}:product/${{AWS::AccountId}}/default"
    ))
}

/// The bus's ARN: as given, or the account's bus of that name in this region.
fn bus_arn(bus: &str) -> Value {
    if bus.starts_with("arn:") {
        return bus.into();
    }
    Value::sub(format!(
        "arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:event-bus/{bus}"
    ))
}

/// A bus name as EventBridge accepts one, or an event bus ARN.
fn is_bus(bus: &str) -> bool {
    let name = |name: &str| {
        !name.is_empty()
            && name.len() <= MAX_BUS_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
    };
    match bus.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            matches!(parts.as_slice(), [partition, "events", region, account, resource]
                if !partition.is_empty() && !region.is_empty()
                    && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
                    && resource.strip_prefix("event-bus/").is_some_and(name))
        }
        None => name(bus),
    }
}
