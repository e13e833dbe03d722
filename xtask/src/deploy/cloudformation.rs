//! The CloudFormation driver: change-set deploys, diffs and deletes, with stack
//! events streamed until a terminal state. It never races an operation in progress.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::primitives::DateTime;
use aws_sdk_cloudformation::types::{
    Capability, ChangeSetStatus, ChangeSetType, Parameter, StackEvent, StackStatus, Tag,
};

use super::changes::{Approval, PlannedChange, approve, planned};
use super::progress::Progress;
use crate::aws::{explain, message};
use crate::terminal;

/// A template as CloudFormation takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// In the request (at most 51,200 bytes).
    Body(String),
    /// In S3, at this URL (larger templates).
    Url(String),
}

impl Template {
    /// The body, for a request's `TemplateBody`.
    pub(crate) fn body(&self) -> Option<String> {
        match self {
            Template::Body(body) => Some(body.clone()),
            Template::Url(_) => None,
        }
    }

    /// The URL, for a request's `TemplateURL`.
    pub(crate) fn url(&self) -> Option<String> {
        match self {
            Template::Url(url) => Some(url.clone()),
            Template::Body(_) => None,
        }
    }
}

/// What to deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSpec {
    pub name: String,
    pub template: Template,
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

/// What a deploy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    /// False when the change set was empty: nothing was executed.
    pub executed: bool,
    pub changes: Vec<PlannedChange>,
    pub outputs: BTreeMap<String, String>,
}

/// What a deployed stack holds now: its parameters and outputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Current {
    pub parameters: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
}

/// A change set ready to execute (or none, when nothing would change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub stack: String,
    change_set: Option<String>,
    pub changes: Vec<PlannedChange>,
}

impl Plan {
    /// The security-relevant changes, which need approval.
    pub(crate) fn needing_approval(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.needs_approval().is_some())
            .count()
    }
}

/// Drives one account and region's CloudFormation.
#[derive(Debug, Clone)]
pub struct Driver {
    client: Client,
    poll: Duration,
    progress: Progress,
}

impl Driver {
    /// A driver polling every `poll` while waiting, reporting on standard error.
    pub fn new(client: Client, poll: Duration) -> Self {
        Self {
            client,
            poll,
            progress: Progress::default(),
        }
    }

    /// The same driver reporting through `progress`.
    pub(crate) fn reporting_to(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Creates or updates the stack through a change set; an empty change set is a no-op.
    pub async fn deploy(&self, spec: &StackSpec, approval: Approval) -> Result<Deployed> {
        let plan = self.plan(spec).await?;
        self.print_plan(&plan);
        if let Err(error) = approve(plan.needing_approval(), approval) {
            self.discard(&plan).await?;
            return Err(error);
        }
        self.execute(plan).await
    }

    /// Waits for any operation in progress and computes the change set.
    pub(crate) async fn plan(&self, spec: &StackSpec) -> Result<Plan> {
        let kind = self.prepare(&spec.name).await?;
        let (change_set, changes) = match self.change_set(spec, kind).await? {
            Some((name, changes)) => (Some(name), changes),
            None => (None, Vec::new()),
        };
        Ok(Plan {
            stack: spec.name.clone(),
            change_set,
            changes,
        })
    }

    /// Prints the plan's changes, flagging the security-relevant ones.
    pub(crate) fn print_plan(&self, plan: &Plan) {
        if plan.change_set.is_none() {
            self.progress.line(&format!("{}: no changes", plan.stack));
            return;
        }
        self.progress
            .line(&format!("{}: {} changes", plan.stack, plan.changes.len()));
        for change in &plan.changes {
            self.progress.line(&format!("  {}", change.describe()));
        }
    }

    /// Deletes the plan's change set without executing it.
    pub(crate) async fn discard(&self, plan: &Plan) -> Result<()> {
        match &plan.change_set {
            Some(change_set) => self.delete_change_set(&plan.stack, change_set).await,
            None => Ok(()),
        }
    }

    /// Executes the plan and waits for the stack to settle.
    pub(crate) async fn execute(&self, plan: Plan) -> Result<Deployed> {
        let Some(change_set) = &plan.change_set else {
            return Ok(Deployed {
                executed: false,
                changes: Vec::new(),
                outputs: self.outputs(&plan.stack).await?,
            });
        };
        let since = DateTime::from(std::time::SystemTime::now());
        self.client
            .execute_change_set()
            .stack_name(&plan.stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| explain("ExecuteChangeSet", e))?;
        let status = self.follow(&plan.stack, since).await?;
        self.judge(&plan.stack, &status, since).await?;
        Ok(Deployed {
            executed: true,
            outputs: self.outputs(&plan.stack).await?,
            changes: plan.changes,
        })
    }

    /// The changes a deploy would make; the change set is deleted afterwards.
    pub async fn diff(&self, spec: &StackSpec) -> Result<Vec<PlannedChange>> {
        let kind = match self.status(&spec.name).await? {
            None | Some(StackStatus::ReviewInProgress | StackStatus::RollbackComplete) => {
                ChangeSetType::Create
            }
            Some(_) => ChangeSetType::Update,
        };
        match self.change_set(spec, kind).await? {
            None => Ok(Vec::new()),
            Some((change_set, changes)) => {
                self.delete_change_set(&spec.name, &change_set).await?;
                Ok(changes)
            }
        }
    }

    /// Deletes the stack and waits; returns false when there was no stack.
    pub async fn destroy(&self, name: &str) -> Result<bool> {
        let Some(status) = self.settled_status(name).await? else {
            return Ok(false);
        };
        if status == StackStatus::DeleteComplete {
            return Ok(false);
        }
        self.delete_and_wait(name).await?;
        Ok(true)
    }

    /// The stack's outputs (empty when it has none or does not exist).
    pub async fn outputs(&self, name: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.current(name).await?.outputs)
    }

