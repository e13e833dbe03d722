//! `cargo xtask status`: what state the deployed monitor is in, one report
//! per region (home, then each forwarder region), and what needs attention.

use std::collections::BTreeMap;

use anyhow::Result;
use aws_config::{Region, SdkConfig};
use aws_sdk_cloudformation::types::StackResourceSummary;
use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, StateValue};
use contract::parameters::FORWARDER_REGIONS;
use serde::Serialize;

use crate::aws::explain;
use crate::clients::Clients;
use crate::deploy::cloudformation::{Driver, parameter_values};
use crate::deploy::trail;

mod canary;
mod report;

pub use canary::{CanaryStatus, add_last_canaries};
pub use report::describe;
use report::{PENDING, attention};

/// The state of trailwatch in one region.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RegionStatus {
    pub region: String,
    pub stack: String,
    /// Whether this is the home stack (handler and topics), not a forwarder.
    pub home: bool,
    /// CloudFormation's status; none when the stack does not exist.
    pub stack_status: Option<String>,
    /// The last drift detection's result (`IN_SYNC`, `DRIFTED`, `NOT_CHECKED`).
    pub drift: Option<String>,
    /// Whether a logging trail records write (and read-only) management events.
    pub trail: Option<TrailStatus>,
    /// Each rule and its state.
    pub rules: Vec<RuleStatus>,
    /// Handler invocations and errors, rule failures, over the last 24 hours.
    pub last_24_hours: Counts,
    /// Messages waiting in each queue (the dead-letter queue, the digest queue).
    pub queues: Vec<QueueStatus>,
    /// The stack's alarms now in ALARM.
    pub alarms_firing: Vec<String>,
    /// Each subscription of the stack's topics.
    pub subscriptions: Vec<SubscriptionStatus>,
    /// The region's canary, when its stack runs one.
    pub canary: Option<CanaryStatus>,
    /// What needs attention; empty when all is well.
    pub attention: Vec<String>,
}

/// The management events logging trails record in the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TrailStatus {
    pub write: bool,
    pub read: bool,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleStatus {
    pub name: String,
    pub state: String,
}

/// Sums over the last 24 hours (none where the region has no handler).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub invocations: Option<f64>,
    pub errors: Option<f64>,
    pub failed_rule_invocations: f64,
}

/// One queue's depth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueStatus {
    /// The queue's logical id in the stack (`DeadLetterQueue`, ...).
    pub name: String,
    pub url: String,
    pub messages: u64,
}

/// One subscription of a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionStatus {
    /// The topic's logical id (`AlertTopic`, `ChatTopic`).
    pub topic: String,
    pub protocol: String,
    pub endpoint: String,
    /// Not yet confirmed: it receives nothing until it is.
    pub pending: bool,
}

impl RegionStatus {
    /// Whether anything needs attention.
    pub fn needs_attention(&self) -> bool {
        !self.attention.is_empty()
    }
}

/// The stack's resources of one type: (logical id, physical id).
fn of_type<'a>(
    resources: &'a [StackResourceSummary],
    kind: &'a str,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    resources
        .iter()
        .filter(move |r| r.resource_type() == Some(kind))
        .filter_map(|r| Some((r.logical_resource_id()?, r.physical_resource_id()?)))
}

/// The report of every region: home first, then the forwarder regions the home
/// stack records.
pub async fn collect(sdk: &SdkConfig, stack: &str) -> Result<Vec<RegionStatus>> {
    let home = Clients::new(sdk);
    let (report, parameters) = report(&home, stack).await?;
    let mut reports = vec![report];
    let forwarder = crate::deploy::forwarders::stack_name(stack);
    let regions = parameters
        .get(FORWARDER_REGIONS)
        .map(String::as_str)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty() && *r != home.region);
    for region in regions {
        let regional = sdk
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        reports.push(region_status(&Clients::new(&regional), &forwarder).await?);
    }
    canary::add_last_canaries(&home.cloudwatch, &mut reports).await;
    Ok(reports)
}

fn driver(clients: &Clients) -> Driver {
    Driver::new(
        clients.cloudformation.clone(),
        std::time::Duration::from_secs(3),
    )
}

/// The state of stack `stack` in the clients' region. Only reading the stack
/// itself must succeed: a part AWS will not show (permissions, an emulator
/// without the API) is named as needing attention, and the rest reported.
pub async fn region_status(clients: &Clients, stack: &str) -> Result<RegionStatus> {
    Ok(report(clients, stack).await?.0)
}

