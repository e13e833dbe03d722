//! Why a smoke alert did not come, as real AWS would answer (aws-smithy-mocks):
//! each link of the path broken alone is named, and a healthy path says so.

use crate::aws_mocks;

use std::time::SystemTime;

use aws_sdk_cloudtrail::types::ReadWriteType;
use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsOutput;
use aws_sdk_cloudwatchlogs::types::FilteredLogEvent;
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::types::RuleState;
use aws_sdk_sns::operation::get_subscription_attributes::GetSubscriptionAttributesOutput;
use aws_sdk_sns::operation::list_subscriptions_by_topic::ListSubscriptionsByTopicOutput;
use aws_sdk_sns::types::Subscription;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use xtask::clients::Clients;
use xtask::operations::smoke::Target;
use xtask::operations::smoke::diagnosis::diagnose;

/// How each link answers.
struct Path {
    trail_logging: bool,
    rule_state: RuleState,
    error_lines: Vec<&'static str>,
    dead_letters: u64,
    filter_policy: Option<&'static str>,
}

impl Default for Path {
    fn default() -> Self {
        Self {
            trail_logging: true,
            rule_state: RuleState::Enabled,
            error_lines: Vec::new(),
            dead_letters: 0,
            filter_policy: None,
        }
    }
}

fn clients(path: Path) -> Clients {
    let [trails, status, selectors] = aws_mocks::trail(path.trail_logging, ReadWriteType::All);
    let state = path.rule_state.clone();
    let rule = mock!(aws_sdk_eventbridge::Client::describe_rule)
        .then_output(move || DescribeRuleOutput::builder().state(state.clone()).build());
    let lines = path.error_lines.clone();
    let logs = mock!(aws_sdk_cloudwatchlogs::Client::filter_log_events).then_output(move || {
        let mut output = FilterLogEventsOutput::builder();
        for line in &lines {
            output = output.events(FilteredLogEvent::builder().message(*line).build());
        }
        output.build()
    });
    let queue = aws_mocks::queue_depth(path.dead_letters);
    let subscriptions = mock!(aws_sdk_sns::Client::list_subscriptions_by_topic).then_output(|| {
        ListSubscriptionsByTopicOutput::builder()
            .subscriptions(
                Subscription::builder()
                    .subscription_arn("arn:aws:sns:us-east-1:111122223333:trailwatch-AlertTopic:1")
                    .protocol("https")
                    .endpoint("https://pager.example.com/hook")
                    .build(),
            )
            .build()
    });
    let policy = path.filter_policy;
    let attributes =
        mock!(aws_sdk_sns::Client::get_subscription_attributes).then_output(move || {
            let mut output = GetSubscriptionAttributesOutput::builder();
            if let Some(policy) = policy {
                output = output.attributes("FilterPolicy", policy);
            }
            output.build()
        });
    Clients {
        region: "us-east-1".to_owned(),
        // Not asked by the diagnosis.
        cloudformation: mock_client!(aws_sdk_cloudformation, []),
        cloudwatch: mock_client!(aws_sdk_cloudwatch, []),
        cloudtrail: mock_client!(
            aws_sdk_cloudtrail,
            RuleMode::MatchAny,
            [&trails, &status, &selectors]
        ),
        eventbridge: mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&rule]),
        logs: mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, [&logs]),
        sqs: mock_client!(aws_sdk_sqs, RuleMode::MatchAny, [&queue]),
        sns: mock_client!(
            aws_sdk_sns,
            RuleMode::MatchAny,
            [&subscriptions, &attributes]
        ),
    }
}

fn target() -> Target {
    Target {
        stack: "trailwatch".to_owned(),
        region: "us-east-1".to_owned(),
        topic_arn: "arn:aws:sns:us-east-1:111122223333:trailwatch-AlertTopic".to_owned(),
        rule_arns: vec![
            "arn:aws:events:us-east-1:111122223333:rule/trailwatch-SecurityEventRule1-ABC"
                .to_owned(),
        ],
        dead_letter_url: Some(
            "https://sqs.us-east-1.amazonaws.com/111122223333/trailwatch-DeadLetterQueue"
                .to_owned(),
        ),
        log_group: "/trailwatch/trailwatch/handler".to_owned(),
    }
}

async fn findings(path: Path) -> Vec<String> {
    diagnose(&clients(path), &target(), SystemTime::now()).await
}

#[tokio::test]
async fn a_healthy_path_says_cloudtrail_may_be_slow() {
    assert_eq!(
        findings(Path::default()).await,
        [
            "every link looks right: CloudTrail may be slower than usual; run cargo xtask smoke again with a longer --timeout-minutes"
        ]
    );
}

#[tokio::test]
async fn a_stopped_trail_is_named_with_the_region() {
    let path = Path {
        trail_logging: false,
        ..Path::default()
    };
    assert_eq!(
        findings(path).await,
        [
            "no CloudTrail trail is logging write management events in us-east-1: EventBridge receives no API calls there (create a trail or start logging)"
        ]
    );
}

#[tokio::test]
async fn a_disabled_rule_is_named() {
    let path = Path {
        rule_state: RuleState::Disabled,
        ..Path::default()
    };
    assert_eq!(
        findings(path).await,
        [
            "rule trailwatch-SecurityEventRule1-ABC is DISABLED: it delivers nothing (cargo xtask deploy restores it)"
        ]
    );
}

#[tokio::test]
async fn the_handlers_error_lines_are_shown() {
    let path = Path {
        error_lines: vec![
            "ERROR publishing the alert to SNS failed: AuthorizationError\n",
            "Task timed out after 10.01 seconds",
        ],
        ..Path::default()
    };
    assert_eq!(
        findings(path).await,
        [
            "the handler logged errors in /trailwatch/trailwatch/handler:\n      ERROR publishing the alert to SNS failed: AuthorizationError\n      Task timed out after 10.01 seconds"
        ]
    );
}

#[tokio::test]
async fn dead_letters_are_counted_with_the_queue() {
    let path = Path {
        dead_letters: 3,
        ..Path::default()
    };
    assert_eq!(
        findings(path).await,
        [
            "3 events wait in the dead-letter queue https://sqs.us-east-1.amazonaws.com/111122223333/trailwatch-DeadLetterQueue: the handler or a rule failed on them"
        ]
    );
}

#[tokio::test]
async fn a_subscription_filtering_out_low_alerts_is_named() {
    let path = Path {
        filter_policy: Some(r#"{"severity": ["HIGH", "CRITICAL"]}"#),
        ..Path::default()
    };
    assert_eq!(
        findings(path).await,
        [
            "subscription https://pager.example.com/hook (https) filters on severity and would not receive this LOW alert"
        ]
    );
}

#[tokio::test]
async fn a_filter_admitting_low_alerts_is_not_a_finding() {
    let path = Path {
        filter_policy: Some(r#"{"severity": ["LOW", "HIGH"]}"#),
        ..Path::default()
    };
    assert_eq!(findings(path).await.len(), 1, "only the all-right line");
}
