//! Sub-patterns that no event matches in two rules of one bus. EventBridge
//! invokes the handler once per matching rule, and two invocations can land
//! in two execution environments and publish two alerts; within one rule an
//! event is delivered once however many of its `$or` alternatives match.
//!
//! Two kinds of overlap are removed:
//! - The catch-all monitors (root use, denied calls) select events of every
//!   call. Every other sub-pattern excludes what they select, so such an event
//!   is delivered by the catch-all's rule alone; the handler still judges it
//!   with every monitor that selects it, in process.
//! - Sub-patterns that may select one event (one call watched by two
//!   monitors, a custom monitor over a built-in one) become one unit, an
//!   `$or` that the packer keeps in one rule. A unit with a read-only member is
//!   a read-only unit: that rule's state delivers write calls too.
//!
//! Overlap is decided conservatively: two sub-patterns are disjoint only when
//! some field proves it (sources, detail types, event sources or names with
//! no value in common, `exists` true against false, or a catch-all's test
//! against its exclusion).

use serde_json::{Value, json};

use crate::monitors::{Monitor, by_id};
use crate::selection::Selection;
use crate::selector::Test;

/// The catch-all monitors, the `detail` field each tests, in the order a
/// pattern excludes them.
const CATCH_ALLS: [(&str, &str); 2] = [
    ("root-account-usage", "userIdentity.type"),
    ("unauthorized-api-calls", "errorCode"),
];

/// One enabled catch-all: the path it tests, its tests and their complement.
struct CatchAll {
    path: Vec<&'static str>,
    tests: Value,
    complement: Value,
}

/// The write and read-only sub-patterns, changed so that no event matches
/// two of the rules they are packed into.
pub fn disjoint(
    selection: &Selection,
    write: Vec<Value>,
    read_only: Vec<Value>,
) -> (Vec<Value>, Vec<Value>) {
    let catch_alls = catch_alls(selection);
    let mut all: Vec<(Value, bool)> = write
        .into_iter()
        .map(|p| (p, false))
        .chain(read_only.into_iter().map(|p| (p, true)))
        .collect();
    for (pattern, _) in &mut all {
        exclude_catch_alls(pattern, &catch_alls);
    }
    let units = units(&all, &catch_alls);
    let (mut write, mut read_only) = (Vec::new(), Vec::new());
    for unit in units {
        let reads = unit.iter().any(|&i| all[i].1);
        let members: Vec<Value> = unit.iter().map(|&i| all[i].0.clone()).collect();
        let joined = match members.as_slice() {
            [one] => one.clone(),
            many => json!({ "$or": many }),
        };
        if reads {
            read_only.push(joined)
        } else {
            write.push(joined)
        }
    }
    (write, read_only)
}

fn catch_alls(selection: &Selection) -> Vec<CatchAll> {
    CATCH_ALLS
        .iter()
        .filter(|(id, _)| selection.monitors().any(|m| m.id == *id))
        .filter_map(|(id, path)| {
            let monitor: &Monitor = by_id(id)?;
            let path: Vec<&'static str> = path.split('.').collect();
            let condition = monitor
                .selectors()
                .iter()
                .flat_map(|s| s.when)
                .find(|c| c.field.path() == path.as_slice())?;
            Some(CatchAll {
                path,
                tests: Value::Array(condition.any_of.iter().map(|t| t.pattern()).collect()),
                complement: complement(condition.any_of)?,
            })
        })
        .collect()
}

/// What passes none of `tests` (strings only): absent, or anything but them.
fn complement(tests: &[Test]) -> Option<Value> {
    let mut exact = Vec::new();
    let mut wildcards = Vec::new();
    for test in tests {
        match test {
            Test::Exact(value) => exact.push(*value),
            Test::Prefix(prefix) => wildcards.push(format!("{}*", escape(prefix))),
            Test::Suffix(suffix) => wildcards.push(format!("*{}", escape(suffix))),
            _ => return None,
        }
    }
    // `anything-but` needs the field present: an absent field passes too.
    match (exact.as_slice(), wildcards.is_empty()) {
        ([one], true) => Some(json!([{"exists": false}, { "anything-but": one }])),
        ([], false) => Some(json!([{"exists": false}, {"anything-but": {"wildcard": wildcards}}])),
        _ => None,
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('*', "\\*")
}

/// Adds each catch-all's complement to a pattern that does not test its
/// field (the catch-alls' own patterns test theirs).
fn exclude_catch_alls(pattern: &mut Value, catch_alls: &[CatchAll]) {
    let api_calls = pattern["detail-type"]
        .as_array()
        .is_none_or(|types| types.iter().any(|t| t == crate::event::API_CALL));
    // A catch-all's own pattern excludes only the catch-alls before it (the
    // denied calls exclude root's): each event stays with exactly one.
    let own = catch_alls.iter().position(|c| {
        let path: Vec<&str> = ["detail"]
            .into_iter()
            .chain(c.path.iter().copied())
            .collect();
        get(pattern, &path) == Some(&c.tests)
    });
    let excluded = own.map_or(catch_alls, |k| &catch_alls[..k]);
    for catch_all in excluded {
        if catch_all.path == ["errorCode"] && !api_calls {
            continue; // Denied calls are API calls; sign-ins are never among them.
        }
        let Some(detail) = pattern.get_mut("detail").and_then(Value::as_object_mut) else {
            continue;
        };
        if get(&Value::Object(detail.clone()), &catch_all.path).is_some() {
            continue;
        }
        insert(detail, &catch_all.path, catch_all.complement.clone());
    }
}

fn insert(map: &mut serde_json::Map<String, Value>, path: &[&str], value: Value) {
    match path {
        [] => {}
        [last] => {
            map.insert((*last).to_owned(), value);
        }
        [first, rest @ ..] => {
            if let Some(child) = map
                .entry((*first).to_owned())
                .or_insert_with(|| json!({}))
                .as_object_mut()
            {
                insert(child, rest, value);
            }
        }
    }
}

fn get<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |at, key| at.get(*key))
}

