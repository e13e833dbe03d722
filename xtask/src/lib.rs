//! trailwatch's build and deploy tool, as a library so integration tests can use
//! its parts (the emulator harness, the tool bootstrap).
//!
//! - [`config`]: the configuration file and flags, regions, and the app that
//!   turns them into stacks;
//! - [`deploy`]: deploying (changes and approval, progress, forwarders, the
//!   StackSet, assets, the artifact);
//! - [`operations`]: status and smoke tests of a deployed monitor;
//! - [`local`]: the emulator, the local runtime, demo, simulate, records, bench;
//! - [`checks`]: cfn-guard and parliament on the rendered templates;
//! - [`commands`]: the command line.

pub mod aws;
pub mod checks;
pub mod clients;
pub mod commands;
pub mod config;
pub mod console;
pub mod deploy;
pub mod local;
pub mod operations;
pub mod queues;
pub mod terminal;
pub mod tools;
pub mod workspace;
