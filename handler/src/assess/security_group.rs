//! AuthorizeSecurityGroupIngress: which ports were opened, and to whom.

use ipnet::IpNet;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::policy::parse_net;
use super::{Finding, Items, Judge, ReadError, Verb, request};
use crate::event::Event;
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

/// Where a permission lets traffic in from; CIDR peers are judged by the union
/// of the permission's ranges, with host bits masked as EC2 masks them.
#[derive(Debug, PartialEq, Eq)]
enum Peer {
    /// Ranges that together cover the internet (or an internet-scale share of it).
    Internet(String),
    Public(String),
    Private(String),
    Group(String),
    PrefixList(String),
    Unreadable(String),
}

/// Address space that is never routed on the internet.
const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "127.0.0.0/8",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
];
/// Shortest prefixes judged as a public range rather than as the internet.
const INTERNET_SCALE_V4: u8 = 8;
const INTERNET_SCALE_V6: u8 = 16;

/// [`authorize_ingress`] and what it decides.
pub const AUTHORIZE_INGRESS: Judge = Judge {
    assess: authorize_ingress,
    decides: "CRITICAL when internet-wide ranges (judged by their union, host bits masked) reach an administration or database port or all traffic; HIGH for other ports; MEDIUM for other public ranges",
};

/// AuthorizeSecurityGroupIngress: CRITICAL for sensitive ports or all traffic from
/// the internet, HIGH for other internet-open ports, LOW for private peers.
pub fn authorize_ingress(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Request = request(event)?;
    let group = request
        .group_id
        .clone()
        .or(request.group_name.clone())
        .unwrap_or_else(|| "(group not recorded)".to_owned());
    finding.target(&group);
    let mut opened = Vec::new();
    for permission in permissions(request) {
        let ports = ports(&permission);
        let protocol = permission
            .ip_protocol
            .clone()
            .unwrap_or_else(|| "-1".to_owned());
        for peer in peers(&permission) {
            if let Peer::Internet(cidrs) = &peer {
                opened.push((protocol.clone(), ports, cidrs.clone()));
            }
            judge(&protocol, ports, &peer, finding);
        }
    }
    if opened.is_empty() {
        finding.describe(Verb::Added, &format!("ingress rules to {group}"));
    } else {
        finding.describe(Verb::Opened, &group);
    }
    let region = event.region().unwrap_or("us-east-1");
    for (protocol, ports, cidrs) in opened {
        for cidr in cidrs.split(", ") {
            revoke(finding, &group, &protocol, ports, cidr, region);
        }
    }
    Ok(())
}

/// The command that removes one internet-facing range from the group.
fn revoke(
    finding: &mut Finding,
    group: &str,
    protocol: &str,
    ports: Ports,
    cidr: &str,
    region: &str,
) {
    let port = match ports {
        Ports::Range(from, to) if from == to => from.to_string(),
        Ports::Range(from, to) => format!("{from}-{to}"),
        Ports::All | Ports::Icmp => "-1".to_owned(),
    };
    let values = [
        ("group", group),
        ("protocol", protocol),
        ("port", port.as_str()),
        ("cidr", cidr),
        ("region", region),
    ];
    let template = if cidr.contains(':') {
        "aws ec2 revoke-security-group-ingress --group-id {group} --ip-permissions IpProtocol={protocol},FromPort={port},ToPort={port},Ipv6Ranges=[{CidrIpv6={cidr}}] --region {region}"
    } else if matches!(ports, Ports::All | Ports::Icmp) {
        "aws ec2 revoke-security-group-ingress --group-id {group} --protocol {protocol} --cidr {cidr} --region {region}"
    } else {
        "aws ec2 revoke-security-group-ingress --group-id {group} --protocol {protocol} --port {port} --cidr {cidr} --region {region}"
    };
    finding.command(template, &values);
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

/// Classifies a permission's ranges by their union: ranges that only together
/// cover the internet are judged as the internet.
fn classify_cidrs(cidrs: &[&str]) -> Vec<Peer> {
    let mut peers = Vec::new();
    let mut parsed: Vec<(IpNet, &str)> = Vec::new();
    for cidr in cidrs {
        match parse_net(cidr) {
            Some(net) => parsed.push((net, cidr)),
            None => peers.push(Peer::Unreadable((*cidr).to_owned())),
        }
    }
    let nets: Vec<IpNet> = parsed.iter().map(|(net, _)| *net).collect();
    for union in IpNet::aggregate(&nets) {
        let members = members(
            parsed
                .iter()
                .filter(|(n, _)| union.contains(n))
                .map(|(_, c)| *c),
        );
        let internet_scale = match union {
            IpNet::V4(_) => INTERNET_SCALE_V4,
            IpNet::V6(_) => INTERNET_SCALE_V6,
        };
        let private = PRIVATE
            .iter()
            .any(|p| p.parse::<IpNet>().is_ok_and(|p| p.contains(&union)));
        peers.push(classify(
            union.prefix_len() <= internet_scale,
            private,
            members,
        ));
    }
    peers
}

fn members<'a>(cidrs: impl Iterator<Item = &'a str>) -> String {
    cidrs.collect::<Vec<_>>().join(", ")
}

fn classify(internet_scale: bool, private: bool, cidrs: String) -> Peer {
    if private {
        Peer::Private(cidrs)
    } else if internet_scale {
        Peer::Internet(cidrs)
    } else {
        Peer::Public(cidrs)
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

    fn internet(cidrs: &str) -> Peer {
        Peer::Internet(cidrs.into())
    }

    #[test]
    fn any_zero_prefix_is_the_internet() {
        assert_eq!(
            classify_cidrs(&["10.1.2.3/0"]),
            vec![internet("10.1.2.3/0")]
        );
        assert_eq!(classify_cidrs(&["::/0"]), vec![internet("::/0")]);
    }

    #[test]
    fn two_halves_are_the_internet_together() {
        assert_eq!(
            classify_cidrs(&["0.0.0.0/1", "128.0.0.0/1"]),
            vec![internet("0.0.0.0/1, 128.0.0.0/1")]
        );
    }

    #[test]
    fn host_bits_are_masked_before_judging_a_range_private() {
        assert_eq!(
            classify_cidrs(&["10.0.0.0/1", "192.168.0.0/1"]),
            vec![internet("10.0.0.0/1, 192.168.0.0/1")]
        );
        assert_eq!(
            classify_cidrs(&["fc00::/1", "fe80::/1"]),
            vec![internet("fc00::/1, fe80::/1")]
        );
    }

    #[test]
    fn carrier_grade_nat_and_unique_local_are_private() {
        assert_eq!(
            classify_cidrs(&["100.64.0.0/10", "fd00:1::/64"]),
            vec![
                Peer::Private("100.64.0.0/10".into()),
                Peer::Private("fd00:1::/64".into())
            ]
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
            classify_cidrs(&["everyone"]),
            vec![Peer::Unreadable("everyone".into())]
        );
    }
}
