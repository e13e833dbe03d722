//! Stateful monitors (pack `stateful`): bursts, first uses and attack
//! sequences no single event shows. Those that count read-only calls are also
//! in `read-only`, which is off by default: they need the read-only rule.

use super::Pack::{ReadOnly, Stateful};
use super::{Monitor, Pack, Selects, calls, means, read_only};
use crate::finding::Verb::*;
use crate::selector::{Call, Condition, Field, Selector, Test};
use crate::stateful::{FirstSeen, Key, Rule, Sequence, Step, StepSelects, Threshold};
use contract::Severity::{Critical, High, Info, Medium};

/// A stateful monitor: `selectors` pick its events, `rule` says when they alert.
const fn stateful(
    id: &'static str,
    title: &'static str,
    packs: &'static [Pack],
    selectors: &'static [Selector],
    rule: Rule,
    techniques: &'static [&'static str],
) -> Monitor {
    Monitor {
        selects: Selects::Services(selectors),
        state: Some(rule),
        ..calls(id, title, packs, selectors[0], &[], techniques)
    }
}

/// The call succeeded: no `errorCode`.
const NO_ERROR: Condition = Condition {
    field: Field::ErrorCode,
    any_of: &[Test::Exists(false)],
};
const SUCCEEDED: &[Condition] = &[NO_ERROR];

const SECRET_READ: Selector = Selector::calls(
    "secretsmanager.amazonaws.com",
    // BatchGetSecretValue records a GetSecretValue event per secret it reads.
    &[Call::named(
        "GetSecretValue",
        means(Retrieved, "secret", Info),
    )],
)
.when(SUCCEEDED);

/// `secrets-mass-read`.
pub const SECRETS_MASS_READ: Monitor = read_only(stateful(
    "secrets-mass-read",
    "Many secrets read by one caller",
    &[Stateful, ReadOnly],
    &[SECRET_READ],
    Rule::Threshold(Threshold {
        key: Key::Principal,
        distinct: Some(Key::Path(&["requestParameters.secretId"])),
        count: 20,
        window_minutes: 60,
        counts: "distinct secrets read",
        severity: High,
    }),
    &["T1555.006"],
))
.answers(&["elastic:credential_access_rapid_secret_retrieval_attempts_from_secretsmanager"]);

const PARAMETERS_DECRYPTED: Selector = Selector::calls(
    "ssm.amazonaws.com",
    &[
        Call::named("GetParameter", means(Retrieved, "SSM parameter", Info)),
        Call::named("GetParameters", means(Retrieved, "SSM parameters", Info)),
    ],
)
.when(&[
    Condition {
        field: Field::WithDecryption,
        any_of: &[Test::Bool(true)],
    },
    NO_ERROR,
]);

/// `ssm-parameters-mass-read`.
pub const SSM_PARAMETERS_MASS_READ: Monitor = read_only(stateful(
    "ssm-parameters-mass-read",
    "Many SSM parameters decrypted by one caller",
    &[Stateful, ReadOnly],
    &[PARAMETERS_DECRYPTED],
    Rule::Threshold(Threshold {
        key: Key::Principal,
        distinct: Some(Key::Path(&[
            "requestParameters.name",
            "requestParameters.names",
        ])),
        count: 25,
        window_minutes: 60,
        counts: "distinct SSM parameters decrypted",
        severity: High,
    }),
    &["T1555.006"],
));

const SIGN_IN_FAILED: Condition = Condition {
    field: Field::SignInResult,
    any_of: &[Test::Exact("Failure")],
};

const USER_SIGN_IN_FAILED: Selector = Selector::sign_in(&[Call::named(
    "ConsoleLogin",
    means(FailedToSignIn, "to the console", Info),
)])
.when(&[
    SIGN_IN_FAILED,
    Condition {
        field: Field::IdentityType,
        any_of: &[Test::AnythingBut("Root")],
    },
]);

/// `console-sign-in-failures-by-user`.
pub const CONSOLE_SIGN_IN_FAILURES_BY_USER: Monitor = stateful(
    "console-sign-in-failures-by-user",
    "Repeated console sign-in failures for one user",
    &[Stateful],
    &[USER_SIGN_IN_FAILED],
    Rule::Threshold(Threshold {
        key: Key::UserName,
        distinct: None,
        count: 10,
        window_minutes: 60,
        counts: "failed console sign-ins",
        severity: High,
    }),
    &["T1110.001"],
)
.answers(&[
    "elastic:credential_access_console_login_brute_force_by_user",
    "panther:aws_console_login_failed",
]);

