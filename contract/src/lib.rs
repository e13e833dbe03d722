//! The contract between trailwatch's template, which deploys and names things,
//! and the handler and tools, which read them: the handler's environment
//! variables, the stack's parameters and outputs, the names derived from the
//! stack's name, severities and webhook kinds. Both sides import these
//! constants; neither spells them by hand (a test in `xtask` checks).

pub mod env;
pub mod names;
pub mod outputs;
pub mod parameters;
mod severity;
mod webhook;

pub use severity::Severity;
pub use webhook::WebhookKind;
