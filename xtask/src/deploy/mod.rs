//! Deploy, diff and destroy of the trailwatch stack, composed from the config,
//! the assets, the template and the CloudFormation driver.

pub mod artifact;
pub mod assembly;
pub mod assets;
pub mod cloudformation;
pub mod concurrency;
pub mod forwarders;
pub mod stackset;
pub mod trail;

use contract::names;
use contract::outputs;
use contract::parameters;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_config::SdkConfig;

use crate::aws::{explain, region};
use crate::config::Config;
use crate::config::app;
use crate::config::regions::{self, Organization, Regions};
use crate::terminal;
use assembly::Assembly;
use assembly::{FORWARDER_TEMPLATE_FILE, MAX_TEMPLATE_BODY_BYTES, TEMPLATE_FILE, check_size};
use assets::{ASSETS_STACK, Published};
use cloudformation::{
    Approval, Current, Deployed, Driver, PlannedChange, StackSpec, Template, approve, confirm,
};
use forwarders::{Forwarders, Outcome, RegionOutcome};
use stackset::{StackSetReport, StackSetSpec, StackSets};

/// What a deploy did: the asset, the home stack, and the forwarders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub asset: Published,
    pub stack: Deployed,
    /// Each forwarder region's outcome (removed ones included).
    pub forwarders: Vec<RegionOutcome>,
    /// The organization's StackSet operations, when one is configured.
    pub organization: Option<StackSetReport>,
}

/// The organization as the deploying credentials see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrganizationFacts {
    pub id: String,
    pub management_account: String,
    pub caller_account: String,
}

impl OrganizationFacts {
    /// Whether the deploy runs in the management account, which StackSets
    /// never deploy to (it gets plain forwarder stacks instead).
    pub(crate) fn in_management_account(&self) -> bool {
        self.caller_account == self.management_account
    }
}

/// Asks Organizations and STS who the organization and the caller are.
pub(crate) async fn organization_facts(sdk: &SdkConfig) -> Result<OrganizationFacts> {
    let described = aws_sdk_organizations::Client::new(sdk)
        .describe_organization()
        .send()
        .await
        .map_err(|e| explain("organizations:DescribeOrganization (for --org)", e))?;
    let organization = described
        .organization()
        .context("DescribeOrganization returned no organization")?;
    Ok(OrganizationFacts {
        id: organization.id().unwrap_or_default().to_owned(),
        management_account: organization
            .master_account_id()
            .unwrap_or_default()
            .to_owned(),
        caller_account: caller_account(sdk).await?,
    })
}

/// The account of the deploying credentials.
async fn caller_account(sdk: &SdkConfig) -> Result<String> {
    let caller = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| explain("sts:GetCallerIdentity", e))?;
    caller
        .account()
        .map(str::to_owned)
        .context("GetCallerIdentity named no account")
}

/// The organization's root id, the default StackSet target.
async fn organization_root(sdk: &SdkConfig) -> Result<String> {
    let roots = aws_sdk_organizations::Client::new(sdk)
        .list_roots()
        .send()
        .await
        .map_err(|e| {
            explain(
                "organizations:ListRoots (name [organization] ou_ids to skip it)",
                e,
            )
        })?;
    roots
        .roots()
        .first()
        .and_then(|r| r.id())
        .map(str::to_owned)
        .context("the organization has no root")
}

/// Clients for one account and region.
pub struct Session {
    pub driver: Driver,
    pub s3: aws_sdk_s3::Client,
    pub region: String,
    /// The SDK configuration, for clients of other regions and services.
    pub sdk: SdkConfig,
    poll: Duration,
}

impl Session {
    /// Clients from an SDK configuration; `poll` is the wait interval.
    pub fn new(sdk: &SdkConfig, poll: Duration) -> Self {
        // Emulators answer on one host name: address buckets by path there.
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        Self {
            driver: Driver::new(aws_sdk_cloudformation::Client::new(sdk), poll),
            s3: aws_sdk_s3::Client::from_conf(s3),
            region: region(sdk),
            sdk: sdk.clone(),
            poll,
        }
    }

    /// The forwarder stacks' clients, for every region.
    pub(crate) fn forwarders(&self) -> Forwarders {
        Forwarders::new(&self.sdk, self.poll)
    }

