//! `cargo xtask destroy`: the forwarders, the StackSet and the home stack removed.

use super::assets::ASSETS_STACK;
use super::forwarders::RegionOutcome;
use super::regions::recorded_regions;
use super::{Session, assets, forwarders};
use crate::config::Config;
use crate::config::regions::Regions;
use anyhow::{Result, bail};
use contract::outputs;

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

pub(crate) async fn destroy_home(
    session: &Session,
    stack_name: &str,
    purge_assets: bool,
) -> Result<()> {
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
