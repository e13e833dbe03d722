//! The console's form and the stack's exports: parameter groups, string
//! parameters, exported outputs.

use crate::intrinsic::Value;
use crate::stack::{Export, Output, Parameter, Stack};

/// The console form's groups, in the order the form shows them.
pub(crate) const ALERTS_GROUP: &str = "Alerts";
pub(crate) const HANDLER_GROUP: &str = "Handler";
pub(crate) const FORWARDING_GROUP: &str = "Other regions and accounts";

/// A string parameter in the Alerts group of the console form.
pub(crate) fn parameter(description: &str, label: &str, default: Option<&str>) -> Parameter {
    Parameter {
        kind: "String",
        description: description.into(),
        default: default.map(str::to_owned),
        allowed_pattern: None,
        constraint_description: None,
        label: label.into(),
        group: ALERTS_GROUP.into(),
    }
}

/// An output exported as `<stack>-<id>`.
pub(crate) fn output(stack: &mut Stack, id: &str, description: &str, value: Value) {
    stack.add_output(
        id,
        Output {
            description: description.into(),
            value,
            export: Some(Export {
                name: Value::sub(format!("${{AWS::StackName}}-{id}")),
            }),
        },
    );
}
