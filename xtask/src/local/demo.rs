//! The local end-to-end run: deploy to the emulator with the real deploy code,
//! match each sample with the emulator's EventBridge matcher, invoke the real
//! handler binary for matched ones, and read the alerts as a subscriber does.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use contract::outputs::{self, FORWARDING_BUS_ARN};
use serde_json::{Value, json};

use crate::config::Config;
use crate::deploy::assembly::{self, Assembly};
use crate::deploy::changes::Approval;
use crate::deploy::{self, Session};
use crate::local::runtime_api::{HandlerEnv, HandlerProcess, Outcome, RuntimeApi};
use crate::{deploy::artifact, tools, workspace};

/// How long to wait for the handler to answer one invocation.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for messages that should arrive in a queue.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Severity the filtered subscription asks for.
pub const FILTERED_SEVERITY: &str = "CRITICAL";

/// An alert as a subscriber's SQS queue received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub subject: String,
    pub attributes: BTreeMap<String, String>,
    /// The JSON alert document (the `sqs` body of the message).
    pub document: Value,
    /// Size of the SNS message body in bytes.
    pub size: usize,
}

/// What happened to one sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRun {
    pub name: String,
    /// Whether the emulator's EventBridge matched one of the deployed rules' patterns.
    pub matched: bool,
    /// The handler invocation's outcome, for matched samples.
    pub outcome: Option<Outcome>,
}

/// The whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub samples: Vec<SampleRun>,
    /// Alerts received by the unfiltered subscription.
    pub alerts: Vec<Received>,
    /// Alerts received by the subscription filtered on severity.
    pub filtered: Vec<Received>,
    /// The handler's answer to the batch of deferred events, when there were any.
    pub digest_batch: Option<Outcome>,
    /// The alerts of a StopLogging made in each forwarder region, forwarded to
    /// the home bus and judged by the home handler.
    pub forwarded: Vec<(String, Received)>,
}

/// The sample made in each forwarder region to show forwarding.
const FORWARDED_SAMPLE: &str = "cloudtrail-change-stop-logging";

/// The handler as Lambda runs it: the synth output's zip unpacked into a task
/// root, its arm64 `bootstrap` run under qemu-user.
pub struct LocalHandler {
    pub assembly: Assembly,
    pub task_root: PathBuf,
    pub command: Command,
}

impl LocalHandler {
    /// Synthesises `config` with the built `binary` into `dir`, and unpacks the zip.
    pub fn prepare(config: &Config, binary: &Path, dir: &Path) -> Result<Self> {
        tools::ensure_qemu().context("the demo runs the arm64 handler that deploy uploads")?;
        let assembly = assembly::write(&dir.join("synth"), config, Some(binary))?;
        let zip = assembly
            .handler
            .as_ref()
            .context("synth wrote no handler zip")?;
        let task_root = dir.join("task");
        let bootstrap = artifact::unpack(zip, &task_root)?;
        Ok(Self {
            command: artifact::qemu_command(&bootstrap),
            assembly,
            task_root,
        })
    }
}

