//! Suppressions and custom monitors, judged on the samples: expiry, the
//! severity ceiling, AND within a block and OR within a list, and what the rule
//! pattern can exclude.

use crate::common;

use common::{TODAY, sample};
use handler::event::Event;
use handler::pipeline::{self, Verdict};
use handler::tuning::{CustomSpec, SuppressSpec};
use handler::{Detection, Selection, Settings, Severity};
use serde_json::json;

/// CreateUser by alice (arn:aws:iam::111122223333:user/alice) from 203.0.113.10: MEDIUM.
const ALICE_CREATES_USER: &str = "iam-create-user-by-admin";
/// Root creating its own access key: CRITICAL.
const ROOT_ACCESS_KEY: &str = "iam-create-access-key-root-self";

/// A suppression of alice's findings up to HIGH.
fn suppression(reason: &str) -> SuppressSpec {
    SuppressSpec {
        reason: reason.into(),
        monitors: None,
        role: Vec::new(),
        user: vec!["alice".into()],
        service: Vec::new(),
        principal_arn: Vec::new(),
        source_ip: Vec::new(),
        account: Vec::new(),
        expires: None,
        max_severity: Severity::High,
    }
}

fn detection(suppress: Vec<SuppressSpec>) -> Detection {
    let settings = Settings {
        monitors: Selection::every().ids().map(str::to_owned).collect(),
        suppress,
        ..Settings::default()
    };
    Detection::build(&settings).expect("valid settings")
}

/// The reason of the suppression hiding sample `name`, if one does.
fn suppressed_by(name: &str, detection: &Detection) -> Option<String> {
    let raw = common::raw(&sample(name));
    match pipeline::verdict(&raw, detection, TODAY) {
        Verdict::Suppressed { reason, .. } => Some(reason),
        Verdict::Raise(_) | Verdict::Dismissed { .. } | Verdict::Canary(_) | Verdict::Observed => {
            None
        }
    }
}

#[test]
fn a_user_name_pattern_suppresses_that_users_findings() {
    let only_alice = SuppressSpec {
        user: vec!["ali*".into()],
        ..suppression("alice is the admin")
    };
    assert_eq!(
        suppressed_by(ALICE_CREATES_USER, &detection(vec![only_alice])).as_deref(),
        Some("alice is the admin")
    );
}

#[test]
fn conditions_in_one_block_must_all_hold() {
    let alice_from_elsewhere = SuppressSpec {
        user: Vec::new(),
        principal_arn: vec!["arn:aws:iam::111122223333:user/alice".into()],
        source_ip: vec!["10.0.0.0/8".into()],
        ..suppression("alice from the office")
    };
    assert_eq!(
        suppressed_by(ALICE_CREATES_USER, &detection(vec![alice_from_elsewhere])),
        None
    );
}

#[test]
fn any_value_of_one_condition_is_enough() {
    let either_network = SuppressSpec {
        user: Vec::new(),
        source_ip: vec!["10.0.0.0/8".into(), "203.0.113.0/24".into()],
        account: vec!["111122223333".into()],
        ..suppression("office networks")
    };
    assert!(suppressed_by(ALICE_CREATES_USER, &detection(vec![either_network])).is_some());
}

#[test]
fn an_expired_suppression_is_not_applied_and_one_expiring_today_is() {
    let until = |day: &str| SuppressSpec {
        expires: Some(day.into()),
        ..suppression(day)
    };
    let expired = detection(vec![until("2026-11-29")]);
    assert_eq!(suppressed_by(ALICE_CREATES_USER, &expired), None);
    assert_eq!(
        expired
            .suppressions
            .iter()
            .map(|s| s.expired(TODAY))
            .collect::<Vec<_>>(),
        [true]
    );
    let today = detection(vec![until("2026-11-30")]);
    assert_eq!(
        suppressed_by(ALICE_CREATES_USER, &today).as_deref(),
        Some("2026-11-30")
    );
}

#[test]
fn a_critical_finding_gets_through_unless_the_suppression_allows_critical() {
    let lab = SuppressSpec {
        user: Vec::new(),
        account: vec!["111122223333".into()],
        ..suppression("lab account")
    };
    assert_eq!(
        suppressed_by(ROOT_ACCESS_KEY, &detection(vec![lab.clone()])),
        None
    );
    let up_to_critical = SuppressSpec {
        max_severity: Severity::Critical,
        ..lab
    };
    assert!(suppressed_by(ROOT_ACCESS_KEY, &detection(vec![up_to_critical])).is_some());
}

#[test]
fn a_suppression_covers_only_the_monitors_it_names() {
    let other_monitor = SuppressSpec {
        monitors: Some(vec!["s3-bucket-policy".into()]),
        ..suppression("buckets only")
    };
    assert_eq!(
        suppressed_by(ALICE_CREATES_USER, &detection(vec![other_monitor])),
        None
    );
    let by_pack = SuppressSpec {
        monitors: Some(vec!["seed".into()]),
        ..suppression("the seed pack")
    };
    assert!(suppressed_by(ALICE_CREATES_USER, &detection(vec![by_pack])).is_some());
}

