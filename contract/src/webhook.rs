//! The chat applications a direct webhook can post to.

use std::fmt;

/// Which chat application a webhook belongs to (its message format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    Slack,
    Teams,
}

impl WebhookKind {
    /// Every kind.
    pub const ALL: [WebhookKind; 2] = [WebhookKind::Slack, WebhookKind::Teams];

    /// The name used in configuration and in the handler's environment.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Teams => "teams",
        }
    }

    /// The kind with this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for WebhookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