/// Runs samples end to end on an emulator with the local handler.
pub async fn run(
    sdk: &SdkConfig,
    endpoint: &str,
    config: &Config,
    handler: LocalHandler,
    samples: &[(String, Value)],
) -> Result<Report> {
    let session = Session::new(sdk, Duration::from_millis(50));
    eprintln!(
        "demo: deploying {} to the emulator with the real deploy code",
        config.stack_name
    );
    let deployed = deploy::deploy(&session, config, &handler.assembly, Approval::Given).await?;
    let output = |key: &str| {
        deployed
            .stack
            .outputs
            .get(key)
            .cloned()
            .with_context(|| format!("the stack has no {key} output"))
    };
    let topic = output(outputs::TOPIC_ARN)?;
    let rule_arns: Vec<String> = output(outputs::RULE_ARNS)?
        .split(',')
        .map(str::to_owned)
        .collect();

    let sqs = aws_sdk_sqs::Client::new(sdk);
    let subscriber = subscribe(sdk, &sqs, &topic, "trailwatch-demo-subscriber", None).await?;
    let filtered = subscribe(
        sdk,
        &sqs,
        &topic,
        "trailwatch-demo-critical",
        Some(json!({"severity": [FILTERED_SEVERITY]})),
    )
    .await?;

    eprintln!(
        "demo: matching {} samples with the emulator's EventBridge and the deployed rules' patterns",
        samples.len()
    );
    let matched = match_with_eventbridge(sdk, &sqs, &rule_arns, samples).await?;

    let api = RuntimeApi::start()?;
    let digest_queue = deployed
        .stack
        .outputs
        .get(outputs::DIGEST_QUEUE_URL)
        .cloned();
    let env = HandlerEnv {
        variables: deployed_variables(sdk, &output(outputs::FUNCTION_ARN)?).await?,
        task_root: handler.task_root.clone(),
        endpoint: endpoint.to_owned(),
        region: session.region.clone(),
    };
    let log = workspace::target_dir().join("demo-handler.log");
    let _process = HandlerProcess::spawn(handler.command, &api, &env, &log)?;
    eprintln!(
        "demo: handler running against the Runtime API on {} (log: {})",
        api.address(),
        log.display()
    );
    let mut runs = Vec::new();
    for (index, (name, event)) in samples.iter().enumerate() {
        let is_matched = matched.contains(&index);
        let outcome = if is_matched {
            Some(api.invoke(event, INVOKE_TIMEOUT)?)
        } else {
            None
        };
        runs.push(SampleRun {
            name: name.clone(),
            matched: is_matched,
            outcome,
        });
    }
    let published = runs
        .iter()
        .filter(|r| matches!(&r.outcome, Some(Outcome::Response(v)) if v.get("subject").is_some()))
        .count();
    let digest_batch = match &digest_queue {
        Some(url) => drain_digests(&sqs, url, &api).await?,
        None => None,
    };
    let digests = usize::from(digest_batch.is_some());
    let alerts = receive(&sqs, &subscriber, published + digests).await?;
    let critical = alerts
        .iter()
        .filter(|a| a.attributes.get("severity").map(String::as_str) == Some(FILTERED_SEVERITY))
        .count();
    let filtered = receive(&sqs, &filtered, critical).await?;
    let forwarded = match deployed.stack.outputs.get(FORWARDING_BUS_ARN) {
        Some(bus) => {
            let regions: Vec<String> = deployed
                .forwarders
                .iter()
                .map(|o| o.region.clone())
                .collect();
            let sample = samples
                .iter()
                .find(|(name, _)| name == FORWARDED_SAMPLE)
                .map(|(_, event)| event.clone())
                .context("the forwarding sample is missing")?;
            let forwarding = Forwarding {
                sdk,
                bus,
                api: &api,
                sqs: &sqs,
                subscriber: &subscriber,
            };
            forwarding.show(&regions, &sample).await?
        }
        None => Vec::new(),
    };
    Ok(Report {
        samples: runs,
        alerts,
        filtered,
        digest_batch,
        forwarded,
    })
}

/// The demo of forwarding: the emulator delivers a forwarder's rule to the
/// home bus; the home rules' Lambda target is replaced by a queue (the
/// emulator cannot invoke Lambda), which the harness hands to the handler.
struct Forwarding<'a> {
    sdk: &'a SdkConfig,
    bus: &'a str,
    api: &'a RuntimeApi,
    sqs: &'a aws_sdk_sqs::Client,
    subscriber: &'a str,
}

