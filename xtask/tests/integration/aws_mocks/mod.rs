//! Answers of real AWS shared by the SDK-level mock tests (aws-smithy-mocks).

use aws_sdk_cloudtrail::operation::describe_trails::DescribeTrailsOutput;
use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType, Trail};
use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_mocks::{Rule, mock};

/// A region with one trail, logging or stopped, whose selectors record
/// `selected` management events: DescribeTrails, GetTrailStatus, GetEventSelectors.
pub fn trail(logging: bool, selected: ReadWriteType) -> [Rule; 3] {
    let trails = mock!(aws_sdk_cloudtrail::Client::describe_trails).then_output(|| {
        DescribeTrailsOutput::builder()
            .trail_list(
                Trail::builder()
                    .name("management-events")
                    .trail_arn("arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events")
                    .build(),
            )
            .build()
    });
    let status = mock!(aws_sdk_cloudtrail::Client::get_trail_status)
        .then_output(move || GetTrailStatusOutput::builder().is_logging(logging).build());
    let selectors = mock!(aws_sdk_cloudtrail::Client::get_event_selectors).then_output(move || {
        GetEventSelectorsOutput::builder()
            .event_selectors(
                EventSelector::builder()
                    .read_write_type(selected.clone())
                    .include_management_events(true)
                    .build(),
            )
            .build()
    });
    [trails, status, selectors]
}

/// A queue holding `messages` (GetQueueAttributes).
pub fn queue_depth(messages: u64) -> Rule {
    let depth = messages.to_string();
    mock!(aws_sdk_sqs::Client::get_queue_attributes).then_output(move || {
        GetQueueAttributesOutput::builder()
            .attributes(
                QueueAttributeName::ApproximateNumberOfMessages,
                depth.clone(),
            )
            .build()
    })
}
