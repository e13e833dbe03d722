//! RDS databases: exposed, their master password reset or their protections
//! removed; destroyed with their backups; copied out; and (opt-in) the
//! routine operations some peers log one by one.

use serde_json::Value;

use super::Pack::Activity;
use super::{CHECK_CALLER, Monitor, calls, foreign_account, means};
use crate::cidr::{Peer, classify_cidrs};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError, Verb};
use crate::selector::{Call, Selector};
use contract::Severity::{High, Low, Medium};

const RDS: &str = "rds.amazonaws.com";
const INSTANCE: &[&str] = &["dBInstanceIdentifier", "dBClusterIdentifier"];
const CLUSTER: &[&str] = &["dBClusterIdentifier", "globalClusterIdentifier"];

/// A call that sets database settings, judged by [`RDS_SETTINGS`].
const fn settings(name: &'static str, object: &'static str) -> Call {
    Call::named(name, means(Changed, object, Low).target(INSTANCE)).refine(RDS_SETTINGS)
}

/// A call that creates a database from a backup, judged by [`RDS_SETTINGS`].
const fn restore(name: &'static str, object: &'static str) -> Call {
    Call::named(name, means(Created, object, Medium).target(INSTANCE)).refine(RDS_SETTINGS)
}

/// `rds-exposed-or-unprotected`.
pub const RDS_EXPOSED_OR_UNPROTECTED: Monitor = calls(
    "rds-exposed-or-unprotected",
    "RDS database made public, its master password reset or its protections removed",
    &[],
    Selector::calls(
        RDS,
        &[
            settings("ModifyDBInstance", "RDS database"),
            settings("ModifyDBCluster", "RDS cluster"),
            settings("CreateDBInstance", "RDS database"),
            settings("CreateDBCluster", "RDS cluster"),
            restore("RestoreDBInstanceFromDBSnapshot", "RDS database"),
            restore("RestoreDBClusterFromSnapshot", "RDS cluster"),
            restore("RestoreDBInstanceFromS3", "RDS database"),
            Call::named(
                "AuthorizeDBSecurityGroupIngress",
                means(Changed, "RDS DB security group", Low).target(&["dBSecurityGroupName"]),
            )
            .refine(DB_SECURITY_GROUP),
            Call::named(
                "CreateDBSecurityGroup",
                means(Created, "RDS DB security group", Low).target(&["dBSecurityGroupName"]),
            ),
            Call::named(
                "RevokeDBSecurityGroupIngress",
                means(Changed, "RDS DB security group", Low).target(&["dBSecurityGroupName"]),
            ),
            Call::named(
                "DeleteDBSecurityGroup",
                means(Deleted, "RDS DB security group", Low).target(&["dBSecurityGroupName"]),
            ),
        ],
    ),
    &[],
    &["T1098", "T1190", "T1490"],
)
.answers(&[
    "elastic:persistence_rds_db_instance_password_modified",
    "elastic:persistence_rds_instance_made_public",
    "elastic:impact_rds_instance_cluster_deletion_protection_disabled",
    "elastic:defense_evasion_rds_instance_restored",
    "panther:aws_rds_master_pass_updated",
    "panther:aws_rds_instance_made_public",
    "panther:aws_rds_deletion_protection_disabled",
    "panther:aws_rds_publicrestore",
    "panther:aws_rds_security_group_ingress_authorized",
    "sigma:aws_rds_change_master_password",
    "sigma:aws_rds_dbcluster_actions",
    "sigma:aws_rds_public_db_restore",
    "sigma:aws_cloudtrail_security_group_change_rds",
]);

