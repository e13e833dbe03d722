//! `status` as real AWS would answer (aws-smithy-mocks), for what the emulator
//! does not reproduce: CloudWatch metrics and alarms, drift, pending
//! subscriptions, a disabled rule.

use crate::aws_mocks;

use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
use aws_sdk_cloudformation::types::{
    Stack, StackDriftInformation, StackDriftStatus, StackResourceSummary, StackStatus,
};
use aws_sdk_cloudtrail::types::ReadWriteType;
use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
use aws_sdk_cloudwatch::types::{MetricAlarm, MetricDataResult};
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::types::RuleState;
use aws_sdk_sns::operation::list_subscriptions_by_topic::ListSubscriptionsByTopicOutput;
use aws_sdk_sns::types::Subscription;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use xtask::clients::Clients;
use xtask::operations::status::{self, RegionStatus};

/// What the account answers.
struct Account {
    drift: StackDriftStatus,
    rule: RuleState,
    errors: f64,
    failed_rule_invocations: f64,
    dead_letters: u64,
    firing: Option<&'static str>,
    email_pending: bool,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            drift: StackDriftStatus::InSync,
            rule: RuleState::Enabled,
            errors: 0.0,
            failed_rule_invocations: 0.0,
            dead_letters: 0,
            firing: None,
            email_pending: false,
        }
    }
}

fn resource(id: &str, kind: &str, physical: &str) -> StackResourceSummary {
    StackResourceSummary::builder()
        .logical_resource_id(id)
        .resource_type(kind)
        .physical_resource_id(physical)
        .build()
}

fn clients(account: Account) -> Clients {
    let drift = account.drift.clone();
    let stack = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_output(move || {
        DescribeStacksOutput::builder()
            .stacks(
                Stack::builder()
                    .stack_name("trailwatch")
                    .stack_status(StackStatus::UpdateComplete)
                    .drift_information(
                        StackDriftInformation::builder()
                            .stack_drift_status(drift.clone())
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let resources = mock!(aws_sdk_cloudformation::Client::list_stack_resources).then_output(|| {
        ListStackResourcesOutput::builder()
            .stack_resource_summaries(resource(
                "Handler",
                "AWS::Lambda::Function",
                "trailwatch-Handler-1",
            ))
            .stack_resource_summaries(resource(
                "SecurityEventRule1",
                "AWS::Events::Rule",
                "trailwatch-SecurityEventRule1-1",
            ))
            .stack_resource_summaries(resource(
                "DeadLetterQueue",
                "AWS::SQS::Queue",
                "https://sqs.us-east-1.amazonaws.com/111122223333/trailwatch-DLQ",
            ))
            .stack_resource_summaries(resource(
                "HandlerErrorsAlarm",
                "AWS::CloudWatch::Alarm",
                "trailwatch-health-handler-errors",
            ))
            .stack_resource_summaries(resource(
                "AlertTopic",
                "AWS::SNS::Topic",
                "arn:aws:sns:us-east-1:111122223333:trailwatch-AlertTopic",
            ))
            .build()
    });
    let [trails, logging, selectors] = aws_mocks::trail(true, ReadWriteType::WriteOnly);
    let state = account.rule.clone();
    let rule = mock!(aws_sdk_eventbridge::Client::describe_rule)
        .then_output(move || DescribeRuleOutput::builder().state(state.clone()).build());
    let (errors, failed) = (account.errors, account.failed_rule_invocations);
    let metrics = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_output(move || {
        let result =
            |id: &str, value: f64| MetricDataResult::builder().id(id).values(value).build();
        GetMetricDataOutput::builder()
            .metric_data_results(result("invocations", 120.0))
            .metric_data_results(result("errors", errors))
            .metric_data_results(result("rule0", failed))
            .build()
    });
    let firing = account.firing;
    let alarms = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(move || {
        let mut output = DescribeAlarmsOutput::builder();
        if let Some(name) = firing {
            output = output.metric_alarms(MetricAlarm::builder().alarm_name(name).build());
        }
        output.build()
    });
    let queue = aws_mocks::queue_depth(account.dead_letters);
    let email = if account.email_pending {
        "PendingConfirmation"
    } else {
        "arn:aws:sns:us-east-1:111122223333:trailwatch-AlertTopic:2"
    };
    let subscriptions =
        mock!(aws_sdk_sns::Client::list_subscriptions_by_topic).then_output(move || {
            ListSubscriptionsByTopicOutput::builder()
                .subscriptions(
                    Subscription::builder()
                        .subscription_arn(
                            "arn:aws:sns:us-east-1:111122223333:trailwatch-AlertTopic:1",
                        )
                        .protocol("sqs")
                        .endpoint("arn:aws:sqs:us-east-1:111122223333:siem")
                        .build(),
                )
                .subscriptions(
                    Subscription::builder()
                        .subscription_arn(email)
                        .protocol("email")
                        .endpoint("security@example.com")
                        .build(),
                )
                .build()
        });
    Clients {
        region: "us-east-1".to_owned(),
        cloudformation: mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&stack, &resources]
        ),
        cloudtrail: mock_client!(
            aws_sdk_cloudtrail,
            RuleMode::MatchAny,
            [&trails, &logging, &selectors]
        ),
        cloudwatch: mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&metrics, &alarms]),
        eventbridge: mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&rule]),
        logs: mock_client!(aws_sdk_cloudwatchlogs, []),
        sns: mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&subscriptions]),
        sqs: mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&queue]),
    }
}

