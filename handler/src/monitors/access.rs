//! Who gets in: root use, denied calls, console sign-ins.

use super::Pack::{Cis, Stratus};
use super::{Failure, Monitor, Selects, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::selector::{Call, Condition, Field, Kind, Selector, Test};
use contract::Severity::{self, High, Low, Medium};

/// `root-account-usage`.
pub const ROOT_ACCOUNT_USAGE: Monitor = Monitor {
    id: "root-account-usage",
    title: "Root user used",
    packs: &[Cis],
    // Every root event: the other rules exclude root events (so none is
    // delivered twice), and the judge dismisses what CIS's filter leaves out.
    selects: Selects::Calls(Selector {
        when: &[Condition {
            field: Field::IdentityType,
            any_of: &[Test::Exact("Root")],
        }],
        ..Selector::any(Kind::Any)
    }),
    assess: Some(ROOT_USAGE),
    own: None,
    // The root credentials were used whether or not the call succeeded.
    failure: Failure::Finding,
    // Root reading is root use: CIS's metric filter sees every event.
    reads: true,
    controls: &["CIS CloudWatch.1"],
    techniques: &["T1078.004"],
    state: None,
    references: &[],
};

/// `unauthorized-api-calls`.
pub const UNAUTHORIZED_API_CALLS: Monitor = Monitor {
    id: "unauthorized-api-calls",
    title: "API call denied",
    packs: &[Cis],
    selects: Selects::Calls(Selector {
        when: &[Condition {
            field: Field::ErrorCode,
            any_of: &[
                Test::Suffix("UnauthorizedOperation"),
                Test::Prefix("AccessDenied"),
            ],
        }],
        ..Selector::any(Kind::ApiCall)
    }),
    assess: Some(UNAUTHORIZED),
    own: None,
    failure: Failure::Finding,
    // A denied List or Describe call is the classic reconnaissance signal,
    // and CIS's metric filter sees reads too.
    reads: true,
    controls: &["CIS CloudWatch.2"],
    techniques: &[],
    state: None,
    references: &[],
};

/// `console-sign-in-without-mfa`.
pub const CONSOLE_SIGN_IN_WITHOUT_MFA: Monitor = Monitor {
    id: "console-sign-in-without-mfa",
    title: "Console sign-in without MFA",
    packs: &[Cis, Stratus],
    selects: Selects::Calls(
        Selector::sign_in(&[Call::named(
            "ConsoleLogin",
            means(SignedIn, "to the console without MFA", Medium),
        )
        .refine(WITHOUT_MFA)])
        .when(&[
            Condition {
                field: Field::IdentityType,
                any_of: &[Test::Exact("IAMUser")],
            },
            Condition {
                field: Field::SignInResult,
                any_of: &[Test::Exact("Success")],
            },
            Condition {
                field: Field::MfaUsed,
                any_of: &[Test::IgnoringCase("No")],
            },
            Condition {
                field: Field::MfaIdentifier,
                any_of: &[Test::Exists(false)],
            },
        ]),
    ),
    assess: None,
    own: None,
    failure: Failure::Attempt,
    reads: false,
    controls: &["CIS CloudWatch.3"],
    techniques: &["aws.initial-access.console-login-without-mfa", "T1078.004"],
    state: None,
    references: &[],
};

/// `console-sign-in-failure`.
pub const CONSOLE_SIGN_IN_FAILURE: Monitor = Monitor {
    id: "console-sign-in-failure",
    title: "Console sign-in failed",
    packs: &[Cis],
    selects: Selects::Calls(
        Selector::sign_in(&[Call::named(
            "ConsoleLogin",
            means(FailedToSignIn, "to the console", Low),
        )
        .refine(FAILURE)])
        .when(&[Condition {
            field: Field::SignInResult,
            any_of: &[Test::Exact("Failure")],
        }]),
    ),
    assess: None,
    own: None,
    failure: Failure::Finding,
    reads: false,
    controls: &["CIS CloudWatch.6"],
    techniques: &["T1110"],
    state: None,
    references: &[],
};

/// `console-session-from-api-credentials`.
pub const CONSOLE_SESSION_FROM_API_CREDENTIALS: Monitor = Monitor {
    id: "console-session-from-api-credentials",
    title: "Console session made from API credentials",
    packs: &[],
    selects: Selects::Services(&[
        // The federation endpoint records its token requests as sign-in
        // events; either detail type is taken.
        Selector {
            kind: Kind::Any,
            ..Selector::sign_in(&[Call::named(
                "GetSigninToken",
                means(SignedIn, "to the console with a token made from API credentials", High),
            )
            .refine(SIGN_IN_TOKEN)])
        },
        Selector::sign_in(&[Call::named(
            "ConsoleLogin",
            means(SignedIn, "to the console as a federated user", Medium)
                .why("the session comes from GetFederationToken credentials, a way from access keys to the console"),
        )])
        .when(&[
            Condition {
                field: Field::IdentityType,
                any_of: &[Test::Exact("FederatedUser")],
            },
            Condition {
                field: Field::SignInResult,
                any_of: &[Test::Exact("Success")],
            },
        ]),
    ]),
    assess: None,
    own: None,
    failure: Failure::Attempt,
    reads: false,
    controls: &[],
    techniques: &["T1550.001", "T1021.007"],
    state: None,
    references: &[
        "elastic:lateral_movement_ec2_instance_console_login",
        "elastic:initial_access_signin_console_login_federated_user",
        "panther:aws_console_getsignintoken",
        "sigma:aws_console_getsignintoken",
    ],
};

/// [`sign_in_token`] and what it decides.
pub const SIGN_IN_TOKEN: Judge = Judge {
    assess: sign_in_token,
    decides: "HIGH unless the IAM Identity Center portal made it (a session of a role under /aws-reserved/sso.amazonaws.com/), which is dismissed",
};

/// GetSigninToken: the Identity Center portal mints console sessions this
/// way; anything else turned API credentials into a console session.
pub fn sign_in_token(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let identity = &event.record.user_identity;
    // Identity Center's roles live under the path `/aws-reserved/sso.amazonaws.com/`,
    // which only AWS can create roles in; a role merely named `AWSReservedSSO_...`
    // elsewhere is not one of them.
    let portal = identity.kind.as_deref() == Some("AssumedRole")
        && identity
            .session_issuer()
            .is_some_and(|arn| arn.contains(":role/aws-reserved/sso.amazonaws.com/"));
    if portal {
        finding.dismiss("the IAM Identity Center portal made the console session");
        return Ok(());
    }
    let kind = identity.kind.as_deref().unwrap_or("unknown");
    finding.raise(
        Severity::High,
        format!("a console session was made from {kind} credentials without a console sign-in: stolen access keys reach the console this way, with no MFA asked"),
    );
    finding.step("Confirm the caller meant to open the console with these credentials; if not, revoke the credentials' sessions".to_owned());
    Ok(())
}

/// [`root_usage`] and what it decides.
pub const ROOT_USAGE: Judge = Judge {
    assess: root_usage,
    decides: "console sign-in CRITICAL without MFA, HIGH with it, MEDIUM when it failed; API calls HIGH, CRITICAL when the session has no MFA or a long-term root access key was used; MEDIUM when root adds MFA to itself",
};

/// Root use: a sign-in is CRITICAL without MFA and HIGH with it; an API call HIGH,
/// CRITICAL when the session has no MFA.
pub fn root_usage(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    // CIS's filter: `$.userIdentity.invokedBy NOT EXISTS` and `$.eventType !=
    // "AwsServiceEvent"` (records without `eventType` pass).
    if event.record.user_identity.invoked_by.is_some()
        || event.record.event_type.as_deref() == Some("AwsServiceEvent")
    {
        finding.dismiss(
            "a service acted on the root user's behalf, which CIS does not count as root use",
        );
        return Ok(());
    }
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
    let identity = &event.record.user_identity;
    let name = event.record.event_name.as_deref().unwrap_or_default();
    if MFA_SETUP.contains(&name) && event.record.error_code.is_none() {
        finding.settle(
            Severity::Medium,
            format!("the root user called {name}: adding MFA to root is a remediation; confirm the account owner did it"),
        );
        return Ok(());
    }
    finding.settle(
        Severity::High,
        "performed by the root user, which has unrestricted access and should not be used for day-to-day work".to_owned(),
    );
    if identity.mfa() == Some(false) {
        finding.raise(
            Severity::Critical,
            "the root session was not MFA-authenticated".to_owned(),
        );
    }
    if identity
        .access_key_id
        .as_deref()
        .is_some_and(|key| key.starts_with("AKIA"))
    {
        finding.raise(
            Severity::Critical,
            "a long-term root access key was used: no console session and no MFA stand between its holder and the whole account".to_owned(),
        );
        finding.step(
            "Delete the root access key unless it is known and needed (it rarely is)".to_owned(),
        );
    }
    Ok(())
}

/// Calls by which root adds MFA to itself.
const MFA_SETUP: &[&str] = &[
    "CreateVirtualMFADevice",
    "EnableMFADevice",
    "ResyncMFADevice",
];

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

/// [`unauthorized`] and what it decides.
pub const UNAUTHORIZED: Judge = Judge {
    assess: unauthorized,
    decides: "LOW: the denial is the finding",
};

/// A denied call: the denial is the finding (LOW; CIS CloudWatch.2).
pub fn unauthorized(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let call = event.call_name();
    let code = event.record.error_code.as_deref().unwrap_or_default();
    finding.describe(Verb::WasDenied, &call);
    finding.settle(
        Severity::Low,
        format!("the caller lacked permission for {call} ({code}): bursts of denials point to stolen credentials probing what they may do"),
    );
    finding.step("Look for other denied calls by the same principal in the last hour".to_owned());
    Ok(())
}
