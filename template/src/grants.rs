//! Every grant to an AWS service principal that the construct library
//! renders, each with the AWS page it follows. The emulator evaluates no
//! resource or key policy, so these pages are the only proof that a grant
//! works in a real account: a test fails when a rendered template holds a
//! service-principal statement that is not here, or that differs from its
//! entry (resource type, principal, effect, actions, condition operators and
//! keys).

/// One documented grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The CloudFormation type holding the statement (a role's trust policy
    /// is `AWS::IAM::Role`; a Lambda permission is one statement).
    pub resource: &'static str,
    /// The service principal, as rendered (a `Fn::Sub` template for a
    /// regional one).
    pub service: &'static str,
    pub actions: &'static [&'static str],
    /// `Operator:key` of each condition, sorted; for a Lambda permission the
    /// properties that scope it (`SourceArn`).
    pub conditions: &'static [&'static str],
    /// The AWS documentation page the statement follows.
    pub page: &'static str,
}

const EVENTBRIDGE_TROUBLESHOOTING: &str =
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html";

/// The grants, by resource type and principal.
pub const GRANTS: &[Grant] = &[
    // "My rule ran but my Lambda function wasn't invoked": the permission
    // names the rule by SourceArn; a SourceAccount makes invocations fail.
    Grant {
        resource: "AWS::Lambda::Permission",
        service: "events.amazonaws.com",
        actions: &["lambda:InvokeFunction"],
        conditions: &["SourceArn"],
        page: EVENTBRIDGE_TROUBLESHOOTING,
    },
    // "My events are not delivered to the target Amazon SQS queue": the key
    // policy lets EventBridge use the key, without a condition.
    Grant {
        resource: "AWS::KMS::Key",
        service: "events.amazonaws.com",
        actions: &["kms:Decrypt", "kms:GenerateDataKey"],
        conditions: &[],
        page: EVENTBRIDGE_TROUBLESHOOTING,
    },
    // "Encrypt log data in CloudWatch Logs using AWS KMS": the regional
    // principal, limited by the log group's ARN in the encryption context.
    Grant {
        resource: "AWS::KMS::Key",
        service: "logs.${AWS::Region}.${AWS::URLSuffix}",
        actions: &[
            "kms:Decrypt*",
            "kms:Describe*",
            "kms:Encrypt*",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*",
        ],
        conditions: &["ArnLike:kms:EncryptionContext:aws:logs:arn"],
        page: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    },
    // "How do I configure a CloudWatch alarm with an encrypted SNS topic":
    // CloudWatch may decrypt and generate data keys, without a condition.
    Grant {
        resource: "AWS::KMS::Key",
        service: "cloudwatch.amazonaws.com",
        actions: &["kms:Decrypt", "kms:GenerateDataKey*"],
        conditions: &[],
        page: "https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns",
    },
    // "Why didn't I receive an SNS notification for my CloudWatch alarm
    // trigger": sns:Publish for cloudwatch.amazonaws.com, limited to the
    // alarms with ArnLike aws:SourceArn (and the account).
    Grant {
        resource: "AWS::SNS::TopicPolicy",
        service: "cloudwatch.amazonaws.com",
        actions: &["sns:Publish"],
        conditions: &["ArnLike:aws:SourceArn", "StringEquals:aws:SourceAccount"],
        page: "https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger",
    },
    // "Using dead-letter queues to process undelivered events": the queue
    // policy lets events.amazonaws.com send, ArnEquals aws:SourceArn the rule.
    Grant {
        resource: "AWS::SQS::QueuePolicy",
        service: "events.amazonaws.com",
        actions: &["sqs:SendMessage"],
        conditions: &["ArnEquals:aws:SourceArn"],
        page: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html",
    },
    // The same, for a forwarder whose rules exist only in some regions: the
    // account's rules by ArnLike with a wildcard, as IAM's confused-deputy
    // page writes aws:SourceArn when parts of the ARN are not known.
    Grant {
        resource: "AWS::SQS::QueuePolicy",
        service: "events.amazonaws.com",
        actions: &["sqs:SendMessage"],
        conditions: &["ArnLike:aws:SourceArn"],
        page: "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
    },
    // "Defining Lambda function permissions with an execution role".
    Grant {
        resource: "AWS::IAM::Role",
        service: "lambda.amazonaws.com",
        actions: &["sts:AssumeRole"],
        conditions: &[],
        page: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
    },
    // The forwarder's role, assumed by EventBridge to put events on another
    // bus ("Sending and receiving events between AWS accounts"), with
    // aws:SourceAccount against the confused deputy (IAM's page).
    Grant {
        resource: "AWS::IAM::Role",
        service: "events.amazonaws.com",
        actions: &["sts:AssumeRole"],
        conditions: &["StringEquals:aws:SourceAccount"],
        page: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html",
    },
    // EventBridge Scheduler's execution role, with aws:SourceAccount.
    Grant {
        resource: "AWS::IAM::Role",
        service: "scheduler.amazonaws.com",
        actions: &["sts:AssumeRole"],
        conditions: &["StringEquals:aws:SourceAccount"],
        page: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role",
    },
];
