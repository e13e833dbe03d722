//! The alert document: everything a subscriber needs to act on one event.

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::event::{Event, UserIdentity};
use crate::finding::{Finding, Reason};
use crate::monitors::{Failure, Monitor};
use crate::text::clip;
use contract::Severity;

/// Name of the alert JSON schema.
pub const SCHEMA: &str = "trailwatch.alert";
/// Version of the alert JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;
/// Monitor id of alerts for events no monitor could judge.
pub const REVIEW_MONITOR: &str = "unrecognised";
/// Severity of alerts for events no monitor could judge: the rule only delivers
/// sensitive calls, so one that cannot be read deserves a prompt look.
pub const REVIEW_SEVERITY: Severity = Severity::High;
/// Longest identity, name or header field kept, in bytes.
pub const MAX_FIELD_BYTES: usize = 512;
/// Prefix of every finding id and Security Hub generator id.
pub const FINDING_PREFIX: &str = "trailwatch/";
/// Longest finding id (ASFF's `Id` limit).
const MAX_FINDING_ID: usize = 512;
/// Most reasons an alert lists; further ones are counted in a last line.
const MAX_REASONS: usize = 20;

/// Whether the call succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Succeeded,
    Failed,
    Unknown,
}

/// The error a failed call returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CallError {
    pub code: String,
    pub message: Option<String>,
}

/// Who made the call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: String,
    pub arn: Option<String>,
    pub account: Option<String>,
    pub session_issuer: Option<String>,
    pub mfa: Option<bool>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    /// The actor of an event whose identity could not be read.
    fn unknown() -> Self {
        Self {
            name: "unknown principal".to_owned(),
            ..Self::default()
        }
    }
}

/// One alert, serialised as the machine-readable document.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(title = "trailwatch alert document"))]
pub struct Alert<'a> {
    pub schema: &'static str,
    pub schema_version: u32,
    /// CloudTrail `eventID`: subscribers dedupe on it (EventBridge may deliver twice).
    pub event_id: Option<String>,
    /// The monitor whose verdict titles the alert.
    pub monitor: &'static str,
    pub monitor_title: &'static str,
    /// Every monitor that judged the event, the titling one first.
    pub monitors: Vec<&'static str>,
    /// The highest severity any monitor gave.
    pub severity: Severity,
    pub title: String,
    pub outcome: Outcome,
    pub error: Option<CallError>,
    /// Why, the reason that explains the severity first.
    pub reasons: Vec<String>,
    /// What to do: checks, then commands that revert the call (values shell-quoted).
    pub next_steps: Vec<String>,
    /// Controls the monitors implement (`CIS CloudWatch.4`).
    pub controls: Vec<&'static str>,
    /// Attack techniques they detect (Stratus Red Team and MITRE ATT&CK ids).
    pub techniques: Vec<&'static str>,
    pub actor: Actor,
    pub target: Option<String>,
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    pub account: Option<String>,
    /// The account's name in AWS Organizations, when the handler may read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    pub region: Option<String>,
    pub time: Option<String>,
    pub console_url: Option<String>,
    /// The raw event (the envelope's `detail`, or the whole input for unreadable events),
    /// embedded as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub event: Option<&'a RawValue>,
    /// The start of the raw event's JSON text, when the whole would not fit SNS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_excerpt: Option<String>,
    /// For a digest: the events it stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// For a stateful monitor's alert: what crossed, and the events that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<crate::stateful::Summary>,
}

/// Similar findings merged into one alert: same monitor, same actor, one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Digest {
    /// How many events it stands for.
    pub count: usize,
    /// The first and last event times.
    pub first: Option<String>,
    pub last: Option<String>,
    /// Each distinct target, in time order (at most [`MAX_DIGEST_ITEMS`]).
    pub targets: Vec<String>,
    /// Each event's CloudTrail id, in time order (at most [`MAX_DIGEST_ITEMS`]).
    pub event_ids: Vec<String>,
}

/// Most targets and event ids a digest lists; the count covers the rest.
pub const MAX_DIGEST_ITEMS: usize = 100;

