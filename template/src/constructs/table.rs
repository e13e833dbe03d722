//! The state table: what stateful detections remember, and once-only marks.

use serde_json::json;

use super::{Function, Key};
use crate::intrinsic::{LogicalId, Value};
use crate::resources::dynamodb::{
    AttributeDefinition, KeySchema, PointInTimeRecoverySpecification, SseSpecification, Table,
    TimeToLiveSpecification,
};
use crate::resources::iam::Statement;
use crate::stack::{DeletionPolicy, Stack};

/// An on-demand DynamoDB table encrypted with the stack's key, one string
/// partition key, and a TTL attribute on every item.
#[derive(Debug, Clone)]
pub struct StateTable {
    pub id: LogicalId,
}

impl StateTable {
    /// Adds the table: partition key `key`, items expiring at `expires`
    /// (epoch seconds). Point-in-time recovery stays off unless `recovery`:
    /// the items are short-lived counters and marks, rebuilt by new events,
    /// and continuous backups are billed per GB-month.
    pub fn new(
        stack: &mut Stack,
        id: &str,
        key: &Key,
        (partition, expires): (&str, &str),
        recovery: bool,
    ) -> Self {
        let table = Table {
            attribute_definitions: vec![AttributeDefinition {
                attribute_name: partition.into(),
                attribute_type: "S".into(),
            }],
            key_schema: vec![KeySchema {
                attribute_name: partition.into(),
                key_type: "HASH".into(),
            }],
            billing_mode: "PAY_PER_REQUEST".into(),
            sse_specification: SseSpecification {
                sse_enabled: true,
                sse_type: "KMS".into(),
                kms_master_key_id: key.arn(),
            },
            time_to_live_specification: TimeToLiveSpecification {
                attribute_name: expires.into(),
                enabled: true,
            },
            point_in_time_recovery_specification: PointInTimeRecoverySpecification {
                point_in_time_recovery_enabled: recovery,
            },
            deletion_protection_enabled: None,
        };
        let id = stack.add(id, &table);
        // Destroy removes everything; the state is rebuilt by new events.
        stack.set_deletion_policy(&id, DeletionPolicy::Delete);
        if !recovery {
            stack.skip_checkov(&id, "CKV_AWS_28", "holds only expiring counters and once-only marks that new events rebuild; point-in-time recovery is a setting (state.point_in_time_recovery) for those who want it");
        }
        Self { id }
    }

    /// The table's ARN.
    pub fn arn(&self) -> Value {
        self.id.get_att("Arn")
    }

    /// The table's name (its `Ref`).
    pub fn name(&self) -> Value {
        self.id.reference()
    }

    /// Lets `function` write items: `PutItem`, `UpdateItem` and `DeleteItem`
    /// on this table only (no reads, scans or queries: every write returns what
    /// it needs), and use of `key` through DynamoDB alone.
    pub fn grant_writes(&self, stack: &mut Stack, function: &Function, key: &Key) {
        // The key statement follows DynamoDB's AWS managed key policy
        // (DynamoDB developer guide, "How Amazon DynamoDB uses AWS KMS"):
        // these actions, only via DynamoDB in this region and for this
        // account. Its kms:CreateGrant is left out: DynamoDB creates its grant
        // when the table is created, by the deploying principal.
        let use_key = Statement::allow(
            &[
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
            vec![key.arn()],
        )
        .condition(json!({"StringEquals": {
            "kms:ViaService": Value::sub("dynamodb.${AWS::Region}.${AWS::URLSuffix}"),
            "kms:CallerAccount": Value::sub("${AWS::AccountId}"),
        }}));
        let grant = function.role.attach(
            stack,
            "RememberState",
            vec![
                Statement::allow(
                    &[
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem",
                    ],
                    vec![self.arn()],
                ),
                use_key,
            ],
        );
        stack.add_dependency(&function.id, &grant);
    }
}
