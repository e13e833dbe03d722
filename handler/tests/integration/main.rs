//! The handler's integration tests, in one binary.

mod common;

mod canary;
mod chat;
mod destinations;
mod digests;
mod fuzz;
mod health;
mod hostile_input;
mod judgement;
mod ocsf;
mod publishing;
mod rendering;
mod revert_commands;
mod robustness;
mod samples;
mod selection;
mod stateful;
mod tamper;
mod tuning;
mod webhook;
