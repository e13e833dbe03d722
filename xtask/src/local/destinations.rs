//! The demo's destinations besides the topic: a rule on the configured bus
//! delivering trailwatch's alert events to a queue (as a user's rule would
//! deliver them to an API destination), and Security Hub's findings read
//! back after the samples ran.

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use serde_json::{Value, json};

use crate::config::Config;
use crate::queues;

/// What the destinations received while the samples ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shown {
    /// The events the rule on the bus delivered, in arrival order.
    pub bus_events: Vec<Value>,
    /// Security Hub's findings, as `GetFindings` returns them.
    pub findings: Vec<Value>,
}

/// The destinations made ready before deploy.
pub struct Ready {
    tap: Option<(aws_sdk_sqs::Client, String)>,
    security_hub: Option<aws_sdk_securityhub::Client>,
}

/// The name of the queue the demo's bus rule delivers to.
const TAP: &str = "trailwatch-demo-bus-alerts";

/// Makes what the configured destinations need exist, as a user would
/// before deploy: the bus (unless `default`) with a rule sending trailwatch's
/// alerts to a queue, and Security Hub enabled.
pub async fn prepare(sdk: &SdkConfig, config: &Config) -> Result<Ready> {
    let destinations = config.props().destinations;
    let tap = match &destinations.bus {
        Some(bus) => Some(tap(sdk, bus).await?),
        None => None,
    };
    let security_hub = match destinations.security_hub {
        Some(_) => {
            let client = aws_sdk_securityhub::Client::new(sdk);
            client
                .enable_security_hub()
                .send()
                .await
                .context("enabling Security Hub")?;
            Some(client)
        }
        None => None,
    };
    Ok(Ready { tap, security_hub })
}

/// A rule on `bus` matching trailwatch's alert events, with a new queue as
/// its target; the bus is created unless it is the default one.
async fn tap(sdk: &SdkConfig, bus: &str) -> Result<(aws_sdk_sqs::Client, String)> {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    if bus != "default" {
        events
            .create_event_bus()
            .name(bus)
            .send()
            .await
            .with_context(|| format!("creating the bus {bus}"))?;
    }
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let (url, arn) = queues::create(&sqs, TAP).await?;
    let pattern = json!({
        "source": [template::destinations::ALERT_SOURCE],
        "detail-type": [template::destinations::ALERT_DETAIL_TYPE],
    });
    events
        .put_rule()
        .name(TAP)
        .event_bus_name(bus)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .context("creating the rule on the alert bus")?;
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id("alerts")
        .arn(arn)
        .build()
        .context("the alert queue as target")?;
    events
        .put_targets()
        .rule(TAP)
        .event_bus_name(bus)
        .targets(target)
        .send()
        .await
        .context("targeting the alert queue")?;
    Ok((sqs, url))
}

impl Ready {
    /// What the destinations hold now.
    pub async fn collect(&self) -> Result<Shown> {
        let mut shown = Shown::default();
        if let Some((sqs, url)) = &self.tap {
            loop {
                let bodies = queues::receive_bodies(sqs, url, 1).await?;
                if bodies.is_empty() {
                    break;
                }
                shown.bus_events.extend(bodies);
            }
        }
        if let Some(client) = &self.security_hub {
            shown.findings = on_a_large_stack(client.clone())?;
        }
        Ok(shown)
    }
}

/// Reads the findings on a thread of its own with a 64 MB stack: the
/// SDK's `AwsSecurityFinding` deserialiser (hundreds of nested resource
/// types) overflows a test thread's 2 MB in a debug build.
fn on_a_large_stack(client: aws_sdk_securityhub::Client) -> Result<Vec<Value>> {
    std::thread::Builder::new()
        .name("security-hub-findings".into())
        .stack_size(64 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("a runtime to read the findings")?
                .block_on(findings(&client))
        })
        .context("starting the thread reading the findings")?
        .join()
        .map_err(|_| anyhow::anyhow!("reading the findings panicked"))?
}

/// Every finding `GetFindings` returns, as JSON with ASFF's names for the
/// fields the demo shows.
async fn findings(client: &aws_sdk_securityhub::Client) -> Result<Vec<Value>> {
    let output = client
        .get_findings()
        .send()
        .await
        .context("reading Security Hub's findings")?;
    Ok(output
        .findings()
        .iter()
        .map(|f| {
            json!({
                "Id": f.id(),
                "ProductArn": f.product_arn(),
                "GeneratorId": f.generator_id(),
                "AwsAccountId": f.aws_account_id(),
                "Title": f.title(),
                "Types": f.types(),
                "Severity": f.severity().and_then(|s| s.label()).map(|l| l.as_str()),
                "Resources": f.resources().iter().map(|r| json!({"Type": r.r#type(), "Id": r.id()})).collect::<Vec<_>>(),
            })
        })
        .collect())
}