    /// The organization's StackSet operations, from this region.
    pub(crate) fn stack_sets(&self, organization: &Organization) -> StackSets {
        StackSets::new(
            aws_sdk_cloudformation::Client::new(&self.sdk),
            organization,
            self.poll,
        )
    }
}

/// Publishes the synth output's handler and creates or updates the home stack
/// with its template; then the forwarders of the configured regions (first
/// removing those of regions no longer configured, after approval).
pub async fn deploy(
    session: &Session,
    config: &Config,
    assembly: &Assembly,
    approval: Approval,
) -> Result<Report> {
    let handler = assembly.handler_zip()?;
    let home = session.driver.current(&config.stack_name).await?;
    let reservation = reservation(session, config, &home).await?;
    let mut wanted = wanted_regions(session, config).await?;
    let organization = match &config.organization {
        Some(settings) => Some(OrganizationStackSet::new(session, settings, &wanted).await?),
        None => None,
    };
    // The deploying account has plain forwarder stacks in the StackSet's
    // regions: StackSets never deploy to the management account, and leave
    // a delegated administrator's account out (one forwarder per account
    // and region).
    if let Some(organization) = &organization {
        let home = &session.region;
        wanted.extend(organization.regions.iter().filter(|r| *r != home).cloned());
    }
    warn_without_trail(session, config, &wanted).await;
    let forwarder = forwarder_spec(config, assembly, &wanted)?;
    let mut outcomes = remove_dropped(session, config, &home, &wanted, approval).await?;
    let bucket = assets::bucket(&session.driver, approval).await?;
    let asset = assets::publish(&session.s3, &bucket, handler).await?;
    let code = Code {
        bucket: Some(&asset.bucket),
        key: &asset.key,
        reservation,
    };
    let mut spec = spec(session, config, assembly, code, &home).await?;
    if config.forwards() {
        spec.parameters
            .insert(parameters::FORWARDER_REGIONS.to_owned(), joined(&wanted));
        let id = organization.as_ref().map(|o| o.facts.id.clone());
        spec.parameters.insert(
            parameters::ORGANIZATION_ID.to_owned(),
            id.unwrap_or_default(),
        );
    }
    let (stack, forwarded) = match &forwarder {
        None => (session.driver.deploy(&spec, approval).await?, Vec::new()),
        Some(forwarder) => {
            let bus = forwarding_bus(session, config, &home).await?;
            deploy_with_forwarders(session, &spec, forwarder, &wanted, &bus, approval).await?
        }
    };
    outcomes.extend(forwarded);
    let organization = match organization {
        Some(organization) => {
            let bus = home_bus(&stack.outputs)?;
            Some(
                organization
                    .deploy(session, config, assembly, (&bucket, bus), approval)
                    .await?,
            )
        }
        None => None,
    };
    prune_artifacts(session, &bucket).await;
    Ok(Report {
        asset,
        stack,
        forwarders: outcomes,
        organization,
    })
}

/// How long an unreferenced artifact is kept: a deploy of another stack may
/// have uploaded it and not yet created its change set.
const UNREFERENCED_ARTIFACT_GRACE: Duration = Duration::from_secs(24 * 60 * 60);

/// Deletes the artifacts no stack of the region references any more; a failure
/// is a warning (the deploy itself succeeded).
async fn prune_artifacts(session: &Session, bucket: &str) {
    let pruned = async {
        let in_use: BTreeSet<String> = session
            .driver
            .parameters_of_every_stack()
            .await?
            .into_iter()
            .filter(|p| p.get(parameters::ARTIFACT_BUCKET).map(String::as_str) == Some(bucket))
            .filter_map(|mut p| p.remove(parameters::ARTIFACT_KEY))
            .collect();
        let cutoff = std::time::SystemTime::now() - UNREFERENCED_ARTIFACT_GRACE;
        assets::prune(&session.s3, bucket, &in_use, cutoff.into()).await
    };
    match pruned.await {
        Ok(0) => {}
        Ok(count) => eprintln!(
            "assets: {count} artifacts no stack references deleted from {bucket} (old versions expire after 30 days)"
        ),
        Err(error) => eprintln!(
            "WARNING: could not prune old artifacts from {bucket}: {}",
            terminal::lines(&format!("{error:#}"))
        ),
    }
}

