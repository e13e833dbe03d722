//! L2 constructs: resources with intent, and CDK-like verbs that hide the IAM and
//! permission plumbing (`grant_publish`, `add_target`, `dead_letter`).

use std::collections::BTreeMap;

use serde_json::json;

use crate::intrinsic::{LogicalId, Pseudo, Value};
use crate::resources::events::{self, DeadLetterConfig, RetryPolicy};
use crate::resources::iam::{self, PolicyDocument, Principal, Statement};
use crate::resources::{kms, lambda, logs, sns, sqs};
use crate::stack::{DeletionPolicy, Stack};

/// EventBridge's longest retry: 185 attempts over 24 hours.
const RETRY_FOR_A_DAY: RetryPolicy = RetryPolicy {
    maximum_retry_attempts: 185,
    maximum_event_age_in_seconds: 86_400,
};

/// Actions a principal needs to use a KMS key for encrypting messages.
const KMS_USE: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];

/// Every EventBridge rule of the stack's account and region, on any bus.
fn rules_of_account() -> Value {
    Value::sub("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*")
}

fn account_root() -> Value {
    Value::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
}

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
    fn use_statement(&self) -> Statement {
        Statement::allow(KMS_USE, vec![self.arn()])
    }
}

/// An IAM role a service assumes.
#[derive(Debug, Clone)]
pub struct Role {
    pub id: LogicalId,
}

impl Role {
    /// Adds a role that `service` (such as `lambda.amazonaws.com`) may assume;
    /// `condition`, when given, limits who may make it do so.
    pub fn new(
        stack: &mut Stack,
        id: &str,
        service: &str,
        description: String,
        condition: Option<serde_json::Value>,
    ) -> Self {
        Self::at_path(stack, id, service, description, condition, None)
    }

    /// [`Role::new`], under `path` (`/a/b/`) when given.
    pub fn at_path(
        stack: &mut Stack,
        id: &str,
        service: &str,
        description: String,
        condition: Option<serde_json::Value>,
        path: Option<Value>,
    ) -> Self {
        let mut trust = Statement::allow(&["sts:AssumeRole"], Vec::new())
            .principal(Principal::Service(service.into()));
        if let Some(condition) = condition {
            trust = trust.condition(condition);
        }
        let role = iam::Role {
            assume_role_policy_document: PolicyDocument::new(vec![trust]),
            description: Some(description),
            path,
        };
        Self {
            id: stack.add(id, &role),
        }
    }

    /// Attaches a separate `AWS::IAM::Policy` named `{role}{purpose}Policy`.
    pub fn attach(
        &self,
        stack: &mut Stack,
        purpose: &str,
        statements: Vec<Statement>,
    ) -> LogicalId {
        let id = format!("{}{purpose}Policy", self.id.as_str());
        let policy = iam::Policy {
            // Unique per role is enough; a name from the stack name could
            // overflow IAM's 128 characters.
            policy_name: Value::from(purpose),
            policy_document: PolicyDocument::new(statements),
            roles: vec![self.id.reference()],
        };
        stack.add(&id, &policy)
    }

    /// The role's ARN.
    pub fn arn(&self) -> Value {
        self.id.get_att("Arn")
    }
}

/// What a function runs and with which limits.
#[derive(Debug, Clone)]
pub struct FunctionProps {
    pub description: String,
    pub code_bucket: Value,
    pub code_key: Value,
    pub memory_mb: u32,
    pub timeout_seconds: u32,
    /// Executions reserved for the function; none shares the account's unreserved pool.
    pub reserved_concurrency: Option<Value>,
    pub log_retention_days: u32,
    pub log_group_name: Value,
    pub environment: BTreeMap<String, Value>,
}

/// An arm64 `provided.al2023` Lambda function with its role and an encrypted log group.
#[derive(Debug, Clone)]
pub struct Function {
    pub id: LogicalId,
    pub role: Role,
    pub log_group: LogicalId,
}

