//! `SecurityMonitor`, the L3 construct: the whole CloudTrail -> EventBridge ->
//! Lambda -> SNS pipeline with safe defaults.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::canary::{self, CanaryProps};
use contract::names::{self, FORWARDER_ROLE_PATH_PREFIX};
use contract::{env, outputs, parameters};

use crate::chat::{Chat, ChatProps};
use crate::constructs::{Bus, Function, FunctionProps, Key, Queue, Rule, Topic};
use crate::health::{self, HealthProps, Watched};
use crate::intrinsic::{LogicalId, STACK_NAME, Value};
use crate::patterns::{self, MAX_RULES_PER_BUS};
use crate::stack::{Condition, Export, Output, Parameter, Stack, SynthError};

/// Retention periods CloudWatch Logs accepts, in days.
const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
/// Most messages one digest batch holds (the SQS maximum for standard queues).
const DIGEST_BATCH_SIZE: u32 = 10_000;
/// Longest batching window Lambda accepts, in seconds.
pub const MAX_DIGEST_WINDOW_SECONDS: u32 = 300;

/// One kind of rule: its logical id prefix (numbered from 1), description and state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleKind {
    pub name: &'static str,
    pub description: &'static str,
    pub state: &'static str,
}

/// State of rules that receive write management events and sign-ins.
const ENABLED: &str = "ENABLED";
/// State that also delivers read-only management events (free to match; set
/// through CloudFormation or the API only), on the default or a custom bus.
pub(crate) const ENABLED_WITH_READ_ONLY: &str = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

/// Rules of write calls and sign-ins.
const WRITE_RULES: RuleKind = RuleKind {
    name: "SecurityEventRule",
    description: "trailwatch: monitored CloudTrail calls and sign-ins",
    state: ENABLED,
};

/// Rules of read-only calls.
const READ_ONLY_RULES: RuleKind = RuleKind {
    name: "ReadOnlyEventRule",
    description: "trailwatch: monitored read-only CloudTrail calls",
    state: ENABLED_WITH_READ_ONLY,
};

/// Rules on the forwarding bus: events other regions and accounts forward
/// (read-only ones included: the forwarders' rules selected them).
const FORWARDED_RULES: [RuleKind; 2] = [
    RuleKind {
        name: "ForwardedEventRule",
        description: "trailwatch: monitored events forwarded from other regions and accounts",
        state: ENABLED,
    },
    // EventBridge user guide, "Receiving read-only management events from AWS
    // services" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html):
    // a rule on a default or custom bus receives read-only management events
    // only in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
    RuleKind {
        name: "ForwardedReadOnlyEventRule",
        description: "trailwatch: monitored read-only calls forwarded from other regions and accounts",
        state: ENABLED_WITH_READ_ONLY,
    },
];

/// What to monitor and how; `Default` gives the safe, documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityMonitorProps {
    /// Event patterns selecting write calls and sign-ins for the handler.
    pub patterns: Vec<Json>,
    /// Event patterns selecting read-only calls: they get rules of their own in
    /// the state that delivers read-only events, and only when there are any.
    pub read_only_patterns: Vec<Json>,
    /// Addresses subscribed to the alert topic at deploy (each must confirm).
    pub alert_emails: Vec<String>,
    /// Handler log retention; one of the values CloudWatch Logs accepts.
    pub log_retention_days: u32,
    /// Concurrency reserved for the handler: caps cost during event storms.
    pub reserved_concurrency: u32,
    /// Handler memory in MB.
    pub memory_mb: u32,
    /// Handler timeout in seconds.
    pub timeout_seconds: u32,
    /// When set, alerts below the digest threshold wait this long (1-300 s) in a
    /// queue the handler consumes in batches, to be merged into digests.
    pub digest_window_seconds: Option<u32>,
    /// Adds a bus for the events forwarders in other regions (and accounts, for
    /// an organization) send, with the same rules as the default bus. It admits
    /// the account, and the organization named in the `OrganizationId` parameter.
    pub forwarding: bool,
    /// Thresholds of the alarms on the monitor's own failures.
    pub health: HealthProps,
    /// The pattern selecting the state changes of those alarms (names under
    /// [`health::ALARM_NAME_PREFIX`]) for the handler.
    pub health_pattern: Json,
    /// The pattern selecting, on the forwarding bus, the state changes of the
    /// forwarders' alarms (names under [`health::FORWARDED_ALARM_NAME_PREFIX`]).
    pub forwarded_health_pattern: Json,
    /// Chat delivery: a topic for Amazon Q Developer in chat applications
    /// and/or a direct webhook, receiving alerts of at least a severity.
    pub chat: Option<ChatProps>,
    /// The canary proving the path every few hours, and its alarms.
    pub canary: Option<CanaryProps>,
    /// The pattern selecting the canary's calls (at home and forwarded),
    /// added to the rules when there is a canary.
    pub canary_pattern: Json,
}

