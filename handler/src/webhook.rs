//! Direct chat webhooks: a Slack incoming webhook or a Microsoft Teams
//! Workflows webhook, whose URL (a credential: anyone holding it can post)
//! lives in AWS Secrets Manager. The handler reads it once per execution
//! environment and never logs it or puts it in an error.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use contract::WebhookKind;

use crate::chat::{self, Summary};

/// Longest a webhook post may take, secret read included.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Most bytes of a refusal's body quoted in the error.
const MAX_QUOTED_BYTES: usize = 200;

/// A webhook post failed: why, never the URL (it is a credential).
#[derive(Debug, thiserror::Error)]
#[error("publishing the chat notification failed: {why}")]
pub struct WebhookError {
    /// What went wrong, in words.
    pub why: String,
}

/// The message body a webhook of `kind` takes for `summary`.
fn body(kind: WebhookKind, summary: &Summary) -> String {
    match kind {
        WebhookKind::Slack => chat::slack(summary),
        WebhookKind::Teams => chat::teams(summary),
    }
    .to_string()
}

/// Somewhere a webhook's URL comes from.
pub trait UrlSource {
    /// The URL, as stored.
    fn url(&self) -> impl std::future::Future<Output = Result<String, String>> + Send;
}

/// A secret in AWS Secrets Manager whose value is the webhook URL.
#[derive(Debug, Clone)]
pub struct Secret {
    pub client: aws_sdk_secretsmanager::Client,
    pub id: String,
}

impl UrlSource for Secret {
    async fn url(&self) -> Result<String, String> {
        let value = self
            .client
            .get_secret_value()
            .secret_id(&self.id)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "reading the webhook secret failed: {}",
                    aws_sdk_secretsmanager::Error::from(e)
                )
            })?;
        value
            .secret_string()
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| "the webhook secret holds no SecretString".to_owned())
    }
}

/// Posts chat messages to one webhook.
pub struct Webhook<S> {
    kind: WebhookKind,
    source: S,
    url: Mutex<Option<String>>,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    https_only: bool,
}

impl<S: UrlSource> Webhook<S> {
    /// A webhook of `kind` whose URL `source` holds, reached over HTTPS only.
    pub fn new(kind: WebhookKind, source: S) -> Result<Self, String> {
        Self::build(kind, source, true)
    }

    /// The same, also reaching plain `http://` URLs: for a local test server.
    pub fn allowing_http(kind: WebhookKind, source: S) -> Result<Self, String> {
        Self::build(kind, source, false)
    }

    fn build(kind: WebhookKind, source: S, https_only: bool) -> Result<Self, String> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| format!("loading the system's CA certificates failed: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            kind,
            source,
            url: Mutex::new(None),
            client: Client::builder(TokioExecutor::new()).build(connector),
            https_only,
        })
    }

    /// Posts `summary`; the URL is read on first use and kept.
    pub async fn post(&self, summary: &Summary) -> Result<(), WebhookError> {
        let fail = |why: String| WebhookError { why };
        tokio::time::timeout(TIMEOUT, self.send(summary))
            .await
            .map_err(|_| {
                fail(format!(
                    "the webhook did not answer within {} s",
                    TIMEOUT.as_secs()
                ))
            })?
            .map_err(fail)
    }

    async fn send(&self, summary: &Summary) -> Result<(), String> {
        let url = self.url().await?;
        let request = http::Request::post(url.as_str())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body(self.kind, summary))))
            // The URL is a credential: say what is wrong, never what it is.
            .map_err(|_| "the webhook secret does not hold a valid URL".to_owned())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("posting to the webhook failed: {e}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let quoted =
            String::from_utf8_lossy(&body[..body.len().min(MAX_QUOTED_BYTES)]).into_owned();
        Err(format!("the webhook answered HTTP {status}: {quoted}"))
    }

    async fn url(&self) -> Result<String, String> {
        if let Some(url) = self.url.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(url);
        }
        let url = self.source.url().await?;
        let scheme_ok =
            url.starts_with("https://") || (!self.https_only && url.starts_with("http://"));
        if !scheme_ok {
            return Err("the webhook secret does not hold an https:// URL".to_owned());
        }
        *self.url.lock().unwrap_or_else(|p| p.into_inner()) = Some(url.clone());
        Ok(url)
    }
}
