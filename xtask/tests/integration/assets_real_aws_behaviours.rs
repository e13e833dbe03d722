//! S3 behaviours of real AWS the emulator does not reproduce (Object Lock,
//! per-object refusals, long listings), replayed with aws-smithy-mocks.

use aws_sdk_s3::Client;
use aws_sdk_s3::operation::delete_objects::DeleteObjectsOutput;
use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{Error as S3Error, Object, ObjectVersion};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use xtask::deploy::assets;

fn page(keys: &[&str], next: Option<&str>) -> ListObjectVersionsOutput {
    let mut output = ListObjectVersionsOutput::builder()
        .set_versions(Some(
            keys.iter()
                .map(|key| ObjectVersion::builder().key(*key).version_id("v1").build())
                .collect(),
        ))
        .is_truncated(next.is_some());
    if let Some(next) = next {
        output = output.next_key_marker(next).next_version_id_marker("v1");
    }
    output.build()
}

#[tokio::test]
async fn purging_stops_and_names_the_objects_s3_refuses_to_delete() {
    let list =
        mock!(Client::list_object_versions).then_output(|| page(&["handler/locked.zip"], None));
    let refuse = mock!(Client::delete_objects).then_output(|| {
        DeleteObjectsOutput::builder()
            .errors(
                S3Error::builder()
                    .key("handler/locked.zip")
                    .version_id("v1")
                    .code("AccessDenied")
                    .message("Access Denied because object protected by object lock.")
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&list, &refuse]);

    let error = assets::empty(&client, "assets-bucket")
        .await
        .expect_err("refused");

    assert_eq!((list.num_calls(), refuse.num_calls()), (1, 1));
    let error = error.to_string();
    assert!(
        error.starts_with(
            "S3 refused to delete 1 objects of assets-bucket:\n  - handler/locked.zip (version v1): AccessDenied Access Denied because object protected by object lock."
        ),
        "{error}"
    );
    assert!(
        error.contains("run destroy --purge-assets again"),
        "{error}"
    );
}

#[tokio::test]
async fn purging_pages_through_every_listing_page() {
    let list = mock!(Client::list_object_versions)
        .sequence()
        .output(|| page(&["handler/a.zip", "handler/b.zip"], Some("handler/b.zip")))
        .output(|| page(&["templates/c.yaml"], None))
        .build();
    let delete =
        mock!(Client::delete_objects).then_output(|| DeleteObjectsOutput::builder().build());
    let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&list, &delete]);

    let deleted = assets::empty(&client, "assets-bucket")
        .await
        .expect("emptied");

    assert_eq!((deleted, list.num_calls(), delete.num_calls()), (3, 2, 2));
}

#[tokio::test]
async fn pruning_deletes_only_old_artifacts_no_stack_references() {
    let day = 24 * 60 * 60;
    let now = 1_800_000_000;
    let object = move |key: &str, age: i64| {
        Object::builder()
            .key(key)
            .last_modified(DateTime::from_secs(now - age))
            .build()
    };
    let list = mock!(Client::list_objects_v2)
        .sequence()
        .output(move || {
            ListObjectsV2Output::builder()
                .contents(object("handler/deployed.zip", 90 * day))
                .contents(object("handler/replaced.zip", 40 * day))
                .contents(object("handler/just-uploaded.zip", 60))
                .build()
        })
        .output(move || {
            ListObjectsV2Output::builder()
                .contents(object("templates/old.yaml", 2 * day))
                .build()
        })
        .build();
    let delete = mock!(Client::delete_objects)
        .match_requests(|request| {
            let keys: Vec<&str> = request
                .delete()
                .map(|d| d.objects().iter().map(|o| o.key()).collect())
                .unwrap_or_default();
            keys == ["handler/replaced.zip", "templates/old.yaml"]
        })
        .then_output(|| DeleteObjectsOutput::builder().build());
    let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&list, &delete]);
    let in_use = ["handler/deployed.zip".to_owned()].into();

    let pruned = assets::prune(
        &client,
        "assets-bucket",
        &in_use,
        DateTime::from_secs(now - day),
    )
    .await
    .expect("pruned");

    assert_eq!((pruned, delete.num_calls()), (2, 1));
}