/// `rds-data-destroyed`.
pub const RDS_DATA_DESTROYED: Monitor = calls(
    "rds-data-destroyed",
    "RDS database, snapshot or backups deleted",
    &[],
    Selector::calls(
        RDS,
        &[
            Call::named(
                "DeleteDBInstance",
                means(Deleted, "RDS database", Medium)
                    .target(INSTANCE)
                    .check(CHECK_CALLER),
            )
            .refine(RDS_DELETION),
            Call::named(
                "DeleteDBCluster",
                means(Deleted, "RDS cluster", Medium)
                    .target(CLUSTER)
                    .check(CHECK_CALLER),
            )
            .refine(RDS_DELETION),
            Call::named(
                "DeleteGlobalCluster",
                means(Deleted, "RDS global database", Medium)
                    .target(CLUSTER)
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteDBSnapshot",
                means(Deleted, "RDS snapshot", Medium)
                    .target(&["dBSnapshotIdentifier"])
                    .why("a recovery point is gone: restores can no longer start from it")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteDBClusterSnapshot",
                means(Deleted, "RDS cluster snapshot", Medium)
                    .target(&["dBClusterSnapshotIdentifier"])
                    .why("a recovery point is gone: restores can no longer start from it")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteDBInstanceAutomatedBackup",
                means(Deleted, "RDS automated backups", High)
                    .target(&["dbiResourceId", "dBInstanceAutomatedBackupsArn"])
                    .why("the retained automated backups of a deleted database are gone: it cannot be restored to any point")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DeleteDBClusterAutomatedBackup",
                means(Deleted, "RDS cluster automated backups", High)
                    .target(&["dbClusterResourceId"])
                    .why("the retained automated backups of a deleted cluster are gone: it cannot be restored to any point")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["T1485", "T1490"],
)
.answers(&[
    "elastic:impact_rds_instance_cluster_deletion",
    "elastic:impact_rds_snapshot_deleted",
    "panther:aws_rds_instance_deletion",
    "panther:aws_rds_snapshot_deleted",
    "panther:aws_rds_automated_backup_deleted",
    "sigma:aws_rds_dbcluster_actions",
]);

/// `rds-data-copied`.
pub const RDS_DATA_COPIED: Monitor = calls(
    "rds-data-copied",
    "RDS data exported, snapshots copied or roles given to databases",
    &[],
    Selector::calls(
        RDS,
        &[
            Call::named(
                "StartExportTask",
                means(Started, "export of RDS snapshot data to S3", High)
                    .target(&["sourceArn"])
                    .why("the database's data is written to an S3 bucket as Parquet: a bulk copy readable by whoever can read that bucket")
                    .check(CHECK_CALLER),
            )
            .refine(EXPORT_BUCKET),
            Call::named(
                "CopyDBSnapshot",
                means(Created, "copy of RDS snapshot", Low).target(&["sourceDBSnapshotIdentifier"]),
            )
            .refine(SNAPSHOT_COPY),
            Call::named(
                "CopyDBClusterSnapshot",
                means(Created, "copy of RDS cluster snapshot", Low)
                    .target(&["sourceDBClusterSnapshotIdentifier"]),
            )
            .refine(SNAPSHOT_COPY),
            Call::named(
                "AddRoleToDBInstance",
                means(Added, "an IAM role to RDS database", Medium)
                    .target(&["dBInstanceIdentifier"])
                    .why("the database engine can now act as the role (for example write query results to S3)")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "AddRoleToDBCluster",
                means(Added, "an IAM role to RDS cluster", Medium)
                    .target(&["dBClusterIdentifier"])
                    .why("the database engine can now act as the role (for example SELECT INTO OUTFILE S3)")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["T1537", "T1020"],
)
.answers(&[
    "elastic:exfiltration_rds_snapshot_export",
    "panther:aws_rds_snapshot_export",
    "panther:aws_rds_snapshot_copied_cross_region",
    "panther:aws_rds_iam_role_added",
]);

/// `rds-operations` (pack `activity`).
pub const RDS_OPERATIONS: Monitor = calls(
    "rds-operations",
    "RDS database rebooted, failed over or snapshotted",
    &[Activity],
    Selector::calls(
        RDS,
        &[
            Call::named(
                "RebootDBInstance",
                means(Started, "reboot of RDS database", Low).target(INSTANCE),
            ),
            Call::named(
                "RebootDBCluster",
                means(Started, "reboot of RDS cluster", Low).target(CLUSTER),
            ),
            Call::named(
                "RebootDBShardGroup",
                means(Started, "reboot of RDS shard group", Low)
                    .target(&["dBShardGroupIdentifier"]),
            ),
            Call::named(
                "FailoverDBCluster",
                means(Started, "failover of RDS cluster", Low).target(CLUSTER),
            ),
            Call::named(
                "FailoverGlobalCluster",
                means(Started, "failover of RDS global database", Low).target(CLUSTER),
            ),
            Call::named(
                "CreateDBSnapshot",
                means(Created, "RDS snapshot", Low).target(&["dBSnapshotIdentifier"]),
            ),
            Call::named(
                "CreateDBClusterSnapshot",
                means(Created, "RDS cluster snapshot", Low)
                    .target(&["dBClusterSnapshotIdentifier"]),
            ),
        ],
    ),
    &[],
    &["T1529"],
)
.answers(&[
    "panther:aws_rds_instance_rebooted",
    "panther:aws_rds_cluster_failover",
    "panther:aws_rds_manual_snapshot_created",
]);

/// [`rds_settings`] and what it decides.
pub const RDS_SETTINGS: Judge = Judge {
    assess: rds_settings,
    decides: "HIGH for a master password reset, `publiclyAccessible: true` (whether its security groups admit the internet is not in the event) or `backupRetentionPeriod: 0`; MEDIUM for `deletionProtection: false`; a modification changing none of these is dismissed",
};

/// Modify, create and restore calls: exposure, password and protections.
pub fn rds_settings(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let name = event.record.event_name.as_deref().unwrap_or_default();
    let modifies = name.starts_with("Modify");
    let database = finding.object.clone();
    let before = finding.reasons.len();
    if modifies
        && request
            .get("masterUserPassword")
            .is_some_and(|v| !v.is_null())
    {
        finding.describe(Changed, &format!("the master password of {database}"));
        finding.raise(
            High,
            "the master password was reset: whoever reset it can sign in to the database as its administrator".to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    if request["publiclyAccessible"] == Value::Bool(true) {
        finding.describe(MadePublic, &database);
        finding.raise(
            High,
            "the database gets a public address: it is reachable from the internet wherever its security groups admit it (which addresses they admit is not in the event)".to_owned(),
        );
        finding.step(
            "Check the database's security groups for inbound rules from 0.0.0.0/0 or ::/0"
                .to_owned(),
        );
    }
    if request["backupRetentionPeriod"] == 0 {
        finding.describe(Weakened, &database);
        finding.raise(
            High,
            "automated backups turned off (retention 0): existing automated backups are deleted and point-in-time recovery is gone".to_owned(),
        );
    }
    if request["deletionProtection"] == Value::Bool(false) {
        finding.describe(Weakened, &database);
        finding.raise(
            Medium,
            "deletion protection removed: one call can now delete the database".to_owned(),
        );
    }
    let judged = finding.reasons.len() > before;
    if modifies && !judged {
        finding.dismiss(
            "the request changes no exposure, password, backup or deletion-protection setting",
        );
    } else if name.starts_with("Restore") {
        finding.raise(
            Medium,
            "restored from a backup: a new database holds a copy of the data, under a master password its creator chose"
                .to_owned(),
        );
    }
    Ok(())
}

/// [`db_security_group`] and what it decides.
pub const DB_SECURITY_GROUP: Judge = Judge {
    assess: db_security_group,
    decides: "HIGH when the legacy DB security group admits an internet-scale range",
};

/// AuthorizeDBSecurityGroupIngress: the range a legacy DB security group admits.
pub fn db_security_group(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let Some(cidr) = request["cIDRIP"].as_str() else {
        finding
            .note("access granted to another security group, not to an address range".to_owned());
        return Ok(());
    };
    if let Some(Peer::Internet(range)) = classify_cidrs(&[cidr]).into_iter().next() {
        let group = finding.object.clone();
        finding.describe(Opened, &group);
        finding.raise(
            High,
            format!(
                "the databases in the group accept connections from the whole internet ({range})"
            ),
        );
    } else {
        finding.note(format!(
            "the databases in the group accept connections from {cidr}"
        ));
    }
    Ok(())
}

/// [`rds_deletion`] and what it decides.
pub const RDS_DELETION: Judge = Judge {
    assess: rds_deletion,
    decides: "HIGH when no final snapshot is kept or the automated backups go with it",
};

/// DeleteDBInstance and DeleteDBCluster: what recovery is left.
pub fn rds_deletion(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if request["skipFinalSnapshot"] == Value::Bool(true) {
        finding.raise(
            High,
            "no final snapshot was kept: the data can be recovered only from older backups, if any"
                .to_owned(),
        );
    }
    if request["deleteAutomatedBackups"] == Value::Bool(true) {
        finding.raise(
            High,
            "its automated backups were deleted with it".to_owned(),
        );
    }
    if finding.reasons.is_empty() {
        finding.note("a final snapshot or retained backups may allow a restore".to_owned());
    }
    Ok(())
}

/// [`export_bucket`] and what it decides.
pub const EXPORT_BUCKET: Judge = Judge {
    assess: export_bucket,
    decides: "",
};

/// StartExportTask: names the bucket the data goes to.
pub fn export_bucket(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if let Some(bucket) = request["s3BucketName"].as_str() {
        finding.note(format!("destination: S3 bucket {bucket}"));
    }
    Ok(())
}

/// [`snapshot_copy`] and what it decides.
pub const SNAPSHOT_COPY: Judge = Judge {
    assess: snapshot_copy,
    decides: "HIGH when the copy is encrypted with another account's KMS key",
};

/// CopyDBSnapshot and CopyDBClusterSnapshot: a copy under someone else's key
/// is readable by that account.
pub fn snapshot_copy(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if let Some(account) = request["kmsKeyId"]
        .as_str()
        .and_then(|key| foreign_account(event, key))
    {
        let copy = finding.object.clone();
        finding.describe(Verb::Shared, &copy);
        finding.raise(
            High,
            format!("the copy is encrypted with a KMS key of account {account}: that account can read it"),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    if let Some(region) = request["sourceRegion"].as_str() {
        finding.note(format!("copied from region {region}"));
    }
    Ok(())
}
