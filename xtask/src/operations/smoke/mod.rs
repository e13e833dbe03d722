//! `cargo xtask smoke`: proves the whole path in a real account and region.
//! It subscribes a temporary queue to the alert topic, performs one harmless
//! monitored call (turning on versioning of a new, empty S3 bucket, a LOW
//! alert), waits for the alert, and removes everything it created, also on
//! failure and on Ctrl-C. When no alert comes it says why it may not have.

pub mod diagnosis;
mod target;

pub use target::{EVENT_NAME, SEVERITY, Target};

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Result, anyhow, bail};
use aws_config::SdkConfig;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    VersioningConfiguration,
};
use serde_json::{Value, json};

use crate::aws::explain;
use crate::queues::{self, Subscription};
use crate::terminal;

/// The call made: the bucket, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub bucket: String,
    pub region: String,
    pub at: SystemTime,
}

/// The CloudTrail event of the smoke test's call, as EventBridge delivers it
/// (the documented shape of a `PutBucketVersioning` management event).
pub fn event(action: &Action, account: &str) -> Value {
    json!({
        "version": "0", "id": "trailwatch-smoke", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3", "account": account, "region": action.region,
        "time": "2026-11-30T10:00:00Z", "resources": [],
        "detail": {
            "eventVersion": "1.10", "eventSource": "s3.amazonaws.com", "eventName": EVENT_NAME,
            "eventType": "AwsApiCall", "awsRegion": action.region, "eventID": "trailwatch-smoke",
            "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::{account}:user/operator"), "accountId": account, "userName": "operator"},
            "requestParameters": {"bucketName": action.bucket, "VersioningConfiguration": {"Status": "Enabled"}},
            "responseElements": null, "recipientAccountId": account
        }
    })
}

/// Fails, saying why, unless the configured rules and handler would alert on
/// the smoke test's call (its monitor enabled, no suppression hiding it).
pub fn check_alerted(detection: &handler::Detection, stack: &str) -> Result<()> {
    let action = Action {
        bucket: bucket_name(stack, "check"),
        region: "us-east-1".to_owned(),
        at: SystemTime::now(),
    };
    let input = crate::local::records::Input {
        file: "smoke".to_owned(),
        index: 0,
        envelope: event(&action, "111122223333"),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let simulated = crate::local::simulate::simulate(
        &input,
        detection,
        stack,
        today,
        crate::local::simulate::Request::Skip,
        None,
    );
    if !simulated.matched_rule || simulated.suppressed.is_some() {
        bail!(
            "the configuration would not alert on the smoke test's {EVENT_NAME} call (the s3-logging-versioning monitor is disabled, or a suppression hides it): enable it to run smoke"
        );
    }
    Ok(())
}

/// What delivers the call's event to the monitor. In a real account that is
/// CloudTrail; on the emulator, which has none, a test stands in for it.
pub trait Delivery {
    /// Called once the monitored call is made.
    fn delivered(&self, action: &Action) -> impl Future<Output = Result<()>>;
}

/// CloudTrail delivers: nothing to do.
pub struct CloudTrail;

impl Delivery for CloudTrail {
    async fn delivered(&self, _: &Action) -> Result<()> {
        Ok(())
    }
}

/// The alert received, and how long after the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// The alert's title.
    pub title: String,
    pub latency: Duration,
    pub document: Value,
}

/// What the smoke test created, to remove whatever happens.
#[derive(Debug, Default)]
struct Created {
    queue_url: Option<String>,
    subscription_arn: Option<String>,
    bucket: Option<String>,
}

