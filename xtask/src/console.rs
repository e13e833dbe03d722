//! Console launch for teams without a Rust toolchain: the template and the
//! handler zip in the assets bucket, and a CloudFormation quick-create link
//! whose form is filled with them.

use contract::parameters;
use std::collections::BTreeMap;

use anyhow::Result;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::deploy::Session;
use crate::deploy::assembly::Assembly;
use crate::deploy::assets;
use crate::deploy::changes::Approval;

/// What was published, and the link that launches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub template_url: String,
    pub bucket: String,
    pub key: String,
    pub link: String,
}

/// Uploads the synth output's template and handler zip to the assets bucket
/// (creating its stack if needed) and returns the quick-create link for a
/// stack named `stack`.
pub async fn publish(
    session: &Session,
    stack: &str,
    assembly: &Assembly,
    approval: Approval,
) -> Result<Launch> {
    let handler = assembly.handler_zip()?;
    let bucket = assets::bucket(&session.driver, approval).await?;
    let zip = assets::publish(&session.s3, &bucket, handler).await?;
    let template_url =
        assets::upload_template(&session.s3, &bucket, &session.region, &assembly.template).await?;
    let parameters = BTreeMap::from([
        (parameters::ARTIFACT_BUCKET, zip.bucket.as_str()),
        (parameters::ARTIFACT_KEY, zip.key.as_str()),
    ]);
    let link = quick_create_link(&session.region, &template_url, stack, &parameters);
    Ok(Launch {
        template_url,
        bucket: zip.bucket.clone(),
        key: zip.key,
        link,
    })
}

/// A CloudFormation console link that opens the create-stack review page
/// filled with the template, the stack name and `parameters` (`param_NAME`),
/// each value percent-encoded.
pub(crate) fn quick_create_link(
    region: &str,
    template_url: &str,
    stack: &str,
    parameters: &BTreeMap<&str, &str>,
) -> String {
    let encode = |value: &str| utf8_percent_encode(value, NON_ALPHANUMERIC).to_string();
    let mut link = format!(
        "https://{region}.console.aws.amazon.com/cloudformation/home?region={region}#/stacks/create/review?templateURL={}&stackName={}",
        encode(template_url),
        encode(stack)
    );
    for (name, value) in parameters {
        link.push_str(&format!("&param_{name}={}", encode(value)));
    }
    link
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::quick_create_link;

    #[test]
    fn the_link_opens_the_review_page_with_every_value_percent_encoded() {
        let parameters = BTreeMap::from([
            (
                contract::parameters::ARTIFACT_BUCKET,
                "trailwatch-assets-bucket-1a2b",
            ),
            (contract::parameters::ARTIFACT_KEY, "handler/3f.zip"),
        ]);
        assert_eq!(
            quick_create_link(
                "eu-west-1",
                "https://trailwatch-assets-bucket-1a2b.s3.eu-west-1.amazonaws.com/templates/9c.yaml",
                "trailwatch",
                &parameters
            ),
            "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/create/review\
             ?templateURL=https%3A%2F%2Ftrailwatch%2Dassets%2Dbucket%2D1a2b%2Es3%2Eeu%2Dwest%2D1%2Eamazonaws%2Ecom%2Ftemplates%2F9c%2Eyaml\
             &stackName=trailwatch\
             &param_ArtifactBucket=trailwatch%2Dassets%2Dbucket%2D1a2b\
             &param_ArtifactKey=handler%2F3f%2Ezip"
        );
    }
}
