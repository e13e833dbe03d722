//! Text for the terminal: what comes from events, files or AWS is shown with
//! its control characters escaped, so it cannot retitle the terminal, clear the
//! screen or forge lines.

use handler::text::escape_controls;

/// `text` with control characters escaped on each of its lines: the line
/// breaks trailwatch wrote are kept, any others are shown as `\u{…}`.
pub fn lines(text: &str) -> String {
    text.split('\n')
        .map(escape_controls)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One value from an event, a file name or AWS, escaped whole.
pub(crate) fn value(text: &str) -> String {
    escape_controls(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keeps_line_breaks_and_escapes_the_rest() {
        assert_eq!(lines("a\u{1b}[2J\nb\r"), "a\\u{1b}[2J\nb\\u{d}");
    }
}
