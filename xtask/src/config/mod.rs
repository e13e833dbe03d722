//! Deployment configuration: `trailwatch.toml` (optional) overridden by CLI flags,
//! checked completely before anything touches AWS.

pub mod app;
mod destinations;
pub mod regions;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use contract::names::GLOBAL_REGION;
use handler::tuning::{CustomSpec, DigestSpec, SuppressSpec};
use handler::{Detection, Selection, Settings, Severity};
use serde::Deserialize;
use template::patterns::{MAX_PATTERN_CHARS, size};
use template::{CanaryProps, ChatProps, HealthProps, SecurityMonitorProps, WebhookProps};

use crate::deploy::concurrency::Reservation;
use crate::workspace;
use regions::{Organization, OrganizationSpec, Regions, RegionsSpec, is_region_name};

/// Default stack name.
pub(crate) const DEFAULT_STACK_NAME: &str = "trailwatch";
/// Configuration file looked up at the workspace root.
pub(crate) const CONFIG_FILE: &str = "trailwatch.toml";

/// The keys `trailwatch.toml` may hold; unknown keys are rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    stack_name: Option<String>,
    region: Option<String>,
    alert_emails: Option<Vec<String>>,
    monitors: Option<Vec<String>>,
    exclude_monitors: Option<Vec<String>>,
    log_retention_days: Option<u32>,
    reserved_concurrency: Option<u32>,
    tags: Option<BTreeMap<String, String>>,
    /// Custom monitors (`[[monitor]]`).
    monitor: Option<Vec<CustomSpec>>,
    /// Suppressions (`[[suppress]]`).
    suppress: Option<Vec<SuppressSpec>>,
    /// Digests of bursts (`[digest]`).
    digest: Option<DigestSpec>,
    /// Forwarder regions: `"all"` or a list.
    regions: Option<RegionsSpec>,
    /// Forwarders in an organization's accounts (`[organization]`).
    organization: Option<OrganizationSpec>,
    /// Thresholds of the health alarms (`[health]`).
    health: Option<HealthSpec>,
    /// Alerts in chat through Amazon Q Developer (`[chat]`).
    chat: Option<ChatSpec>,
    /// The daily proof of the path (`[canary]`).
    canary: Option<CanarySpec>,
    /// The state table of stateful monitors (`[state]`).
    state: Option<StateSpec>,
    /// Alerts as Security Hub findings (`[securityhub]`).
    securityhub: Option<destinations::SecurityHubSpec>,
    /// Alerts on an EventBridge bus (`[eventbridge]`).
    eventbridge: Option<destinations::EventBridgeSpec>,
    /// Body formats (`[outputs]`).
    outputs: Option<destinations::OutputsSpec>,
}

/// `[state]`: `point_in_time_recovery` (default false) backs the state table
/// up continuously.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateSpec {
    point_in_time_recovery: Option<bool>,
}

/// `[canary]`: on unless `enabled = false`; `every_hours` (default 6)
/// between canaries.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CanarySpec {
    enabled: Option<bool>,
    every_hours: Option<u32>,
}

/// Hours between canaries unless configured.
const DEFAULT_CANARY_EVERY_HOURS: u32 = 6;

impl CanarySpec {
    /// The construct's props, expecting canaries from `regions` besides home.
    fn props(self, regions: Vec<String>) -> Option<CanaryProps> {
        (self.enabled != Some(false)).then(|| CanaryProps {
            every_hours: self.every_hours.unwrap_or(DEFAULT_CANARY_EVERY_HOURS),
            regions,
        })
    }
}

/// `[health]`: when the alarms on trailwatch's own failures fire; each key
/// defaults to the construct's value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthSpec {
    period_seconds: Option<u32>,
    evaluation_periods: Option<u32>,
    handler_errors: Option<u32>,
    handler_throttles: Option<u32>,
    dead_letters: Option<u32>,
    failed_invocations: Option<u32>,
}

