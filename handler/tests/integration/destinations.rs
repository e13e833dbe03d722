//! Security Hub and an EventBridge bus as destinations: the requests as AWS
//! documents them, retries on throttling, and failures that never touch the
//! alert's publish. Both services are replaced at the HTTP layer, so the
//! SDK's own serialisation, error parsing and retries run.

use std::sync::Mutex;

use aws_sdk_securityhub::config::{Credentials, Region};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_types::body::SdkBody;
use serde_json::{Value, json};

use crate::common;

use common::{TODAY, sample};
use handler::destinations::security_hub::Regions;
use handler::destinations::{Bus, Destinations, SecurityHub, bus};
use handler::render::Message;
use handler::{Context, PublishError, Publisher, handle};

const HOME: &str = "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default";

/// An HTTP exchange answered with `status` and `body`.
fn answer(status: u16, error: Option<&str>, body: Value) -> ReplayEvent {
    let mut response = http::Response::builder().status(status);
    if let Some(error) = error {
        response = response.header("x-amzn-errortype", error);
    }
    ReplayEvent::new(
        http::Request::builder()
            .uri("https://replaced.invalid/")
            .body(SdkBody::empty())
            .expect("request"),
        response
            .body(SdkBody::from(body.to_string()))
            .expect("response"),
    )
}

fn imported() -> ReplayEvent {
    answer(
        200,
        None,
        json!({"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []}),
    )
}

fn hub(http: &StaticReplayClient, regions: Regions) -> SecurityHub {
    let config = aws_sdk_securityhub::Config::builder()
        .behavior_version_latest()
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "test"))
        .retry_config(
            aws_sdk_securityhub::config::retry::RetryConfig::standard()
                .with_initial_backoff(std::time::Duration::from_millis(1)),
        )
        .http_client(http.clone())
        .build();
    SecurityHub::new(config, HOME, regions).expect("a default product ARN")
}

fn bus_on(http: &StaticReplayClient, name: &str) -> Bus {
    let config = aws_sdk_eventbridge::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_eventbridge::config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_eventbridge::config::Credentials::new(
            "AKID", "SECRET", None, None, "test",
        ))
        .http_client(http.clone())
        .build();
    Bus::new(aws_sdk_eventbridge::Client::from_conf(config), name.into())
}

/// The JSON bodies and hosts of the requests made.
fn requests(http: &StaticReplayClient) -> Vec<(String, Value)> {
    http.actual_requests()
        .map(|request| {
            let host = request
                .uri()
                .split('/')
                .nth(2)
                .unwrap_or_default()
                .to_owned();
            let body = serde_json::from_slice(request.body().bytes().expect("a body in memory"))
                .expect("a JSON request");
            (host, body)
        })
        .collect()
}

/// A publisher keeping its messages, with destinations.
struct WithDestinations {
    destinations: Destinations,
    published: Mutex<Vec<Message>>,
    fails: bool,
}

impl WithDestinations {
    fn new(destinations: Destinations) -> Self {
        Self {
            destinations,
            published: Mutex::default(),
            fails: false,
        }
    }
}

impl Publisher for WithDestinations {
    async fn publish(&self, message: &Message) -> Result<(), PublishError> {
        if self.fails {
            return Err(PublishError::Publish("SNS is unreachable".into()));
        }
        self.published.lock().expect("lock").push(message.clone());
        Ok(())
    }

    async fn defer(&self, _: &str) -> Result<(), PublishError> {
        Ok(())
    }

    fn destinations(&self) -> Option<&Destinations> {
        Some(&self.destinations)
    }
}

async fn handle_sample(publisher: &WithDestinations, name: &str) -> handler::Handled {
    handle(
        publisher,
        &common::every_monitor(),
        &Context::default(),
        &common::raw(&sample(name)),
        TODAY,
    )
    .await
    .expect("the alert is published")
}

#[tokio::test]
async fn an_alert_is_imported_as_one_asff_finding_in_the_documented_shape() {
    let http = StaticReplayClient::new(vec![imported()]);
    let publisher = WithDestinations::new(Destinations {
        security_hub: Some(hub(&http, Regions::Listed(Vec::new()))),
        bus: None,
    });
    handle_sample(&publisher, "iam-create-user-by-root").await;
    let requests = requests(&http);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].0, "securityhub.eu-west-1.amazonaws.com");
    // ProductFields is a map the SDK sends in no fixed order.
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!("asff_iam_create_user_by_root", requests[0].1);
    });
}

