//! AuthorizeSecurityGroupIngress: which ports were opened, and to whom.

use std::net::IpAddr;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{Finding, ReadError, request};
use crate::event::Record;
use crate::severity::Severity;

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

/// CloudTrail writes lists as `{}` or `{"items": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(default)]
struct Items<T> {
    items: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
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

/// Where a permission lets traffic in from.
#[derive(Debug, PartialEq, Eq)]
enum Peer {
    Internet(String),
    Public(String),
    Private(String),
    Group(String),
    PrefixList(String),
    Unreadable(String),
}

/// AuthorizeSecurityGroupIngress: CRITICAL for sensitive ports or all traffic from
/// the internet, HIGH for other internet-open ports, LOW for private peers.
pub fn authorize_ingress(record: &Record<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(record)?;
    let group = request
        .group_id
        .clone()
        .or(request.group_name.clone())
        .unwrap_or_else(|| "(group not recorded)".to_owned());
    finding.target(&group);
    for permission in permissions(request) {
        let ports = ports(&permission);
        let protocol = permission.ip_protocol.as_deref().unwrap_or("-1");
        for peer in peers(&permission) {
            judge(protocol, ports, &peer, finding);
        }
    }
    if finding.severity >= Severity::High {
        finding.describe("opened", "open", &format!("{group} to the internet"));
    } else {
        finding.describe("added", "add", &format!("ingress rules to {group}"));
    }
    Ok(())
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
    let cidrs = permission
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
        .map(classify_cidr);
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
    cidrs.chain(groups).chain(prefix_lists).collect()
}

fn classify_cidr(cidr: &str) -> Peer {
    let parsed = cidr
        .split_once('/')
        .and_then(|(ip, len)| Some((ip.parse::<IpAddr>().ok()?, len.parse::<u8>().ok()?)));
    match parsed {
        None => Peer::Unreadable(cidr.to_owned()),
        Some((_, 0)) => Peer::Internet(cidr.to_owned()),
        Some((ip, _)) if is_private(ip) => Peer::Private(cidr.to_owned()),
        Some(_) => Peer::Public(cidr.to_owned()),
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
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
    fn ipv6_zero_prefix_is_the_internet() {
        assert_eq!(classify_cidr("::/0"), Peer::Internet("::/0".into()));
    }

    #[test]
    fn any_zero_prefix_is_the_internet() {
        assert_eq!(
            classify_cidr("10.1.2.3/0"),
            Peer::Internet("10.1.2.3/0".into())
        );
    }

    #[test]
    fn carrier_grade_nat_is_private() {
        assert_eq!(
            classify_cidr("100.64.0.0/10"),
            Peer::Private("100.64.0.0/10".into())
        );
    }

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

    #[test]
    fn garbage_cidr_is_unreadable() {
        assert_eq!(
            classify_cidr("everyone"),
            Peer::Unreadable("everyone".into())
        );
    }
}
