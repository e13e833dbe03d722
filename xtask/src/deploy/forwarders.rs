//! The forwarder stacks of the home account's other regions, deployed, compared
//! and deleted in parallel: one progress line per region, one approval for all,
//! and a summary table. A failure in some regions leaves the others deployed.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use anyhow::Result;
use aws_config::{Region, SdkConfig};
use contract::parameters::HOME_BUS_ARN;
use indicatif::MultiProgress;
use tokio::task::JoinSet;

use crate::deploy::assets;
use crate::deploy::changes::{Approval, PlannedChange};
use crate::deploy::cloudformation::{Driver, Plan, StackSpec, Template};
use crate::deploy::progress::Progress;

/// The forwarder stack's name for a home stack.
pub(crate) fn stack_name(home_stack: &str) -> String {
    format!("{home_stack}-forwarder")
}

/// What happened in one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionOutcome {
    pub region: String,
    pub result: Outcome,
}

/// The result of one region's operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Changes executed.
    Deployed { changes: usize },
    /// The stack was already as wanted.
    Unchanged,
    /// The stack was deleted (or did not exist).
    Deleted,
    /// Changes a deploy would make (diff).
    Planned(Vec<PlannedChange>),
    /// The operation failed, with the reason.
    Failed(String),
}

impl Outcome {
    /// Whether the region needs a retry.
    pub(crate) fn failed(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Deployed { changes } => write!(f, "deployed ({changes} changes)"),
            Outcome::Unchanged => f.write_str("up to date"),
            Outcome::Deleted => f.write_str("deleted"),
            Outcome::Planned(changes) if changes.is_empty() => f.write_str("no changes"),
            Outcome::Planned(changes) => write!(f, "{} changes", changes.len()),
            Outcome::Failed(reason) => write!(f, "FAILED: {}", first_line(reason)),
        }
    }
}

/// The forwarders' change sets ready to execute, and the regions where
/// computing one failed.
#[derive(Debug, Default)]
pub(crate) struct Plans {
    ready: Vec<(String, Plan)>,
    failed: Vec<RegionOutcome>,
}

impl Plans {
    /// The security-relevant changes across the regions.
    pub(crate) fn needing_approval(&self) -> usize {
        self.ready
            .iter()
            .map(|(_, plan)| plan.needing_approval())
            .sum()
    }
}

/// Clients for the forwarder stacks, one driver per region.
#[derive(Debug, Clone)]
pub(crate) struct Forwarders {
    sdk: SdkConfig,
    poll: Duration,
    bars: MultiProgress,
}

impl Forwarders {
    /// Forwarders reached with `sdk`'s credentials in any region.
    pub fn new(sdk: &SdkConfig, poll: Duration) -> Self {
        Self {
            sdk: sdk.clone(),
            poll,
            bars: MultiProgress::new(),
        }
    }

    fn driver(&self, region: &str) -> Driver {
        Driver::new(
            aws_sdk_cloudformation::Client::new(&self.sdk_in(region)),
            self.poll,
        )
        .reporting_to(Progress::labelled(&self.bars, region))
    }

    fn sdk_in(&self, region: &str) -> SdkConfig {
        self.sdk
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build()
    }

    /// The region's S3 client (buckets by path on an emulator, as at home).
    fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let sdk = self.sdk_in(region);
        let config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Where one more stack (the home one) reports alongside the regions.
    pub(crate) fn progress(&self, label: &str) -> Progress {
        Progress::labelled(&self.bars, label)
    }

    /// Computes the forwarder `spec`'s change set in every region at once,
    /// targeting `home_bus`, and prints each. A template too large for the
    /// request goes through each region's assets bucket (`approval` lets
    /// deploy create it).
    pub(crate) async fn plan(
        &self,
        regions: &BTreeSet<String>,
        spec: &StackSpec,
        home_bus: &str,
        approval: Approval,
    ) -> Plans {
        let spec = targeting(spec, home_bus);
        let planned = self
            .each(regions, move |region, driver, s3| {
                let spec = spec.clone();
                async move {
                    let spec = in_region(&driver, &s3, &region, spec, Some(approval)).await?;
                    driver.plan(&spec).await
                }
            })
            .await;
        let mut plans = Plans::default();
        for (region, plan) in planned {
            match plan {
                Ok(plan) => {
                    self.driver(&region).print_plan(&plan);
                    plans.ready.push((region, plan));
                }
                Err(error) => plans.failed.push(failed(region, &error)),
            }
        }
        plans
    }

    /// Deletes the planned change sets: the deploy did not go ahead because of `reason`.
    pub(crate) async fn discard(&self, plans: Plans, reason: &anyhow::Error) -> Vec<RegionOutcome> {
        let mut outcomes = plans.failed;
        for (region, plan) in plans.ready {
            let _ = self.driver(&region).discard(&plan).await;
            outcomes.push(failed(region, reason));
        }
        sorted(outcomes)
    }

