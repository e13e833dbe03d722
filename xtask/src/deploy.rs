//! Deploy, diff and destroy of the trailwatch stack, composed from the config,
//! the assets, the template and the CloudFormation driver.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_config::SdkConfig;
use template::assets::BUCKET_OUTPUT;

use crate::app;
use crate::assembly::Assembly;
use crate::assets::{self, ASSETS_STACK, Published};
use crate::aws::{explain, region};
use crate::cloudformation::{Approval, Deployed, Driver, PlannedChange, StackSpec};
use crate::config::Config;

/// Template parameter keeping the console-set alert address across deploys.
const ALERT_EMAIL_PARAMETER: &str = "AlertEmail";

/// What a deploy did: the asset and the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub asset: Published,
    pub stack: Deployed,
}

/// Clients for one account and region.
pub struct Session {
    pub driver: Driver,
    pub s3: aws_sdk_s3::Client,
    pub region: String,
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
        }
    }
}

/// Publishes the synth output's handler and creates or updates the stack
/// with its template.
pub async fn deploy(
    session: &Session,
    config: &Config,
    assembly: &Assembly,
    approval: Approval,
) -> Result<Report> {
    warn_about_region(config, &session.region);
    let Some(handler) = &assembly.handler else {
        bail!(
            "{} has no handler zip: build the handler (cargo xtask build) and synth again",
            assembly.dir.display()
        );
    };
    let bucket = assets::bucket(&session.driver, approval).await?;
    let asset = assets::publish(&session.s3, &bucket, handler).await?;
    let spec = spec(session, config, assembly, &asset.bucket, &asset.key).await?;
    let stack = session.driver.deploy(&spec, approval).await?;
    Ok(Report { asset, stack })
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

/// Deletes the stack (absent is fine) and, with `purge_assets`, the assets stack and its artifacts.
pub async fn destroy(session: &Session, stack_name: &str, purge_assets: bool) -> Result<()> {
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
    let mut tags = app::tags();
    tags.extend(config.tags.clone());
    Ok(StackSpec {
        name: config.stack_name.clone(),
        template_body: assembly.template.clone(),
        parameters,
        tags,
    })
}

fn warn_about_region(config: &Config, region: &str) {
    let global = config.global_service_monitors();
    if !global.is_empty() && region != "us-east-1" {
        eprintln!(
            "\nWARNING: monitors of global services are enabled but this deploy targets {region}:\n  {}\n\
             IAM and Organizations send their CloudTrail events to EventBridge only in us-east-1,\n\
             so these monitors will NEVER alert from {region}, and root console sign-ins land there too.\n\
             Deploy a second stack in us-east-1 (--region us-east-1), or leave them out with --exclude-monitor.\n",
            global.join(", ")
        );
    }
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
