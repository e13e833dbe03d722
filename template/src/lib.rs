//! trailwatch construct library: typed CloudFormation resources (L1), constructs
//! with intent (L2), the `SecurityMonitor` (L3), and a `Stack` that renders them
//! to deterministic YAML.

pub mod assets;
pub mod canary;
pub mod chat;
pub mod constructs;
pub mod destinations;
pub mod form;
pub mod forwarder;
pub mod grants;
pub mod health;
pub mod intrinsic;
pub mod monitor;
pub mod patterns;
pub mod resources;
pub mod stack;
mod yaml;

pub use canary::CanaryProps;
pub use chat::{ChatProps, WebhookProps};
pub use destinations::{DestinationsProps, HubRegions};
pub use forwarder::ForwarderProps;
pub use health::HealthProps;
pub use intrinsic::{LogicalId, Pseudo, Value};
pub use monitor::{
    MAX_DIGEST_WINDOW_SECONDS, STATE_KEY, SecurityMonitor, SecurityMonitorProps, StateProps,
};
pub use stack::{Stack, SynthError};
