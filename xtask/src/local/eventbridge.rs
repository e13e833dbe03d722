//! The demo's use of the emulator's EventBridge: which samples the deployed
//! rules match (decided by EventBridge itself), and events put on the
//! forwarding bus, tapped to see what the home bus's rules deliver.

use crate::queues;
use anyhow::{Context, Result};
use aws_config::SdkConfig;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How many of the deployed rules on the default bus match each sample (by
/// index; unmatched samples are absent), decided by the emulator's
/// EventBridge: a throw-away rule per deployed rule, with the same pattern,
/// all targeting one SQS queue, which receives one message per matching rule.
pub(crate) async fn match_with_eventbridge(
    sdk: &SdkConfig,
    sqs: &aws_sdk_sqs::Client,
    rule_arns: &[String],
    samples: &[(String, Value)],
) -> Result<BTreeMap<usize, usize>> {
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
    let (url, arn) = queues::create(sqs, MATCHER).await?;
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
    let mut matched = BTreeMap::new();
    loop {
        let bodies = queues::receive_bodies(sqs, &url, 1).await?;
        if bodies.is_empty() {
            break;
        }
        let indices = bodies
            .iter()
            .filter_map(|b| b["detail"]["trailwatchDemoSample"].as_u64());
        for index in indices {
            *matched.entry(index as usize).or_insert(0) += 1;
        }
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
            let bodies = queues::receive_bodies(&self.sqs, &self.url, 1).await?;
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
    let (url, arn) = queues::create(&sqs, "trailwatch-demo-forwarded").await?;
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