#[test]
fn every_problem_of_a_bad_block_is_named_with_its_position() {
    let bad = SuppressSpec {
        monitors: Some(vec!["no-such-monitor".into()]),
        principal_arn: vec!["arn:aws:iam::*:role/ci-*".into()],
        source_ip: vec!["10.0.0.0/33".into()],
        account: vec!["1234".into()],
        expires: Some("31/03/2027".into()),
        ..suppression(" ")
    };
    let settings = Settings {
        monitors: vec!["iam-create-user".into()],
        suppress: vec![suppression("fine"), bad],
        ..Settings::default()
    };
    let problems = Detection::build(&settings).expect_err("invalid");
    assert_eq!(
        problems,
        [
            "suppress[1] (\" \"): reason must hold 1-200 characters, no control characters",
            "suppress[1] (\" \"): monitors: \"no-such-monitor\" is no enabled monitor or pack",
            "suppress[1] (\" \"): principal_arn: \"arn:aws:iam::*:role/ci-*\" holds '*', which can span ':' and '/' (an IAM user whose path holds \":role/\", another account): give exact ARNs, and name roles with role = [\"ci-*\"], users with user = [...]",
            "suppress[1] (\" \"): source_ip: \"10.0.0.0/33\" is not a CIDR (like 10.0.0.0/8 or 2001:db8::/32)",
            "suppress[1] (\" \"): account: \"1234\" is not a 12-digit account id",
            "suppress[1] (\" \"): expires: \"31/03/2027\" is not a date YYYY-MM-DD",
        ]
    );
}

#[test]
fn a_principal_suppression_of_plain_monitors_is_written_into_their_patterns_only() {
    let ci = SuppressSpec {
        user: Vec::new(),
        principal_arn: vec!["arn:aws:iam::111122223333:role/ci".into()],
        ..suppression("CI")
    };
    let (patterns, _) = detection(vec![ci]).patterns();
    let excluding = |p: &serde_json::Value| p["detail"].get("$or").is_some();
    // Route table changes are plain LOW calls: EventBridge excludes CI there.
    let routes = patterns
        .iter()
        .find(|p| {
            p["detail"]["eventName"]
                .as_array()
                .is_some_and(|n| n.contains(&json!("CreateRoute")))
        })
        .expect("the route pattern");
    assert!(excluding(routes), "{routes}");
    assert_eq!(
        routes["detail"]["$or"][0]["userIdentity"]["arn"],
        json!([{"anything-but": {"wildcard": ["arn:aws:iam::111122223333:role/ci"]}}])
    );
    // CreateUser is judged in code and may be CRITICAL: only the handler suppresses it.
    // (A stateful monitor observes it too: their sub-patterns share one `$or`.)
    let users = patterns
        .iter()
        .flat_map(|p| {
            p.get("$or")
                .and_then(|or| or.as_array())
                .map_or(std::slice::from_ref(p), Vec::as_slice)
        })
        .find(|p| {
            p["detail"]["eventName"]
                .as_array()
                .is_some_and(|n| n.contains(&json!("CreateUser")))
        })
        .expect("the IAM pattern");
    assert!(!excluding(users), "{users}");
}

#[test]
fn an_expiring_suppression_stays_out_of_the_patterns() {
    let expiring = SuppressSpec {
        user: Vec::new(),
        principal_arn: vec!["arn:aws:iam::111122223333:role/ci".into()],
        expires: Some("2027-03-31".into()),
        ..suppression("CI until March")
    };
    let (patterns, _) = detection(vec![expiring]).patterns();
    assert!(patterns.iter().all(|p| p["detail"].get("$or").is_none()));
}

