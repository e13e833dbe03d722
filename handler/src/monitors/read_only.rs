//! Read-only calls that retrieve secrets (pack `read-only`, off by default).

use super::Pack::ReadOnly;
use super::{CHECK_CALLER, EC2, Monitor, calls, means, read_only};
use crate::finding::Verb::*;
use crate::selector::{Call, Condition, Field, Selector, Test};
use contract::Severity::{Low, Medium};

/// `secrets-retrieved`.
pub const SECRETS_RETRIEVED: Monitor = read_only(calls(
    "secrets-retrieved",
    "Secrets Manager secret read",
    &[ReadOnly],
    Selector::calls(
        "secretsmanager.amazonaws.com",
        &[
            Call::named(
                "GetSecretValue",
                means(Retrieved, "secret", Low).target(&["secretId"]),
            ),
            Call::named(
                "BatchGetSecretValue",
                means(Retrieved, "secrets in bulk", Medium)
                    .why("reading many secrets at once is how attackers harvest credentials")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &[
        "aws.credential-access.secretsmanager-retrieve-secrets",
        "aws.credential-access.secretsmanager-batch-retrieve-secrets",
        "T1555.006",
    ],
));

/// `ssm-parameters-decrypted`.
pub const SSM_PARAMETERS_DECRYPTED: Monitor = read_only(calls(
    "ssm-parameters-decrypted",
    "SSM SecureString parameters read",
    &[ReadOnly],
    Selector::calls(
        "ssm.amazonaws.com",
        &[
            Call::named(
                "GetParameter",
                means(Retrieved, "decrypted SSM parameter", Low).target(&["name"]),
            ),
            Call::named(
                "GetParameters",
                means(Retrieved, "decrypted SSM parameters", Low),
            ),
            Call::named(
                "GetParametersByPath",
                means(Retrieved, "decrypted SSM parameters under", Low).target(&["path"]),
            ),
        ],
    )
    .when(&[Condition {
        field: Field::WithDecryption,
        any_of: &[Test::Bool(true)],
    }]),
    &[],
    &[
        "aws.credential-access.ssm-retrieve-securestring-parameters",
        "T1555.006",
    ],
));

/// `ec2-password-data`.
pub const EC2_PASSWORD_DATA: Monitor = read_only(calls(
    "ec2-password-data",
    "EC2 Windows password data read",
    &[ReadOnly],
    Selector::calls(
        EC2,
        &[Call::named(
            "GetPasswordData",
            means(Retrieved, "the Windows password data of instance", Medium)
                .target(&["instanceId"])
                .why("the data decrypts to the instance's administrator password")
                .check(CHECK_CALLER),
        )],
    ),
    &[],
    &["aws.credential-access.ec2-get-password-data", "T1552"],
));

/// `ec2-user-data-read`.
pub const EC2_USER_DATA_READ: Monitor = read_only(calls(
    "ec2-user-data-read",
    "EC2 user data read",
    &[ReadOnly],
    Selector::calls(
        EC2,
        &[Call::named(
            "DescribeInstanceAttribute",
            means(Retrieved, "the user data of instance", Low)
                .target(&["instanceId"])
                .why("user data often holds bootstrap secrets"),
        )],
    )
    .when(&[Condition {
        field: Field::Attribute,
        any_of: &[Test::Exact("userData")],
    }]),
    &[],
    &["aws.discovery.ec2-download-user-data"],
));
