//! StackSet behaviours of real AWS the emulator does not reproduce (operations
//! that run for a while, fail in some accounts, or are throttled), replayed at
//! the SDK level with aws-smithy-mocks.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::create_stack_instances::CreateStackInstancesOutput;
use aws_sdk_cloudformation::operation::create_stack_set::CreateStackSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_set::DescribeStackSetError;
use aws_sdk_cloudformation::operation::describe_stack_set_operation::{
    DescribeStackSetOperationError, DescribeStackSetOperationOutput,
};
use aws_sdk_cloudformation::operation::list_stack_set_operation_results::ListStackSetOperationResultsOutput;
use aws_sdk_cloudformation::types::error::StackSetNotFoundException;
use aws_sdk_cloudformation::types::{
    CallAs, PermissionModels, StackSetOperation, StackSetOperationResultStatus,
    StackSetOperationResultSummary, StackSetOperationStatus,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use xtask::config::regions::{Organization, Preferences};
use xtask::deploy::changes::Approval;
use xtask::deploy::cloudformation::Template;
use xtask::deploy::stackset::{AccountFailure, StackSetReport, StackSetSpec, StackSets};

fn organization(delegated_admin: bool) -> Organization {
    Organization {
        ou_ids: vec!["ou-ab12-cdef3456".into()],
        regions: None,
        delegated_admin,
        preferences: Preferences::default(),
    }
}

fn stack_sets(client: Client, delegated_admin: bool) -> StackSets {
    StackSets::new(
        client,
        &organization(delegated_admin),
        Duration::from_millis(1),
    )
}

fn operation(status: StackSetOperationStatus) -> DescribeStackSetOperationOutput {
    DescribeStackSetOperationOutput::builder()
        .stack_set_operation(StackSetOperation::builder().status(status).build())
        .build()
}

fn throttled() -> DescribeStackSetOperationError {
    DescribeStackSetOperationError::generic(
        ErrorMetadata::builder()
            .code("Throttling")
            .message("Rate exceeded")
            .build(),
    )
}

fn result(
    account: &str,
    status: StackSetOperationResultStatus,
    reason: &str,
) -> StackSetOperationResultSummary {
    StackSetOperationResultSummary::builder()
        .account(account)
        .region("eu-west-1")
        .status(status)
        .status_reason(reason)
        .build()
}

/// DescribeStackSet finding no StackSet.
fn no_stack_set() -> Rule {
    mock!(Client::describe_stack_set).then_error(|| {
        DescribeStackSetError::StackSetNotFoundException(
            StackSetNotFoundException::builder()
                .message("not found")
                .build(),
        )
    })
}

fn results(summaries: Vec<StackSetOperationResultSummary>) -> Rule {
    mock!(Client::list_stack_set_operation_results)
        .sequence()
        .output(move || {
            ListStackSetOperationResultsOutput::builder()
                .set_summaries(Some(summaries.clone()))
                .build()
        })
        .repeatedly()
        .build()
}

#[tokio::test]
async fn an_operation_failing_in_one_account_names_the_account_and_cloudformations_reason() {
    let describe = mock!(Client::describe_stack_set_operation)
        .sequence()
        .output(|| operation(StackSetOperationStatus::Running))
        .output(|| operation(StackSetOperationStatus::Failed))
        .build();
    let results = results(vec![
        result("111111111111", StackSetOperationResultStatus::Succeeded, ""),
        result(
            "222222222222",
            StackSetOperationResultStatus::Failed,
            "ResourceLogicalId:ForwarderRole, ResourceType:AWS::IAM::Role, ResourceStatusReason:Access denied by SCP",
        ),
    ]);
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&describe, &results]
    );
    let mut report = StackSetReport::default();

    let error = stack_sets(client, false)
        .wait("trailwatch-forwarder", "add instances", "op-1", &mut report)
        .await
        .expect_err("failed operation");

    assert_eq!(
        report.failures,
        [AccountFailure {
            account: "222222222222".into(),
            region: "eu-west-1".into(),
            reason: "ResourceLogicalId:ForwarderRole, ResourceType:AWS::IAM::Role, ResourceStatusReason:Access denied by SCP".into(),
        }]
    );
    let message = format!("{error:#}");
    assert!(
        message.contains("ended FAILED")
            && message
                .contains("account 222222222222 in eu-west-1: ResourceLogicalId:ForwarderRole")
            && !message.contains("111111111111"),
        "{message}"
    );
    assert_eq!(
        report.operations,
        [("add instances".to_owned(), "FAILED".to_owned())]
    );
}