/// `console-sign-in-spraying`.
pub const CONSOLE_SIGN_IN_SPRAYING: Monitor = stateful(
    "console-sign-in-spraying",
    "Console sign-in failures for many users from one address",
    &[Stateful],
    &[USER_SIGN_IN_FAILED],
    Rule::Threshold(Threshold {
        key: Key::SourceIp,
        distinct: Some(Key::UserName),
        count: 10,
        window_minutes: 60,
        counts: "distinct users failing to sign in",
        severity: High,
    }),
    &["T1110.003"],
)
.answers(&[
    "elastic:credential_access_console_login_brute_force_by_ip",
    "panther:aws_cloudtrail_password_spraying",
]);

const ROOT_SIGN_IN_FAILED: Selector = Selector::sign_in(&[Call::named(
    "ConsoleLogin",
    means(FailedToSignIn, "to the console as root", Info),
)])
.when(&[
    SIGN_IN_FAILED,
    Condition {
        field: Field::IdentityType,
        any_of: &[Test::Exact("Root")],
    },
]);

/// `root-sign-in-failures`.
pub const ROOT_SIGN_IN_FAILURES: Monitor = stateful(
    "root-sign-in-failures",
    "Repeated root sign-in failures",
    &[Stateful],
    &[ROOT_SIGN_IN_FAILED],
    Rule::Threshold(Threshold {
        key: Key::Account,
        distinct: None,
        count: 10,
        window_minutes: 60,
        counts: "failed root sign-ins",
        severity: Critical,
    }),
    &["T1110"],
)
.answers(&[
    "elastic:credential_access_root_console_failure_brute_force",
    "panther:aws_console_root_login_failed",
]);

const TRUST_POLICY_MALFORMED: Selector = Selector::calls(
    "iam.amazonaws.com",
    &[Call::named(
        "UpdateAssumeRolePolicy",
        means(Changed, "role trust policy", Info),
    )],
)
.when(&[Condition {
    field: Field::ErrorCode,
    any_of: &[Test::Exact("MalformedPolicyDocumentException")],
}]);

/// `iam-principal-enumeration`.
pub const IAM_PRINCIPAL_ENUMERATION: Monitor = stateful(
    "iam-principal-enumeration",
    "Many malformed trust policies: principals of other accounts probed",
    &[Stateful],
    &[TRUST_POLICY_MALFORMED],
    Rule::Threshold(Threshold {
        key: Key::Principal,
        distinct: None,
        count: 25,
        window_minutes: 60,
        counts: "trust policy updates refused as malformed",
        severity: High,
    }),
    &["T1087.004"],
);

const S3_DENIED: Selector = Selector {
    // The denied-calls monitor's own test (S3 writes `AccessDenied`), so the
    // rules can tell these events from the calls other monitors select.
    when: &[Condition {
        field: Field::ErrorCode,
        any_of: &[
            Test::Suffix("UnauthorizedOperation"),
            Test::Prefix("AccessDenied"),
        ],
    }],
    ..Selector::calls("s3.amazonaws.com", &[])
};

/// `s3-access-denied-burst`.
pub const S3_ACCESS_DENIED_BURST: Monitor = read_only(stateful(
    "s3-access-denied-burst",
    "Burst of denied S3 calls from one address",
    &[Stateful, ReadOnly],
    &[S3_DENIED],
    Rule::Threshold(Threshold {
        key: Key::SourceIp,
        distinct: None,
        count: 40,
        window_minutes: 60,
        counts: "denied S3 calls",
        severity: Medium,
    }),
    &["T1619"],
));

const SEND_COMMAND: Selector = Selector::calls(
    "ssm.amazonaws.com",
    &[Call::named("SendCommand", means(Sent, "SSM command", Info))],
)
.when(SUCCEEDED);

/// `ssm-command-many-instances`.
pub const SSM_COMMAND_MANY_INSTANCES: Monitor = stateful(
    "ssm-command-many-instances",
    "SSM commands sent to many instances by one caller",
    &[Stateful],
    &[SEND_COMMAND],
    Rule::Threshold(Threshold {
        key: Key::Principal,
        distinct: Some(Key::Path(&["requestParameters.instanceIds"])),
        count: 10,
        window_minutes: 60,
        counts: "distinct instances sent commands",
        severity: High,
    }),
    &["T1651"],
);

