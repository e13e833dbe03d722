//! An alert as an OCSF Detection Finding (class 2004) of OCSF 1.6.0 with the
//! `cloud` profile: the version AWS Security Hub's OCSF findings use. The
//! tests validate every sample's rendering against the class's JSON Schema,
//! shipped in `docs/ocsf/`.

use serde_json::{Map, Value, json};

use crate::alert::{Alert, Outcome};
use contract::Severity;

/// The OCSF version findings follow.
pub const VERSION: &str = "1.6.0";
/// Detection Finding.
pub const CLASS_UID: u32 = 2004;
/// The Findings category.
const CATEGORY_UID: u32 = 2;
/// Activity "Create": trailwatch reports each finding once.
const ACTIVITY_CREATE: u32 = 1;
/// Status "New".
const STATUS_NEW: u32 = 1;
/// Analytic type "Rule": a monitor is one.
const ANALYTIC_RULE: u32 = 1;
/// Account type "AWS Account".
const AWS_ACCOUNT: u32 = 10;

/// The Detection Finding of `alert`. `now` (milliseconds since the epoch)
/// stands in for the event's time when it has none that reads as RFC 3339.
pub fn finding(alert: &Alert<'_>, now: i64) -> Value {
    let time = alert
        .observed_at()
        .map_or(now, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64);
    let uid = alert.finding_id();
    let (severity_id, severity) = severity(alert.severity);
    let mut finding = json!({
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": STATUS_NEW,
        "status": "New",
        "is_alert": true,
        "time": time,
        "message": alert.title,
        "metadata": metadata(alert, &uid),
        "cloud": cloud(alert),
        "finding_info": finding_info(alert, &uid, time),
        "evidences": [evidence(alert)],
        "unmapped": {"trailwatch": {
            "monitor": alert.monitor,
            "monitors": alert.monitors,
            "controls": alert.controls,
            "techniques": alert.techniques,
            "outcome": alert.outcome,
        }},
    });
    if let Some(digest) = &alert.digest {
        finding["count"] = digest.count.into();
        finding["unmapped"]["trailwatch"]["digest"] = json!(digest);
    }
    if let Some(state) = &alert.state {
        finding["unmapped"]["trailwatch"]["state"] = json!(state);
    }
    if let Some(api) = api(alert) {
        finding["api"] = api;
    }
    if let Some(resources) = resources(alert) {
        finding["resources"] = resources;
    }
    if !alert.next_steps.is_empty() {
        finding["remediation"] = json!({"desc": alert.next_steps.join("\n")});
    }
    let raw = alert
        .event
        .map(|raw| raw.get())
        .or(alert.event_excerpt.as_deref());
    if let Some(raw) = raw {
        finding["raw_data"] = raw.into();
    }
    finding
}

/// OCSF's severity ids and captions.
fn severity(severity: Severity) -> (u32, &'static str) {
    match severity {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// Version, producer and profile; a truncated raw event is marked.
fn metadata(alert: &Alert<'_>, uid: &str) -> Value {
    let mut metadata = json!({
        "version": VERSION,
        "profiles": ["cloud"],
        "product": {
            "name": "trailwatch",
            "vendor_name": "trailwatch",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "uid": uid,
    });
    if let Some(name) = &alert.event_name {
        metadata["event_code"] = name.as_str().into();
    }
    if alert.event.is_none() && alert.event_excerpt.is_some() {
        metadata["is_truncated"] = true.into();
    }
    metadata
}

/// The cloud profile: AWS, the event's region and account.
fn cloud(alert: &Alert<'_>) -> Value {
    let mut cloud = json!({"provider": "AWS"});
    if let Some(region) = &alert.region {
        cloud["region"] = region.as_str().into();
    }
    if let Some(account) = account(alert.account.as_deref(), alert.account_name.as_deref()) {
        cloud["account"] = account;
    }
    cloud
}

fn account(uid: Option<&str>, name: Option<&str>) -> Option<Value> {
    let mut account = json!({"type_id": AWS_ACCOUNT, "type": "AWS Account"});
    account["uid"] = uid?.into();
    if let Some(name) = name {
        account["name"] = name.into();
    }
    Some(account)
}

/// What was found: the finding's id, title, reasons, monitor and techniques.
fn finding_info(alert: &Alert<'_>, uid: &str, time: i64) -> Value {
    let mut info = json!({
        "uid": uid,
        "title": alert.title,
        "desc": alert.reasons.join("; "),
        "first_seen_time": time,
        "last_seen_time": time,
        "analytic": {
            "uid": alert.monitor,
            "name": alert.monitor_title,
            "type_id": ANALYTIC_RULE,
            "type": "Rule",
        },
    });
    if let Some(url) = &alert.console_url {
        info["src_url"] = url.as_str().into();
    }
    let attacks: Vec<Value> = alert
        .techniques
        .iter()
        .filter(|t| t.starts_with('T'))
        .map(|t| json!({"technique": {"uid": t}}))
        .collect();
    if !attacks.is_empty() {
        info["attacks"] = attacks.into();
    }
    info
}

/// The call: operation, service and, when it failed, the error.
fn api(alert: &Alert<'_>) -> Option<Value> {
    let mut api = json!({"operation": alert.event_name.as_deref()?});
    if let Some(source) = &alert.event_source {
        api["service"] = json!({"name": source});
    }
    if let (Outcome::Failed, Some(error)) = (&alert.outcome, &alert.error) {
        let mut response = json!({"error": error.code});
        if let Some(message) = &error.message {
            response["error_message"] = message.as_str().into();
        }
        api["response"] = response;
    }
    Some(api)
}

/// The evidence: who called (and from where, with what agent) and the call.
fn evidence(alert: &Alert<'_>) -> Value {
    let actor = &alert.actor;
    let mut user = json!({"name": actor.name});
    if let Some(arn) = &actor.arn {
        user["uid"] = arn.as_str().into();
    }
    if let Some(account) = account(actor.account.as_deref(), None) {
        user["account"] = account;
    }
    let mut session = Map::new();
    if let Some(issuer) = &actor.session_issuer {
        session.insert("issuer".into(), issuer.as_str().into());
    }
    if let Some(mfa) = actor.mfa {
        session.insert("is_mfa".into(), mfa.into());
    }
    let mut who = json!({"user": user});
    if !session.is_empty() {
        who["session"] = session.into();
    }
    let mut evidence = json!({"actor": who});
    if let Some(api) = api(alert) {
        evidence["api"] = api;
    }
    if let Some(source) = actor.source_ip.as_deref().filter(|s| !s.is_empty()) {
        evidence["src_endpoint"] = endpoint(source);
    }
    if let Some(agent) = &actor.user_agent {
        evidence["http_request"] = json!({"user_agent": agent});
    }
    evidence
}

/// CloudTrail's source address: an IP address, an AWS service's host name
/// (`cloudtrail.amazonaws.com`), or words (`AWS Internal`).
fn endpoint(source: &str) -> Value {
    if source.parse::<std::net::IpAddr>().is_ok() {
        json!({"ip": source})
    } else if source.ends_with(".amazonaws.com") {
        json!({"svc_name": source})
    } else {
        json!({"name": source})
    }
}

/// The call's target, in the event's region and account.
fn resources(alert: &Alert<'_>) -> Option<Value> {
    let target = alert.target.as_deref().filter(|t| !t.is_empty())?;
    let mut resource = json!({"uid": target, "name": target});
    if let Some(region) = &alert.region {
        resource["region"] = region.as_str().into();
    }
    Some(json!([resource]))
}
