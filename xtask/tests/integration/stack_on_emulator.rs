//! The rendered template creates a working stack on the local emulator.

use crate::common;

use aws_sdk_cloudformation::types::StackStatus;
use xtask::local::emulator::Emulator;

#[tokio::test]
async fn template_creates_topic_rule_role_function_queue_and_log_group() {
    let emulator = Emulator::start().expect("emulator");
    let config = emulator.sdk_config().await;
    let stack = common::create_default_stack(&config, "trailwatch-test").await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&config);

    let described = cloudformation
        .describe_stacks()
        .stack_name("trailwatch-test")
        .send()
        .await
        .expect("DescribeStacks");
    assert_eq!(
        described.stacks()[0].stack_status(),
        Some(&StackStatus::CreateComplete)
    );
    let resources = cloudformation
        .list_stack_resources()
        .stack_name("trailwatch-test")
        .send()
        .await
        .expect("resources");
    let found = |id: &str| {
        resources
            .stack_resource_summaries()
            .iter()
            .find(|r| r.logical_resource_id() == Some(id))
            .map(|r| {
                (
                    r.resource_type().unwrap_or_default().to_owned(),
                    r.physical_resource_id().unwrap_or_default().to_owned(),
                )
            })
            .unwrap_or_else(|| panic!("{id} not created"))
    };
    for (id, kind) in [
        ("AlertTopic", "AWS::SNS::Topic"),
        ("SecurityEventRule1", "AWS::Events::Rule"),
        ("HandlerRole", "AWS::IAM::Role"),
        ("Handler", "AWS::Lambda::Function"),
        ("DeadLetterQueue", "AWS::SQS::Queue"),
        ("HandlerLogs", "AWS::Logs::LogGroup"),
    ] {
        assert_eq!(found(id).0, kind);
    }
    let rule_name = found("SecurityEventRule1").1;
    let rule_name = rule_name.rsplit('/').next().unwrap_or(&rule_name);
    let events = aws_sdk_eventbridge::Client::new(&config);
    let rule = events
        .describe_rule()
        .name(rule_name)
        .send()
        .await
        .expect("DescribeRule");
    let pattern: serde_json::Value =
        serde_json::from_str(rule.event_pattern().expect("pattern")).expect("JSON pattern");
    let expected = stack.to_json().expect("json")["Resources"]["SecurityEventRule1"]["Properties"]
        ["EventPattern"]
        .clone();
    assert_eq!(pattern, expected);
}
