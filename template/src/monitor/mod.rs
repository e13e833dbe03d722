//! `SecurityMonitor`, the L3 construct: the whole CloudTrail -> EventBridge ->
//! Lambda -> SNS pipeline with safe defaults.

mod rules;
mod validate;

use std::collections::BTreeMap;

use contract::names::{self, FORWARDER_ROLE_PATH_PREFIX};
use contract::{env, outputs, parameters};
use serde_json::Value as Json;

use crate::canary::{self, CanaryProps};
use crate::chat::{Chat, ChatProps};
use crate::constructs::{Bus, Function, FunctionProps, Key, Queue, StateTable, Topic};
use crate::destinations::DestinationsProps;
use crate::form::{FORWARDING_GROUP, HANDLER_GROUP, output, parameter};
use crate::health::{self, HealthProps, Watched};
use crate::intrinsic::{LogicalId, STACK_NAME, Value};
use crate::stack::{Condition, Parameter, Stack, SynthError};

pub(crate) use rules::{ENABLED_WITH_READ_ONLY, RuleKind, pack_rules};

/// Most messages one digest batch holds (the SQS maximum for standard queues).
const DIGEST_BATCH_SIZE: u32 = 10_000;
/// Longest batching window Lambda accepts, in seconds.
pub const MAX_DIGEST_WINDOW_SECONDS: u32 = 300;
/// Where the handler's log group and key grants start.
const LOG_PREFIX: &str = "/trailwatch/";

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
    /// [`health::alarm_name_prefix`]) for the handler.
    pub health_pattern: Json,
    /// The pattern selecting, on the forwarding bus, the state changes of the
    /// forwarders' alarms (names under [`health::forwarded_alarm_name_prefix`]).
    pub forwarded_health_pattern: Json,
    /// Chat delivery: a topic for Amazon Q Developer in chat applications
    /// and/or a direct webhook, receiving alerts of at least a severity.
    pub chat: Option<ChatProps>,
    /// The canary proving the path every few hours, and its alarms.
    pub canary: Option<CanaryProps>,
    /// The pattern selecting the canary's calls (at home and forwarded),
    /// added to the rules when there is a canary.
    pub canary_pattern: Json,
    /// The state table of stateful monitors and once-only alerts, when any
    /// stateful monitor is enabled.
    pub state: Option<StateProps>,
    /// Security Hub, an EventBridge bus and the OCSF body variant.
    pub destinations: DestinationsProps,
}

/// The state table's settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateProps {
    /// Continuous backups of the table (off: its items are short-lived and
    /// rebuilt by new events; on, they are billed per GB-month).
    pub point_in_time_recovery: bool,
}

/// Partition key and TTL attribute of the state table, as the handler writes them.
pub const STATE_KEY: (&str, &str) = (names::STATE_TABLE_KEY, names::STATE_TABLE_EXPIRES);

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
            state: None,
            destinations: DestinationsProps::default(),
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
        let rules = validate::validate(props)?;
        let form = Form::add(stack, props);
        let alarms = health::alarm_arns();
        let key = Key::new(stack, parameters::ALERT_KEY_RESOURCE, LOG_PREFIX);
        let topic = Topic::new(
            stack,
            parameters::ALERT_TOPIC_RESOURCE,
            "trailwatch security alerts",
            &key,
        );
        let chat = form
            .minimum
            .as_ref()
            .map(|(props, minimum)| Chat::new(stack, props, minimum.clone(), &key));
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
        let table = props.state.map(|state| {
            StateTable::new(
                stack,
                parameters::STATE_TABLE_RESOURCE,
                &key,
                STATE_KEY,
                state.point_in_time_recovery,
            )
        });
        let environment = Environment {
            topic: &topic,
            key: &key,
            organization: organization.as_ref().map(|(id, _)| id),
            digests: digests.as_ref().map(|(queue, _)| queue),
            chat: chat.as_ref(),
            table: table.as_ref(),
            destinations: &props.destinations,
        };
        let function = add_handler(stack, props, &form, &key, environment.variables());
        props.destinations.grant(stack, &function);
        if let Some(table) = &table {
            table.grant_writes(stack, &function, &key);
        }
        topic.grant_publish(stack, &function, "Publish", &alarms);
        if let Some(chat) = &chat {
            chat.grant(stack, &function, &alarms);
        }
        function.dead_letter(stack, &dead_letters, &key, 2);
        let forwarding = organization
            .map(|(organization, admits)| add_forwarding(stack, &organization, &admits, &function));
        let rule_ids = rules::add_handler_rules(
            stack,
            props,
            &rules,
            &function,
            &dead_letters,
            forwarding.as_ref(),
        );
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
        subscribe_emails(stack, &topic, &form, props);
        let monitor = Self {
            topic,
            chat_topic: chat.and_then(|c| c.topic),
            function,
            dead_letters,
        };
        monitor.add_outputs(
            stack,
            &ids,
            forwarding.as_ref(),
            digests.as_ref().map(|(q, _)| q),
        );
        Ok(monitor)
    }

    /// The outputs tools and people read.
    fn add_outputs(
        &self,
        stack: &mut Stack,
        rules: &[LogicalId],
        forwarding: Option<&Bus>,
        digests: Option<&Queue>,
    ) {
        output(
            stack,
            outputs::TOPIC_ARN,
            "ARN of the alert topic: subscribe here",
            self.topic.arn(),
        );
        output(
            stack,
            outputs::FUNCTION_ARN,
            "ARN of the handler function",
            self.function.arn(),
        );
        output(
            stack,
            outputs::RULE_ARNS,
            "ARNs of the EventBridge rules, comma-separated",
            Value::Join(
                ",".into(),
                rules.iter().map(|id| id.get_att("Arn")).collect(),
            ),
        );
        if let Some(chat_topic) = &self.chat_topic {
            output(
                stack,
                outputs::CHAT_TOPIC_ARN,
                "ARN of the chat topic: attach an Amazon Q Developer chat channel here",
                chat_topic.arn(),
            );
        }
        if let Some(bus) = forwarding {
            output(
                stack,
                outputs::FORWARDING_BUS_ARN,
                "ARN of the bus forwarders send events to",
                bus.arn(),
            );
        }
        if let Some(queue) = digests {
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
            self.dead_letters.url(),
        );
    }
}

