//! CloudFormation behaviours of real AWS that the emulator does not reproduce,
//! replayed at the SDK level with aws-smithy-mocks.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::create_change_set::{
    CreateChangeSetError, CreateChangeSetOutput,
};
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ChangeSetType, ChangeType, Output, Replacement,
    ResourceChange, ResourceStatus, Stack, StackEvent, StackStatus,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use xtask::deploy::changes::Approval;
use xtask::deploy::cloudformation::{Driver, StackSpec, Template};

fn spec() -> StackSpec {
    StackSpec {
        name: "trailwatch".into(),
        template: Template::Body("Resources: {}".into()),
        parameters: BTreeMap::new(),
        tags: BTreeMap::new(),
    }
}

fn stack(status: StackStatus) -> DescribeStacksOutput {
    let stack = Stack::builder()
        .stack_name("trailwatch")
        .creation_time(DateTime::from_secs(0))
        .stack_status(status)
        .outputs(
            Output::builder()
                .output_key("TopicArn")
                .output_value("arn:aws:sns:eu-west-1:111122223333:alerts")
                .build(),
        )
        .build();
    DescribeStacksOutput::builder().stacks(stack).build()
}

fn absent() -> DescribeStacksError {
    DescribeStacksError::generic(
        ErrorMetadata::builder()
            .code("ValidationError")
            .message("Stack with id trailwatch does not exist")
            .build(),
    )
}

/// An event a minute in the future, so it counts as new for any wait started now.
fn event(id: &str, logical: &str, kind: &str, status: ResourceStatus, reason: &str) -> StackEvent {
    StackEvent::builder()
        .stack_id("arn:aws:cloudformation:eu-west-1:111122223333:stack/trailwatch/1")
        .event_id(id)
        .stack_name("trailwatch")
        .logical_resource_id(logical)
        .resource_type(kind)
        .resource_status(status)
        .resource_status_reason(reason)
        .timestamp(DateTime::from(SystemTime::now() + Duration::from_secs(60)))
        .build()
}

/// DescribeStacks answering, every time, with an updated stack.
fn settled() -> Rule {
    mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::UpdateComplete))
        .repeatedly()
        .build()
}

fn change_set_ready() -> Rule {
    change_set_of(ChangeAction::Modify, "Handler", "AWS::Lambda::Function")
}

/// A ready change set of one change.
fn change_set_of(action: ChangeAction, logical_id: &str, kind: &str) -> Rule {
    let change = Change::builder()
        .r#type(ChangeType::Resource)
        .resource_change(
            ResourceChange::builder()
                .action(action)
                .logical_resource_id(logical_id)
                .resource_type(kind)
                .replacement(Replacement::False)
                .build(),
        )
        .build();
    mock!(Client::describe_change_set).then_output(move || {
        DescribeChangeSetOutput::builder()
            .status(ChangeSetStatus::CreateComplete)
            .changes(change.clone())
            .build()
    })
}

fn create_change_set(kind: ChangeSetType) -> Rule {
    mock!(Client::create_change_set)
        .match_requests(move |request| request.change_set_type() == Some(&kind))
        .then_output(|| CreateChangeSetOutput::builder().id("cs-1").build())
}

fn delete_change_set() -> Rule {
    mock!(Client::delete_change_set).then_output(|| DeleteChangeSetOutput::builder().build())
}

fn execute() -> Rule {
    mock!(Client::execute_change_set).then_output(|| ExecuteChangeSetOutput::builder().build())
}

fn no_events() -> Rule {
    mock!(Client::describe_stack_events)
        .sequence()
        .output(|| DescribeStackEventsOutput::builder().build())
        .repeatedly()
        .build()
}

fn driver(client: Client) -> Driver {
    Driver::new(client, Duration::from_millis(1))
}

#[tokio::test]
async fn a_stack_left_in_rollback_complete_is_deleted_and_created_afresh() {
    let describe = mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::RollbackComplete))
        .error(absent)
        .output(|| stack(StackStatus::CreateComplete))
        .repeatedly()
        .build();
    let delete = mock!(Client::delete_stack).then_output(|| DeleteStackOutput::builder().build());
    let create = create_change_set(ChangeSetType::Create);
    let execute = execute();
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [
            &describe,
            &delete,
            &create,
            &change_set_ready(),
            &execute,
            &no_events()
        ]
    );

    let deployed = driver(client)
        .deploy(&spec(), Approval::Given)
        .await
        .expect("deploy");

    assert_eq!(
        (delete.num_calls(), create.num_calls(), execute.num_calls()),
        (1, 1, 1)
    );
    assert!(deployed.executed);
    assert_eq!(
        deployed.outputs["TopicArn"],
        "arn:aws:sns:eu-west-1:111122223333:alerts"
    );
}

#[tokio::test]
async fn a_rolled_back_update_fails_naming_each_failed_resource_and_its_reason() {
    let describe = mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::UpdateComplete))
        .output(|| stack(StackStatus::UpdateRollbackComplete))
        .repeatedly()
        .build();
    let events = mock!(Client::describe_stack_events)
        .sequence()
        .output(|| {
            DescribeStackEventsOutput::builder()
                .stack_events(event("3", "trailwatch", "AWS::CloudFormation::Stack", ResourceStatus::UpdateRollbackComplete, ""))
                .stack_events(event("2", "Handler", "AWS::Lambda::Function", ResourceStatus::UpdateFailed,
                    "Resource handler returned message: \"Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [10].\""))
                .stack_events(event("1", "HandlerLogs", "AWS::Logs::LogGroup", ResourceStatus::UpdateComplete, ""))
                .build()
        })
        .repeatedly()
        .build();
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [
            &describe,
            &create_change_set(ChangeSetType::Update),
            &change_set_ready(),
            &execute(),
            &events
        ]
    );

    let error = driver(client)
        .deploy(&spec(), Approval::Given)
        .await
        .expect_err("rolled back")
        .to_string();

    assert!(error.starts_with("the update of trailwatch failed and was rolled back; the stack is unchanged and still works."), "{error}");
    assert!(error.contains("\n  - Handler AWS::Lambda::Function UPDATE_FAILED: Resource handler returned message: \"Specified ReservedConcurrentExecutions"), "{error}");
    assert!(
        !error.contains("HandlerLogs"),
        "a resource that did not fail is listed: {error}"
    );
}

