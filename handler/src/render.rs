//! Rendering an alert into one SNS message: subject, per-protocol bodies, attributes.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::value::RawValue;

use crate::alert::{Alert, Outcome, SCHEMA, SCHEMA_VERSION};
use crate::text::{clip, escape_controls, printable_ascii};

/// Longest subject, in characters: SNS requires fewer than 100 (printable
/// ASCII, no line breaks).
pub const MAX_SUBJECT_CHARS: usize = 99;
/// SNS limit on a Publish request: subject, message and attributes, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Longest field kept when, even without the raw event, the alert would not
/// fit: each step halves it (fields dense with characters JSON must escape grow
/// up to seven times in each of the message's bodies).
const SHRINK_FIELDS_FROM: usize = 256;
/// Longest field kept at the last step, and most digest items listed there.
const SHRINK_FIELDS_TO: usize = 8;
/// Longest `(account/region)` suffix kept in the subject.
const MAX_SUBJECT_SUFFIX: usize = 40;
/// Longest attribute value kept, in bytes.
const MAX_ATTRIBUTE_BYTES: usize = 256;
/// Data type of every message attribute.
pub const ATTRIBUTE_TYPE: &str = "String";

/// What the machine protocols' bodies (SQS, Lambda, HTTP/S, Firehose) carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// The alert document (`trailwatch.alert`).
    #[default]
    Alert,
    /// The alert as an OCSF Detection Finding ([`crate::ocsf`]).
    Ocsf,
}

/// A message ready for SNS Publish with `MessageStructure=json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `[SEVERITY] what happened (account/region)`, SNS-safe.
    pub subject: String,
    /// The JSON object mapping each protocol to its body.
    pub body: String,
    /// String attributes subscribers can filter on.
    pub attributes: Vec<(&'static str, String)>,
    /// The alert document as the message carries it (its raw event cut to
    /// fit when it had to be), for destinations besides SNS. Not part of the
    /// SNS request.
    pub document: String,
}

impl Message {
    /// Size of the request as SNS counts it against its limit: subject, body,
    /// and attribute names, types and values.
    pub fn size(&self) -> usize {
        self.subject.len()
            + self.body.len()
            + self
                .attributes
                .iter()
                .map(|(name, value)| name.len() + ATTRIBUTE_TYPE.len() + value.len())
                .sum::<usize>()
    }
}

/// Renders an alert with the alert document in the machine bodies.
pub fn render(alert: Alert<'_>) -> Message {
    render_as(alert, Format::Alert)
}

/// Renders an alert, the machine bodies in `format`. The request always
/// fits SNS: when the raw event would overflow it, the event is replaced by
/// the longest excerpt of its JSON that fits; when even the alert without
/// its event would, its fields are cut shorter until it fits.
pub fn render_as(alert: Alert<'_>, format: Format) -> Message {
    let mut alert = alert.bounded(crate::alert::MAX_FIELD_BYTES);
    if let Some(raw) = alert.event.filter(|raw| !interoperable(raw)) {
        alert.event = None;
        alert.event_excerpt = Some(raw.get().to_owned());
    }
    let machine = Machine::new(format);
    let message = compose(&alert, machine);
    if message.size() <= MAX_MESSAGE_BYTES {
        return message;
    }
    let message = fit(alert.clone(), &message, machine);
    if message.size() <= MAX_MESSAGE_BYTES {
        return message;
    }
    shrink(alert, machine)
}

/// The machine bodies' format, and the time an OCSF finding of an event
/// without one takes (read once per message, so every attempt agrees).
#[derive(Debug, Clone, Copy)]
struct Machine {
    format: Format,
    now_ms: i64,
}

