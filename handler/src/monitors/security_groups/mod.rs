//! Security groups: which ports an ingress rule opened, and to whom; any
//! other change to a group's rules.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::Pack::{Cis, Seed, Stratus};
use super::{CHECK_NETWORK, EC2, Monitor, calls, means};
use crate::cidr::{Peer, classify_cidrs};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::{Items, request};
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::selector::{Call, Selector};
use contract::Severity::{self, Low};

mod rewritten;

use rewritten::{MODIFY_RULES, PREFIX_LIST};

/// `ec2-security-group-ingress`.
pub const EC2_SECURITY_GROUP_INGRESS: Monitor = calls(
    "ec2-security-group-ingress",
    "Security group ingress opened",
    &[Seed, Cis, Stratus],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "AuthorizeSecurityGroupIngress",
                means(Added, "ingress rules to", Low).check(CHECK_REACHABLE),
            )
            .refine(AUTHORIZE_INGRESS),
            Call::named(
                "ModifySecurityGroupRules",
                means(Changed, "rules of security group", Low)
                    .target(&["ModifySecurityGroupRulesRequest/GroupId"])
                    .check(CHECK_REACHABLE),
            )
            .refine(MODIFY_RULES),
        ],
    ),
    &["CIS CloudWatch.10"],
    &[
        "aws.exfiltration.ec2-security-group-open-port-22-ingress",
        "T1562.007",
    ],
);