#[tokio::test]
async fn a_retried_event_imports_the_same_finding_id() {
    let http = StaticReplayClient::new(vec![imported(), imported()]);
    let publisher = WithDestinations::new(Destinations {
        security_hub: Some(hub(&http, Regions::Listed(Vec::new()))),
        bus: None,
    });
    handle_sample(&publisher, "iam-create-user-by-root").await;
    handle_sample(&publisher, "iam-create-user-by-root").await;
    let ids: Vec<Value> = requests(&http)
        .into_iter()
        .map(|(_, body)| body["Findings"][0]["Id"].clone())
        .collect();
    assert_eq!(
        ids,
        vec![json!("trailwatch/iam-create-user/6a1f0005-4c2d-4e5f-9a1b-3c4d5e6f0005"); 2]
    );
}

#[tokio::test]
async fn throttling_is_retried_until_security_hub_takes_the_finding() {
    let throttled = answer(
        429,
        Some("LimitExceededException"),
        json!({"Code": "LimitExceededException", "Message": "Rate exceeded"}),
    );
    let http = StaticReplayClient::new(vec![throttled, imported()]);
    let destinations = Destinations {
        security_hub: Some(hub(&http, Regions::Listed(Vec::new()))),
        bus: None,
    };
    let raw = common::raw(&sample("iam-create-user-by-root"));
    let alert = common::judge(&raw);
    let failures = destinations.send(destinations.prepare(&alert), "{}").await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(requests(&http).len(), 2);
}

#[tokio::test]
async fn a_refused_finding_is_counted_and_the_alert_still_published() {
    let refused = answer(
        200,
        None,
        json!({"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [
            {"Id": "x", "ErrorCode": "InvalidInput", "ErrorMessage": "Title too long"}
        ]}),
    );
    let http = StaticReplayClient::new(vec![refused]);
    let publisher = WithDestinations::new(Destinations {
        security_hub: Some(hub(&http, Regions::Listed(Vec::new()))),
        bus: None,
    });
    let handled = handle_sample(&publisher, "iam-create-user-by-root").await;
    assert!(handled.subject.is_some());
    assert_eq!(publisher.published.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn a_refusal_names_the_destination_and_the_reason() {
    let refused = answer(
        403,
        Some("AccessDeniedException"),
        json!({"Message": "not authorized to perform securityhub:BatchImportFindings"}),
    );
    let http = StaticReplayClient::new(vec![refused]);
    let destinations = Destinations {
        security_hub: Some(hub(&http, Regions::Listed(Vec::new()))),
        bus: None,
    };
    let raw = common::raw(&sample("iam-create-user-by-root"));
    let failures = destinations
        .send(destinations.prepare(&common::judge(&raw)), "{}")
        .await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].destination, "SecurityHub");
    assert!(
        failures[0].why.contains("securityhub:BatchImportFindings"),
        "{}",
        failures[0].why
    );
}

#[tokio::test]
async fn a_forwarded_region_gets_the_finding_and_hands_it_home_when_security_hub_is_off_there() {
    let not_enabled = answer(
        401,
        Some("InvalidAccessException"),
        json!({"Code": "InvalidAccessException", "Message": "Account 111122223333 is not subscribed to AWS Security Hub"}),
    );
    let http = StaticReplayClient::new(vec![not_enabled, imported()]);
    let destinations = Destinations {
        security_hub: Some(hub(&http, Regions::Listed(vec!["us-east-1".into()]))),
        bus: None,
    };
    let raw = common::raw(&sample("iam-create-user-by-root")); // us-east-1
    let failures = destinations
        .send(destinations.prepare(&common::judge(&raw)), "{}")
        .await;
    assert!(failures.is_empty(), "{failures:?}");
    let requests = requests(&http);
    let sent: Vec<(&str, &Value)> = requests
        .iter()
        .map(|(host, body)| (host.as_str(), &body["Findings"][0]["ProductArn"]))
        .collect();
    assert_eq!(
        sent,
        vec![
            (
                "securityhub.us-east-1.amazonaws.com",
                &json!("arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default")
            ),
            ("securityhub.eu-west-1.amazonaws.com", &json!(HOME)),
        ]
    );
}

#[tokio::test]
async fn a_region_the_deployment_does_not_forward_is_imported_at_home() {
    let http = StaticReplayClient::new(vec![imported()]);
    let destinations = Destinations {
        security_hub: Some(hub(&http, Regions::Listed(vec!["ap-south-1".into()]))),
        bus: None,
    };
    let raw = common::raw(&sample("iam-create-user-by-root")); // us-east-1
    destinations
        .send(destinations.prepare(&common::judge(&raw)), "{}")
        .await;
    let requests = requests(&http);
    assert_eq!(requests[0].0, "securityhub.eu-west-1.amazonaws.com");
    assert_eq!(requests[0].1["Findings"][0]["ProductArn"], HOME);
    assert_eq!(
        requests[0].1["Findings"][0]["Resources"][0]["Region"],
        "us-east-1"
    );
}