impl Machine {
    fn new(format: Format) -> Self {
        let now_ms = match format {
            Format::Alert => 0,
            Format::Ocsf => {
                (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
            }
        };
        Self { format, now_ms }
    }

    /// The alert document, and the machine body when it is another.
    fn documents(self, alert: &Alert<'_>) -> (String, Option<String>) {
        let document = document(alert);
        let body = match self.format {
            Format::Alert => None,
            Format::Ocsf => Some(crate::ocsf::finding(alert, self.now_ms).to_string()),
        };
        (document, body)
    }
}

/// The whole message of an alert, as it is.
fn compose(alert: &Alert<'_>, machine: Machine) -> Message {
    let subject = subject(alert);
    let text = text(alert);
    let (document, body) = machine.documents(alert);
    Message {
        body: bodies(&subject, &text, body.as_deref().unwrap_or(&document)),
        attributes: attributes(alert),
        subject,
        document,
    }
}

/// The message with the raw event replaced by the longest excerpt that fits.
fn fit(mut alert: Alert<'_>, whole: &Message, machine: Machine) -> Message {
    let budget = MAX_MESSAGE_BYTES - (whole.size() - whole.body.len());
    let text = text(&alert);
    let raw = match alert.event.take() {
        Some(raw) => raw.get().to_owned(),
        None => alert.event_excerpt.take().unwrap_or_default(),
    };
    let raw = raw.as_str();
    alert.event_excerpt = Some(String::new());
    let bodies_of = |alert: &Alert<'_>| {
        let (document, body) = machine.documents(alert);
        let bodies = bodies(&whole.subject, &text, body.as_deref().unwrap_or(&document));
        (bodies, document)
    };
    let floor = bodies_of(&alert).0.len();
    let full = floor + raw.len() * 5;
    // Escaping grows the excerpt by the same factor wherever it is cut; start from
    // the proportional estimate and shrink until it fits.
    let mut keep = (raw.len() as u128 * budget.saturating_sub(floor) as u128
        / full.saturating_sub(floor).max(1) as u128) as usize;
    loop {
        alert.event_excerpt = Some(clip(raw, keep));
        let (body, document) = bodies_of(&alert);
        if body.len() <= budget || keep == 0 {
            return Message {
                body,
                document,
                ..whole.clone()
            };
        }
        keep = keep * 9 / 10;
    }
}

/// The message without the raw event, its fields halved until it fits. At the
/// shortest the alert is a few hundred short strings, far below the limit.
fn shrink(mut alert: Alert<'_>, machine: Machine) -> Message {
    alert.event = None;
    alert.event_excerpt = Some(String::new());
    let mut max = SHRINK_FIELDS_FROM;
    loop {
        alert = alert.bounded(max);
        if max == SHRINK_FIELDS_TO {
            alert.reasons.truncate(SHRINK_FIELDS_TO);
            if let Some(digest) = &mut alert.digest {
                digest.targets.truncate(SHRINK_FIELDS_TO);
                digest.event_ids.truncate(SHRINK_FIELDS_TO);
            }
        }
        let message = compose(&alert, machine);
        if message.size() <= MAX_MESSAGE_BYTES || max == SHRINK_FIELDS_TO {
            return message;
        }
        max = (max / 2).max(SHRINK_FIELDS_TO);
    }
}

/// The subject line: severity and account/region always survive, the title is cut to fit.
pub fn subject(alert: &Alert<'_>) -> String {
    let prefix = format!("[{}] ", alert.severity);
    let account = alert.account.as_deref().unwrap_or("unknown account");
    let region = alert.region.as_deref().unwrap_or("unknown region");
    let suffix = printable_ascii(&clip(&format!(" ({account}/{region})"), MAX_SUBJECT_SUFFIX));
    let room = MAX_SUBJECT_CHARS - prefix.len() - suffix.len();
    let title = printable_ascii(alert.title.trim());
    let title = if title.len() > room {
        format!("{}...", &title[..room - 3])
    } else {
        title
    };
    format!("{prefix}{title}{suffix}")
}

/// What the text shows for a field the event does not have.
const NOT_RECORDED: &str = "not recorded";

/// A field of the event as the text shows it: escaped, or "not recorded".
fn or_na(field: &Option<String>) -> Cow<'_, str> {
    escape_controls(field.as_deref().unwrap_or(NOT_RECORDED))
}

