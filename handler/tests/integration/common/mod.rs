//! Shared test helpers: loading the samples.

use handler::alert::Alert;
use handler::own::Own;
use handler::{Detection, Selection};
use serde_json::Value;
use serde_json::value::RawValue;

/// One sample by name (see [`samples::path`]), parsed.
pub fn sample(name: &str) -> Value {
    samples::load(name)
}

/// Every judged sample as (name, parsed JSON), sorted by name.
pub fn all_samples() -> Vec<(String, Value)> {
    samples::all()
        .into_iter()
        .map(|sample| {
            let json = sample.json();
            (sample.name, json)
        })
        .collect()
}

/// The compact JSON text of `value`, as the Lambda runtime hands it to the handler.
pub fn raw(value: &Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("any JSON value serialises")
}

/// A day within every expiry the tests use.
pub const TODAY: time::Date = time::macros::date!(2026 - 11 - 30);

/// The stack the samples' trailwatch resources belong to (the default name).
pub const STACK: &str = "trailwatch";

/// Every monitor enabled, no suppressions, deployed as the stack [`STACK`].
pub fn every_monitor() -> Detection {
    Detection {
        own: Own::new(STACK),
        ..Detection::from(Selection::every())
    }
}

/// Judges an event with [`every_monitor`].
pub fn judge(raw: &RawValue) -> Alert<'_> {
    handler::pipeline::verdict(raw, &every_monitor(), TODAY)
        .alert()
        .expect("an alert, not a canary")
}

/// What the handler does with `event` under [`every_monitor`], and how many
/// messages it published.
pub async fn handled(event: &Value) -> (handler::Handled, usize) {
    let publisher = Recording::default();
    let raw = raw(event);
    let handled = handler::handle(
        &publisher,
        &every_monitor(),
        &handler::Context::default(),
        &raw,
        TODAY,
    )
    .await
    .expect("the recording publisher never fails");
    let published = publisher.0.lock().expect("lock").len();
    (handled, published)
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

/// The protocols every message carries.
pub const PROTOCOLS: [&str; 8] = [
    "default", "email", "sms", "sqs", "lambda", "http", "https", "firehose",
];

/// Why SNS, or a strict subscriber, would refuse the Publish request, if it would:
/// its size, the subject's length and characters, the bodies of every protocol as
/// JSON, the document a strict parser reads, and a text free of control characters
/// but line breaks.
pub fn refusal(message: &handler::render::Message) -> Option<String> {
    use handler::render::{MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS};
    if message.size() > MAX_MESSAGE_BYTES {
        return Some(format!("a request of {} bytes", message.size()));
    }
    if message.subject.len() > MAX_SUBJECT_CHARS
        || !message
            .subject
            .chars()
            .all(|c| c == ' ' || c.is_ascii_graphic())
    {
        return Some(format!("the subject {:?}", message.subject));
    }
    let bodies: Value = match serde_json::from_str(&message.body) {
        Ok(bodies) => bodies,
        Err(error) => return Some(format!("the message is not JSON: {error}")),
    };
    if let Some(missing) = PROTOCOLS.iter().find(|p| !bodies[**p].is_string()) {
        return Some(format!("no {missing} body"));
    }
    let text = bodies["email"].as_str().unwrap_or_default();
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Some("a control character in the text body".to_owned());
    }
    let document = bodies["sqs"].as_str().unwrap_or_default();
    serde_json::from_str::<Value>(document)
        .err()
        .map(|error| format!("the document is not readable: {error}"))
}
