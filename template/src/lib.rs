//! trailwatch construct library: typed CloudFormation resources (L1), constructs
//! with intent (L2), the `SecurityMonitor` (L3), and a `Stack` that renders them
//! to deterministic YAML.

pub mod assets;
pub mod canary;
pub mod chat;
pub mod constructs;
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
pub use chat::{CHAT_MIN_SEVERITY_PARAMETER, CHAT_TOPIC_OUTPUT, ChatProps, WebhookProps};
pub use forwarder::ForwarderProps;
pub use health::HealthProps;
pub use intrinsic::{LogicalId, Pseudo, Value};
pub use monitor::{
    ARTIFACT_BUCKET_PARAMETER, ARTIFACT_KEY_PARAMETER, FORWARDER_REGIONS_PARAMETER,
    FORWARDING_BUS_OUTPUT, FUNCTION_ARN_OUTPUT, MAX_DIGEST_WINDOW_SECONDS, ORGANIZATION_PARAMETER,
    RESERVED_CONCURRENCY_PARAMETER, SecurityMonitor, SecurityMonitorProps, forwarding_bus_name,
};
pub use stack::{Stack, SynthError};
