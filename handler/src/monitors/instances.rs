//! EC2 beyond networking: whole disks exported, traffic mirrored, roles and
//! SSH keys given to instances, account defaults (EBS encryption, IMDSv2)
//! weakened; and (opt-in) the routine instance and image lifecycle.

use serde_json::Value;

use super::Pack::Activity;
use super::{CHECK_CALLER, EC2, Monitor, calls, foreign_account, means};
use crate::event::Event;
use crate::finding::Verb::*;
use crate::finding::read::request;
use crate::finding::{Finding, Judge, ReadError};
use crate::selector::{Call, Selector};
use contract::Severity::{High, Low, Medium};

const SESSION: &[&str] = &["trafficMirrorSessionId", "networkInterfaceId"];
const FILTER: &[&str] = &["trafficMirrorFilterId"];
const FILTER_RULE: &[&str] = &["trafficMirrorFilterRuleId", "trafficMirrorFilterId"];

/// `ec2-instance-exported`.
pub const EC2_INSTANCE_EXPORTED: Monitor = calls(
    "ec2-instance-exported",
    "EC2 instance or image exported to S3, or an image imported",
    &[],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "CreateInstanceExportTask",
                means(Started, "export of EC2 instance", High)
                    .target(&["instanceId"])
                    .why("the instance's disks are written to S3 as a VM image: a full copy of its data, readable by whoever can read the bucket")
                    .check(CHECK_CALLER),
            )
            .refine(EXPORT_DESTINATION),
            Call::named(
                "ExportImage",
                means(Started, "export of AMI", High)
                    .target(&["imageId"])
                    .why("the image's disks are written to S3 as a VM image: a full copy of its data, readable by whoever can read the bucket")
                    .check(CHECK_CALLER),
            )
            .refine(EXPORT_DESTINATION),
            Call::named(
                "CreateStoreImageTask",
                means(Started, "storing of AMI in S3", High)
                    .target(&["imageId"])
                    .why("the image and its snapshots are stored as one S3 object: a full copy of its data, readable by whoever can read the bucket")
                    .check(CHECK_CALLER),
            )
            .refine(EXPORT_DESTINATION),
            Call::named(
                "CreateRestoreImageTask",
                means(Created, "AMI restored from S3", Low).target(&["objectKey"]),
            ),
            Call::named("ImportImage", means(Started, "import of a VM image", Low)),
            Call::named("ImportInstance", means(Started, "import of a VM as an instance", Low)),
        ],
    ),
    &[],
    &["T1537", "T1005"],
)
.answers(&[
    "elastic:exfiltration_ec2_export_task",
    "panther:aws_modify_cloud_compute_infrastructure",
    "panther:aws_ec2_monitoring",
    "sigma:aws_ec2_vm_export_failure",
]);

/// `ec2-traffic-mirrored`.
pub const EC2_TRAFFIC_MIRRORED: Monitor = calls(
    "ec2-traffic-mirrored",
    "VPC traffic mirroring set up or changed",
    &[],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "CreateTrafficMirrorSession",
                means(Started, "traffic mirroring of network interface", High)
                    .target(&["networkInterfaceId"])
                    .why("every packet of the interface is copied to a target the caller chose: a full capture of its traffic")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "CreateTrafficMirrorTarget",
                means(Created, "traffic mirror target", Medium)
                    .target(&["networkInterfaceId", "networkLoadBalancerArn", "gatewayLoadBalancerEndpointId"])
                    .why("mirrored packets can be sent to it")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "ModifyTrafficMirrorSession",
                means(Changed, "traffic mirror session", Medium)
                    .target(SESSION)
                    .why("what is captured, or where it goes, changed")
                    .check(CHECK_CALLER),
            ),
            Call::named("CreateTrafficMirrorFilter", means(Created, "traffic mirror filter", Low)),
            Call::named("CreateTrafficMirrorFilterRule", means(Created, "traffic mirror filter rule", Low).target(FILTER)),
            Call::named("ModifyTrafficMirrorFilterRule", means(Changed, "traffic mirror filter rule", Low).target(FILTER_RULE)),
            Call::named("ModifyTrafficMirrorFilterNetworkServices", means(Changed, "traffic mirror filter", Low).target(FILTER)),
            Call::named("DeleteTrafficMirrorSession", means(Deleted, "traffic mirror session", Low).target(SESSION)),
            Call::named("DeleteTrafficMirrorTarget", means(Deleted, "traffic mirror target", Low).target(&["trafficMirrorTargetId"])),
            Call::named("DeleteTrafficMirrorFilter", means(Deleted, "traffic mirror filter", Low).target(FILTER)),
            Call::named("DeleteTrafficMirrorFilterRule", means(Deleted, "traffic mirror filter rule", Low).target(FILTER_RULE)),
        ],
    ),
    &[],
    &["T1040"],
)
.answers(&[
    "elastic:exfiltration_ec2_full_network_packet_capture_detected",
    "panther:aws_ec2_traffic_mirroring",
]);