impl Forwarding<'_> {
    /// Makes `sample` happen in each region and returns each region's alert.
    async fn show(&self, regions: &[String], sample: &Value) -> Result<Vec<(String, Received)>> {
        let tap = tap_forwarded(self.sdk, self.bus).await?;
        let mut alerts = Vec::new();
        for region in regions {
            let mut event = sample.clone();
            event["detail"]["awsRegion"] = json!(region);
            // A new call, not a repeat of the sample the handler alerted on already.
            event["detail"]["eventID"] = json!(format!("demo-forwarded-{region}"));
            let in_region = self
                .sdk
                .to_builder()
                .region(aws_config::Region::new(region.clone()))
                .build();
            put(&in_region, &event).await?;
            for delivered in tap.receive().await? {
                self.api.invoke(&delivered, INVOKE_TIMEOUT)?;
            }
            let received = receive(self.sqs, self.subscriber, 1).await?;
            alerts.extend(received.into_iter().map(|alert| (region.clone(), alert)));
        }
        Ok(alerts)
    }
}

/// Does what Lambda's SQS event source does at the end of the batching window:
/// hands the deferred events to the handler as one batch, then deletes the
/// messages it did not report as failed.
async fn drain_digests(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    api: &RuntimeApi,
) -> Result<Option<Outcome>> {
    let mut messages = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .context("reading the digest queue")?;
        if received.messages().is_empty() {
            break;
        }
        messages.extend(received.messages().iter().cloned());
    }
    if messages.is_empty() {
        return Ok(None);
    }
    eprintln!(
        "demo: {} deferred events to the handler as one digest batch",
        messages.len()
    );
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:DigestQueue",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    let outcome = api.invoke(&json!({"Records": records}), INVOKE_TIMEOUT)?;
    let failed: Vec<&str> = match &outcome {
        Outcome::Response(response) => response["batchItemFailures"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["itemIdentifier"].as_str())
            .collect(),
        Outcome::Error(_) => return Ok(Some(outcome)),
    };
    for message in messages
        .iter()
        .filter(|m| !failed.contains(&m.message_id().unwrap_or_default()))
    {
        sqs.delete_message()
            .queue_url(url)
            .receipt_handle(message.receipt_handle().unwrap_or_default())
            .send()
            .await
            .context("deleting a handled digest message")?;
    }
    Ok(Some(outcome))
}

/// Subscribes a new SQS queue to the topic, optionally with a FilterPolicy.
async fn subscribe(
    sdk: &SdkConfig,
    sqs: &aws_sdk_sqs::Client,
    topic: &str,
    name: &str,
    filter: Option<Value>,
) -> Result<String> {
    let (url, arn) = queue(sqs, name).await?;
    let mut request = aws_sdk_sns::Client::new(sdk)
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(arn);
    if let Some(filter) = filter {
        request = request.attributes("FilterPolicy", filter.to_string());
    }
    request
        .send()
        .await
        .context("subscribing a queue to the alert topic")?;
    Ok(url)
}

/// Creates a queue; returns its URL and ARN.
async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<(String, String)> {
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .context("creating a queue")?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let arn = crate::local::queues::attribute(
        sqs,
        &url,
        aws_sdk_sqs::types::QueueAttributeName::QueueArn,
    )
    .await?
    .unwrap_or_default();
    Ok((url, arn))
}