async fn report(account: Account) -> RegionStatus {
    status::region_status(&clients(account), "trailwatch")
        .await
        .expect("status")
}

#[tokio::test]
async fn a_healthy_region_reports_its_counts_and_needs_no_attention() {
    let report = report(Account::default()).await;
    assert_eq!(report.attention, Vec::<String>::new());
    assert_eq!(
        (
            report.last_24_hours.invocations,
            report.last_24_hours.errors
        ),
        (Some(120.0), Some(0.0))
    );
    assert_eq!(
        status::describe(&report),
        "trailwatch (us-east-1)\n  \
         stack         UPDATE_COMPLETE (drift: IN_SYNC)\n  \
         trail         logging write management events\n  \
         rule          trailwatch-SecurityEventRule1-1 ENABLED\n  \
         24 hours      120 invocations, 0 errors, 0 failed rule invocations\n  \
         queue         DeadLetterQueue 0 messages\n  \
         alarms        none in ALARM\n  \
         subscription  AlertTopic sqs arn:aws:sqs:us-east-1:111122223333:siem (confirmed)\n  \
         subscription  AlertTopic email security@example.com (confirmed)\n  \
         all well\n"
    );
}

#[tokio::test]
async fn every_problem_of_a_region_is_named() {
    let report = report(Account {
        drift: StackDriftStatus::Drifted,
        rule: RuleState::Disabled,
        errors: 3.0,
        failed_rule_invocations: 2.0,
        dead_letters: 4,
        firing: Some("trailwatch-health-handler-errors"),
        email_pending: true,
    })
    .await;
    assert_eq!(
        report.attention,
        [
            "stack trailwatch has drifted from its template: run cargo xtask deploy to restore it",
            "rule trailwatch-SecurityEventRule1-1 is DISABLED",
            "the handler failed 3 times in the last 24 hours",
            "rules failed to invoke their target 2 times in the last 24 hours",
            "4 messages wait in DeadLetterQueue (https://sqs.us-east-1.amazonaws.com/111122223333/trailwatch-DLQ): events that were not alerted or forwarded",
            "alarm trailwatch-health-handler-errors is in ALARM",
            "email subscription security@example.com to AlertTopic is pending confirmation: it receives nothing until confirmed",
        ]
    );
}

#[tokio::test]
async fn each_regions_last_canary_is_read_from_the_home_region_and_a_silent_one_needs_attention() {
    use aws_sdk_cloudwatch::primitives::DateTime;
    let metrics = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_output(|| {
        GetMetricDataOutput::builder()
            .metric_data_results(
                MetricDataResult::builder()
                    .id("canary0")
                    .timestamps(DateTime::from_secs(1_764_655_200))
                    .values(1.0)
                    .timestamps(DateTime::from_secs(1_764_676_800))
                    .values(0.0)
                    .build(),
            )
            .metric_data_results(MetricDataResult::builder().id("canary1").build())
            .build()
    });
    let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&metrics]);
    let region = |name: &str| RegionStatus {
        region: name.to_owned(),
        canary: Some(status::CanaryStatus::default()),
        ..RegionStatus::default()
    };
    let mut reports = vec![region("us-east-1"), region("eu-west-1")];

    status::add_last_canaries(&cloudwatch, &mut reports).await;

    assert_eq!(
        reports[0].canary.as_ref().and_then(|c| c.last.as_deref()),
        Some("2025-12-02T06:00:00Z")
    );
    assert!(reports[0].attention.is_empty());
    assert_eq!(reports[1].canary, Some(status::CanaryStatus::default()));
    assert_eq!(
        reports[1].attention,
        [
            "no canary from eu-west-1 reached the handler in the last 48 hours: CloudTrail, a rule, forwarding or the handler is broken for this region"
        ]
    );
    assert!(
        status::describe(&reports[1]).contains("canary        none received in the last 48 hours"),
        "{}",
        status::describe(&reports[1])
    );
}
