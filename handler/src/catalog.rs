//! The monitor catalog: the single source of truth for what trailwatch watches.
//! The handler judges events with it and the EventBridge rule pattern is generated
//! from it, so the two can never disagree.

use crate::assess::{self, Assess};
use crate::severity::Severity;

/// EventBridge `detail-type` of CloudTrail management API calls.
pub const API_CALL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// One monitored kind of API call and how to judge it.
#[derive(Debug)]
pub struct Monitor {
    /// Stable identifier, used in alerts, attributes and configuration.
    pub id: &'static str,
    /// What the monitor watches, for people.
    pub title: &'static str,
    /// EventBridge `source` (`aws.` + the first label of `eventSource`).
    pub source: &'static str,
    /// CloudTrail `eventSource`.
    pub event_source: &'static str,
    /// CloudTrail `eventName`s this monitor judges.
    pub event_names: &'static [&'static str],
    /// Severity before any reason raises it.
    pub default_severity: Severity,
    pub(crate) assess: Assess,
}

/// Every monitor trailwatch ships.
pub const CATALOG: &[Monitor] = &[
    Monitor {
        id: "iam-create-user",
        title: "IAM user created",
        source: "aws.iam",
        event_source: "iam.amazonaws.com",
        event_names: &["CreateUser"],
        default_severity: Severity::Medium,
        assess: assess::iam::create_user,
    },
    Monitor {
        id: "iam-create-access-key",
        title: "IAM access key created",
        source: "aws.iam",
        event_source: "iam.amazonaws.com",
        event_names: &["CreateAccessKey"],
        default_severity: Severity::Medium,
        assess: assess::iam::create_access_key,
    },
    Monitor {
        id: "s3-bucket-policy",
        title: "S3 bucket policy changed",
        source: "aws.s3",
        event_source: "s3.amazonaws.com",
        event_names: &["PutBucketPolicy"],
        default_severity: Severity::Low,
        assess: assess::bucket_policy::put_bucket_policy,
    },
    Monitor {
        id: "ec2-security-group-ingress",
        title: "Security group ingress opened",
        source: "aws.ec2",
        event_source: "ec2.amazonaws.com",
        event_names: &["AuthorizeSecurityGroupIngress"],
        default_severity: Severity::Low,
        assess: assess::security_group::authorize_ingress,
    },
];

/// The monitor with this id.
pub fn by_id(id: &str) -> Option<&'static Monitor> {
    CATALOG.iter().find(|m| m.id == id)
}

/// The monitor judging this call, if any.
pub fn for_call(event_source: &str, event_name: &str) -> Option<&'static Monitor> {
    CATALOG
        .iter()
        .find(|m| m.event_source == event_source && m.event_names.contains(&event_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_ids_are_unique() {
        let mut ids: Vec<_> = CATALOG.iter().map(|m| m.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CATALOG.len());
    }

    #[test]
    fn source_is_aws_dot_first_label_of_event_source() {
        for monitor in CATALOG {
            let label = monitor.event_source.split('.').next().unwrap_or_default();
            assert_eq!(monitor.source, format!("aws.{label}"), "{}", monitor.id);
        }
    }

    #[test]
    fn for_call_needs_both_event_source_and_name() {
        assert_eq!(
            for_call("iam.amazonaws.com", "CreateUser").map(|m| m.id),
            Some("iam-create-user")
        );
        assert!(for_call("s3.amazonaws.com", "CreateUser").is_none());
        assert!(for_call("iam.amazonaws.com", "GetUser").is_none());
    }
}
