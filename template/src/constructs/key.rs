//! A customer-managed KMS key with rotation.

use serde_json::json;

use super::{KMS_USE, account_root};
use crate::intrinsic::{LogicalId, Value};
use crate::resources::iam::{PolicyDocument, Principal, Statement};
use crate::resources::kms;
use crate::stack::{DeletionPolicy, Stack};

/// A customer-managed KMS key with rotation, usable through IAM by the account.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: LogicalId,
}

impl Key {
    /// Adds the key. `log_group_prefix` is the name prefix of log groups it may
    /// encrypt.
    pub fn new(stack: &mut Stack, id: &str, log_group_prefix: &str) -> Self {
        // A key policy's Resource is always "*": it means this key, and AWS accepts nothing else.
        let this_key = || vec![Value::from("*")];
        // The account root holds every right, as AWS's default key policy gives it,
        // so IAM can delegate any key operation (on-demand rotation included) and
        // the key can never become unmanageable.
        let admin = Statement::allow(&["kms:*"], this_key())
            .sid("AccountAdministersKeyAndDelegatesUseToIam")
            .principal(Principal::Aws(account_root()));
        // EventBridge troubleshooting, "My events are not delivered to the target
        // Amazon SQS queue" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html):
        // "the key policy must allow EventBridge to use the key": principal
        // events.amazonaws.com, kms:Decrypt and kms:GenerateDataKey, no
        // condition. AWS documents no request context EventBridge sends to KMS
        // for this call, so none is required here; the queue policy limits
        // which rules may send.
        let events = Statement::allow(KMS_USE, this_key())
            .sid("EventBridgeWritesDeadLetters")
            .principal(Principal::Service("events.amazonaws.com".into()));
        let logs = Statement::allow(
            &["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            this_key(),
        )
        .sid("CloudWatchLogsEncryptsLogGroups")
        // The regional principal the CloudWatch Logs guide documents for key
        // policies; URLSuffix keeps it right in every partition.
        .principal(Principal::Service(Value::sub(
            "logs.${AWS::Region}.${AWS::URLSuffix}",
        )))
        .condition(json!({"ArnLike": {"kms:EncryptionContext:aws:logs:arn": Value::sub(format!(
            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{log_group_prefix}*"
        ))}}));
        // CloudWatch publishing an alarm to an encrypted topic needs the key:
        // AWS knowledge center, "How do I configure a CloudWatch alarm with an
        // encrypted SNS topic" (https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns)
        // grants cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*
        // without a condition. The topic policy limits which alarms may publish.
        let alarms = Statement::allow(&["kms:Decrypt", "kms:GenerateDataKey*"], this_key())
            .sid("CloudWatchAlarmsPublishToTopics")
            .principal(Principal::Service("cloudwatch.amazonaws.com".into()));
        let key = kms::Key {
            description: "trailwatch: encrypts alerts, dead letters and logs".into(),
            enable_key_rotation: true,
            key_policy: PolicyDocument::new(vec![admin, events, logs, alarms]),
        };
        let id = stack.add(id, &key);
        // Destroy removes everything: the key is scheduled for deletion (30-day window).
        stack.set_deletion_policy(&id, DeletionPolicy::Delete);
        Self { id }
    }

    /// The key's ARN.
    pub fn arn(&self) -> Value {
        self.id.get_att("Arn")
    }

    /// Lets `role` encrypt and decrypt data keys with this key.
    pub(super) fn use_statement(&self) -> Statement {
        Statement::allow(KMS_USE, vec![self.arn()])
    }
}
