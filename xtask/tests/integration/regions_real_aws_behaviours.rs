//! `--regions all` asks Account Management for the enabled regions (the
//! emulator does not serve it), replayed with aws-smithy-mocks.

use aws_sdk_account::Client;
use aws_sdk_account::operation::list_regions::ListRegionsOutput;
use aws_sdk_account::types::{Region, RegionOptStatus};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use xtask::deploy::enabled_regions;

fn region(name: &str) -> Region {
    Region::builder()
        .region_name(name)
        .region_opt_status(RegionOptStatus::Enabled)
        .build()
}

#[tokio::test]
async fn all_means_every_enabled_region_across_pages() {
    let list = mock!(Client::list_regions)
        .match_requests(|request| {
            request.region_opt_status_contains()
                == [RegionOptStatus::Enabled, RegionOptStatus::EnabledByDefault]
        })
        .sequence()
        .output(|| {
            ListRegionsOutput::builder()
                .regions(region("us-east-1"))
                .regions(region("eu-west-1"))
                .next_token("page-2")
                .build()
        })
        .output(|| {
            ListRegionsOutput::builder()
                .regions(region("af-south-1"))
                .build()
        })
        .build();
    let client = mock_client!(aws_sdk_account, RuleMode::Sequential, [&list]);

    let regions = enabled_regions(&client).await.expect("regions");

    assert_eq!(
        regions.into_iter().collect::<Vec<_>>(),
        ["af-south-1", "eu-west-1", "us-east-1"]
    );
}

#[tokio::test]
async fn no_enabled_region_is_an_error_asking_for_a_list() {
    let list = mock!(Client::list_regions).then_output(|| ListRegionsOutput::builder().build());
    let client = mock_client!(aws_sdk_account, RuleMode::Sequential, [&list]);

    let error = enabled_regions(&client).await.expect_err("empty");

    assert!(
        format!("{error}").contains("list the regions instead of `all`"),
        "{error}"
    );
}