#[tokio::test]
async fn no_updates_to_be_performed_is_success_without_executing() {
    let describe = settled();
    let create = mock!(Client::create_change_set).then_error(|| {
        CreateChangeSetError::generic(
            ErrorMetadata::builder()
                .code("ValidationError")
                .message("No updates are to be performed.")
                .build(),
        )
    });
    let execute = execute();
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&describe, &create, &execute]
    );

    let deployed = driver(client)
        .deploy(&spec(), Approval::Given)
        .await
        .expect("no-op");

    assert!(!deployed.executed);
    assert_eq!(execute.num_calls(), 0);
}

#[tokio::test]
async fn an_empty_change_set_is_deleted_and_nothing_executed() {
    let describe = settled();
    let failed = mock!(Client::describe_change_set).then_output(|| {
        DescribeChangeSetOutput::builder()
            .status(ChangeSetStatus::Failed)
            .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
            .build()
    });
    let delete = delete_change_set();
    let execute = execute();
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [
            &describe,
            &create_change_set(ChangeSetType::Update),
            &failed,
            &delete,
            &execute
        ]
    );

    let deployed = driver(client)
        .deploy(&spec(), Approval::Given)
        .await
        .expect("no-op");

    assert_eq!(
        (deployed.executed, delete.num_calls(), execute.num_calls()),
        (false, 1, 0)
    );
}

#[tokio::test]
async fn a_stack_in_progress_is_waited_for_before_the_change_set() {
    let describe = mock!(Client::describe_stacks)
        .sequence()
        .output(|| stack(StackStatus::UpdateInProgress))
        .times(3)
        .output(|| stack(StackStatus::UpdateComplete))
        .repeatedly()
        .build();
    let create = create_change_set(ChangeSetType::Update);
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [
            &describe,
            &create,
            &change_set_ready(),
            &execute(),
            &no_events()
        ]
    );

    let deployed = driver(client)
        .deploy(&spec(), Approval::Given)
        .await
        .expect("deploy after waiting");

    assert!(deployed.executed);
    assert_eq!(create.num_calls(), 1);
    assert!(
        describe.num_calls() >= 4,
        "did not wait: {} DescribeStacks calls",
        describe.num_calls()
    );
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk() {
    let throttled = r#"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>"#;
    let describe = mock!(Client::describe_stacks)
        .sequence()
        .http_status(400, Some(throttled.to_owned()))
        .times(2)
        .output(|| stack(StackStatus::UpdateComplete))
        .repeatedly()
        .build();
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&describe],
        |config| {
            config.retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
        }
    );

    let status = driver(client)
        .status("trailwatch")
        .await
        .expect("retried until it succeeded");

    assert_eq!(status, Some(StackStatus::UpdateComplete));
    assert_eq!(describe.num_calls(), 3);
}

#[tokio::test]
async fn expired_credentials_say_how_to_refresh_them() {
    let describe = mock!(Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(
            ErrorMetadata::builder()
                .code("ExpiredToken")
                .message("The security token included in the request is expired")
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, [&describe]);

    let error = driver(client)
        .deploy(&spec(), Approval::Given)
        .await
        .expect_err("expired")
        .to_string();

    assert_eq!(
        error,
        "DescribeStacks failed: your AWS credentials have expired; refresh them (for SSO: `aws sso login`) and run the command again"
    );
}

/// Deploys a change set of one change without `--yes` (tests have no terminal to ask).
async fn deploy_unapproved(action: ChangeAction, logical_id: &str, kind: &str) -> (String, usize) {
    let describe = settled();
    let delete = delete_change_set();
    let execute = execute();
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [
            &describe,
            &create_change_set(ChangeSetType::Update),
            &change_set_of(action, logical_id, kind),
            &delete,
            &execute
        ]
    );
    let error = driver(client)
        .deploy(&spec(), Approval::Ask)
        .await
        .expect_err("not approved");
    assert_eq!(delete.num_calls(), 1, "the change set is discarded");
    (error.to_string(), execute.num_calls())
}

#[tokio::test]
async fn removing_the_tls_only_topic_policy_needs_approval() {
    let (error, executed) = deploy_unapproved(
        ChangeAction::Remove,
        "AlertTopicPolicy",
        "AWS::SNS::TopicPolicy",
    )
    .await;
    assert_eq!(executed, 0);
    assert!(error.starts_with("not deployed: "), "{error}");
}

#[tokio::test]
async fn narrowing_what_the_rules_select_needs_approval() {
    let (error, executed) =
        deploy_unapproved(ChangeAction::Modify, "EventRule1", "AWS::Events::Rule").await;
    assert_eq!(executed, 0);
    assert!(error.starts_with("not deployed: "), "{error}");
}

#[tokio::test]
async fn a_code_update_needs_no_approval() {
    let describe = settled();
    let execute = execute();
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [
            &describe,
            &create_change_set(ChangeSetType::Update),
            &change_set_ready(),
            &execute,
            &no_events()
        ]
    );
    driver(client)
        .deploy(&spec(), Approval::Ask)
        .await
        .expect("deployed without asking");
    assert_eq!(execute.num_calls(), 1);
}
