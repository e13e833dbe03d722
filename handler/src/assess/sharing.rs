//! Sharing of AMIs, EBS snapshots and RDS snapshots: with everyone (public) or
//! with other accounts.

use serde::Deserialize;

use super::{Finding, Items, Judge, ReadError, Verb, own_account, request};
use crate::event::Event;
use crate::severity::Severity;

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

/// [`image`] and what it decides.
pub const IMAGE: Judge = Judge {
    assess: image,
    decides: "CRITICAL when shared with all accounts, HIGH with another account",
};

/// ModifyImageAttribute: launch permission for `all` is CRITICAL, for another account HIGH.
pub fn image(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: EcRequest = request(event)?;
    let image = request
        .image_id
        .unwrap_or_else(|| "(not recorded)".to_owned());
    let added = ec2_added(&request.launch_permission);
    let region = event.region().unwrap_or("us-east-1");
    let revert = |finding: &mut Finding, who: &Added| {
        let (template, value) = match who {
            Added::Everyone => (
                "aws ec2 modify-image-attribute --image-id {id} --launch-permission Remove=[{Group=all}] --region {region}",
                "all".to_owned(),
            ),
            Added::Account(account) => (
                "aws ec2 modify-image-attribute --image-id {id} --launch-permission Remove=[{UserId={account}}] --region {region}",
                account.clone(),
            ),
        };
        finding.command(
            template,
            &[("id", &image), ("account", &value), ("region", region)],
        );
    };
    judge(event, finding, &format!("AMI {image}"), &added, revert);
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
    let snapshot = request
        .snapshot_id
        .unwrap_or_else(|| "(not recorded)".to_owned());
    let added = ec2_added(&request.create_volume_permission);
    let region = event.region().unwrap_or("us-east-1");
    let revert = |finding: &mut Finding, who: &Added| {
        let (template, value) = match who {
            Added::Everyone => (
                "aws ec2 modify-snapshot-attribute --snapshot-id {id} --attribute createVolumePermission --operation-type remove --group-names {value} --region {region}",
                "all".to_owned(),
            ),
            Added::Account(account) => (
                "aws ec2 modify-snapshot-attribute --snapshot-id {id} --attribute createVolumePermission --operation-type remove --user-ids {value} --region {region}",
                account.clone(),
            ),
        };
        finding.command(
            template,
            &[("id", &snapshot), ("value", &value), ("region", region)],
        );
    };
    judge(
        event,
        finding,
        &format!("EBS snapshot {snapshot}"),
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
    let cluster = request.db_cluster_snapshot_identifier.is_some();
    let snapshot = request
        .db_snapshot_identifier
        .or(request.db_cluster_snapshot_identifier)
        .unwrap_or_else(|| "(not recorded)".to_owned());
    let added: Vec<Added> = request
        .values_to_add
        .iter()
        .map(|value| match value.as_str() {
            "all" => Added::Everyone,
            account => Added::Account(account.to_owned()),
        })
        .collect();
    let region = event.region().unwrap_or("us-east-1");
    let revert = |finding: &mut Finding, who: &Added| {
        let value = match who {
            Added::Everyone => "all".to_owned(),
            Added::Account(account) => account.clone(),
        };
        let template = if cluster {
            "aws rds modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier {id} --attribute-name restore --values-to-remove {value} --region {region}"
        } else {
            "aws rds modify-db-snapshot-attribute --db-snapshot-identifier {id} --attribute-name restore --values-to-remove {value} --region {region}"
        };
        finding.command(
            template,
            &[("id", &snapshot), ("value", &value), ("region", region)],
        );
    };
    let kind = if cluster {
        "RDS cluster snapshot"
    } else {
        "RDS snapshot"
    };
    judge(
        event,
        finding,
        &format!("{kind} {snapshot}"),
        &added,
        revert,
    );
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

fn judge(
    event: &Event<'_>,
    finding: &mut Finding,
    object: &str,
    added: &[Added],
    revert: impl Fn(&mut Finding, &Added),
) {
    let own = own_account(event);
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
            Added::Account(account) if Some(account.as_str()) == own => continue,
            Added::Account(account) => {
                verb.get_or_insert(Verb::Shared);
                finding.raise(
                    Severity::High,
                    format!("{object} can now be copied by account {account}: data can leave the organization"),
                );
            }
        }
        revert(finding, who);
    }
    match verb {
        Some(verb) => finding.describe(verb, object),
        None => finding.note("no account was added: nothing new can read it".to_owned()),
    }
}
