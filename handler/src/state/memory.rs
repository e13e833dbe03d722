//! The store in memory, with the semantics of [`super::DynamoStore`]: what
//! `simulate` replays logs against, and what the pipeline's tests use.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use super::{Attr, EXPIRES, FIRST, Item, ItemExt, MEMBERS, Member, Tally};

/// Items by key, behind one lock: every write is atomic, as in DynamoDB.
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<HashMap<String, Item>>,
}

impl MemoryStore {
    fn items(&self) -> std::sync::MutexGuard<'_, HashMap<String, Item>> {
        // A write either happened whole or not at all: a poisoned lock holds
        // consistent items.
        crate::lock(&self.items)
    }

    pub(super) fn claim(&self, key: &str, now: i64, expires: i64) -> bool {
        let mut items = self.items();
        let live = items
            .get(key)
            .is_some_and(|item| item.num(EXPIRES).is_none_or(|exp| exp >= now));
        if live {
            return false;
        }
        items.insert(
            key.to_owned(),
            Item::from([(EXPIRES.to_owned(), Attr::Num(expires))]),
        );
        true
    }

    pub(super) fn release(&self, key: &str) {
        self.items().remove(key);
    }

    pub(super) fn tally(&self, key: &str, tally: &Tally<'_>) -> Option<Item> {
        let mut items = self.items();
        let item = items.entry(key.to_owned()).or_default();
        let old = item.clone();
        if old.set(MEMBERS).is_some_and(|set| set.len() >= tally.cap) {
            return None;
        }
        let Attr::Set(members) = item
            .entry(MEMBERS.to_owned())
            .or_insert_with(|| Attr::Set(BTreeSet::new()))
        else {
            return None;
        };
        members.extend(tally.members.iter().map(|m| m.value.clone()));
        for member in tally.members {
            item.entry(member.attribute())
                .or_insert_with(|| Attr::Text(member.event_id.clone()));
        }
        item.entry(FIRST.to_owned()).or_insert(Attr::Num(tally.at));
        item.insert(EXPIRES.to_owned(), Attr::Num(tally.expires));
        Some(old)
    }

    pub(super) fn untally(&self, key: &str, members: &[Member]) {
        let mut items = self.items();
        let Some(item) = items.get_mut(key) else {
            return;
        };
        if let Some(Attr::Set(set)) = item.get_mut(MEMBERS) {
            for member in members {
                set.remove(&member.value);
            }
            // DynamoDB removes a set left empty.
            if set.is_empty() {
                item.remove(MEMBERS);
            }
        }
        for member in members {
            item.remove(&member.attribute());
        }
    }

    pub(super) fn record(&self, key: &str, set: &[(&str, Attr)], keep: &[(&str, Attr)]) -> Item {
        let mut items = self.items();
        let item = items.entry(key.to_owned()).or_default();
        let old = item.clone();
        for (name, value) in set {
            item.insert((*name).to_owned(), value.clone());
        }
        for (name, value) in keep {
            item.entry((*name).to_owned())
                .or_insert_with(|| value.clone());
        }
        old
    }
}