impl Function {
    /// Adds `{id}Role`, `{id}Logs` and the function `id`.
    pub fn new(stack: &mut Stack, id: &str, key: &Key, props: FunctionProps) -> Self {
        let role = Role::new(
            stack,
            &format!("{id}Role"),
            "lambda.amazonaws.com",
            format!("Execution role of {id}"),
            None,
        );
        let log_group = stack.add(
            &format!("{id}Logs"),
            &logs::LogGroup {
                log_group_name: props.log_group_name,
                retention_in_days: props.log_retention_days,
                kms_key_id: key.arn(),
            },
        );
        // Deleted with the stack, so a new stack of the same name can create it again.
        stack.set_deletion_policy(&log_group, DeletionPolicy::Delete);
        let logging = role.attach(
            stack,
            "Logging",
            vec![Statement::allow(
                &["logs:CreateLogStream", "logs:PutLogEvents"],
                vec![log_group.get_att("Arn")],
            )],
        );
        let function = lambda::Function {
            description: Some(props.description),
            runtime: "provided.al2023".into(),
            handler: "bootstrap".into(),
            architectures: vec!["arm64".into()],
            memory_size: props.memory_mb,
            timeout: props.timeout_seconds,
            reserved_concurrent_executions: props.reserved_concurrency,
            role: role.arn(),
            code: lambda::Code {
                s3_bucket: props.code_bucket,
                s3_key: props.code_key,
            },
            environment: Some(lambda::Environment {
                variables: props.environment,
            }),
            logging_config: Some(lambda::LoggingConfig {
                log_format: "JSON".into(),
                log_group: log_group.reference(),
            }),
        };
        let id = stack.add(id, &function);
        stack.add_dependency(&id, &logging);
        Self {
            id,
            role,
            log_group,
        }
    }

    /// The function's ARN.
    pub fn arn(&self) -> Value {
        self.id.get_att("Arn")
    }

    /// Lets the function read the names of the organization's accounts
    /// (`organizations:DescribeAccount`), when `admits` holds.
    pub fn grant_account_names(
        &self,
        stack: &mut Stack,
        organization: &LogicalId,
        admits: &LogicalId,
    ) {
        let account = Value::sub(format!(
            "arn:${{AWS::Partition}}:organizations::*:account/${{{}}}/*",
            organization.as_str()
        ));
        let grant = self.role.attach(
            stack,
            "AccountNames",
            vec![Statement::allow(
                &["organizations:DescribeAccount"],
                vec![account],
            )],
        );
        stack.set_condition(&grant, admits);
    }

    /// Sends failed asynchronous invocations (after `retries`) to `queue`.
    pub fn dead_letter(&self, stack: &mut Stack, queue: &Queue, key: &Key, retries: u32) {
        let policy = self.role.attach(
            stack,
            "DeadLetter",
            vec![
                Statement::allow(&["sqs:SendMessage"], vec![queue.arn()]),
                key.use_statement(),
            ],
        );
        let config = lambda::EventInvokeConfig {
            function_name: self.id.reference(),
            qualifier: "$LATEST".into(),
            maximum_retry_attempts: retries,
            maximum_event_age_in_seconds: 6 * 3600,
            destination_config: lambda::DestinationConfig {
                on_failure: lambda::OnFailure {
                    destination: queue.arn(),
                },
            },
        };
        let id = stack.add(&format!("{}InvokeConfig", self.id.as_str()), &config);
        // Lambda checks the role may send to the destination when the config is created.
        stack.add_dependency(&id, &policy);
    }
}

/// A KMS-encrypted SNS topic.
#[derive(Debug, Clone)]
pub struct Topic {
    pub id: LogicalId,
    key: Key,
}

impl Topic {
    /// Adds the topic, encrypted with `key`.
    pub fn new(stack: &mut Stack, id: &str, display_name: &str, key: &Key) -> Self {
        let topic = sns::Topic {
            display_name: Some(display_name.into()),
            kms_master_key_id: Some(key.arn()),
        };
        Self {
            id: stack.add(id, &topic),
            key: key.clone(),
        }
    }

    /// The topic's ARN (its `Ref`).
    pub fn arn(&self) -> Value {
        self.id.reference()
    }

