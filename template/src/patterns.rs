//! Grouping event patterns into as few EventBridge rules as the service's limits
//! allow, checked at synth so a deploy never finds out.

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;
use serde_json::{Value as Json, json};

/// Longest event pattern EventBridge accepts, in characters (default quota).
pub const MAX_PATTERN_CHARS: usize = 2048;
/// Most combinations an `$or` may expand to (PutRule refuses more).
pub const MAX_OR_COMBINATIONS: usize = 1000;
/// Most rules on one event bus (100 in af-south-1 and eu-south-1). Each rule has
/// one target, well within the five a rule may have.
pub const MAX_RULES_PER_BUS: usize = 300;

/// The size EventBridge would count for `pattern`, measured on the spaced
/// rendering (`", "`, `": "`) so that whatever whitespace CloudFormation keeps
/// when it turns the pattern into a string, the real size is never larger.
pub fn size(pattern: &Json) -> usize {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, Spaced);
    // Serialising a JSON value into memory cannot fail.
    let _ = pattern.serialize(&mut serializer);
    out.len()
}

/// serde_json's compact output with a space after every `,` and `:`.
struct Spaced;

impl Formatter for Spaced {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// Characters of an empty `{"$or": []}` as [`size`] counts them.
const OR_WRAPPER: usize = 11;

/// Packs sub-patterns (each selecting some events) into rule patterns, first
/// fit, each within [`MAX_PATTERN_CHARS`] and [`MAX_OR_COMBINATIONS`]. A rule
/// with several sub-patterns joins them with `$or`. Fails naming any
/// sub-pattern that alone is too large.
pub fn pack(patterns: &[Json]) -> Result<Vec<Json>, Vec<String>> {
    let mut problems = Vec::new();
    // Each rule's sub-patterns and the size of their join.
    let mut rules: Vec<(Vec<Json>, usize)> = Vec::new();
    for pattern in patterns {
        let alone = size(pattern);
        if alone > MAX_PATTERN_CHARS {
            problems.push(format!(
                "an event pattern is {alone} characters, over EventBridge's limit of {MAX_PATTERN_CHARS}: {}",
                short(pattern)
            ));
            continue;
        }
        // Joining adds this pattern's alternatives and a separator: at least
        // its size less its own `{"$or": [...]}` wrapper when it is a unit. A
        // rule too large even for that is not tried.
        let joined = |rule: &[Json]| {
            let mut candidate = rule.to_vec();
            candidate.push(pattern.clone());
            let joined = join(&candidate);
            let chars = size(&joined);
            (combinations(&joined) <= MAX_OR_COMBINATIONS && chars <= MAX_PATTERN_CHARS)
                .then_some(chars)
        };
        let fit = rules
            .iter_mut()
            .filter(|(_, chars)| chars + alone <= MAX_PATTERN_CHARS + OR_WRAPPER)
            .find_map(|(rule, chars)| joined(rule).map(|new| (rule, chars, new)));
        match fit {
            Some((rule, chars, new)) => {
                rule.push(pattern.clone());
                *chars = new;
            }
            None => rules.push((vec![pattern.clone()], alone)),
        }
    }
    if problems.is_empty() {
        Ok(rules.iter().map(|(rule, _)| join(rule)).collect())
    } else {
        Err(problems)
    }
}

/// How many plain patterns a pattern's `$or`s expand to: an `$or` adds its
/// alternatives' counts, fields side by side multiply.
pub fn combinations(pattern: &Json) -> usize {
    match pattern {
        Json::Object(fields) => fields
            .iter()
            .map(|(key, value)| match (key.as_str(), value) {
                ("$or", Json::Array(alternatives)) => alternatives.iter().map(combinations).sum(),
                (_, value) => combinations(value),
            })
            .product(),
        _ => 1,
    }
}

/// One pattern, or several joined by `$or`; a pattern that is only an `$or`
/// (a unit of sub-patterns that must share a rule) gives its alternatives.
fn join(patterns: &[Json]) -> Json {
    match patterns {
        [one] => one.clone(),
        many => {
            let alternatives: Vec<Json> = many
                .iter()
                .flat_map(|p| match p.as_object().map(|o| (o.len(), o.get("$or"))) {
                    Some((1, Some(Json::Array(alternatives)))) => alternatives.clone(),
                    _ => vec![p.clone()],
                })
                .collect();
            json!({ "$or": alternatives })
        }
    }
}

fn short(pattern: &Json) -> String {
    let text = pattern.to_string();
    match text.char_indices().nth(120) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(count: usize, width: usize) -> Json {
        let names: Vec<String> = (0..count).map(|i| format!("{i:0width$}")).collect();
        json!({"source": ["aws.iam"], "detail": {"eventName": names}})
    }

    #[test]
    fn the_or_wrapper_is_what_size_counts() {
        assert_eq!(size(&serde_json::json!({"$or": []})), OR_WRAPPER);
    }

    #[test]
    fn size_counts_a_space_after_every_separator() {
        assert_eq!(
            size(&json!({"a": ["b", "c"]})),
            r#"{"a": ["b", "c"]}"#.len()
        );
        assert_eq!(size(&json!({"a": "x,y:z"})), r#"{"a": "x,y:z"}"#.len());
    }

    #[test]
    fn small_patterns_share_one_rule_joined_by_or() {
        let (a, b) = (names(2, 4), names(3, 4));
        assert_eq!(
            pack(&[a.clone(), b.clone()]),
            Ok(vec![json!({"$or": [a, b]})])
        );
    }

    #[test]
    fn patterns_that_do_not_fit_together_get_rules_of_their_own() {
        let big = names(150, 8);
        let rules = pack(&[big.clone(), big.clone()]).expect("each fits alone");
        assert_eq!(rules, vec![big.clone(), big]);
        assert!(rules.iter().all(|r| size(r) <= MAX_PATTERN_CHARS));
    }

    #[test]
    fn nested_or_alternatives_multiply_with_their_siblings() {
        let two = json!({"$or": [{"a": ["1"]}, {"b": ["2"]}]});
        assert_eq!(combinations(&two), 2);
        assert_eq!(
            combinations(&json!({"x": two.clone(), "y": two.clone()})),
            4
        );
        assert_eq!(
            combinations(&json!({"$or": [two.clone(), {"c": ["3"]}]})),
            3
        );
    }

    #[test]
    fn a_pattern_too_large_alone_is_refused_with_its_size() {
        let problems = pack(&[names(400, 8)]).expect_err("too large");
        assert!(
            problems[0].contains("characters, over EventBridge's limit of 2048"),
            "{problems:?}"
        );
    }
}