impl<'a> Alert<'a> {
    /// One alert for `first` and the `rest` like it: the first one's fields,
    /// the highest severity, and a digest of every event.
    pub fn digest(first: Self, rest: Vec<Self>) -> Self {
        let mut all = vec![first];
        all.extend(rest);
        // Stable: events of the same second keep their delivery order.
        all.sort_by(|a, b| a.time.cmp(&b.time));
        let count = all.len();
        let mut digest = Digest {
            count,
            first: all[0].time.clone(),
            last: all[count - 1].time.clone(),
            targets: Vec::new(),
            event_ids: Vec::new(),
        };
        for alert in &all {
            push_new(&mut digest.targets, alert.target.iter().cloned());
            push_new(&mut digest.event_ids, alert.event_id.iter().cloned());
        }
        digest.targets.truncate(MAX_DIGEST_ITEMS);
        digest.event_ids.truncate(MAX_DIGEST_ITEMS);
        let severity = all
            .iter()
            .map(|a| a.severity)
            .max()
            .unwrap_or(Severity::Info);
        let mut alert = all.swap_remove(0);
        alert.severity = severity;
        if count > 1 {
            alert.title = clip(
                &format!("{} (and {} more like it)", alert.title, count - 1),
                MAX_FIELD_BYTES,
            );
            let span = match (&digest.first, &digest.last) {
                (Some(first), Some(last)) => format!(" from {first} to {last}"),
                _ => String::new(),
            };
            alert.reasons.insert(
                0,
                format!("{count} events by the same caller for this monitor{span}"),
            );
        }
        alert.digest = Some(digest);
        alert.bounded(MAX_FIELD_BYTES)
    }

    /// The alert with every string it took from events cut to `max` bytes, and
    /// every next step longer than that dropped (a cut command would not run as
    /// shown). The raw event is left to the renderer, which budgets it.
    pub fn bounded(mut self, max: usize) -> Self {
        let cut = |s: &mut String| {
            if s.len() > max {
                *s = clip(s, max);
            }
        };
        let cut_option = |s: &mut Option<String>| s.iter_mut().for_each(cut);
        cut(&mut self.title);
        self.reasons.iter_mut().for_each(cut);
        self.next_steps.retain(|step| step.len() <= max);
        for field in [
            &mut self.event_id,
            &mut self.target,
            &mut self.event_source,
            &mut self.event_name,
            &mut self.account,
            &mut self.account_name,
            &mut self.region,
            &mut self.time,
            &mut self.console_url,
            &mut self.actor.kind,
            &mut self.actor.arn,
            &mut self.actor.account,
            &mut self.actor.session_issuer,
            &mut self.actor.source_ip,
            &mut self.actor.user_agent,
        ] {
            cut_option(field);
        }
        cut(&mut self.actor.name);
        if let Some(error) = &mut self.error {
            cut(&mut error.code);
            cut_option(&mut error.message);
        }
        if let Some(digest) = &mut self.digest {
            cut_option(&mut digest.first);
            cut_option(&mut digest.last);
            digest.targets.iter_mut().for_each(cut);
            digest.event_ids.iter_mut().for_each(cut);
        }
        self
    }
}

impl Alert<'_> {
    /// The event's time, when it reads as RFC 3339.
    pub fn observed_at(&self) -> Option<time::OffsetDateTime> {
        let time = self.time.as_deref()?;
        time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).ok()
    }

    /// `trailwatch/<monitor>/<eventID>`: the same for every delivery of an
    /// event, so a destination that keys findings on it (Security Hub)
    /// updates rather than adds one on a retry. An event without an id (only
    /// a custom monitor's, or an unreadable one) is named by a hash of its
    /// title, time and target, stable across the retries of one build (the
    /// hasher's keys are fixed).
    pub fn finding_id(&self) -> String {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let event = match &self.event_id {
            Some(id) if !id.is_empty() => id.clone(),
            _ => {
                let mut hasher = DefaultHasher::new();
                (&self.title, &self.time, &self.target).hash(&mut hasher);
                format!("no-event-id-{:016x}", hasher.finish())
            }
        };
        clip(
            &format!("{FINDING_PREFIX}{}/{event}", self.monitor),
            MAX_FINDING_ID,
        )
    }
}