const SESSION_OR_COMMAND: Selector = Selector::calls(
    "ssm.amazonaws.com",
    &[
        Call::named("SendCommand", means(Sent, "SSM command", Info)),
        Call::named("StartSession", means(Started, "SSM session", Info)),
    ],
)
.when(SUCCEEDED);

/// `ssm-first-session-or-command`.
pub const SSM_FIRST_SESSION_OR_COMMAND: Monitor = stateful(
    "ssm-first-session-or-command",
    "First SSM session or command by a caller",
    &[Stateful],
    &[SESSION_OR_COMMAND],
    Rule::FirstSeen(FirstSeen {
        key: Key::Principal,
        value: Key::Call,
        forget_days: 30,
        learning_days: 7,
        names: "use of",
        severity: Medium,
    }),
    &["T1651", "T1021.007"],
);

const PRINCIPAL_CREATED: Selector = Selector::calls(
    "iam.amazonaws.com",
    &[
        Call::named("CreateUser", means(Created, "user", Info)),
        Call::named("CreateRole", means(Created, "role", Info)),
    ],
)
.when(SUCCEEDED);

const ADMIN_ATTACHED: Selector = Selector::calls(
    "iam.amazonaws.com",
    &[
        Call::named("AttachUserPolicy", means(Attached, "policy to user", Info)),
        Call::named("AttachRolePolicy", means(Attached, "policy to role", Info)),
    ],
)
.when(&[
    Condition {
        field: Field::PolicyArn,
        any_of: &[Test::Suffix(":policy/AdministratorAccess")],
    },
    NO_ERROR,
]);

/// Users and roles, named apart (`userName=x`, `roleName=x`).
const IAM_PRINCIPAL: Key =
    Key::Labeled(&["requestParameters.userName", "requestParameters.roleName"]);

/// `new-principal-made-admin`.
pub const NEW_PRINCIPAL_MADE_ADMIN: Monitor = stateful(
    "new-principal-made-admin",
    "New user or role given AdministratorAccess",
    &[Stateful],
    &[PRINCIPAL_CREATED, ADMIN_ATTACHED],
    Rule::Sequence(Sequence {
        first: Step {
            selects: StepSelects::Selector(&PRINCIPAL_CREATED),
            key: IAM_PRINCIPAL,
            says: "created",
        },
        then: Step {
            selects: StepSelects::Selector(&ADMIN_ATTACHED),
            key: IAM_PRINCIPAL,
            says: "given AdministratorAccess",
        },
        within_minutes: 60,
        severity: Critical,
    }),
    &[
        "aws.persistence.iam-create-admin-user",
        "T1136.003",
        "T1098",
    ],
);

const BEDROCK: &str = "bedrock.amazonaws.com";

const MODELS_LISTED: Selector = Selector::calls(
    BEDROCK,
    &[Call::named(
        "ListFoundationModels",
        means(Called, "foundation model list", Info),
    )],
)
.when(SUCCEEDED);

const MODEL_INVOKED: Selector = Selector::calls(
    BEDROCK,
    &[
        Call::named("InvokeModel", means(Called, "model", Info)),
        Call::named(
            "InvokeModelWithResponseStream",
            means(Called, "model", Info),
        ),
        Call::named("Converse", means(Called, "model", Info)),
        Call::named("ConverseStream", means(Called, "model", Info)),
    ],
)
.when(SUCCEEDED);

/// `bedrock-llm-jacking`.
pub const BEDROCK_LLM_JACKING: Monitor = read_only(stateful(
    "bedrock-llm-jacking",
    "Foundation models listed, then invoked by the same caller",
    &[Stateful, ReadOnly],
    &[MODELS_LISTED, MODEL_INVOKED],
    Rule::Sequence(Sequence {
        first: Step {
            selects: StepSelects::Selector(&MODELS_LISTED),
            key: Key::Principal,
            says: "listed the foundation models",
        },
        then: Step {
            selects: StepSelects::Selector(&MODEL_INVOKED),
            key: Key::Principal,
            says: "invoked a model",
        },
        within_minutes: 15,
        severity: High,
    }),
    &["aws.impact.bedrock-invoke-model", "T1496.004"],
));