/// The region's state, and the stack's parameters (empty when it does not
/// exist), from one DescribeStacks.
async fn report(
    clients: &Clients,
    stack: &str,
) -> Result<(RegionStatus, BTreeMap<String, String>)> {
    let mut status = RegionStatus {
        region: clients.region.clone(),
        stack: stack.to_owned(),
        ..RegionStatus::default()
    };
    let Some(found) = driver(clients).describe(stack).await? else {
        status
            .attention
            .push(format!("stack {stack} is not deployed here"));
        return Ok((status, BTreeMap::new()));
    };
    status.stack_status = found.stack_status().map(|s| s.as_str().to_owned());
    status.drift = found
        .drift_information()
        .and_then(|d| d.stack_drift_status())
        .map(|d| d.as_str().to_owned());
    let resources = stack_resources(&clients.cloudformation, stack).await?;
    status.home = of_type(&resources, "AWS::Lambda::Function")
        .next()
        .is_some();
    status.canary = of_type(&resources, "AWS::Scheduler::Schedule")
        .next()
        .map(|_| CanaryStatus::default());
    let mut unreadable = Vec::new();
    let logged = trail::coverage(&clients.cloudtrail).await.map(|logged| {
        Some(TrailStatus {
            write: logged.write,
            read: logged.read,
        })
    });
    status.trail = part(&mut unreadable, "the trails", logged);
    let rules = rules(&clients.eventbridge, &resources).await;
    status.rules = part(&mut unreadable, "the rules", rules);
    let counts = counts(&clients.cloudwatch, &resources, &status.rules).await;
    status.last_24_hours = part(&mut unreadable, "the last 24 hours' metrics", counts);
    let queues = queues(&clients.sqs, &resources).await;
    status.queues = part(&mut unreadable, "the queues", queues);
    let firing = alarms_firing(&clients.cloudwatch, &resources).await;
    status.alarms_firing = part(&mut unreadable, "the alarms", firing);
    let subscriptions = subscriptions(&clients.sns, &resources).await;
    status.subscriptions = part(&mut unreadable, "the subscriptions", subscriptions);
    status.attention = attention(&status);
    status.attention.extend(unreadable);
    Ok((status, parameter_values(&found)))
}

/// A part's value; when it could not be read, its default, and the failure
/// noted in `unreadable`.
fn part<T: Default>(unreadable: &mut Vec<String>, what: &str, result: Result<T>) -> T {
    result.unwrap_or_else(|error| {
        unreadable.push(format!("could not read {what}: {error:#}"));
        T::default()
    })
}

async fn stack_resources(
    client: &aws_sdk_cloudformation::Client,
    stack: &str,
) -> Result<Vec<StackResourceSummary>> {
    let pages: Vec<_> = client
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .send()
        .collect()
        .await;
    let mut all = Vec::new();
    for page in pages {
        let page = page.map_err(|e| explain("ListStackResources", e))?;
        all.extend(page.stack_resource_summaries().iter().cloned());
    }
    Ok(all)
}

/// Each rule of the stack (its physical id is `NAME`, or `BUS|NAME` on a
/// custom bus) and its state.
async fn rules(
    client: &aws_sdk_eventbridge::Client,
    resources: &[StackResourceSummary],
) -> Result<Vec<RuleStatus>> {
    let mut rules = Vec::new();
    for (_, id) in of_type(resources, "AWS::Events::Rule") {
        let (bus, name) = rule_location(id);
        let rule = client
            .describe_rule()
            .name(name)
            .set_event_bus_name(bus.map(str::to_owned))
            .send()
            .await
            .map_err(|e| explain("DescribeRule", e))?;
        rules.push(RuleStatus {
            name: name.to_owned(),
            state: rule
                .state()
                .map_or_else(|| "UNKNOWN".to_owned(), |s| s.as_str().to_owned()),
        });
    }
    Ok(rules)
}

/// A rule's bus (none: the default bus) and name, from its ARN
/// (`...:rule/NAME`, `...:rule/BUS/NAME`) or CloudFormation's physical id
/// (`NAME`, `BUS|NAME`).
pub(crate) fn rule_location(id: &str) -> (Option<&str>, &str) {
    let path = id.split_once(":rule/").map_or(id, |(_, path)| path);
    path.rsplit_once(['/', '|'])
        .map_or((None, path), |(bus, name)| (Some(bus), name))
}

/// Sums of the handler's invocations and errors and the rules' failed
/// invocations over the last 24 hours, in one GetMetricData request.
async fn counts(
    client: &aws_sdk_cloudwatch::Client,
    resources: &[StackResourceSummary],
    rules: &[RuleStatus],
) -> Result<Counts> {
    let function = of_type(resources, "AWS::Lambda::Function")
        .map(|(_, name)| name.to_owned())
        .next();
    let mut queries = Vec::new();
    if let Some(function) = &function {
        for (id, metric) in [("invocations", "Invocations"), ("errors", "Errors")] {
            queries.push(query(id, "AWS/Lambda", metric, "FunctionName", function));
        }
    }
    for (index, rule) in rules.iter().enumerate() {
        queries.push(query(
            &format!("rule{index}"),
            "AWS/Events",
            "FailedInvocations",
            "RuleName",
            &rule.name,
        ));
    }
    let mut counts = Counts {
        invocations: function.as_ref().map(|_| 0.0),
        errors: function.as_ref().map(|_| 0.0),
        ..Counts::default()
    };
    if queries.is_empty() {
        return Ok(counts);
    }
    let output = metric_data(client, queries, DAY_SECONDS).await?;
    for result in output.metric_data_results() {
        let sum: f64 = result.values().iter().sum();
        match result.id() {
            Some("invocations") => counts.invocations = Some(sum),
            Some("errors") => counts.errors = Some(sum),
            _ => counts.failed_rule_invocations += sum,
        }
    }
    Ok(counts)
}

