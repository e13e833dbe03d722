//! Bounding and cleaning untrusted strings before they reach an alert.

use std::borrow::Cow;
use std::fmt::Write;

/// Cuts `s` to at most `max_bytes` bytes on a character boundary, marking the cut with `...`.
pub fn clip(s: &str, max_bytes: usize) -> String {
    if s.len() <= max_bytes {
        return s.to_owned();
    }
    let end = s.floor_char_boundary(max_bytes.saturating_sub(3));
    format!("{}...", &s[..end])
}

/// `s` with each character a terminal or mail reader could act on, or that
/// shows as nothing, written as its escape (`\u{1b}`): control codes (C0,
/// DEL, C1 such as CSI), line and paragraph separators, the bidirectional
/// overrides, isolates and marks that reorder what is shown, zero-width
/// characters, the soft hyphen, the byte-order mark and tag characters.
/// Everything else, other scripts included, is kept.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether [`escape_controls`] escapes `c`.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

/// Printable ASCII only: each other character (line breaks, tabs, non-ASCII
/// letters, control codes) becomes `?`, as SNS subjects require.
pub fn printable_ascii(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// `template` with each `{name}` replaced by its value quoted for a POSIX shell,
/// so a pasted command runs nothing but itself. `None` when a value holds
/// control characters: a terminal could act on them before the shell sees them.
pub fn shell_command(template: &str, values: &[(&str, &str)]) -> Option<String> {
    let mut command = template.to_owned();
    for (name, value) in values {
        if value.chars().any(char::is_control) {
            return None;
        }
        let quoted = shlex::try_quote(value).ok()?;
        command = command.replace(&format!("{{{name}}}"), &quoted);
    }
    Some(command)
}

/// A JSON error's message without serde_json's `at line L column C` suffix: the
/// position is in the compact text the handler received, not in anything the reader
/// of an alert can see.
pub fn json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&position) {
        Some(bare) => bare.to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_strings_whole() {
        assert_eq!(clip("alice", 10), "alice");
    }

    #[test]
    fn clip_cuts_on_a_character_boundary() {
        assert_eq!(clip("ééééé", 8), "éé...");
    }

    #[test]
    fn json_error_drops_the_position() {
        let error = serde_json::from_str::<u8>(" \"x\"").expect_err("not a number");
        assert_eq!(
            json_error(&error),
            "invalid type: string \"x\", expected u8"
        );
    }

    #[test]
    fn shell_command_quotes_what_a_shell_would_interpret() {
        let hostile = "web; rm -rf ~ $(id) `id` 'x' \"y\" \\z *";
        let command = shell_command(
            "aws s3api delete-bucket-policy --bucket {bucket}",
            &[("bucket", hostile)],
        )
        .expect("no control characters");
        assert_eq!(
            shlex::split(&command).expect("one shell command"),
            ["aws", "s3api", "delete-bucket-policy", "--bucket", hostile]
        );
    }

    #[test]
    fn shell_command_refuses_control_characters() {
        assert_eq!(
            shell_command("x {v}", &[("v", "a\u{1b}]0;pwned\u{7}")]),
            None
        );
        assert_eq!(shell_command("x {v}", &[("v", "a\nb")]), None);
    }

    #[test]
    fn escape_controls_writes_terminal_sequences_as_escapes() {
        assert_eq!(
            escape_controls("a\u{1b}]0;pwned\u{7}\nb\u{9b}2J\u{202e}c"),
            "a\\u{1b}]0;pwned\\u{7}\\u{a}b\\u{9b}2J\\u{202e}c"
        );
    }

    #[test]
    fn escape_controls_writes_invisible_characters_as_escapes() {
        assert_eq!(
            escape_controls("a\u{200e}b\u{200b}c\u{ad}d\u{feff}e\u{e0041}f\u{61c}"),
            "a\\u{200e}b\\u{200b}c\\u{ad}d\\u{feff}e\\u{e0041}f\\u{61c}"
        );
    }

    #[test]
    fn escape_controls_keeps_other_scripts() {
        assert_eq!(escape_controls("Jürgen 日本"), "Jürgen 日本");
    }

    #[test]
    fn printable_ascii_replaces_line_breaks_and_unicode() {
        assert_eq!(printable_ascii("Jürgen\nadmin"), "J?rgen?admin");
    }
}
