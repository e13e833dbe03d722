//! The organization's forwarders: one service-managed StackSet with automatic
//! deployment (accounts joining a target OU get the forwarder, leaving ones
//! lose it), its operations waited for and streamed like stack events, with
//! each account's failure and reason.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use anyhow::{Result, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::operation::list_stack_set_operation_results::ListStackSetOperationResultsError;
use aws_sdk_cloudformation::types::{
    AccountFilterType, AutoDeployment, CallAs, Capability, ConcurrencyMode, DeploymentTargets,
    ManagedExecution, PermissionModels, RegionConcurrencyType, StackSetOperationPreferences,
    StackSetOperationStatus,
};

use crate::aws::explain;
use crate::config::regions::{Organization, Preferences};
use crate::deploy::changes::{Approval, confirm};
use crate::deploy::cloudformation::{Template, parameters, tags};
use crate::deploy::progress::Progress;
use crate::terminal;

/// Longest wait between polls while CloudFormation throttles.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the StackSet should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetSpec {
    pub name: String,
    /// The forwarder template, in the request or by URL (a StackSet reads it
    /// once, in the region it is administered from).
    pub template: Template,
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    /// Target OUs (or the root).
    pub ou_ids: Vec<String>,
    pub regions: BTreeSet<String>,
    /// An account of the OUs the StackSet leaves out: the deploying account
    /// when it is a member account (a delegated administrator's), which has
    /// plain forwarder stacks of its own, so that each account and region
    /// has exactly one forwarder.
    pub excluded_account: Option<String>,
}

/// An account and region where an operation failed, and CloudFormation's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFailure {
    pub account: String,
    pub region: String,
    pub reason: String,
}

/// What the StackSet operations did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackSetReport {
    /// Each operation: what it was and its final status.
    pub operations: Vec<(String, String)>,
    pub failures: Vec<AccountFailure>,
}

/// Drives the StackSet from the management account or the delegated administrator.
#[derive(Debug, Clone)]
pub struct StackSets {
    client: Client,
    call_as: CallAs,
    preferences: Preferences,
    poll: Duration,
    progress: Progress,
}

impl StackSets {
    /// StackSet operations with `organization`'s caller and preferences.
    pub fn new(client: Client, organization: &Organization, poll: Duration) -> Self {
        Self {
            client,
            call_as: if organization.delegated_admin {
                CallAs::DelegatedAdmin
            } else {
                CallAs::SelfValue
            },
            preferences: organization.preferences.clone(),
            poll,
            progress: Progress::default(),
        }
    }

