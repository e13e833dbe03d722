//! Where alerts go besides the SNS topic: Security Hub findings and an
//! EventBridge bus, each optional. Each is sent beside the topic's publish,
//! never before or after it, and a failure of one is logged and counted
//! without failing the invocation: the alert still reaches the others.

pub mod asff;
pub mod bus;
pub mod security_hub;

use time::OffsetDateTime;

use crate::alert::Alert;
pub use bus::Bus;
pub use security_hub::SecurityHub;

/// The destination name Security Hub failures are counted under.
pub const SECURITY_HUB: &str = "SecurityHub";
/// The destination name EventBridge failures are counted under.
pub const EVENTBRIDGE: &str = "EventBridge";

/// The configured destinations besides SNS.
#[derive(Debug, Default)]
pub struct Destinations {
    pub security_hub: Option<SecurityHub>,
    pub bus: Option<Bus>,
}

/// What the destinations need of one alert, taken before it is rendered.
#[derive(Debug, Default)]
pub struct Prepared {
    import: Option<security_hub::Import>,
}

/// A destination that refused an alert or could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("{destination}: {why}")]
pub struct DestinationError {
    /// [`SECURITY_HUB`] or [`EVENTBRIDGE`].
    pub destination: &'static str,
    pub why: String,
}

impl DestinationError {
    pub(crate) fn new(destination: &'static str, why: impl Into<String>) -> Self {
        Self {
            destination,
            why: why.into(),
        }
    }
}

impl Destinations {
    /// Whether any destination is configured.
    pub fn any(&self) -> bool {
        self.security_hub.is_some() || self.bus.is_some()
    }

    /// Takes from `alert` what the destinations send.
    pub fn prepare(&self, alert: &Alert<'_>) -> Prepared {
        Prepared {
            import: self
                .security_hub
                .as_ref()
                .map(|hub| hub.prepare(alert, OffsetDateTime::now_utc())),
        }
    }

    /// Sends to every destination at once; each failure is logged and
    /// counted, and returned for the caller's record.
    pub async fn send(&self, prepared: Prepared, document: &str) -> Vec<DestinationError> {
        let hub = async {
            match (&self.security_hub, prepared.import) {
                (Some(hub), Some(import)) => hub.import(import).await,
                _ => Ok(()),
            }
        };
        let bus = async {
            match &self.bus {
                Some(bus) => bus.put(document).await,
                None => Ok(()),
            }
        };
        let (hub, bus) = tokio::join!(hub, bus);
        let failures: Vec<DestinationError> =
            [hub, bus].into_iter().filter_map(Result::err).collect();
        for failure in &failures {
            tracing::error!(
                destination = failure.destination,
                why = failure.why,
                "alert not delivered to a destination; the others were unaffected"
            );
            crate::metrics::destination_failed(failure.destination);
        }
        failures
    }
}
