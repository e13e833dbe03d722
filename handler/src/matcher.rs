//! EventBridge patterns matched in-process, all at once, with quamina (a port
//! of the automaton EventBridge's own matching descends from).

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use quamina::Quamina;

/// Patterns, each added under a key (several under one key are ORed).
#[derive(Clone)]
pub struct Matcher<K: Clone + Eq + Hash + Send + Sync>(Arc<Quamina<K>>);

impl<K: Clone + Eq + Hash + Send + Sync> Matcher<K> {
    /// Compiles `(key, pattern JSON)` pairs.
    pub fn new<'p>(patterns: impl IntoIterator<Item = (K, &'p str)>) -> Result<Self, String> {
        let mut quamina = Quamina::new();
        for (key, pattern) in patterns {
            quamina
                .add_pattern(key, pattern)
                .map_err(|e| e.to_string())?;
        }
        Ok(Self(Arc::new(quamina)))
    }

    /// The keys of the patterns the event (EventBridge JSON) matches; none for
    /// text that is not a JSON object.
    pub fn matches(&self, event: &str) -> Vec<K> {
        self.0
            .matches_for_event(event.as_bytes())
            .unwrap_or_default()
    }
}

impl<K: Clone + Eq + Hash + Send + Sync> fmt::Debug for Matcher<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matcher({} patterns)", self.0.pattern_count())
    }
}