    /// Creates or updates the StackSet, then adds the instances of new OUs and
    /// regions and deletes those of OUs and regions no longer targeted.
    pub async fn deploy(&self, spec: &StackSetSpec, approval: Approval) -> Result<StackSetReport> {
        let mut report = StackSetReport::default();
        let existing = self.instances(&spec.name).await?;
        let excluded = spec.excluded_account.as_deref();
        let doubled = regions_of(existing.as_ref(), excluded);
        let pairs: BTreeSet<(String, String)> = existing
            .iter()
            .flatten()
            .map(|i| (i.ou.clone(), i.region.clone()))
            .collect();
        let ous: BTreeSet<&str> = pairs.iter().map(|(ou, _)| ou.as_str()).collect();
        let regions: BTreeSet<&str> = pairs.iter().map(|(_, r)| r.as_str()).collect();
        let wanted_ous: BTreeSet<&str> = spec.ou_ids.iter().map(String::as_str).collect();
        let wanted_regions: BTreeSet<&str> = spec.regions.iter().map(String::as_str).collect();
        let gone_ous: Vec<&str> = ous.difference(&wanted_ous).copied().collect();
        let gone_regions: Vec<&str> = regions.difference(&wanted_regions).copied().collect();
        if !gone_ous.is_empty() || !gone_regions.is_empty() {
            confirm(
                &format!(
                    "Remove the organization's forwarders from OUs [{}] and regions [{}]? Calls made there will no longer be watched.",
                    gone_ous.join(", "),
                    gone_regions.join(", ")
                ),
                "the StackSet was left as it is",
                approval,
            )?;
        }
        match existing {
            None => self.create(spec).await?,
            Some(_) => {
                let operation = self.update(spec).await?;
                self.wait(&spec.name, "update", &operation, &mut report)
                    .await?;
            }
        }
        let new_ous: Vec<&str> = wanted_ous.difference(&ous).copied().collect();
        let kept_ous: Vec<&str> = wanted_ous.intersection(&ous).copied().collect();
        let new_regions: Vec<&str> = wanted_regions.difference(&regions).copied().collect();
        let all_regions: Vec<&str> = wanted_regions.iter().copied().collect();
        for (ous, regions) in [(&new_ous, &all_regions), (&kept_ous, &new_regions)] {
            if !ous.is_empty() && !regions.is_empty() {
                let targets = targets(ous, excluded.map(|a| (AccountFilterType::Difference, a)));
                let operation = self.create_instances(&spec.name, targets, regions).await?;
                self.wait(&spec.name, "add instances", &operation, &mut report)
                    .await?;
            }
        }
        let every_region: Vec<&str> = regions.iter().copied().collect();
        for (ous, regions) in [(&gone_ous, &every_region), (&kept_ous, &gone_regions)] {
            if !ous.is_empty() && !regions.is_empty() {
                let operation = self
                    .delete_instances(&spec.name, targets(ous, None), regions)
                    .await?;
                self.wait(&spec.name, "remove instances", &operation, &mut report)
                    .await?;
            }
        }
        // Instances an earlier deploy put into the excluded account doubled
        // its own forwarders: removed.
        if let (Some(account), false) = (excluded, doubled.is_empty()) {
            let ous: Vec<&str> = wanted_ous.iter().copied().collect();
            let doubled: Vec<&str> = doubled.iter().map(String::as_str).collect();
            let targets = targets(&ous, Some((AccountFilterType::Intersection, account)));
            let operation = self.delete_instances(&spec.name, targets, &doubled).await?;
            self.wait(
                &spec.name,
                "remove the deploying account's instances",
                &operation,
                &mut report,
            )
            .await?;
        }
        Ok(report)
    }

    /// Deletes every instance, then the StackSet (absent is fine); true when
    /// there was one.
    pub async fn destroy(&self, name: &str) -> Result<bool> {
        let Some(existing) = self.instances(name).await? else {
            return Ok(false);
        };
        let ous: BTreeSet<&str> = existing.iter().map(|i| i.ou.as_str()).collect();
        let regions: BTreeSet<&str> = existing.iter().map(|i| i.region.as_str()).collect();
        if !existing.is_empty() {
            let ous: Vec<&str> = ous.into_iter().collect();
            let regions: Vec<&str> = regions.into_iter().collect();
            let operation = self
                .delete_instances(name, targets(&ous, None), &regions)
                .await?;
            self.wait(
                name,
                "remove instances",
                &operation,
                &mut StackSetReport::default(),
            )
            .await?;
        }
        self.client
            .delete_stack_set()
            .stack_set_name(name)
            .call_as(self.call_as.clone())
            .send()
            .await
            .map_err(|e| explain("DeleteStackSet", e))?;
        Ok(true)
    }