/// The parameters of the console form, in the order it shows them, and the
/// conditions they decide.
struct Form<'p> {
    email: LogicalId,
    has_email: LogicalId,
    /// The chat props and the parameter holding their least severity.
    minimum: Option<(&'p ChatProps, LogicalId)>,
    bucket: LogicalId,
    object: LogicalId,
    reserved: LogicalId,
    reserves: LogicalId,
}

impl<'p> Form<'p> {
    fn add(stack: &mut Stack, props: &'p SecurityMonitorProps) -> Self {
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
        Self {
            email,
            has_email,
            minimum,
            bucket,
            object,
            reserved,
            reserves,
        }
    }
}

/// What the handler's environment is made of.
struct Environment<'a> {
    topic: &'a Topic,
    key: &'a Key,
    organization: Option<&'a LogicalId>,
    digests: Option<&'a Queue>,
    chat: Option<&'a Chat>,
    table: Option<&'a StateTable>,
    destinations: &'a DestinationsProps,
}

impl Environment<'_> {
    /// The handler's variables, named as the contract names them.
    fn variables(&self) -> BTreeMap<String, Value> {
        let mut variables = BTreeMap::from([
            (env::TOPIC_ARN.to_owned(), self.topic.arn()),
            (env::KEY_ARN.to_owned(), self.key.arn()),
        ]);
        if let Some(organization) = self.organization {
            variables.insert(env::ORGANIZATION_ID.to_owned(), organization.reference());
        }
        if let Some(queue) = self.digests {
            variables.insert(env::DIGEST_QUEUE_URL.to_owned(), queue.url());
        }
        if let Some(table) = self.table {
            variables.insert(env::STATE_TABLE.to_owned(), table.name());
        }
        variables.extend(self.chat.iter().flat_map(|chat| chat.environment()));
        variables.extend(self.destinations.environment());
        variables
    }
}

/// The handler function, its code from the form's bucket and key.
fn add_handler(
    stack: &mut Stack,
    props: &SecurityMonitorProps,
    form: &Form<'_>,
    key: &Key,
    environment: BTreeMap<String, Value>,
) -> Function {
    let function = Function::new(
        stack,
        parameters::HANDLER_RESOURCE,
        key,
        FunctionProps {
            description: "trailwatch: judges CloudTrail events and publishes alerts".into(),
            code_bucket: form.bucket.reference(),
            code_key: form.object.reference(),
            memory_mb: props.memory_mb,
            timeout_seconds: props.timeout_seconds,
            reserved_concurrency: Some(Value::only_if(&form.reserves, form.reserved.reference())),
            log_retention_days: props.log_retention_days,
            log_group_name: Value::sub(format!("{LOG_PREFIX}${{AWS::StackName}}/handler")),
            environment,
        },
    );
    skip_function_checks(stack, &function);
    function
}

/// The forwarding bus, admitting the forwarders' roles of the account and of
/// the `organization` when `admits` holds.
fn add_forwarding(
    stack: &mut Stack,
    organization: &LogicalId,
    admits: &LogicalId,
    function: &Function,
) -> Bus {
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
        organization,
        admits,
    );
    function.grant_account_names(stack, organization, admits);
    bus
}

/// The form's address (when given) and the configured addresses, subscribed.
fn subscribe_emails(
    stack: &mut Stack,
    topic: &Topic,
    form: &Form<'_>,
    props: &SecurityMonitorProps,
) {
    let subscription =
        topic.subscribe_email(stack, "AlertEmailSubscription", form.email.reference());
    stack.set_condition(&subscription, &form.has_email);
    for (index, address) in props.alert_emails.iter().enumerate() {
        topic.subscribe_email(
            stack,
            &format!("AlertEmail{}Subscription", index + 1),
            address.as_str().into(),
        );
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

/// checkov checks that do not fit this function, each with the reason.
fn skip_function_checks(stack: &mut Stack, function: &Function) {
    stack.skip_checkov(&function.id, "CKV_AWS_117", "runs outside a VPC: it only calls the SNS API, and a VPC would need NAT or endpoints for no gain");
    stack.skip_checkov(&function.id, "CKV_AWS_116", "failed invocations go to the on-failure destination (EventInvokeConfig), the successor of DeadLetterConfig, on the same queue");
    stack.skip_checkov(
        &function.id,
        "CKV_AWS_173",
        "its environment holds only topic and key ARNs, the digest queue URL, the state table name, the organization id, the chat threshold, the ARN (not the value) of the webhook secret, Security Hub product ARNs, the alert bus and the body format, none secret",
    );
}
