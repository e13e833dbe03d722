//! Deploy, diff and destroy of the trailwatch stack, composed from the config,
//! the assets, the template and the CloudFormation driver.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_config::SdkConfig;
use template::assets::BUCKET_OUTPUT;
use template::{FORWARDER_REGIONS_PARAMETER, FORWARDING_BUS_OUTPUT, ORGANIZATION_PARAMETER};

use crate::app;
use crate::assembly::Assembly;
use crate::assets::{self, ASSETS_STACK, Published};
use crate::aws::{explain, region};
use crate::cloudformation::{Approval, Deployed, Driver, PlannedChange, StackSpec, confirm};
use crate::config::Config;
use crate::fleet::{self, Regions};
use crate::forwarders::{self, Forwarders, Outcome, RegionOutcome};

/// Template parameter keeping the console-set alert address across deploys.
const ALERT_EMAIL_PARAMETER: &str = "AlertEmail";

/// What a deploy did: the asset, the home stack, and the forwarders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub asset: Published,
    pub stack: Deployed,
    /// Each forwarder region's outcome (removed ones included).
    pub forwarders: Vec<RegionOutcome>,
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
    pub fn forwarders(&self) -> Forwarders {
        Forwarders::new(&self.sdk, self.poll)
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
    let Some(handler) = &assembly.handler else {
        bail!(
            "{} has no handler zip: build the handler (cargo xtask build) and synth again",
            assembly.dir.display()
        );
    };
    let wanted = wanted_regions(session, config).await?;
    let forwarder = forwarder_spec(config, assembly, &wanted)?;
    let mut outcomes = remove_dropped(session, config, &wanted, approval).await?;
    let bucket = assets::bucket(&session.driver, approval).await?;
    let asset = assets::publish(&session.s3, &bucket, handler).await?;
    let mut spec = spec(session, config, assembly, &asset.bucket, &asset.key).await?;
    if config.props.forwarding {
        spec.parameters
            .insert(FORWARDER_REGIONS_PARAMETER.to_owned(), joined(&wanted));
        spec.parameters
            .insert(ORGANIZATION_PARAMETER.to_owned(), String::new());
    }
    let stack = session.driver.deploy(&spec, approval).await?;
    if let Some(forwarder) = forwarder {
        let bus = home_bus(&stack.outputs)?;
        outcomes.extend(
            session
                .forwarders()
                .deploy(&wanted, &forwarder, &bus, approval)
                .await,
        );
    }
    Ok(Report {
        asset,
        stack,
        forwarders: outcomes,
    })
}

/// The forwarder regions this configuration wants, for the session's home
/// region: none when the stack does not forward.
pub async fn wanted_regions(session: &Session, config: &Config) -> Result<BTreeSet<String>> {
    if !config.props.forwarding {
        return Ok(BTreeSet::new());
    }
    let configured = match &config.regions {
        None => BTreeSet::new(),
        Some(Regions::Listed(regions)) => regions.clone(),
        Some(Regions::All) => enabled_regions(&session.sdk).await?,
    };
    Ok(fleet::forwarder_regions(&session.region, &configured))
}