    /// Lets `function` publish: `sns:Publish` on this topic and use of its key in
    /// the role's policy named `purpose`; a topic policy that refuses publishing
    /// without TLS or by any principal but the function's role and CloudWatch
    /// acting for the alarms matching `alarms` (an ARN pattern).
    pub fn grant_publish(
        &self,
        stack: &mut Stack,
        function: &Function,
        purpose: &str,
        alarms: &Value,
    ) {
        let grant = function.role.attach(
            stack,
            purpose,
            vec![
                Statement::allow(&["sns:Publish"], vec![self.arn()]),
                self.key.use_statement(),
            ],
        );
        // No invocation before the function may publish.
        stack.add_dependency(&function.id, &grant);
        let topic = || vec![self.arn()];
        let policy = sns::TopicPolicy {
            topics: topic(),
            policy_document: PolicyDocument::new(vec![
                Statement::deny(&["sns:Publish"], topic())
                    .sid("DenyPublishWithoutTls")
                    .principal(Principal::Any)
                    .condition(json!({"Bool": {"aws:SecureTransport": "false"}})),
                // Denied unless the caller is the handler's role or the request
                // comes from one of the alarms (aws:SourceArn is set only by AWS
                // services acting for a resource; absent, the test denies).
                Statement::deny(&["sns:Publish"], topic())
                    .sid("DenyPublishByOthers")
                    .principal(Principal::Any)
                    .condition(json!({
                        "ArnNotEquals": {"aws:PrincipalArn": function.role.arn()},
                        "ArnNotLike": {"aws:SourceArn": alarms},
                    })),
                Statement::allow(&["sns:Publish"], topic())
                    .sid("AllowPublishByHandler")
                    .principal(Principal::Aws(function.role.arn())),
                Statement::allow(&["sns:Publish"], topic())
                    .sid("AllowPublishByHealthAlarms")
                    .principal(Principal::Service("cloudwatch.amazonaws.com".into()))
                    .condition(json!({
                        "ArnLike": {"aws:SourceArn": alarms},
                        "StringEquals": {"aws:SourceAccount": Value::Pseudo(Pseudo::AccountId)},
                    })),
            ]),
        };
        stack.add(&format!("{}Policy", self.id.as_str()), &policy);
    }

    /// Subscribes an e-mail address (the owner must confirm it).
    pub fn subscribe_email(&self, stack: &mut Stack, id: &str, address: Value) -> LogicalId {
        let subscription = sns::Subscription {
            topic_arn: self.arn(),
            protocol: "email".into(),
            endpoint: address,
        };
        stack.add(id, &subscription)
    }
}

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

/// An EventBridge rule on the default bus, built up and then added with [`Rule::add_to`].
#[derive(Debug, Clone)]
pub struct Rule {
    id: String,
    rule: events::Rule,
    targets: Vec<Function>,
}

impl Rule {
    /// A rule matching `pattern`, in `state` (`ENABLED`, or
    /// `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` to receive read-only calls).
    pub fn new(id: &str, description: &str, pattern: serde_json::Value, state: &str) -> Self {
        Self {
            id: id.to_owned(),
            rule: events::Rule {
                description: Some(description.into()),
                event_bus_name: None,
                event_pattern: pattern,
                state: state.into(),
                targets: Vec::new(),
            },
            targets: Vec::new(),
        }
    }

    /// Invokes `function` for every matched event, retrying for a day and sending
    /// what cannot be delivered to `dead_letters` (whose policy must then accept
    /// this rule: [`Queue::accept_dead_letters_from`]).
    pub fn add_target(&mut self, function: &Function, dead_letters: &Queue) {
        self.rule.targets.push(events::Target {
            id: function.id.as_str().to_owned(),
            arn: function.arn(),
            role_arn: None,
            retry_policy: Some(RETRY_FOR_A_DAY),
            dead_letter_config: Some(DeadLetterConfig {
                arn: dead_letters.arn(),
            }),
        });
        self.targets.push(function.clone());
    }

    /// Listens on `bus` instead of the account's default bus.
    pub fn on(mut self, bus: &Bus) -> Self {
        self.rule.event_bus_name = Some(bus.name());
        self
    }

