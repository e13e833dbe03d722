//! Bounding and cleaning untrusted strings before they reach an alert.

/// Cuts `s` to at most `max_bytes` bytes on a character boundary, marking the cut with `...`.
pub fn clip(s: &str, max_bytes: usize) -> String {
    if s.len() <= max_bytes {
        return s.to_owned();
    }
    let end = s.floor_char_boundary(max_bytes.saturating_sub(3));
    format!("{}...", &s[..end])
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
    fn printable_ascii_replaces_line_breaks_and_unicode() {
        assert_eq!(printable_ascii("Jürgen\nadmin"), "J?rgen?admin");
    }
}
