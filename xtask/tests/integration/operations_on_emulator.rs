//! `status` and `smoke` against the local emulator: what status reports of a
//! freshly deployed stack, and that smoke proves the path, times out with a
//! diagnosis, and stops on Ctrl-C, removing everything it created each time.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_config::SdkConfig;
use serde_json::json;
use xtask::local::emulator::Emulator;
use xtask::operations::smoke::{self, Action, CloudTrail, Delivery, Target};
use xtask::operations::status;

/// Stands in for CloudTrail on the emulator: the call's event, as CloudTrail
/// would put it on the bus, judged and published by the handler library.
struct HandlerStandIn {
    sdk: SdkConfig,
    topic_arn: String,
}

impl Delivery for HandlerStandIn {
    async fn delivered(&self, action: &Action) -> anyhow::Result<()> {
        let event = smoke::event(action, "123456789012");
        let publisher =
            handler::SnsPublisher::new(aws_sdk_sns::Client::new(&self.sdk), self.topic_arn.clone());
        let raw = serde_json::value::to_raw_value(&event)?;
        let every = handler::Detection::from(handler::Selection::every());
        let today = time::OffsetDateTime::now_utc().date();
        handler::handle(
            &publisher,
            &every,
            &handler::Context::default(),
            &raw,
            today,
        )
        .await?;
        Ok(())
    }
}

async fn topic(sdk: &SdkConfig) -> String {
    aws_sdk_sns::Client::new(sdk)
        .create_topic()
        .name("trailwatch-alerts")
        .send()
        .await
        .expect("topic")
        .topic_arn()
        .expect("arn")
        .to_owned()
}

fn target(topic_arn: &str) -> Target {
    Target {
        stack: "trailwatch".to_owned(),
        region: "us-east-1".to_owned(),
        topic_arn: topic_arn.to_owned(),
        rule_arns: Vec::new(),
        dead_letter_url: None,
        log_group: "/trailwatch/trailwatch/handler".to_owned(),
    }
}

/// Whatever smoke could have left: queues, buckets, subscriptions.
async fn leftovers(sdk: &SdkConfig, topic_arn: &str) -> Vec<String> {
    let mut left = Vec::new();
    let queues = aws_sdk_sqs::Client::new(sdk)
        .list_queues()
        .send()
        .await
        .expect("queues");
    left.extend(queues.queue_urls().iter().cloned());
    let buckets = common::s3(sdk)
        .list_buckets()
        .send()
        .await
        .expect("buckets");
    left.extend(
        buckets
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_owned)),
    );
    let subscriptions = aws_sdk_sns::Client::new(sdk)
        .list_subscriptions_by_topic()
        .topic_arn(topic_arn)
        .send()
        .await
        .expect("subscriptions");
    left.extend(
        subscriptions
            .subscriptions()
            .iter()
            .filter_map(|s| s.subscription_arn().map(str::to_owned)),
    );
    left
}

#[tokio::test]
async fn smoke_receives_the_alert_of_its_call_reports_the_latency_and_removes_what_it_created() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let topic_arn = topic(&sdk).await;
    let stand_in = HandlerStandIn {
        sdk: sdk.clone(),
        topic_arn: topic_arn.clone(),
    };

    let proof = smoke::run(
        &sdk,
        &target(&topic_arn),
        &stand_in,
        Duration::from_secs(60),
        std::future::pending(),
    )
    .await
    .expect("the alert arrives");

    assert_eq!(
        (&proof.document["event_name"], &proof.document["severity"]),
        (&json!("PutBucketVersioning"), &json!("LOW"))
    );
    assert!(
        proof.latency < Duration::from_secs(60),
        "{:?}",
        proof.latency
    );
    assert_eq!(leftovers(&sdk, &topic_arn).await, Vec::<String>::new());
}

#[tokio::test]
async fn smoke_without_an_alert_times_out_with_a_diagnosis_and_removes_what_it_created() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let topic_arn = topic(&sdk).await;

    let error = smoke::run(
        &sdk,
        &target(&topic_arn),
        &CloudTrail,
        Duration::from_secs(2),
        std::future::pending(),
    )
    .await
    .expect_err("no CloudTrail on the emulator: no alert");

    let message = format!("{error:#}");
    assert!(
        message.contains("no alert for the PutBucketVersioning call on trailwatch-smoke-"),
        "{message}"
    );
    assert!(
        message.contains("no CloudTrail trail is logging write management events in us-east-1"),
        "{message}"
    );
    assert_eq!(leftovers(&sdk, &topic_arn).await, Vec::<String>::new());
}

/// Delivers nothing, and raises a flag once everything is created.
struct Interrupts(Arc<AtomicBool>);

