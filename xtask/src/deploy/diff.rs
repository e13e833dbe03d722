//! `cargo xtask diff`: what a deploy would change, without changing it.

use super::assembly::Assembly;
use super::assets::ASSETS_STACK;
use super::changes::PlannedChange;
use super::forwarders::{Outcome, RegionOutcome};
use super::regions::wanted_regions;
use super::{Code, Session, assets, forwarder_spec, reservation, spec};
use crate::config::Config;
use anyhow::Result;
use contract::outputs;
use contract::parameters;

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
