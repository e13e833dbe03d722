//! The whole pipeline from raw bytes to the Publish request, under mutation:
//! what the Lambda runtime would hand over (bytes that parse as JSON) is
//! judged, rendered and "published"; every request must be one SNS accepts.
//!
//! A short run is part of the tests; `cargo xtask fuzz --seconds N` runs it for
//! N seconds (TRAILWATCH_FUZZ_SECONDS) and reports executions and findings.
//! Seeded with every sample and with hostile strings (control characters,
//! quotes, backslashes, multibyte text, up to hundreds of KB).

use crate::common;

use std::cell::Cell;
use std::time::{Duration, Instant};

use common::{Recording, TODAY, all_samples, pointers};
use handler::{Context, Detection, Selection, handle};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use serde_json::value::RawValue;

/// Seconds of fuzzing when TRAILWATCH_FUZZ_SECONDS is not set.
const DEFAULT_SECONDS: u64 = 3;
/// Strings an attacker would put in a CloudTrail field.
fn hostile_text() -> impl Strategy<Value = String> {
    let unit = prop::sample::select(vec![
        "\u{0}",
        "\u{1b}]0;x\u{7}",
        "\u{1b}[2J",
        "\u{7f}",
        "\u{9b}",
        "\"",
        "\\",
        "\\u0000",
        "é",
        "日本",
        "🦀",
        "\u{202e}",
        "\r\n",
        "</script>",
        "%s%n",
        "${jndi:x}",
        "*",
        "0.0.0.0/0",
    ]);
    prop_oneof![
        3 => (unit.clone(), 1usize..64).prop_map(|(u, n)| u.repeat(n)),
        1 => (unit, 1_000usize..60_000).prop_map(|(u, n)| u.repeat(n)),
        2 => ".{0,40}",
    ]
}

/// A hostile value: a string, or a shape the parser does not expect.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => hostile_text().prop_map(Value::String),
        1 => Just(Value::Null),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
        1 => prop::collection::vec(hostile_text().prop_map(Value::String), 0..4).prop_map(Value::Array),
        1 => Just(serde_json::json!({})),
    ]
}

/// One input: a sample with up to four fields replaced by hostile values, as
/// text, then up to four byte edits (most of which leave JSON the runtime rejects).
fn input() -> impl Strategy<Value = Vec<u8>> {
    let edits = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..4);
    (
        prop::sample::select(all_samples()),
        prop::collection::vec((any::<prop::sample::Index>(), hostile_value()), 0..4),
        prop_oneof![3 => Just(Vec::new()), 1 => edits],
    )
        .prop_map(|((_, mut event), replacements, edits)| {
            let mut all = Vec::new();
            pointers(&event, String::new(), &mut all);
            for (pick, value) in replacements {
                if let Some(slot) = event.pointer_mut(pick.get(&all).as_str()) {
                    *slot = value;
                }
            }
            let mut bytes = event.to_string().into_bytes();
            for (at, byte, kind) in edits {
                let i = at.index(bytes.len().max(1));
                match kind {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i.min(bytes.len()), byte),
                    _ if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => {}
                }
            }
            bytes
        })
}

#[test]
fn no_input_loses_an_alert_or_yields_a_request_sns_refuses() {
    let seconds = std::env::var("TRAILWATCH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SECONDS);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let detection = Detection::from(Selection::every());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (executions, rejected, published) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0u64));
    let count = |counter: &Cell<u64>| counter.set(counter.get() + 1);
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    while Instant::now() < deadline {
        // A runner counts its successes: each round takes a fresh one (and seed).
        TestRunner::new(config.clone())
            .run(&input(), |bytes| {
                count(&executions);
                // What the Lambda runtime does first: not JSON, not delivered.
                let Ok(raw) = serde_json::from_slice::<Box<RawValue>>(&bytes) else {
                    count(&rejected);
                    return Ok(());
                };
                let publisher = Recording::default();
                let context = Context::default();
                let handled =
                    runtime.block_on(handle(&publisher, &detection, &context, &raw, TODAY));
                prop_assert!(handled.is_ok(), "the recording publisher never fails");
                let messages = publisher.0.lock().expect("lock");
                // A call on someone else's resource the tamper monitor alone
                // selects is dismissed, with the reason; every other event alerts.
                if handled.is_ok_and(|h| h.dismissed.is_some()) {
                    prop_assert_eq!(messages.len(), 0, "a dismissed event publishes nothing");
                    return Ok(());
                }
                prop_assert_eq!(messages.len(), 1, "exactly one alert per delivered event");
                count(&published);
                match common::refusal(&messages[0]) {
                    Some(why) => Err(TestCaseError::fail(why)),
                    None => Ok(()),
                }
            })
            .unwrap_or_else(|failure| {
                panic!("finding after {} executions: {failure}", executions.get())
            });
    }
    eprintln!(
        "fuzz: {} executions in {seconds} s ({} published, {} not JSON, refused by the runtime), 0 findings",
        executions.get(),
        published.get(),
        rejected.get()
    );
}
