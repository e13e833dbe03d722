//! Whether a CloudTrail trail delivers what the rules select. EventBridge
//! receives `AWS API Call via CloudTrail` events only from a trail that is
//! logging them in the region: without one the stack deploys and never alerts.

use std::collections::BTreeSet;

use anyhow::Result;
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
use aws_sdk_cloudtrail::types::{AdvancedEventSelector, ReadWriteType};
use contract::names::GLOBAL_REGION;

use crate::aws::explain;

/// Which management events the logging trails of a region record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Logged {
    pub write: bool,
    pub read: bool,
}

impl Logged {
    const BOTH: Self = Self {
        write: true,
        read: true,
    };
    const WRITES: Self = Self {
        write: true,
        read: false,
    };
    const READS: Self = Self {
        write: false,
        read: true,
    };

    fn union(self, other: Self) -> Self {
        Self {
            write: self.write || other.write,
            read: self.read || other.read,
        }
    }
}

/// The management events one trail's selectors record (basic or advanced).
pub(crate) fn logged(selectors: &GetEventSelectorsOutput) -> Logged {
    let basic = selectors
        .event_selectors()
        .iter()
        // CloudTrail's default is to include management events.
        .filter(|s| s.include_management_events() != Some(false))
        .map(|s| match s.read_write_type() {
            Some(ReadWriteType::ReadOnly) => Logged::READS,
            Some(ReadWriteType::WriteOnly) => Logged::WRITES,
            _ => Logged::BOTH,
        });
    let advanced = selectors
        .advanced_event_selectors()
        .iter()
        .filter_map(advanced_management);
    basic.chain(advanced).fold(Logged::default(), Logged::union)
}

/// The management events an advanced selector records, if it selects them.
fn advanced_management(selector: &AdvancedEventSelector) -> Option<Logged> {
    let fields = selector.field_selectors();
    let equals = |name: &str, value: &str| {
        fields
            .iter()
            .any(|f| f.field() == name && f.equals().iter().any(|v| v == value))
    };
    if !equals("eventCategory", "Management") {
        return None;
    }
    Some(
        match (equals("readOnly", "true"), equals("readOnly", "false")) {
            (true, false) => Logged::READS,
            (false, true) => Logged::WRITES,
            _ => Logged::BOTH,
        },
    )
}

/// What the logging trails of the client's region record, multi-region and
/// organization trails included.
pub async fn coverage(client: &Client) -> Result<Logged> {
    let trails = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| explain("DescribeTrails", e))?;
    let mut covered = Logged::default();
    for trail in trails.trail_list() {
        let Some(name) = trail.trail_arn().or(trail.name()) else {
            continue;
        };
        let status = client
            .get_trail_status()
            .name(name)
            .send()
            .await
            .map_err(|e| explain("GetTrailStatus", e))?;
        if status.is_logging() != Some(true) {
            continue;
        }
        let selectors = client
            .get_event_selectors()
            .trail_name(name)
            .send()
            .await
            .map_err(|e| explain("GetEventSelectors", e))?;
        covered = covered.union(logged(&selectors));
    }
    Ok(covered)
}

/// A warning for each region of `regions` where no logging trail records the
/// management events the rules select (`read`: some rule selects read-only calls).
pub(crate) async fn warnings(
    sdk: &SdkConfig,
    regions: &BTreeSet<String>,
    read: bool,
) -> Vec<String> {
    let mut checks = tokio::task::JoinSet::new();
    for region in regions {
        let config = aws_sdk_cloudtrail::config::Builder::from(sdk)
            .region(aws_sdk_cloudtrail::config::Region::new(region.clone()))
            .build();
        let client = Client::from_conf(config);
        let region = region.clone();
        checks.spawn(async move { (region, coverage(&client).await) });
    }
    let mut warnings = Vec::new();
    while let Some(Ok((region, covered))) = checks.join_next().await {
        warnings.extend(warning(&region, covered, read));
    }
    warnings.sort();
    warnings
}

fn warning(region: &str, covered: Result<Logged>, read: bool) -> Option<String> {
    let global = if region == GLOBAL_REGION {
        " (IAM, Organizations and other global services record their events there)"
    } else {
        ""
    };
    match covered {
        Err(error) => Some(format!(
            "WARNING: could not check CloudTrail in {region}: {error:#}; make sure a trail logs management events there"
        )),
        Ok(logged) if !logged.write => Some(format!(
            "WARNING: no CloudTrail trail is logging write management events in {region}{global}: EventBridge receives no API calls from there and trailwatch cannot alert on them. Create a multi-region trail (aws cloudtrail create-trail --is-multi-region-trail, then start-logging)"
        )),
        Ok(logged) if read && !logged.read => Some(format!(
            "WARNING: no CloudTrail trail is logging read-only management events in {region}{global}: trailwatch cannot alert on read-only calls there (root use and denied calls that only read, and the read-only monitors). Log all management events (ReadWriteType All)"
        )),
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudtrail::types::{AdvancedFieldSelector, EventSelector};

    use super::*;

    fn basic(kind: ReadWriteType, management: bool) -> GetEventSelectorsOutput {
        GetEventSelectorsOutput::builder()
            .event_selectors(
                EventSelector::builder()
                    .read_write_type(kind)
                    .include_management_events(management)
                    .build(),
            )
            .build()
    }

    fn advanced(fields: &[(&str, &str)]) -> GetEventSelectorsOutput {
        let mut selector = AdvancedEventSelector::builder();
        for (field, value) in fields {
            selector = selector.field_selectors(
                AdvancedFieldSelector::builder()
                    .field(*field)
                    .equals(*value)
                    .build()
                    .expect("field"),
            );
        }
        GetEventSelectorsOutput::builder()
            .advanced_event_selectors(selector.build().expect("selector"))
            .build()
    }

    #[test]
    fn no_trail_in_us_east_1_names_the_global_events_it_loses() {
        let text = warning("us-east-1", Ok(Logged::default()), false).expect("a warning");
        assert!(
            text.starts_with("WARNING: no CloudTrail trail is logging write management events in us-east-1 (IAM, Organizations and other global services record their events there)"),
            "{text}"
        );
    }

    #[test]
    fn write_only_trails_warn_only_when_read_only_monitors_are_enabled() {
        assert_eq!(warning("eu-west-1", Ok(Logged::WRITES), false), None);
        assert!(warning("eu-west-1", Ok(Logged::WRITES), true).is_some());
    }

    #[test]
    fn a_basic_all_selector_logs_both() {
        assert_eq!(logged(&basic(ReadWriteType::All, true)), Logged::BOTH);
    }

    #[test]
    fn a_basic_selector_without_management_events_logs_none() {
        assert_eq!(logged(&basic(ReadWriteType::All, false)), Logged::default());
    }

    #[test]
    fn an_advanced_write_only_management_selector_logs_writes() {
        let selectors = advanced(&[("eventCategory", "Management"), ("readOnly", "false")]);
        assert_eq!(logged(&selectors), Logged::WRITES);
    }

    #[test]
    fn an_advanced_data_selector_logs_no_management_events() {
        assert_eq!(
            logged(&advanced(&[("eventCategory", "Data")])),
            Logged::default()
        );
    }
}
