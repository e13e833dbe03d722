//! What recovery depends on, destroyed: backup vaults, their locks and
//! recovery points, EFS file systems and AMIs.

use super::{CHECK_CALLER, EC2, Monitor, means, services};
use crate::finding::Verb::*;
use crate::selector::{Call, Selector};
use contract::Severity::{High, Low, Medium};

const VAULT: &[&str] = &["backupVaultName"];
const FILE_SYSTEM: &[&str] = &["fileSystemId"];

/// `backups-or-storage-deleted`.
pub const BACKUPS_OR_STORAGE_DELETED: Monitor = services(
    "backups-or-storage-deleted",
    "Backup vault, lock or recovery point, EFS file system or AMI deleted",
    &[],
    &[
        Selector::calls(
            "backup.amazonaws.com",
            &[
                Call::named(
                    "DeleteBackupVaultLockConfiguration",
                    means(Removed, "the lock of Backup vault", High)
                        .target(VAULT)
                        .why("the vault's recovery points can now be deleted before their retention ends")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DeleteRecoveryPoint",
                    means(Deleted, "backup recovery point", Medium)
                        .target(&["recoveryPointArn"])
                        .why("a backup is gone: restores can no longer start from it")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DeleteBackupVault",
                    means(Deleted, "Backup vault", Medium)
                        .target(VAULT)
                        .why("new backups can no longer be stored in it")
                        .check(CHECK_CALLER),
                ),
            ],
        ),
        Selector::calls(
            "elasticfilesystem.amazonaws.com",
            &[
                Call::named(
                    "DeleteFileSystem",
                    means(Deleted, "EFS file system", Medium)
                        .target(FILE_SYSTEM)
                        .why("its files are gone unless a backup holds them")
                        .check(CHECK_CALLER),
                ),
                Call::named(
                    "DeleteMountTarget",
                    means(Deleted, "EFS mount target", Low).target(&["mountTargetId"]),
                ),
            ],
        ),
        Selector::calls(
            EC2,
            &[Call::named(
                "DeregisterImage",
                means(Deleted, "AMI (deregistered)", Medium)
                    .target(&["imageId"])
                    .why("instances can no longer be launched from the image, including by auto scaling")
                    .check(CHECK_CALLER),
            )],
        ),
    ],
    &[],
    &["aws.impact.ec2-deregister-ami", "T1485", "T1490"],
)
.answers(&[
    "elastic:impact_backup_recovery_point_deleted",
    "elastic:impact_backup_vault_deleted_or_lock_removed",
    "elastic:impact_efs_filesystem_deleted",
    "sigma:aws_efs_fileshare_modified_or_deleted",
    "sigma:aws_efs_fileshare_mount_modified_or_deleted",
    "stratus:aws.impact.ec2-deregister-ami",
]);
