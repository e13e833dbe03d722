//! The local end-to-end run: deploy to the emulator with the real deploy code,
//! match each sample with the emulator's EventBridge matcher, invoke the real
//! handler binary for matched ones, and read the alerts as a subscriber does.

use std::collections::BTreeMap;
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
use crate::local::eventbridge::{match_with_eventbridge, put, tap_forwarded};
use crate::local::runtime_api::{HandlerEnv, HandlerProcess, Outcome, RuntimeApi};
use crate::local::{destinations, stateful};
use crate::queues::{self, Subscription};
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
    /// How many of the rules on the default bus matched it: each invokes the
    /// handler, so more than one would alert twice.
    pub rules: usize,
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
    /// Stateful sequences through the deployed table, when it has one.
    pub stateful: Option<stateful::Shown>,
    /// The stateful alerts the subscription received while the sequences
    /// were replayed.
    pub stateful_alerts: Vec<Received>,
    /// What the bus and Security Hub received, when configured.
    pub destinations: destinations::Shown,
}

/// The sample made in each forwarder region to show forwarding.
const FORWARDED_SAMPLE: &str = "cloudtrail-change-stop-logging";

/// The handler as Lambda runs it: the synth output's zip unpacked into a task
/// root, its arm64 `bootstrap` run under qemu-user.
pub struct LocalHandler {
    pub assembly: Assembly,
    pub task_root: PathBuf,
    pub command: Command,
    /// The unpacked `bootstrap`, to start more processes of it.
    pub bootstrap: PathBuf,
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
            bootstrap,
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
    // Boxed: the tests block on the run on a test thread's stack, which the
    // Security Hub client's futures, held inline, overflowed.
    let ready = Box::pin(destinations::prepare(sdk, config)).await?;
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
        let rules = matched.get(&index).copied().unwrap_or(0);
        let is_matched = rules > 0;
        let outcome = if is_matched {
            Some(api.invoke(event, INVOKE_TIMEOUT)?)
        } else {
            None
        };
        runs.push(SampleRun {
            name: name.clone(),
            matched: is_matched,
            rules,
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
    let shown = match env.variables.get(contract::env::STATE_TABLE) {
        Some(table) if !table.is_empty() => Some(stateful::show(
            &api,
            &env,
            artifact::qemu_command(&handler.bootstrap),
        )?),
        _ => None,
    };
    let expected = shown.as_ref().map_or(0, stateful::Shown::published);
    let mut stateful_alerts = receive(&sqs, &subscriber, expected).await?;
    stateful_alerts.retain(|alert| alert.document.get("state").is_some());
    let destinations = Box::pin(ready.collect()).await?;
    Ok(Report {
        samples: runs,
        alerts,
        filtered,
        digest_batch,
        forwarded,
        stateful: shown,
        stateful_alerts,
        destinations,
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

/// Subscribes a new queue to the topic, optionally with a filter policy;
/// returns the queue's URL.
async fn subscribe(
    sdk: &SdkConfig,
    sqs: &aws_sdk_sqs::Client,
    topic: &str,
    name: &str,
    filter: Option<Value>,
) -> Result<String> {
    let url = queues::create_encrypted(sqs, name).await?;
    let arn = queues::allow_topic(sqs, &url, topic).await?;
    let subscription = Subscription { raw: false, filter };
    queues::subscribe(&aws_sdk_sns::Client::new(sdk), topic, &arn, subscription)
        .await
        .context("subscribing a queue to the alert topic")?;
    Ok(url)
}

/// Receives `expected` SNS notifications from a queue (or what arrived by the
/// timeout), then waits a second more for any that should not be there.
async fn receive(sqs: &aws_sdk_sqs::Client, url: &str, expected: usize) -> Result<Vec<Received>> {
    let mut bodies = Vec::new();
    let deadline = Instant::now() + DELIVERY_TIMEOUT;
    while bodies.len() < expected && Instant::now() < deadline {
        bodies.extend(queues::receive_bodies(sqs, url, 0).await?);
    }
    bodies.extend(queues::receive_bodies(sqs, url, 1).await?);
    bodies.iter().map(notification_to_alert).collect()
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

/// Every judged sample (by name), then those of the tuning example in
/// `samples/tuning/` (named `tuning/...`) and the canaries of `samples/canary/`,
/// each sorted by name.
pub fn samples() -> Result<Vec<(String, Value)>> {
    let scenarios = ["tuning", "canary"].into_iter().flat_map(|folder| {
        samples::in_folder(folder)
            .into_iter()
            .map(move |mut sample| {
                sample.name = format!("{folder}/{}", sample.name);
                sample
            })
    });
    Ok(samples::all()
        .into_iter()
        .chain(scenarios)
        .map(|sample| {
            let json = sample.json();
            (sample.name, json)
        })
        .collect())
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