/// Warns for each region of the home account (home and forwarders) where no
/// trail logs the management events the rules select.
async fn warn_without_trail(session: &Session, config: &Config, forwarders: &BTreeSet<String>) {
    let mut regions = forwarders.clone();
    regions.insert(session.region.clone());
    let read = !config.props().read_only_patterns.is_empty();
    for warning in trail::warnings(&session.sdk, &regions, read).await {
        eprintln!("{}", terminal::lines(&warning));
    }
}

/// The reserved concurrency to deploy the handler with (0: none), checked
/// against the account before anything is uploaded.
async fn reservation(session: &Session, config: &Config, home: &Current) -> Result<u32> {
    let lambda = aws_sdk_lambda::Client::new(&session.sdk);
    concurrency::reservation(
        &lambda,
        home.outputs.get(outputs::FUNCTION_ARN).map(String::as_str),
        config.reservation,
    )
    .await
}

/// The organization's part of a deploy.
struct OrganizationStackSet<'a> {
    settings: &'a Organization,
    facts: OrganizationFacts,
    regions: BTreeSet<String>,
}

impl<'a> OrganizationStackSet<'a> {
    /// The organization as the caller sees it, and the StackSet's regions:
    /// as configured, else the home region and `forwarder_regions`.
    async fn new(
        session: &Session,
        settings: &'a Organization,
        forwarder_regions: &BTreeSet<String>,
    ) -> Result<Self> {
        let regions = match &settings.regions {
            Some(regions) => resolve(session, regions).await?,
            None => {
                let mut regions = forwarder_regions.clone();
                regions.insert(session.region.clone());
                regions
            }
        };
        Ok(Self {
            settings,
            facts: organization_facts(&session.sdk).await?,
            regions,
        })
    }

    /// Deploys the forwarder StackSet targeting `bus` (its template, when
    /// too large for the request, read from the home region's assets
    /// `bucket`, where the StackSet is administered); from outside the
    /// management account, leaves this account out (it has plain forwarder
    /// stacks) and says how to cover the management account.
    async fn deploy(
        self,
        session: &Session,
        config: &Config,
        assembly: &Assembly,
        (bucket, bus): (&str, String),
        approval: Approval,
    ) -> Result<StackSetReport> {
        let template = assembly
            .forwarder
            .clone()
            .context("the synth output has no forwarder template: synth again with --org")?;
        let ou_ids = if self.settings.ou_ids.is_empty() {
            vec![organization_root(&session.sdk).await?]
        } else {
            self.settings.ou_ids.clone()
        };
        let member = !self.facts.in_management_account();
        let spec = StackSetSpec {
            name: forwarders::stack_name(&config.stack_name),
            template: assets::template(&session.s3, bucket, &session.region, &template).await?,
            parameters: BTreeMap::from([(parameters::HOME_BUS_ARN.to_owned(), bus)]),
            tags: stack_tags(config),
            ou_ids,
            regions: self.regions,
            excluded_account: member.then(|| self.facts.caller_account.clone()),
        };
        let report = session
            .stack_sets(self.settings)
            .deploy(&spec, approval)
            .await
            .context("the home stack and this account's forwarders are deployed, but the organization's StackSet is not")?;
        if member {
            eprintln!(
                "NOTE: StackSets never deploy to the management account ({}): deploy its forwarders with its credentials, \
                 in each region: aws cloudformation deploy --template-file {} --stack-name {} \
                 --capabilities CAPABILITY_IAM --parameter-overrides {}={} --region REGION",
                self.facts.management_account,
                assembly.dir.join(FORWARDER_TEMPLATE_FILE).display(),
                spec.name,
                parameters::HOME_BUS_ARN,
                spec.parameters[parameters::HOME_BUS_ARN],
            );
        }
        Ok(report)
    }
}

