//! Running trailwatch on this machine: the AWS emulator, a local Lambda
//! Runtime API, the demo, simulation, CloudTrail records, and benchmarks.

pub mod bench;
pub mod demo;
pub mod destinations;
pub mod emulator;
pub mod eventbridge;
pub mod records;
pub mod runtime_api;
pub mod simulate;
pub mod stateful;