    /// Executes the planned change sets in every region at once.
    pub(crate) async fn execute(&self, plans: Plans) -> Vec<RegionOutcome> {
        let mut running = JoinSet::new();
        for (region, plan) in plans.ready {
            let driver = self.driver(&region);
            running.spawn(async move {
                let result = match driver.execute(plan).await {
                    Ok(deployed) if deployed.executed => Outcome::Deployed {
                        changes: deployed.changes.len(),
                    },
                    Ok(_) => Outcome::Unchanged,
                    Err(error) => Outcome::Failed(format!("{error:#}")),
                };
                RegionOutcome { region, result }
            });
        }
        let mut outcomes = plans.failed;
        outcomes.extend(running.join_all().await);
        sorted(outcomes)
    }

    /// The changes a deploy would make in every region.
    pub async fn diff(
        &self,
        regions: &BTreeSet<String>,
        spec: &StackSpec,
        home_bus: &str,
    ) -> Vec<RegionOutcome> {
        let spec = targeting(spec, home_bus);
        let diffs = self
            .each(regions, move |region, driver, s3| {
                let spec = spec.clone();
                async move {
                    let spec = in_region(&driver, &s3, &region, spec, None).await?;
                    driver.diff(&spec).await
                }
            })
            .await;
        outcomes(diffs, Outcome::Planned)
    }

    /// Deletes the forwarder `stack` in every region (absent is fine).
    pub async fn destroy(&self, regions: &BTreeSet<String>, stack: &str) -> Vec<RegionOutcome> {
        let stack = stack.to_owned();
        let deleted = self
            .each(regions, move |_, driver, _| {
                let stack = stack.clone();
                async move { driver.destroy(&stack).await }
            })
            .await;
        outcomes(deleted, |_| Outcome::Deleted)
    }

    /// Runs `work` with each region's name, driver and S3 client at once;
    /// results by region.
    async fn each<T, F, Fut>(&self, regions: &BTreeSet<String>, work: F) -> Vec<(String, Result<T>)>
    where
        T: Send + 'static,
        F: Fn(String, Driver, aws_sdk_s3::Client) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let mut running = JoinSet::new();
        for region in regions {
            let job = work(region.clone(), self.driver(region), self.s3(region));
            let region = region.clone();
            running.spawn(async move { (region, job.await) });
        }
        running.join_all().await
    }
}

/// The spec with its template as `region` takes it (see [`assets::regional_template`]).
async fn in_region(
    driver: &Driver,
    s3: &aws_sdk_s3::Client,
    region: &str,
    mut spec: StackSpec,
    approval: Option<Approval>,
) -> Result<StackSpec> {
    if let Template::Body(yaml) = &spec.template {
        spec.template = assets::regional_template(driver, s3, region, yaml, approval).await?;
    }
    Ok(spec)
}

/// The forwarder spec with its home bus parameter.
fn targeting(spec: &StackSpec, home_bus: &str) -> StackSpec {
    let mut spec = spec.clone();
    spec.parameters
        .insert(HOME_BUS_ARN.to_owned(), home_bus.to_owned());
    spec
}

/// Each region's result as an outcome (`done` for a success), by region.
fn outcomes<T>(
    results: Vec<(String, Result<T>)>,
    done: impl Fn(T) -> Outcome,
) -> Vec<RegionOutcome> {
    sorted(
        results
            .into_iter()
            .map(|(region, result)| match result {
                Ok(value) => RegionOutcome {
                    region,
                    result: done(value),
                },
                Err(error) => failed(region, &error),
            })
            .collect(),
    )
}

fn failed(region: String, error: &anyhow::Error) -> RegionOutcome {
    RegionOutcome {
        region,
        result: Outcome::Failed(format!("{error:#}")),
    }
}

fn sorted(mut outcomes: Vec<RegionOutcome>) -> Vec<RegionOutcome> {
    outcomes.sort_by(|a, b| a.region.cmp(&b.region));
    outcomes
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// The summary table: one row per region, failures with their first line.
pub(crate) fn summary(stack: &str, outcomes: &[RegionOutcome]) -> String {
    let width = outcomes
        .iter()
        .map(|o| o.region.len())
        .max()
        .unwrap_or(0)
        .max("region".len());
    let mut table = format!("{:<width$}  {stack}\n", "region");
    for outcome in outcomes {
        table.push_str(&format!("{:<width$}  {}\n", outcome.region, outcome.result));
    }
    table
}

/// Regions that failed, comma-joined, when any did.
pub(crate) fn failures(outcomes: &[RegionOutcome]) -> Option<String> {
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.result.failed())
        .map(|o| o.region.as_str())
        .collect();
    (!failed.is_empty()).then(|| failed.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_every_region_and_names_the_failed_ones() {
        let outcomes = vec![
            RegionOutcome {
                region: "eu-west-1".into(),
                result: Outcome::Deployed { changes: 9 },
            },
            RegionOutcome {
                region: "ap-south-1".into(),
                result: Outcome::Failed("CreateChangeSet failed: Throttling\nmore".into()),
            },
        ];
        assert_eq!(
            summary("trailwatch-forwarder", &outcomes),
            "region      trailwatch-forwarder\neu-west-1   deployed (9 changes)\nap-south-1  FAILED: CreateChangeSet failed: Throttling\n"
        );
        assert_eq!(failures(&outcomes).as_deref(), Some("ap-south-1"));
    }
}
