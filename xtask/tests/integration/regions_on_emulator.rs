//! Home plus forwarders in several regions against the local emulator (one
//! server answers every region), through the same code a real account uses.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use aws_config::{Region, SdkConfig};
use serde_json::Value;
use xtask::config::regions::Regions;
use xtask::config::{Config, ConfigArgs};
use xtask::deploy::changes::Approval;
use xtask::deploy::forwarders::{Outcome, RegionOutcome};
use xtask::deploy::{self, Report, Session};
use xtask::local::emulator::Emulator;
use xtask::workspace;

const POLL: Duration = Duration::from_millis(20);
const HOME: &str = "us-east-1";

/// A home in us-east-1 with forwarders in `regions`.
fn config(test: &str, regions: &[&str]) -> Config {
    common::config_file(
        test,
        "",
        ConfigArgs {
            region: Some(HOME.into()),
            regions: Some(Regions::Listed(
                regions.iter().map(|r| (*r).to_owned()).collect(),
            )),
            ..ConfigArgs::default()
        },
    )
}

async fn deploy(session: &Session, test: &str, config: &Config) -> Report {
    let assembly = common::assembly(test, config);
    deploy::deploy(session, config, &assembly, Approval::Given)
        .await
        .expect("deploy")
}

fn in_region(sdk: &SdkConfig, region: &str) -> SdkConfig {
    sdk.to_builder()
        .region(Region::new(region.to_owned()))
        .build()
}

/// Each rule on the default bus of `region` with its targets' ARNs and pattern.
async fn rules(sdk: &SdkConfig, region: &str) -> Vec<(String, Vec<String>, Value)> {
    let events = aws_sdk_eventbridge::Client::new(&in_region(sdk, region));
    let listed = events.list_rules().send().await.expect("ListRules");
    let mut rules = Vec::new();
    for rule in listed.rules() {
        let name = rule.name().unwrap_or_default().to_owned();
        let targets = events
            .list_targets_by_rule()
            .rule(&name)
            .send()
            .await
            .expect("ListTargetsByRule");
        let arns = targets
            .targets()
            .iter()
            .map(|t| t.arn().to_owned())
            .collect();
        let pattern = serde_json::from_str(rule.event_pattern().unwrap_or("{}")).expect("pattern");
        rules.push((name, arns, pattern));
    }
    rules
}

