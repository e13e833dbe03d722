//! The state store's semantics, the same on both backends: the store in
//! memory (`simulate`, the handler's tests) and DynamoDB (the handler), here
//! the emulator's. Every write is one conditional or atomic request.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use handler::state::{Attr, DynamoStore, ItemExt, MEMBERS, Member, MemoryStore, Store, Tally};
use xtask::local::emulator::Emulator;

const TABLE: &str = "trailwatch-state";

/// Both backends: memory, and a fresh table on a fresh emulator.
async fn stores() -> (Emulator, [Store; 2]) {
    let emulator = Emulator::start().expect("emulator starts");
    let client = aws_sdk_dynamodb::Client::new(&emulator.sdk_config().await);
    client
        .create_table()
        .table_name(TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(handler::state::KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(handler::state::KEY)
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect("the table is created");
    let dynamo = Store::DynamoDb(DynamoStore::new(client, TABLE.to_owned()));
    (emulator, [Store::Memory(MemoryStore::default()), dynamo])
}

fn members(values: &[&str], event_id: &str) -> Vec<Member> {
    values
        .iter()
        .map(|value| Member {
            value: (*value).to_owned(),
            event_id: event_id.to_owned(),
        })
        .collect()
}

fn set(values: &[&str]) -> Option<BTreeSet<String>> {
    Some(values.iter().map(|v| (*v).to_owned()).collect())
}

#[tokio::test]
async fn a_claim_is_taken_once_until_it_expires_or_is_released() {
    let (_emulator, stores) = stores().await;
    for store in &stores {
        let first = store.claim("d#e1", 100, 200).await.expect("claim");
        let again = store.claim("d#e1", 150, 250).await.expect("claim");
        let expired = store.claim("d#e1", 201, 300).await.expect("claim");
        store.release("d#e1").await.expect("release");
        let released = store.claim("d#e1", 202, 300).await.expect("claim");
        assert_eq!(
            [first, again, expired, released],
            [true, false, true, true],
            "{store:?}"
        );
    }
}

#[tokio::test]
async fn a_tally_returns_the_item_before_it_and_stops_at_its_cap() {
    let (_emulator, stores) = stores().await;
    for store in &stores {
        let tally = |values: &'static [&'static str], id: &'static str| {
            let members = members(values, id);
            async move {
                let request = Tally {
                    members: &members,
                    cap: 3,
                    at: 10,
                    expires: 3600,
                };
                store.tally("t#w", &request).await.expect("tally")
            }
        };
        let empty = tally(&["a"], "e1").await.expect("under the cap");
        let one = tally(&["a", "b"], "e2").await.expect("under the cap");
        let two = tally(&["c"], "e3").await.expect("under the cap");
        let full = tally(&["d"], "e4").await;
        assert_eq!(
            (
                empty.set(MEMBERS).cloned(),
                one.set(MEMBERS).cloned(),
                two.set(MEMBERS).cloned(),
                full
            ),
            (None, set(&["a"]), set(&["a", "b"]), None),
            "{store:?}"
        );
        // Each member keeps the event that brought it first.
        let ids: BTreeSet<&str> = two
            .values()
            .filter_map(|v| match v {
                Attr::Text(id) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(ids, BTreeSet::from(["e1", "e2"]), "{store:?}");
    }
}

#[tokio::test]
async fn an_untally_takes_members_back_below_the_cap() {
    let (_emulator, stores) = stores().await;
    for store in &stores {
        let all = members(&["a", "b", "c"], "e1");
        let request = |members| Tally {
            members,
            cap: 3,
            at: 10,
            expires: 3600,
        };
        store.tally("t#u", &request(&all)).await.expect("tally");
        store.untally("t#u", &all[2..]).await.expect("untally");
        let old = store
            .tally("t#u", &request(&all[2..]))
            .await
            .expect("tally")
            .expect("below the cap again");
        assert_eq!(old.set(MEMBERS).cloned(), set(&["a", "b"]), "{store:?}");
    }
}

#[tokio::test]
async fn a_record_sets_some_attributes_keeps_others_and_returns_the_old_item() {
    let (_emulator, stores) = stores().await;
    for store in &stores {
        let write = |at: i64| async move {
            store
                .record(
                    "f#k",
                    &[("seen", Attr::Num(at))],
                    &[("first", Attr::Num(at))],
                )
                .await
                .expect("record")
        };
        let before = write(5).await;
        let after_first = write(9).await;
        let after_second = write(12).await;
        assert_eq!(
            (
                before.is_empty(),
                after_first.num("seen"),
                after_second.num("seen"),
                after_second.num("first")
            ),
            (true, Some(5), Some(9), Some(5)),
            "{store:?}"
        );
    }
}