/// Groups of sub-patterns that may select one event (connected by overlap).
fn units(all: &[(Value, bool)], catch_alls: &[CatchAll]) -> Vec<Vec<usize>> {
    let mut unit_of: Vec<usize> = (0..all.len()).collect();
    fn root(unit_of: &mut [usize], mut i: usize) -> usize {
        while unit_of[i] != i {
            unit_of[i] = unit_of[unit_of[i]];
            i = unit_of[i];
        }
        i
    }
    for a in 0..all.len() {
        for b in a + 1..all.len() {
            if may_overlap(&all[a].0, &all[b].0, catch_alls) {
                let (ra, rb) = (root(&mut unit_of, a), root(&mut unit_of, b));
                unit_of[rb] = ra;
            }
        }
    }
    let mut units: Vec<Vec<usize>> = Vec::new();
    let mut index_of_root = std::collections::HashMap::new();
    for i in 0..all.len() {
        let r = root(&mut unit_of, i);
        let unit = *index_of_root.entry(r).or_insert_with(|| {
            units.push(Vec::new());
            units.len() - 1
        });
        units[unit].push(i);
    }
    units
}

/// Whether one event could match both sub-patterns: no field they both test
/// proves them apart.
fn may_overlap(a: &Value, b: &Value, catch_alls: &[CatchAll]) -> bool {
    for catch_all in catch_alls {
        let path: Vec<&str> = ["detail"]
            .into_iter()
            .chain(catch_all.path.iter().copied())
            .collect();
        if let (Some(x), Some(y)) = (get(a, &path), get(b, &path))
            && ((*x == catch_all.tests && *y == catch_all.complement)
                || (*y == catch_all.tests && *x == catch_all.complement))
        {
            return false;
        }
    }
    fields_may_meet(a, b)
}

/// Whether every field both objects test (outside `$or`) may take a value
/// passing both.
fn fields_may_meet(a: &Value, b: &Value) -> bool {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return true;
    };
    a.iter()
        .filter(|(key, _)| *key != "$or")
        .all(|(key, x)| match (b.get(key), x) {
            (None, _) => true,
            (Some(y), Value::Object(_)) => fields_may_meet(x, y),
            (Some(y), _) => values_may_meet(x, y),
        })
}

/// Whether some value could pass a test of each list (exact strings,
/// prefixes and suffixes are compared; any other test may meet anything).
fn values_may_meet(x: &Value, y: &Value) -> bool {
    let (Some(x), Some(y)) = (x.as_array(), y.as_array()) else {
        return true;
    };
    x.iter().any(|a| y.iter().any(|b| tests_may_meet(a, b)))
}

fn tests_may_meet(a: &Value, b: &Value) -> bool {
    let absent = |v: &Value| v.get("exists") == Some(&Value::Bool(false));
    if absent(a) || absent(b) {
        // Only another `exists: false` passes an absent field.
        return absent(a) && absent(b);
    }
    let present = |v: &Value| v.get("exists") == Some(&Value::Bool(true));
    if present(a) || present(b) {
        return true;
    }
    let prefix = |v: &Value| v.get("prefix").and_then(Value::as_str).map(str::to_owned);
    let suffix = |v: &Value| v.get("suffix").and_then(Value::as_str).map(str::to_owned);
    let but = |v: &Value| {
        v.get("anything-but")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), other) | (other, Value::String(x)) => {
            if let Some(p) = prefix(other) {
                x.starts_with(&p)
            } else if let Some(s) = suffix(other) {
                x.ends_with(&s)
            } else if let Some(not) = but(other) {
                *x != not
            } else {
                true
            }
        }
        _ => match (prefix(a), prefix(b)) {
            (Some(p), Some(q)) => p.starts_with(&q) || q.starts_with(&p),
            _ => true,
        },
    }
}
