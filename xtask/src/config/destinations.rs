//! `[securityhub]`, `[eventbridge]` and `[outputs]`: where alerts go besides
//! the alert topic.

use serde::Deserialize;
use template::{DestinationsProps, HubRegions};

use super::regions::{Organization, Regions};

/// `[securityhub]`: `enabled = true` imports each alert as a finding.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SecurityHubSpec {
    enabled: Option<bool>,
}

/// `[eventbridge]`: `bus` (`default`, a name or an ARN) receives each alert.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventBridgeSpec {
    bus: Option<String>,
}

/// `[outputs]`: `ocsf = true` makes SNS's machine bodies OCSF findings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OutputsSpec {
    ocsf: Option<bool>,
}

/// The destinations' props. Findings stay in the region of an event the
/// deployment forwards: `forwarded` (the regions known at synth), or any
/// region when `regions` or the organization's take every region.
pub(super) fn props(
    security_hub: Option<SecurityHubSpec>,
    eventbridge: Option<EventBridgeSpec>,
    outputs: Option<OutputsSpec>,
    (regions, organization): (Option<&Regions>, Option<&Organization>),
    forwarded: Vec<String>,
) -> DestinationsProps {
    let every_region = regions
        .into_iter()
        .chain(organization.and_then(|o| o.regions.as_ref()))
        .any(|r| matches!(r, Regions::All));
    let hub_regions = if every_region {
        HubRegions::Any
    } else {
        HubRegions::Listed(forwarded)
    };
    DestinationsProps {
        security_hub: security_hub
            .and_then(|spec| spec.enabled)
            .filter(|enabled| *enabled)
            .map(|_| hub_regions),
        bus: eventbridge.and_then(|spec| spec.bus),
        ocsf: outputs.and_then(|spec| spec.ocsf).unwrap_or(false),
    }
}