/// Runs the smoke test against `target`: waits at most `timeout` for the alert;
/// `stop` ending (Ctrl-C) stops it. Everything created is removed before it
/// returns, and any leftover is named with the command that removes it.
pub async fn run(
    sdk: &SdkConfig,
    target: &Target,
    delivery: &impl Delivery,
    timeout: Duration,
    stop: impl Future<Output = ()>,
) -> Result<Proof> {
    let created = Mutex::new(Created::default());
    let outcome = tokio::select! {
        outcome = prove(sdk, target, delivery, timeout, &created) => outcome,
        () = stop => Err(anyhow!("interrupted")),
    };
    let created = created.into_inner().unwrap_or_else(|p| p.into_inner());
    let leftovers = clean_up(sdk, created).await;
    if !leftovers.is_empty() {
        let listed = leftovers.join("\n  ");
        return Err(match outcome {
            Ok(_) => anyhow!(
                "the alert arrived, but cleaning up failed; remove these yourself:\n  {listed}"
            ),
            Err(error) => error.context(format!(
                "cleaning up also failed; remove these yourself:\n  {listed}"
            )),
        });
    }
    outcome
}

async fn prove(
    sdk: &SdkConfig,
    target: &Target,
    delivery: &impl Delivery,
    timeout: Duration,
    created: &Mutex<Created>,
) -> Result<Proof> {
    let suffix = unique_suffix();
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queue_url = subscriber_queue(&sqs, target, &suffix, created).await?;
    subscribe(sdk, target, &sqs, &queue_url, created).await?;
    let action = act(sdk, target, &suffix, created).await?;
    eprintln!(
        "smoke: turned on versioning of new bucket {}; waiting up to {} s for the alert (CloudTrail usually delivers within a few minutes)",
        action.bucket,
        timeout.as_secs()
    );
    delivery.delivered(&action).await?;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(proof) = receive(&sqs, &queue_url, &action, deadline).await? {
            return Ok(proof);
        }
    }
    let findings = crate::operations::smoke::diagnosis::diagnose(
        &crate::clients::Clients::new(sdk),
        target,
        action.at,
    )
    .await;
    bail!(
        "no alert for the {EVENT_NAME} call on {} within {} s; what may be wrong:\n  - {}",
        action.bucket,
        timeout.as_secs(),
        findings
            .iter()
            .map(|f| terminal::value(f))
            .collect::<Vec<_>>()
            .join("\n  - ")
    )
}

/// A short suffix unique to this run, for names.
fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}", nanos % 0xffff_ffff_ffff)
}

/// Creates the queue the alert topic may send to (and no one else).
async fn subscriber_queue(
    sqs: &aws_sdk_sqs::Client,
    target: &Target,
    suffix: &str,
    created: &Mutex<Created>,
) -> Result<String> {
    // Not named after the stack: trailwatch-tamper takes names starting with
    // it for trailwatch's own resources, and deleting this queue is not tampering.
    let name: String = format!("smoke-{}-{suffix}", target.stack)
        .chars()
        .take(80)
        .collect();
    let url = queues::create_encrypted(sqs, &name).await?;
    lock(created).queue_url = Some(url.clone());
    queues::allow_topic(sqs, &url, &target.topic_arn).await?;
    Ok(url)
}

/// Subscribes the queue to the alert topic, delivering the alert document as is.
async fn subscribe(
    sdk: &SdkConfig,
    target: &Target,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    created: &Mutex<Created>,
) -> Result<()> {
    let arn = queues::arn(sqs, queue_url).await?;
    let subscription = queues::subscribe(
        &aws_sdk_sns::Client::new(sdk),
        &target.topic_arn,
        &arn,
        Subscription {
            raw: true,
            filter: None,
        },
    )
    .await?;
    lock(created).subscription_arn = subscription;
    Ok(())
}