#[tokio::test]
async fn the_bus_receives_the_alert_document_as_a_trailwatch_alert_event() {
    let http = StaticReplayClient::new(vec![answer(
        200,
        None,
        json!({"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}),
    )]);
    let publisher = WithDestinations::new(Destinations {
        security_hub: None,
        bus: Some(bus_on(&http, "security-alerts")),
    });
    handle_sample(&publisher, "iam-create-user-by-root").await;
    let requests = requests(&http);
    let entry = &requests[0].1["Entries"][0];
    assert_eq!(
        (
            &entry["Source"],
            &entry["DetailType"],
            &entry["EventBusName"]
        ),
        (
            &json!("trailwatch"),
            &json!("trailwatch Alert"),
            &json!("security-alerts")
        )
    );
    let detail: Value =
        serde_json::from_str(entry["Detail"].as_str().expect("text")).expect("JSON");
    let published = publisher.published.lock().expect("lock");
    assert_eq!(detail["schema"], "trailwatch.alert");
    assert_eq!(
        entry["Detail"].as_str(),
        Some(published[0].document.as_str())
    );
}

#[tokio::test]
async fn an_entry_the_bus_refuses_is_a_failure_of_the_bus_only() {
    let refused = answer(
        200,
        None,
        json!({"FailedEntryCount": 1, "Entries": [
            {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}
        ]}),
    );
    let hub_http = StaticReplayClient::new(vec![imported()]);
    let bus_http = StaticReplayClient::new(vec![refused]);
    let destinations = Destinations {
        security_hub: Some(hub(&hub_http, Regions::Listed(Vec::new()))),
        bus: Some(bus_on(&bus_http, "default")),
    };
    let raw = common::raw(&sample("iam-create-user-by-root"));
    let failures = destinations
        .send(destinations.prepare(&common::judge(&raw)), "{}")
        .await;
    let named: Vec<(&str, &str)> = failures
        .iter()
        .map(|f| (f.destination, f.why.as_str()))
        .collect();
    assert_eq!(
        named,
        vec![(
            "EventBridge",
            "the bus refused the event: NotAuthorizedForSourceException Not authorized for the source."
        )]
    );
    assert_eq!(requests(&hub_http).len(), 1);
}

#[tokio::test]
async fn an_event_over_eventbridge_s_limit_is_refused_before_the_call() {
    let http = StaticReplayClient::new(Vec::new());
    let bus = bus_on(&http, "default");
    let document = format!("{{\"pad\":\"{}\"}}", "x".repeat(bus::MAX_ENTRY_BYTES));
    let error = bus.put(&document).await.expect_err("too large");
    assert!(
        error.why.contains("over EventBridge's 262144"),
        "{}",
        error.why
    );
    assert_eq!(http.actual_requests().count(), 0);
}

#[tokio::test]
async fn the_destinations_still_get_the_alert_when_sns_fails() {
    let http = StaticReplayClient::new(vec![imported()]);
    let publisher = WithDestinations {
        fails: true,
        ..WithDestinations::new(Destinations {
            security_hub: Some(hub(&http, Regions::Listed(Vec::new()))),
            bus: None,
        })
    };
    let result = handle(
        &publisher,
        &common::every_monitor(),
        &Context::default(),
        &common::raw(&sample("iam-create-user-by-root")),
        TODAY,
    )
    .await;
    assert!(result.is_err());
    assert_eq!(requests(&http).len(), 1);
}

#[test]
fn every_sample_s_finding_keeps_within_asff_s_limits() {
    let product = handler::destinations::asff::Product::parse(HOME).expect("product");
    let now = time::macros::datetime!(2026-11-30 0:00 UTC);
    for (name, event) in common::all_samples() {
        let raw = common::raw(&event);
        let finding = handler::destinations::asff::finding(&common::judge(&raw), &product, now);
        let chars = |s: Option<&str>| s.map_or(0, |s| s.chars().count());
        let fields = finding.product_fields().cloned().unwrap_or_default();
        let recommendation = finding
            .remediation()
            .and_then(|r| r.recommendation())
            .and_then(|r| r.text());
        assert!(
            (1..=256).contains(&chars(finding.title()))
                && (1..=1024).contains(&chars(finding.description()))
                && chars(recommendation) <= 512
                && chars(finding.id()) <= 512
                && (1..=50).contains(&finding.types().len())
                && (1..=32).contains(&finding.resources().len())
                && fields.len() <= 50
                && fields
                    .iter()
                    .all(|(k, v)| k.len() <= 128 && v.len() <= 2048),
            "{name}: {finding:?}"
        );
        assert!(
            finding.types().iter().all(|t| t.split('/').count() >= 2),
            "{name}: {:?}",
            finding.types()
        );
    }
}
