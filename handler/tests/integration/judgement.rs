//! Judgements that are not an alert of one sample: requests a monitor
//! selects but dismisses, and what a known organization changes.

use crate::common;

use common::{TODAY, every_monitor, sample};
use handler::Severity;
use handler::pipeline::{Verdict, verdict};

#[test]
fn a_queue_attribute_change_that_sets_no_policy_is_dismissed() {
    let mut event = sample("sqs-queue-policy-public-wildcard-source");
    event["detail"]["requestParameters"]["attributes"] =
        serde_json::json!({"VisibilityTimeout": "60"});
    let raw = common::raw(&event);
    let verdict = verdict(&raw, &every_monitor(), TODAY);
    assert!(
        matches!(&verdict, Verdict::Dismissed { reason, .. } if reason == "the request sets no resource policy"),
        "{verdict:?}"
    );
}

#[test]
fn a_policy_pinned_to_the_known_organization_stays_at_home() {
    let raw = common::raw(&sample(
        "s3-put-bucket-policy-star-pinned-to-an-organization",
    ));
    let at_home = every_monitor().with_organization("o-a1b2c3d4e5");
    let alert = verdict(&raw, &at_home, TODAY).alert().expect("an alert");
    assert_eq!(alert.severity, Severity::Low);
    let elsewhere = every_monitor().with_organization("o-f6g7h8i9j0");
    let alert = verdict(&raw, &elsewhere, TODAY).alert().expect("an alert");
    assert_eq!(alert.severity, Severity::High);
    assert_eq!(
        alert.title,
        "alice shared S3 bucket acme-web-assets with another account"
    );
}
