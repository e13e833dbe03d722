//! What detections remember between events: one key-value store with a few
//! atomic writes, each a single conditional or atomic update, never a
//! read-modify-write. The handler keeps it in DynamoDB ([`DynamoStore`]);
//! `simulate` and the tests keep it in memory ([`MemoryStore`]) with the same
//! semantics, and one test suite runs against both.
//!
//! Every item carries an expiry (`exp`, seconds since the epoch), which is
//! the table's TTL attribute. DynamoDB deletes expired items only eventually,
//! so every write that cares treats an item past its expiry as absent.

mod dynamo;
mod memory;

use std::collections::{BTreeMap, BTreeSet};

pub use dynamo::DynamoStore;
pub use memory::MemoryStore;

/// Name of the partition key.
pub const KEY: &str = contract::names::STATE_TABLE_KEY;
/// Name of the expiry attribute (the table's TTL attribute).
pub const EXPIRES: &str = contract::names::STATE_TABLE_EXPIRES;
/// Name of the set a tally counts.
pub const MEMBERS: &str = "vals";
/// Name of the time of a tally's first event.
pub const FIRST: &str = "first";

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    Num(i64),
    Text(String),
    Set(BTreeSet<String>),
}

/// A stored item's attributes (the key excluded).
pub type Item = BTreeMap<String, Attr>;

/// Reads an item's attributes by type.
pub trait ItemExt {
    fn num(&self, name: &str) -> Option<i64>;
    fn text(&self, name: &str) -> Option<&str>;
    fn set(&self, name: &str) -> Option<&BTreeSet<String>>;
}

impl ItemExt for Item {
    fn num(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Attr::Num(n) => Some(*n),
            _ => None,
        }
    }

    fn text(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Attr::Text(s) => Some(s),
            _ => None,
        }
    }

    fn set(&self, name: &str) -> Option<&BTreeSet<String>> {
        match self.get(name)? {
            Attr::Set(s) => Some(s),
            _ => None,
        }
    }
}

/// One member added to a tally: the counted value and the event that brought it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub value: String,
    pub event_id: String,
}

impl Member {
    /// The attribute holding the id of the event that first brought this
    /// member: a stable hash of the value, so an item needs no nested map.
    pub fn attribute(&self) -> String {
        format!("e_{:016x}", stable_hash(&self.value))
    }
}

/// Adds members to an item's set unless it already holds `cap` of them.
#[derive(Debug, Clone)]
pub struct Tally<'a> {
    pub members: &'a [Member],
    pub cap: usize,
    /// The event's time, kept as [`FIRST`] when the item is new.
    pub at: i64,
    pub expires: i64,
}

/// Writing to the store failed: throttled, unreachable or refused. State is
/// best effort: the caller logs it, counts it and carries on.
#[derive(Debug, thiserror::Error)]
#[error("{operation} on the state table failed: {source}")]
pub struct StoreError {
    pub operation: &'static str,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Where detections keep their state.
#[derive(Debug)]
pub enum Store {
    Memory(MemoryStore),
    DynamoDb(DynamoStore),
}

impl Store {
    /// Creates the item at `key` unless one exists that has not expired at
    /// `now`: whether this call created it (a once-only mark).
    pub async fn claim(&self, key: &str, now: i64, expires: i64) -> Result<bool, StoreError> {
        match self {
            Store::Memory(store) => Ok(store.claim(key, now, expires)),
            Store::DynamoDb(store) => store.claim(key, now, expires).await,
        }
    }

    /// Deletes the item at `key` (a mark whose alert failed to publish).
    pub async fn release(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Store::Memory(store) => {
                store.release(key);
                Ok(())
            }
            Store::DynamoDb(store) => store.release(key).await,
        }
    }

    /// Adds the tally's members to the set at `key` and records the event
    /// of each new member; the item before the write, or `None` when the set
    /// already held `cap` members (nothing was written).
    pub async fn tally(&self, key: &str, tally: &Tally<'_>) -> Result<Option<Item>, StoreError> {
        match self {
            Store::Memory(store) => Ok(store.tally(key, tally)),
            Store::DynamoDb(store) => store.tally(key, tally).await,
        }
    }

    /// Takes these members out of the set at `key` again (their alert failed).
    pub async fn untally(&self, key: &str, members: &[Member]) -> Result<(), StoreError> {
        match self {
            Store::Memory(store) => {
                store.untally(key, members);
                Ok(())
            }
            Store::DynamoDb(store) => store.untally(key, members).await,
        }
    }

    /// Sets `set` on the item at `key`, and `keep` where the item lacks
    /// them; the item before the write (empty when there was none).
    pub async fn record(
        &self,
        key: &str,
        set: &[(&str, Attr)],
        keep: &[(&str, Attr)],
    ) -> Result<Item, StoreError> {
        match self {
            Store::Memory(store) => Ok(store.record(key, set, keep)),
            Store::DynamoDb(store) => store.record(key, set, keep).await,
        }
    }
}

/// FNV-1a, 64 bits: a hash stable across builds and platforms, which
/// `std`'s `DefaultHasher` does not promise. Written out (four lines) rather
/// than taken from a crate: only names of stored items depend on it.
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
