//! Entities of the single table and their access patterns, written once on the `Table`
//! port so both backends behave the same. Keys are built here and nowhere else.
//!
//! | entity            | pk                     | sk                 |
//! |-------------------|------------------------|--------------------|
//! | username mapping  | USERNAME#<lower name>  | USERNAME           |
//! | account           | ACCOUNT#<sub>          | ACCOUNT            |
//! | account->patient  | ACCOUNT#<sub>          | PATIENT#<id>       |
//! | email settings    | ACCOUNT#<sub>          | NOTIFICATIONS (see `notifications`) |
//! | patient           | PATIENT#<id>           | PATIENT            |
//! | patient->account  | PATIENT#<id>           | ACCOUNT#<sub>      |
//! | own account claim | PATIENT#<id>           | OWNER              |
//! | additional info   | PATIENT#<id>           | INFO               |
//! | search index      | CLINIC#<clinic>        | NAME#…, DOB#…, MRN#… (see `patients`) |
//! | MRN claim         | CLINIC#<clinic>        | MRNCLAIM#<upper-case MRN> |
//! | idempotency       | IDEM#<sub>#<key>       | IDEM               |
//! | browser session   | SESSION#<token digest> | SESSION (see `sessions`) |
//! | second sign-in step | CHALLENGE#<token digest> | CHALLENGE (see `challenges`) |
//! | sign-in failures  | SIGNIN#<lower name>    | FAILURES           |
//! | reset failures    | RESET#<user id>        | FAILURES           |
//! | reset code        | RESET#<user id>        | CODE (see `reset_codes`) |
//! | reset emails      | FORGOT#<lower name>    | MAILS              |
//! | server secret     | CONFIG                 | SECRET             |
//! | bundle received   | IMPORTS                | <time>#<uuid> (see `imports`) |
//! | clinical records  | PATIENT#<id>, RECORD#<record id> | see `records` |
//! | appointment requests | APPTREQ#<id>, PATIENT#<id>, APPTQ#<clinic>#<status> | see `appointments` |
//! | conversations     | CONV#<id>, PATIENT#<id>, INBOX#<clinic>#conversation#<status> | see `conversations` |
//! | refill requests   | REFILL#<id>, PATIENT#<id>, INBOX#<clinic>#refill#<status> | see `refills` |
//!
//! Audit records and security events live in a table of their own (see `audit`,
//! `security`).

pub mod accounts;
pub mod appointments;
pub mod audit;
pub mod challenges;
pub mod conversations;
pub mod idempotency;
pub mod imports;
pub mod notes;
pub mod notifications;
pub mod patients;
pub mod records;
pub mod refills;
pub mod reset_codes;
pub mod secret;
pub mod security;
pub mod sessions;
pub mod throttle;

use crate::ports::{Condition, Item, Key, PageOf, PortError, PortResult, Table, Write};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Now in RFC 3339 UTC with a fixed six-digit fraction, so text order is time order (for
/// sort keys).
pub fn now_precise() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"))
        .unwrap_or_default()
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// An entity as an item under `key`; `expires_at` (epoch seconds) makes it expire (TTL).
pub fn to_item<T: Serialize>(key: &Key, entity: &T, expires_at: Option<i64>) -> PortResult<Item> {
    let Value::Object(mut item) = serde_json::to_value(entity).map_err(|e| PortError::Internal(e.to_string()))? else {
        return Err(PortError::Internal("entity is not an object".into()));
    };
    item.insert("pk".into(), Value::String(key.pk.clone()));
    item.insert("sk".into(), Value::String(key.sk.clone()));
    if let Some(at) = expires_at {
        item.insert("expires_at".into(), Value::from(at));
    }
    Ok(item)
}

/// The entity in an item, or `None` when the item has expired: DynamoDB deletes expired
/// items lazily, so every read checks the time itself.
pub fn from_item<T: DeserializeOwned>(mut item: Item) -> PortResult<Option<T>> {
    if item.get("expires_at").and_then(Value::as_i64).is_some_and(|at| at <= now()) {
        return Ok(None);
    }
    for k in ["pk", "sk", "expires_at"] {
        item.remove(k);
    }
    serde_json::from_value(Value::Object(item)).map(Some).map_err(|e| PortError::Internal(format!("stored item does not parse: {e}")))
}

/// One page of a partition's entities, each with its sort key (the next page's cursor).
pub async fn page_of<T: DeserializeOwned>(table: &dyn Table, pk: &str, page: PageOf<'_>) -> PortResult<Vec<(String, T)>> {
    let mut out = Vec::new();
    for item in table.page(pk, page).await? {
        let sk = sk_of(&item).to_owned();
        out.extend(from_item::<T>(item)?.map(|r| (sk, r)));
    }
    Ok(out)
}

/// An entity held whole under its own key and under copies (a list's, a queue's key): the
/// writes that put it, its own guarded by `condition`, and that delete the copies it had
/// (`before`) under keys it no longer has. One transaction keeps them all in step.
pub fn held<T: Serialize>(entity: &T, own: &Key, condition: Condition, copies: &[Key], before: &[Key]) -> PortResult<Vec<Write>> {
    let mut writes = vec![Write::Put { item: to_item(own, entity, None)?, condition }];
    for key in copies {
        writes.push(Write::Put { item: to_item(key, entity, None)?, condition: Condition::None });
    }
    for key in before.iter().filter(|k| !copies.contains(k)) {
        writes.push(Write::Delete { key: key.clone(), condition: Condition::None });
    }
    Ok(writes)
}

/// Whether a cursor has the shape of a queue's sort key: `<RFC 3339 instant>#<UUID>`.
pub fn is_time_id(after: &str) -> bool {
    after.rsplit_once('#').is_some_and(|(at, id)| {
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok() && uuid::Uuid::parse_str(id).is_ok()
    })
}

pub fn pk_of(item: &Item) -> &str {
    item.get("pk").and_then(Value::as_str).unwrap_or_default()
}

pub fn sk_of(item: &Item) -> &str {
    item.get("sk").and_then(Value::as_str).unwrap_or_default()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref())
}

/// Lower-case hex, as digests and secrets are stored.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
