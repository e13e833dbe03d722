//! `cargo xtask schema`: the JSON Schema of the alert document (what SQS,
//! Lambda, HTTP/S and Firehose subscribers and the alert bus receive),
//! generated from the handler's Rust types.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::workspace;

/// Where the schema is published.
pub const PAGE: &str = "docs/alert.schema.json";

/// Prints the schema, or rewrites [`PAGE`] with `update_docs`.
pub fn run(update_docs: bool) -> Result<()> {
    let text = text();
    if update_docs {
        let path = workspace::root().join(PAGE);
        std::fs::write(&path, &text).with_context(|| format!("writing {PAGE}"))?;
        eprintln!("schema: {PAGE} updated");
    } else {
        print!("{text}");
    }
    Ok(())
}

/// The schema of `trailwatch.alert` at its current version.
pub fn schema() -> Value {
    let mut schema = schemars::schema_for!(handler::alert::Alert<'static>).to_value();
    let id = format!(
        "urn:{}:v{}",
        handler::alert::SCHEMA.replace('.', ":"),
        handler::alert::SCHEMA_VERSION
    );
    if let Some(object) = schema.as_object_mut() {
        object.insert("$id".into(), id.into());
        object.insert(
            "description".into(),
            format!(
                "The alert document `{}` version {}: one alert of trailwatch, as SQS, Lambda, HTTP/S and Firehose subscribers and the alert bus (detail of `trailwatch Alert` events) receive it.",
                handler::alert::SCHEMA,
                handler::alert::SCHEMA_VERSION
            )
            .into(),
        );
    }
    schema
}

/// The schema as the page holds it.
pub fn text() -> String {
    // A JSON value always serialises.
    serde_json::to_string_pretty(&schema()).unwrap_or_default() + "\n"
}