    /// The StackSet's instances, or None when there is no StackSet.
    async fn instances(&self, name: &str) -> Result<Option<Vec<Instance>>> {
        let described = self
            .client
            .describe_stack_set()
            .stack_set_name(name)
            .call_as(self.call_as.clone())
            .send()
            .await;
        match described {
            Ok(_) => {}
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_stack_set_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(explain("DescribeStackSet", error)),
        }
        let mut pages = self
            .client
            .list_stack_instances()
            .stack_set_name(name)
            .call_as(self.call_as.clone())
            .into_paginator()
            .send();
        let mut instances = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| explain("ListStackInstances", e))?;
            instances.extend(page.summaries().iter().filter_map(|s| {
                Some(Instance {
                    ou: s.organizational_unit_id()?.to_owned(),
                    region: s.region()?.to_owned(),
                    account: s.account().unwrap_or_default().to_owned(),
                })
            }));
        }
        Ok(Some(instances))
    }

    async fn create(&self, spec: &StackSetSpec) -> Result<()> {
        self.client
            .create_stack_set()
            .stack_set_name(&spec.name)
            .description("trailwatch forwarders: send each account's monitored CloudTrail events to the home bus")
            .set_template_body(spec.template.body())
            .set_template_url(spec.template.url())
            .set_parameters(Some(parameters(&spec.parameters)))
            .set_tags(Some(tags(&spec.tags)))
            .capabilities(Capability::CapabilityIam)
            .permission_model(PermissionModels::ServiceManaged)
            .auto_deployment(auto_deployment())
            .managed_execution(ManagedExecution::builder().active(true).build())
            .call_as(self.call_as.clone())
            .send()
            .await
            .map_err(|e| explain("CreateStackSet", e))?;
        self.progress
            .line(&format!("{}: StackSet created", spec.name));
        Ok(())
    }

    async fn update(&self, spec: &StackSetSpec) -> Result<String> {
        let output = self
            .client
            .update_stack_set()
            .stack_set_name(&spec.name)
            .set_template_body(spec.template.body())
            .set_template_url(spec.template.url())
            .set_parameters(Some(parameters(&spec.parameters)))
            .set_tags(Some(tags(&spec.tags)))
            .capabilities(Capability::CapabilityIam)
            .permission_model(PermissionModels::ServiceManaged)
            .auto_deployment(auto_deployment())
            .operation_preferences(self.operation_preferences())
            .call_as(self.call_as.clone())
            .send()
            .await
            .map_err(|e| explain("UpdateStackSet", e))?;
        Ok(output.operation_id().unwrap_or_default().to_owned())
    }

    async fn create_instances(
        &self,
        name: &str,
        targets: DeploymentTargets,
        regions: &[&str],
    ) -> Result<String> {
        let output = self
            .client
            .create_stack_instances()
            .stack_set_name(name)
            .deployment_targets(targets)
            .set_regions(Some(regions.iter().map(|r| (*r).to_owned()).collect()))
            .operation_preferences(self.operation_preferences())
            .call_as(self.call_as.clone())
            .send()
            .await
            .map_err(|e| explain("CreateStackInstances", e))?;
        Ok(output.operation_id().unwrap_or_default().to_owned())
    }

    async fn delete_instances(
        &self,
        name: &str,
        targets: DeploymentTargets,
        regions: &[&str],
    ) -> Result<String> {
        let output = self
            .client
            .delete_stack_instances()
            .stack_set_name(name)
            .deployment_targets(targets)
            .set_regions(Some(regions.iter().map(|r| (*r).to_owned()).collect()))
            .retain_stacks(false)
            .operation_preferences(self.operation_preferences())
            .call_as(self.call_as.clone())
            .send()
            .await
            .map_err(|e| explain("DeleteStackInstances", e))?;
        Ok(output.operation_id().unwrap_or_default().to_owned())
    }

    fn operation_preferences(&self) -> StackSetOperationPreferences {
        let order = &self.preferences.region_order;
        StackSetOperationPreferences::builder()
            .max_concurrent_percentage(i32::from(self.preferences.max_concurrent_percentage))
            .failure_tolerance_percentage(i32::from(self.preferences.failure_tolerance_percentage))
            .concurrency_mode(ConcurrencyMode::SoftFailureTolerance)
            .region_concurrency_type(if order.is_empty() {
                RegionConcurrencyType::Parallel
            } else {
                RegionConcurrencyType::Sequential
            })
            .set_region_order((!order.is_empty()).then(|| order.clone()))
            .build()
    }

    /// Waits for the operation, printing each account's result as it
    /// arrives; throttling slows the polling down instead of failing it.
    pub async fn wait(
        &self,
        name: &str,
        what: &str,
        operation: &str,
        report: &mut StackSetReport,
    ) -> Result<()> {
        let bar = self.progress.spinner(&format!("{name}: {what}"));
        let mut seen = HashSet::new();
        let mut delay = self.poll;
        let status = loop {
            let described = self
                .client
                .describe_stack_set_operation()
                .stack_set_name(name)
                .operation_id(operation)
                .call_as(self.call_as.clone())
                .send()
                .await;
            let status = match described {
                Ok(output) => output
                    .stack_set_operation()
                    .and_then(|o| o.status().cloned()),
                Err(error) if is_throttling(error.code()) => {
                    delay = (delay * 2).min(MAX_BACKOFF);
                    bar.set_message(format!(
                        "{name}: {what} (throttled; polling every {delay:?})"
                    ));
                    tokio::time::sleep(delay).await;
                    continue;
                }
                Err(error) => return Err(explain("DescribeStackSetOperation", error)),
            };
            match self.results(name, operation, &mut seen, report).await {
                Ok(()) => {}
                Err(error) if is_throttling(error.code()) => {
                    delay = (delay * 2).min(MAX_BACKOFF);
                }
                Err(error) => return Err(explain("ListStackSetOperationResults", error)),
            }
            match status {
                Some(
                    StackSetOperationStatus::Running
                    | StackSetOperationStatus::Queued
                    | StackSetOperationStatus::Stopping,
                )
                | None => {
                    bar.set_message(format!("{name}: {what} ({} accounts done)", seen.len()));
                    tokio::time::sleep(delay).await;
                }
                Some(done) => break done,
            }
        };
        bar.finish_and_clear();
        report
            .operations
            .push((what.to_owned(), status.as_str().to_owned()));
        if status != StackSetOperationStatus::Succeeded {
            bail!(
                "the StackSet operation {what} on {name} ended {status}: {}\nFix what the reasons say (or adjust [organization] failure_tolerance_percentage) and deploy again",
                describe_failures(&report.failures)
            );
        }
        Ok(())
    }

    async fn results(
        &self,
        name: &str,
        operation: &str,
        seen: &mut HashSet<(String, String)>,
        report: &mut StackSetReport,
    ) -> Result<(), SdkError<ListStackSetOperationResultsError>> {
        let mut pages = self
            .client
            .list_stack_set_operation_results()
            .stack_set_name(name)
            .operation_id(operation)
            .call_as(self.call_as.clone())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for result in page?.summaries() {
                let account = result.account().unwrap_or("?").to_owned();
                let region = result.region().unwrap_or("?").to_owned();
                let status = result.status().map_or("?", |s| s.as_str());
                if !matches!(status, "SUCCEEDED" | "FAILED" | "CANCELLED") {
                    continue;
                }
                if !seen.insert((account.clone(), region.clone())) {
                    continue;
                }
                let reason = terminal::value(result.status_reason().unwrap_or_default());
                self.progress.line(&format!(
                    "  {account} {region} {status}{}",
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                ));
                if status != "SUCCEEDED" {
                    report.failures.push(AccountFailure {
                        account,
                        region,
                        reason,
                    });
                }
            }
        }
        Ok(())
    }
}