/// Plans the home stack and every forwarder at once, asks once for all their
/// security-relevant changes, and executes them all at once: the forwarders
/// target the home bus by its ARN, which is known before it exists (events
/// forwarded before it does are retried for a day).
async fn deploy_with_forwarders(
    session: &Session,
    home: &StackSpec,
    forwarder: &StackSpec,
    regions: &BTreeSet<String>,
    bus: &str,
    approval: Approval,
) -> Result<(Deployed, Vec<RegionOutcome>)> {
    let forwarders = session.forwarders();
    let driver = session
        .driver
        .clone()
        .reporting_to(forwarders.progress(&session.region));
    let (home_plan, plans) = tokio::join!(
        driver.plan(home),
        forwarders.plan(regions, forwarder, bus, approval)
    );
    let home_plan = match home_plan {
        Ok(plan) => plan,
        Err(error) => {
            forwarders.discard(plans, &error).await;
            return Err(error);
        }
    };
    driver.print_plan(&home_plan);
    if let Err(error) = approve(
        home_plan.needing_approval() + plans.needing_approval(),
        approval,
    ) {
        driver.discard(&home_plan).await?;
        forwarders.discard(plans, &error).await;
        return Err(error);
    }
    let (stack, outcomes) = tokio::join!(driver.execute(home_plan), forwarders.execute(plans));
    let stack = stack?;
    let deployed_bus = home_bus(&stack.outputs)?;
    if deployed_bus != bus {
        bail!(
            "the forwarders target {bus} but the home stack's bus is {deployed_bus}: deploy again"
        );
    }
    Ok((stack, outcomes))
}

/// The home stack's forwarding bus: its output when deployed, else the ARN it
/// will have (CloudFormation names it `<stack>-forwarded`).
async fn forwarding_bus(session: &Session, config: &Config, home: &Current) -> Result<String> {
    if let Some(bus) = home.outputs.get(outputs::FORWARDING_BUS_ARN) {
        return Ok(bus.clone());
    }
    let account = caller_account(&session.sdk).await?;
    Ok(format!(
        "arn:{}:events:{}:{account}:event-bus/{}",
        partition(&session.region),
        session.region,
        names::forwarding_bus_name(&config.stack_name)
    ))
}

/// The AWS partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The forwarder regions this configuration wants, for the session's home
/// region: none when the stack does not forward.
pub(crate) async fn wanted_regions(session: &Session, config: &Config) -> Result<BTreeSet<String>> {
    if !config.forwards() {
        return Ok(BTreeSet::new());
    }
    let configured = match &config.regions {
        None => BTreeSet::new(),
        Some(regions) => resolve(session, regions).await?,
    };
    Ok(regions::forwarder_regions(&session.region, &configured))
}

/// The regions `regions` names: those listed, or every enabled one.
async fn resolve(session: &Session, regions: &Regions) -> Result<BTreeSet<String>> {
    match regions {
        Regions::Listed(listed) => Ok(listed.clone()),
        Regions::All => enabled_regions(&aws_sdk_account::Client::new(&session.sdk)).await,
    }
}

/// Every region enabled in the account (opted in, or on by default).
pub async fn enabled_regions(client: &aws_sdk_account::Client) -> Result<BTreeSet<String>> {
    use aws_sdk_account::types::RegionOptStatus;
    let mut pages = client
        .list_regions()
        .region_opt_status_contains(RegionOptStatus::Enabled)
        .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
        .into_paginator()
        .send();
    let mut regions = BTreeSet::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| explain("account:ListRegions (for --regions all)", e))?;
        regions.extend(
            page.regions()
                .iter()
                .filter_map(|r| r.region_name().map(str::to_owned)),
        );
    }
    if regions.is_empty() {
        bail!("account:ListRegions named no enabled region: list the regions instead of `all`");
    }
    Ok(regions)
}

