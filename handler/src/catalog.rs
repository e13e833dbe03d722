//! The monitor catalog: what trailwatch watches and how it judges it. Each monitor
//! owns one [`Selector`], from which both its EventBridge pattern and its
//! in-process match are derived, so the rules and the handler can never disagree.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::assess::{
    Judge, OwnJudge, Rule, Verb, bucket_acl, bucket_policy, iam, public_access_block,
    security_group, services, sharing, sign_in, tamper,
};
use crate::event::Event;
use crate::matcher::Matcher;
use crate::selector::{Call, Condition, Field, Kind, Selector, Test};
use crate::severity::Severity::{self, Critical, High, Low, Medium};

/// A named group of monitors, selectable as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pack {
    /// The four calls of the original design.
    Seed,
    /// CIS AWS Foundations monitoring controls (Security Hub CloudWatch.1-14).
    Cis,
    /// Stratus Red Team attack techniques with write management events.
    Stratus,
    /// Read-only calls: need the read-only rule, off by default.
    ReadOnly,
}

impl Pack {
    /// Every pack.
    pub const ALL: [Pack; 4] = [Pack::Seed, Pack::Cis, Pack::Stratus, Pack::ReadOnly];

    /// The name used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Pack::Seed => "seed",
            Pack::Cis => "cis",
            Pack::Stratus => "stratus",
            Pack::ReadOnly => "read-only",
        }
    }
}

impl fmt::Display for Pack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a failed call means to a monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// An attempt: reported as such, never more severe than its success.
    Attempt,
    /// The failure is what the monitor looks for (denied calls, failed sign-ins).
    Finding,
}

/// How a monitor selects events.
#[derive(Debug)]
pub enum Selects {
    /// A built-in monitor's typed selector, with a rule per named call.
    Calls(Selector),
    /// A built-in monitor of calls to several services: a selector each.
    Services(&'static [Selector]),
    /// A custom monitor's EventBridge pattern, judged with a fixed severity.
    Pattern(Pattern),
}

/// A custom monitor's pattern (JSON text) and the severity its events get.
#[derive(Debug, Clone, Copy)]
pub struct Pattern {
    pub json: &'static str,
    pub severity: Severity,
}

/// One monitor.
#[derive(Debug)]
pub struct Monitor {
    /// Stable identifier, used in alerts, attributes and configuration.
    pub id: &'static str,
    /// What the monitor watches, for people.
    pub title: &'static str,
    pub packs: &'static [Pack],
    pub selects: Selects,
    /// Judges events the selector takes without naming a call (root usage, denied calls).
    pub assess: Option<Judge>,
    /// Judges what the call did to trailwatch's own resources.
    pub own: Option<OwnJudge>,
    pub failure: Failure,
    /// Selects read-only calls too: they reach a rule only in the state
    /// `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`, so its pattern goes to
    /// a rule in that state.
    pub reads: bool,
    /// Controls it implements, such as `CIS CloudWatch.4`.
    pub controls: &'static [&'static str],
    /// Stratus Red Team ids and MITRE ATT&CK ids it detects.
    pub techniques: &'static [&'static str],
}

impl Monitor {
    /// The typed selectors of a built-in monitor (none for a custom one).
    pub fn selectors(&self) -> &[Selector] {
        match &self.selects {
            Selects::Calls(selector) => std::slice::from_ref(selector),
            Selects::Services(selectors) => selectors,
            Selects::Pattern(_) => &[],
        }
    }

    /// Whether the monitor watches named calls (rather than every call of a
    /// kind, like root use or denied calls): such a monitor titles an alert.
    pub fn names_calls(&self) -> bool {
        self.selectors().iter().all(|s| !s.calls.is_empty())
    }

    /// The monitor's EventBridge pattern (several services' as one `$or`).
    pub fn pattern(&self) -> Value {
        match &self.selects {
            Selects::Calls(selector) => selector.pattern(),
            Selects::Services(selectors) => {
                serde_json::json!({"$or": selectors.iter().map(Selector::pattern).collect::<Vec<_>>()})
            }
            // Checked when the custom monitor was built.
            Selects::Pattern(pattern) => serde_json::from_str(pattern.json).unwrap_or_default(),
        }
    }

    /// The highest severity the monitor can give: a custom monitor's own, a
    /// plain call's rule, or CRITICAL where code judges (it may raise).
    pub fn ceiling(&self) -> Severity {
        if let Selects::Pattern(pattern) = &self.selects {
            return pattern.severity;
        }
        let calls = self.selectors().iter().flat_map(|s| s.calls);
        let judged = self.assess.is_some()
            || self.own.is_some()
            || calls.clone().any(|c| c.refine.is_some());
        if judged || !self.names_calls() {
            return Severity::Critical;
        }
        calls
            .map(|call| call.rule.severity)
            .max()
            .unwrap_or(Severity::Critical)
    }

    /// Whether the monitor watches only global services, whose events occur
    /// in [`GLOBAL_REGION`] alone.
    pub fn global(&self) -> bool {
        match &self.selects {
            Selects::Calls(_) | Selects::Services(_) => self.selectors().iter().all(|selector| {
                selector
                    .event_source
                    .is_some_and(|source| GLOBAL_EVENT_SOURCES.contains(&source))
            }),
            Selects::Pattern(_) => {
                let global: Vec<String> = GLOBAL_EVENT_SOURCES
                    .iter()
                    .map(|s| crate::selector::source_of(s))
                    .collect();
                let pattern = self.pattern();
                let sources = pattern["source"].as_array().map(Vec::as_slice);
                sources.is_some_and(|sources| {
                    !sources.is_empty()
                        && sources
                            .iter()
                            .all(|s| s.as_str().is_some_and(|s| global.iter().any(|g| g == s)))
                })
            }
        }
    }

    /// Whether the monitor belongs to `pack`.
    pub fn in_pack(&self, pack: Pack) -> bool {
        self.packs.contains(&pack)
    }
}

const fn rule(verb: Verb, object: &'static str, severity: Severity) -> Rule {
    Rule::new(verb, object, severity)
}

/// A monitor of plain calls of one service with the default failure handling.
const fn calls(
    id: &'static str,
    title: &'static str,
    packs: &'static [Pack],
    selector: Selector,
    controls: &'static [&'static str],
    techniques: &'static [&'static str],
) -> Monitor {
    Monitor {
        id,
        title,
        packs,
        selects: Selects::Calls(selector),
        assess: None,
        own: None,
        failure: Failure::Attempt,
        reads: false,
        controls,
        techniques,
    }
}

const fn read_only(monitor: Monitor) -> Monitor {
    Monitor {
        reads: true,
        ..monitor
    }
}

use Pack::{Cis, ReadOnly, Seed, Stratus};
use Verb::*;

const IAM: &str = "iam.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const CLOUDWATCH: &str = "monitoring.amazonaws.com";

/// Id of the monitor of changes to trailwatch itself.
pub const TAMPER: &str = "trailwatch-tamper";

/// Calls made by a person or a program, not by an AWS service on their behalf
/// (`invokedBy` absent): CloudFormation's changes to the stack are not tampering.
const NOT_BY_A_SERVICE: &[Condition] = &[Condition {
    field: Field::InvokedBy,
    any_of: &[Test::Exists(false)],
}];

const CHECK_CALLER: &str = "Confirm with the caller that the change was planned; if not, treat the caller's credentials as compromised";
const CHECK_NETWORK: &str = "Compare the change with your infrastructure code; an unplanned network change can open or hide a path";

