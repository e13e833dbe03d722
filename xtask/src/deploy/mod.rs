//! Deploy, diff and destroy of the trailwatch stack, composed from the config,
//! the assets, the template and the CloudFormation driver.

pub mod artifact;
pub mod assembly;
pub mod assets;
pub mod changes;
pub mod cloudformation;
pub mod concurrency;
mod destroy;
mod diff;
pub mod forwarders;
mod organization;
pub mod progress;
mod regions;
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

use crate::aws::region;
use crate::config::Config;
use crate::config::app;
use crate::config::regions::Organization;
use crate::terminal;
use assembly::Assembly;
use assembly::{MAX_TEMPLATE_BODY_BYTES, TEMPLATE_FILE, check_size};
use assets::Published;
use changes::{Approval, approve, confirm};
use cloudformation::{Current, Deployed, Driver, StackSpec, Template};
use forwarders::{Forwarders, RegionOutcome};
use stackset::{StackSetReport, StackSets};

pub use destroy::destroy;
pub use diff::diff;
pub(crate) use diff::diff_forwarders;
use organization::OrganizationStackSet;
use organization::caller_account;
pub use regions::enabled_regions;
pub(crate) use regions::wanted_regions;
use regions::{joined, partition, recorded_regions};

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

fn stack_tags(config: &Config) -> BTreeMap<String, String> {
    let mut tags = app::tags();
    tags.extend(config.tags.clone());
    tags
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
    // Keep an address set in the console rather than resetting it to the
    // default; an empty one is the default and is left out.
    if let Some(email) = home
        .parameters
        .get(parameters::ALERT_EMAIL)
        .filter(|email| !email.is_empty())
    {
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
