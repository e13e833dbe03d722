//! trailwatch's build and deploy tool, as a library so integration tests can use
//! its parts (the emulator harness, the tool bootstrap).

pub mod app;
pub mod artifact;
pub mod commands;
pub mod emulator;
pub mod tools;
pub mod workspace;
