//! What the monitors select: exactly their own calls, never a call of the same
//! name in another service.

use crate::common;

use std::collections::BTreeSet;

use handler::Selection;
use handler::event::Event;
use handler::monitors::{CATALOG, TAMPER};
use handler::selector::Test;
use serde_json::json;

/// An API call by an ordinary user that succeeded: only named-call monitors can select it.
fn call(event_source: &str, event_name: &str) -> serde_json::Value {
    let label = event_source.split('.').next().unwrap_or(event_source);
    json!({
        "detail-type": "AWS API Call via CloudTrail",
        "source": format!("aws.{label}"),
        "detail": {
            "eventSource": event_source, "eventName": event_name, "eventType": "AwsApiCall",
            "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": "111122223333"},
            "requestParameters": {}
        }
    })
}

fn selected_pairs() -> BTreeSet<(&'static str, &'static str)> {
    CATALOG
        .iter()
        .flat_map(|m| m.selectors())
        .flat_map(|s| {
            let source = s.event_source.unwrap_or_default();
            s.calls.iter().filter_map(move |c| match c.name {
                Test::Exact(name) => Some((source, name)),
                _ => None,
            })
        })
        .collect()
}

#[test]
fn no_monitor_selects_a_selected_name_in_another_service() {
    let every = Selection::every();
    let pairs = selected_pairs();
    let sources: BTreeSet<&str> = pairs.iter().map(|(s, _)| *s).collect();
    let mut probes = 0;
    // A name a selector of that service takes by prefix is its own name there
    // (Lambda's versioned names: `RemovePermission*`).
    let by_prefix = |source: &str, name: &str| {
        CATALOG
            .iter()
            .flat_map(|m| m.selectors())
            .filter(|s| s.event_source == Some(source))
            .flat_map(|s| s.calls)
            .any(|c| matches!(c.name, Test::Prefix(p) if name.starts_with(p)))
    };
    for (_, name) in &pairs {
        for source in sources
            .iter()
            .filter(|s| !pairs.contains(&(**s, *name)) && !by_prefix(s, name))
        {
            let raw = common::raw(&call(source, name));
            let event = Event::parse(&raw).expect("well-formed");
            let selecting: Vec<&str> = every.matching(&event).iter().map(|m| m.id).collect();
            assert!(selecting.is_empty(), "{source} {name}: {selecting:?}");
            probes += 1;
        }
    }
    assert!(probes > 1000, "{probes} probes");
}

/// The monitors selecting a call besides its own: the tamper monitor also
/// watches some calls other monitors judge (on trailwatch's own resources).
fn others(selecting: &[&str], own: &str) -> Vec<String> {
    selecting
        .iter()
        .filter(|id| **id != own && **id != TAMPER)
        .map(|id| (*id).to_owned())
        .collect()
}