impl<'a> Alert<'a> {
    /// One alert from every monitor's finding: the highest severity, every
    /// reason (the most severe first), the title from the most specific monitor.
    pub(crate) fn assessed(
        event: &Event<'a>,
        mut judged: Vec<(&'static Monitor, Finding)>,
    ) -> Self {
        // The titling monitor: a monitor of named calls before a broad one
        // (root use, denied calls), then the most severe; stable, so catalog order breaks ties.
        judged.sort_by_key(|(monitor, finding)| {
            (!monitor.names_calls(), std::cmp::Reverse(finding.severity))
        });
        let mut alert = Self::base(event.detail, Some(event));
        let (primary, finding) = &judged[0];
        alert.title = title(&alert.actor.name, primary, finding, event);
        alert.monitor = primary.id;
        alert.monitor_title = primary.title;
        alert.target = finding.target.clone();
        alert.severity = judged
            .iter()
            .map(|(_, f)| f.severity)
            .max()
            .unwrap_or(Severity::Info);
        alert.reasons = reasons(&judged);
        for (monitor, finding) in &judged {
            alert.monitors.push(monitor.id);
            push_new(&mut alert.next_steps, finding.next_steps.iter().cloned());
            push_new(&mut alert.controls, monitor.controls.iter().copied());
            push_new(&mut alert.techniques, monitor.techniques.iter().copied());
        }
        alert.bounded(MAX_FIELD_BYTES)
    }
    pub(crate) fn review(
        raw: &'a RawValue,
        event: Option<&Event<'a>>,
        monitor: Option<&'static Monitor>,
        why: &str,
    ) -> Self {
        tracing::warn!(why, "event could not be judged; publishing a review alert");
        let mut alert = Self::base(raw, event);
        let call = alert.event_name.as_deref().unwrap_or("an unreadable event");
        alert.title = clip(
            &format!("Unrecognised security event, review: {call}"),
            MAX_FIELD_BYTES,
        );
        alert.reasons = vec![clip(
            &format!("trailwatch could not judge it: {why}"),
            MAX_FIELD_BYTES,
        )];
        if let Some(monitor) = monitor {
            alert.monitor = monitor.id;
            alert.monitor_title = monitor.title;
        }
        alert.monitors.push(alert.monitor);
        if alert.outcome == Outcome::Succeeded {
            alert.outcome = Outcome::Unknown;
        }
        alert.bounded(MAX_FIELD_BYTES)
    }

    /// The fields every alert takes from the event, with review defaults for the rest.
    fn base(raw: &'a RawValue, event: Option<&Event<'a>>) -> Self {
        let loose: Value;
        let facts = match event {
            Some(event) => Facts::of(event),
            // Only an unreadable event is parsed as a whole, to find what facts it has.
            None => {
                loose = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                Facts::loose(&loose)
            }
        };
        let field = |s: Option<&str>| s.map(|s| clip(s, MAX_FIELD_BYTES));
        let error = facts.error_code.map(|code| CallError {
            code: clip(code, MAX_FIELD_BYTES),
            message: field(facts.error_message),
        });
        Self {
            schema: SCHEMA,
            schema_version: SCHEMA_VERSION,
            console_url: Some(console_url(facts.region, facts.event_id)),
            event_id: field(facts.event_id),
            monitor: REVIEW_MONITOR,
            monitor_title: "Unrecognised security event",
            monitors: Vec::new(),
            severity: REVIEW_SEVERITY,
            title: String::new(),
            outcome: if error.is_some() {
                Outcome::Failed
            } else {
                Outcome::Succeeded
            },
            error,
            reasons: Vec::new(),
            next_steps: Vec::new(),
            controls: Vec::new(),
            techniques: Vec::new(),
            actor: event.map_or_else(Actor::unknown, |e| actor(&e.record.user_identity, e)),
            target: None,
            event_source: field(facts.event_source),
            event_name: field(facts.event_name),
            account: field(facts.account),
            account_name: None,
            region: field(facts.region),
            time: field(facts.time),
            event: Some(raw),
            event_excerpt: None,
            digest: None,
            state: None,
        }
    }
}

/// The title: who did what, or tried to.
fn title(who: &str, monitor: &Monitor, finding: &Finding, event: &Event<'_>) -> String {
    let object = &finding.object;
    match (event.failure(), monitor.failure) {
        (Some(code), Failure::Attempt) => {
            format!("{who} tried to {} ({code})", finding.verb.tried(object))
        }
        (Some(_), Failure::Finding) => match &event.record.error_code {
            Some(code) => format!("{who} {} ({code})", finding.verb.done(object)),
            None => format!("{who} {}", finding.verb.done(object)),
        },
        (None, _) => format!("{who} {}", finding.verb.done(object)),
    }
}

/// Every finding's reasons, the most severe first (so the first explains the
/// alert's severity), the titling monitor's first among equals, without repeats.
fn reasons(judged: &[(&'static Monitor, Finding)]) -> Vec<String> {
    let mut all: Vec<&Reason> = judged.iter().flat_map(|(_, f)| &f.reasons).collect();
    all.sort_by_key(|reason| std::cmp::Reverse(reason.severity));
    let mut texts = Vec::with_capacity(all.len());
    push_new(&mut texts, all.into_iter().map(|r| r.text.clone()));
    let omitted: usize = judged
        .iter()
        .map(|(_, f)| f.omitted_reasons())
        .sum::<usize>()
        + texts.len().saturating_sub(MAX_REASONS);
    texts.truncate(MAX_REASONS);
    if omitted > 0 {
        texts.push(format!("... and {omitted} more reasons"));
    }
    texts
}

/// Appends the items not already in `list`.
fn push_new<T: PartialEq>(list: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

/// The event's identifying fields, from the parsed model or, when the event could
/// not be parsed, read loosely from the raw JSON.
struct Facts<'v> {
    event_id: Option<&'v str>,
    event_source: Option<&'v str>,
    event_name: Option<&'v str>,
    account: Option<&'v str>,
    region: Option<&'v str>,
    time: Option<&'v str>,
    error_code: Option<&'v str>,
    error_message: Option<&'v str>,
}

impl<'v> Facts<'v> {
    fn of(event: &'v Event<'_>) -> Self {
        let record = &event.record;
        Self {
            event_id: event.event_id(),
            event_source: record.event_source.as_deref(),
            event_name: record.event_name.as_deref(),
            account: event.account(),
            region: event.region(),
            time: record
                .event_time
                .as_deref()
                .or(event.envelope.time.as_deref()),
            error_code: event.failure(),
            error_message: record.error_message.as_deref(),
        }
    }

    fn loose(raw: &'v Value) -> Self {
        let text = |pointer: &str| raw.pointer(pointer).and_then(Value::as_str);
        Self {
            event_id: text("/detail/eventID"),
            event_source: text("/detail/eventSource"),
            event_name: text("/detail/eventName"),
            account: text("/detail/recipientAccountId").or(text("/account")),
            region: text("/detail/awsRegion").or(text("/region")),
            time: text("/detail/eventTime").or(text("/time")),
            error_code: text("/detail/errorCode"),
            error_message: text("/detail/errorMessage"),
        }
    }
}

fn actor(identity: &UserIdentity, event: &Event<'_>) -> Actor {
    let field = |s: Option<&str>| s.map(|s| clip(s, MAX_FIELD_BYTES));
    Actor {
        kind: field(identity.kind.as_deref()),
        name: clip(&identity.display_name(), MAX_FIELD_BYTES),
        arn: field(identity.arn.as_deref()),
        account: field(identity.account_id.as_deref()),
        session_issuer: field(identity.session_issuer()),
        // Sign-ins record MFA in additionalEventData, API calls in the session.
        mfa: identity.mfa().or(event.record.additional_event_data.mfa()),
        source_ip: field(event.record.source_ip_address.as_deref()),
        user_agent: field(event.record.user_agent.as_deref()),
    }
}

/// Letters, digits and hyphens only: safe in a console host name and path.
pub(crate) fn is_plain_token(s: &&str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The region of a console link: the event's when it is a plain token, else
/// us-east-1, so no event can steer the link to another host.
pub(crate) fn console_region(region: Option<&str>) -> &str {
    region.filter(is_plain_token).unwrap_or("us-east-1")
}

/// A link to the event in the CloudTrail console (event history), or to the
/// region's event history when the record has no id.
/// Region and id are checked to be plain tokens so no event can steer the link elsewhere.
fn console_url(region: Option<&str>, event_id: Option<&str>) -> String {
    let region = console_region(region);
    let event_id = event_id.filter(is_plain_token);
    let base = format!(
        "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events"
    );
    match event_id {
        Some(id) => format!("{base}/{id}"),
        None => base,
    }
}