/// Indices of the samples the deployed rules' patterns match, decided by the
/// emulator's EventBridge: a throw-away rule per deployed rule, with the same
/// pattern, all targeting one SQS queue.
pub(crate) async fn match_with_eventbridge(
    sdk: &SdkConfig,
    sqs: &aws_sdk_sqs::Client,
    rule_arns: &[String],
    samples: &[(String, Value)],
) -> Result<BTreeSet<usize>> {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    // The emulator cannot invoke the deployed rules' Lambda target (that needs Docker)
    // and fails PutEvents trying, whatever the rule's state: match on a bus of its own.
    const MATCHER: &str = "trailwatch-demo-matcher";
    events
        .create_event_bus()
        .name(MATCHER)
        .send()
        .await
        .context("creating the matcher bus")?;
    let (url, arn) = queue(sqs, MATCHER).await?;
    let mut matchers = Vec::new();
    // Rules on the default bus (`rule/NAME`); those on the forwarding bus
    // (`rule/BUS/NAME`) repeat their patterns.
    let default_bus = rule_arns.iter().filter(|arn| {
        arn.split_once(":rule/")
            .is_some_and(|(_, path)| !path.contains('/'))
    });
    for (index, rule_arn) in default_bus.enumerate() {
        let rule_name = rule_arn.rsplit('/').next().unwrap_or(rule_arn);
        let pattern = events
            .describe_rule()
            .name(rule_name)
            .send()
            .await
            .with_context(|| format!("reading the deployed rule {rule_name}"))?
            .event_pattern()
            .unwrap_or_default()
            .to_owned();
        let name = format!("{MATCHER}-{index}");
        events
            .put_rule()
            .name(&name)
            .event_bus_name(MATCHER)
            .event_pattern(pattern)
            .send()
            .await
            .context("creating a matcher rule")?;
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("matcher")
            .arn(&arn)
            .build()
            .context("matcher target")?;
        events
            .put_targets()
            .rule(&name)
            .event_bus_name(MATCHER)
            .targets(target)
            .send()
            .await
            .context("targeting the matcher queue")?;
        matchers.push(name);
    }
    for (index, (_, event)) in samples.iter().enumerate() {
        let mut detail = event["detail"].clone();
        if let Some(map) = detail.as_object_mut() {
            map.insert("trailwatchDemoSample".to_owned(), json!(index));
        }
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .source(event["source"].as_str().unwrap_or_default())
            .detail_type(event["detail-type"].as_str().unwrap_or_default())
            .detail(detail.to_string())
            .event_bus_name(MATCHER)
            .build();
        events
            .put_events()
            .entries(entry)
            .send()
            .await
            .context("PutEvents")?;
    }
    // The emulator delivers during PutEvents: read until the queue stays empty.
    let mut matched = BTreeSet::new();
    loop {
        let bodies = receive_bodies(sqs, &url, 1).await?;
        if bodies.is_empty() {
            break;
        }
        let indices = bodies
            .iter()
            .filter_map(|b| b["detail"]["trailwatchDemoSample"].as_u64());
        matched.extend(indices.map(|i| i as usize));
    }
    for name in &matchers {
        events
            .remove_targets()
            .rule(name)
            .event_bus_name(MATCHER)
            .ids("matcher")
            .send()
            .await
            .context("removing a matcher target")?;
        events
            .delete_rule()
            .name(name)
            .event_bus_name(MATCHER)
            .send()
            .await
            .context("deleting a matcher rule")?;
    }
    events
        .delete_event_bus()
        .name(MATCHER)
        .send()
        .await
        .context("deleting the matcher bus")?;
    Ok(matched)
}

/// Receives `expected` SNS notifications from a queue (or what arrived by the
/// timeout), then waits a second more for any that should not be there.
async fn receive(sqs: &aws_sdk_sqs::Client, url: &str, expected: usize) -> Result<Vec<Received>> {
    let mut bodies = Vec::new();
    let deadline = Instant::now() + DELIVERY_TIMEOUT;
    while bodies.len() < expected && Instant::now() < deadline {
        bodies.extend(receive_bodies(sqs, url, 0).await?);
    }
    bodies.extend(receive_bodies(sqs, url, 1).await?);
    bodies.iter().map(notification_to_alert).collect()
}

/// The JSON bodies of one ReceiveMessage call, long-polling `wait_seconds`.
async fn receive_bodies(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    wait_seconds: i32,
) -> Result<Vec<Value>> {
    let messages = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .send()
        .await
        .with_context(|| format!("reading the queue {url}"))?;
    messages
        .messages()
        .iter()
        .map(|m| {
            serde_json::from_str(m.body().unwrap_or_default())
                .context("a queued message is not JSON")
        })
        .collect()
}

