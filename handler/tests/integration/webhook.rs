//! Direct webhooks: the message posted, a refusal named without the URL, a
//! secret that is not an https URL refused, the URL read once.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{judge, raw, sample};
use contract::WebhookKind;
use handler::chat::{Summary, slack};
use handler::webhook::{UrlSource, Webhook};
use serde_json::Value;

/// A secret store holding `url`, counting reads.
struct Stored {
    url: String,
    reads: Arc<AtomicUsize>,
}

impl UrlSource for Stored {
    async fn url(&self) -> Result<String, String> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.url.clone())
    }
}

/// A local server answering each request with `status` and `body`; returns its
/// URL and the requests it received (content type, body).
fn server(
    status: u16,
    body: &'static str,
) -> (String, std::sync::mpsc::Receiver<(String, String)>) {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("server");
    let url = format!(
        "http://{}/services/T000/B000/SECRETPART",
        server.server_addr()
    );
    let (sender, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let content_type = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("content-type"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            let mut text = String::new();
            let _ = request.as_reader().read_to_string(&mut text);
            let _ = sender.send((content_type, text));
            let _ =
                request.respond(tiny_http::Response::from_string(body).with_status_code(status));
        }
    });
    (url, received)
}

fn summary() -> Summary {
    Summary::of(&judge(&raw(&sample(
        "ec2-ingress-legacy-ssh-from-internet",
    ))))
}

fn stored(url: &str) -> (Stored, Arc<AtomicUsize>) {
    let reads = Arc::new(AtomicUsize::new(0));
    (
        Stored {
            url: url.to_owned(),
            reads: reads.clone(),
        },
        reads,
    )
}

#[tokio::test]
async fn the_slack_message_is_posted_as_json_and_the_url_read_once() {
    let (url, received) = server(200, "ok");
    let (source, reads) = stored(&url);
    let webhook = Webhook::allowing_http(WebhookKind::Slack, source).expect("webhook");

    webhook.post(&summary()).await.expect("posted");
    webhook.post(&summary()).await.expect("posted again");

    let (content_type, body) = received.recv().expect("a request");
    assert_eq!(content_type, "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON"),
        slack(&summary())
    );
    assert_eq!(reads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refusal_is_named_with_its_status_and_never_the_url() {
    let (url, _received) = server(400, "invalid_payload");
    let (source, _) = stored(&url);
    let webhook = Webhook::allowing_http(WebhookKind::Teams, source).expect("webhook");

    let error = webhook
        .post(&summary())
        .await
        .expect_err("refused")
        .to_string();

    assert_eq!(
        error,
        "publishing the chat notification failed: the webhook answered HTTP 400 Bad Request: invalid_payload"
    );
    assert!(!error.contains("SECRETPART"));
}

#[tokio::test]
async fn a_secret_that_is_not_an_https_url_is_refused_without_showing_it() {
    let (source, _) = stored("http://hooks.example.com/services/SECRETPART");
    let webhook = Webhook::new(WebhookKind::Slack, source).expect("webhook");

    let error = webhook
        .post(&summary())
        .await
        .expect_err("refused")
        .to_string();

    assert_eq!(
        error,
        "publishing the chat notification failed: the webhook secret does not hold an https:// URL"
    );
}

#[tokio::test]
async fn the_url_is_the_secrets_string_trimmed_and_a_refused_read_is_named() {
    use aws_sdk_secretsmanager::operation::get_secret_value::{
        GetSecretValueError, GetSecretValueOutput,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use handler::webhook::Secret;

    let value = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_output(|| {
        GetSecretValueOutput::builder()
            .secret_string("https://hooks.slack.com/services/T000/B000/XXXX\n")
            .build()
    });
    let secret = Secret {
        client: mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, [&value]),
        id: "arn:aws:secretsmanager:us-east-1:111122223333:secret:trailwatch/slack-AbCdEf"
            .to_owned(),
    };
    assert_eq!(
        secret.url().await.as_deref(),
        Ok("https://hooks.slack.com/services/T000/B000/XXXX")
    );

    let denied = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_error(|| {
        GetSecretValueError::generic(
            aws_sdk_secretsmanager::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform secretsmanager:GetSecretValue")
                .build(),
        )
    });
    let secret = Secret {
        client: mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, [&denied]),
        id: "trailwatch/slack".to_owned(),
    };
    let error = secret.url().await.expect_err("denied");
    assert!(
        error.starts_with("reading the webhook secret failed:")
            && error.contains("AccessDeniedException"),
        "{error}"
    );
}
