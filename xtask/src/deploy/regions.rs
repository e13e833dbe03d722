//! The regions a deploy reaches: those the configuration wants, those the
//! account has enabled, and those the deployed home stack records.

use super::Session;
use super::cloudformation::Current;
use crate::aws::explain;
use crate::config::Config;
use crate::config::regions::{self, Regions};
use anyhow::{Result, bail};
use contract::parameters;
use std::collections::BTreeSet;

/// The AWS partition of a region.
pub(crate) fn partition(region: &str) -> &'static str {
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
pub(crate) async fn resolve(session: &Session, regions: &Regions) -> Result<BTreeSet<String>> {
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
pub(crate) fn recorded_regions(home: &Current) -> BTreeSet<String> {
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

pub(crate) fn joined(regions: &BTreeSet<String>) -> String {
    regions.iter().cloned().collect::<Vec<_>>().join(",")
}
