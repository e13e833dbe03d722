//! Shared test helpers: loading the samples.

#![allow(dead_code)] // each test crate uses a different subset

use std::path::PathBuf;

use handler::alert::Alert;
use handler::{Detection, Selection};
use serde_json::Value;
use serde_json::value::RawValue;

/// The workspace's `samples/` directory.
pub fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples")
}

/// One sample by file stem, parsed.
pub fn sample(name: &str) -> Value {
    let path = samples_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every sample as (file stem, parsed JSON), sorted by name.
pub fn all_samples() -> Vec<(String, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(samples_dir())
        .expect("samples directory")
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names.into_iter().map(|n| (n.clone(), sample(&n))).collect()
}

/// The compact JSON text of `value`, as the Lambda runtime hands it to the handler.
pub fn raw(value: &Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("any JSON value serialises")
}

/// A day within every expiry the tests use.
pub const TODAY: time::Date = time::macros::date!(2026 - 11 - 30);

/// Judges an event with every monitor enabled and no suppressions.
pub fn judge(raw: &RawValue) -> Alert<'_> {
    handler::alert::judge(raw, &Detection::from(Selection::every()), TODAY).alert()
}

/// A publisher keeping every message; it has no digest queue.
#[derive(Default)]
pub struct Recording(pub std::sync::Mutex<Vec<handler::render::Message>>);

impl handler::Publisher for Recording {
    async fn publish(
        &self,
        message: &handler::render::Message,
    ) -> Result<(), handler::PublishError> {
        self.0.lock().expect("lock").push(message.clone());
        Ok(())
    }

    async fn defer(&self, _: &str) -> Result<(), handler::PublishError> {
        Err(handler::PublishError::Defer("no digest queue here".into()))
    }
}

/// Every JSON pointer to a value inside `value`.
pub fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| pointers(v, format!("{at}/{k}"), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| pointers(v, format!("{at}/{i}"), out)),
        _ => {}
    }
    out.push(at);
}
