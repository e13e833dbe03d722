//! Address ranges as AWS reads them (host bits masked), and a set of ranges
//! judged by its union: the internet, a public range or private space. Shared
//! by security groups, network ACLs and policy conditions on source addresses.

use std::net::IpAddr;

use ipnet::IpNet;

/// Where a permission lets traffic in from; CIDR peers are judged by the union
/// of the permission's ranges, with host bits masked as EC2 masks them.
#[derive(Debug, PartialEq, Eq)]
pub enum Peer {
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

/// Classifies a permission's ranges by their union: ranges that only together
/// cover the internet are judged as the internet.
pub fn classify_cidrs(cidrs: &[&str]) -> Vec<Peer> {
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

/// A CIDR, or a bare address as one host; host bits are masked as AWS masks them.
pub fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(net.trunc());
    }
    text.parse::<IpAddr>().ok().map(IpNet::from)
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
    fn garbage_cidr_is_unreadable() {
        assert_eq!(
            classify_cidrs(&["everyone"]),
            vec![Peer::Unreadable("everyone".into())]
        );
    }
}