impl From<HealthSpec> for HealthProps {
    fn from(spec: HealthSpec) -> Self {
        let default = HealthProps::default();
        Self {
            period_seconds: spec.period_seconds.unwrap_or(default.period_seconds),
            evaluation_periods: spec
                .evaluation_periods
                .unwrap_or(default.evaluation_periods),
            handler_errors: spec.handler_errors.unwrap_or(default.handler_errors),
            handler_throttles: spec.handler_throttles.unwrap_or(default.handler_throttles),
            dead_letters: spec.dead_letters.unwrap_or(default.dead_letters),
            failed_invocations: spec
                .failed_invocations
                .unwrap_or(default.failed_invocations),
        }
    }
}

/// `[chat]`: alerts of at least `min_severity` (default HIGH) to a topic for
/// Amazon Q Developer in chat applications (unless `amazon_q = false`) and,
/// when `webhook` is set, to a Slack or Teams webhook whose URL the secret
/// `webhook_secret_arn` holds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatSpec {
    min_severity: Option<Severity>,
    amazon_q: Option<bool>,
    webhook: Option<String>,
    webhook_secret_arn: Option<String>,
}

impl ChatSpec {
    /// The construct's props; a webhook without its secret (or the reverse)
    /// is a problem.
    fn props(self, problems: &mut Vec<String>) -> ChatProps {
        let webhook = match (self.webhook, self.webhook_secret_arn) {
            (Some(kind), Some(secret_arn)) => Some(WebhookProps { kind, secret_arn }),
            (None, None) => None,
            _ => {
                problems.push(
                    "chat: webhook and webhook_secret_arn go together (slack or teams, and the secret holding its URL)".to_owned(),
                );
                None
            }
        };
        ChatProps {
            min_severity: self
                .min_severity
                .unwrap_or(DEFAULT_CHAT_MIN_SEVERITY)
                .to_string(),
            topic: self.amazon_q.unwrap_or(true),
            webhook,
        }
    }
}

/// Least severity sent to chat unless configured.
const DEFAULT_CHAT_MIN_SEVERITY: Severity = Severity::High;

/// Flags that override `trailwatch.toml`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConfigArgs {
    /// Configuration file (default: trailwatch.toml at the workspace root, if present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// CloudFormation stack name (default: trailwatch).
    #[arg(long)]
    pub stack_name: Option<String>,
    /// AWS region (default: the SDK's resolution: AWS_REGION, profile).
    #[arg(long)]
    pub region: Option<String>,
    /// E-mail address to receive alerts; repeat for more.
    #[arg(long = "alert-email")]
    pub alert_emails: Vec<String>,
    /// Monitor id or pack (seed, cis, stratus, read-only, all) to enable; repeat
    /// for more (default: every monitor but the read-only pack).
    #[arg(long = "monitor")]
    pub monitors: Vec<String>,
    /// Monitor id to leave out; repeat for more.
    #[arg(long = "exclude-monitor")]
    pub exclude_monitors: Vec<String>,
    /// Handler log retention in days (default: 90).
    #[arg(long)]
    pub log_retention_days: Option<u32>,
    /// Concurrency reserved for the handler (default: 5).
    #[arg(long)]
    pub reserved_concurrency: Option<u32>,
    /// Stack tag as KEY=VALUE; repeat for more.
    #[arg(long = "tag", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
    /// Other regions to forward events from: `all` (every region enabled in
    /// the account) or a comma-separated list.
    #[arg(long, value_parser = Regions::parse)]
    pub regions: Option<Regions>,
    /// Also cover every account of the organization (settings from
    /// `[organization]`, else its root OU in the same regions).
    #[arg(long)]
    pub org: bool,
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub stack_name: String,
    pub region: Option<String>,
    /// What the handler is deployed with.
    pub settings: Settings,
    /// The enabled monitors and suppressions, built from the settings.
    pub detection: Detection,
    /// The home stack's props but `forwarding`, which follows from the
    /// regions and the organization: see [`Config::props`].
    monitor: SecurityMonitorProps,
    pub tags: BTreeMap<String, String>,
    /// Forwarder regions of the home account, as configured.
    pub regions: Option<Regions>,
    /// The organization's forwarders, when configured.
    pub organization: Option<Organization>,
    /// The handler's reserved concurrency, and whether it was configured.
    pub reservation: Reservation,
}