/// Every region enabled in the account (opted in, or on by default).
pub async fn enabled_regions(sdk: &SdkConfig) -> Result<BTreeSet<String>> {
    use aws_sdk_account::types::RegionOptStatus;
    let client = aws_sdk_account::Client::new(sdk);
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
async fn recorded_regions(session: &Session, config: &Config) -> Result<BTreeSet<String>> {
    let parameters = session.driver.parameters(&config.stack_name).await?;
    Ok(parameters
        .get(FORWARDER_REGIONS_PARAMETER)
        .map(|regions| {
            regions
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}

/// Deletes, after approval, the forwarders of regions the home stack records
/// but the configuration no longer wants; stops the deploy if any fails.
async fn remove_dropped(
    session: &Session,
    config: &Config,
    wanted: &BTreeSet<String>,
    approval: Approval,
) -> Result<Vec<RegionOutcome>> {
    let dropped: BTreeSet<String> = recorded_regions(session, config)
        .await?
        .difference(wanted)
        .cloned()
        .collect();
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
        template_body: template.clone(),
        parameters: BTreeMap::new(),
        tags: stack_tags(config),
    }))
}

/// The home stack's forwarding bus ARN.
fn home_bus(outputs: &BTreeMap<String, String>) -> Result<String> {
    outputs
        .get(FORWARDING_BUS_OUTPUT)
        .cloned()
        .with_context(|| format!("the home stack has no {FORWARDING_BUS_OUTPUT} output"))
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
    let deployed = session.driver.parameters(&config.stack_name).await?;
    let bucket = match session
        .driver
        .outputs(ASSETS_STACK)
        .await?
        .remove(BUCKET_OUTPUT)
    {
        Some(bucket) => bucket,
        None => "(assets bucket not created yet)".to_owned(),
    };
    let key = match (&assembly.handler, deployed.get("ArtifactKey")) {
        (Some(artifact), _) => assets::key_of(artifact),
        (None, Some(key)) => key.clone(),
        (None, None) => "(handler not built yet)".to_owned(),
    };
    let spec = spec(session, config, assembly, &bucket, &key).await?;
    session.driver.diff(&spec).await
}

/// The changes a deploy would make to each forwarder region (every forwarder
/// is new while the home stack does not exist).
pub async fn diff_forwarders(
    session: &Session,
    config: &Config,
    assembly: &Assembly,
) -> Result<Vec<RegionOutcome>> {
    let wanted = wanted_regions(session, config).await?;
    let Some(spec) = forwarder_spec(config, assembly, &wanted)? else {
        return Ok(Vec::new());
    };
    let outputs = session.driver.outputs(&config.stack_name).await?;
    match outputs.get(FORWARDING_BUS_OUTPUT) {
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
    let mut regions = recorded_regions(session, config).await?;
    if let Some(Regions::Listed(listed)) = &config.regions {
        regions.extend(listed.iter().filter(|r| **r != session.region).cloned());
    }
    let outcomes = session
        .forwarders()
        .destroy(&regions, &forwarders::stack_name(&config.stack_name))
        .await;
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
        .remove(BUCKET_OUTPUT)
    {
        empty_bucket(&session.s3, &bucket).await?;
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

async fn spec(
    session: &Session,
    config: &Config,
    assembly: &Assembly,
    bucket: &str,
    key: &str,
) -> Result<StackSpec> {
    let mut parameters = BTreeMap::from([
        ("ArtifactBucket".to_owned(), bucket.to_owned()),
        ("ArtifactKey".to_owned(), key.to_owned()),
    ]);
    // Keep an address set in the console rather than resetting it to the default.
    if let Some(email) = session
        .driver
        .parameters(&config.stack_name)
        .await?
        .remove(ALERT_EMAIL_PARAMETER)
    {
        parameters.insert(ALERT_EMAIL_PARAMETER.to_owned(), email);
    }
    Ok(StackSpec {
        name: config.stack_name.clone(),
        template_body: assembly.template.clone(),
        parameters,
        tags: stack_tags(config),
    })
}

async fn empty_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<()> {
    use aws_sdk_s3::types::{Delete, ObjectIdentifier};
    loop {
        let listed = s3
            .list_object_versions()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| explain("ListObjectVersions", e))?;
        let versions = listed.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = listed
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        let objects: Vec<ObjectIdentifier> = versions
            .chain(markers)
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key?)
                    .set_version_id(version.map(str::to_owned))
                    .build()
                    .ok()
            })
            .collect();
        if objects.is_empty() {
            return Ok(());
        }
        let delete = Delete::builder().set_objects(Some(objects)).build()?;
        s3.delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| explain("DeleteObjects", e))?;
    }
}