#[tokio::test]
async fn throttling_while_polling_slows_down_instead_of_failing() {
    let describe = mock!(Client::describe_stack_set_operation)
        .sequence()
        .error(throttled)
        .times(3)
        .output(|| operation(StackSetOperationStatus::Running))
        .output(|| operation(StackSetOperationStatus::Succeeded))
        .build();
    let results = results(vec![result(
        "111111111111",
        StackSetOperationResultStatus::Succeeded,
        "",
    )]);
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&describe, &results]
    );
    let mut report = StackSetReport::default();

    stack_sets(client, false)
        .wait("trailwatch-forwarder", "update", "op-2", &mut report)
        .await
        .expect("succeeded after throttling");

    assert_eq!(describe.num_calls(), 5);
    assert_eq!(
        report.operations,
        [("update".to_owned(), "SUCCEEDED".to_owned())]
    );
    assert!(report.failures.is_empty());
}

#[tokio::test]
async fn a_new_stack_set_is_service_managed_with_automatic_deployment_to_the_ous_and_regions() {
    let absent = no_stack_set();
    let create = mock!(Client::create_stack_set)
        .match_requests(|request| {
            let auto = request.auto_deployment().expect("auto deployment");
            request.permission_model() == Some(&PermissionModels::ServiceManaged)
                && auto.enabled() == Some(true)
                && auto.retain_stacks_on_account_removal() == Some(false)
                && request.call_as() == Some(&CallAs::DelegatedAdmin)
                && request.parameters().len() == 1
        })
        .then_output(|| CreateStackSetOutput::builder().stack_set_id("ss-1").build());
    let instances = mock!(Client::create_stack_instances)
        .match_requests(|request| {
            let preferences = request.operation_preferences().expect("preferences");
            request
                .deployment_targets()
                .map(|t| t.organizational_unit_ids())
                == Some(&["ou-ab12-cdef3456".to_owned()][..])
                && request.regions() == ["eu-west-1", "us-east-1"]
                && preferences.max_concurrent_percentage() == Some(25)
                && preferences.failure_tolerance_percentage() == Some(10)
        })
        .then_output(|| {
            CreateStackInstancesOutput::builder()
                .operation_id("op-3")
                .build()
        });
    let describe = mock!(Client::describe_stack_set_operation)
        .then_output(|| operation(StackSetOperationStatus::Succeeded));
    let results = results(Vec::new());
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&absent, &create, &instances, &describe, &results]
    );
    let spec = StackSetSpec {
        name: "trailwatch-forwarder".into(),
        template: Template::Body("Resources: {}".into()),
        parameters: BTreeMap::from([(
            "HomeBusArn".into(),
            "arn:aws:events:us-east-1:111122223333:event-bus/trailwatch-forwarded".into(),
        )]),
        tags: BTreeMap::new(),
        ou_ids: vec!["ou-ab12-cdef3456".into()],
        regions: BTreeSet::from(["eu-west-1".to_owned(), "us-east-1".to_owned()]),
        excluded_account: None,
    };

    let report = stack_sets(client, true)
        .deploy(&spec, Approval::Ask)
        .await
        .expect("deployed");

    assert_eq!((create.num_calls(), instances.num_calls()), (1, 1));
    assert_eq!(
        report.operations,
        [("add instances".to_owned(), "SUCCEEDED".to_owned())]
    );
}

#[tokio::test]
async fn removing_an_ou_from_the_stack_set_needs_approval_and_changes_nothing_without_it() {
    use aws_sdk_cloudformation::operation::describe_stack_set::DescribeStackSetOutput;
    use aws_sdk_cloudformation::operation::list_stack_instances::ListStackInstancesOutput;
    use aws_sdk_cloudformation::operation::update_stack_set::UpdateStackSetOutput;
    use aws_sdk_cloudformation::types::StackInstanceSummary;
    let present =
        mock!(Client::describe_stack_set).then_output(|| DescribeStackSetOutput::builder().build());
    let listed = mock!(Client::list_stack_instances).then_output(|| {
        ListStackInstancesOutput::builder()
            .summaries(
                StackInstanceSummary::builder()
                    .organizational_unit_id("ou-ab12-oldoldol")
                    .region("eu-west-1")
                    .build(),
            )
            .build()
    });
    let update = mock!(Client::update_stack_set)
        .then_output(|| UpdateStackSetOutput::builder().operation_id("op-4").build());
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&present, &listed, &update]
    );
    let spec = StackSetSpec {
        name: "trailwatch-forwarder".into(),
        template: Template::Body("Resources: {}".into()),
        parameters: BTreeMap::new(),
        tags: BTreeMap::new(),
        ou_ids: vec!["ou-ab12-cdef3456".into()],
        regions: BTreeSet::from(["eu-west-1".to_owned()]),
        excluded_account: None,
    };

    let error = stack_sets(client, false)
        .deploy(&spec, Approval::Ask)
        .await
        .expect_err("not approved");

    assert_eq!(update.num_calls(), 0);
    assert!(
        error.to_string().starts_with(
            "Remove the organization's forwarders from OUs [ou-ab12-oldoldol] and regions []?"
        ),
        "{error}"
    );
}

