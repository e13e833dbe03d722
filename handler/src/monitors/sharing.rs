//! Sharing of AMIs, EBS snapshots and RDS snapshots: with everyone (public) or
//! with other accounts.

use serde::Deserialize;

use super::Pack::Stratus;
use super::{CHECK_CALLER, EC2, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use serde_json::Value;

use crate::finding::read::{Items, request};
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::policy::Home;
use crate::selector::{Call, Selector};
use contract::Severity::{self, High, Low};

/// `ec2-ami-shared`.
pub const EC2_AMI_SHARED: Monitor = calls(
    "ec2-ami-shared",
    "AMI shared",
    &[Stratus],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "ModifyImageAttribute",
                means(Changed, "the launch permissions of AMI", Low).target(&["imageId"]),
            )
            .refine(IMAGE),
            Call::named(
                "DisableImageBlockPublicAccess",
                means(TurnedOff, "AMI block public access", High)
                    .why("AMIs of the region can be shared publicly again")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["aws.exfiltration.ec2-share-ami", "T1537"],
);

/// `ec2-snapshot-shared`.
pub const EC2_SNAPSHOT_SHARED: Monitor = calls(
    "ec2-snapshot-shared",
    "EBS snapshot shared",
    &[Stratus],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "ModifySnapshotAttribute",
                means(Changed, "the volume permissions of EBS snapshot", Low)
                    .target(&["snapshotId"]),
            )
            .refine(SNAPSHOT),
            Call::named(
                "DisableSnapshotBlockPublicAccess",
                means(TurnedOff, "EBS snapshot block public access", High)
                    .why("snapshots of the region can be shared publicly again")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["aws.exfiltration.ec2-share-ebs-snapshot", "T1537"],
);

/// `rds-snapshot-shared`.
pub const RDS_SNAPSHOT_SHARED: Monitor = calls(
    "rds-snapshot-shared",
    "RDS snapshot shared",
    &[Stratus],
    Selector::calls(
        "rds.amazonaws.com",
        &[
            Call::named(
                "ModifyDBSnapshotAttribute",
                means(Changed, "the restore permissions of RDS snapshot", Low)
                    .target(&["dBSnapshotIdentifier"]),
            )
            .refine(RDS_SNAPSHOT),
            Call::named(
                "ModifyDBClusterSnapshotAttribute",
                means(
                    Changed,
                    "the restore permissions of RDS cluster snapshot",
                    Low,
                )
                .target(&["dBClusterSnapshotIdentifier"]),
            )
            .refine(RDS_SNAPSHOT),
        ],
    ),
    &[],
    &["aws.exfiltration.rds-share-snapshot", "T1537"],
);

/// Who a sharing call added.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Added {
    Everyone,
    Account(String),
    /// An organization or organizational unit, by ARN (AMIs only).
    Organization(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct EcRequest {
    image_id: Option<String>,
    snapshot_id: Option<String>,
    launch_permission: Permissions,
    create_volume_permission: Permissions,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Permissions {
    add: Items<Permission>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Permission {
    user_id: Option<String>,
    group: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RdsRequest {
    attribute_name: Option<String>,
    #[serde(rename = "dBSnapshotIdentifier")]
    db_snapshot_identifier: Option<String>,
    #[serde(rename = "dBClusterSnapshotIdentifier")]
    db_cluster_snapshot_identifier: Option<String>,
    values_to_add: Vec<String>,
}

/// The command withdrawing one share (`{id}`, `{value}`, `{region}` to fill
/// in), and the value, for who was added.
type Revert = fn(&Added) -> (&'static str, String);

/// [`image`] and what it decides.
pub const IMAGE: Judge = Judge {
    assess: image,
    decides: "CRITICAL when shared with all accounts; HIGH with another account, or an organization or OU not known to be the home organization",
};

/// ModifyImageAttribute: launch permission for `all` is CRITICAL, for another
/// account, organization or organizational unit HIGH.
pub fn image(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let parameters: Value = request(event)?;
    let request: EcRequest = request(event)?;
    let mut added = ec2_added(&request.launch_permission);
    let removing = parameters["operationType"].as_str() == Some("remove");
    organizations_added(&parameters, removing, &mut added);
    // The JSON form of `--launch-permission`, quoted whole by the command.
    let revert: Revert = |who| {
        let entry = match who {
            Added::Everyone => serde_json::json!({"Group": "all"}),
            Added::Account(account) => serde_json::json!({"UserId": account}),
            Added::Organization(arn) if arn.contains(":ou/") => {
                serde_json::json!({"OrganizationalUnitArn": arn})
            }
            Added::Organization(arn) => serde_json::json!({"OrganizationArn": arn}),
        };
        (
            "aws ec2 modify-image-attribute --image-id {id} --launch-permission {value} --region {region}",
            serde_json::json!({"Remove": [entry]}).to_string(),
        )
    };
    judge(event, finding, ("AMI", request.image_id), &added, revert);
    Ok(())
}

/// Organization and OU ARNs anywhere in the request but under `remove`
/// (`launchPermission.add.items[].organizationArn`, or the top-level
/// `OrganizationArn`/`OrganizationalUnitArn` lists with operation `add`).
fn organizations_added(value: &Value, removing: bool, out: &mut Vec<Added>) {
    match value {
        Value::String(arn)
            if !removing && arn.starts_with("arn:") && arn.contains(":organizations::") =>
        {
            out.push(Added::Organization(arn.clone()));
        }
        Value::Object(map) => {
            for (key, child) in map {
                organizations_added(child, removing || key.eq_ignore_ascii_case("remove"), out);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| organizations_added(item, removing, out)),
        _ => {}
    }
}

/// [`snapshot`] and what it decides.
pub const SNAPSHOT: Judge = Judge {
    assess: snapshot,
    decides: "CRITICAL when shared with all accounts, HIGH with another account",
};

/// ModifySnapshotAttribute: volume permission for `all` is CRITICAL, for another account HIGH.
pub fn snapshot(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: EcRequest = request(event)?;
    let added = ec2_added(&request.create_volume_permission);
    let revert: Revert = |who| match who {
        Added::Account(account) => (
            "aws ec2 modify-snapshot-attribute --snapshot-id {id} --attribute createVolumePermission --operation-type remove --user-ids {value} --region {region}",
            account.clone(),
        ),
        Added::Everyone | Added::Organization(_) => (
            "aws ec2 modify-snapshot-attribute --snapshot-id {id} --attribute createVolumePermission --operation-type remove --group-names {value} --region {region}",
            "all".to_owned(),
        ),
    };
    judge(
        event,
        finding,
        ("EBS snapshot", request.snapshot_id),
        &added,
        revert,
    );
    Ok(())
}

/// [`rds_snapshot`] and what it decides.
pub const RDS_SNAPSHOT: Judge = Judge {
    assess: rds_snapshot,
    decides: "CRITICAL when shared with all accounts, HIGH with another account",
};

/// Modify(DB|DBCluster)SnapshotAttribute `restore`: `all` is CRITICAL, another account HIGH.
pub fn rds_snapshot(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: RdsRequest = request(event)?;
    if request.attribute_name.as_deref() != Some("restore") {
        return Ok(());
    }
    let added: Vec<Added> = request
        .values_to_add
        .iter()
        .map(|value| match value.as_str() {
            "all" => Added::Everyone,
            account => Added::Account(account.to_owned()),
        })
        .collect();
    let (kind, id, revert): (&str, _, Revert) = match request.db_cluster_snapshot_identifier {
        Some(id) => ("RDS cluster snapshot", Some(id), |who| {
            (
                "aws rds modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier {id} --attribute-name restore --values-to-remove {value} --region {region}",
                rds_value(who),
            )
        }),
        None => ("RDS snapshot", request.db_snapshot_identifier, |who| {
            (
                "aws rds modify-db-snapshot-attribute --db-snapshot-identifier {id} --attribute-name restore --values-to-remove {value} --region {region}",
                rds_value(who),
            )
        }),
    };
    judge(event, finding, (kind, id), &added, revert);
    Ok(())
}

fn rds_value(who: &Added) -> String {
    match who {
        Added::Account(account) | Added::Organization(account) => account.clone(),
        Added::Everyone => "all".to_owned(),
    }
}

fn ec2_added(permissions: &Permissions) -> Vec<Added> {
    permissions
        .add
        .items
        .iter()
        .filter_map(|p| match (&p.group, &p.user_id) {
            (Some(group), _) if group == "all" => Some(Added::Everyone),
            (_, Some(user)) => Some(Added::Account(user.clone())),
            _ => None,
        })
        .collect()
}

/// Judges who a share added: everyone is CRITICAL, another account or
/// organization HIGH, and gives the command withdrawing each.
fn judge(
    event: &Event<'_>,
    finding: &mut Finding,
    (kind, id): (&str, Option<String>),
    added: &[Added],
    revert: Revert,
) {
    let id = id.unwrap_or_else(|| "(not recorded)".to_owned());
    let object = format!("{kind} {id}");
    let region = event.region().unwrap_or("us-east-1");
    let home = Home::of(event);
    let mut verb = None;
    for who in added {
        match who {
            Added::Everyone => {
                verb = Some(Verb::MadePublic);
                finding.raise(
                    Severity::Critical,
                    format!("{object} can now be copied by every AWS account (group all)"),
                );
            }
            Added::Account(account) if Some(account.as_str()) == home.account => continue,
            Added::Account(account) => {
                verb.get_or_insert(Verb::Shared);
                finding.raise(
                    Severity::High,
                    format!("{object} can now be copied by account {account}: data can leave the organization"),
                );
            }
            Added::Organization(arn) => {
                // arn:aws:organizations::MGMT:organization/o-x or ...:ou/o-x/ou-y
                let organization = arn.split('/').nth(1).unwrap_or_default();
                match home.organization {
                    Some(home) if home == organization => {
                        finding.note(format!(
                            "{object} is shared within your organization ({arn})"
                        ));
                        continue;
                    }
                    Some(_) => {
                        verb.get_or_insert(Verb::Shared);
                        finding.raise(
                            Severity::High,
                            format!("{object} can now be copied by every account of {arn}, outside your organization"),
                        );
                    }
                    None => {
                        verb.get_or_insert(Verb::Shared);
                        finding.raise(
                            Severity::High,
                            format!("{object} can now be copied by every account of {arn}; trailwatch cannot tell organization {organization} is yours (it can when deployed with [organization])"),
                        );
                    }
                }
            }
        }
        let (template, value) = revert(who);
        finding.command(
            template,
            &[("id", &id), ("value", &value), ("region", region)],
        );
    }
    match verb {
        Some(verb) => finding.describe(verb, &object),
        None if added.is_empty() => {
            finding.note(
                "no account, organization or group was added: nothing new can read it".to_owned(),
            );
        }
        None => {}
    }
}