fn notification_to_alert(notification: &Value) -> Result<Received> {
    let message = notification["Message"].as_str().unwrap_or_default();
    let attributes = notification["MessageAttributes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            (
                name.clone(),
                value["Value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    Ok(Received {
        subject: notification["Subject"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        attributes,
        document: serde_json::from_str(message)
            .context("the alert delivered to SQS is not the JSON document")?,
        size: message.len(),
    })
}

/// Every sample in `samples/`, then those of the tuning example in
/// `samples/tuning/` (named `tuning/...`), each sorted by name.
pub fn samples() -> Result<Vec<(String, Value)>> {
    let root = workspace::root().join("samples");
    let mut all = samples_in(&root, "")?;
    for folder in ["tuning", "canary"] {
        all.extend(samples_in(&root.join(folder), &format!("{folder}/"))?);
    }
    Ok(all)
}

fn samples_in(dir: &Path, prefix: &str) -> Result<Vec<(String, Value)>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            let name = format!("{prefix}{stem}");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            Ok((
                name,
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not JSON", path.display()))?,
            ))
        })
        .collect()
}

/// A queue receiving what the home stack's rules on the forwarding bus match,
/// in place of the handler (the emulator cannot invoke a Lambda target).
pub struct Tap {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl Tap {
    /// The events delivered so far, waiting a second for stragglers.
    pub async fn receive(&self) -> Result<Vec<Value>> {
        let mut events = Vec::new();
        loop {
            let bodies = receive_bodies(&self.sqs, &self.url, 1).await?;
            if bodies.is_empty() {
                return Ok(events);
            }
            events.extend(bodies);
        }
    }
}

/// Retargets every rule on the forwarding bus `bus_arn` (in `sdk`'s region)
/// from the handler to a new queue.
pub async fn tap_forwarded(sdk: &SdkConfig, bus_arn: &str) -> Result<Tap> {
    let bus = bus_arn.rsplit('/').next().unwrap_or(bus_arn);
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let (url, arn) = queue(&sqs, "trailwatch-demo-forwarded").await?;
    let rules = events
        .list_rules()
        .event_bus_name(bus)
        .send()
        .await
        .context("listing the forwarding bus's rules")?;
    for rule in rules.rules() {
        let name = rule.name().unwrap_or_default();
        let targets = events
            .list_targets_by_rule()
            .rule(name)
            .event_bus_name(bus)
            .send()
            .await
            .context("listing a forwarded rule's targets")?;
        let ids: Vec<String> = targets
            .targets()
            .iter()
            .map(|t| t.id().to_owned())
            .collect();
        events
            .remove_targets()
            .rule(name)
            .event_bus_name(bus)
            .set_ids(Some(ids))
            .send()
            .await
            .context("removing the handler target")?;
        events
            .put_targets()
            .rule(name)
            .event_bus_name(bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("tap")
                    .arn(&arn)
                    .build()
                    .context("tap target")?,
            )
            .send()
            .await
            .context("targeting the tap queue")?;
    }
    Ok(Tap { sqs, url })
}

/// Puts `event` (an EventBridge envelope) on the default bus of `sdk`'s region,
/// as CloudTrail would deliver it there.
pub async fn put(sdk: &SdkConfig, event: &Value) -> Result<()> {
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .source(event["source"].as_str().unwrap_or_default())
        .detail_type(event["detail-type"].as_str().unwrap_or_default())
        .detail(event["detail"].to_string())
        .build();
    aws_sdk_eventbridge::Client::new(sdk)
        .put_events()
        .entries(entry)
        .send()
        .await
        .context("PutEvents")?;
    Ok(())
}

/// The deployed handler's environment variables, as CloudFormation set them
/// from the template: the local handler runs with exactly these.
async fn deployed_variables(
    sdk: &SdkConfig,
    function_arn: &str,
) -> Result<BTreeMap<String, String>> {
    let configuration = aws_sdk_lambda::Client::new(sdk)
        .get_function_configuration()
        .function_name(function_arn)
        .send()
        .await
        .context("reading the deployed handler's configuration")?;
    Ok(configuration
        .environment()
        .and_then(|environment| environment.variables())
        .map(|variables| variables.clone().into_iter().collect())
        .unwrap_or_default())
}