#[test]
fn every_selected_call_is_selected_by_its_monitor_alone_among_named_call_monitors() {
    let every = Selection::every();
    for monitor in CATALOG
        .iter()
        .filter(|m| m.id != TAMPER && !m.is_stateful())
    {
        for selector in monitor
            .selectors()
            .iter()
            .filter(|s| !s.calls.is_empty() && s.when.is_empty())
        {
            for call_rule in selector.calls {
                let Test::Exact(name) = call_rule.name else {
                    continue;
                };
                let raw = common::raw(&call(selector.event_source.unwrap_or_default(), name));
                let event = Event::parse(&raw).expect("well-formed");
                // Stateful monitors observe calls others judge: they raise no alert of their own for one.
                let selecting: Vec<&str> = every
                    .matching(&event)
                    .iter()
                    .filter(|m| !m.is_stateful())
                    .map(|m| m.id)
                    .collect();
                assert!(selecting.contains(&monitor.id), "{name}: {selecting:?}");
                assert_eq!(
                    others(&selecting, monitor.id),
                    Vec::<String>::new(),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn the_tamper_monitor_selects_its_calls_unless_an_aws_service_made_them() {
    let every = Selection::every();
    let mut probes = 0;
    for selector in handler::monitors::by_id(TAMPER)
        .expect("tamper")
        .selectors()
    {
        for call_rule in selector.calls {
            let name = match call_rule.name {
                Test::Exact(name) => name.to_owned(),
                Test::Prefix(prefix) => format!("{prefix}20150331"),
                other => panic!("{other:?}"),
            };
            let mut made = call(selector.event_source.unwrap_or_default(), &name);
            let selects = |made: &serde_json::Value| {
                let raw = common::raw(made);
                let event = Event::parse(&raw).expect("well-formed");
                every.matching(&event).iter().any(|m| m.id == TAMPER)
            };
            assert!(selects(&made), "{name}");
            made["detail"]["userIdentity"]["invokedBy"] = json!("cloudformation.amazonaws.com");
            assert!(!selects(&made), "{name} by CloudFormation");
            probes += 1;
        }
    }
    assert!(probes >= 35, "{probes}");
}

#[test]
fn iam_create_policy_is_selected_and_organizations_create_policy_is_not() {
    let every = Selection::every();
    let ids = |source: &str| {
        let raw = common::raw(&call(source, "CreatePolicy"));
        let event = Event::parse(&raw).expect("well-formed");
        every
            .matching(&event)
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("iam.amazonaws.com"), ["iam-policy-change"]);
    assert!(ids("organizations.amazonaws.com").is_empty());
}

#[test]
fn lambda_names_are_selected_by_their_versioned_prefix() {
    let every = Selection::every();
    let raw = common::raw(&call("lambda.amazonaws.com", "AddPermission20150331v2"));
    let event = Event::parse(&raw).expect("well-formed");
    let ids: Vec<&str> = every.matching(&event).iter().map(|m| m.id).collect();
    assert_eq!(ids, ["lambda-permission-added", TAMPER]);
}

#[test]
fn a_forged_source_is_never_selected() {
    let every = Selection::every();
    let mut forged = call("iam.amazonaws.com", "CreateUser");
    forged["source"] = json!("my.app");
    let raw = common::raw(&forged);
    let event = Event::parse(&raw).expect("well-formed");
    assert!(every.matching(&event).is_empty());
}

#[test]
fn global_monitors_are_exactly_those_of_global_services_calls() {
    let global: Vec<&str> = CATALOG
        .iter()
        .filter(|m| m.global())
        .flat_map(|m| m.selectors())
        .filter_map(|s| s.event_source)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        global,
        [
            "account.amazonaws.com",
            "iam.amazonaws.com",
            "organizations.amazonaws.com",
            "route53.amazonaws.com",
            "route53domains.amazonaws.com",
        ]
    );
}

/// The `source` values a set of patterns selects.
fn sources(patterns: &[serde_json::Value]) -> BTreeSet<String> {
    patterns
        .iter()
        .flat_map(|p| match p["$or"].as_array() {
            // A unit of sub-patterns kept in one rule.
            Some(members) => sources(members).into_iter().collect::<Vec<_>>(),
            None => p["source"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
        })
        .collect()
}

#[test]
fn patterns_split_into_regional_and_global_services_and_together_select_the_same() {
    let detection = handler::Detection::from(Selection::every());
    let (all, all_read_only) = detection.patterns();
    let [(regional, regional_read_only), (global, global_read_only)] =
        detection.patterns_by_scope();

    assert_eq!(
        sources(&global),
        BTreeSet::from(
            [
                "account",
                "iam",
                "organizations",
                "route53",
                "route53domains"
            ]
            .map(|s| format!("aws.{s}"))
        )
    );
    assert!(sources(&regional).is_disjoint(&sources(&global)));
    assert_eq!(
        &sources(&regional) | &sources(&global),
        sources(&all),
        "nothing is lost"
    );
    assert!(sources(&regional).is_superset(&BTreeSet::from([
        "aws.signin".to_owned(),
        "aws.sts".to_owned()
    ])));
    assert_eq!(
        (regional_read_only, global_read_only.is_empty()),
        (all_read_only, true)
    );
}
