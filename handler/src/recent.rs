//! The CloudTrail event ids this execution environment has alerted on lately:
//! EventBridge and Lambda deliver at least once, and a forwarded event gets a
//! new envelope `id`, so repeats are recognised by `detail.eventID`.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// How many ids an execution environment remembers (about 100 KB).
pub const CAPACITY: usize = 2_000;

/// A bounded set of event ids, oldest forgotten first. Best effort: each
/// execution environment has its own, so a repeat delivered to another one
/// is alerted again (subscribers can dedupe on `event_id`).
#[derive(Debug)]
pub struct RecentEvents {
    capacity: usize,
    ids: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl Default for RecentEvents {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl RecentEvents {
    /// A set remembering at most `capacity` ids.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity,
            ids: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// Whether `id` was remembered.
    pub fn contains(&self, id: &str) -> bool {
        self.lock().0.contains(id)
    }

    /// Remembers `id`, forgetting the oldest beyond the capacity.
    pub fn remember(&self, id: &str) {
        let mut guard = self.lock();
        let (set, order) = &mut *guard;
        if !set.insert(id.to_owned()) {
            return;
        }
        order.push_back(id.to_owned());
        while order.len() > self.capacity {
            if let Some(oldest) = order.pop_front() {
                set.remove(&oldest);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (HashSet<String>, VecDeque<String>)> {
        crate::lock(&self.ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_id_is_forgotten_beyond_the_capacity() {
        let recent = RecentEvents::with_capacity(2);
        for id in ["a", "b", "a", "c"] {
            recent.remember(id);
        }
        assert_eq!(
            ["a", "b", "c"].map(|id| recent.contains(id)),
            [false, true, true]
        );
    }
}
