//! trailwatch alert engine: reads EventBridge `AWS API Call via CloudTrail` events,
//! judges them with the enabled monitors, and publishes alerts.
//!
//! The core is layered, each module using only those below it: the event model
//! ([`event`]), findings ([`finding`]), selectors ([`selector`]), shared judging
//! logic ([`policy`], [`cidr`]), the monitors and their judges ([`monitors`]),
//! the enabled set ([`selection`], [`tuning`]), the alert document ([`alert`],
//! [`health`]), the pipeline ([`pipeline`]), rendering ([`render`], [`chat`])
//! and publishing ([`publish`], [`webhook`]). It is pure up to [`Publisher`].

pub mod accounts;
pub mod alert;
pub mod batch;
pub mod canary;
pub mod chat;
pub mod cidr;
pub mod destinations;
pub mod event;
pub mod finding;
pub mod health;
mod matcher;
pub mod metrics;
pub mod monitors;
pub mod observing;
pub mod ocsf;
pub mod own;
pub mod pipeline;
pub mod policy;
pub mod publish;
pub mod recent;
pub mod render;
pub mod selection;
pub mod selector;
pub mod state;
pub mod stateful;
pub mod text;
pub mod tuning;
pub mod webhook;

use serde::Serialize;
use serde_json::value::RawValue;
use time::Date;

pub use publish::{PublishError, Publisher, SnsPublisher};
pub use recent::RecentEvents;
pub use selection::Selection;

/// Locks `mutex`, going on with its value when a panic poisoned it: every
/// mutex here guards a cache, a set or a pacing slot whose each update is
/// whole, so a panic elsewhere never leaves it half-written.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What an execution environment keeps between invocations.
#[derive(Debug, Default)]
pub struct Context {
    /// Event ids alerted on lately.
    pub recent: RecentEvents,
    /// Account names, when Organizations may be asked.
    pub accounts: accounts::AccountNames,
    /// Where once-only marks and stateful monitors' records are kept; none
    /// without a state table (then once-only holds per environment only and
    /// stateful monitors observe nothing).
    pub state: Option<state::Store>,
    /// When first-seen monitors started learning, as read from the store.
    pub learning: stateful::Learning,
}
pub use contract::Severity;
pub use tuning::{Detection, Settings};

/// What the handler did with one event (the Lambda's response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handled {
    pub event_id: Option<String>,
    pub monitor: &'static str,
    pub severity: Severity,
    /// The published subject; none when suppressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The reason of the suppression that kept the alert back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed_by: Option<String>,
    /// Queued for the next digest instead of published.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
    /// A repeat of an event this execution environment already alerted on
    /// (same CloudTrail `eventID`): nothing was published.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
    /// Why a closer look found no alert in the event, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dismissed: Option<String>,
    /// Where the deployment's canary was made, when the event is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<canary::Arrival>,
    /// The alerts of stateful monitors the event made cross.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub crossed: Vec<observing::Crossed>,
}

impl Handled {
    /// An event only stateful monitors select: nothing raised alone.
    fn observed(first: Option<&stateful::Observation>) -> Self {
        Self {
            event_id: first.map(|o| o.event_id.clone()),
            monitor: first.map_or("", |o| o.monitor.id),
            severity: Severity::Info,
            subject: None,
            suppressed_by: None,
            deferred: false,
            duplicate: false,
            dismissed: None,
            canary: None,
            crossed: Vec::new(),
        }
    }

    /// The canary's arrival: recorded, nothing published.
    fn canary(arrival: canary::Arrival) -> Self {
        Self {
            monitor: canary::MONITOR,
            canary: Some(arrival),
            ..Self::observed(None)
        }
    }
}

/// Judges one event and publishes its alert, unless suppressions in force
/// `today` hide every finding (then the event is logged with the reason and
/// counted in a metric), a closer look dismisses it (logged), it is the
/// deployment's canary (counted in a metric) or the alert is below the digest
/// threshold (then the event waits in the digest queue). A repeat of an event
/// alerted on already (in this environment, or in any with a state table) is
/// acknowledged without a second alert. Then the stateful monitors that select
/// the event observe it, and each crossing is published. The only error is a
/// failed publish or deferral, which must fail the invocation.
pub async fn handle<P: Publisher>(
    publisher: &P,
    detection: &Detection,
    context: &Context,
    raw: &RawValue,
    today: Date,
) -> Result<Handled, PublishError> {
    let judged = pipeline::judge(raw, detection, today);
    let mut handled = match judged.verdict {
        pipeline::Verdict::Canary(arrival) => {
            metrics::canary_received(&arrival);
            return Ok(Handled::canary(arrival));
        }
        pipeline::Verdict::Observed => Handled::observed(judged.observations.first()),
        verdict => alone(publisher, detection, context, raw, verdict).await?,
    };
    handled.crossed = observing::observe(publisher, context, raw, judged.observations).await?;
    Ok(handled)
}

