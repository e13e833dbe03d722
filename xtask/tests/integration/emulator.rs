//! The local AWS emulator harness: starts, answers, resets, and leaves nothing behind.

use std::net::TcpStream;
use std::path::Path;

use aws_sdk_sns::Client;
use xtask::local::emulator::{ACCOUNT, Emulator, REGION};

#[tokio::test]
async fn emulator_answers_sns_create_topic_and_is_gone_after_drop() {
    let emulator = Emulator::start().expect("emulator starts");
    let pid = emulator.pid();
    let address = emulator.endpoint().trim_start_matches("http://").to_owned();
    let sns = Client::new(&emulator.sdk_config().await);

    let topic = sns
        .create_topic()
        .name("trailwatch-probe")
        .send()
        .await
        .expect("CreateTopic succeeds");

    assert_eq!(
        topic.topic_arn(),
        Some(format!("arn:aws:sns:{REGION}:{ACCOUNT}:trailwatch-probe").as_str())
    );
    drop(emulator);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "moto process {pid} still exists"
    );
    assert!(
        TcpStream::connect(&address).is_err(),
        "{address} still accepts connections"
    );
}

#[tokio::test]
async fn reset_clears_created_resources() {
    let emulator = Emulator::start().expect("emulator starts");
    let sns = Client::new(&emulator.sdk_config().await);
    sns.create_topic()
        .name("before-reset")
        .send()
        .await
        .expect("CreateTopic succeeds");

    emulator.reset().expect("reset succeeds");

    let topics = sns.list_topics().send().await.expect("ListTopics succeeds");
    assert_eq!(topics.topics(), &[]);
}
