//! No input panics the pipeline, and every output is a valid SNS message.
//! `PROPTEST_CASES=100000 cargo test -p handler --test robustness` runs longer.

use crate::common;

use common::all_samples;
use common::judge;
use common::pointers;
use handler::render::render;
use proptest::prelude::*;
use serde_json::Value;

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec![
            "*",
            "0.0.0.0/0",
            "::/0",
            "-1",
            "22",
            "Root",
            "Allow",
            "true",
            "iam.amazonaws.com",
            "CreateUser"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn assert_valid_message(raw: &Value) -> Result<(), TestCaseError> {
    match common::refusal(&render(judge(&common::raw(raw)))) {
        Some(why) => Err(TestCaseError::fail(why)),
        None => Ok(()),
    }
}

proptest! {
    #[test]
    fn arbitrary_json_yields_a_valid_message(raw in arbitrary_json()) {
        assert_valid_message(&raw)?;
    }

    #[test]
    fn arbitrary_detail_in_an_envelope_yields_a_valid_message(detail in arbitrary_json()) {
        let raw = serde_json::json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": detail});
        assert_valid_message(&raw)?;
    }

    #[test]
    fn mutated_samples_yield_a_valid_message(
        sample in prop::sample::select(all_samples()),
        choice in any::<prop::sample::Index>(),
        replacement in arbitrary_json(),
    ) {
        let (_, mut raw) = sample;
        let mut all = Vec::new();
        pointers(&raw, String::new(), &mut all);
        let pointer = choice.get(&all).clone();
        match raw.pointer_mut(&pointer) {
            Some(slot) => *slot = replacement,
            None => raw = replacement,
        }
        assert_valid_message(&raw)?;
    }
}
