//! Operating a deployed monitor: its status, and a smoke test through it.

pub mod smoke;
pub mod status;