/// The data of `queries` over the last `seconds`, in one GetMetricData request.
pub(super) async fn metric_data(
    client: &aws_sdk_cloudwatch::Client,
    queries: Vec<MetricDataQuery>,
    seconds: u64,
) -> Result<GetMetricDataOutput> {
    let now = std::time::SystemTime::now();
    let since = now - std::time::Duration::from_secs(seconds);
    client
        .get_metric_data()
        .set_metric_data_queries(Some(queries))
        .start_time(DateTime::from(since))
        .end_time(DateTime::from(now))
        .send()
        .await
        .map_err(|e| explain("GetMetricData", e))
}

/// The span `status` sums over.
const DAY_SECONDS: u64 = 86_400;

fn query(id: &str, namespace: &str, metric: &str, dimension: &str, value: &str) -> MetricDataQuery {
    metric_query(
        id,
        (namespace, metric),
        (dimension, value),
        DAY_SECONDS as i32,
    )
}

/// The sums of `metric` (namespace, name) with one dimension (name, value), per `period` seconds.
pub(super) fn metric_query(
    id: &str,
    (namespace, metric): (&str, &str),
    (dimension, value): (&str, &str),
    period: i32,
) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(namespace)
        .metric_name(metric)
        .dimensions(Dimension::builder().name(dimension).value(value).build())
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat("Sum")
                .build(),
        )
        .return_data(true)
        .build()
}

async fn queues(
    client: &aws_sdk_sqs::Client,
    resources: &[StackResourceSummary],
) -> Result<Vec<QueueStatus>> {
    let mut queues = Vec::new();
    for (name, url) in of_type(resources, "AWS::SQS::Queue") {
        let messages = crate::queues::messages(client, url).await?;
        queues.push(QueueStatus {
            name: name.to_owned(),
            url: url.to_owned(),
            messages,
        });
    }
    Ok(queues)
}

async fn alarms_firing(
    client: &aws_sdk_cloudwatch::Client,
    resources: &[StackResourceSummary],
) -> Result<Vec<String>> {
    let names: Vec<String> = of_type(resources, "AWS::CloudWatch::Alarm")
        .map(|(_, name)| name.to_owned())
        .collect();
    let mut firing = Vec::new();
    // DescribeAlarms takes at most 100 names.
    for chunk in names.chunks(100) {
        let output = client
            .describe_alarms()
            .set_alarm_names(Some(chunk.to_vec()))
            .state_value(StateValue::Alarm)
            .send()
            .await
            .map_err(|e| explain("DescribeAlarms", e))?;
        firing.extend(
            output
                .metric_alarms()
                .iter()
                .filter_map(|a| a.alarm_name().map(str::to_owned)),
        );
    }
    Ok(firing)
}

async fn subscriptions(
    client: &aws_sdk_sns::Client,
    resources: &[StackResourceSummary],
) -> Result<Vec<SubscriptionStatus>> {
    let mut all = Vec::new();
    for (topic, arn) in of_type(resources, "AWS::SNS::Topic") {
        let pages: Vec<_> = client
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .into_paginator()
            .send()
            .collect()
            .await;
        for page in pages {
            let page = page.map_err(|e| explain("ListSubscriptionsByTopic", e))?;
            all.extend(page.subscriptions().iter().map(|s| SubscriptionStatus {
                topic: topic.to_owned(),
                protocol: s.protocol().unwrap_or_default().to_owned(),
                endpoint: s.endpoint().unwrap_or_default().to_owned(),
                pending: s.subscription_arn() == Some(PENDING),
            }));
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::rule_location;

    #[test]
    fn a_rule_is_located_from_its_arn_or_physical_id_on_either_bus() {
        assert_eq!(
            rule_location("tw-SecurityEventRule1-ABC"),
            (None, "tw-SecurityEventRule1-ABC")
        );
        assert_eq!(
            rule_location("tw-forwarded|tw-Forwarded1-ABC"),
            (Some("tw-forwarded"), "tw-Forwarded1-ABC")
        );
        assert_eq!(
            rule_location("arn:aws:events:us-east-1:111122223333:rule/tw-R1"),
            (None, "tw-R1")
        );
        assert_eq!(
            rule_location("arn:aws:events:us-east-1:111122223333:rule/tw-forwarded/tw-R1"),
            (Some("tw-forwarded"), "tw-R1")
        );
    }
}
