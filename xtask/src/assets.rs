//! Asset publishing: the assets stack (one bucket per account and region) and the
//! handler zip uploaded under its sha256 key only when that key is absent.

use anyhow::{Context, Result};
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use sha2::{Digest, Sha256};
use template::assets::{BUCKET_OUTPUT, assets_stack};

use crate::assembly::MAX_TEMPLATE_BODY_BYTES;

use crate::artifact::Artifact;
use crate::aws::explain;
use crate::cloudformation::{Approval, Driver, StackSpec, Template};

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
pub fn key_of(artifact: &Artifact) -> String {
    format!("handler/{}.zip", artifact.sha256)
}

/// Makes sure the assets stack exists (deploying it if needed) and returns its bucket.
pub async fn bucket(driver: &Driver, approval: Approval) -> Result<String> {
    let spec = StackSpec {
        name: ASSETS_STACK.to_owned(),
        template: Template::Body(assets_stack().to_yaml()?),
        parameters: Default::default(),
        tags: [("project".to_owned(), "trailwatch".to_owned())].into(),
    };
    let deployed = driver.deploy(&spec, approval).await?;
    deployed
        .outputs
        .get(BUCKET_OUTPUT)
        .cloned()
        .with_context(|| format!("the {ASSETS_STACK} stack has no {BUCKET_OUTPUT} output"))
}

/// The template as CloudFormation should take it: in the request when it
/// fits, else uploaded under its sha256 (unless already there) and named by URL.
pub async fn template(s3: &Client, bucket: &str, region: &str, yaml: &str) -> Result<Template> {
    if yaml.len() <= MAX_TEMPLATE_BODY_BYTES {
        return Ok(Template::Body(yaml.to_owned()));
    }
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
    Ok(Template::Url(format!(
        "https://{bucket}.s3.{region}.{suffix}/{key}"
    )))
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
