//! Asset publishing: the assets stack (one bucket per account and region) and the
//! handler zip uploaded under its sha256 key only when that key is absent.

use contract::outputs;
use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use sha2::{Digest, Sha256};
use template::assets::assets_stack;

use crate::deploy::assembly::MAX_TEMPLATE_BODY_BYTES;

use crate::aws::explain;
use crate::deploy::artifact::Artifact;
use crate::deploy::changes::Approval;
use crate::deploy::cloudformation::{Driver, StackSpec, Template};
use crate::terminal;

/// Name of the assets stack in every account and region.
pub const ASSETS_STACK: &str = "trailwatch-assets";

/// Where an artifact lives in S3, and whether this run uploaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub bucket: String,
    pub key: String,
    pub uploaded: bool,
}

/// The content-addressed key of an artifact.
pub(crate) fn key_of(artifact: &Artifact) -> String {
    format!("handler/{}.zip", artifact.sha256)
}

/// Makes sure the assets stack exists (deploying it if needed) and returns its bucket.
pub(crate) async fn bucket(driver: &Driver, approval: Approval) -> Result<String> {
    let spec = StackSpec {
        name: ASSETS_STACK.to_owned(),
        template: Template::Body(assets_stack().to_yaml()?),
        parameters: Default::default(),
        tags: [("project".to_owned(), "trailwatch".to_owned())].into(),
    };
    let deployed = driver.deploy(&spec, approval).await?;
    deployed
        .outputs
        .get(outputs::ASSETS_BUCKET_NAME)
        .cloned()
        .with_context(|| {
            format!(
                "the {ASSETS_STACK} stack has no {} output",
                outputs::ASSETS_BUCKET_NAME
            )
        })
}

/// The template as CloudFormation should take it: in the request when it
/// fits, else uploaded under its sha256 (unless already there) and named by URL.
pub(crate) async fn template(
    s3: &Client,
    bucket: &str,
    region: &str,
    yaml: &str,
) -> Result<Template> {
    if yaml.len() <= MAX_TEMPLATE_BODY_BYTES {
        return Ok(Template::Body(yaml.to_owned()));
    }
    upload_template(s3, bucket, region, yaml)
        .await
        .map(Template::Url)
}

/// The template as CloudFormation takes it for a stack in `driver`'s region:
/// in the request when it fits, else by URL from that region's own assets
/// bucket. Older CloudFormation references ask for the template's bucket to
/// be in the stack's region, current ones name no region: a bucket in the
/// stack's region satisfies both. `approval` allows deploying the region's
/// assets stack; without it (diff) only an existing bucket is used.
pub(crate) async fn regional_template(
    driver: &Driver,
    s3: &Client,
    region: &str,
    yaml: &str,
    approval: Option<Approval>,
) -> Result<Template> {
    if yaml.len() <= MAX_TEMPLATE_BODY_BYTES {
        return Ok(Template::Body(yaml.to_owned()));
    }
    let bucket = match approval {
        Some(approval) => bucket(driver, approval).await?,
        None => driver
            .outputs(ASSETS_STACK)
            .await?
            .remove(outputs::ASSETS_BUCKET_NAME)
            .with_context(|| {
                format!(
                    "the forwarder template is {} bytes, over the {MAX_TEMPLATE_BODY_BYTES} a request holds, \
                     and {region} has no {ASSETS_STACK} bucket to read it from yet: deploy creates it",
                    yaml.len()
                )
            })?,
    };
    upload_template(s3, &bucket, region, yaml)
        .await
        .map(Template::Url)
}

/// Uploads the template under its sha256 (unless already there); its URL.
pub(crate) async fn upload_template(
    s3: &Client,
    bucket: &str,
    region: &str,
    yaml: &str,
) -> Result<String> {
    let key = format!("templates/{}.yaml", hex::encode(Sha256::digest(yaml)));
    if !exists(s3, bucket, &key).await? {
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .body(ByteStream::from(yaml.as_bytes().to_vec()))
            .send()
            .await
            .map_err(|e| explain("PutObject", e))?;
    }
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Ok(format!("https://{bucket}.s3.{region}.{suffix}/{key}"))
}

async fn exists(s3: &Client, bucket: &str, key: &str) -> Result<bool> {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => Ok(true),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(false),
        Err(error) => Err(explain("HeadObject", error)),
    }
}

