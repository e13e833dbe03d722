//! Rules and prefix lists rewritten in place: ModifySecurityGroupRules judged
//! as the ingress rules it writes, ModifyManagedPrefixList by the ranges it adds.

use serde::Deserialize;
use serde_json::Value;

use super::{
    Group, GroupRef, Ipv4Range, Ipv6Range, Permission, PrefixListRef, judge_permissions, number,
    text,
};
use crate::cidr::{Peer, classify_cidrs};
use crate::event::Event;
use crate::finding::read::{Items, OneOrMany, request};
use crate::finding::{Finding, Judge, ReadError, Verb};
use contract::Severity;

/// `requestParameters` of ModifySecurityGroupRules, as CloudTrail records it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ModifyRequest {
    #[serde(rename = "ModifySecurityGroupRulesRequest")]
    request: ModifyRules,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ModifyRules {
    group_id: Option<String>,
    security_group_rule: Option<OneOrMany<RuleUpdate>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct RuleUpdate {
    security_group_rule_id: Option<String>,
    security_group_rule: RuleRequest,
}

/// One rule as ModifySecurityGroupRules writes it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct RuleRequest {
    #[serde(deserialize_with = "text")]
    ip_protocol: Option<String>,
    #[serde(deserialize_with = "number")]
    from_port: Option<i64>,
    #[serde(deserialize_with = "number")]
    to_port: Option<i64>,
    cidr_ipv4: Option<String>,
    cidr_ipv6: Option<String>,
    prefix_list_id: Option<String>,
    referenced_group_id: Option<String>,
}

impl From<RuleRequest> for Permission {
    fn from(rule: RuleRequest) -> Self {
        Permission {
            ip_protocol: rule.ip_protocol,
            from_port: rule.from_port,
            to_port: rule.to_port,
            ip_ranges: Items {
                items: rule
                    .cidr_ipv4
                    .map(|c| Ipv4Range { cidr_ip: Some(c) })
                    .into_iter()
                    .collect(),
            },
            ipv6_ranges: Items {
                items: rule
                    .cidr_ipv6
                    .map(|c| Ipv6Range { cidr_ipv6: Some(c) })
                    .into_iter()
                    .collect(),
            },
            groups: Items {
                items: rule
                    .referenced_group_id
                    .map(|id| GroupRef {
                        group_id: Some(id),
                        group_name: None,
                    })
                    .into_iter()
                    .collect(),
            },
            prefix_list_ids: Items {
                items: rule
                    .prefix_list_id
                    .map(|id| PrefixListRef {
                        prefix_list_id: Some(id),
                    })
                    .into_iter()
                    .collect(),
            },
        }
    }
}

/// [`modify_rules`] and what it decides.
pub const MODIFY_RULES: Judge = Judge {
    assess: modify_rules,
    decides: "each rewritten rule judged exactly as AuthorizeSecurityGroupIngress judges a new one (the record does not say whether a rule is ingress or egress)",
};

/// ModifySecurityGroupRules: each rule's new content judged as an ingress rule.
pub fn modify_rules(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: ModifyRequest = request(event)?;
    let group = Group::of(request.request.group_id, None);
    let updates = request
        .request
        .security_group_rule
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    let mut rules = Vec::new();
    let mut permissions = Vec::new();
    for update in updates {
        rules.extend(update.security_group_rule_id);
        permissions.push(Permission::from(update.security_group_rule));
    }
    let opened = judge_permissions(&group, &permissions, finding);
    if opened.is_empty() {
        finding.describe(
            Verb::Changed,
            &format!("rules of security group {}", group.label()),
        );
    } else {
        finding.note(
            "ModifySecurityGroupRules does not record whether a rule is ingress or egress: judged as ingress".to_owned(),
        );
        let region = event.region().unwrap_or("us-east-1");
        for rule in &rules {
            finding.command(
                "aws ec2 revoke-security-group-ingress --group-id {group} --security-group-rule-ids {rule} --region {region}",
                &[("group", group.label()), ("rule", rule), ("region", region)],
            );
        }
    }
    Ok(())
}

/// [`prefix_list`] and what it decides.
pub const PREFIX_LIST: Judge = Judge {
    assess: prefix_list,
    decides: "HIGH when an added entry is internet-wide (every rule referencing the list admits the internet), MEDIUM for another public range",
};

/// ModifyManagedPrefixList: entries added to a list that security group rules
/// (and route tables) reference by id open them as if written in each rule.
pub fn prefix_list(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    // The API names them `AddEntries[].Cidr`; CloudTrail's nesting of EC2's
    // newer calls varies (`ModifyManagedPrefixListRequest.AddEntry`, lists or
    // one object), so every `Cidr` under an added-entries key is read.
    let mut cidrs = Vec::new();
    added_cidrs(&request, false, &mut cidrs);
    let list = finding
        .target
        .clone()
        .unwrap_or_else(|| "(not recorded)".to_owned());
    let cidrs: Vec<&str> = cidrs.iter().map(String::as_str).collect();
    for peer in classify_cidrs(&cidrs) {
        match peer {
            Peer::Internet(range) => {
                finding.describe(Verb::Opened, &format!("prefix list {list}"));
                finding.raise(
                    Severity::High,
                    format!("{range} added to prefix list {list}: every security group rule that references it now admits the whole internet on its ports"),
                );
            }
            Peer::Public(range) | Peer::Unreadable(range) => finding.raise(
                Severity::Medium,
                format!("{range} added to prefix list {list}: rules that reference it admit that public range"),
            ),
            Peer::Private(range) => finding.note(format!("{range} added to prefix list {list}")),
            Peer::Group(_) | Peer::PrefixList(_) => {}
        }
    }
    Ok(())
}

/// Collects every `Cidr` value below keys naming added entries.
fn added_cidrs(value: &Value, adding: bool, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let key = key.to_ascii_lowercase();
                match child {
                    Value::String(cidr) if adding && key == "cidr" => out.push(cidr.clone()),
                    _ => added_cidrs(child, adding || key.starts_with("addentr"), out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| added_cidrs(item, adding, out)),
        _ => {}
    }
}