/// The forwarder regions the deployed home stack records.
fn recorded_regions(home: &Current) -> BTreeSet<String> {
    home.parameters
        .get(parameters::FORWARDER_REGIONS)
        .map(|regions| {
            regions
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Deletes, after approval, the forwarders of regions the home stack records
/// but the configuration no longer wants; stops the deploy if any fails.
async fn remove_dropped(
    session: &Session,
    config: &Config,
    home: &Current,
    wanted: &BTreeSet<String>,
    approval: Approval,
) -> Result<Vec<RegionOutcome>> {
    let dropped: BTreeSet<String> = recorded_regions(home).difference(wanted).cloned().collect();
    if dropped.is_empty() {
        return Ok(Vec::new());
    }
    let listed = joined(&dropped);
    confirm(
        &format!("Remove the forwarders of {listed} (their events will no longer be alerted)?"),
        "not deployed: the removal of forwarders was not approved",
        approval,
    )?;
    let outcomes = session
        .forwarders()
        .destroy(&dropped, &forwarders::stack_name(&config.stack_name))
        .await;
    if let Some(failed) = forwarders::failures(&outcomes) {
        bail!(
            "removing the forwarders failed in {failed}; the home stack is unchanged:\n{}\
             Fix the cause and deploy again",
            forwarders::summary(&forwarders::stack_name(&config.stack_name), &outcomes)
        );
    }
    Ok(outcomes)
}

/// The forwarder stack's spec (without the home bus), when there are forwarders.
fn forwarder_spec(
    config: &Config,
    assembly: &Assembly,
    regions: &BTreeSet<String>,
) -> Result<Option<StackSpec>> {
    if regions.is_empty() {
        return Ok(None);
    }
    let Some(template) = &assembly.forwarder else {
        bail!(
            "{} has no forwarder template but forwarders are wanted in {}: synth again with this configuration (and --region)",
            assembly.dir.display(),
            joined(regions)
        );
    };
    Ok(Some(StackSpec {
        name: forwarders::stack_name(&config.stack_name),
        template: Template::Body(template.clone()),
        parameters: BTreeMap::new(),
        tags: stack_tags(config),
    }))
}

/// The home stack's forwarding bus ARN.
fn home_bus(outputs: &BTreeMap<String, String>) -> Result<String> {
    outputs
        .get(outputs::FORWARDING_BUS_ARN)
        .cloned()
        .with_context(|| {
            format!(
                "the home stack has no {} output",
                outputs::FORWARDING_BUS_ARN
            )
        })
}

fn joined(regions: &BTreeSet<String>) -> String {
    regions.iter().cloned().collect::<Vec<_>>().join(",")
}

fn stack_tags(config: &Config) -> BTreeMap<String, String> {
    let mut tags = app::tags();
    tags.extend(config.tags.clone());
    tags
}

/// The changes a deploy of the synth output would make (with the deployed
/// code when it has no handler zip).
pub async fn diff(
    session: &Session,
    config: &Config,
    assembly: &Assembly,
) -> Result<Vec<PlannedChange>> {
    let home = session.driver.current(&config.stack_name).await?;
    let bucket = session
        .driver
        .outputs(ASSETS_STACK)
        .await?
        .remove(outputs::ASSETS_BUCKET_NAME);
    let key = match (
        &assembly.handler,
        home.parameters.get(parameters::ARTIFACT_KEY),
    ) {
        (Some(artifact), _) => assets::key_of(artifact),
        (None, Some(key)) => key.clone(),
        (None, None) => "(handler not built yet)".to_owned(),
    };
    let code = Code {
        bucket: bucket.as_deref(),
        key: &key,
        reservation: reservation(session, config, &home).await?,
    };
    let spec = spec(session, config, assembly, code, &home).await?;
    session.driver.diff(&spec).await
}

/// The changes a deploy would make to each forwarder region (every forwarder
/// is new while the home stack does not exist).
pub(crate) async fn diff_forwarders(
    session: &Session,
    config: &Config,
    assembly: &Assembly,
) -> Result<Vec<RegionOutcome>> {
    let wanted = wanted_regions(session, config).await?;
    let Some(spec) = forwarder_spec(config, assembly, &wanted)? else {
        return Ok(Vec::new());
    };
    let outputs = session.driver.outputs(&config.stack_name).await?;
    match outputs.get(outputs::FORWARDING_BUS_ARN) {
        Some(bus) => Ok(session.forwarders().diff(&wanted, &spec, bus).await),
        None => Ok(wanted
            .into_iter()
            .map(|region| RegionOutcome {
                region,
                result: Outcome::Failed(
                    "not compared: the home stack's forwarding bus does not exist yet (deploy creates both)".into(),
                ),
            })
            .collect()),
    }
}

/// Deletes the forwarders (every region the home stack records or the
/// configuration lists), then the home stack (absent is fine) and, with
/// `purge_assets`, the assets stack and its artifacts. Returns the forwarders'
/// outcomes; when some failed, the home stack is kept so they can be retried.
pub async fn destroy(
    session: &Session,
    config: &Config,
    purge_assets: bool,
) -> Result<Vec<RegionOutcome>> {
    let mut regions = recorded_regions(&session.driver.current(&config.stack_name).await?);
    if let Some(Regions::Listed(listed)) = &config.regions {
        regions.extend(listed.iter().filter(|r| **r != session.region).cloned());
    }
    let outcomes = session
        .forwarders()
        .destroy(&regions, &forwarders::stack_name(&config.stack_name))
        .await;
    if let Some(settings) = &config.organization {
        let name = forwarders::stack_name(&config.stack_name);
        if session.stack_sets(settings).destroy(&name).await? {
            eprintln!("destroy: the StackSet {name} and its instances deleted");
        }
    }
    if let Some(failed) = forwarders::failures(&outcomes) {
        bail!(
            "deleting the forwarders failed in {failed}; the home stack {} is kept:\n{}\
             Fix the cause and run destroy again",
            config.stack_name,
            forwarders::summary(&forwarders::stack_name(&config.stack_name), &outcomes)
        );
    }
    destroy_home(session, &config.stack_name, purge_assets).await?;
    Ok(outcomes)
}

async fn destroy_home(session: &Session, stack_name: &str, purge_assets: bool) -> Result<()> {
    if session.driver.destroy(stack_name).await? {
        eprintln!("destroy: {stack_name} deleted");
    } else {
        eprintln!("destroy: {stack_name} does not exist; nothing to delete");
    }
    if !purge_assets {
        eprintln!(
            "destroy: artifacts kept in the {ASSETS_STACK} stack's bucket (--purge-assets deletes them)"
        );
        return Ok(());
    }
    if let Some(bucket) = session
        .driver
        .outputs(ASSETS_STACK)
        .await?
        .remove(outputs::ASSETS_BUCKET_NAME)
    {
        let deleted = assets::empty(&session.s3, &bucket).await?;
        eprintln!("destroy: {deleted} object versions deleted from {bucket}");
    }
    session.driver.destroy(ASSETS_STACK).await?;
    eprintln!("destroy: {ASSETS_STACK} and its artifacts deleted");
    Ok(())
}

/// Writes the outputs as a JSON object.
pub fn write_outputs(path: &Path, outputs: &BTreeMap<String, String>) -> Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(outputs)? + "\n")
        .with_context(|| format!("writing {}", path.display()))
}

/// The handler's code and how many executions it reserves.
struct Code<'a> {
    /// The assets bucket, when it exists.
    bucket: Option<&'a str>,
    key: &'a str,
    /// Reserved concurrency (0: none).
    reservation: u32,
}

