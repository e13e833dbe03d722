//! Sharing of AMIs, EBS snapshots and RDS snapshots: with everyone (public) or
//! with other accounts.

use serde::Deserialize;

use super::Pack::Stratus;
use super::{EC2, Monitor, calls, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::{Items, own_account, request};
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::selector::{Call, Selector};
use contract::Severity::{self, Low};

/// `ec2-ami-shared`.
pub const EC2_AMI_SHARED: Monitor = calls(
    "ec2-ami-shared",
    "AMI shared",
    &[Stratus],
    Selector::calls(
        EC2,
        &[Call::named(
            "ModifyImageAttribute",
            means(Changed, "the launch permissions of AMI", Low).target(&["imageId"]),
        )
        .refine(IMAGE)],
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
        &[Call::named(
            "ModifySnapshotAttribute",
            means(Changed, "the volume permissions of EBS snapshot", Low).target(&["snapshotId"]),
        )
        .refine(SNAPSHOT)],
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

/// The commands that withdraw a share, with `{id}`, `{value}` (`all` or the
/// account) and `{region}` filled in.
struct Revert {
    everyone: &'static str,
    account: &'static str,
}

/// [`image`] and what it decides.
pub const IMAGE: Judge = Judge {
    assess: image,
    decides: "CRITICAL when shared with all accounts, HIGH with another account",
};

/// ModifyImageAttribute: launch permission for `all` is CRITICAL, for another account HIGH.
pub fn image(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: EcRequest = request(event)?;
    let added = ec2_added(&request.launch_permission);
    let revert = Revert {
        everyone: "aws ec2 modify-image-attribute --image-id {id} --launch-permission Remove=[{Group={value}}] --region {region}",
        account: "aws ec2 modify-image-attribute --image-id {id} --launch-permission Remove=[{UserId={value}}] --region {region}",
    };
    judge(event, finding, ("AMI", request.image_id), &added, &revert);
    Ok(())
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
    let revert = Revert {
        everyone: "aws ec2 modify-snapshot-attribute --snapshot-id {id} --attribute createVolumePermission --operation-type remove --group-names {value} --region {region}",
        account: "aws ec2 modify-snapshot-attribute --snapshot-id {id} --attribute createVolumePermission --operation-type remove --user-ids {value} --region {region}",
    };
    judge(
        event,
        finding,
        ("EBS snapshot", request.snapshot_id),
        &added,
        &revert,
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
    let (kind, id, template) = match request.db_cluster_snapshot_identifier {
        Some(id) => (
            "RDS cluster snapshot",
            Some(id),
            "aws rds modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier {id} --attribute-name restore --values-to-remove {value} --region {region}",
        ),
        None => (
            "RDS snapshot",
            request.db_snapshot_identifier,
            "aws rds modify-db-snapshot-attribute --db-snapshot-identifier {id} --attribute-name restore --values-to-remove {value} --region {region}",
        ),
    };
    let revert = Revert {
        everyone: template,
        account: template,
    };
    judge(event, finding, (kind, id), &added, &revert);
    Ok(())
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

/// Judges who a share added: everyone is CRITICAL, another account HIGH, and
/// gives the command withdrawing each.
fn judge(
    event: &Event<'_>,
    finding: &mut Finding,
    (kind, id): (&str, Option<String>),
    added: &[Added],
    revert: &Revert,
) {
    let id = id.unwrap_or_else(|| "(not recorded)".to_owned());
    let object = format!("{kind} {id}");
    let region = event.region().unwrap_or("us-east-1");
    let own = own_account(event);
    let mut verb = None;
    for who in added {
        let (template, value) = match who {
            Added::Everyone => {
                verb = Some(Verb::MadePublic);
                finding.raise(
                    Severity::Critical,
                    format!("{object} can now be copied by every AWS account (group all)"),
                );
                (revert.everyone, "all")
            }
            Added::Account(account) if Some(account.as_str()) == own => continue,
            Added::Account(account) => {
                verb.get_or_insert(Verb::Shared);
                finding.raise(
                    Severity::High,
                    format!("{object} can now be copied by account {account}: data can leave the organization"),
                );
                (revert.account, account.as_str())
            }
        };
        finding.command(
            template,
            &[("id", &id), ("value", value), ("region", region)],
        );
    }
    match verb {
        Some(verb) => finding.describe(verb, &object),
        None => finding.note("no account was added: nothing new can read it".to_owned()),
    }
}