impl Default for SecurityMonitorProps {
    fn default() -> Self {
        Self {
            patterns: Vec::new(),
            read_only_patterns: Vec::new(),
            alert_emails: Vec::new(),
            log_retention_days: 90,
            reserved_concurrency: 5,
            memory_mb: 128,
            timeout_seconds: 10,
            digest_window_seconds: None,
            forwarding: false,
            health: HealthProps::default(),
            health_pattern: Json::Null,
            forwarded_health_pattern: Json::Null,
            chat: None,
            canary: Some(CanaryProps {
                every_hours: 6,
                regions: Vec::new(),
            }),
            canary_pattern: Json::Null,
        }
    }
}

/// The deployed pieces, for callers that add more.
#[derive(Debug, Clone)]
pub struct SecurityMonitor {
    pub topic: Topic,
    /// The topic of chat notifications, when configured.
    pub chat_topic: Option<Topic>,
    pub function: Function,
    pub dead_letters: Queue,
}

impl SecurityMonitor {
    /// Adds the monitor to `stack` after checking `props`.
    pub fn new(stack: &mut Stack, props: &SecurityMonitorProps) -> Result<Self, SynthError> {
        let rules = validate(props)?;
        let email = stack.add_parameter(
            parameters::ALERT_EMAIL,
            Parameter {
                allowed_pattern: Some(r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$".into()),
                constraint_description: Some("an e-mail address, or empty for none".into()),
                ..parameter(
                    "One more e-mail address to receive alerts (optional)",
                    "Alert e-mail address",
                    Some(""),
                )
            },
        );
        let has_email =
            stack.add_condition("HasAlertEmail", Condition::NotEmpty(email.reference()));
        let minimum = props
            .chat
            .as_ref()
            .map(|chat| (chat, Chat::parameter(stack, chat)));
        let bucket = stack.add_parameter(
            parameters::ARTIFACT_BUCKET,
            Parameter {
                group: HANDLER_GROUP.into(),
                ..parameter(
                    "S3 bucket holding the handler zip (cargo xtask deploy and publish fill it in)",
                    "Handler code bucket",
                    None,
                )
            },
        );
        let object = stack.add_parameter(
            parameters::ARTIFACT_KEY,
            Parameter {
                group: HANDLER_GROUP.into(),
                ..parameter(
                    "S3 key of the handler zip (cargo xtask deploy and publish fill it in)",
                    "Handler code key",
                    None,
                )
            },
        );
        let reservation = props.reserved_concurrency.to_string();
        let reserved = stack.add_parameter(
            parameters::RESERVED_CONCURRENCY,
            Parameter {
                allowed_pattern: Some("^(0|[1-9][0-9]{0,2}|1000)$".into()),
                constraint_description: Some("0 to 1000".into()),
                group: HANDLER_GROUP.into(),
                ..parameter(
                    "Executions reserved for the handler; 0 for none (it then shares the account's unreserved concurrency)",
                    "Reserved concurrency",
                    Some(&reservation),
                )
            },
        );
        let reserves = stack.add_condition(
            "ReservesConcurrency",
            Condition::Differs(reserved.reference(), "0".into()),
        );

        let log_prefix = "/trailwatch/";
        let alarms = health::alarm_arns();
        let key = Key::new(stack, parameters::ALERT_KEY_RESOURCE, log_prefix);
        let topic = Topic::new(
            stack,
            parameters::ALERT_TOPIC_RESOURCE,
            "trailwatch security alerts",
            &key,
        );
        let chat = minimum.map(|(props, minimum)| Chat::new(stack, props, minimum, &key));
        let dead_letters = Queue::new(stack, "DeadLetterQueue", &key);
        // A batch may wait the whole window before the function runs; AWS asks for
        // a visibility timeout of at least six function timeouts.
        let digests = props.digest_window_seconds.map(|window| {
            let visibility = 6 * props.timeout_seconds + window;
            (
                Queue::buffer(stack, "DigestQueue", &key, visibility, &dead_letters),
                window,
            )
        });
        let organization = props.forwarding.then(|| organization_parameter(stack));
        let mut environment = BTreeMap::from([
            (env::TOPIC_ARN.to_owned(), topic.arn()),
            (env::KEY_ARN.to_owned(), key.arn()),
        ]);
        if let Some((organization, _)) = &organization {
            environment.insert(env::ORGANIZATION_ID.to_owned(), organization.reference());
        }
        if let Some((queue, _)) = &digests {
            environment.insert(env::DIGEST_QUEUE_URL.to_owned(), queue.url());
        }
        environment.extend(chat.iter().flat_map(Chat::environment));
        let function = Function::new(
            stack,
            parameters::HANDLER_RESOURCE,
            &key,
            FunctionProps {
                description: "trailwatch: judges CloudTrail events and publishes alerts".into(),
                code_bucket: bucket.reference(),
                code_key: object.reference(),
                memory_mb: props.memory_mb,
                timeout_seconds: props.timeout_seconds,
                reserved_concurrency: Some(Value::only_if(&reserves, reserved.reference())),
                log_retention_days: props.log_retention_days,
                log_group_name: Value::sub(format!("{log_prefix}${{AWS::StackName}}/handler")),
                environment,
            },
        );
        skip_function_checks(stack, &function);
        topic.grant_publish(stack, &function, "Publish", &alarms);
        if let Some(chat) = &chat {
            chat.grant(stack, &function, &alarms);
        }
        function.dead_letter(stack, &dead_letters, &key, 2);
        let forwarding = organization.map(|(organization, admits)| {
            let regions = stack.add_parameter(
                parameters::FORWARDER_REGIONS,
                Parameter {
                    group: FORWARDING_GROUP.into(),
                    ..parameter(
                        "Regions holding this stack's forwarder stacks, comma-separated (kept by cargo xtask deploy, which removes forwarders of regions dropped from it)",
                        "Forwarder regions",
                        Some(""),
                    )
                },
            );
            output(
                stack,
                "ForwarderRegionList",
                "Regions holding this stack's forwarder stacks",
                regions.reference(),
            );
            let bus = Bus::new(
                stack,
                "ForwardingBus",
                Value::sub(names::forwarding_bus_name(STACK_NAME)),
            );
            bus.admit_forwarders(
                stack,
                &format!(
                    "{FORWARDER_ROLE_PATH_PREFIX}{}/",
                    names::forwarding_bus_name(STACK_NAME)
                ),
                &organization,
                &admits,
            );
            function.grant_account_names(stack, &organization, &admits);
            bus
        });
        // Each rule invoking the handler, and whether it is on a custom bus.
        let mut rule_ids: Vec<(LogicalId, bool)> = Vec::new();
        for (kind, patterns) in &rules {
            for (index, pattern) in patterns.iter().enumerate() {
                let id = format!("{}{}", kind.name, index + 1);
                let mut rule = Rule::new(&id, kind.description, pattern.clone(), kind.state);
                rule.add_target(&function, &dead_letters);
                rule_ids.push((rule.add_to(stack), false));
            }
        }
        let mut health_rule = Rule::new(
            "HealthRule",
            "trailwatch: state changes of the monitor's own health alarms",
            props.health_pattern.clone(),
            ENABLED,
        );
        health_rule.add_target(&function, &dead_letters);
        rule_ids.push((health_rule.add_to(stack), false));
        if let Some(bus) = &forwarding {
            let mut health_rule = Rule::new(
                "ForwardedHealthRule",
                "trailwatch: state changes of the forwarders' health alarms",
                props.forwarded_health_pattern.clone(),
                ENABLED,
            )
            .on(bus);
            health_rule.add_target(&function, &dead_letters);
            rule_ids.push((health_rule.add_to(stack), true));
            for ((_, patterns), kind) in rules.iter().zip(FORWARDED_RULES) {
                for (index, pattern) in patterns.iter().enumerate() {
                    let id = format!("{}{}", kind.name, index + 1);
                    let mut rule =
                        Rule::new(&id, kind.description, pattern.clone(), kind.state).on(bus);
                    rule.add_target(&function, &dead_letters);
                    rule_ids.push((rule.add_to(stack), true));
                }
            }
        }
        let ids: Vec<LogicalId> = rule_ids.iter().map(|(id, _)| id.clone()).collect();
        dead_letters.accept_dead_letters_from(stack, &ids);
        let mut fallback_topics = vec![topic.arn()];
        fallback_topics.extend(chat.iter().flat_map(|c| &c.topic).map(Topic::arn));
        if let Some(canary) = &props.canary {
            let bus = names::forwarding_bus_name(STACK_NAME);
            canary::add_home(stack, canary, &bus, &fallback_topics);
        }
        health::add_alarms(
            stack,
            &props.health,
            &Watched {
                function: &function,
                dead_letters: &dead_letters,
                rules: &rule_ids,
                fallback_topics,
            },
        );
        if let Some((queue, window)) = &digests {
            queue.batch_into(stack, &function, &key, DIGEST_BATCH_SIZE, *window);
        }

        let subscription =
            topic.subscribe_email(stack, "AlertEmailSubscription", email.reference());
        stack.set_condition(&subscription, &has_email);
        for (index, address) in props.alert_emails.iter().enumerate() {
            topic.subscribe_email(
                stack,
                &format!("AlertEmail{}Subscription", index + 1),
                address.as_str().into(),
            );
        }

        output(
            stack,
            outputs::TOPIC_ARN,
            "ARN of the alert topic: subscribe here",
            topic.arn(),
        );
        output(
            stack,
            outputs::FUNCTION_ARN,
            "ARN of the handler function",
            function.arn(),
        );
        output(
            stack,
            outputs::RULE_ARNS,
            "ARNs of the EventBridge rules, comma-separated",
            Value::Join(",".into(), ids.iter().map(|id| id.get_att("Arn")).collect()),
        );
        if let Some(chat_topic) = chat.as_ref().and_then(|c| c.topic.as_ref()) {
            output(
                stack,
                outputs::CHAT_TOPIC_ARN,
                "ARN of the chat topic: attach an Amazon Q Developer chat channel here",
                chat_topic.arn(),
            );
        }
        if let Some(bus) = &forwarding {
            output(
                stack,
                outputs::FORWARDING_BUS_ARN,
                "ARN of the bus forwarders send events to",
                bus.arn(),
            );
        }
        if let Some((queue, _)) = &digests {
            output(
                stack,
                outputs::DIGEST_QUEUE_URL,
                "URL of the queue holding events until their digest",
                queue.url(),
            );
        }
        output(
            stack,
            outputs::DEAD_LETTER_QUEUE_URL,
            "URL of the queue keeping events that could not be alerted",
            dead_letters.url(),
        );
        Ok(Self {
            topic,
            chat_topic: chat.and_then(|c| c.topic),
            function,
            dead_letters,
        })
    }
}

/// The `OrganizationId` parameter, and the condition that it names one.
fn organization_parameter(stack: &mut Stack) -> (LogicalId, LogicalId) {
    let organization = stack.add_parameter(
        parameters::ORGANIZATION_ID,
        Parameter {
            allowed_pattern: Some("^$|^o-[a-z0-9]{10,32}$".into()),
            constraint_description: Some(
                "an organization id (o-...), or empty for this account only".into(),
            ),
            group: FORWARDING_GROUP.into(),
            ..parameter(
                "Organization whose accounts may forward events here (empty: this account only)",
                "Organization id",
                Some(""),
            )
        },
    );
    let admits = stack.add_condition(
        "AdmitsOrganization",
        Condition::NotEmpty(organization.reference()),
    );
    (organization, admits)
}

/// Checks the props; returns the rule patterns (and whether each is read-only).
fn validate(props: &SecurityMonitorProps) -> Result<Vec<(RuleKind, Vec<Json>)>, SynthError> {
    let mut problems = Vec::new();
    if props.patterns.is_empty() && props.read_only_patterns.is_empty() {
        problems.push("monitors: enable at least one monitor".to_owned());
    }
    if let Some(window) = props
        .digest_window_seconds
        .filter(|w| !(1..=MAX_DIGEST_WINDOW_SECONDS).contains(w))
    {
        problems.push(format!(
            "digest.window_seconds: {window} is not within 1-{MAX_DIGEST_WINDOW_SECONDS} (Lambda's batching window)"
        ));
    }
    let mut patterns = props.patterns.clone();
    if props.canary.is_some() {
        if !props.canary_pattern.is_object() {
            problems.push("canary_pattern: the canary needs its event pattern".to_owned());
        }
        patterns.push(props.canary_pattern.clone());
    }
    let rules = pack_rules(
        &patterns,
        &props.read_only_patterns,
        [WRITE_RULES, READ_ONLY_RULES],
        &mut problems,
    );
    if !RETENTION_DAYS.contains(&props.log_retention_days) {
        problems.push(format!(
            "log_retention_days: {} is not a retention CloudWatch Logs accepts ({RETENTION_DAYS:?})",
            props.log_retention_days
        ));
    }
    if !(128..=10_240).contains(&props.memory_mb) {
        problems.push(format!(
            "memory_mb: {} is outside 128-10240",
            props.memory_mb
        ));
    }
    if !(1..=900).contains(&props.timeout_seconds) {
        problems.push(format!(
            "timeout_seconds: {} is outside 1-900",
            props.timeout_seconds
        ));
    }
    problems.extend(props.health.problems());
    if !props.health_pattern.is_object()
        || (props.forwarding && !props.forwarded_health_pattern.is_object())
    {
        problems.push("health_pattern: the health rules need event patterns".to_owned());
    }
    problems.extend(props.chat.iter().flat_map(ChatProps::problems));
    problems.extend(props.canary.iter().flat_map(CanaryProps::problems));
    if props.reserved_concurrency == 0 {
        problems.push("reserved_concurrency: 0 would disable the handler".to_owned());
    }
    let mut seen = std::collections::BTreeSet::new();
    for address in &props.alert_emails {
        if !is_email_address(address) {
            problems.push(format!(
                "alert_emails: {address:?} is not one e-mail address (like security@example.com)"
            ));
        } else if !seen.insert(address.to_lowercase()) {
            problems.push(format!(
                "alert_emails: {address:?} is listed twice (one subscription per address)"
            ));
        }
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(SynthError(problems))
    }
}

/// One plain address `local@domain.tld`: one `@`, no spaces, no list
/// separators or quoting (`x@y.z,evil@e.com` would subscribe two), a domain of
/// dot-separated labels, at most 254 characters. Hand-written: SNS takes the
/// address as typed and only a typo-proof shape matters here, not RFC 5322's
/// quoted forms, which no crate rejects by default.
fn is_email_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let plain = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let label = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    address.chars().count() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && local.chars().all(plain)
        && domain.contains('.')
        && domain.split('.').all(label)
}

