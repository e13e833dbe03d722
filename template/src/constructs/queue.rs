//! SQS queues: encrypted buffers, batch sources and dead-letter queues.

use serde_json::json;

use super::rules_of_account;
use super::{Function, Key};
use crate::intrinsic::{LogicalId, Value};
use crate::resources::iam::{PolicyDocument, Principal, Statement};
use crate::resources::{lambda, sqs};
use crate::stack::{DeletionPolicy, Stack};

/// A KMS-encrypted SQS queue that refuses requests without TLS.
#[derive(Debug, Clone)]
pub struct Queue {
    pub id: LogicalId,
}

impl Queue {
    /// Adds the queue (messages kept 14 days, the maximum).
    pub fn new(stack: &mut Stack, id: &str, key: &Key) -> Self {
        Self::add(stack, id, Some(key), None, None)
    }

    /// Adds a queue encrypted with SQS-owned keys (no KMS key to pay for or
    /// grant), keeping messages 14 days.
    pub fn with_sqs_owned_key(stack: &mut Stack, id: &str) -> Self {
        Self::add(stack, id, None, None, None)
    }

    /// Adds a queue a function consumes: messages stay invisible for
    /// `visibility_seconds` while a batch is handled, and go to `dead_letters`
    /// after five failed receives. Requests without TLS are refused.
    pub fn buffer(
        stack: &mut Stack,
        id: &str,
        key: &Key,
        visibility_seconds: u32,
        dead_letters: &Queue,
    ) -> Self {
        let redrive = sqs::RedrivePolicy {
            dead_letter_target_arn: dead_letters.arn(),
            max_receive_count: 5,
        };
        let queue = Self::add(
            stack,
            id,
            Some(key),
            Some(visibility_seconds),
            Some(redrive),
        );
        let policy = sqs::QueuePolicy {
            queues: vec![queue.url()],
            policy_document: PolicyDocument::new(vec![queue.deny_without_tls()]),
        };
        stack.add(&format!("{}Policy", queue.id.as_str()), &policy);
        queue
    }

    fn add(
        stack: &mut Stack,
        id: &str,
        key: Option<&Key>,
        visibility_timeout: Option<u32>,
        redrive_policy: Option<sqs::RedrivePolicy>,
    ) -> Self {
        let queue = sqs::Queue {
            kms_master_key_id: key.map(Key::arn),
            kms_data_key_reuse_period_seconds: key.map(|_| 3600),
            sqs_managed_sse_enabled: key.is_none().then_some(true),
            message_retention_period: 14 * 24 * 3600,
            visibility_timeout,
            redrive_policy,
        };
        let id = stack.add(id, &queue);
        stack.set_deletion_policy(&id, DeletionPolicy::Delete);
        Self { id }
    }

    fn deny_without_tls(&self) -> Statement {
        Statement::deny(&["sqs:*"], vec![self.arn()])
            .sid("DenyWithoutTls")
            .principal(Principal::Any)
            .condition(json!({"Bool": {"aws:SecureTransport": "false"}}))
    }

    /// Lets `function` send to the queue and consume it in batches of up to
    /// `batch_size`, gathered for up to `window_seconds`.
    pub fn batch_into(
        &self,
        stack: &mut Stack,
        function: &Function,
        key: &Key,
        batch_size: u32,
        window_seconds: u32,
    ) {
        let grant = function.role.attach(
            stack,
            "Buffer",
            vec![
                Statement::allow(
                    &[
                        "sqs:SendMessage",
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                        "sqs:GetQueueAttributes",
                    ],
                    vec![self.arn()],
                ),
                key.use_statement(),
            ],
        );
        let mapping = lambda::EventSourceMapping {
            event_source_arn: self.arn(),
            function_name: function.id.reference(),
            batch_size,
            maximum_batching_window_in_seconds: window_seconds,
            function_response_types: vec!["ReportBatchItemFailures".into()],
        };
        let id = stack.add(&format!("{}Mapping", self.id.as_str()), &mapping);
        // Lambda checks the role may read the queue when the mapping is created.
        stack.add_dependency(&id, &grant);
    }

    /// The queue's ARN.
    pub fn arn(&self) -> Value {
        self.id.get_att("Arn")
    }

    /// The queue's URL (its `Ref`).
    pub fn url(&self) -> Value {
        self.id.reference()
    }

    /// The queue's one policy: TLS only, and EventBridge may send dead letters
    /// from these rules (a queue has one policy: a second would replace the first).
    pub fn accept_dead_letters_from(&self, stack: &mut Stack, rules: &[LogicalId]) {
        let rules: Vec<Value> = rules.iter().map(|rule| rule.get_att("Arn")).collect();
        self.accept_dead_letters(stack, json!({"ArnEquals": {"aws:SourceArn": rules}}));
    }

    /// The queue's one policy: TLS only, and EventBridge may send dead letters
    /// from the account's rules in this region.
    pub fn accept_dead_letters_from_rules_of_account(&self, stack: &mut Stack) {
        self.accept_dead_letters(
            stack,
            json!({"ArnLike": {"aws:SourceArn": rules_of_account()}}),
        );
    }

    fn accept_dead_letters(&self, stack: &mut Stack, from: serde_json::Value) {
        let policy = sqs::QueuePolicy {
            queues: vec![self.url()],
            policy_document: PolicyDocument::new(vec![
                self.deny_without_tls(),
                Statement::allow(&["sqs:SendMessage"], vec![self.arn()])
                    .sid("EventBridgeSendsDeadLetters")
                    .principal(Principal::Service("events.amazonaws.com".into()))
                    .condition(from),
            ]),
        };
        stack.add(&format!("{}Policy", self.id.as_str()), &policy);
    }
}