fn is_throttling(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("Throttling" | "ThrottlingException" | "TooManyRequestsException")
    )
}

fn describe_failures(failures: &[AccountFailure]) -> String {
    if failures.is_empty() {
        return "CloudFormation named no failed account".to_owned();
    }
    failures
        .iter()
        .map(|f| format!("\n  - account {} in {}: {}", f.account, f.region, f.reason))
        .collect()
}

fn auto_deployment() -> AutoDeployment {
    AutoDeployment::builder()
        .enabled(true)
        .retain_stacks_on_account_removal(false)
        .build()
}

/// One stack instance: its OU, region and account.
#[derive(Debug, Clone)]
struct Instance {
    ou: String,
    region: String,
    account: String,
}

/// The regions where `account` has instances.
fn regions_of(instances: Option<&Vec<Instance>>, account: Option<&str>) -> BTreeSet<String> {
    instances
        .into_iter()
        .flatten()
        .filter(|i| Some(i.account.as_str()) == account)
        .map(|i| i.region.clone())
        .collect()
}

/// The accounts of `ous`, filtered by one account: `Difference` leaves it
/// out, `Intersection` takes it alone (DeploymentTargets, CloudFormation API
/// reference: AccountFilterType with Accounts).
fn targets(ous: &[&str], account: Option<(AccountFilterType, &str)>) -> DeploymentTargets {
    let builder = DeploymentTargets::builder()
        .set_organizational_unit_ids(Some(ous.iter().map(|o| (*o).to_owned()).collect()));
    match account {
        Some((filter, account)) => builder
            .account_filter_type(filter)
            .accounts(account.to_owned())
            .build(),
        None => builder.build(),
    }
}
