//! Where trailwatch runs: the home region (handler, topic, forwarding bus),
//! forwarder regions of the home account, and an organization's member
//! accounts through a StackSet. Plain data, checked at config load.

use std::collections::BTreeSet;

use contract::names::GLOBAL_REGION;
use serde::Deserialize;

/// Forwarder regions as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// Every region enabled in the account (asked of AWS at deploy).
    All,
    /// These regions.
    Listed(BTreeSet<String>),
}

impl Regions {
    /// Parses `all` or a comma-separated list of region names.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        if text.trim() == "all" {
            return Ok(Self::All);
        }
        Self::listed(text.split(',').map(str::trim).map(str::to_owned))
    }

    fn listed(names: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let names: BTreeSet<String> = names.into_iter().collect();
        if let Some(bad) = names.iter().find(|n| !is_region_name(n)) {
            return Err(format!(
                "{bad:?} is not an AWS region name (like eu-west-1), nor `all`"
            ));
        }
        Ok(Self::Listed(names))
    }
}

/// `regions` in trailwatch.toml: `"all"` or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum RegionsSpec {
    Word(String),
    List(Vec<String>),
}

impl TryFrom<RegionsSpec> for Regions {
    type Error = String;

    fn try_from(spec: RegionsSpec) -> Result<Self, String> {
        match spec {
            RegionsSpec::Word(word) => Regions::parse(&word),
            RegionsSpec::List(names) => Regions::listed(names),
        }
    }
}

/// Whether `name` looks like a region name: lowercase words and a number,
/// joined by hyphens (`eu-west-1`, `us-gov-west-1`).
pub(crate) fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// The forwarder regions for a home region and the configured ones: the
/// configured ones but home, plus us-east-1 (where global services' events
/// occur) when home is elsewhere.
pub(crate) fn forwarder_regions(home: &str, configured: &BTreeSet<String>) -> BTreeSet<String> {
    let mut regions: BTreeSet<String> = configured.iter().filter(|r| *r != home).cloned().collect();
    if home != GLOBAL_REGION {
        regions.insert(GLOBAL_REGION.to_owned());
    }
    regions
}

/// `[organization]` in trailwatch.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganizationSpec {
    ou_ids: Option<Vec<String>>,
    regions: Option<RegionsSpec>,
    delegated_admin: Option<bool>,
    max_concurrent_percentage: Option<u8>,
    failure_tolerance_percentage: Option<u8>,
    region_order: Option<Vec<String>>,
}

/// Most OUs one CreateStackInstances call may name.
pub(crate) const MAX_OUS_PER_CALL: usize = 50;

/// The organization's forwarders: a service-managed StackSet with automatic
/// deployment to these OUs and regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Target OUs; empty targets the organization's root (every account).
    pub ou_ids: Vec<String>,
    /// Target regions; `None` takes the home region and the forwarder regions.
    pub regions: Option<Regions>,
    /// Run as the delegated StackSets administrator rather than the management account.
    pub delegated_admin: bool,
    pub preferences: Preferences,
}

/// How a StackSet operation proceeds across accounts and regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// Accounts deployed at once, per region (percent).
    pub max_concurrent_percentage: u8,
    /// Accounts that may fail, per region, before the operation stops there (percent).
    pub failure_tolerance_percentage: u8,
    /// Regions in this order (one after the other) instead of in parallel.
    pub region_order: Vec<String>,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            max_concurrent_percentage: 25,
            failure_tolerance_percentage: 10,
            region_order: Vec::new(),
        }
    }
}

impl OrganizationSpec {
    /// The checked organization settings; each problem names its key.
    pub(crate) fn check(self) -> Result<Organization, Vec<String>> {
        let mut problems = Vec::new();
        let ou_ids = self.ou_ids.unwrap_or_default();
        for id in &ou_ids {
            if !is_ou_or_root(id) {
                problems.push(format!(
                    "organization.ou_ids: {id:?} is not an OU id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)"
                ));
            }
        }
        if ou_ids.len() > MAX_OUS_PER_CALL {
            problems.push(format!(
                "organization.ou_ids: {} OUs, over the {MAX_OUS_PER_CALL} one StackSet operation may target; name parent OUs (their children are included)",
                ou_ids.len()
            ));
        }
        let regions = match self.regions.map(Regions::try_from).transpose() {
            Ok(regions) => regions,
            Err(problem) => {
                problems.push(format!("organization.regions: {problem}"));
                None
            }
        };
        let defaults = Preferences::default();
        let max = self
            .max_concurrent_percentage
            .unwrap_or(defaults.max_concurrent_percentage);
        if !(1..=100).contains(&max) {
            problems.push(format!(
                "organization.max_concurrent_percentage: {max} is not within 1-100"
            ));
        }
        let tolerance = self
            .failure_tolerance_percentage
            .unwrap_or(defaults.failure_tolerance_percentage);
        if tolerance > 100 {
            problems.push(format!(
                "organization.failure_tolerance_percentage: {tolerance} is not within 0-100"
            ));
        }
        let region_order = self.region_order.unwrap_or_default();
        if let Some(bad) = region_order.iter().find(|r| !is_region_name(r)) {
            problems.push(format!(
                "organization.region_order: {bad:?} is not an AWS region name"
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Organization {
            ou_ids,
            regions,
            delegated_admin: self.delegated_admin.unwrap_or(false),
            preferences: Preferences {
                max_concurrent_percentage: max,
                failure_tolerance_percentage: tolerance,
                region_order,
            },
        })
    }
}

fn is_ou_or_root(id: &str) -> bool {
    let token = |s: &str, min: usize| {
        s.len() >= min
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    if let Some(root) = id.strip_prefix("r-") {
        return token(root, 4);
    }
    id.strip_prefix("ou-")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(root, ou)| token(root, 4) && token(ou, 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_or_a_list_of_region_names_parses_and_anything_else_is_named() {
        assert_eq!(Regions::parse("all"), Ok(Regions::All));
        assert_eq!(
            Regions::parse("eu-west-1, us-gov-west-1"),
            Ok(Regions::Listed(BTreeSet::from([
                "eu-west-1".to_owned(),
                "us-gov-west-1".to_owned()
            ])))
        );
        assert_eq!(
            Regions::parse("eu-west-1,--"),
            Err("\"--\" is not an AWS region name (like eu-west-1), nor `all`".to_owned())
        );
    }

    #[test]
    fn a_home_outside_us_east_1_gets_a_us_east_1_forwarder_and_never_one_of_its_own() {
        let configured = BTreeSet::from(["eu-west-1".to_owned(), "eu-central-1".to_owned()]);
        assert_eq!(
            forwarder_regions("eu-west-1", &configured),
            BTreeSet::from(["eu-central-1".to_owned(), "us-east-1".to_owned()])
        );
        assert_eq!(
            forwarder_regions("us-east-1", &configured),
            configured,
            "us-east-1 sees the global events itself"
        );
    }

    #[test]
    fn organization_problems_name_their_keys() {
        let spec = OrganizationSpec {
            ou_ids: Some(vec!["ou-ab12-cdef3456".into(), "sales".into()]),
            max_concurrent_percentage: Some(0),
            ..OrganizationSpec::default()
        };
        assert_eq!(
            spec.check(),
            Err(vec![
                "organization.ou_ids: \"sales\" is not an OU id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)".to_owned(),
                "organization.max_concurrent_percentage: 0 is not within 1-100".to_owned(),
            ])
        );
    }
}