fn sources(rules: &[(String, Vec<String>, Value)]) -> BTreeSet<String> {
    rules
        .iter()
        .flat_map(|(_, _, pattern)| {
            pattern["$or"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![pattern.clone()])
        })
        .flat_map(|branch| branch["source"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

async fn stack_exists(sdk: &SdkConfig, region: &str, name: &str) -> bool {
    let driver = xtask::deploy::cloudformation::Driver::new(
        aws_sdk_cloudformation::Client::new(&in_region(sdk, region)),
        POLL,
    );
    driver.status(name).await.expect("status").is_some()
}

fn deployed(region: &str) -> RegionOutcome {
    RegionOutcome {
        region: region.into(),
        result: Outcome::Deployed { changes: 0 },
    }
}

/// Outcomes with the change counts left out, for comparing.
fn results(report: &Report) -> Vec<RegionOutcome> {
    report
        .forwarders
        .iter()
        .map(|o| match o.result {
            Outcome::Deployed { .. } => deployed(&o.region),
            _ => o.clone(),
        })
        .collect()
}

#[tokio::test]
async fn each_forwarders_rules_target_the_home_bus_and_global_services_only_in_us_east_1() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let session = Session::new(&sdk, POLL);
    let config = config("three_regions", &["eu-west-1", "ap-southeast-2"]);

    let report = deploy(&session, "three_regions", &config).await;

    assert_eq!(
        results(&report),
        [deployed("ap-southeast-2"), deployed("eu-west-1")]
    );
    let bus = &report.stack.outputs["ForwardingBusArn"];
    assert_eq!(
        bus,
        "arn:aws:events:us-east-1:123456789012:event-bus/trailwatch-forwarded"
    );
    assert_eq!(
        report.stack.outputs["ForwarderRegionList"],
        "ap-southeast-2,eu-west-1"
    );
    for region in ["eu-west-1", "ap-southeast-2"] {
        let rules = rules(&sdk, region).await;
        assert!(!rules.is_empty(), "{region} has forwarder rules");
        for (name, targets, _) in &rules {
            assert_eq!(targets, std::slice::from_ref(bus), "{region} {name}");
        }
        let sources = sources(&rules);
        assert!(
            sources.contains("aws.signin") && sources.contains("aws.cloudtrail"),
            "{region}: {sources:?}"
        );
        assert!(
            !sources.contains("aws.iam") && !sources.contains("aws.organizations"),
            "{region}: {sources:?}"
        );
    }
}

#[tokio::test]
async fn a_home_outside_us_east_1_forwards_global_services_from_us_east_1_only() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = in_region(&emulator.sdk_config().await, "eu-west-1");
    let session = Session::new(&sdk, POLL);
    let config = common::config_file(
        "home_eu",
        "",
        ConfigArgs {
            region: Some("eu-west-1".into()),
            ..ConfigArgs::default()
        },
    );

    let report = deploy(&session, "home_eu", &config).await;

    assert_eq!(results(&report), [deployed("us-east-1")]);
    let sources = sources(&rules(&sdk, "us-east-1").await);
    assert!(
        sources.contains("aws.iam") && sources.contains("aws.organizations"),
        "{sources:?}"
    );
}

#[tokio::test]
async fn a_stop_logging_in_eu_west_1_arrives_on_the_home_bus_with_its_region() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let session = Session::new(&sdk, POLL);
    let config = config("delivery", &["eu-west-1"]);
    let report = deploy(&session, "delivery", &config).await;
    let tap =
        xtask::local::eventbridge::tap_forwarded(&sdk, &report.stack.outputs["ForwardingBusArn"])
            .await
            .expect("tap");

    let mut event: Value = serde_json::from_str(
        &std::fs::read_to_string(samples::path("cloudtrail-change-stop-logging")).expect("sample"),
    )
    .expect("json");
    event["detail"]["awsRegion"] = "eu-west-1".into();
    xtask::local::eventbridge::put(&in_region(&sdk, "eu-west-1"), &event)
        .await
        .expect("PutEvents");

    let arrived = tap.receive().await.expect("receive");
    assert_eq!(arrived.len(), 1);
    assert_eq!(
        (
            arrived[0]["detail"]["eventName"].as_str(),
            arrived[0]["detail"]["awsRegion"].as_str(),
            arrived[0]["detail"]["eventID"].clone()
        ),
        (
            Some("StopLogging"),
            Some("eu-west-1"),
            event["detail"]["eventID"].clone()
        )
    );
}

#[tokio::test]
async fn a_region_dropped_from_the_config_loses_its_forwarder_and_destroy_removes_every_region() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let session = Session::new(&sdk, POLL);
    deploy(
        &session,
        "dropped",
        &config("dropped", &["eu-west-1", "eu-central-1"]),
    )
    .await;

    let narrower = config("dropped", &["eu-west-1"]);
    let report = deploy(&session, "dropped", &narrower).await;

    assert_eq!(
        report.forwarders[0],
        RegionOutcome {
            region: "eu-central-1".into(),
            result: Outcome::Deleted
        }
    );
    assert!(!stack_exists(&sdk, "eu-central-1", "trailwatch-forwarder").await);
    assert!(stack_exists(&sdk, "eu-west-1", "trailwatch-forwarder").await);

    let outcomes = deploy::destroy(&session, &narrower, false)
        .await
        .expect("destroy");

    assert_eq!(
        outcomes,
        [RegionOutcome {
            region: "eu-west-1".into(),
            result: Outcome::Deleted
        }]
    );
    for region in ["eu-west-1", HOME] {
        let name = if region == HOME {
            "trailwatch"
        } else {
            "trailwatch-forwarder"
        };
        assert!(!stack_exists(&sdk, region, name).await, "{region}");
    }
}

/// A new organization (the caller becomes its management account) with an
/// OU under its root; returns their ids.
async fn organization_with_an_ou(sdk: &SdkConfig) -> (String, String) {
    let organizations = aws_sdk_organizations::Client::new(sdk);
    let org = organizations
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("organization");
    let org_id = org
        .organization()
        .and_then(|o| o.id())
        .expect("id")
        .to_owned();
    let root = organizations
        .list_roots()
        .send()
        .await
        .expect("roots")
        .roots()[0]
        .id()
        .expect("root")
        .to_owned();
    let ou = organizations
        .create_organizational_unit()
        .parent_id(&root)
        .name("workloads")
        .send()
        .await
        .expect("OU");
    let ou_id = ou
        .organizational_unit()
        .and_then(|o| o.id())
        .expect("ou")
        .to_owned();
    (org_id, ou_id)
}

