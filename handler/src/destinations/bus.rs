//! Putting alerts on an EventBridge bus as custom events.

use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use super::DestinationError;

/// The `source` of every alert event.
pub const SOURCE: &str = "trailwatch";
/// The `detail-type` of every alert event.
pub const DETAIL_TYPE: &str = "trailwatch Alert";
/// EventBridge's limit on one `PutEvents` entry, in bytes ("Amazon
/// EventBridge quotas": 256 KB), counted as "Calculating Amazon EventBridge
/// PutEvents event entry size" counts it.
pub const MAX_ENTRY_BYTES: usize = 256 * 1024;
/// What the entry's `Time` counts for in that size.
const TIME_BYTES: usize = 14;

/// A bus, by name or ARN, in this account or another.
#[derive(Debug)]
pub struct Bus {
    client: aws_sdk_eventbridge::Client,
    name: String,
}

impl Bus {
    /// The bus `name` (a name or an ARN).
    pub fn new(client: aws_sdk_eventbridge::Client, name: String) -> Self {
        Self { client, name }
    }

    /// Puts the alert document on the bus as `detail`.
    pub async fn put(&self, document: &str) -> Result<(), DestinationError> {
        let size = entry_size(document);
        if size > MAX_ENTRY_BYTES {
            return Err(DestinationError::new(
                super::EVENTBRIDGE,
                format!("the alert event is {size} bytes, over EventBridge's {MAX_ENTRY_BYTES}"),
            ));
        }
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.name)
            .source(SOURCE)
            .detail_type(DETAIL_TYPE)
            .detail(document)
            .build();
        let output = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| {
                DestinationError::new(
                    super::EVENTBRIDGE,
                    DisplayErrorContext(aws_sdk_eventbridge::Error::from(e)).to_string(),
                )
            })?;
        // PutEvents answers 200 with the entry's own error when it refuses it.
        match output.entries().iter().find(|e| e.error_code().is_some()) {
            Some(failed) => Err(DestinationError::new(
                super::EVENTBRIDGE,
                format!(
                    "the bus refused the event: {} {}",
                    failed.error_code().unwrap_or_default(),
                    failed.error_message().unwrap_or_default()
                ),
            )),
            None => Ok(()),
        }
    }
}

/// The entry's size as EventBridge counts it: the time, then the UTF-8
/// bytes of source, detail type and detail.
pub fn entry_size(document: &str) -> usize {
    TIME_BYTES + SOURCE.len() + DETAIL_TYPE.len() + document.len()
}