impl Config {
    /// The home stack's props.
    pub fn props(&self) -> SecurityMonitorProps {
        SecurityMonitorProps {
            forwarding: self.forwards(),
            ..self.monitor.clone()
        }
    }

    /// Whether the home stack receives forwarded events: forwarders are
    /// configured, or home is outside us-east-1 (global services' events are
    /// forwarded from there).
    pub(crate) fn forwards(&self) -> bool {
        forwards(
            self.region.as_deref(),
            self.regions.as_ref(),
            self.organization.as_ref(),
        )
    }

    /// The reasons of suppressions that have expired by `today` (no longer applied).
    pub(crate) fn expired_suppressions(&self, today: time::Date) -> Vec<&str> {
        self.detection
            .suppressions
            .iter()
            .filter(|s| s.expired(today))
            .map(|s| s.reason.as_str())
            .collect()
    }

    /// Warns about expired suppressions, on standard error.
    pub(crate) fn warn_expired(&self) {
        for reason in self.expired_suppressions(time::OffsetDateTime::now_utc().date()) {
            eprintln!(
                "WARNING: the suppression {reason:?} has expired and is no longer applied; remove it or extend `expires`"
            );
        }
    }
}

/// Reads the file (if any), applies the flags, and checks everything.
pub fn load(args: &ConfigArgs) -> Result<Config> {
    let (file, origin) = read_file(args.config.as_deref())?;
    let monitors = pick(args.monitors.clone(), file.monitors);
    let mut exclude = file.exclude_monitors.unwrap_or_default();
    exclude.extend(args.exclude_monitors.iter().cloned());
    let mut tags = file.tags.unwrap_or_default();
    tags.extend(args.tags.iter().cloned());
    let stack_name = args
        .stack_name
        .clone()
        .or(file.stack_name)
        .unwrap_or_else(|| DEFAULT_STACK_NAME.to_owned());
    let (detection, settings, mut problems) =
        match Selection::resolve(monitors.as_deref(), &exclude) {
            Ok(selection) => tune(
                selection,
                file.monitor,
                file.suppress,
                Tuning {
                    digest: file.digest,
                    stack_name: &stack_name,
                },
            ),
            Err(problems) => (Detection::default(), Settings::default(), problems),
        };
    let regions = match (&args.regions, file.regions) {
        (Some(regions), _) => Some(regions.clone()),
        (None, Some(spec)) => Regions::try_from(spec)
            .map_err(|problem| problems.push(format!("regions: {problem}")))
            .ok(),
        (None, None) => None,
    };
    let organization = match (file.organization, args.org) {
        (Some(spec), _) => Some(spec),
        (None, true) => Some(OrganizationSpec::default()),
        (None, false) => None,
    }
    .and_then(|spec| {
        spec.check()
            .map_err(|mut more| problems.append(&mut more))
            .ok()
    });
    let region = args.region.clone().or(file.region);
    let forwarded = canary_regions(region.as_deref(), regions.as_ref(), organization.as_ref());
    let destinations = destinations::props(
        file.securityhub,
        file.eventbridge,
        file.outputs,
        (regions.as_ref(), organization.as_ref()),
        forwarded.clone(),
    );
    let canary = file.canary.unwrap_or_default().props(forwarded);
    let defaults = SecurityMonitorProps::default();
    let reservation = match args.reserved_concurrency.or(file.reserved_concurrency) {
        Some(executions) => Reservation::Configured(executions),
        None => Reservation::Default(defaults.reserved_concurrency),
    };
    let config = Config {
        reservation,
        stack_name,
        region,
        monitor: SecurityMonitorProps {
            alert_emails: pick(args.alert_emails.clone(), file.alert_emails).unwrap_or_default(),
            log_retention_days: args
                .log_retention_days
                .or(file.log_retention_days)
                .unwrap_or(defaults.log_retention_days),
            reserved_concurrency: reservation.executions(),
            digest_window_seconds: settings.digest.map(|d| d.window_seconds),
            health: file.health.map(HealthProps::from).unwrap_or_default(),
            chat: file.chat.map(|chat| chat.props(&mut problems)),
            canary,
            destinations,
            ..with_state(app::props(&detection), file.state)
        },
        settings,
        detection,
        tags,
        regions,
        organization,
    };
    check(config, problems).with_context(|| format!("invalid configuration ({origin})"))
}

