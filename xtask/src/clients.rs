//! The service clients `status`, `smoke` and its diagnosis use, for one account
//! and region: built once, and replaceable by mocks in tests.

use aws_config::SdkConfig;

/// One account and region's clients.
#[derive(Debug, Clone)]
pub struct Clients {
    pub region: String,
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// Clients for the configuration's account and region.
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            region: crate::aws::region(sdk),
            cloudformation: aws_sdk_cloudformation::Client::new(sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::new(sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            eventbridge: aws_sdk_eventbridge::Client::new(sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
        }
    }
}
