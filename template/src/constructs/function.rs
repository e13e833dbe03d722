//! The Lambda function: its role, log group, code, and the grants it needs.

use std::collections::BTreeMap;

use super::{Key, Queue, Role};
use crate::intrinsic::{LogicalId, Value};
use crate::resources::iam::Statement;
use crate::resources::{lambda, logs};
use crate::stack::{DeletionPolicy, Stack};

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