/// The monitored call: a new bucket, then versioning turned on.
async fn act(
    sdk: &SdkConfig,
    target: &Target,
    suffix: &str,
    created: &Mutex<Created>,
) -> Result<Action> {
    let s3 = aws_sdk_s3::Client::new(sdk);
    let bucket = bucket_name(&target.stack, suffix);
    let mut request = s3.create_bucket().bucket(&bucket);
    // us-east-1 takes no location constraint; every other region needs one.
    if target.region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(target.region.as_str()))
                .build(),
        );
    }
    request
        .send()
        .await
        .map_err(|e| explain("CreateBucket", e))?;
    lock(created).bucket = Some(bucket.clone());
    let at = SystemTime::now();
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(|e| explain("PutBucketVersioning", e))?;
    Ok(Action {
        bucket,
        region: target.region.clone(),
        at,
    })
}

/// A bucket name S3 accepts (3-63 lowercase letters, digits and hyphens),
/// unique to this run.
pub(crate) fn bucket_name(stack: &str, suffix: &str) -> String {
    let tail = format!("-smoke-{suffix}");
    let stack: String = stack
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(63 - tail.len())
        .collect();
    format!("{}{tail}", stack.trim_end_matches('-'))
}

/// Waits for messages until `deadline`; the proof when the alert of `action`
/// arrived. Other alerts (other activity in the account) are left alone.
async fn receive(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    action: &Action,
    deadline: Instant,
) -> Result<Option<Proof>> {
    let wait = deadline
        .saturating_duration_since(Instant::now())
        .as_secs()
        .clamp(1, 20);
    let output = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait as i32)
        .send()
        .await
        .map_err(|e| explain("ReceiveMessage", e))?;
    for message in output.messages() {
        let Ok(document) = serde_json::from_str::<Value>(message.body().unwrap_or_default()) else {
            continue;
        };
        if is_alert_of(&document, action) {
            let latency = action.at.elapsed().unwrap_or_default();
            let title = document["title"].as_str().unwrap_or_default().to_owned();
            return Ok(Some(Proof {
                title,
                latency,
                document,
            }));
        }
    }
    Ok(None)
}

/// Whether `document` is the alert of the smoke test's call.
pub(crate) fn is_alert_of(document: &Value, action: &Action) -> bool {
    document["event_name"] == EVENT_NAME
        && document["target"]
            .as_str()
            .is_some_and(|target| target.contains(&action.bucket))
}

/// Removes what was created, each step on its own; the leftovers, each with
/// the command that removes it.
async fn clean_up(sdk: &SdkConfig, created: Created) -> Vec<String> {
    let mut leftovers = Vec::new();
    if let Some(arn) = created.subscription_arn {
        eprintln!(
            "smoke: removing the temporary subscription; trailwatch-tamper reports it (HIGH: a subscription of the alert topic removed), as it would anyone's"
        );
        let result = aws_sdk_sns::Client::new(sdk)
            .unsubscribe()
            .subscription_arn(&arn)
            .send()
            .await;
        if let Err(error) = result {
            leftovers.push(format!(
                "subscription {arn} ({}): aws sns unsubscribe --subscription-arn {arn}",
                explain("Unsubscribe", error)
            ));
        }
    }
    if let Some(url) = created.queue_url {
        let result = aws_sdk_sqs::Client::new(sdk)
            .delete_queue()
            .queue_url(&url)
            .send()
            .await;
        if let Err(error) = result {
            leftovers.push(format!(
                "queue {url} ({}): aws sqs delete-queue --queue-url {url}",
                explain("DeleteQueue", error)
            ));
        }
    }
    if let Some(bucket) = created.bucket {
        // The bucket holds no object: versioning alone leaves nothing behind.
        let result = aws_sdk_s3::Client::new(sdk)
            .delete_bucket()
            .bucket(&bucket)
            .send()
            .await;
        if let Err(error) = result {
            leftovers.push(format!(
                "bucket {bucket} ({}): aws s3api delete-bucket --bucket {bucket}",
                explain("DeleteBucket", error)
            ));
        }
    }
    leftovers
}

fn lock(created: &Mutex<Created>) -> std::sync::MutexGuard<'_, Created> {
    created.lock().unwrap_or_else(|p| p.into_inner())
}