/// The rules of each kind (write, read-only): the patterns packed within
/// EventBridge's limits; problems when they do not fit.
pub(crate) fn pack_rules(
    patterns: &[Json],
    read_only_patterns: &[Json],
    kinds: [RuleKind; 2],
    problems: &mut Vec<String>,
) -> Vec<(RuleKind, Vec<Json>)> {
    let mut rules = Vec::new();
    for (kind, patterns) in kinds.into_iter().zip([patterns, read_only_patterns]) {
        match patterns::pack(patterns) {
            Ok(packed) => rules.push((kind, packed)),
            Err(mut errors) => problems.append(&mut errors),
        }
    }
    let count: usize = rules.iter().map(|(_, packed)| packed.len()).sum();
    if count > MAX_RULES_PER_BUS {
        problems.push(format!(
            "monitors: the enabled monitors need {count} EventBridge rules, over the {MAX_RULES_PER_BUS} a bus may hold"
        ));
    }
    rules
}

/// The console form's groups, in the order the form shows them.
const ALERTS_GROUP: &str = "Alerts";
const HANDLER_GROUP: &str = "Handler";
const FORWARDING_GROUP: &str = "Other regions and accounts";

/// A string parameter in the Alerts group of the console form.
pub(crate) fn parameter(description: &str, label: &str, default: Option<&str>) -> Parameter {
    Parameter {
        kind: "String",
        description: description.into(),
        default: default.map(str::to_owned),
        allowed_pattern: None,
        constraint_description: None,
        label: label.into(),
        group: ALERTS_GROUP.into(),
    }
}

fn output(stack: &mut Stack, id: &str, description: &str, value: Value) {
    stack.add_output(
        id,
        Output {
            description: description.into(),
            value,
            export: Some(Export {
                name: Value::sub(format!("${{AWS::StackName}}-{id}")),
            }),
        },
    );
}

/// checkov checks that do not fit this function, each with the reason.
fn skip_function_checks(stack: &mut Stack, function: &Function) {
    stack.skip_checkov(&function.id, "CKV_AWS_117", "runs outside a VPC: it only calls the SNS API, and a VPC would need NAT or endpoints for no gain");
    stack.skip_checkov(&function.id, "CKV_AWS_116", "failed invocations go to the on-failure destination (EventInvokeConfig), the successor of DeadLetterConfig, on the same queue");
    stack.skip_checkov(
        &function.id,
        "CKV_AWS_173",
        "its environment holds only topic and key ARNs, the digest queue URL, the organization id, the chat threshold and the ARN (not the value) of the webhook secret, none secret",
    );
}