/// Publishes (or defers, or holds back) the alert the event raises alone.
async fn alone<P: Publisher>(
    publisher: &P,
    detection: &Detection,
    context: &Context,
    raw: &RawValue,
    verdict: pipeline::Verdict<'_>,
) -> Result<Handled, PublishError> {
    let recent = &context.recent;
    let (mut alert, suppressed_by, dismissed) = match verdict {
        pipeline::Verdict::Suppressed { alert, reason } => {
            metrics::suppressed(&alert, &reason);
            (alert, Some(reason), None)
        }
        pipeline::Verdict::Dismissed { alert, reason } => {
            tracing::info!(
                event_id = alert.event_id.as_deref().unwrap_or("none"),
                monitor = alert.monitor,
                reason,
                "no alert"
            );
            (alert, None, Some(reason))
        }
        pipeline::Verdict::Raise(alert) => (alert, None, None),
        pipeline::Verdict::Canary(_) | pipeline::Verdict::Observed => {
            return Ok(Handled::observed(None));
        }
    };
    let mut handled = Handled {
        event_id: alert.event_id.clone(),
        monitor: alert.monitor,
        severity: alert.severity,
        subject: None,
        deferred: false,
        duplicate: false,
        suppressed_by,
        dismissed,
        canary: None,
        crossed: Vec::new(),
    };
    if handled.suppressed_by.is_some() || handled.dismissed.is_some() {
        return Ok(handled);
    }
    if let Some(id) = handled.event_id.as_deref().filter(|id| recent.contains(id)) {
        tracing::info!(
            event_id = id,
            "repeated event acknowledged without a second alert"
        );
        handled.duplicate = true;
        return Ok(handled);
    }
    if detection.defers(alert.severity, raw.get().len()) {
        publisher.defer(raw.get()).await?;
        handled.deferred = true;
        remember(recent, &handled);
        return Ok(handled);
    }
    let once = observing::Once::claim(context.state.as_ref(), handled.event_id.as_deref()).await;
    if once.is_repeat() {
        handled.duplicate = true;
        remember(recent, &handled);
        return Ok(handled);
    }
    if let Some(account) = &alert.account {
        alert.account_name = context.accounts.name(account).await;
    }
    let message = match deliver(publisher, alert).await {
        Ok(message) => message,
        Err(error) => {
            once.release(context.state.as_ref()).await;
            return Err(error);
        }
    };
    remember(recent, &handled);
    tracing::info!(
        event_id = handled.event_id.as_deref().unwrap_or("none"),
        monitor = handled.monitor,
        severity = %handled.severity,
        "alert published"
    );
    handled.subject = Some(message.subject);
    Ok(handled)
}
/// Publishes the alert and, at the same time, sends it to the other
/// destinations (Security Hub, a bus); then its chat message when the
/// publisher has chat destinations and the severity reaches their threshold.
/// Only the alert's publish can fail the delivery: a failure of another
/// destination or of chat is logged and counted, since failing would have
/// the alert published again.
pub async fn deliver<P: Publisher>(
    publisher: &P,
    alert: alert::Alert<'_>,
) -> Result<render::Message, PublishError> {
    let chat = publisher
        .chat_threshold()
        .filter(|threshold| alert.severity >= *threshold)
        .map(|_| chat::Summary::of(&alert));
    let destinations = publisher
        .destinations()
        .filter(|d| d.any())
        .map(|d| (d, d.prepare(&alert)));
    let message = render::render_as(alert, publisher.format());
    let sent = async {
        if let Some((destinations, prepared)) = destinations {
            destinations.send(prepared, &message.document).await;
        }
    };
    let (published, ()) = tokio::join!(publisher.publish(&message), sent);
    published?;
    if let Some(summary) = chat
        && let Err(error) = publisher.chat(&summary).await
    {
        tracing::error!(%error, error_type = error.error_type(), "chat notification not published; the alert was");
        metrics::chat_failed();
    }
    Ok(message)
}

fn remember(recent: &RecentEvents, handled: &Handled) {
    if let Some(id) = &handled.event_id {
        recent.remember(id);
    }
}
