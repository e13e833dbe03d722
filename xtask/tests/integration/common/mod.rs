//! Shared test helpers for the emulator tests: scratch directories,
//! configurations and synth outputs, an S3 client the emulator answers, and
//! the default monitor stack created straight from its template.

use std::path::PathBuf;

use aws_config::SdkConfig;
use aws_sdk_cloudformation::types::{Capability, Parameter};
use aws_sdk_s3::primitives::ByteStream;
use template::Stack;
use xtask::config::{self, Config, ConfigArgs};
use xtask::deploy::artifact;
use xtask::deploy::assembly::{self, Assembly};
use xtask::local::demo::{self, LocalHandler, Report};
use xtask::local::emulator::Emulator;
use xtask::{config::app, tools, workspace};

/// An S3 client addressing buckets by path, as the emulator needs.
pub fn s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// Creates the default monitor stack `name` from its template, with a
/// stand-in handler zip in a bucket `assets`; returns the synthesised stack.
pub async fn create_default_stack(sdk: &SdkConfig, name: &str) -> Stack {
    let s3 = s3(sdk);
    s3.create_bucket()
        .bucket("assets")
        .send()
        .await
        .expect("bucket");
    s3.put_object()
        .bucket("assets")
        .key("handler.zip")
        .body(ByteStream::from_static(b"PK"))
        .send()
        .await
        .expect("object");
    let stack = app::stack(&app::default_props()).expect("synth");
    let parameter = |key: &str, value: &str| {
        Parameter::builder()
            .parameter_key(key)
            .parameter_value(value)
            .build()
    };
    aws_sdk_cloudformation::Client::new(sdk)
        .create_stack()
        .stack_name(name)
        .template_body(stack.to_yaml().expect("yaml"))
        .parameters(parameter("ArtifactBucket", "assets"))
        .parameters(parameter("ArtifactKey", "handler.zip"))
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .expect("CreateStack");
    stack
}

/// A scratch directory for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = workspace::target_dir().join("test-scratch").join(test);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The configuration of a trailwatch.toml holding `text`, then the flags.
pub fn config_file(test: &str, text: &str, args: ConfigArgs) -> Config {
    let file = scratch(test).join("trailwatch.toml");
    std::fs::write(&file, text).expect("config file");
    config::load(&ConfigArgs {
        config: Some(file),
        ..args
    })
    .expect("valid config")
}

/// The synth output of `config`, with a small stand-in for the handler binary
/// (the emulator never runs it).
pub fn assembly(test: &str, config: &Config) -> Assembly {
    let dir = scratch(test);
    std::fs::write(dir.join("bootstrap"), b"#!/bin/sh\n").expect("binary");
    assembly::write(&dir.join("synth"), config, Some(&dir.join("bootstrap"))).expect("synth")
}

/// The handler as Lambda runs it, synthesised from `config` for one test.
pub fn local_handler(test: &str, config: &Config) -> LocalHandler {
    let binary = artifact::built().expect(
        "no handler binary: run `cargo xtask build` (cargo xtask test does) before these tests",
    );
    if let Err(error) = tools::ensure_qemu() {
        panic!("cannot run the arm64 handler here, so this test cannot prove it works: {error:#}");
    }
    let dir = workspace::target_dir().join("test-scratch").join(test);
    LocalHandler::prepare(config, &binary, &dir).expect("synth and unpack")
}

/// The demo of `samples` on a new emulator, `handler` running `config`'s
/// deployed stack, blocking the test's thread until it ends.
pub fn demo_on_emulator(
    config: &Config,
    handler: LocalHandler,
    samples: &[(String, serde_json::Value)],
) -> Report {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let emulator = Emulator::start().expect("emulator");
        let sdk = emulator.sdk_config().await;
        demo::run(&sdk, emulator.endpoint(), config, handler, samples)
            .await
            .expect("demo run")
    })
}