    /// Sends every matched event to the bus `bus_arn` (in any account or
    /// region) as `role`, retrying for a day, with what cannot be delivered
    /// going to `dead_letters`.
    pub fn forward_to(&mut self, bus_arn: Value, role: &Role, dead_letters: &Queue) {
        self.rule.targets.push(events::Target {
            id: "HomeBus".to_owned(),
            arn: bus_arn,
            role_arn: Some(role.arn()),
            retry_policy: Some(RETRY_FOR_A_DAY),
            dead_letter_config: Some(DeadLetterConfig {
                arn: dead_letters.arn(),
            }),
        });
    }

    /// Adds the rule and, per target, the `Lambda::Permission` for EventBridge
    /// (scoped to this rule, whose ARN names the account).
    pub fn add_to(self, stack: &mut Stack) -> LogicalId {
        let id = stack.add(&self.id, &self.rule);
        for function in &self.targets {
            let permission = lambda::Permission {
                action: "lambda:InvokeFunction".into(),
                function_name: function.arn(),
                principal: "events.amazonaws.com".into(),
                source_arn: id.get_att("Arn"),
            };
            stack.add(
                &format!("{}{}Permission", self.id, function.id.as_str()),
                &permission,
            );
        }
        id
    }
}

/// A custom EventBridge bus.
#[derive(Debug, Clone)]
pub struct Bus {
    pub id: LogicalId,
}

impl Bus {
    /// Adds the bus named `name`.
    pub fn new(stack: &mut Stack, id: &str, name: Value) -> Self {
        Self {
            id: stack.add(id, &events::EventBus { name }),
        }
    }

    /// The bus's name (`Fn::GetAtt Name`, equal to its `Ref`; the emulator
    /// resolves only this one to the name).
    pub fn name(&self) -> Value {
        self.id.get_att("Name")
    }

    /// The bus's ARN.
    pub fn arn(&self) -> Value {
        self.id.get_att("Arn")
    }

    /// Lets the forwarders put events on the bus: the roles matching
    /// `forwarder_roles` (an ARN pattern whose account part is `*`) in this
    /// account and, when `admits` holds, in the accounts of the organization
    /// named by the `organization` parameter (through `aws:PrincipalOrgID`).
    ///
    /// EventBridge's guide to sending events between buses
    /// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html)
    /// has the receiving bus allow the sender in its resource policy; its
    /// cross-region page leaves that step out. Both forms accept a statement
    /// naming the sending roles, so this account's own forwarders are named
    /// too, not left to IAM alone.
    pub fn admit_forwarders(
        &self,
        stack: &mut Stack,
        forwarder_roles: &str,
        organization: &LogicalId,
        admits: &LogicalId,
    ) {
        let roles_in = |account: &str| {
            Value::sub(format!(
                "arn:${{AWS::Partition}}:iam::{account}:role{forwarder_roles}*"
            ))
        };
        let account = Statement::allow(&["events:PutEvents"], vec![self.arn()])
            .principal(Principal::Aws(account_root()))
            .condition(json!({"ArnLike": {"aws:PrincipalArn": roles_in("${AWS::AccountId}")}}));
        self.add_policy(stack, "Account", "TrailwatchAccountForwarders", account);
        let statement = Statement::allow(&["events:PutEvents"], vec![self.arn()])
            .principal(Principal::Any)
            .condition(json!({
                "StringEquals": {"aws:PrincipalOrgID": organization.reference()},
                "ArnLike": {"aws:PrincipalArn": roles_in("*")},
            }));
        let id = self.add_policy(stack, "", "TrailwatchOrganizationForwarders", statement);
        stack.set_condition(&id, admits);
    }

    fn add_policy(
        &self,
        stack: &mut Stack,
        id_suffix: &str,
        statement_id: &str,
        statement: Statement,
    ) -> LogicalId {
        let policy = events::EventBusPolicy {
            event_bus_name: self.name(),
            statement_id: statement_id.into(),
            statement,
        };
        stack.add(&format!("{}{id_suffix}Policy", self.id.as_str()), &policy)
    }
}
