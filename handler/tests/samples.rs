//! Every sample through parse, assess and render, with exact expectations.

mod common;

use common::judge;
use common::{all_samples, sample};
use handler::Severity::{self, Critical, High, Low, Medium};
use handler::alert::Outcome;
use handler::render::render;

/// Judges sample `name` and checks monitor, severity, outcome and title.
fn expect(name: &str, monitor: &str, severity: Severity, outcome: Outcome, title: &str) {
    let raw = common::raw(&sample(name));
    let alert = judge(&raw);
    assert_eq!(
        (
            alert.monitor,
            alert.severity,
            alert.outcome,
            alert.title.as_str()
        ),
        (monitor, severity, outcome, title),
        "sample {name}"
    );
}

macro_rules! sample_cases {
    ($($test:ident: $name:literal => $monitor:literal, $severity:ident, $outcome:ident, $title:literal;)*) => {
        $(
            #[test]
            fn $test() {
                expect($name, $monitor, $severity, Outcome::$outcome, $title);
            }
        )*
    };
}

sample_cases! {
    create_user_by_admin_is_medium: "iam-create-user-by-admin"
        => "iam-create-user", Medium, Succeeded, "alice created IAM user build-bot";
    create_user_by_root_is_critical: "iam-create-user-by-root"
        => "iam-create-user", Critical, Succeeded, "root created IAM user backdoor";
    create_user_by_assumed_role_names_the_role_session: "iam-create-user-by-cloudformation-role"
        => "iam-create-user", Medium, Succeeded, "DeployRole/ci-pipeline created IAM user svc-reporting";
    denied_create_user_is_a_medium_attempt: "iam-create-user-denied"
        => "iam-create-user", Medium, Failed, "mallory tried to create IAM user shadow-admin (AccessDenied)";
    access_key_for_self_is_medium: "iam-create-access-key-self"
        => "iam-create-access-key", Medium, Succeeded, "alice created an access key for alice (self)";
    access_key_for_another_user_is_high: "iam-create-access-key-for-other-user"
        => "iam-create-access-key", High, Succeeded, "mallory created an access key for alice";
    root_access_key_with_null_request_is_critical: "iam-create-access-key-root-self"
        => "iam-create-access-key", Critical, Succeeded, "root created an access key for the root user";
    old_event_version_without_event_id_is_judged: "iam-create-access-key-old-event-version"
        => "iam-create-access-key", High, Succeeded, "DeployRole/legacy created an access key for deploy-user";
    denied_access_key_for_another_user_is_capped_at_medium: "iam-create-access-key-denied"
        => "iam-create-access-key", Medium, Failed, "mallory tried to create an access key for alice (AccessDenied)";
    public_read_policy_is_critical: "s3-put-bucket-policy-public-read"
        => "s3-bucket-policy", Critical, Succeeded, "alice made S3 bucket acme-web-assets public";
    aws_star_in_a_statement_list_is_critical: "s3-put-bucket-policy-public-aws-star-list"
        => "s3-bucket-policy", Critical, Succeeded, "DeployRole/ci-pipeline made S3 bucket acme-exports public";
    cross_account_grant_is_high: "s3-put-bucket-policy-cross-account"
        => "s3-bucket-policy", High, Succeeded, "alice shared S3 bucket acme-reports with another account";
    star_principal_restricted_to_a_vpc_endpoint_is_low: "s3-put-bucket-policy-star-restricted-to-vpce"
        => "s3-bucket-policy", Low, Succeeded, "alice changed the policy of S3 bucket acme-internal";
    deny_statements_never_make_a_bucket_public: "s3-put-bucket-policy-deny-insecure-transport"
        => "s3-bucket-policy", Low, Succeeded, "alice changed the policy of S3 bucket acme-logs";
    denied_public_policy_is_a_medium_attempt: "s3-put-bucket-policy-public-denied"
        => "s3-bucket-policy", Medium, Failed, "mallory tried to make S3 bucket acme-payroll public (AccessDenied)";
    legacy_flat_ssh_from_internet_is_critical: "ec2-ingress-legacy-ssh-from-internet"
        => "ec2-security-group-ingress", Critical, Succeeded, "mallory opened sg-0legacy1234567890 to the internet";
    rdp_from_ipv6_internet_is_critical: "ec2-ingress-rdp-from-ipv6-internet"
        => "ec2-security-group-ingress", Critical, Succeeded, "alice opened sg-0a1b2c3d4e5f60001 to the internet";
    all_traffic_without_ports_is_critical: "ec2-ingress-all-traffic-from-internet"
        => "ec2-security-group-ingress", Critical, Succeeded, "DeployRole/ci-pipeline opened sg-0a1b2c3d4e5f60002 to the internet";
    https_with_string_ports_is_high: "ec2-ingress-https-string-ports"
        => "ec2-security-group-ingress", High, Succeeded, "alice opened sg-0a1b2c3d4e5f60003 to the internet";
    public_https_beside_private_postgres_is_high: "ec2-ingress-mixed-public-https-private-postgres"
        => "ec2-security-group-ingress", High, Succeeded, "alice opened sg-0a1b2c3d4e5f60004 to the internet";
    group_and_prefix_list_peers_are_low: "ec2-ingress-group-and-prefix-list"
        => "ec2-security-group-ingress", Low, Succeeded, "alice added ingress rules to sg-0a1b2c3d4e5f60005";
    private_range_is_low: "ec2-ingress-private-postgres"
        => "ec2-security-group-ingress", Low, Succeeded, "alice added ingress rules to sg-0a1b2c3d4e5f60006";
    unauthorized_ssh_opening_is_a_medium_attempt: "ec2-ingress-ssh-denied"
        => "ec2-security-group-ingress", Medium, Failed, "mallory tried to open sg-0a1b2c3d4e5f60007 to the internet (Client.UnauthorizedOperation)";
    unreadable_permissions_fail_open_as_review: "malformed-ec2-ingress-permissions-not-an-object"
        => "ec2-security-group-ingress", High, Unknown, "Unrecognised security event, review: AuthorizeSecurityGroupIngress";
    unreadable_identity_fails_open_as_review: "malformed-iam-user-identity-is-a-string"
        => "unrecognised", High, Unknown, "Unrecognised security event, review: CreateUser";
    unmonitored_call_fails_open_as_review: "negative-iam-get-user"
        => "unrecognised", High, Unknown, "Unrecognised security event, review: GetUser";
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
    assert!(
        reasons[1..]
            .iter()
            .all(|r| r.starts_with("had it succeeded: ")),
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

#[test]
fn every_sample_renders_to_reviewed_snapshots() {
    for (name, raw) in all_samples() {
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
        // The raw event is the sample's detail (the whole input when the detail is
        // unreadable): check it is embedded, then snapshot the document without it.
        let embedded = match name.as_str() {
            "malformed-iam-user-identity-is-a-string" => &raw,
            _ => &raw["detail"],
        };
        let mut document = document;
        assert_eq!(
            document.get("event"),
            Some(embedded),
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