/// The plain-text body for e-mail and other human readers. Every value from the
/// event is shown with its control characters escaped, so none can forge a line
/// or act on the reader's terminal.
pub fn text(alert: &Alert<'_>) -> String {
    let na = NOT_RECORDED;
    let e = escape_controls;
    let list = |items: &[String]| escape_controls(&items.join(", ")).into_owned();
    let mut out = String::with_capacity(1024);
    let _ = writeln!(out, "{}\n", e(&alert.title));
    let _ = writeln!(out, "Severity:  {}", alert.severity);
    let _ = writeln!(
        out,
        "Monitor:   {} ({})",
        alert.monitor_title, alert.monitor
    );
    let _ = writeln!(out, "Outcome:   {}", e(&outcome(alert)));
    let _ = writeln!(out, "\nWhy:");
    for reason in &alert.reasons {
        let _ = writeln!(out, "  - {}", e(reason));
    }
    if !alert.next_steps.is_empty() {
        let _ = writeln!(out, "\nNext steps:");
        for step in &alert.next_steps {
            let _ = writeln!(out, "  - {}", e(step));
        }
    }
    let actor = &alert.actor;
    let mfa = match actor.mfa {
        Some(true) => "yes",
        Some(false) => "no",
        None => na,
    };
    let _ = writeln!(
        out,
        "\nWho:       {} ({})",
        e(&actor.name),
        or_na(&actor.kind)
    );
    let _ = writeln!(out, "  ARN:            {}", or_na(&actor.arn));
    if let Some(issuer) = &actor.session_issuer {
        let _ = writeln!(out, "  Session issuer: {}", e(issuer));
    }
    let _ = writeln!(out, "  MFA:            {mfa}");
    let _ = writeln!(out, "  Source IP:      {}", or_na(&actor.source_ip));
    let _ = writeln!(out, "  User agent:     {}", or_na(&actor.user_agent));
    let _ = writeln!(out, "Target:    {}", or_na(&alert.target));
    let _ = writeln!(
        out,
        "Call:      {} ({})",
        or_na(&alert.event_name),
        or_na(&alert.event_source)
    );
    match &alert.account_name {
        Some(name) => {
            let _ = writeln!(out, "Account:   {} ({})", or_na(&alert.account), e(name));
        }
        None => {
            let _ = writeln!(out, "Account:   {}", or_na(&alert.account));
        }
    }
    let _ = writeln!(out, "Region:    {}", or_na(&alert.region));
    let _ = writeln!(out, "Time:      {}", or_na(&alert.time));
    let _ = writeln!(out, "Event ID:  {}", or_na(&alert.event_id));
    if let Some(digest) = &alert.digest {
        let _ = writeln!(out, "Digest:    {} events", digest.count);
        let _ = writeln!(out, "  Targets:        {}", list(&digest.targets));
        let _ = writeln!(out, "  Event IDs:      {}", list(&digest.event_ids));
    }
    if alert.monitors.len() > 1 {
        let _ = writeln!(out, "Monitors:  {}", alert.monitors.join(", "));
    }
    if !alert.controls.is_empty() {
        let _ = writeln!(out, "Controls:  {}", alert.controls.join(", "));
    }
    if !alert.techniques.is_empty() {
        let _ = writeln!(out, "Techniques: {}", alert.techniques.join(", "));
    }
    if let Some(url) = &alert.console_url {
        let _ = writeln!(out, "Console:   {}", e(url));
    }
    let _ = write!(
        out,
        "\nEventBridge may deliver an event more than once: dedupe on the event ID.\n\
         -- trailwatch ({SCHEMA} v{SCHEMA_VERSION})\n"
    );
    out
}

fn outcome(alert: &Alert<'_>) -> String {
    match (&alert.outcome, &alert.error) {
        (Outcome::Failed, Some(error)) => match &error.message {
            Some(message) => format!("FAILED ({}: {message})", error.code),
            None => format!("FAILED ({})", error.code),
        },
        (Outcome::Failed, None) => "FAILED".to_owned(),
        (Outcome::Succeeded, _) => "succeeded".to_owned(),
        (Outcome::Unknown, _) => "unknown".to_owned(),
    }
}

