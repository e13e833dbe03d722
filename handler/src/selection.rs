//! The monitors enabled for one deployment, and which of them select an event.

use serde_json::Value;

use crate::event::Event;
use crate::matcher::Matcher;
use crate::monitors::{CATALOG, Monitor, Pack, Selects, by_id};

/// Name selecting every monitor.
pub const ALL: &str = "all";

/// The monitors enabled for one deployment: built-in ones in catalog order,
/// then custom ones in configuration order.
#[derive(Debug, Clone)]
pub struct Selection {
    monitors: Vec<&'static Monitor>,
    /// Matches the custom monitors' patterns, all in one automaton.
    custom: Option<Matcher<&'static str>>,
    /// The sources custom patterns name (exactly, by construction): an event
    /// from any other source skips the matcher.
    custom_sources: Vec<String>,
}

impl PartialEq for Selection {
    fn eq(&self, other: &Self) -> bool {
        self.ids().eq(other.ids())
    }
}

impl Eq for Selection {}

impl Default for Selection {
    /// Every monitor but the opt-in packs (`read-only`, `activity`).
    fn default() -> Self {
        Self::of(Monitor::default_on)
    }
}

impl Selection {
    fn of(keep: impl Fn(&Monitor) -> bool) -> Self {
        Self {
            monitors: CATALOG.iter().copied().filter(|m| keep(m)).collect(),
            custom: None,
            custom_sources: Vec::new(),
        }
    }

    /// Every monitor, the read-only pack included.
    pub fn every() -> Self {
        Self::of(|_| true)
    }

    /// The monitors named by ids or packs (`seed`, `cis`, `stratus`, `read-only`, `activity`,
    /// `all`), or the default ones when `include` is `None`, minus the
    /// `exclude`d ids; every unknown name is reported.
    pub fn resolve(include: Option<&[String]>, exclude: &[String]) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let mut wanted: Vec<&str> = match include {
            None => Self::default().ids().collect(),
            Some(_) => Vec::new(),
        };
        for name in include.unwrap_or_default() {
            match selects(name) {
                Some(mut ids) => wanted.append(&mut ids),
                None => problems.push(format!(
                    "monitors: unknown monitor or pack {name:?} (packs: {ALL}, {}; monitors: {})",
                    Pack::ALL.map(Pack::as_str).join(", "),
                    known_ids()
                )),
            }
        }
        for name in exclude {
            if by_id(name).is_none() {
                problems.push(format!(
                    "exclude_monitors: unknown monitor {name:?} (known: {})",
                    known_ids()
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self::of(|m| {
            wanted.contains(&m.id) && !exclude.iter().any(|e| e == m.id)
        }))
    }

    /// The built-in monitors with these ids (what the deployed settings list).
    pub fn parse(ids: &[String]) -> Result<Self, String> {
        let unknown: Vec<&String> = ids.iter().filter(|n| by_id(n).is_none()).collect();
        if !unknown.is_empty() {
            return Err(format!("unknown monitor ids: {unknown:?}"));
        }
        Ok(Self::of(|m| ids.iter().any(|n| n == m.id)))
    }

    /// The selection with these custom monitors added, their patterns compiled
    /// into one matcher (each pattern was checked when its monitor was built).
    pub fn with_custom(mut self, custom: Vec<&'static Monitor>) -> Result<Self, String> {
        if custom.is_empty() {
            return Ok(self);
        }
        let patterns = custom.iter().flat_map(|m| match m.selects {
            Selects::Pattern(pattern) => pattern.parts.iter().map(|part| (m.id, *part)).collect(),
            Selects::Calls(_) | Selects::Services(_) => Vec::new(),
        });
        let matcher = Matcher::new(patterns)?;
        for monitor in &custom {
            let Selects::Pattern(pattern) = monitor.selects else {
                continue;
            };
            for part in pattern.parts {
                let part: Value = serde_json::from_str(part).unwrap_or_default();
                let sources = part["source"].as_array().into_iter().flatten();
                self.custom_sources
                    .extend(sources.filter_map(Value::as_str).map(str::to_owned));
            }
        }
        self.monitors.extend(custom);
        self.custom = Some(matcher);
        Ok(self)
    }

    /// The enabled monitors' ids.
    pub fn ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.monitors.iter().map(|m| m.id)
    }

    /// The enabled monitors.
    pub fn monitors(&self) -> impl Iterator<Item = &'static Monitor> + '_ {
        self.monitors.iter().copied()
    }

    /// The enabled monitor with this id.
    pub fn get(&self, id: &str) -> Option<&'static Monitor> {
        self.monitors().find(|m| m.id == id)
    }

    /// Whether no monitor is enabled.
    pub fn is_empty(&self) -> bool {
        self.monitors.is_empty()
    }

    /// The monitors a name selects among the enabled ones: an id, a pack or `all`.
    pub fn named(&self, name: &str) -> Option<Vec<&'static str>> {
        named_in(self.monitors(), name)
    }

    /// The enabled monitors that select this event.
    pub fn matching(&self, event: &Event<'_>) -> Vec<&'static Monitor> {
        // An envelope the matcher cannot read matches no custom pattern; the
        // handler read it already, so this does not happen for delivered events.
        let source = event.envelope.source.as_deref().unwrap_or_default();
        let custom = self
            .custom
            .as_ref()
            .filter(|_| self.custom_sources.iter().any(|s| s == source))
            .map(|m| m.matches(event.raw.get()))
            .unwrap_or_default();
        self.monitors()
            .filter(|m| match &m.selects {
                Selects::Pattern(_) => custom.contains(&m.id),
                _ => m.selectors().iter().any(|s| s.matches(event)),
            })
            .collect()
    }
}

/// The ids a name selects in the catalog: a monitor id, a pack, or `all`.
fn selects(name: &str) -> Option<Vec<&'static str>> {
    named_in(CATALOG.iter().copied(), name)
}

/// The ids a name selects among `monitors`: a monitor id, a pack, or `all`.
fn named_in<'m>(
    monitors: impl Iterator<Item = &'m Monitor>,
    name: &str,
) -> Option<Vec<&'static str>> {
    let pack = Pack::ALL.into_iter().find(|p| p.as_str() == name);
    let ids: Vec<&'static str> = monitors
        .filter(|m| match pack {
            Some(pack) => m.in_pack(pack),
            None => name == ALL || m.id == name,
        })
        .map(|m| m.id)
        .collect();
    // An unknown id names nothing; `all` and a pack are names even when empty.
    (pack.is_some() || name == ALL || !ids.is_empty()).then_some(ids)
}

fn known_ids() -> String {
    CATALOG.iter().map(|m| m.id).collect::<Vec<_>>().join(", ")
}