impl Delivery for Interrupts {
    async fn delivered(&self, _: &Action) -> anyhow::Result<()> {
        self.0.store(true, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn smoke_stopped_by_ctrl_c_removes_what_it_created() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let topic_arn = topic(&sdk).await;
    let created = Arc::new(AtomicBool::new(false));
    let ctrl_c = {
        let created = created.clone();
        async move {
            while !created.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };

    let error = smoke::run(
        &sdk,
        &target(&topic_arn),
        &Interrupts(created.clone()),
        Duration::from_secs(600),
        ctrl_c,
    )
    .await
    .expect_err("interrupted");

    assert!(created.load(Ordering::SeqCst));
    assert_eq!(format!("{error:#}"), "interrupted");
    assert_eq!(leftovers(&sdk, &topic_arn).await, Vec::<String>::new());
}

#[tokio::test]
async fn status_of_a_fresh_stack_reports_its_parts_and_names_the_missing_trail() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    common::create_default_stack(&sdk, "trailwatch").await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
    // The emulator creates no subscriptions from templates: subscribe as a user would.
    let outputs = cloudformation
        .describe_stacks()
        .stack_name("trailwatch")
        .send()
        .await
        .expect("stack");
    let topic_arn = outputs.stacks()[0]
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some("TopicArn"))
        .and_then(|o| o.output_value())
        .expect("TopicArn")
        .to_owned();
    aws_sdk_sns::Client::new(&sdk)
        .subscribe()
        .topic_arn(&topic_arn)
        .protocol("https")
        .endpoint("https://pager.example.com/hook")
        .send()
        .await
        .expect("subscribe");

    let reports = status::collect(&sdk, "trailwatch").await.expect("status");

    assert_eq!(reports.len(), 1);
    let home = &reports[0];
    assert_eq!(
        (home.home, home.stack_status.as_deref()),
        (true, Some("CREATE_COMPLETE"))
    );
    assert!(home.rules.len() >= 2, "{:?}", home.rules);
    assert!(
        home.rules.iter().all(|r| r.state == "ENABLED"
            || (r.name.contains("ReadOnlyEventRule")
                && r.state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")),
        "{:?}",
        home.rules
    );
    assert_eq!(
        home.queues
            .iter()
            .map(|q| (q.name.as_str(), q.messages))
            .collect::<Vec<_>>(),
        [("DeadLetterQueue", 0)]
    );
    assert_eq!(
        home.subscriptions
            .iter()
            .map(|s| (s.protocol.as_str(), s.pending))
            .collect::<Vec<_>>(),
        [("https", false)]
    );
    // The emulator does not speak the CBOR protocol of the CloudWatch SDK:
    // that part is named as unreadable and the rest still reported (the
    // CloudWatch parts are tested with mocks in status_real_aws_behaviours).
    let attention: Vec<&str> = home
        .attention
        .iter()
        .map(|a| a.split(": GetMetricData").next().unwrap_or_default())
        .collect();
    assert_eq!(
        attention,
        [
            "no logging CloudTrail trail records write management events here: EventBridge receives none",
            "could not read the last 24 hours' metrics",
        ]
    );
    let text = status::describe(home);
    assert!(
        text.contains("subscription  AlertTopic https https://pager.example.com/hook (confirmed)"),
        "{text}"
    );
}

#[tokio::test]
async fn status_of_an_absent_stack_says_it_is_not_deployed() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;

    let reports = status::collect(&sdk, "trailwatch").await.expect("status");

    assert_eq!(
        reports[0].attention,
        ["stack trailwatch is not deployed here"]
    );
    assert!(reports[0].needs_attention());
}

#[tokio::test]
async fn publish_uploads_template_and_zip_and_links_a_console_form_filled_with_them() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let session = xtask::deploy::Session::new(&sdk, Duration::from_millis(20));
    let config = common::config_file("publish", "", Default::default());
    let assembly = common::assembly("publish", &config);

    let launch = xtask::console::publish(
        &session,
        "trailwatch",
        &assembly,
        xtask::deploy::changes::Approval::Given,
    )
    .await
    .expect("published");

    let template_key = launch
        .template_url
        .rsplit_once(".amazonaws.com/")
        .map(|(_, key)| key.to_owned())
        .expect("an S3 URL");
    let template = common::s3(&sdk)
        .get_object()
        .bucket(&launch.bucket)
        .key(&template_key)
        .send()
        .await
        .expect("template uploaded");
    let body = template.body.collect().await.expect("body").into_bytes();
    assert_eq!(body, assembly.template.as_bytes());
    common::s3(&sdk)
        .head_object()
        .bucket(&launch.bucket)
        .key(&launch.key)
        .send()
        .await
        .expect("zip uploaded");
    let encode = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    assert_eq!(
        launch.link,
        format!(
            "https://us-east-1.console.aws.amazon.com/cloudformation/home?region=us-east-1#/stacks/create/review?templateURL={}&stackName=trailwatch&param_ArtifactBucket={}&param_ArtifactKey={}",
            encode(&launch.template_url),
            encode(&launch.bucket),
            encode(&launch.key)
        )
    );
}

#[test]
fn smoke_refuses_to_run_when_the_configuration_would_not_alert_on_its_call() {
    let detection = handler::Detection::from(
        handler::Selection::resolve(Some(&["cis".to_owned()]), &[]).expect("the cis pack"),
    );
    let error = smoke::check_alerted(&detection, "trailwatch").expect_err("not monitored");
    assert!(
        error.to_string().starts_with(
            "the configuration would not alert on the smoke test's PutBucketVersioning call"
        ),
        "{error}"
    );
    let every = handler::Detection::from(handler::Selection::default());
    smoke::check_alerted(&every, "trailwatch").expect("the default monitors alert on it");
}