/// Attributes for SNS FilterPolicy: severity, monitor, event_name, account, region.
pub fn attributes(alert: &Alert<'_>) -> Vec<(&'static str, String)> {
    let value = |s: Option<&str>| {
        clip(
            &escape_controls(s.filter(|s| !s.is_empty()).unwrap_or("unknown")),
            MAX_ATTRIBUTE_BYTES,
        )
    };
    vec![
        ("severity", alert.severity.to_string()),
        ("monitor", alert.monitor.to_owned()),
        ("event_name", value(alert.event_name.as_deref())),
        ("account", value(alert.account.as_deref())),
        ("region", value(alert.region.as_deref())),
    ]
}

/// The `MessageStructure=json` object: readable text for people, the JSON
/// `machine` body for machines. Each body is escaped once and shared by the protocols
/// that carry it.
///
/// The object is assembled here rather than serialised: serde_json would take
/// the shared literals only as `RawValue`s, and making one re-parses it, which
/// costs about as much as the faster escaping saves. The keys are fixed
/// identifiers and every value is a literal made by the serialiser, so the
/// result is valid JSON (the render tests parse it).
fn bodies(subject: &str, text: &str, machine: &str) -> String {
    let (text, subject, document) = (
        string_literal(text),
        string_literal(subject),
        string_literal(machine),
    );
    let protocols = [
        ("default", &text),
        ("email", &text),
        ("sms", &subject),
        ("sqs", &document),
        ("lambda", &document),
        ("http", &document),
        ("https", &document),
        ("firehose", &document),
    ];
    let size = protocols
        .iter()
        .map(|(protocol, body)| protocol.len() + body.len() + 4)
        .sum::<usize>();
    let mut object = String::with_capacity(size + 1);
    for (protocol, body) in protocols {
        object.push(if object.is_empty() { '{' } else { ',' });
        let _ = write!(object, "\"{protocol}\":{body}");
    }
    object.push('}');
    object
}

/// `text` as a JSON string literal. sonic-rs escapes with SIMD (SSE2/AVX2 on
/// x86_64, NEON on arm64): about three times faster than serde_json on alert
/// documents, which are dense with quotes to escape.
fn string_literal(text: &str) -> String {
    // Any Rust string is a valid JSON string: escaping it cannot fail.
    sonic_rs::to_string(text).unwrap_or_default()
}

/// The alert as its JSON document.
pub fn document(alert: &Alert<'_>) -> String {
    // An Alert holds only strings, numbers and a JSON value: serialising cannot fail.
    serde_json::to_string(alert).unwrap_or_default()
}

/// Whether every parser of the document can read the raw event in it: each
/// number within an f64's range and each string's escapes whole (no lone
/// surrogate). JSON's grammar allows both, and the Lambda runtime accepts
/// them, but serde_json, Go and others refuse such a document; an event that
/// holds one (a custom monitor may select events anyone in the account can put)
/// is carried as text in `event_excerpt` instead, so no subscriber loses the alert.
fn interoperable(raw: &RawValue) -> bool {
    serde_json::from_str::<Readable>(raw.get()).is_ok()
}

/// A JSON value read through without keeping anything, failing where a strict
/// parser would. Hand-written: serde's `IgnoredAny` skips numbers and strings
/// unchecked, and building a `Value` would cost allocations on every alert.
struct Readable;

impl<'de> serde::Deserialize<'de> for Readable {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ReadableVisitor)
    }
}

struct ReadableVisitor;

impl<'de> serde::de::Visitor<'de> for ReadableVisitor {
    type Value = Readable;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Readable, E> {
        Ok(Readable)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Readable, E> {
        Ok(Readable)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Readable, E> {
        Ok(Readable)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Readable, E> {
        Ok(Readable)
    }

    fn visit_str<E>(self, _: &str) -> Result<Readable, E> {
        Ok(Readable)
    }

    fn visit_unit<E>(self) -> Result<Readable, E> {
        Ok(Readable)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Readable, A::Error> {
        while seq.next_element::<Readable>()?.is_some() {}
        Ok(Readable)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Readable, A::Error> {
        while map.next_entry::<Readable, Readable>()?.is_some() {}
        Ok(Readable)
    }
}