/// `ec2-security-group-change`.
pub const EC2_SECURITY_GROUP_CHANGE: Monitor = calls(
    "ec2-security-group-change",
    "Security group changed",
    &[Cis],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "AuthorizeSecurityGroupEgress",
                means(Added, "egress rules to security group", Low)
                    .target(&["groupId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "RevokeSecurityGroupIngress",
                means(Removed, "ingress rules from security group", Low)
                    .target(&["groupId", "groupName"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "RevokeSecurityGroupEgress",
                means(Removed, "egress rules from security group", Low)
                    .target(&["groupId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "ModifyManagedPrefixList",
                means(Changed, "prefix list", Low)
                    .target(&[
                        "ModifyManagedPrefixListRequest/PrefixListId",
                        "prefixListId",
                    ])
                    .check(CHECK_NETWORK),
            )
            .refine(PREFIX_LIST),
            Call::named(
                "CreateSecurityGroup",
                means(Created, "security group", Low)
                    .target(&["groupName"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DeleteSecurityGroup",
                means(Deleted, "security group", Low)
                    .target(&["groupId", "groupName"])
                    .check(CHECK_NETWORK),
            ),
        ],
    ),
    &["CIS CloudWatch.10"],
    &["T1562.007"],
);

const CHECK_REACHABLE: &str =
    "Check which instances use the group and whether the port must be reachable";

/// Ports whose exposure to the internet is CRITICAL: remote administration and data stores.
const SENSITIVE_PORTS: &[(u16, &str)] = &[
    (22, "SSH"),
    (23, "Telnet"),
    (445, "SMB"),
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (2375, "Docker API"),
    (2376, "Docker API"),
    (3306, "MySQL"),
    (3389, "RDP"),
    (5432, "PostgreSQL"),
    (5601, "Kibana"),
    (5900, "VNC"),
    (5985, "WinRM"),
    (5986, "WinRM"),
    (6379, "Redis"),
    (9200, "Elasticsearch"),
    (9300, "Elasticsearch"),
    (11211, "Memcached"),
    (27017, "MongoDB"),
];

/// Both request shapes: the legacy flat one and `ipPermissions.items[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Request {
    group_id: Option<String>,
    group_name: Option<String>,
    #[serde(flatten)]
    legacy: Permission,
    cidr_ip: Option<String>,
    source_security_group_name: Option<String>,
    ip_permissions: Items<Permission>,
}

/// One permission; ports may be numbers, strings, or absent (protocol `-1`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Permission {
    #[serde(deserialize_with = "text")]
    ip_protocol: Option<String>,
    #[serde(deserialize_with = "number")]
    from_port: Option<i64>,
    #[serde(deserialize_with = "number")]
    to_port: Option<i64>,
    ip_ranges: Items<Ipv4Range>,
    ipv6_ranges: Items<Ipv6Range>,
    groups: Items<GroupRef>,
    prefix_list_ids: Items<PrefixListRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Ipv4Range {
    cidr_ip: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Ipv6Range {
    cidr_ipv6: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct GroupRef {
    group_id: Option<String>,
    group_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PrefixListRef {
    prefix_list_id: Option<String>,
}

/// What traffic a permission lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ports {
    All,
    Icmp,
    Range(i64, i64),
}

/// [`authorize_ingress`] and what it decides.
pub const AUTHORIZE_INGRESS: Judge = Judge {
    assess: authorize_ingress,
    decides: "CRITICAL when internet-wide ranges (judged by their union, host bits masked) reach an administration or database port or all traffic; HIGH for other ports; MEDIUM for other public ranges",
};

/// A security group as a request names it: by id, or by name (default VPC).
#[derive(Debug, Clone)]
enum Group {
    Id(String),
    Name(String),
}

impl Group {
    fn of(id: Option<String>, name: Option<String>) -> Self {
        match (id, name) {
            (Some(id), _) => Group::Id(id),
            (None, Some(name)) => Group::Name(name),
            (None, None) => Group::Id("(group not recorded)".to_owned()),
        }
    }

    fn label(&self) -> &str {
        match self {
            Group::Id(label) | Group::Name(label) => label,
        }
    }

    /// The CLI option naming the group (`--group-name` serves the default VPC only).
    fn option(&self) -> &'static str {
        match self {
            Group::Id(_) => "--group-id",
            Group::Name(_) => "--group-name",
        }
    }
}

/// AuthorizeSecurityGroupIngress: CRITICAL for sensitive ports or all traffic from
/// the internet, HIGH for other internet-open ports, LOW for private peers.
pub fn authorize_ingress(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let group = Group::of(request.group_id.clone(), request.group_name.clone());
    let permissions = permissions(request);
    let opened = judge_permissions(&group, &permissions, finding);
    let region = event.region().unwrap_or("us-east-1");
    for (permission, cidr) in opened {
        revoke(finding, &group, permission, &cidr, region);
    }
    Ok(())
}

/// Judges permissions given to a group; returns each internet-facing
/// (permission, range) pair, for its revert command.
fn judge_permissions<'p>(
    group: &Group,
    permissions: &'p [Permission],
    finding: &mut Finding,
) -> Vec<(&'p Permission, String)> {
    finding.target(group.label());
    let mut opened = Vec::new();
    for permission in permissions {
        let ports = ports(permission);
        let protocol = permission
            .ip_protocol
            .clone()
            .unwrap_or_else(|| "-1".to_owned());
        for peer in peers(permission) {
            if let Peer::Internet(cidrs) = &peer {
                opened.extend(cidrs.split(", ").map(|cidr| (permission, cidr.to_owned())));
            }
            judge(&protocol, ports, &peer, finding);
        }
    }
    if opened.is_empty() {
        finding.describe(Verb::Added, &format!("ingress rules to {}", group.label()));
    } else {
        finding.describe(Verb::Opened, group.label());
    }
    opened
}

/// The command that removes one internet-facing range from the group: the
/// permission exactly as it was given (ports as recorded), as the JSON form
/// of `--ip-permissions`, quoted whole so that no shell expands it.
fn revoke(finding: &mut Finding, group: &Group, permission: &Permission, cidr: &str, region: &str) {
    let protocol = permission.ip_protocol.as_deref().unwrap_or("-1");
    let mut rule = serde_json::Map::new();
    rule.insert("IpProtocol".to_owned(), protocol.into());
    if !matches!(protocol, "-1" | "all") {
        rule.insert(
            "FromPort".to_owned(),
            permission.from_port.unwrap_or(-1).into(),
        );
        rule.insert("ToPort".to_owned(), permission.to_port.unwrap_or(-1).into());
    }
    let range = if cidr.contains(':') {
        ("Ipv6Ranges", serde_json::json!([{"CidrIpv6": cidr}]))
    } else {
        ("IpRanges", serde_json::json!([{"CidrIp": cidr}]))
    };
    rule.insert(range.0.to_owned(), range.1);
    let permissions = Value::Array(vec![Value::Object(rule)]).to_string();
    let template = format!(
        "aws ec2 revoke-security-group-ingress {} {{group}} --ip-permissions {{permissions}} --region {{region}}",
        group.option()
    );
    finding.command(
        &template,
        &[
            ("group", group.label()),
            ("permissions", &permissions),
            ("region", region),
        ],
    );
}

/// The request's permissions, the legacy flat shape turned into one more.
fn permissions(request: Request) -> Vec<Permission> {
    let mut permissions = request.ip_permissions.items;
    let mut legacy = request.legacy;
    if let Some(cidr_ip) = request.cidr_ip {
        legacy.ip_ranges.items.push(Ipv4Range {
            cidr_ip: Some(cidr_ip),
        });
    }
    if let Some(name) = request.source_security_group_name {
        legacy.groups.items.push(GroupRef {
            group_id: None,
            group_name: Some(name),
        });
    }
    if !legacy.ip_ranges.items.is_empty() || !legacy.groups.items.is_empty() {
        permissions.push(legacy);
    }
    permissions
}

fn ports(permission: &Permission) -> Ports {
    match permission.ip_protocol.as_deref() {
        None | Some("-1" | "all") => return Ports::All,
        Some("icmp" | "icmpv6" | "1" | "58") => return Ports::Icmp,
        Some(_) => {}
    }
    let from = permission.from_port.filter(|p| *p >= 0).unwrap_or(0);
    let to = permission.to_port.filter(|p| *p >= 0).unwrap_or(65535);
    if from <= 0 && to >= 65535 {
        Ports::All
    } else {
        Ports::Range(from, to)
    }
}

fn peers(permission: &Permission) -> Vec<Peer> {
    let cidrs: Vec<&str> = permission
        .ip_ranges
        .items
        .iter()
        .filter_map(|r| r.cidr_ip.as_deref())
        .chain(
            permission
                .ipv6_ranges
                .items
                .iter()
                .filter_map(|r| r.cidr_ipv6.as_deref()),
        )
        .collect();
    let groups = permission.groups.items.iter().map(|g| {
        Peer::Group(
            g.group_id
                .clone()
                .or(g.group_name.clone())
                .unwrap_or_else(|| "(unnamed)".to_owned()),
        )
    });
    let prefix_lists = permission.prefix_list_ids.items.iter().map(|p| {
        Peer::PrefixList(
            p.prefix_list_id
                .clone()
                .unwrap_or_else(|| "(unnamed)".to_owned()),
        )
    });
    classify_cidrs(&cidrs)
        .into_iter()
        .chain(groups)
        .chain(prefix_lists)
        .collect()
}

fn judge(protocol: &str, ports: Ports, peer: &Peer, finding: &mut Finding) {
    let traffic = describe_traffic(protocol, ports);
    match peer {
        Peer::Internet(cidr) => judge_internet(&traffic, ports, cidr, finding),
        Peer::Public(cidr) => finding.raise(
            Severity::Medium,
            format!("{traffic} open to the public address range {cidr}"),
        ),
        Peer::Unreadable(cidr) => finding.raise(
            Severity::Medium,
            format!("{traffic} open to an unreadable range {cidr:?}: review it"),
        ),
        Peer::Private(cidr) => finding.note(format!("{traffic} open to the private range {cidr}")),
        Peer::Group(group) => finding.note(format!("{traffic} open to security group {group}")),
        Peer::PrefixList(list) => finding.note(format!("{traffic} open to prefix list {list}")),
    }
}

fn judge_internet(traffic: &str, ports: Ports, cidr: &str, finding: &mut Finding) {
    match ports {
        Ports::All => finding.raise(
            Severity::Critical,
            format!("{traffic} open to the whole internet ({cidr})"),
        ),
        Ports::Icmp => finding.raise(
            Severity::Low,
            format!("{traffic} open to the whole internet ({cidr})"),
        ),
        Ports::Range(from, to) => {
            let sensitive: Vec<String> = SENSITIVE_PORTS
                .iter()
                .filter(|(port, _)| (from..=to).contains(&i64::from(*port)))
                .map(|(port, name)| format!("{port} ({name})"))
                .collect();
            if sensitive.is_empty() {
                finding.raise(
                    Severity::High,
                    format!("{traffic} open to the whole internet ({cidr})"),
                );
            } else {
                finding.raise(
                    Severity::Critical,
                    format!(
                        "{traffic} open to the whole internet ({cidr}), exposing {}",
                        sensitive.join(", ")
                    ),
                );
            }
        }
    }
}

fn describe_traffic(protocol: &str, ports: Ports) -> String {
    match ports {
        Ports::All if matches!(protocol, "-1" | "all") => "all traffic".to_owned(),
        Ports::All => format!("all {protocol} ports"),
        Ports::Icmp => protocol.to_owned(),
        Ports::Range(from, to) if from == to => format!("{protocol} port {from}"),
        Ports::Range(from, to) => format!("{protocol} ports {from}-{to}"),
    }
}

/// Reads a port written as a number or a numeric string.
fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Reads a protocol written as a string or a number.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => Some(s.to_ascii_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_zero_to_65535_is_all_ports() {
        let permission = Permission {
            ip_protocol: Some("tcp".into()),
            from_port: Some(0),
            to_port: Some(65535),
            ..Permission::default()
        };
        assert_eq!(ports(&permission), Ports::All);
    }
}