/// Every monitor trailwatch ships.
pub const CATALOG: &[Monitor] = &[
    // The original design's four calls, judged closely.
    calls(
        "iam-create-user",
        "IAM user created",
        &[Seed, Stratus],
        Selector::calls(
            IAM,
            &[Call::named(
                "CreateUser",
                rule(Created, "IAM user", Medium)
                    .target(&["userName"])
                    .check("Confirm the new user was expected; list its keys, policies and groups")
                    .revert("aws iam delete-user --user-name {target}"),
            )
            .refine(iam::CREATE_USER)],
        ),
        &[],
        &["aws.persistence.iam-create-admin-user", "T1136.003"],
    ),
    calls(
        "iam-create-access-key",
        "IAM access key created",
        &[Seed, Stratus],
        Selector::calls(
            IAM,
            &[Call::named(
                "CreateAccessKey",
                rule(Created, "an access key", Medium)
                    .check("Confirm the key owner asked for it; keys made for others are a persistence technique"),
            )
            .refine(iam::CREATE_ACCESS_KEY)],
        ),
        &[],
        &["aws.persistence.iam-backdoor-user", "T1098.001"],
    ),
    calls(
        "s3-bucket-policy",
        "S3 bucket policy changed",
        &[Seed, Cis, Stratus],
        Selector::calls(
            S3,
            &[Call::named(
                "PutBucketPolicy",
                rule(Changed, "the policy of S3 bucket", Low)
                    .target(&["bucketName"])
                    .check("Review the new policy's principals and conditions"),
            )
            .refine(bucket_policy::PUT_BUCKET_POLICY)],
        ),
        &["CIS CloudWatch.8"],
        &["aws.exfiltration.s3-backdoor-bucket-policy", "T1537"],
    ),
    calls(
        "ec2-security-group-ingress",
        "Security group ingress opened",
        &[Seed, Cis, Stratus],
        Selector::calls(
            EC2,
            &[Call::named(
                "AuthorizeSecurityGroupIngress",
                rule(Added, "ingress rules to", Low)
                    .check("Check which instances use the group and whether the port must be reachable"),
            )
            .refine(security_group::AUTHORIZE_INGRESS)],
        ),
        &["CIS CloudWatch.10"],
        &["aws.exfiltration.ec2-security-group-open-port-22-ingress", "T1562.007"],
    ),
    // CIS AWS Foundations monitoring controls (Security Hub CloudWatch.1-14).
    Monitor {
        id: "root-account-usage",
        title: "Root user used",
        packs: &[Cis],
        selects: Selects::Calls(Selector {
            when: &[
                Condition { field: Field::IdentityType, any_of: &[Test::Exact("Root")] },
                Condition { field: Field::InvokedBy, any_of: &[Test::Exists(false)] },
                Condition {
                    field: Field::EventType,
                    any_of: &[Test::Exact("AwsApiCall"), Test::Exact("AwsConsoleSignIn")],
                },
            ],
            ..Selector::any(Kind::Any)
        }),
        assess: Some(sign_in::ROOT_USAGE),
        own: None,
        // The root credentials were used whether or not the call succeeded.
        failure: Failure::Finding,
        // Root reading is root use: CIS's metric filter sees every event.
        reads: true,
        controls: &["CIS CloudWatch.1"],
        techniques: &["T1078.004"],
    },
    Monitor {
        id: "unauthorized-api-calls",
        title: "API call denied",
        packs: &[Cis],
        selects: Selects::Calls(Selector {
            when: &[Condition {
                field: Field::ErrorCode,
                any_of: &[Test::Suffix("UnauthorizedOperation"), Test::Prefix("AccessDenied")],
            }],
            ..Selector::any(Kind::ApiCall)
        }),
        assess: Some(services::UNAUTHORIZED),
        own: None,
        failure: Failure::Finding,
        // A denied List or Describe call is the classic reconnaissance signal,
        // and CIS's metric filter sees reads too.
        reads: true,
        controls: &["CIS CloudWatch.2"],
        techniques: &[],
    },
    Monitor {
        id: "console-sign-in-without-mfa",
        title: "Console sign-in without MFA",
        packs: &[Cis, Stratus],
        selects: Selects::Calls(Selector::sign_in(&[Call::named(
            "ConsoleLogin",
            rule(SignedIn, "to the console without MFA", Medium),
        )
        .refine(sign_in::WITHOUT_MFA)])
        .when(&[
            Condition { field: Field::IdentityType, any_of: &[Test::Exact("IAMUser")] },
            Condition { field: Field::SignInResult, any_of: &[Test::Exact("Success")] },
            Condition { field: Field::MfaUsed, any_of: &[Test::Exact("No")] },
        ])),
        assess: None,
        own: None,
        failure: Failure::Attempt,
        reads: false,
        controls: &["CIS CloudWatch.3"],
        techniques: &["aws.initial-access.console-login-without-mfa", "T1078.004"],
    },
    calls(
        "iam-policy-change",
        "IAM policy changed",
        &[Cis, Stratus],
        Selector::calls(
            IAM,
            &[
                Call::named("AttachUserPolicy", rule(Attached, "a managed policy to IAM user", Medium).target(&["userName"])).refine(iam::POLICY_CHANGE),
                Call::named("AttachRolePolicy", rule(Attached, "a managed policy to IAM role", Medium).target(&["roleName"])).refine(iam::POLICY_CHANGE),
                Call::named("AttachGroupPolicy", rule(Attached, "a managed policy to IAM group", Medium).target(&["groupName"])).refine(iam::POLICY_CHANGE),
                Call::named("PutUserPolicy", rule(Changed, "an inline policy of IAM user", Medium).target(&["userName"])).refine(iam::POLICY_CHANGE),
                Call::named("PutRolePolicy", rule(Changed, "an inline policy of IAM role", Medium).target(&["roleName"])).refine(iam::POLICY_CHANGE),
                Call::named("PutGroupPolicy", rule(Changed, "an inline policy of IAM group", Medium).target(&["groupName"])).refine(iam::POLICY_CHANGE),
                Call::named("CreatePolicy", rule(Created, "IAM policy", Medium).target(&["policyName"])).refine(iam::POLICY_CHANGE),
                Call::named("CreatePolicyVersion", rule(Created, "a new version of IAM policy", Medium).target(&["policyArn"])).refine(iam::POLICY_CHANGE),
                Call::named("SetDefaultPolicyVersion", rule(Changed, "the default version of IAM policy", Medium).target(&["policyArn"])).refine(iam::POLICY_CHANGE),
                Call::named("DetachUserPolicy", rule(Removed, "a managed policy from IAM user", Low).target(&["userName"])),
                Call::named("DetachRolePolicy", rule(Removed, "a managed policy from IAM role", Low).target(&["roleName"])),
                Call::named("DetachGroupPolicy", rule(Removed, "a managed policy from IAM group", Low).target(&["groupName"])),
                Call::named("DeleteUserPolicy", rule(Deleted, "an inline policy of IAM user", Low).target(&["userName"])),
                Call::named("DeleteRolePolicy", rule(Deleted, "an inline policy of IAM role", Low).target(&["roleName"])),
                Call::named("DeleteGroupPolicy", rule(Deleted, "an inline policy of IAM group", Low).target(&["groupName"])),
                Call::named("DeletePolicy", rule(Deleted, "IAM policy", Low).target(&["policyArn"])),
                Call::named("DeletePolicyVersion", rule(Deleted, "a version of IAM policy", Low).target(&["policyArn"])),
            ],
        ),
        &["CIS CloudWatch.4"],
        &["aws.persistence.iam-create-admin-user", "T1098.003"],
    ),
    calls(
        "cloudtrail-change",
        "CloudTrail configuration changed",
        &[Cis, Stratus],
        Selector::calls(
            "cloudtrail.amazonaws.com",
            &[
                Call::named(
                    "StopLogging",
                    rule(TurnedOff, "logging of CloudTrail trail", High)
                        .target(&["name"])
                        .why("API activity is no longer recorded by this trail: attackers stop logging before acting")
                        .check(CHECK_CALLER)
                        .revert("aws cloudtrail start-logging --name {target} --region {region}"),
                ),
                Call::named(
                    "DeleteTrail",
                    rule(Deleted, "CloudTrail trail", High)
                        .target(&["name"])
                        .why("API activity is no longer recorded by this trail and its configuration is gone")
                        .check("Recreate the trail from your infrastructure code and look for activity while it was gone"),
                ),
                Call::named(
                    "PutEventSelectors",
                    rule(Changed, "the event selectors of CloudTrail trail", Low)
                        .target(&["trailName"])
                        .check("Check the trail still records all management events"),
                )
                .refine(services::EVENT_SELECTORS),
                Call::named(
                    "UpdateTrail",
                    rule(Changed, "CloudTrail trail", Medium)
                        .target(&["name"])
                        .why("a trail's bucket, regions or encryption changed: logs may go elsewhere")
                        .check(CHECK_CALLER),
                ),
                Call::named("CreateTrail", rule(Created, "CloudTrail trail", Low).target(&["name"])),
                Call::named("StartLogging", rule(Started, "logging of CloudTrail trail", Low).target(&["name"])),
            ],
        ),
        &["CIS CloudWatch.5"],
        &[
            "aws.defense-evasion.cloudtrail-stop",
            "aws.defense-evasion.cloudtrail-delete",
            "aws.defense-evasion.cloudtrail-event-selectors",
            "T1562.008",
        ],
    ),
    Monitor {
        id: "console-sign-in-failure",
        title: "Console sign-in failed",
        packs: &[Cis],
        selects: Selects::Calls(Selector::sign_in(&[Call::named(
            "ConsoleLogin",
            rule(FailedToSignIn, "to the console", Low),
        )
        .refine(sign_in::FAILURE)])
        .when(&[Condition { field: Field::SignInResult, any_of: &[Test::Exact("Failure")] }])),
        assess: None,
        own: None,
        failure: Failure::Finding,
        reads: false,
        controls: &["CIS CloudWatch.6"],
        techniques: &["T1110"],
    },
    calls(
        "kms-key-disabled-or-deleted",
        "KMS key disabled or scheduled for deletion",
        &[Cis],
        Selector::calls(
            "kms.amazonaws.com",
            &[
                Call::named(
                    "ScheduleKeyDeletion",
                    rule(ScheduledDeletion, "KMS key", High)
                        .target(&["keyId"])
                        .why("data encrypted under the key becomes unrecoverable once it is deleted")
                        .check("Cancel the deletion unless the key is known to be unused")
                        .revert("aws kms cancel-key-deletion --key-id {target} --region {region}"),
                ),
                Call::named(
                    "DisableKey",
                    rule(TurnedOff, "KMS key", Medium)
                        .target(&["keyId"])
                        .why("data encrypted under the key cannot be read while it is disabled")
                        .check(CHECK_CALLER)
                        .revert("aws kms enable-key --key-id {target} --region {region}"),
                ),
            ],
        ),
        &["CIS CloudWatch.7"],
        &["T1485"],
    ),
    calls(
        "s3-bucket-acl",
        "S3 bucket ACL changed",
        &[Cis],
        Selector::calls(
            S3,
            &[Call::named(
                "PutBucketAcl",
                rule(Changed, "the ACL of S3 bucket", Low).target(&["bucketName"]),
            )
            .refine(bucket_acl::PUT_BUCKET_ACL)],
        ),
        &["CIS CloudWatch.8"],
        &[],
    ),
    calls(
        "s3-bucket-change",
        "S3 bucket lifecycle, replication or CORS changed",
        &[Cis, Stratus],
        Selector::calls(
            S3,
            &[
                Call::named(
                    "PutBucketLifecycle",
                    rule(Changed, "the lifecycle rules of S3 bucket", Low)
                        .target(&["bucketName"])
                        .why("lifecycle rules can expire objects: on a CloudTrail bucket they delete the logs")
                        .check("Check whether the bucket holds logs and how soon the rules expire objects"),
                ),
                Call::named(
                    "PutBucketReplication",
                    rule(Changed, "the replication of S3 bucket", Medium)
                        .target(&["bucketName"])
                        .why("replication copies every new object to another bucket, possibly in another account")
                        .check("Check the destination bucket and account"),
                ),
                Call::named("PutBucketCors", rule(Changed, "the CORS rules of S3 bucket", Low).target(&["bucketName"])),
                Call::named("DeleteBucketPolicy", rule(Deleted, "the policy of S3 bucket", Low).target(&["bucketName"])),
                Call::named("DeleteBucketCors", rule(Deleted, "the CORS rules of S3 bucket", Low).target(&["bucketName"])),
                Call::named("DeleteBucketLifecycle", rule(Deleted, "the lifecycle rules of S3 bucket", Low).target(&["bucketName"])),
                Call::named("DeleteBucketReplication", rule(Deleted, "the replication of S3 bucket", Low).target(&["bucketName"])),
            ],
        ),
        &["CIS CloudWatch.8"],
        &["aws.defense-evasion.cloudtrail-lifecycle-rule", "T1562.008"],
    ),
    calls(
        "config-change",
        "AWS Config changed",
        &[Cis],
        Selector::calls(
            "config.amazonaws.com",
            &[
                Call::named(
                    "StopConfigurationRecorder",
                    rule(TurnedOff, "AWS Config recorder", High)
                        .target(&["configurationRecorderName"])
                        .why("resource changes are no longer recorded or evaluated")
                        .check(CHECK_CALLER)
                        .revert("aws configservice start-configuration-recorder --configuration-recorder-name {target} --region {region}"),
                ),
                Call::named(
                    "DeleteConfigurationRecorder",
                    rule(Deleted, "AWS Config recorder", High)
                        .target(&["configurationRecorderName"])
                        .why("resource changes are no longer recorded or evaluated")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DeleteDeliveryChannel",
                    rule(Deleted, "AWS Config delivery channel", High)
                        .target(&["deliveryChannelName"])
                        .why("configuration history and snapshots are no longer delivered")
                        .check(CHECK_CALLER),
                ),
                Call::named("PutDeliveryChannel", rule(Changed, "AWS Config delivery channel", Low).target(&["deliveryChannel/name"])),
                Call::named("PutConfigurationRecorder", rule(Changed, "AWS Config recorder", Low).target(&["configurationRecorder/name"])),
            ],
        ),
        &["CIS CloudWatch.9"],
        &["T1562.001"],
    ),
    calls(
        "ec2-security-group-change",
        "Security group changed",
        &[Cis],
        Selector::calls(
            EC2,
            &[
                Call::named("AuthorizeSecurityGroupEgress", rule(Added, "egress rules to security group", Low).target(&["groupId"]).check(CHECK_NETWORK)),
                Call::named("RevokeSecurityGroupIngress", rule(Removed, "ingress rules from security group", Low).target(&["groupId", "groupName"]).check(CHECK_NETWORK)),
                Call::named("RevokeSecurityGroupEgress", rule(Removed, "egress rules from security group", Low).target(&["groupId"]).check(CHECK_NETWORK)),
                Call::named("ModifySecurityGroupRules", rule(Changed, "rules of security group", Low).target(&["ModifySecurityGroupRulesRequest/GroupId"]).check(CHECK_NETWORK)),
                Call::named("CreateSecurityGroup", rule(Created, "security group", Low).target(&["groupName"]).check(CHECK_NETWORK)),
                Call::named("DeleteSecurityGroup", rule(Deleted, "security group", Low).target(&["groupId", "groupName"]).check(CHECK_NETWORK)),
            ],
        ),
        &["CIS CloudWatch.10"],
        &["T1562.007"],
    ),
    calls(
        "ec2-network-acl-change",
        "Network ACL changed",
        &[Cis],
        Selector::calls(
            EC2,
            &[
                Call::named("CreateNetworkAcl", rule(Created, "a network ACL in", Low).target(&["vpcId"]).check(CHECK_NETWORK)),
                Call::named("CreateNetworkAclEntry", rule(Added, "an entry to network ACL", Low).target(&["networkAclId"]).check(CHECK_NETWORK)),
                Call::named("DeleteNetworkAcl", rule(Deleted, "network ACL", Low).target(&["networkAclId"]).check(CHECK_NETWORK)),
                Call::named("DeleteNetworkAclEntry", rule(Removed, "an entry from network ACL", Low).target(&["networkAclId"]).check(CHECK_NETWORK)),
                Call::named("ReplaceNetworkAclEntry", rule(Changed, "an entry of network ACL", Low).target(&["networkAclId"]).check(CHECK_NETWORK)),
                Call::named("ReplaceNetworkAclAssociation", rule(Changed, "the subnet association of network ACL", Low).target(&["networkAclId"]).check(CHECK_NETWORK)),
            ],
        ),
        &["CIS CloudWatch.11"],
        &["T1562.007"],
    ),
    calls(
        "ec2-network-gateway-change",
        "Network gateway changed",
        &[Cis],
        Selector::calls(
            EC2,
            &[
                Call::named("CreateCustomerGateway", rule(Created, "a customer gateway for", Low).target(&["ipAddress"]).check(CHECK_NETWORK)),
                Call::named("DeleteCustomerGateway", rule(Deleted, "customer gateway", Low).target(&["customerGatewayId"]).check(CHECK_NETWORK)),
                Call::named("CreateInternetGateway", rule(Created, "an internet gateway", Low).check(CHECK_NETWORK)),
                Call::named("AttachInternetGateway", rule(Attached, "internet gateway", Low).target(&["internetGatewayId"]).check(CHECK_NETWORK)),
                Call::named("DetachInternetGateway", rule(Removed, "internet gateway", Low).target(&["internetGatewayId"]).check(CHECK_NETWORK)),
                Call::named("DeleteInternetGateway", rule(Deleted, "internet gateway", Low).target(&["internetGatewayId"]).check(CHECK_NETWORK)),
            ],
        ),
        &["CIS CloudWatch.12"],
        &[],
    ),
    calls(
        "ec2-route-table-change",
        "Route table changed",
        &[Cis],
        Selector::calls(
            EC2,
            &[
                Call::named("CreateRoute", rule(Added, "a route to route table", Low).target(&["routeTableId"]).check(CHECK_NETWORK)),
                Call::named("ReplaceRoute", rule(Changed, "a route of route table", Low).target(&["routeTableId"]).check(CHECK_NETWORK)),
                Call::named("DeleteRoute", rule(Removed, "a route from route table", Low).target(&["routeTableId"]).check(CHECK_NETWORK)),
                Call::named("CreateRouteTable", rule(Created, "a route table in", Low).target(&["vpcId"]).check(CHECK_NETWORK)),
                Call::named("DeleteRouteTable", rule(Deleted, "route table", Low).target(&["routeTableId"]).check(CHECK_NETWORK)),
                Call::named("ReplaceRouteTableAssociation", rule(Changed, "route table association", Low).target(&["associationId"]).check(CHECK_NETWORK)),
                Call::named("DisassociateRouteTable", rule(Removed, "route table association", Low).target(&["associationId"]).check(CHECK_NETWORK)),
            ],
        ),
        &["CIS CloudWatch.13"],
        &[],
    ),
    calls(
        "ec2-vpc-change",
        "VPC changed",
        &[Cis],
        Selector::calls(
            EC2,
            &[
                Call::named("CreateVpc", rule(Created, "a VPC for", Low).target(&["cidrBlock"]).check(CHECK_NETWORK)),
                Call::named("DeleteVpc", rule(Deleted, "VPC", Low).target(&["vpcId"]).check(CHECK_NETWORK)),
                Call::named("ModifyVpcAttribute", rule(Changed, "an attribute of VPC", Low).target(&["vpcId"]).check(CHECK_NETWORK)),
                Call::named("CreateVpcPeeringConnection", rule(Created, "a peering connection from", Low).target(&["vpcId"]).check(CHECK_NETWORK)),
                Call::named("AcceptVpcPeeringConnection", rule(Changed, "(accepted) VPC peering connection", Low).target(&["vpcPeeringConnectionId"]).check(CHECK_NETWORK)),
                Call::named("RejectVpcPeeringConnection", rule(Changed, "(rejected) VPC peering connection", Low).target(&["vpcPeeringConnectionId"]).check(CHECK_NETWORK)),
                Call::named("DeleteVpcPeeringConnection", rule(Deleted, "VPC peering connection", Low).target(&["vpcPeeringConnectionId"]).check(CHECK_NETWORK)),
                Call::named("AttachClassicLinkVpc", rule(Attached, "an instance to ClassicLink VPC", Low).target(&["vpcId"]).check(CHECK_NETWORK)),
                Call::named("DetachClassicLinkVpc", rule(Removed, "an instance from ClassicLink VPC", Low).target(&["vpcId"]).check(CHECK_NETWORK)),
                Call::named("EnableVpcClassicLink", rule(Changed, "(enabled) ClassicLink of VPC", Low).target(&["vpcId"]).check(CHECK_NETWORK)),
                Call::named("DisableVpcClassicLink", rule(Changed, "(disabled) ClassicLink of VPC", Low).target(&["vpcId"]).check(CHECK_NETWORK)),
            ],
        ),
        &["CIS CloudWatch.14"],
        &[],
    ),
    // Attack techniques (Stratus Red Team) not covered above.
    calls(
        "vpc-flow-logs-deleted",
        "VPC flow logs deleted",
        &[Stratus],
        Selector::calls(
            EC2,
            &[Call::named(
                "DeleteFlowLogs",
                rule(Deleted, "VPC flow logs", High)
                    .target(&["DeleteFlowLogsRequest/FlowLogId/content"])
                    .why("network traffic is no longer recorded: attackers remove flow logs before acting")
                    .check(CHECK_CALLER),
            )],
        ),
        &[],
        &["aws.defense-evasion.vpc-remove-flow-logs", "T1562.008"],
    ),
    calls(
        "dns-query-logging-deleted",
        "DNS query logging removed",
        &[Stratus],
        Selector::calls(
            "route53resolver.amazonaws.com",
            &[
                Call::named(
                    "DeleteResolverQueryLogConfig",
                    rule(Deleted, "Route 53 Resolver query logging configuration", High)
                        .target(&["resolverQueryLogConfigId"])
                        .why("DNS queries from the VPCs it covered are no longer recorded")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DisassociateResolverQueryLogConfig",
                    rule(Removed, "Route 53 Resolver query logging from VPC", High)
                        .target(&["resourceId"])
                        .why("DNS queries from this VPC are no longer recorded")
                        .check(CHECK_CALLER),
                ),
            ],
        ),
        &[],
        &["aws.defense-evasion.dns-delete-logs", "T1562.008"],
    ),
    calls(
        "organizations-leave",
        "Account left its organization",
        &[Stratus],
        Selector::calls(
            "organizations.amazonaws.com",
            &[Call::named(
                "LeaveOrganization",
                rule(Left, "the AWS organization", Critical)
                    .why("the account escapes the organization's guardrails (SCPs), its organization trail and central security services")
                    .check(CHECK_CALLER),
            )],
        ),
        &[],
        &["aws.defense-evasion.organizations-leave", "T1666"],
    ),
    calls(
        "ec2-ami-shared",
        "AMI shared",
        &[Stratus],
        Selector::calls(
            EC2,
            &[Call::named(
                "ModifyImageAttribute",
                rule(Changed, "the launch permissions of AMI", Low).target(&["imageId"]),
            )
            .refine(sharing::IMAGE)],
        ),
        &[],
        &["aws.exfiltration.ec2-share-ami", "T1537"],
    ),
    calls(
        "ec2-snapshot-shared",
        "EBS snapshot shared",
        &[Stratus],
        Selector::calls(
            EC2,
            &[Call::named(
                "ModifySnapshotAttribute",
                rule(Changed, "the volume permissions of EBS snapshot", Low).target(&["snapshotId"]),
            )
            .refine(sharing::SNAPSHOT)],
        ),
        &[],
        &["aws.exfiltration.ec2-share-ebs-snapshot", "T1537"],
    ),
    calls(
        "rds-snapshot-shared",
        "RDS snapshot shared",
        &[Stratus],
        Selector::calls(
            "rds.amazonaws.com",
            &[
                Call::named(
                    "ModifyDBSnapshotAttribute",
                    rule(Changed, "the restore permissions of RDS snapshot", Low).target(&["dBSnapshotIdentifier"]),
                )
                .refine(sharing::RDS_SNAPSHOT),
                Call::named(
                    "ModifyDBClusterSnapshotAttribute",
                    rule(Changed, "the restore permissions of RDS cluster snapshot", Low)
                        .target(&["dBClusterSnapshotIdentifier"]),
                )
                .refine(sharing::RDS_SNAPSHOT),
            ],
        ),
        &[],
        &["aws.exfiltration.rds-share-snapshot", "T1537"],
    ),
    calls(
        "iam-role-trust",
        "IAM role trust policy set",
        &[Stratus],
        Selector::calls(
            IAM,
            &[
                Call::named(
                    "UpdateAssumeRolePolicy",
                    rule(Changed, "the trust policy of IAM role", Medium)
                        .target(&["roleName"])
                        .why("the trust policy decides who may assume the role"),
                )
                .refine(iam::TRUST_POLICY),
                Call::named("CreateRole", rule(Created, "IAM role", Low).target(&["roleName"]))
                    .refine(iam::TRUST_POLICY),
            ],
        ),
        &[],
        &[
            "aws.persistence.iam-backdoor-role",
            "aws.persistence.iam-create-backdoor-role",
            "T1098.003",
        ],
    ),
    calls(
        "iam-login-profile",
        "IAM console password set",
        &[Stratus],
        Selector::calls(
            IAM,
            &[
                Call::named("CreateLoginProfile", rule(Created, "a console password for", Medium).target(&["userName"]))
                    .refine(iam::LOGIN_PROFILE),
                Call::named("UpdateLoginProfile", rule(Changed, "the console password of", Medium).target(&["userName"]))
                    .refine(iam::LOGIN_PROFILE),
            ],
        ),
        &[],
        &[
            "aws.persistence.iam-create-user-login-profile",
            "aws.privilege-escalation.iam-update-user-login-profile",
            "T1098.001",
        ],
    ),
    calls(
        "lambda-permission-added",
        "Lambda function policy extended",
        &[Stratus],
        Selector::calls(
            LAMBDA,
            &[Call::prefixed(
                "AddPermission",
                rule(Changed, "the resource policy of Lambda function", Low).target(&["functionName"]),
            )
            .refine(services::LAMBDA_PERMISSION)],
        ),
        &[],
        &["aws.persistence.lambda-backdoor-function"],
    ),
    calls(
        "lambda-layer-added",
        "Lambda function configuration changed",
        &[Stratus],
        Selector::calls(
            LAMBDA,
            &[Call::prefixed(
                "UpdateFunctionConfiguration",
                rule(Changed, "the configuration of Lambda function", Low).target(&["functionName"]),
            )
            .refine(services::LAMBDA_LAYERS)],
        ),
        &[],
        &["aws.persistence.lambda-layer-extension"],
    ),
    calls(
        "lambda-code-updated",
        "Lambda function code changed",
        &[Stratus],
        Selector::calls(
            LAMBDA,
            &[Call::prefixed(
                "UpdateFunctionCode",
                rule(Changed, "the code of Lambda function", Low)
                    .target(&["functionName"])
                    .why("new code runs with the function's role")
                    .check("Confirm the update came from your deployment pipeline"),
            )],
        ),
        &[],
        &["aws.persistence.lambda-overwrite-code"],
    ),
    calls(
        "rolesanywhere-trust-anchor",
        "IAM Roles Anywhere trust anchor set",
        &[Stratus],
        Selector::calls(
            "rolesanywhere.amazonaws.com",
            &[
                Call::named(
                    "CreateTrustAnchor",
                    rule(Created, "IAM Roles Anywhere trust anchor", High)
                        .target(&["name"])
                        .why("certificates from this authority can obtain role credentials from outside AWS")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "UpdateTrustAnchor",
                    rule(Changed, "IAM Roles Anywhere trust anchor", High)
                        .target(&["trustAnchorId"])
                        .why("certificates from this authority can obtain role credentials from outside AWS")
                        .check(CHECK_CALLER),
                ),
            ],
        ),
        &[],
        &["aws.persistence.rolesanywhere-create-trust-anchor"],
    ),
    calls(
        "sts-federation-token",
        "Federation token issued",
        &[Stratus],
        Selector::calls(
            "sts.amazonaws.com",
            &[Call::named(
                "GetFederationToken",
                rule(Created, "federation token", Medium)
                    .target(&["name"])
                    .why("federation tokens outlive the revocation of the caller's access key")
                    .check(CHECK_CALLER),
            )],
        ),
        &[],
        &["aws.persistence.sts-federation-token", "T1098.001"],
    ),
    calls(
        "ec2-instance-connect",
        "SSH key pushed to an instance",
        &[Stratus],
        Selector::calls(
            "ec2-instance-connect.amazonaws.com",
            &[
                Call::named(
                    "SendSSHPublicKey",
                    rule(Sent, "an SSH key to instance", Medium)
                        .target(&["instanceId"])
                        .why("the key's holder can log in to the instance for the next 60 seconds")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "SendSerialConsoleSSHPublicKey",
                    rule(Sent, "an SSH key to the serial console of instance", Medium)
                        .target(&["instanceId"])
                        .why("the key's holder can reach the instance's serial console")
                        .check(CHECK_CALLER),
                ),
            ],
        ),
        &[],
        &[
            "aws.lateral-movement.ec2-instance-connect",
            "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
            "T1021.008",
        ],
    ),
    calls(
        "ec2-serial-console-enabled",
        "EC2 serial console access enabled",
        &[Stratus],
        Selector::calls(
            EC2,
            &[Call::named(
                "EnableSerialConsoleAccess",
                rule(Enabled, "EC2 serial console access", Medium)
                    .why("instances in the region can be reached through their serial console")
                    .check(CHECK_CALLER),
            )],
        ),
        &[],
        &["aws.lateral-movement.ec2-serial-console-send-ssh-public-key", "T1021.008"],
    ),
    calls(
        "ec2-user-data-modified",
        "Instance user data changed",
        &[Stratus],
        Selector::calls(
            EC2,
            &[Call::named(
                "ModifyInstanceAttribute",
                rule(Changed, "the user data of instance", Medium)
                    .target(&["instanceId"])
                    .why("user data runs as root at the instance's next start")
                    .check(CHECK_CALLER),
            )],
        )
        .when(&[Condition { field: Field::UserData, any_of: &[Test::Exists(true)] }]),
        &[],
        &["aws.execution.ec2-user-data"],
    ),
    calls(
        "ssm-send-command",
        "SSM command sent",
        &[Stratus],
        Selector::calls(
            "ssm.amazonaws.com",
            &[Call::named(
                "SendCommand",
                rule(Sent, "SSM command", Medium)
                    .target(&["documentName"])
                    .why("commands run as root or SYSTEM on the targeted instances")
                    .check(CHECK_CALLER),
            )],
        ),
        &[],
        &["aws.execution.ssm-send-command", "T1651"],
    ),
    calls(
        "ssm-start-session",
        "SSM session started",
        &[Stratus],
        Selector::calls(
            "ssm.amazonaws.com",
            &[Call::named(
                "StartSession",
                rule(Started, "an SSM session on", Medium)
                    .target(&["target"])
                    .why("a session is an interactive shell on the instance")
                    .check(CHECK_CALLER),
            )],
        ),
        &[],
        &["aws.execution.ssm-start-session", "T1021.008"],
    ),
    // Well-known extras: protections and detection turned off, identities widened.
    calls(
        "s3-public-access-block",
        "S3 public access block changed",
        &[],
        Selector::calls(
            S3,
            &[
                Call::named(
                    "PutBucketPublicAccessBlock",
                    rule(Changed, "the public access block of S3 bucket", Low).target(&["bucketName"]),
                )
                .refine(public_access_block::PUT),
                Call::named(
                    "PutAccountPublicAccessBlock",
                    rule(Changed, "the account's S3 public access block", Low),
                )
                .refine(public_access_block::PUT),
                Call::named(
                    "DeleteBucketPublicAccessBlock",
                    rule(Removed, "the public access block of S3 bucket", High)
                        .target(&["bucketName"])
                        .why("the bucket can now be made public by a policy or ACL")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DeleteAccountPublicAccessBlock",
                    rule(Removed, "the account's S3 public access block", High)
                        .why("buckets of the account can now be made public by a policy or ACL")
                        .check(CHECK_CALLER),
                ),
            ],
        ),
        &[],
        &[],
    ),
    calls(
        "guardduty-disabled",
        "GuardDuty turned off",
        &[],
        Selector::calls(
            "guardduty.amazonaws.com",
            &[
                Call::named(
                    "DeleteDetector",
                    rule(Deleted, "GuardDuty detector", High)
                        .target(&["detectorId"])
                        .why("threat detection stops in this region and its findings are deleted")
                        .check(CHECK_CALLER),
                ),
                Call::named("UpdateDetector", rule(Changed, "GuardDuty detector", Low).target(&["detectorId"]))
                    .refine(services::GUARDDUTY_DETECTOR),
                Call::named(
                    "DisassociateFromAdministratorAccount",
                    rule(Removed, "this account from its GuardDuty administrator", High)
                        .why("the security team's GuardDuty administrator no longer sees this account's findings")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DisassociateFromMasterAccount",
                    rule(Removed, "this account from its GuardDuty administrator", High)
                        .why("the security team's GuardDuty administrator no longer sees this account's findings")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "CreateIPSet",
                    rule(Created, "GuardDuty trusted IP list", Medium)
                        .target(&["name"])
                        .why("traffic from addresses in a trusted IP list raises no findings")
                        .check(CHECK_CALLER),
                ),
            ],
        ),
        &[],
        &["T1562.001"],
    ),
    calls(
        "securityhub-disabled",
        "Security Hub turned off",
        &[],
        Selector::calls(
            "securityhub.amazonaws.com",
            &[
                Call::named(
                    "DisableSecurityHub",
                    rule(TurnedOff, "Security Hub", High)
                        .why("security checks and aggregated findings stop in this region")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "BatchDisableStandards",
                    rule(TurnedOff, "Security Hub standards", High)
                        .why("the standards' controls are no longer evaluated")
                        .check(CHECK_CALLER),
                ),
            ],
        ),
        &[],
        &["T1562.001"],
    ),
    calls(
        "access-analyzer-deleted",
        "IAM Access Analyzer deleted",
        &[],
        Selector::calls(
            "access-analyzer.amazonaws.com",
            &[Call::named(
                "DeleteAnalyzer",
                rule(Deleted, "IAM Access Analyzer analyzer", High)
                    .target(&["analyzerName"])
                    .why("public and cross-account access to resources is no longer reported")
                    .check(CHECK_CALLER),
            )],
        ),
        &[],
        &["T1562.001"],
    ),
    calls(
        "iam-group-membership",
        "IAM group membership added",
        &[],
        Selector::calls(
            IAM,
            &[Call::named("AddUserToGroup", rule(Added, "a user to IAM group", Low).target(&["groupName"]))
                .refine(iam::GROUP_MEMBERSHIP)],
        ),
        &[],
        &["T1098"],
    ),
    calls(
        "iam-identity-provider",
        "IAM identity provider changed",
        &[],
        Selector::calls(
            IAM,
            &[
                Call::named("CreateSAMLProvider", rule(Created, "SAML identity provider", Medium).target(&["name"]).why("users of the provider can assume roles that trust it").check(CHECK_CALLER)),
                Call::named("UpdateSAMLProvider", rule(Changed, "SAML identity provider", Medium).target(&["sAMLProviderArn"]).why("a new signing certificate lets another party sign in through the provider").check(CHECK_CALLER)),
                Call::named("CreateOpenIDConnectProvider", rule(Created, "OIDC identity provider", Medium).target(&["url"]).why("tokens from the provider can assume roles that trust it").check(CHECK_CALLER)),
                Call::named("UpdateOpenIDConnectProviderThumbprint", rule(Changed, "the thumbprints of OIDC identity provider", Medium).target(&["openIDConnectProviderArn"]).why("a new thumbprint trusts another certificate for the provider").check(CHECK_CALLER)),
                Call::named("AddClientIDToOpenIDConnectProvider", rule(Added, "a client ID to OIDC identity provider", Medium).target(&["openIDConnectProviderArn"]).why("tokens issued to the new client can assume roles that trust the provider").check(CHECK_CALLER)),
            ],
        ),
        &[],
        &["T1484.002"],
    ),
    calls(
        "iam-mfa-removed",
        "IAM MFA device removed",
        &[],
        Selector::calls(
            IAM,
            &[
                Call::named(
                    "DeactivateMFADevice",
                    rule(TurnedOff, "an MFA device of", Medium)
                        .target(&["userName"])
                        .why("the user can sign in with a password alone")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DeleteVirtualMFADevice",
                    rule(Deleted, "virtual MFA device", Medium)
                        .target(&["serialNumber"])
                        .why("its user can sign in with a password alone")
                        .check(CHECK_CALLER),
                ),
            ],
        ),
        &[],
        &["T1556.006"],
    ),
    calls(
        "iam-password-policy",
        "IAM password policy changed",
        &[],
        Selector::calls(
            IAM,
            &[
                Call::named(
                    "DeleteAccountPasswordPolicy",
                    rule(Deleted, "the account password policy", Medium)
                        .why("IAM falls back to its weakest default password rules")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "UpdateAccountPasswordPolicy",
                    rule(Changed, "the account password policy", Low)
                        .check("Check the new length, reuse and expiry rules against your standard"),
                ),
            ],
        ),
        &[],
        &[],
    ),
    calls(
        "s3-logging-versioning",
        "S3 access logging or versioning changed",
        &[],
        Selector::calls(
            S3,
            &[
                Call::named("PutBucketLogging", rule(Changed, "access logging of S3 bucket", Low).target(&["bucketName"]))
                    .refine(services::BUCKET_LOGGING),
                Call::named("PutBucketVersioning", rule(Changed, "versioning of S3 bucket", Low).target(&["bucketName"]))
                    .refine(services::BUCKET_VERSIONING),
            ],
        ),
        &[],
        &["T1562.008", "T1490"],
    ),
    // trailwatch watching itself: changes to its own resources.
    Monitor {
        id: TAMPER,
        title: "trailwatch tampered with",
        packs: &[],
        selects: Selects::Services(&[
            Selector::calls(
                "events.amazonaws.com",
                &[
                    Call::named("DisableRule", rule(TurnedOff, "EventBridge rule", Medium).target(&["name"])
                        .why("a disabled rule delivers nothing: events it selected go unseen")
                        .revert("aws events enable-rule --name {target} --region {region}")),
                    Call::named("DeleteRule", rule(Deleted, "EventBridge rule", Medium).target(&["name"])
                        .why("a deleted rule delivers nothing: events it selected go unseen")),
                    Call::named("RemoveTargets", rule(Removed, "targets of EventBridge rule", Low).target(&["rule"])),
                    Call::named("PutRule", rule(Changed, "EventBridge rule", Low).target(&["name"])),
                    Call::named("PutTargets", rule(Changed, "targets of EventBridge rule", Low).target(&["rule"])),
                    Call::named("DeleteEventBus", rule(Deleted, "EventBridge bus", Low).target(&["name"])),
                    Call::named("RemovePermission", rule(Removed, "a permission of EventBridge bus", Low).target(&["eventBusName"])),
                ],
            )
            .when(NOT_BY_A_SERVICE),
            Selector::calls(
                LAMBDA,
                &[
                    Call::prefixed("UpdateFunctionCode", rule(Changed, "the code of Lambda function", Low).target(&["functionName"])),
                    Call::prefixed("UpdateFunctionConfiguration", rule(Changed, "the configuration of Lambda function", Low).target(&["functionName"])),
                    Call::prefixed("PutFunctionConcurrency", rule(Changed, "the concurrency of Lambda function", Low).target(&["functionName"])),
                    Call::prefixed("DeleteFunction", rule(Deleted, "Lambda function or its settings", Low).target(&["functionName"])),
                    Call::prefixed("AddPermission", rule(Added, "a permission to Lambda function", Low).target(&["functionName"])),
                    Call::prefixed("RemovePermission", rule(Removed, "a permission of Lambda function", Low).target(&["functionName"])),
                    Call::named("PutFunctionEventInvokeConfig", rule(Changed, "the failure destination of Lambda function", Low).target(&["functionName"])),
                    Call::named("UpdateFunctionEventInvokeConfig", rule(Changed, "the failure destination of Lambda function", Low).target(&["functionName"])),
                ],
            )
            .when(NOT_BY_A_SERVICE),
            Selector::calls(
                "sns.amazonaws.com",
                &[
                    Call::named("SetTopicAttributes", rule(Changed, "attributes of SNS topic", Low).target(&["topicArn"])),
                    Call::named("DeleteTopic", rule(Deleted, "SNS topic", Low).target(&["topicArn"])),
                    Call::named("Unsubscribe", rule(Removed, "subscription", Low).target(&["subscriptionArn"])),
                    Call::named("SetSubscriptionAttributes", rule(Changed, "attributes of subscription", Low).target(&["subscriptionArn"])),
                    Call::named("RemovePermission", rule(Removed, "a permission of SNS topic", Low).target(&["topicArn"])),
                ],
            )
            .when(NOT_BY_A_SERVICE),
            Selector::calls(
                "kms.amazonaws.com",
                &[
                    Call::named("DisableKey", rule(TurnedOff, "KMS key", Low).target(&["keyId"])),
                    Call::named("ScheduleKeyDeletion", rule(ScheduledDeletion, "KMS key", Low).target(&["keyId"])),
                    Call::named("PutKeyPolicy", rule(Changed, "the policy of KMS key", Low).target(&["keyId"])),
                ],
            )
            .when(NOT_BY_A_SERVICE),
            Selector::calls(
                "logs.amazonaws.com",
                &[
                    Call::named("DeleteLogGroup", rule(Deleted, "log group", Low).target(&["logGroupName"])),
                    Call::named("PutRetentionPolicy", rule(Changed, "the retention of log group", Low).target(&["logGroupName"])),
                    Call::named("DisassociateKmsKey", rule(Removed, "the KMS key of log group", Low).target(&["logGroupName"])),
                ],
            )
            .when(NOT_BY_A_SERVICE),
            Selector::calls(
                "sqs.amazonaws.com",
                &[
                    Call::named("DeleteQueue", rule(Deleted, "SQS queue", Low).target(&["queueUrl"])),
                    Call::named("SetQueueAttributes", rule(Changed, "attributes of SQS queue", Low).target(&["queueUrl"])),
                    Call::named("PurgeQueue", rule(Deleted, "the messages of SQS queue", Low).target(&["queueUrl"])),
                ],
            )
            .when(NOT_BY_A_SERVICE),
            Selector::calls(
                CLOUDWATCH,
                &[
                    Call::named("DisableAlarmActions", rule(TurnedOff, "the actions of CloudWatch alarms", Medium)
                        .why("an alarm without actions notifies no one")),
                    Call::named("DeleteAlarms", rule(Deleted, "CloudWatch alarms", Low)),
                    Call::named("SetAlarmState", rule(Changed, "the state of CloudWatch alarm", Low).target(&["alarmName"])),
                    Call::named("PutMetricAlarm", rule(Changed, "CloudWatch alarm", Low).target(&["alarmName"])),
                ],
            )
            .when(NOT_BY_A_SERVICE),
            Selector::calls(
                "scheduler.amazonaws.com",
                &[
                    Call::named("DeleteSchedule", rule(Deleted, "EventBridge Scheduler schedule", Low).target(&["name"])),
                    Call::named("UpdateSchedule", rule(Changed, "EventBridge Scheduler schedule", Low).target(&["name"])),
                ],
            )
            .when(NOT_BY_A_SERVICE),
            Selector::calls(
                "cloudformation.amazonaws.com",
                &[
                    Call::named("DeleteStack", rule(Deleted, "CloudFormation stack", Low).target(&["stackName"])),
                    Call::named("UpdateStack", rule(Changed, "CloudFormation stack", Low).target(&["stackName"])),
                    Call::named("ExecuteChangeSet", rule(Changed, "CloudFormation stack", Low).target(&["stackName"])),
                    Call::named("DeleteStackSet", rule(Deleted, "CloudFormation StackSet", Low).target(&["stackSetName"])),
                    Call::named("UpdateStackSet", rule(Changed, "CloudFormation StackSet", Low).target(&["stackSetName"])),
                    Call::named("DeleteStackInstances", rule(Deleted, "instances of CloudFormation StackSet", Low).target(&["stackSetName"])),
                ],
            )
            .when(NOT_BY_A_SERVICE),
        ]),
        assess: None,
        own: Some(tamper::JUDGE),
        failure: Failure::Attempt,
        reads: false,
        controls: &[],
        techniques: &["T1562.001"],
    },
    // Read-only calls (pack `read-only`, off by default).
    read_only(calls(
        "secrets-retrieved",
        "Secrets Manager secret read",
        &[ReadOnly],
        Selector::calls(
            "secretsmanager.amazonaws.com",
            &[
                Call::named("GetSecretValue", rule(Retrieved, "secret", Low).target(&["secretId"])),
                Call::named(
                    "BatchGetSecretValue",
                    rule(Retrieved, "secrets in bulk", Medium)
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
    )),
    read_only(calls(
        "ssm-parameters-decrypted",
        "SSM SecureString parameters read",
        &[ReadOnly],
        Selector::calls(
            "ssm.amazonaws.com",
            &[
                Call::named("GetParameter", rule(Retrieved, "decrypted SSM parameter", Low).target(&["name"])),
                Call::named("GetParameters", rule(Retrieved, "decrypted SSM parameters", Low)),
                Call::named("GetParametersByPath", rule(Retrieved, "decrypted SSM parameters under", Low).target(&["path"])),
            ],
        )
        .when(&[Condition { field: Field::WithDecryption, any_of: &[Test::Bool(true)] }]),
        &[],
        &["aws.credential-access.ssm-retrieve-securestring-parameters", "T1555.006"],
    )),
    read_only(calls(
        "ec2-password-data",
        "EC2 Windows password data read",
        &[ReadOnly],
        Selector::calls(
            EC2,
            &[Call::named(
                "GetPasswordData",
                rule(Retrieved, "the Windows password data of instance", Medium)
                    .target(&["instanceId"])
                    .why("the data decrypts to the instance's administrator password")
                    .check(CHECK_CALLER),
            )],
        ),
        &[],
        &["aws.credential-access.ec2-get-password-data", "T1552"],
    )),
    read_only(calls(
        "ec2-user-data-read",
        "EC2 user data read",
        &[ReadOnly],
        Selector::calls(
            EC2,
            &[Call::named(
                "DescribeInstanceAttribute",
                rule(Retrieved, "the user data of instance", Low)
                    .target(&["instanceId"])
                    .why("user data often holds bootstrap secrets"),
            )],
        )
        .when(&[Condition { field: Field::Attribute, any_of: &[Test::Exact("userData")] }]),
        &[],
        &["aws.discovery.ec2-download-user-data"],
    )),
];

/// CloudTrail event sources of global services (IAM, Organizations, Account
/// Management, Route 53, CloudFront): their events reach EventBridge only in
/// [`GLOBAL_REGION`]. STS is not among them: its regional endpoints record
/// events in their own region.
pub const GLOBAL_EVENT_SOURCES: &[&str] = &[
    "iam.amazonaws.com",
    "organizations.amazonaws.com",
    "account.amazonaws.com",
    "route53.amazonaws.com",
    "cloudfront.amazonaws.com",
];

/// The one region where global services' events reach EventBridge.
pub const GLOBAL_REGION: &str = "us-east-1";

/// The monitor with this id.
pub fn by_id(id: &str) -> Option<&'static Monitor> {
    CATALOG.iter().find(|m| m.id == id)
}

/// Name selecting every monitor.
pub const ALL: &str = "all";

/// The monitors enabled for one deployment: built-in ones in catalog order,
/// then custom ones in configuration order.
#[derive(Debug, Clone)]
pub struct Selection {
    monitors: Vec<&'static Monitor>,
    /// Matches the custom monitors' patterns, all in one automaton.
    custom: Option<Matcher<&'static str>>,
    /// The sources custom patterns name (exactly, by construction): an event
    /// from any other source skips the matcher.
    custom_sources: Vec<String>,
}

impl PartialEq for Selection {
    fn eq(&self, other: &Self) -> bool {
        self.ids().eq(other.ids())
    }
}

impl Eq for Selection {}

impl Default for Selection {
    /// Every monitor but the read-only pack.
    fn default() -> Self {
        Self::of(|m| !m.in_pack(Pack::ReadOnly))
    }
}

impl Selection {
    fn of(keep: impl Fn(&Monitor) -> bool) -> Self {
        Self {
            monitors: CATALOG.iter().filter(|m| keep(m)).collect(),
            custom: None,
            custom_sources: Vec::new(),
        }
    }

    /// Every monitor, the read-only pack included.
    pub fn every() -> Self {
        Self::of(|_| true)
    }

    /// The monitors named by ids or packs (`seed`, `cis`, `stratus`, `read-only`,
    /// `all`), or the default ones when `include` is `None`, minus the
    /// `exclude`d ids; every unknown name is reported.
    pub fn resolve(include: Option<&[String]>, exclude: &[String]) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let mut wanted: Vec<&str> = match include {
            None => Self::default().ids().collect(),
            Some(_) => Vec::new(),
        };
        for name in include.unwrap_or_default() {
            match selects(name) {
                Some(mut ids) => wanted.append(&mut ids),
                None => problems.push(format!(
                    "monitors: unknown monitor or pack {name:?} (packs: {ALL}, {}; monitors: {})",
                    Pack::ALL.map(Pack::as_str).join(", "),
                    known_ids()
                )),
            }
        }
        for name in exclude {
            if by_id(name).is_none() {
                problems.push(format!(
                    "exclude_monitors: unknown monitor {name:?} (known: {})",
                    known_ids()
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self::of(|m| {
            wanted.contains(&m.id) && !exclude.iter().any(|e| e == m.id)
        }))
    }

    /// The built-in monitors with these ids (what the deployed settings list).
    pub fn parse(ids: &[String]) -> Result<Self, String> {
        let unknown: Vec<&String> = ids.iter().filter(|n| by_id(n).is_none()).collect();
        if !unknown.is_empty() {
            return Err(format!("unknown monitor ids: {unknown:?}"));
        }
        Ok(Self::of(|m| ids.iter().any(|n| n == m.id)))
    }

    /// The selection with these custom monitors added, their patterns compiled
    /// into one matcher (each pattern was checked when its monitor was built).
    pub fn with_custom(mut self, custom: Vec<&'static Monitor>) -> Result<Self, String> {
        if custom.is_empty() {
            return Ok(self);
        }
        let patterns = custom.iter().filter_map(|m| match m.selects {
            Selects::Pattern(pattern) => Some((m.id, pattern.json)),
            Selects::Calls(_) | Selects::Services(_) => None,
        });
        let matcher = Matcher::new(patterns)?;
        for monitor in &custom {
            let pattern = monitor.pattern();
            let sources = pattern["source"].as_array().into_iter().flatten();
            self.custom_sources
                .extend(sources.filter_map(Value::as_str).map(str::to_owned));
        }
        self.monitors.extend(custom);
        self.custom = Some(matcher);
        Ok(self)
    }

    /// The enabled monitors' ids.
    pub fn ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.monitors.iter().map(|m| m.id)
    }

    /// The enabled monitors.
    pub fn monitors(&self) -> impl Iterator<Item = &'static Monitor> + '_ {
        self.monitors.iter().copied()
    }

    /// The enabled monitor with this id.
    pub fn get(&self, id: &str) -> Option<&'static Monitor> {
        self.monitors().find(|m| m.id == id)
    }

    /// Whether no monitor is enabled.
    pub fn is_empty(&self) -> bool {
        self.monitors.is_empty()
    }

    /// The monitors a name selects among the enabled ones: an id, a pack or `all`.
    pub fn named(&self, name: &str) -> Option<Vec<&'static str>> {
        named_in(self.monitors(), name)
    }

    /// The enabled monitors that select this event.
    pub fn matching(&self, event: &Event<'_>) -> Vec<&'static Monitor> {
        // An envelope the matcher cannot read matches no custom pattern; the
        // handler read it already, so this does not happen for delivered events.
        let source = event.envelope.source.as_deref().unwrap_or_default();
        let custom = self
            .custom
            .as_ref()
            .filter(|_| self.custom_sources.iter().any(|s| s == source))
            .map(|m| m.matches(event.raw.get()))
            .unwrap_or_default();
        self.monitors()
            .filter(|m| match &m.selects {
                Selects::Pattern(_) => custom.contains(&m.id),
                _ => m.selectors().iter().any(|s| s.matches(event)),
            })
            .collect()
    }
}

/// The ids a name selects in the catalog: a monitor id, a pack, or `all`.
fn selects(name: &str) -> Option<Vec<&'static str>> {
    named_in(CATALOG.iter(), name)
}

/// The ids a name selects among `monitors`: a monitor id, a pack, or `all`.
fn named_in<'m>(
    monitors: impl Iterator<Item = &'m Monitor>,
    name: &str,
) -> Option<Vec<&'static str>> {
    let pack = Pack::ALL.into_iter().find(|p| p.as_str() == name);
    let ids: Vec<&'static str> = monitors
        .filter(|m| match pack {
            Some(pack) => m.in_pack(pack),
            None => name == ALL || m.id == name,
        })
        .map(|m| m.id)
        .collect();
    // An unknown id names nothing; `all` and a pack are names even when empty.
    (pack.is_some() || name == ALL || !ids.is_empty()).then_some(ids)
}

