//! EventBridge's `wildcard` operator: `*` matches any run of characters (also
//! none), `\*` a literal star and `\\` a literal backslash; nothing else is
//! special. Written here because the handler tests each suppression's patterns
//! against two ARNs per event: quamina's automaton took about 20 µs per event
//! for 100 suppressions (all patterns share a prefix up to their first `*`), and
//! the glob crates give `?` and `[` meanings EventBridge does not.

use memchr::memmem::Finder;

/// A compiled pattern: its text, the literal pieces between its stars, and a
/// prebuilt searcher for each middle piece.
#[derive(Debug, Clone)]
pub struct Wildcard {
    text: String,
    pieces: Vec<String>,
    finders: Vec<Finder<'static>>,
}

impl Wildcard {
    /// Compiles `pattern`; `None` when it ends in a lone backslash.
    pub fn new(pattern: &str) -> Option<Self> {
        let mut pieces = vec![String::new()];
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => pieces.last_mut()?.push(chars.next()?),
                '*' => pieces.push(String::new()),
                c => pieces.last_mut()?.push(c),
            }
        }
        let middle = pieces.len().saturating_sub(1);
        let finders = pieces
            .iter()
            .take(middle)
            .skip(1)
            .map(|piece| Finder::new(piece.as_bytes()).into_owned())
            .collect();
        Some(Self {
            text: pattern.to_owned(),
            pieces,
            finders,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `text` matches: the first piece starts it, the last ends it,
    /// the others follow in order in between (leftmost is always safe).
    pub fn matches(&self, text: &str) -> bool {
        let [first, .., last] = self.pieces.as_slice() else {
            return self.pieces.first().is_some_and(|only| only == text);
        };
        let Some(rest) = text.strip_prefix(first.as_str()) else {
            return false;
        };
        let mut rest = rest.as_bytes();
        for finder in &self.finders {
            match finder.find(rest) {
                Some(at) => rest = &rest[at + finder.needle().len()..],
                None => return false,
            }
        }
        rest.ends_with(last.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        Wildcard::new(pattern).expect("valid").matches(text)
    }

    #[test]
    fn a_star_matches_any_run_including_none() {
        assert!(matches(
            "arn:aws:iam::*:role/ci-*",
            "arn:aws:iam::111122223333:role/ci-deployer"
        ));
        assert!(matches(
            "arn:aws:iam::*:role/ci-*",
            "arn:aws:iam:::role/ci-"
        ));
        assert!(!matches(
            "arn:aws:iam::*:role/ci-*",
            "arn:aws:iam::111122223333:role/old-ci"
        ));
        assert!(matches("*", ""));
    }

    #[test]
    fn without_a_star_the_whole_text_must_be_equal() {
        assert!(matches("arn:aws:iam::1:user/a", "arn:aws:iam::1:user/a"));
        assert!(!matches("arn:aws:iam::1:user/a", "arn:aws:iam::1:user/ab"));
    }

    #[test]
    fn the_last_piece_anchors_at_the_end_even_when_it_also_occurs_earlier() {
        assert!(matches("a*b", "abab"));
        assert!(!matches("a*b", "aba"));
        assert!(!matches("ab*ba", "aba"));
    }

    #[test]
    fn escaped_stars_and_backslashes_are_literal_and_question_marks_plain() {
        assert!(matches(r"a\*b", "a*b"));
        assert!(!matches(r"a\*b", "axb"));
        assert!(matches(r"a\\b*", r"a\bc"));
        assert!(matches("a?c", "a?c") && !matches("a?c", "abc"));
        assert!(Wildcard::new("a\\").is_none());
    }
}
