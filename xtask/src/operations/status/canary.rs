//! Each region's last canary, as the home handler counted it
//! (`trailwatch/CanaryReceived` by `Region`, in the home region).

use anyhow::Result;
use aws_sdk_cloudwatch::primitives::DateTimeFormat;
use aws_sdk_cloudwatch::types::MetricDataQuery;
use serde::Serialize;

use super::{RegionStatus, metric_data, metric_query};

/// When the region's last canary arrived at the home handler.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CanaryStatus {
    /// The start of the last hour with a canary (UTC, RFC 3339); none in
    /// [`CANARY_WINDOW_SECONDS`].
    pub last: Option<String>,
}

/// How far back `status` looks for canaries: two periods of the longest
/// canary interval (12 hours), and a day more.
pub(crate) const CANARY_WINDOW_SECONDS: u64 = 48 * 3600;

/// Notes in each report whose stack runs a canary when the home handler last
/// counted one from its region, and what needs attention when none came.
pub async fn add_last_canaries(client: &aws_sdk_cloudwatch::Client, reports: &mut [RegionStatus]) {
    let canaries = last_canaries(client, reports).await;
    for (report, last) in reports.iter_mut().zip(canaries) {
        match (&mut report.canary, last) {
            (Some(canary), Ok(last)) => {
                if last.is_none() {
                    report.attention.push(format!(
                        "no canary from {} reached the handler in the last 48 hours: CloudTrail, a rule, forwarding or the handler is broken for this region",
                        report.region
                    ));
                }
                canary.last = last;
            }
            (Some(_), Err(error)) => report
                .attention
                .push(format!("could not read the canaries: {error:#}")),
            (None, _) => {}
        }
    }
}

/// For each report whose stack runs a canary, when the home handler last
/// counted one from its region (`trailwatch/CanaryReceived` by `Region`, in
/// the home region), in one GetMetricData request.
async fn last_canaries(
    client: &aws_sdk_cloudwatch::Client,
    reports: &[RegionStatus],
) -> Vec<Result<Option<String>>> {
    let queries: Vec<MetricDataQuery> = reports
        .iter()
        .enumerate()
        .filter(|(_, r)| r.canary.is_some())
        .map(|(index, r)| {
            metric_query(
                &format!("canary{index}"),
                (
                    contract::names::METRIC_NAMESPACE,
                    contract::names::CANARY_RECEIVED_METRIC,
                ),
                ("Region", &r.region),
                3600,
            )
        })
        .collect();
    if queries.is_empty() {
        return reports.iter().map(|_| Ok(None)).collect();
    }
    let output = match metric_data(client, queries, CANARY_WINDOW_SECONDS).await {
        Ok(output) => output,
        Err(error) => {
            let error = format!("{error:#}");
            return reports
                .iter()
                .map(|_| Err(anyhow::anyhow!("{error}")))
                .collect();
        }
    };
    reports
        .iter()
        .enumerate()
        .map(|(index, _)| {
            let id = format!("canary{index}");
            let result = output
                .metric_data_results()
                .iter()
                .find(|r| r.id() == Some(id.as_str()));
            Ok(result.and_then(|result| {
                result
                    .timestamps()
                    .iter()
                    .zip(result.values())
                    .filter(|(_, value)| **value > 0.0)
                    .map(|(time, _)| *time)
                    .max()
                    .and_then(|time| time.fmt(DateTimeFormat::DateTime).ok())
            }))
        })
        .collect()
}
