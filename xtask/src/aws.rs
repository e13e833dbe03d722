//! AWS SDK configuration through the standard resolution (environment, profiles,
//! SSO, `AWS_ENDPOINT_URL`), with one clear sentence when something is missing.

use anyhow::{Result, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::config::ProvideCredentials;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Loads the SDK configuration and checks that a region and credentials exist.
pub async fn load(region: Option<&str>) -> Result<SdkConfig> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_owned()));
    }
    let config = loader.load().await;
    check(&config).await?;
    Ok(config)
}

/// Fails with a fix when the region or the credentials are missing.
pub(crate) async fn check(config: &SdkConfig) -> Result<()> {
    if config.region().is_none() {
        bail!(
            "no AWS region is set: pass --region, set `region` in trailwatch.toml, or export AWS_REGION"
        );
    }
    let Some(provider) = config.credentials_provider() else {
        bail!(
            "no AWS credentials provider is configured: run `aws configure` or `aws sso login`, or export AWS_PROFILE"
        );
    };
    if let Err(error) = provider.provide_credentials().await {
        bail!(
            "no usable AWS credentials ({error}): run `aws configure` or `aws sso login`, or export AWS_PROFILE"
        );
    }
    Ok(())
}

/// The region a configuration resolved to.
pub(crate) fn region(config: &SdkConfig) -> String {
    config
        .region()
        .map_or_else(|| "unknown".to_owned(), ToString::to_string)
}

/// Turns an SDK error into one sentence, recognising expired credentials.
pub(crate) fn explain<E, R>(action: &str, error: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => format!("{}", DisplayErrorContext(&error)),
    };
    if ["ExpiredToken", "RequestExpired", "expired"]
        .iter()
        .any(|needle| detail.contains(needle))
    {
        return anyhow::anyhow!(
            "{action} failed: your AWS credentials have expired; refresh them (for SSO: `aws sso login`) and run the command again"
        );
    }
    anyhow::anyhow!("{action} failed: {detail}")
}

/// The service error message of an SDK error, if it has one.
pub(crate) fn message<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> &str {
    error.message().unwrap_or_default()
}
