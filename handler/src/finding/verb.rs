//! What a call did, as a typed verdict: titles are worded from it, never from
//! the severity.

/// What was done to the object of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Created,
    Deleted,
    Changed,
    Added,
    Removed,
    Attached,
    /// Logging or detection switched off.
    TurnedOff,
    /// A protection relaxed.
    Weakened,
    /// Access granted to everyone.
    MadePublic,
    /// Access granted to another account.
    Shared,
    /// Network access opened to the internet.
    Opened,
    /// Administrator permissions given.
    GrantedAdmin,
    /// A KMS key scheduled for deletion.
    ScheduledDeletion,
    /// The account left something (its organization).
    Left,
    /// An account closed.
    Closed,
    Enabled,
    Sent,
    Started,
    Retrieved,
    /// Any call, named by the object (root usage).
    Called,
    /// A console sign-in.
    SignedIn,
    /// A console sign-in that failed: the failure is the finding.
    FailedToSignIn,
    /// A call refused for lack of permission: the refusal is the finding.
    WasDenied,
}

impl Verb {
    /// The past-tense phrase: "made S3 bucket x public".
    pub fn done(self, object: &str) -> String {
        self.phrase(object, true)
    }

    /// The infinitive phrase, for attempts: "make S3 bucket x public".
    pub fn tried(self, object: &str) -> String {
        self.phrase(object, false)
    }

    fn phrase(self, object: &str, past: bool) -> String {
        let (done, base, after) = match self {
            Verb::Created => ("created", "create", ""),
            Verb::Deleted => ("deleted", "delete", ""),
            Verb::Changed => ("changed", "change", ""),
            Verb::Added => ("added", "add", ""),
            Verb::Removed => ("removed", "remove", ""),
            Verb::Attached => ("attached", "attach", ""),
            Verb::TurnedOff => ("turned off", "turn off", ""),
            Verb::Weakened => ("weakened", "weaken", ""),
            Verb::MadePublic => ("made", "make", " public"),
            Verb::Shared => ("shared", "share", " with another account"),
            Verb::Opened => ("opened", "open", " to the internet"),
            Verb::GrantedAdmin => ("gave", "give", " administrator permissions"),
            Verb::ScheduledDeletion => ("scheduled", "schedule", " for deletion"),
            Verb::Left => ("left", "leave", ""),
            Verb::Closed => ("closed", "close", ""),
            Verb::Enabled => ("enabled", "enable", ""),
            Verb::Sent => ("sent", "send", ""),
            Verb::Started => ("started", "start", ""),
            Verb::Retrieved => ("retrieved", "retrieve", ""),
            Verb::Called => ("called", "call", ""),
            Verb::SignedIn => ("signed in", "sign in", ""),
            Verb::FailedToSignIn => ("failed to sign in", "sign in", ""),
            Verb::WasDenied => ("was denied", "call", ""),
        };
        let verb = if past { done } else { base };
        format!("{verb} {object}{after}").trim_end().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_word_the_object_in_place() {
        assert_eq!(
            Verb::MadePublic.done("S3 bucket web"),
            "made S3 bucket web public"
        );
        assert_eq!(
            Verb::Shared.tried("EBS snapshot snap-1"),
            "share EBS snapshot snap-1 with another account"
        );
        assert_eq!(
            Verb::TurnedOff.done("logging of CloudTrail trail main"),
            "turned off logging of CloudTrail trail main"
        );
    }
}