/// `ec2-instance-role-or-key-added`.
pub const EC2_INSTANCE_ROLE_OR_KEY_ADDED: Monitor = calls(
    "ec2-instance-role-or-key-added",
    "Role given to a running instance, or an SSH key pair imported",
    &[],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "AssociateIamInstanceProfile",
                means(Attached, "an IAM role to EC2 instance", Medium)
                    .target(&["instanceId"])
                    .why("whoever controls the instance can now act as the profile's role")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "ReplaceIamInstanceProfileAssociation",
                means(Changed, "the IAM role of an EC2 instance", Medium)
                    .target(&["associationId"])
                    .why("whoever controls the instance can now act as the new role")
                    .check(CHECK_CALLER),
            ),
            Call::named(
                "DisassociateIamInstanceProfile",
                means(Removed, "the IAM role of an EC2 instance", Low).target(&["associationId"]),
            ),
            Call::named(
                "ImportKeyPair",
                means(Added, "SSH key pair", Medium)
                    .target(&["keyName"])
                    .why("instances launched with the key admit whoever holds its private key, which never passed through AWS")
                    .check(CHECK_CALLER),
            ),
        ],
    ),
    &[],
    &["T1098", "T1078.004"],
)
.answers(&[
    "elastic:privilege_escalation_ec2_instance_profile_associated_with_running_instance",
    "panther:aws_modify_cloud_compute_infrastructure",
    "sigma:aws_ec2_import_key_pair_activity",
]);

/// `ec2-protection-weakened`.
pub const EC2_PROTECTION_WEAKENED: Monitor = calls(
    "ec2-protection-weakened",
    "EBS encryption by default or instance metadata protection weakened",
    &[],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "DisableEbsEncryptionByDefault",
                means(TurnedOff, "EBS encryption by default", High)
                    .why("new volumes and snapshot copies in this region are no longer encrypted unless asked for")
                    .check(CHECK_CALLER)
                    .revert("aws ec2 enable-ebs-encryption-by-default --region {region}"),
            ),
            Call::named(
                "ModifyEbsDefaultKmsKeyId",
                means(Changed, "the default EBS encryption key", Low).target(&["kmsKeyId"]),
            )
            .refine(EBS_DEFAULT_KEY),
            Call::named(
                "ModifyInstanceMetadataOptions",
                means(Changed, "the metadata options of EC2 instance", Low).target(&["instanceId"]),
            )
            .refine(METADATA_OPTIONS),
            Call::named(
                "ModifyInstanceMetadataDefaults",
                means(Changed, "the account's instance metadata defaults", Low),
            )
            .refine(METADATA_OPTIONS),
        ],
    ),
    &[],
    &["T1562.001", "T1552.005"],
)
.answers(&[
    "elastic:impact_ec2_disable_ebs_encryption",
    "panther:aws_ec2_ebs_encryption_disabled",
    "panther:aws_security_configuration_change",
    "panther:aws_modify_cloud_compute_infrastructure",
    "sigma:aws_ec2_disable_encryption",
]);

/// `ec2-instance-lifecycle` (pack `activity`).
pub const EC2_INSTANCE_LIFECYCLE: Monitor = calls(
    "ec2-instance-lifecycle",
    "EC2 instances launched, started, stopped or terminated, and images made",
    &[Activity],
    Selector::calls(
        EC2,
        &[
            Call::named("RunInstances", means(Started, "EC2 instances", Low)).refine(INSTANCE_TYPE),
            Call::named(
                "RequestSpotInstances",
                means(Created, "EC2 Spot Instance request", Low),
            ),
            Call::named("StartInstances", means(Started, "EC2 instances", Low)),
            Call::named(
                "StopInstances",
                means(Changed, "EC2 instances (stopped)", Low),
            ),
            Call::named(
                "TerminateInstances",
                means(Deleted, "EC2 instances (terminated)", Low),
            ),
            Call::named(
                "ResetInstanceAttribute",
                means(Changed, "an EC2 instance attribute (reset)", Low).target(&["instanceId"]),
            ),
            Call::named(
                "CreateImage",
                means(Created, "AMI of EC2 instance", Low).target(&["instanceId"]),
            ),
            Call::named(
                "CopyImage",
                means(Created, "copy of AMI", Low).target(&["sourceImageId"]),
            ),
            Call::named("CreateFpgaImage", means(Created, "FPGA image", Low)),
            Call::named(
                "CopyFpgaImage",
                means(Created, "copy of FPGA image", Low).target(&["sourceFpgaImageId"]),
            ),
        ],
    ),
    &[],
    &["T1578", "T1496"],
)
.answers(&[
    "panther:aws_modify_cloud_compute_infrastructure",
    "panther:aws_ec2_launch_unusual_ec2_instances",
    "panther:aws_ec2_vulnerable_xz_image_launched",
    "panther:aws_ec2_monitoring",
]);

