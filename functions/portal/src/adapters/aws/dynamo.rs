//! The `Table` port on DynamoDB: GetItem, BatchGetItem, Query, PutItem/DeleteItem with
//! condition expressions, and TransactWriteItems for groups. Items go through serde_dynamo.

use super::port_error;
use crate::calls;
use crate::ports::{Condition, Item, Key, PageOf, PortError, PortResult, Table, Write};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

pub struct Dynamo {
    client: Client,
    table: String,
}

type Attrs = HashMap<String, AttributeValue>;

fn key_attrs(key: &Key) -> Attrs {
    HashMap::from([("pk".to_owned(), AttributeValue::S(key.pk.clone())), ("sk".to_owned(), AttributeValue::S(key.sk.clone()))])
}

fn from_attrs(attrs: Attrs) -> PortResult<Item> {
    serde_dynamo::from_item(attrs).map_err(|e| PortError::Internal(format!("item does not parse: {e}")))
}

fn to_attrs(item: &Item) -> PortResult<Attrs> {
    serde_dynamo::to_item(item).map_err(|e| PortError::Internal(format!("item does not serialise: {e}")))
}

/// A condition expression with its values and attribute names.
struct Expr {
    text: Option<String>,
    values: Option<Attrs>,
    names: Option<HashMap<String, String>>,
}

fn condition(c: &Condition) -> Expr {
    let text = |t: &str| Some(t.to_owned());
    let value = |v: AttributeValue| Some(HashMap::from([(":v".to_owned(), v)]));
    match c {
        Condition::None => Expr { text: None, values: None, names: None },
        Condition::Absent => Expr { text: text("attribute_not_exists(pk)"), values: None, names: None },
        Condition::Present => Expr { text: text("attribute_exists(pk)"), values: None, names: None },
        Condition::Version(v) => Expr { text: text("version = :v"), values: value(AttributeValue::N(v.to_string())), names: None },
        // By name (`#a`): attributes such as `sub` are reserved words of DynamoDB.
        Condition::AbsentOrEqual { attribute, value: v } => Expr {
            text: text("attribute_not_exists(pk) OR #a = :v"),
            values: value(AttributeValue::S(v.clone())),
            names: Some(HashMap::from([("#a".to_owned(), (*attribute).to_owned())])),
        },
    }
}

const CONFLICT: &[&str] = &["ConditionalCheckFailedException"];

impl Dynamo {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Dynamo { client, table: table.into() }
    }

    /// Records the IAM action a call needs on this table (see `calls`).
    fn action(&self, name: &str) {
        calls::action(format!("dynamodb:{name}@{}", self.table));
    }

    /// One BatchGetItem of at most 100 keys, asking again for keys left unprocessed.
    async fn get_batch(&self, keys: &[Key]) -> PortResult<Vec<Item>> {
        let mut pending: Vec<Attrs> = keys.iter().map(key_attrs).collect();
        let mut out = Vec::new();
        // BatchGetItem may hand back some keys unprocessed under load: ask again for those.
        for _ in 0..5 {
            if pending.is_empty() {
                return Ok(out);
            }
            let ka = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(|e| PortError::Internal(e.to_string()))?;
            calls::read();
            self.action("BatchGetItem");
            let res = self.client.batch_get_item().request_items(&self.table, ka).send().await.map_err(|e| port_error(&e, CONFLICT, &[], &[]))?;
            for attrs in res.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                out.push(from_attrs(attrs)?);
            }
            pending = res.unprocessed_keys.unwrap_or_default().remove(&self.table).map(|k| k.keys).unwrap_or_default();
        }
        Err(PortError::Unavailable("BatchGetItem left keys unprocessed".into()))
    }
}