/// Uploads the artifact unless its key is already there.
pub async fn publish(s3: &Client, bucket: &str, artifact: &Artifact) -> Result<Published> {
    let key = key_of(artifact);
    let present = exists(s3, bucket, &key).await?;
    if !present {
        eprintln!(
            "assets: uploading {} to s3://{bucket}/{key}",
            artifact.path.display()
        );
        let body = ByteStream::from_path(&artifact.path)
            .await
            .with_context(|| format!("reading {}", artifact.path.display()))?;
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .body(body)
            .send()
            .await
            .map_err(|e| explain("PutObject", e))?;
    } else {
        eprintln!("assets: s3://{bucket}/{key} already present, not uploading");
    }
    Ok(Published {
        bucket: bucket.to_owned(),
        key,
        uploaded: !present,
    })
}

/// Prefixes of what deploy uploads: handler zips and large templates.
const ARTIFACT_PREFIXES: [&str; 2] = ["handler/", "templates/"];

/// Deletes the artifacts no stack references (`in_use`) that were uploaded
/// before `cutoff` (so a deploy running meanwhile keeps what it just uploaded);
/// returns how many. The bucket is versioned: each becomes a noncurrent version,
/// which the bucket's lifecycle rule expires 30 days later. Content-addressed keys
/// never become noncurrent otherwise, so without this the bucket only grows.
/// A stack's referenced zip is what a failed update rolls back to: it is kept.
pub async fn prune(
    s3: &Client,
    bucket: &str,
    in_use: &BTreeSet<String>,
    cutoff: DateTime,
) -> Result<usize> {
    let mut stale = Vec::new();
    for prefix in ARTIFACT_PREFIXES {
        let mut pages = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| explain("ListObjectsV2", e))?;
            stale.extend(
                page.contents()
                    .iter()
                    .filter(|o| o.last_modified().is_some_and(|t| t.secs() < cutoff.secs()))
                    .filter_map(|o| o.key())
                    .filter(|key| !in_use.contains(*key))
                    .filter_map(|key| ObjectIdentifier::builder().key(key).build().ok()),
            );
        }
    }
    let count = stale.len();
    for batch in stale.chunks(1_000) {
        delete(s3, bucket, batch.to_vec()).await?;
    }
    Ok(count)
}

/// Deletes every object version and delete marker in `bucket`, page by page;
/// returns how many were deleted. Stops at the first page S3 could not fully
/// delete (Object Lock retention, a denying policy), naming the objects and
/// reasons, so the bucket is never emptied forever in a loop.
pub async fn empty(s3: &Client, bucket: &str) -> Result<usize> {
    let mut deleted = 0;
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let listed = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| explain("ListObjectVersions", e))?;
        let objects = versions(&listed);
        if !objects.is_empty() {
            deleted += objects.len();
            delete(s3, bucket, objects).await?;
        }
        if listed.is_truncated() != Some(true) {
            return Ok(deleted);
        }
        key_marker = listed.next_key_marker().map(str::to_owned);
        version_marker = listed.next_version_id_marker().map(str::to_owned);
    }
}

/// Every version and delete marker of one listing page.
fn versions(listed: &ListObjectVersionsOutput) -> Vec<ObjectIdentifier> {
    let versions = listed.versions().iter().map(|v| (v.key(), v.version_id()));
    let markers = listed
        .delete_markers()
        .iter()
        .map(|m| (m.key(), m.version_id()));
    versions
        .chain(markers)
        .filter_map(|(key, version)| {
            ObjectIdentifier::builder()
                .key(key?)
                .set_version_id(version.map(str::to_owned))
                .build()
                .ok()
        })
        .collect()
}

/// Deletes up to 1,000 object versions (one listing page); fails naming each
/// one S3 refused.
async fn delete(s3: &Client, bucket: &str, objects: Vec<ObjectIdentifier>) -> Result<()> {
    let output = s3
        .delete_objects()
        .bucket(bucket)
        .delete(
            Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()?,
        )
        .send()
        .await
        .map_err(|e| explain("DeleteObjects", e))?;
    let refused: Vec<String> = output
        .errors()
        .iter()
        .map(|e| {
            format!(
                "\n  - {} (version {}): {} {}",
                terminal::value(e.key().unwrap_or("?")),
                terminal::value(e.version_id().unwrap_or("null")),
                terminal::value(e.code().unwrap_or("?")),
                terminal::value(e.message().unwrap_or_default()),
            )
        })
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    bail!(
        "S3 refused to delete {} objects of {bucket}:{}\nThe bucket and the {ASSETS_STACK} stack are kept. Remove what holds them (Object Lock retention, a denying bucket policy, missing s3:DeleteObjectVersion), then run destroy --purge-assets again",
        refused.len(),
        refused.concat()
    )
}