    /// The stack's current parameter values (empty when it does not exist).
    pub async fn parameters(&self, name: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.current(name).await?.parameters)
    }

    /// The stack's parameters and outputs from one DescribeStacks (both empty
    /// when it does not exist).
    pub(crate) async fn current(&self, name: &str) -> Result<Current> {
        let Some(stack) = self.describe(name).await? else {
            return Ok(Current::default());
        };
        Ok(Current {
            parameters: parameter_values(&stack),
            outputs: stack
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
                .collect(),
        })
    }

    /// Every live stack's parameters (all stacks of the account and region).
    pub(crate) async fn parameters_of_every_stack(&self) -> Result<Vec<BTreeMap<String, String>>> {
        let mut all = Vec::new();
        let mut pages = self.client.describe_stacks().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| explain("DescribeStacks", e))?;
            all.extend(page.stacks().iter().map(parameter_values));
        }
        Ok(all)
    }

    /// The stack's status, or None when it does not exist.
    pub async fn status(&self, name: &str) -> Result<Option<StackStatus>> {
        Ok(self
            .describe(name)
            .await?
            .and_then(|s| s.stack_status().cloned()))
    }

    /// The stack as DescribeStacks returns it; none when it does not exist.
    pub async fn describe(
        &self,
        name: &str,
    ) -> Result<Option<aws_sdk_cloudformation::types::Stack>> {
        match self.client.describe_stacks().stack_name(name).send().await {
            Ok(output) => Ok(output.stacks().first().cloned()),
            Err(error) if message(&error).contains("does not exist") => Ok(None),
            Err(error) => Err(explain("DescribeStacks", error)),
        }
    }

    /// Waits for any operation in progress, then picks the change set type,
    /// deleting a stack left in ROLLBACK_COMPLETE by a failed create.
    async fn prepare(&self, name: &str) -> Result<ChangeSetType> {
        match self.settled_status(name).await? {
            None | Some(StackStatus::DeleteComplete | StackStatus::ReviewInProgress) => {
                Ok(ChangeSetType::Create)
            }
            Some(StackStatus::RollbackComplete) => {
                self.progress.line(&format!(
                    "{name} is in ROLLBACK_COMPLETE after a failed create; deleting it and creating it afresh"
                ));
                self.delete_and_wait(name).await?;
                Ok(ChangeSetType::Create)
            }
            Some(
                status @ (StackStatus::RollbackFailed
                | StackStatus::DeleteFailed
                | StackStatus::UpdateRollbackFailed),
            ) => bail!(
                "{name} is in {status}: CloudFormation cannot update it. Fix it in the console \
                 (for UPDATE_ROLLBACK_FAILED: Stack actions > Continue update rollback; otherwise delete it) and deploy again"
            ),
            Some(_) => Ok(ChangeSetType::Update),
        }
    }

    /// The status once no operation is in progress, streaming the events of one that is.
    async fn settled_status(&self, name: &str) -> Result<Option<StackStatus>> {
        let Some(status) = self.status(name).await? else {
            return Ok(None);
        };
        if !in_progress(&status) {
            return Ok(Some(status));
        }
        self.progress.line(&format!(
            "{name} is busy ({status}); waiting for that operation to finish first"
        ));
        let status = self
            .follow(name, DateTime::from(std::time::SystemTime::now()))
            .await?;
        Ok(Some(status))
    }

    async fn change_set(
        &self,
        spec: &StackSpec,
        kind: ChangeSetType,
    ) -> Result<Option<(String, Vec<PlannedChange>)>> {
        let name = change_set_name()?;
        let created = self
            .client
            .create_change_set()
            .stack_name(&spec.name)
            .change_set_name(&name)
            .change_set_type(kind)
            .set_template_body(spec.template.body())
            .set_template_url(spec.template.url())
            .set_parameters(Some(parameters(&spec.parameters)))
            .set_tags(Some(tags(&spec.tags)))
            .capabilities(Capability::CapabilityIam)
            .send()
            .await;
        match created {
            Ok(_) => {}
            // Some endpoints refuse an empty change set outright instead of marking it FAILED.
            Err(error) if is_empty_change_set(message(&error)) => return Ok(None),
            Err(error) => return Err(explain("CreateChangeSet", error)),
        }
        let bar = self
            .progress
            .spinner(&format!("{}: computing changes", spec.name));
        loop {
            let described = self
                .client
                .describe_change_set()
                .stack_name(&spec.name)
                .change_set_name(&name)
                .send()
                .await
                .map_err(|e| explain("DescribeChangeSet", e))?;
            match described.status() {
                Some(ChangeSetStatus::CreateComplete) => {
                    bar.finish_and_clear();
                    return Ok(Some((
                        name,
                        described.changes().iter().filter_map(planned).collect(),
                    )));
                }
                Some(ChangeSetStatus::Failed) => {
                    bar.finish_and_clear();
                    let reason = described
                        .status_reason()
                        .unwrap_or("no reason given")
                        .to_owned();
                    if is_empty_change_set(&reason) {
                        self.delete_change_set(&spec.name, &name).await?;
                        return Ok(None);
                    }
                    bail!(
                        "CloudFormation rejected the change set for {}: {reason}",
                        spec.name
                    );
                }
                _ => tokio::time::sleep(self.poll).await,
            }
        }
    }

    async fn delete_change_set(&self, stack: &str, change_set: &str) -> Result<()> {
        self.client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| explain("DeleteChangeSet", e))?;
        Ok(())
    }

    async fn delete_and_wait(&self, name: &str) -> Result<()> {
        let since = DateTime::from(std::time::SystemTime::now());
        self.client
            .delete_stack()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| explain("DeleteStack", e))?;
        let status = self.follow(name, since).await?;
        if status != StackStatus::DeleteComplete {
            let reasons = self.failures(name, since).await?;
            bail!(
                "deleting {name} ended in {status}:{reasons}\nDelete what blocks it (the reasons above) and run the command again"
            );
        }
        Ok(())
    }

    /// Streams the stack's events since `since` until a terminal status; Ctrl-C
    /// stops waiting (not the operation) and says how to resume.
    async fn follow(&self, name: &str, since: DateTime) -> Result<StackStatus> {
        let bar = self
            .progress
            .spinner(&format!("{name}: waiting for CloudFormation"));
        let mut seen = HashSet::new();
        let interrupted = tokio::signal::ctrl_c();
        tokio::pin!(interrupted);
        loop {
            self.print_new_events(name, since, &mut seen).await?;
            let status = self
                .status(name)
                .await?
                .unwrap_or(StackStatus::DeleteComplete);
            if !in_progress(&status) {
                bar.finish_and_clear();
                return Ok(status);
            }
            bar.set_message(format!("{name}: {status} ({} events)", seen.len()));
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = &mut interrupted => {
                    bar.finish_and_clear();
                    bail!("stopped waiting; the operation on {name} continues in CloudFormation. \
                           Watch it in the console, or run the same command again to wait for it");
                }
            }
        }
    }

    async fn print_new_events(
        &self,
        name: &str,
        since: DateTime,
        seen: &mut HashSet<String>,
    ) -> Result<()> {
        let mut fresh: Vec<StackEvent> = self
            .events(name, since)
            .await?
            .into_iter()
            .filter(|e| seen.insert(e.event_id().unwrap_or_default().to_owned()))
            .collect();
        fresh.reverse(); // CloudFormation lists newest first.
        for event in fresh {
            self.progress.line(&format!("  {}", describe_event(&event)));
        }
        Ok(())
    }

    async fn events(&self, name: &str, since: DateTime) -> Result<Vec<StackEvent>> {
        match self
            .client
            .describe_stack_events()
            .stack_name(name)
            .send()
            .await
        {
            Ok(output) => Ok(output
                .stack_events()
                .iter()
                .filter(|e| e.timestamp().is_some_and(|t| t.secs() >= since.secs()))
                .cloned()
                .collect()),
            Err(error) if message(&error).contains("does not exist") => Ok(Vec::new()),
            Err(error) => Err(explain("DescribeStackEvents", error)),
        }
    }

    /// The failed resources since `since`, one line each with CloudFormation's reason.
    async fn failures(&self, name: &str, since: DateTime) -> Result<String> {
        let mut events = self.events(name, since).await?;
        events.reverse();
        let lines: Vec<String> = events
            .iter()
            .filter(|e| {
                e.resource_status()
                    .is_some_and(|s| s.as_str().ends_with("_FAILED"))
            })
            .map(|e| format!("\n  - {}", describe_event(e)))
            .collect();
        Ok(if lines.is_empty() {
            " (CloudFormation gave no resource reasons)".to_owned()
        } else {
            lines.concat()
        })
    }

    /// Turns a terminal status after an execute into success or a clear error.
    async fn judge(&self, name: &str, status: &StackStatus, since: DateTime) -> Result<()> {
        match status {
            StackStatus::CreateComplete
            | StackStatus::UpdateComplete
            | StackStatus::ImportComplete => Ok(()),
            StackStatus::UpdateRollbackComplete => Err(anyhow!(
                "the update of {name} failed and was rolled back; the stack is unchanged and still works. Failed resources:{}\n\
                 Fix the cause and deploy again",
                self.failures(name, since).await?
            )),
            StackStatus::RollbackComplete => Err(anyhow!(
                "creating {name} failed and was rolled back. Failed resources:{}\n\
                 Fix the cause and deploy again: the empty stack is deleted and created afresh",
                self.failures(name, since).await?
            )),
            other => Err(anyhow!(
                "{name} ended in {other}. Failed resources:{}\nSee the stack's events in the CloudFormation console",
                self.failures(name, since).await?
            )),
        }
    }
}