/// [`export_destination`] and what it decides.
pub const EXPORT_DESTINATION: Judge = Judge {
    assess: export_destination,
    decides: "",
};

/// The bucket an export writes to, wherever the call puts it.
pub fn export_destination(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let bucket = [
        &request["exportToS3"]["s3Bucket"],
        &request["s3ExportLocation"]["s3Bucket"],
        &request["bucket"],
    ]
    .into_iter()
    .find_map(Value::as_str);
    if let Some(bucket) = bucket {
        finding.note(format!("destination: S3 bucket {bucket}"));
    }
    Ok(())
}

/// [`ebs_default_key`] and what it decides.
pub const EBS_DEFAULT_KEY: Judge = Judge {
    assess: ebs_default_key,
    decides: "HIGH when the new default key belongs to another account",
};

/// ModifyEbsDefaultKmsKeyId: volumes under another account's key are readable
/// by that account and unreadable here once it revokes access (ransomware).
pub fn ebs_default_key(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    if let Some(account) = request["kmsKeyId"]
        .as_str()
        .and_then(|k| foreign_account(event, k))
    {
        finding.describe(Weakened, "EBS encryption by default");
        finding.raise(
            High,
            format!("new volumes will be encrypted with a key of account {account}: that account can read them, and can make them unreadable here"),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    Ok(())
}

/// [`metadata_options`] and what it decides.
pub const METADATA_OPTIONS: Judge = Judge {
    assess: metadata_options,
    decides: "MEDIUM when IMDSv2 stops being required (`httpTokens: optional`); LOW for a hop limit above 1; other changes are dismissed",
};

/// ModifyInstanceMetadataOptions and ModifyInstanceMetadataDefaults.
pub fn metadata_options(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let object = finding.object.clone();
    if request["httpTokens"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case("optional"))
    {
        finding.describe(Weakened, &object);
        finding.raise(
            Medium,
            "IMDSv2 is no longer required: a server-side request forgery in the instance's software can read its role credentials".to_owned(),
        );
        finding.step(CHECK_CALLER.to_owned());
    }
    if let Some(hops) = request["httpPutResponseHopLimit"]
        .as_u64()
        .filter(|h| *h > 1)
    {
        finding.raise(
            Low,
            format!("metadata responses travel {hops} network hops: containers on the instance can reach its role credentials"),
        );
    }
    if finding.reasons.is_empty() {
        finding.dismiss("the change keeps IMDSv2 required and the hop limit at 1");
    }
    Ok(())
}

/// [`instance_type`] and what it decides.
pub const INSTANCE_TYPE: Judge = Judge {
    assess: instance_type,
    decides: "MEDIUM for GPU and machine-learning instance families (p, g, inf, trn, dl), the usual targets of cryptomining",
};

/// Accelerated instance families, the usual targets of cryptomining.
const ACCELERATED: &[&str] = &["p", "g", "inf", "trn", "dl"];

/// RunInstances: accelerated capacity is what cryptominers launch.
pub fn instance_type(event: &Event<'_>, finding: &mut Finding) -> Result<(), ReadError> {
    let request: Value = request(event)?;
    let Some(kind) = request["instanceType"].as_str() else {
        return Ok(());
    };
    let family = kind.split('.').next().unwrap_or_default();
    let prefix: String = family
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    if ACCELERATED.contains(&prefix.as_str()) {
        finding.raise(
            Medium,
            format!("{kind} is an accelerated instance type, the usual target of cryptomining"),
        );
        finding.step(CHECK_CALLER.to_owned());
    } else {
        finding.note(format!("instance type {kind}"));
    }
    Ok(())
}