#[test]
fn a_custom_monitor_judges_its_events_with_its_severity_and_mappings() {
    let settings = Settings {
        monitors: vec!["iam-create-user".into()],
        custom: vec![CustomSpec {
            id: "iam-user-created-anywhere".into(),
            title: "IAM user created".into(),
            severity: Severity::High,
            pattern: json!({"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["CreateUser"]}}),
            controls: vec!["ACME-7".into()],
            techniques: vec!["T1136.003".into()],
            threshold: None,
            first_seen: None,
            sequence: None,
        }],
        ..Settings::default()
    };
    let detection = Detection::build(&settings).expect("valid settings");
    let raw = common::raw(&sample(ALICE_CREATES_USER));
    let event = Event::parse(&raw).expect("well-formed");
    let ids: Vec<&str> = detection
        .selection
        .matching(&event)
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, ["iam-create-user", "iam-user-created-anywhere"]);

    let alert = pipeline::verdict(&raw, &detection, TODAY)
        .alert()
        .expect("an alert");

    // Both name the call; the more severe one titles the alert.
    assert_eq!(
        (alert.monitor, alert.severity),
        ("iam-user-created-anywhere", Severity::High)
    );
    assert_eq!(
        alert.monitors,
        ["iam-user-created-anywhere", "iam-create-user"]
    );
    assert!(alert.controls.contains(&"ACME-7"), "{:?}", alert.controls);
    assert!(
        alert.techniques.contains(&"T1136.003"),
        "{:?}",
        alert.techniques
    );
}

#[test]
fn a_custom_id_used_twice_is_refused() {
    let spec = CustomSpec {
        id: "mine".into(),
        title: "Mine".into(),
        severity: Severity::Low,
        pattern: json!({"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"]}),
        controls: Vec::new(),
        techniques: Vec::new(),
        threshold: None,
        first_seen: None,
        sequence: None,
    };
    let settings = Settings {
        monitors: Vec::new(),
        custom: vec![spec.clone(), spec],
        ..Settings::default()
    };
    assert_eq!(
        Detection::build(&settings).expect_err("duplicate"),
        ["monitor[1] (\"mine\"): id used by an earlier [[monitor]]"]
    );
}

#[test]
fn a_hundred_network_suppressions_build_and_the_right_one_applies() {
    let mut many: Vec<SuppressSpec> = (0..100)
        .map(|i| SuppressSpec {
            source_ip: vec![format!("10.{i}.0.0/16")],
            user: Vec::new(),
            role: vec![format!("team-{i}-*")],
            ..suppression(&format!("team {i}"))
        })
        .collect();
    many[57] = SuppressSpec {
        user: Vec::new(),
        max_severity: Severity::Medium,
        source_ip: vec!["203.0.113.0/24".into()],
        ..suppression("the admins' network")
    };
    assert_eq!(
        suppressed_by(ALICE_CREATES_USER, &detection(many)).as_deref(),
        Some("the admins' network")
    );
}

#[test]
fn a_role_pattern_matches_no_user_whose_path_looks_like_a_role() {
    let ci = SuppressSpec {
        user: Vec::new(),
        role: vec!["ci-*".into()],
        ..suppression("CI")
    };
    let mut event = sample(ALICE_CREATES_USER);
    event["detail"]["userIdentity"]["arn"] =
        "arn:aws:iam::111122223333:user/x:role/ci-/mallory".into();
    event["detail"]["userIdentity"]["userName"] = "mallory".into();
    let raw = common::raw(&event);
    assert!(matches!(
        pipeline::verdict(&raw, &detection(vec![ci]), TODAY),
        Verdict::Raise(_)
    ));
}

#[test]
fn a_role_pattern_matches_roles_of_the_watched_account_only() {
    let ci = SuppressSpec {
        user: Vec::new(),
        role: vec!["ci-*".into()],
        ..suppression("CI")
    };
    let session = |account: &str| {
        let mut event = sample(ALICE_CREATES_USER);
        event["detail"]["userIdentity"] = json!({
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLECI0000001:build",
            "arn": format!("arn:aws:sts::{account}:assumed-role/ci-deploy/build"),
            "accountId": account,
            "sessionContext": {"sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLECI0000001",
                "arn": format!("arn:aws:iam::{account}:role/ci-deploy"),
                "accountId": account,
                "userName": "ci-deploy"
            }}
        });
        event
    };
    let detection = detection(vec![ci]);
    let verdict_for = |account: &str| {
        let raw = common::raw(&session(account));
        matches!(
            pipeline::verdict(&raw, &detection, TODAY),
            Verdict::Suppressed { .. }
        )
    };
    assert!(verdict_for("111122223333"));
    assert!(!verdict_for("999988887777"));
}

#[test]
fn a_suppression_naming_no_one_is_refused() {
    let build = |spec: SuppressSpec| {
        Detection::build(&Settings {
            monitors: vec!["iam-create-user".into()],
            suppress: vec![spec],
            ..Settings::default()
        })
        .err()
    };
    let reason_only = SuppressSpec {
        user: Vec::new(),
        ..suppression("quiet")
    };
    assert_eq!(
        build(reason_only.clone()),
        Some(vec!["suppress[0] (\"quiet\"): it names no principal (role, user, service, principal_arn), account or source_ip: it would hide every finding of its monitors".to_owned()])
    );
    let network_up_to_high = SuppressSpec {
        source_ip: vec!["10.0.0.0/8".into()],
        ..reason_only
    };
    assert_eq!(
        build(network_up_to_high),
        Some(vec!["suppress[0] (\"quiet\"): max_severity HIGH hides HIGH findings: name a principal (role, user, service, principal_arn) or an account too".to_owned()])
    );
}

#[test]
fn a_suppression_hides_up_to_medium_unless_it_says_otherwise() {
    let spec: SuppressSpec =
        serde_json::from_value(json!({"reason": "CI", "role": ["ci-*"]})).expect("a spec");
    assert_eq!(spec.max_severity, Severity::Medium);
}
