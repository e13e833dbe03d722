//! trailwatch's build and deploy tool, as a library so integration tests can use
//! its parts (the emulator harness, the tool bootstrap).

pub mod app;
pub mod artifact;
pub mod assembly;
pub mod assets;
pub mod aws;
pub mod bench;
pub mod clients;
pub mod cloudformation;
pub mod commands;
pub mod concurrency;
pub mod config;
pub mod console;
pub mod demo;
pub mod deploy;
pub mod emulator;
pub mod fleet;
pub mod forwarders;
pub mod guard;
pub mod policies;
pub mod queues;
pub mod records;
pub mod runtime_api;
pub mod simulate;
pub mod smoke;
pub mod smoke_diagnosis;
pub mod stackset;
pub mod status;
pub mod terminal;
pub mod tools;
pub mod trail;
pub mod workspace;
