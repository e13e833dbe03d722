//! The store in a DynamoDB table (partition key [`KEY`], TTL on [`EXPIRES`]).
//! Every operation is one request: a conditional `PutItem`, a `DeleteItem`, or
//! an `UpdateItem` whose `ADD`, `if_not_exists` and condition make it atomic
//! (DynamoDB developer guide, "Update expressions" and "Condition
//! expressions"). No reads, no scans.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{Attr, EXPIRES, FIRST, Item, KEY, MEMBERS, Member, StoreError, Tally};

/// One table, one client for the life of the execution environment.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store in `table` through an already configured client.
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    fn key(key: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([(KEY.to_owned(), AttributeValue::S(key.to_owned()))])
    }

    pub(super) async fn claim(
        &self,
        key: &str,
        now: i64,
        expires: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::key(key)))
            .item(EXPIRES, number(expires))
            .condition_expression("attribute_not_exists(#pk) OR #exp < :now")
            .expression_attribute_names("#pk", KEY)
            .expression_attribute_names("#exp", EXPIRES)
            .expression_attribute_values(":now", number(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if condition_failed(&error) => Ok(false),
            Err(error) => Err(failed("PutItem", error)),
        }
    }

    pub(super) async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| failed("DeleteItem", error))
    }

    pub(super) async fn tally(
        &self,
        key: &str,
        tally: &Tally<'_>,
    ) -> Result<Option<Item>, StoreError> {
        let members = distinct(tally.members);
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .condition_expression("attribute_not_exists(#vals) OR size(#vals) < :cap")
            .expression_attribute_names("#vals", MEMBERS)
            .expression_attribute_names("#first", FIRST)
            .expression_attribute_names("#exp", EXPIRES)
            .expression_attribute_values(":vals", values(&members))
            .expression_attribute_values(":cap", number(tally.cap as i64))
            .expression_attribute_values(":at", number(tally.at))
            .expression_attribute_values(":exp", number(tally.expires))
            .return_values(ReturnValue::AllOld);
        let mut sets = vec![
            "#first = if_not_exists(#first, :at)".to_owned(),
            "#exp = :exp".to_owned(),
        ];
        for (index, member) in members.iter().enumerate() {
            sets.push(format!("#e{index} = if_not_exists(#e{index}, :e{index})"));
            request = request
                .expression_attribute_names(format!("#e{index}"), member.attribute())
                .expression_attribute_values(
                    format!(":e{index}"),
                    AttributeValue::S(member.event_id.clone()),
                );
        }
        let result = request
            .update_expression(format!("ADD #vals :vals SET {}", sets.join(", ")))
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(item(output.attributes))),
            Err(error) if condition_failed(&error) => Ok(None),
            Err(error) => Err(failed("UpdateItem", error)),
        }
    }

    pub(super) async fn untally(&self, key: &str, members: &[Member]) -> Result<(), StoreError> {
        let members = distinct(members);
        if members.is_empty() {
            return Ok(());
        }
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", KEY)
            .expression_attribute_names("#vals", MEMBERS)
            .expression_attribute_values(":vals", values(&members));
        let mut removed = Vec::new();
        for (index, member) in members.iter().enumerate() {
            removed.push(format!("#e{index}"));
            request = request.expression_attribute_names(format!("#e{index}"), member.attribute());
        }
        let result = request
            .update_expression(format!("DELETE #vals :vals REMOVE {}", removed.join(", ")))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if condition_failed(&error) => Ok(()),
            Err(error) => Err(failed("UpdateItem", error)),
        }
    }

    pub(super) async fn record(
        &self,
        key: &str,
        set: &[(&str, Attr)],
        keep: &[(&str, Attr)],
    ) -> Result<Item, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .return_values(ReturnValue::AllOld);
        let mut clauses = Vec::new();
        for (index, (name, value)) in set.iter().enumerate() {
            clauses.push(format!("#s{index} = :s{index}"));
            request = request
                .expression_attribute_names(format!("#s{index}"), *name)
                .expression_attribute_values(format!(":s{index}"), attribute(value));
        }
        for (index, (name, value)) in keep.iter().enumerate() {
            clauses.push(format!("#k{index} = if_not_exists(#k{index}, :k{index})"));
            request = request
                .expression_attribute_names(format!("#k{index}"), *name)
                .expression_attribute_values(format!(":k{index}"), attribute(value));
        }
        request
            .update_expression(format!("SET {}", clauses.join(", ")))
            .send()
            .await
            .map(|output| item(output.attributes))
            .map_err(|error| failed("UpdateItem", error))
    }
}

/// The members with distinct values (one update may not name an attribute twice).
fn distinct(members: &[Member]) -> Vec<&Member> {
    let mut seen = std::collections::HashSet::new();
    members
        .iter()
        .filter(|m| seen.insert(m.value.as_str()))
        .collect()
}

/// The members' values as a string set.
fn values(members: &[&Member]) -> AttributeValue {
    AttributeValue::Ss(members.iter().map(|m| m.value.clone()).collect())
}

fn number(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn attribute(value: &Attr) -> AttributeValue {
    match value {
        Attr::Num(n) => number(*n),
        Attr::Text(s) => AttributeValue::S(s.clone()),
        Attr::Set(set) => AttributeValue::Ss(set.iter().cloned().collect()),
    }
}

/// The returned attributes as an item (the key left out, unknown types skipped).
fn item(attributes: Option<HashMap<String, AttributeValue>>) -> Item {
    attributes
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| name != KEY)
        .filter_map(|(name, value)| {
            let attr = match value {
                AttributeValue::N(n) => Attr::Num(n.parse().ok()?),
                AttributeValue::S(s) => Attr::Text(s),
                AttributeValue::Ss(set) => Attr::Set(set.into_iter().collect()),
                _ => return None,
            };
            Some((name, attr))
        })
        .collect()
}

fn condition_failed<E, R>(error: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

fn failed<E, R>(operation: &'static str, error: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError {
        operation,
        source: aws_sdk_dynamodb::error::DisplayErrorContext(error)
            .to_string()
            .into(),
    }
}