/// Parameter values as CloudFormation takes them (stacks and StackSets).
pub fn parameters(values: &BTreeMap<String, String>) -> Vec<Parameter> {
    values
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect()
}

/// Tags as CloudFormation takes them (stacks and StackSets).
pub(crate) fn tags(values: &BTreeMap<String, String>) -> Vec<Tag> {
    values
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// A change set name unique within this process and across runs.
fn change_set_name() -> Result<String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    Ok(format!(
        "trailwatch-{millis}-{}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn in_progress(status: &StackStatus) -> bool {
    status.as_str().ends_with("_IN_PROGRESS") && *status != StackStatus::ReviewInProgress
}

fn is_empty_change_set(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// A described stack's parameters, by key.
pub(crate) fn parameter_values(
    stack: &aws_sdk_cloudformation::types::Stack,
) -> BTreeMap<String, String> {
    stack
        .parameters()
        .iter()
        .filter_map(|p| {
            Some((
                p.parameter_key()?.to_owned(),
                p.parameter_value()?.to_owned(),
            ))
        })
        .collect()
}

fn describe_event(event: &StackEvent) -> String {
    let reason = event
        .resource_status_reason()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    terminal::value(&format!(
        "{} {} {}{reason}",
        event.logical_resource_id().unwrap_or("?"),
        event.resource_type().unwrap_or("?"),
        event.resource_status().map_or("?", |s| s.as_str()),
    ))
}
