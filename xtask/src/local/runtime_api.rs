//! A local Lambda Runtime API on 127.0.0.1, served by xtask itself, so the real
//! handler binary (native, or arm64 under qemu-user) runs as Lambda runs it.
//!
//! Chosen over `cargo lambda watch --only-lambda-apis` because that command
//! builds and supervises the function itself and is driven by HTTP invokes; here
//! the tests need to run a given binary (the zip deploy uploads) and see each
//! invocation's response or error directly.

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use tiny_http::{Header, Method, Response, Server};

const PREFIX: &str = "/2018-06-01/runtime";

/// What an invocation ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handler returned this response.
    Response(Value),
    /// The handler reported this error (Lambda would retry, then use the on-failure destination).
    Error(Value),
}

#[derive(Default)]
struct Results {
    done: Mutex<HashMap<String, Outcome>>,
    ready: Condvar,
    init_error: Mutex<Option<Value>>,
    first_poll: Mutex<Option<Instant>>,
}

/// A running Runtime API.
pub struct RuntimeApi {
    server: Arc<Server>,
    address: String,
    events: Mutex<Sender<(String, Value)>>,
    results: Arc<Results>,
    next_id: AtomicU64,
    thread: Option<JoinHandle<()>>,
}

impl RuntimeApi {
    /// Serves on a free port of 127.0.0.1.
    pub fn start() -> Result<Self> {
        let server = Arc::new(
            Server::http("127.0.0.1:0").map_err(|e| anyhow!("starting the Runtime API: {e}"))?,
        );
        let address = server
            .server_addr()
            .to_ip()
            .context("Runtime API address")?
            .to_string();
        let (events, pending) = channel();
        let results = Arc::new(Results::default());
        let thread = {
            let (server, results) = (Arc::clone(&server), Arc::clone(&results));
            let pending = Arc::new(Mutex::new(pending));
            thread::spawn(move || serve(&server, &pending, &results))
        };
        Ok(Self {
            server,
            address,
            events: Mutex::new(events),
            results,
            next_id: AtomicU64::new(1),
            thread: Some(thread),
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub(crate) fn address(&self) -> &str {
        &self.address
    }

    /// Hands `event` to the next `/invocation/next` poll and waits for its outcome.
    pub fn invoke(&self, event: &Value, timeout: Duration) -> Result<Outcome> {
        let id = format!(
            "invocation-{}",
            self.next_id.fetch_add(1, Ordering::Relaxed)
        );
        self.events
            .lock()
            .map_err(|_| anyhow!("Runtime API lock poisoned"))?
            .send((id.clone(), event.clone()))
            .context("Runtime API stopped")?;
        let deadline = Instant::now() + timeout;
        let mut done = self
            .results
            .done
            .lock()
            .map_err(|_| anyhow!("Runtime API lock poisoned"))?;
        loop {
            if let Some(outcome) = done.remove(&id) {
                return Ok(outcome);
            }
            self.check_init()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("the handler did not answer invocation {id} within {timeout:?}");
            }
            done = self
                .results
                .ready
                .wait_timeout(done, left.min(Duration::from_millis(100)))
                .map_err(|_| anyhow!("lock poisoned"))?
                .0;
        }
    }
}

impl RuntimeApi {
    /// When the handler first asked for an invocation (its init is done then).
    pub(crate) fn wait_first_poll(&self, timeout: Duration) -> Result<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = *self
                .results
                .first_poll
                .lock()
                .map_err(|_| anyhow!("lock poisoned"))?
            {
                return Ok(at);
            }
            self.check_init()?;
            if Instant::now() >= deadline {
                bail!("the handler did not poll for an invocation within {timeout:?}");
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

impl RuntimeApi {
    /// Fails when the handler reported an init error.
    fn check_init(&self) -> Result<()> {
        match self
            .results
            .init_error
            .lock()
            .map_err(|_| anyhow!("lock poisoned"))?
            .as_ref()
        {
            Some(error) => bail!("the handler failed to start: {error}"),
            None => Ok(()),
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    server: &Arc<Server>,
    pending: &Arc<Mutex<Receiver<(String, Value)>>>,
    results: &Arc<Results>,
) {
    for request in server.incoming_requests() {
        let (pending, results) = (Arc::clone(pending), Arc::clone(results));
        // `next` blocks until an event arrives: answer each request on its own thread.
        thread::spawn(move || answer(request, &pending, &results));
    }
}

fn answer(
    mut request: tiny_http::Request,
    pending: &Mutex<Receiver<(String, Value)>>,
    results: &Results,
) {
    let url = request.url().to_owned();
    let path = url.strip_prefix(PREFIX).unwrap_or(&url).to_owned();
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let parsed = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let response = match (
        request.method(),
        path.split('/').collect::<Vec<_>>().as_slice(),
    ) {
        (Method::Get, ["", "invocation", "next"]) => match next_event(pending, results) {
            Some((id, event)) => {
                let deadline = (std::time::SystemTime::now() + Duration::from_secs(10))
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or_default()
                    .to_string();
                let mut response = Response::from_string(event.to_string());
                for (name, value) in [
                    ("Lambda-Runtime-Aws-Request-Id", id.as_str()),
                    ("Lambda-Runtime-Deadline-Ms", deadline.as_str()),
                    (
                        "Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:trailwatch-local",
                    ),
                    (
                        "Lambda-Runtime-Trace-Id",
                        "Root=1-00000000-000000000000000000000000",
                    ),
                    ("Content-Type", "application/json"),
                ] {
                    if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                        response.add_header(header);
                    }
                }
                response
            }
            None => Response::from_string("shutting down").with_status_code(503),
        },
        (Method::Post, ["", "invocation", id, "response"]) => {
            record(results, id, Outcome::Response(parsed))
        }
        (Method::Post, ["", "invocation", id, "error"]) => {
            record(results, id, Outcome::Error(parsed))
        }
        (Method::Post, ["", "init", "error"]) => {
            if let Ok(mut slot) = results.init_error.lock() {
                *slot = Some(parsed);
            }
            results.ready.notify_all();
            Response::from_string("{}").with_status_code(202)
        }
        _ => Response::from_string("not found").with_status_code(404),
    };
    let _ = request.respond(response);
}

/// Records the first poll (the end of the handler's init), then waits for an event.
fn next_event(
    pending: &Mutex<Receiver<(String, Value)>>,
    results: &Results,
) -> Option<(String, Value)> {
    if let Ok(mut first) = results.first_poll.lock() {
        first.get_or_insert_with(Instant::now);
    }
    pending.lock().ok()?.recv().ok()
}

fn record(results: &Results, id: &str, outcome: Outcome) -> Response<std::io::Cursor<Vec<u8>>> {
    if let Ok(mut done) = results.done.lock() {
        done.insert(id.to_owned(), outcome);
    }
    results.ready.notify_all();
    Response::from_string("{}").with_status_code(202)
}

/// What a handler process is started with besides the Runtime API.
#[derive(Debug, Clone)]
pub struct HandlerEnv {
    /// The handler's own variables, exactly those the template sets on the
    /// function (see [`template_variables`]), with local values.
    pub variables: BTreeMap<String, String>,
    /// Where the zip is unpacked: the handler reads its settings there, as in Lambda.
    pub task_root: std::path::PathBuf,
    pub endpoint: String,
    pub region: String,
}

/// The handler's variables as `template` sets them on the function, each
/// value resolved by `resolve` (a `Ref` or `Fn::GetAtt` to a local resource's
/// value); a variable without a local value is an error naming it.
pub(crate) fn template_variables(
    template: &Value,
    resolve: impl Fn(&Value) -> Option<String>,
) -> Result<BTreeMap<String, String>> {
    let pointer = format!(
        "/Resources/{}/Properties/Environment/Variables",
        contract::parameters::HANDLER_RESOURCE
    );
    let variables = template
        .pointer(&pointer)
        .and_then(Value::as_object)
        .context("the template's handler has no environment variables")?;
    variables
        .iter()
        .map(|(name, value)| {
            let local = match value {
                Value::String(text) => Some(text.clone()),
                intrinsic => resolve(intrinsic),
            };
            local
                .map(|local| (name.clone(), local))
                .with_context(|| format!("no local value for the handler's {name} ({value})"))
        })
        .collect()
}

/// A key ARN for handlers run where no stack was deployed (the handler only
/// compares it with the ARNs in events).
const PLACEHOLDER_KEY_ARN: &str =
    "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000";

/// The handler's variables for `template` where only the alert topic exists
/// locally (no stack was deployed): the key's ARN is a placeholder, and the
/// state table is left empty (the handler then runs without one).
pub fn topic_only_variables(template: &Value, topic_arn: &str) -> Result<BTreeMap<String, String>> {
    use contract::parameters::{ALERT_KEY_RESOURCE, ALERT_TOPIC_RESOURCE, STATE_TABLE_RESOURCE};
    template_variables(
        template,
        by_logical_id(&[
            (ALERT_TOPIC_RESOURCE, topic_arn),
            (ALERT_KEY_RESOURCE, PLACEHOLDER_KEY_ARN),
            (STATE_TABLE_RESOURCE, ""),
        ]),
    )
}

/// A resolver of `{"Ref": id}` and `{"Fn::GetAtt": [id, ..]}` to the value
/// given for `id`.
pub(crate) fn by_logical_id(values: &[(&str, &str)]) -> impl Fn(&Value) -> Option<String> {
    let values: BTreeMap<String, String> = values
        .iter()
        .map(|(id, value)| ((*id).to_owned(), (*value).to_owned()))
        .collect();
    move |intrinsic| {
        let id = intrinsic
            .get("Ref")
            .or_else(|| intrinsic.get("Fn::GetAtt").and_then(|a| a.get(0)))?
            .as_str()?;
        values.get(id).cloned()
    }
}

/// A handler process polling a [`RuntimeApi`], killed on drop.
pub struct HandlerProcess {
    child: Child,
}

impl HandlerProcess {
    /// Starts `command` (the handler binary, or qemu running it) with the Lambda environment.
    pub fn spawn(
        mut command: Command,
        api: &RuntimeApi,
        env: &HandlerEnv,
        log: &std::path::Path,
    ) -> Result<Self> {
        let log_file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        command
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "trailwatch-local")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/trailwatch/local/handler")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .envs(&env.variables)
            .env("LAMBDA_TASK_ROOT", &env.task_root)
            .env("AWS_ENDPOINT_URL", &env.endpoint)
            .env("AWS_REGION", &env.region)
            .env("AWS_DEFAULT_REGION", &env.region)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            // A request retried against the emulator has side effects: one attempt only.
            .env("AWS_MAX_ATTEMPTS", "1")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let child = command
            .spawn()
            .with_context(|| format!("starting the handler ({command:?})"))?;
        Ok(Self { child })
    }
}

impl HandlerProcess {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (`VmHWM`), in KiB.
    pub(crate) fn peak_rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .context("reading /proc status")?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmHWM in /proc status")
    }
}

impl Drop for HandlerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