#[async_trait]
impl Table for Dynamo {
    async fn get(&self, key: &Key) -> PortResult<Option<Item>> {
        calls::read();
        self.action("GetItem");
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| port_error(&e, CONFLICT, &[], &[]))?;
        out.item.map(from_attrs).transpose()
    }

    /// BatchGetItem takes at most 100 keys: more are asked for 100 at a time.
    async fn get_many(&self, keys: &[Key]) -> PortResult<Vec<Item>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(100) {
            out.extend(self.get_batch(chunk).await?);
        }
        Ok(out)
    }

    async fn query(&self, pk: &str, sk_prefix: &str) -> PortResult<Vec<Item>> {
        self.page(pk, PageOf { prefix: sk_prefix, after: None, limit: usize::MAX, newest_first: false }).await
    }

    /// A key condition can hold one range test on the sort key, so the page's start is
    /// inclusive (`BETWEEN`, `>=`, `<=`) and the item at `after` itself is dropped here.
    async fn page(&self, pk: &str, page: PageOf<'_>) -> PortResult<Vec<Item>> {
        if !page.after_in_range() {
            // BETWEEN's bounds would cross (DynamoDB refuses that); no key of the prefix
            // follows such a cursor.
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .scan_index_forward(!page.newest_first)
                // One more than the page, for the item at `after`; no limit for a whole partition.
                .set_limit(page.limit.checked_add(1).and_then(|n| i32::try_from(n).ok()))
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
                .set_exclusive_start_key(start.take());
            let value = |name: &str, v: String| (name.to_owned(), AttributeValue::S(v));
            let end = page.end();
            let (condition, values): (&str, Vec<(String, AttributeValue)>) = match (page.after, page.prefix.is_empty(), page.newest_first) {
                (None, true, _) => ("pk = :pk", vec![]),
                (None, false, _) => ("pk = :pk AND begins_with(sk, :p)", vec![value(":p", page.prefix.to_owned())]),
                (Some(a), true, false) => ("pk = :pk AND sk >= :a", vec![value(":a", a.to_owned())]),
                (Some(a), true, true) => ("pk = :pk AND sk <= :a", vec![value(":a", a.to_owned())]),
                (Some(a), false, false) => ("pk = :pk AND sk BETWEEN :a AND :b", vec![value(":a", a.to_owned()), value(":b", end)]),
                (Some(a), false, true) => ("pk = :pk AND sk BETWEEN :b AND :a", vec![value(":a", a.to_owned()), value(":b", page.prefix.to_owned())]),
            };
            q = q.key_condition_expression(condition);
            for (name, v) in values {
                q = q.expression_attribute_values(name, v);
            }
            calls::read();
            self.action("Query");
            let res = q.send().await.map_err(|e| port_error(&e, CONFLICT, &[], &[]))?;
            for attrs in res.items.unwrap_or_default() {
                let item = from_attrs(attrs)?;
                if page.after.is_none_or(|a| crate::store::sk_of(&item) != a) && out.len() < page.limit {
                    out.push(item);
                }
            }
            match res.last_evaluated_key {
                Some(k) if !k.is_empty() && out.len() < page.limit => start = Some(k),
                _ => return Ok(out),
            }
        }
    }

    /// `Select: COUNT`: DynamoDB counts and sends back no items.
    async fn count(&self, pk: &str) -> PortResult<usize> {
        let mut total = 0;
        let mut start = None;
        loop {
            calls::read();
            self.action("Query");
            let res = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| port_error(&e, CONFLICT, &[], &[]))?;
            total += usize::try_from(res.count).unwrap_or_default();
            match res.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(total),
            }
        }
    }

    async fn write(&self, writes: Vec<Write>) -> PortResult<()> {
        calls::write();
        if writes.len() == 1 {
            return match writes.into_iter().next() {
                Some(Write::Put { item, condition: c }) => {
                    let expr = condition(&c);
                    self.action("PutItem");
                    self.client
                        .put_item()
                        .table_name(&self.table)
                        .set_item(Some(to_attrs(&item)?))
                        .set_condition_expression(expr.text)
                        .set_expression_attribute_values(expr.values)
                        .set_expression_attribute_names(expr.names)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| port_error(&e, CONFLICT, &[], &[]))
                }
                Some(Write::Delete { key, condition: c }) => {
                    let expr = condition(&c);
                    self.action("DeleteItem");
                    self.client
                        .delete_item()
                        .table_name(&self.table)
                        .set_key(Some(key_attrs(&key)))
                        .set_condition_expression(expr.text)
                        .set_expression_attribute_values(expr.values)
                        .set_expression_attribute_names(expr.names)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| port_error(&e, CONFLICT, &[], &[]))
                }
                None => Ok(()),
            };
        }
        let mut items = Vec::with_capacity(writes.len());
        for w in writes {
            let built = match w {
                Write::Put { item, condition: c } => {
                    let expr = condition(&c);
                    // IAM authorises each item of a transaction by its own action.
                    self.action("PutItem");
                    let put = Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_attrs(&item)?))
                        .set_condition_expression(expr.text)
                        .set_expression_attribute_values(expr.values)
                        .set_expression_attribute_names(expr.names)
                        .build()
                        .map_err(|e| PortError::Internal(e.to_string()))?;
                    TransactWriteItem::builder().put(put).build()
                }
                Write::Delete { key, condition: c } => {
                    let expr = condition(&c);
                    self.action("DeleteItem");
                    let delete = Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_attrs(&key)))
                        .set_condition_expression(expr.text)
                        .set_expression_attribute_values(expr.values)
                        .set_expression_attribute_names(expr.names)
                        .build()
                        .map_err(|e| PortError::Internal(e.to_string()))?;
                    TransactWriteItem::builder().delete(delete).build()
                }
            };
            items.push(built);
        }
        let res = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                // A cancelled transaction is a conflict when any of its conditions failed.
                let conditional = e
                    .as_service_error()
                    .and_then(|s| match s {
                        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => Some(t),
                        _ => None,
                    })
                    .and_then(|t| t.cancellation_reasons.as_ref())
                    .is_some_and(|reasons| reasons.iter().any(|r| r.code.as_deref() == Some("ConditionalCheckFailed")));
                if conditional {
                    Err(PortError::Conflict)
                } else {
                    Err(port_error(&e, CONFLICT, &[], &[]))
                }
            }
        }
    }
}