/// The home stack's spec; `home` is what the deployed stack holds now.
async fn spec(
    session: &Session,
    config: &Config,
    assembly: &Assembly,
    code: Code<'_>,
    home: &Current,
) -> Result<StackSpec> {
    let Code {
        bucket,
        key,
        reservation,
    } = code;
    let mut parameters = BTreeMap::from([
        (
            parameters::ARTIFACT_BUCKET.to_owned(),
            bucket
                .unwrap_or("(assets bucket not created yet)")
                .to_owned(),
        ),
        (parameters::ARTIFACT_KEY.to_owned(), key.to_owned()),
        (
            parameters::RESERVED_CONCURRENCY.to_owned(),
            reservation.to_string(),
        ),
    ]);
    // Keep an address set in the console rather than resetting it to the default.
    if let Some(email) = home.parameters.get(parameters::ALERT_EMAIL) {
        parameters.insert(parameters::ALERT_EMAIL.to_owned(), email.clone());
    }
    let template = match bucket {
        Some(bucket) => {
            assets::template(&session.s3, bucket, &session.region, &assembly.template).await?
        }
        None => {
            check_size(TEMPLATE_FILE, &assembly.template, MAX_TEMPLATE_BODY_BYTES).context(
                "deploy creates the assets bucket that holds large templates: deploy first",
            )?;
            Template::Body(assembly.template.clone())
        }
    };
    Ok(StackSpec {
        name: config.stack_name.clone(),
        template,
        parameters,
        tags: stack_tags(config),
    })
}