/// The props with the `[state]` settings applied to the table, when there is one.
fn with_state(props: SecurityMonitorProps, spec: Option<StateSpec>) -> SecurityMonitorProps {
    let recovery = spec.and_then(|s| s.point_in_time_recovery).unwrap_or(false);
    SecurityMonitorProps {
        state: props.state.map(|_| template::StateProps {
            point_in_time_recovery: recovery,
        }),
        ..props
    }
}

/// The regions of the home account's forwarders known before deploy, whose
/// canaries the home stack has alarms for: the listed regions (of
/// `regions` and the organization's), and us-east-1, which always forwards
/// when home is elsewhere. Home itself is left out (its alarm is always
/// there); with `regions = "all"` the rest are known only at deploy.
fn canary_regions(
    home: Option<&str>,
    regions: Option<&Regions>,
    organization: Option<&Organization>,
) -> Vec<String> {
    let mut known = BTreeSet::from([GLOBAL_REGION.to_owned()]);
    let listed = regions
        .into_iter()
        .chain(organization.and_then(|o| o.regions.as_ref()));
    for regions in listed {
        if let Regions::Listed(names) = regions {
            known.extend(names.iter().cloned());
        }
    }
    let forwarding = forwards(home, regions, organization);
    known
        .into_iter()
        .filter(|r| forwarding && Some(r.as_str()) != home)
        .collect()
}

/// Whether the home stack receives forwarded events: forwarders are
/// configured, or home is outside us-east-1 (global services' events are
/// forwarded from there).
fn forwards(
    home: Option<&str>,
    regions: Option<&Regions>,
    organization: Option<&Organization>,
) -> bool {
    regions.is_some() || organization.is_some() || home.is_some_and(|r| r != GLOBAL_REGION)
}

/// The rest of the handler's settings: digests, and the stack it is deployed
/// in (whose resources are its own).
struct Tuning<'a> {
    digest: Option<DigestSpec>,
    stack_name: &'a str,
}

/// The settings and detection of the selected built-in monitors plus the
/// custom monitors and suppressions; every problem is reported.
fn tune(
    selection: Selection,
    custom: Option<Vec<CustomSpec>>,
    suppress: Option<Vec<SuppressSpec>>,
    tuning: Tuning<'_>,
) -> (Detection, Settings, Vec<String>) {
    let custom = custom.unwrap_or_default();
    let mut problems: Vec<String> = custom
        .iter()
        .enumerate()
        .filter_map(|(index, spec)| {
            let pattern = spec.pattern().ok()?;
            let chars = size(&pattern);
            (chars > MAX_PATTERN_CHARS).then(|| {
                format!("monitor[{index}] ({:?}): pattern is {chars} characters, over EventBridge's limit of {MAX_PATTERN_CHARS}", spec.id)
            })
        })
        .collect();
    let settings = Settings {
        monitors: selection.ids().map(str::to_owned).collect(),
        custom,
        suppress: suppress.unwrap_or_default(),
        digest: tuning.digest,
        stack_name: Some(tuning.stack_name.to_owned()),
    };
    match Detection::build(&settings) {
        Ok(detection) => (detection, settings, problems),
        Err(mut more) => {
            problems.append(&mut more);
            (Detection::from(selection), settings, problems)
        }
    }
}