fn known_ids() -> String {
    CATALOG.iter().map(|m| m.id).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_ids_are_unique_lowercase_words() {
        let mut ids: Vec<_> = CATALOG.iter().map(|m| m.id).collect();
        for id in &ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOG.len());
    }

    #[test]
    fn every_cis_control_from_1_to_14_is_implemented() {
        for n in 1..=14 {
            let control = format!("CIS CloudWatch.{n}");
            assert!(
                CATALOG
                    .iter()
                    .any(|m| m.controls.contains(&control.as_str()) && m.in_pack(Pack::Cis)),
                "{control}"
            );
        }
    }

    #[test]
    fn monitors_without_named_calls_judge_in_code() {
        for monitor in CATALOG.iter().filter(|m| !m.names_calls()) {
            assert!(monitor.assess.is_some(), "{}", monitor.id);
        }
    }

    #[test]
    fn read_only_monitors_and_the_cis_filters_of_every_event_see_reads() {
        let reading: Vec<&str> = CATALOG.iter().filter(|m| m.reads).map(|m| m.id).collect();
        let expected: Vec<&str> = CATALOG
            .iter()
            .filter(|m| {
                m.in_pack(Pack::ReadOnly)
                    || ["root-account-usage", "unauthorized-api-calls"].contains(&m.id)
            })
            .map(|m| m.id)
            .collect();
        assert_eq!(reading, expected);
    }
}