#[tokio::test]
async fn an_organization_gets_a_service_managed_stack_set_with_automatic_deployment_to_its_ou() {
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let (org_id, ou_id) = organization_with_an_ou(&sdk).await;
    let config = common::config_file(
        "organization",
        &format!(
            "[organization]\nou_ids = [\"{ou_id}\"]\nregions = [\"us-east-1\", \"eu-west-1\"]\n"
        ),
        ConfigArgs {
            region: Some(HOME.into()),
            ..ConfigArgs::default()
        },
    );
    let session = Session::new(&sdk, POLL);

    let report = deploy(&session, "organization", &config).await;

    let operations = report
        .organization
        .clone()
        .expect("organization report")
        .operations;
    assert_eq!(
        operations,
        [("add instances".to_owned(), "SUCCEEDED".to_owned())]
    );
    assert_eq!(
        results(&report),
        [deployed("eu-west-1")],
        "the management account gets plain forwarders"
    );
    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
    let set = cloudformation
        .describe_stack_set()
        .stack_set_name("trailwatch-forwarder")
        .send()
        .await
        .expect("stack set");
    let set = set.stack_set().expect("stack set");
    assert_eq!(
        set.permission_model(),
        Some(&aws_sdk_cloudformation::types::PermissionModels::ServiceManaged)
    );
    // The emulator does not return AutoDeployment: the request's is checked in
    // stackset_real_aws_behaviours.rs.
    let home = xtask::deploy::cloudformation::Driver::new(cloudformation.clone(), POLL);
    assert_eq!(
        home.parameters("trailwatch").await.expect("parameters")["OrganizationId"],
        org_id
    );
}

/// Every monitor, the README's custom monitor and suppressions, and more
/// custom monitors: a configuration whose forwarder template is over the
/// 51,200 bytes a request holds.
fn tuned(ou_id: &str) -> String {
    let example = std::fs::read_to_string(workspace::root().join("samples/tuning/trailwatch.toml"))
        .expect("the tuning example");
    let mut text = example.replace(
        "monitors = [\"all\"]",
        "monitors = [\"all\"]\nregion = \"us-east-1\"\nregions = [\"eu-west-1\"]",
    );
    for index in 0..12 {
        text.push_str(&format!(
            "\n[[monitor]]\nid = \"custom-{index}\"\ntitle = \"Custom monitor {index}\"\nseverity = \"LOW\"\npattern = '{{\"source\": [\"aws.ec2\"], \"detail-type\": [\"AWS API Call via CloudTrail\"], \"detail\": {{\"eventSource\": [\"ec2.amazonaws.com\"], \"eventName\": [\"CreateCustomerGatewayNumber{index}\", \"DeleteCustomerGatewayNumber{index}\", \"ModifyVpnConnectionNumber{index}\"], \"userIdentity\": {{\"type\": [\"IAMUser\", \"AssumedRole\"]}}}}}}'\n"
        ));
    }
    text.push_str(&format!(
        "\n[organization]\nou_ids = [\"{ou_id}\"]\nregions = [\"us-east-1\", \"eu-west-1\"]\n"
    ));
    text
}

#[tokio::test]
async fn a_tuned_configuration_over_the_request_limit_deploys_forwarders_and_the_stack_set_by_url()
{
    let emulator = Emulator::start().expect("emulator");
    let sdk = emulator.sdk_config().await;
    let (_, ou_id) = organization_with_an_ou(&sdk).await;
    let config = common::config_file("tuned", &tuned(&ou_id), ConfigArgs::default());
    let assembly = common::assembly("tuned", &config);
    let forwarder = assembly.forwarder.clone().expect("a forwarder template");
    assert!(forwarder.len() > 51_200, "{} bytes", forwarder.len());
    let session = Session::new(&sdk, POLL);

    let report = deploy::deploy(&session, &config, &assembly, Approval::Given)
        .await
        .expect("deploy");

    assert_eq!(results(&report), [deployed("eu-west-1")]);
    assert_eq!(
        report.organization.expect("organization report").operations,
        [("add instances".to_owned(), "SUCCEEDED".to_owned())]
    );
    // The forwarder's template was read from the region's own assets bucket.
    let eu = in_region(&sdk, "eu-west-1");
    let assets =
        xtask::deploy::cloudformation::Driver::new(aws_sdk_cloudformation::Client::new(&eu), POLL)
            .outputs(xtask::deploy::assets::ASSETS_STACK)
            .await
            .expect("outputs");
    let bucket = &assets[contract::outputs::ASSETS_BUCKET_NAME];
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&eu)
            .force_path_style(true)
            .build(),
    );
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix("templates/")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.contents().len(), 1);
}
