//! Console sign-ins and root use.

use super::{Finding, Judge, ReadError, Verb};
use crate::event::Event;
use crate::severity::Severity;

/// [`root_usage`] and what it decides.
pub const ROOT_USAGE: Judge = Judge {
    assess: root_usage,
    decides: "console sign-in CRITICAL without MFA, HIGH with it, MEDIUM when it failed; API calls HIGH, CRITICAL when the session has no MFA",
};

/// Root use: a sign-in is CRITICAL without MFA and HIGH with it; an API call HIGH,
/// CRITICAL when the session has no MFA.
pub fn root_usage(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    finding.step(
        "Confirm who holds the root credentials and why they were used; if nobody does, reset the root password and its MFA".to_owned(),
    );
    if event.is_sign_in() {
        let mfa = event.record.additional_event_data.mfa() == Some(true);
        let failed = event.sign_in_failed();
        let how = if mfa { "with MFA" } else { "without MFA" };
        finding.describe(Verb::SignedIn, &format!("to the console {how}"));
        if failed {
            finding.settle(
                Severity::Medium,
                "someone tried the root user's password".to_owned(),
            );
        } else if mfa {
            finding.settle(
                Severity::High,
                "the root user signed in to the console: it has unrestricted access to the account"
                    .to_owned(),
            );
        } else {
            finding.settle(
                Severity::Critical,
                "the root user signed in to the console with only a password".to_owned(),
            );
        }
        return Ok(());
    }
    finding.describe(Verb::Called, &event.call_name());
    finding.settle(
        Severity::High,
        "performed by the root user, which has unrestricted access and should not be used for day-to-day work".to_owned(),
    );
    if event.record.user_identity.mfa() == Some(false) {
        finding.raise(
            Severity::Critical,
            "the root session was not MFA-authenticated".to_owned(),
        );
    }
    Ok(())
}

/// [`without_mfa`] and what it decides.
pub const WITHOUT_MFA: Judge = Judge {
    assess: without_mfa,
    decides: "",
};

/// An IAM user signed in to the console with a password alone (MEDIUM).
pub fn without_mfa(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let user = event.record.user_identity.display_name();
    finding.target(&user);
    finding.raise(
        Severity::Medium,
        format!(
            "only a password protected the sign-in of {user}: a stolen password is enough to get in"
        ),
    );
    finding.step(format!(
        "Require MFA for {user} (an IAM policy denying actions without aws:MultiFactorAuthPresent)"
    ));
    Ok(())
}

/// [`failure`] and what it decides.
pub const FAILURE: Judge = Judge {
    assess: failure,
    decides: "MEDIUM for root",
};

/// A failed console sign-in: LOW, MEDIUM for root.
pub fn failure(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let identity = &event.record.user_identity;
    let message = event
        .record
        .error_message
        .as_deref()
        .unwrap_or("no reason recorded");
    if identity.is_root() {
        finding.settle(
            Severity::Medium,
            format!("a wrong root password or MFA code was given ({message})"),
        );
    } else {
        finding.settle(
            Severity::Low,
            format!(
                "the sign-in failed ({message}); many failures in a row point to password guessing"
            ),
        );
    }
    finding.step("Look for more failed sign-ins from the same source IP address".to_owned());
    Ok(())
}
