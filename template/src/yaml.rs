//! A YAML emitter for CloudFormation templates.
//!
//! Written by hand because the maintained serde YAML emitters (yaml_serde,
//! serde_yaml) write YAML 1.2 and leave `yes`, `on`, `2010-09-09` or `1_000`
//! unquoted, which CloudFormation's YAML 1.1 parser reads as booleans, dates and
//! numbers. This emitter writes a string plain only when it starts with a letter,
//! holds only unambiguous characters and is not a YAML 1.1 keyword; every other
//! string is double-quoted in JSON syntax (a subset of YAML's double-quoted style).

use std::fmt::Write;

use serde_json::Value;

/// Words YAML 1.1 reads as booleans or null, in any case.
const KEYWORDS: &[&str] = &["y", "yes", "n", "no", "true", "false", "on", "off", "null"];

/// Renders the top-level `sections` of `document` in the given order.
pub fn sections_to_yaml(document: &Value, sections: &[&str]) -> String {
    let mut out = String::new();
    for name in sections {
        if let Some(value) = document.get(*name) {
            entry(&mut out, 0, name, value);
        }
    }
    out
}

fn entry(out: &mut String, indent: usize, key: &str, value: &Value) {
    let _ = write!(out, "{:indent$}{}:", "", scalar(key));
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            sorted(map).for_each(|(k, v)| entry(out, indent + 2, k, v));
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            items.iter().for_each(|v| item(out, indent, v));
        }
        other => {
            let _ = writeln!(out, " {}", inline(other));
        }
    }
}

fn item(out: &mut String, indent: usize, value: &Value) {
    let _ = write!(out, "{:indent$}-", "");
    match value {
        Value::Object(map) if !map.is_empty() => {
            // The first entry shares the dash's line; the others align with it.
            let mut first = true;
            for (k, v) in sorted(map) {
                let mut nested = String::new();
                entry(&mut nested, indent + 2, k, v);
                if first {
                    out.push(' ');
                    out.push_str(&nested[indent + 2..]);
                    first = false;
                } else {
                    out.push_str(&nested);
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            items.iter().for_each(|v| item(out, indent + 2, v));
        }
        other => {
            let _ = writeln!(out, " {}", inline(other));
        }
    }
}

/// Entries by key, so the bytes never depend on how the map was built (serde_json
/// keeps insertion order when another crate enables its `preserve_order` feature).
fn sorted(map: &serde_json::Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter()
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as a plain scalar when unambiguous, else double-quoted.
fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_owned()
    } else {
        Value::String(s.to_owned()).to_string()
    }
}

fn is_plain_safe(s: &str) -> bool {
    let starts_with_letter = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let safe_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " _.-/:*@()$,{}".contains(c));
    starts_with_letter
        && safe_chars
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && !s.contains(": ")
        && !KEYWORDS.contains(&s.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_1_1_lookalikes_are_quoted() {
        let words = [
            "yes",
            "On",
            "0755",
            "1e3",
            "2010-09-09",
            "1_000",
            "~",
            "null",
            "12:30",
            ".inf",
            "Y",
        ];
        for word in words {
            assert_eq!(scalar(word), format!("\"{word}\""));
        }
    }

    #[test]
    fn identifiers_and_arns_stay_plain() {
        for word in [
            "AWS::SNS::Topic",
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
            "sns:Publish",
            "Fn::GetAtt",
        ] {
            assert_eq!(scalar(word), word);
        }
    }

    #[test]
    fn nested_lists_of_maps_render_in_block_style() {
        let value = json!({"Statement": [{"Action": ["a:B"], "Effect": "Allow"}], "Empty": {}});
        assert_eq!(
            sections_to_yaml(&value, &["Empty", "Statement"]),
            "Empty: {}\nStatement:\n- Action:\n  - a:B\n  Effect: Allow\n"
        );
    }
}