/// CLI values win when given; else the file's.
fn pick(cli: Vec<String>, file: Option<Vec<String>>) -> Option<Vec<String>> {
    if cli.is_empty() { file } else { Some(cli) }
}

fn read_file(explicit: Option<&Path>) -> Result<(FileConfig, String)> {
    let path = explicit
        .map(Path::to_owned)
        .unwrap_or_else(|| workspace::root().join(CONFIG_FILE));
    if explicit.is_none() && !path.exists() {
        return Ok((FileConfig::default(), "defaults and flags".to_owned()));
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let file = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid trailwatch configuration", path.display()))?;
    Ok((file, format!("{} and flags", path.display())))
}

/// Longest stack name: CloudFormation allows 128 characters, and the forwarder
/// stacks and StackSet are named after the home stack with `-forwarder`.
pub(crate) const MAX_STACK_NAME_CHARS: usize = 128 - "-forwarder".len();
/// Most tags a CloudFormation stack may carry.
const MAX_TAGS: usize = 50;
/// Largest reservation accepted: the default account quota of concurrent
/// executions is 1,000, and the handler publishes thousands of alerts a second
/// long before that.
const MAX_RESERVED_CONCURRENCY: u32 = 1_000;

fn check(config: Config, mut problems: Vec<String>) -> Result<Config> {
    let name = &config.stack_name;
    let valid_name = name.len() <= MAX_STACK_NAME_CHARS
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_name {
        problems.push(format!("stack_name: {name:?} must start with a letter and hold only letters, digits and hyphens (at most {MAX_STACK_NAME_CHARS}: the forwarder stacks add -forwarder to CloudFormation's 128)"));
    }
    if let Some(region) = config.region.as_deref().filter(|r| !is_region_name(r)) {
        problems.push(format!(
            "region: {region:?} is not an AWS region name (like eu-west-1)"
        ));
    }
    problems.extend(tag_problems(&config.tags));
    let reserved = config.monitor.reserved_concurrency;
    if reserved > MAX_RESERVED_CONCURRENCY {
        problems.push(format!("reserved_concurrency: {reserved} is over {MAX_RESERVED_CONCURRENCY} (the default account quota of concurrent executions; the handler needs a handful)"));
    }
    // The construct checks the remaining props (retention, e-mails, limits).
    if let Err(invalid) = app::stack(&config.props()).and_then(|stack| stack.to_json()) {
        problems.extend(invalid.0);
    }
    if problems.is_empty() {
        return Ok(config);
    }
    bail!("{}", problems.join("; "))
}

/// What CloudFormation would refuse in the configured tags, counted together
/// with the tags every trailwatch stack carries. Lengths are in characters, as
/// AWS counts them.
fn tag_problems(tags: &BTreeMap<String, String>) -> Vec<String> {
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    let mut problems = Vec::new();
    let mut all = app::tags();
    all.extend(tags.clone());
    if all.len() > MAX_TAGS {
        problems.push(format!(
            "tags: {} tags with trailwatch's own ({}), over the {MAX_TAGS} a stack may carry",
            all.len(),
            app::tags().into_keys().collect::<Vec<_>>().join(", ")
        ));
    }
    for (key, value) in tags {
        let key_chars = key.chars().count();
        let value_chars = value.chars().count();
        if !(1..=128).contains(&key_chars) || !(1..=256).contains(&value_chars) {
            problems.push(format!(
                "tags: {key:?} = {value:?}: a key takes 1-128 characters and a value 1-256"
            ));
        }
        if key.to_lowercase().starts_with("aws:") {
            problems.push(format!(
                "tags: {key:?}: the aws: prefix (in any case) is reserved for AWS"
            ));
        }
        if !key.chars().chain(value.chars()).all(allowed) {
            problems.push(format!("tags: {key:?} = {value:?}: only letters, digits, spaces and _ . : / = + - @ are allowed"));
        }
    }
    problems
}

fn parse_tag(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))
}

#[cfg(test)]
mod tests;