/// The delegated administrator's own account, a member of the target OU.
const HOME_ACCOUNT: &str = "111122223333";

fn delegated_spec() -> StackSetSpec {
    StackSetSpec {
        name: "trailwatch-forwarder".into(),
        template: Template::Url(
            "https://trailwatch-assets.s3.us-east-1.amazonaws.com/templates/abc.yaml".into(),
        ),
        parameters: BTreeMap::new(),
        tags: BTreeMap::new(),
        ou_ids: vec!["ou-ab12-cdef3456".into()],
        regions: BTreeSet::from(["eu-west-1".to_owned()]),
        excluded_account: Some(HOME_ACCOUNT.into()),
    }
}

#[tokio::test]
async fn a_delegated_administrators_stack_set_leaves_its_own_account_out_and_reads_the_template_by_url()
 {
    use aws_sdk_cloudformation::types::AccountFilterType;
    let absent = no_stack_set();
    let create = mock!(Client::create_stack_set)
        .match_requests(|request| {
            request.template_url()
                == Some("https://trailwatch-assets.s3.us-east-1.amazonaws.com/templates/abc.yaml")
                && request.template_body().is_none()
        })
        .then_output(|| CreateStackSetOutput::builder().stack_set_id("ss-1").build());
    let instances = mock!(Client::create_stack_instances)
        .match_requests(|request| {
            let targets = request.deployment_targets().expect("targets");
            targets.organizational_unit_ids() == ["ou-ab12-cdef3456"]
                && targets.account_filter_type() == Some(&AccountFilterType::Difference)
                && targets.accounts() == [HOME_ACCOUNT]
        })
        .then_output(|| {
            CreateStackInstancesOutput::builder()
                .operation_id("op-5")
                .build()
        });
    let describe = mock!(Client::describe_stack_set_operation)
        .then_output(|| operation(StackSetOperationStatus::Succeeded));
    let results = results(Vec::new());
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&absent, &create, &instances, &describe, &results]
    );

    stack_sets(client, true)
        .deploy(&delegated_spec(), Approval::Given)
        .await
        .expect("deployed");

    assert_eq!((create.num_calls(), instances.num_calls()), (1, 1));
}

#[tokio::test]
async fn instances_an_earlier_deploy_put_into_the_delegated_administrators_account_are_removed() {
    use aws_sdk_cloudformation::operation::delete_stack_instances::DeleteStackInstancesOutput;
    use aws_sdk_cloudformation::operation::describe_stack_set::DescribeStackSetOutput;
    use aws_sdk_cloudformation::operation::list_stack_instances::ListStackInstancesOutput;
    use aws_sdk_cloudformation::operation::update_stack_set::UpdateStackSetOutput;
    use aws_sdk_cloudformation::types::{AccountFilterType, StackInstanceSummary};
    let present =
        mock!(Client::describe_stack_set).then_output(|| DescribeStackSetOutput::builder().build());
    let instance = |account: &str| {
        StackInstanceSummary::builder()
            .organizational_unit_id("ou-ab12-cdef3456")
            .region("eu-west-1")
            .account(account)
            .build()
    };
    let listed = mock!(Client::list_stack_instances).then_output(move || {
        ListStackInstancesOutput::builder()
            .summaries(instance(HOME_ACCOUNT))
            .summaries(instance("444455556666"))
            .build()
    });
    let update = mock!(Client::update_stack_set)
        .then_output(|| UpdateStackSetOutput::builder().operation_id("op-6").build());
    let delete = mock!(Client::delete_stack_instances)
        .match_requests(|request| {
            let targets = request.deployment_targets().expect("targets");
            targets.account_filter_type() == Some(&AccountFilterType::Intersection)
                && targets.accounts() == [HOME_ACCOUNT]
                && request.regions() == ["eu-west-1"]
                && request.retain_stacks() == Some(false)
        })
        .then_output(|| {
            DeleteStackInstancesOutput::builder()
                .operation_id("op-7")
                .build()
        });
    let describe = mock!(Client::describe_stack_set_operation)
        .sequence()
        .output(|| operation(StackSetOperationStatus::Succeeded))
        .repeatedly()
        .build();
    let results = results(Vec::new());
    let client = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&present, &listed, &update, &delete, &describe, &results]
    );

    let report = stack_sets(client, true)
        .deploy(&delegated_spec(), Approval::Given)
        .await
        .expect("deployed");

    assert_eq!(delete.num_calls(), 1);
    assert_eq!(
        report.operations,
        [
            ("update".to_owned(), "SUCCEEDED".to_owned()),
            (
                "remove the deploying account's instances".to_owned(),
                "SUCCEEDED".to_owned()
            )
        ]
    );
}
