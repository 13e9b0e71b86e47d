//! Counters that slow guessing: failed sign-ins per username (a growing lock-out after 5)
//! and wrong security answers per reset code (the code is void after 5).

use super::{from_item, now, sha256_hex, to_item};
use crate::ports::{Condition, Key, PortError, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

pub const MAX_FAILURES: u32 = 5;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Counter {
    count: u32,
    #[serde(default)]
    locked_until: i64,
    version: u64,
}

fn signin_key(username_key: &str) -> Key {
    Key::new(format!("SIGNIN#{username_key}"), "FAILURES")
}

fn reset_key(user_id: &str, code: &str) -> Key {
    Key::new(format!("RESET#{user_id}"), sha256_hex(code.as_bytes()))
}

async fn read(table: &dyn Table, key: &Key) -> PortResult<Option<Counter>> {
    match table.get(key).await? {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

/// Adds one to a counter; a concurrent bump is retried so no failure goes uncounted.
async fn bump(table: &dyn Table, key: &Key, ttl_secs: i64, lock: impl Fn(u32) -> i64) -> PortResult<()> {
    for _ in 0..3 {
        let current = read(table, key).await?;
        let condition = match &current {
            Some(c) => Condition::Version(c.version),
            None => Condition::Absent,
        };
        let mut next = current.unwrap_or_default();
        next.count += 1;
        next.version += 1;
        next.locked_until = lock(next.count);
        let item = to_item(key, &next, Some(now() + ttl_secs))?;
        match table.write(vec![Write::Put { item, condition }]).await {
            Err(PortError::Conflict) => continue,
            other => return other,
        }
    }
    Err(PortError::Unavailable("counter contended".into()))
}

/// A username's recent failed sign-ins, if it has any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// Refused for now, whatever the password.
    pub locked: bool,
}

/// One GetItem; `None` (the usual case) means a success has nothing to clear.
pub async fn signin_failures(table: &dyn Table, username_key: &str) -> PortResult<Option<Failures>> {
    Ok(read(table, &signin_key(username_key)).await?.map(|c| Failures { locked: c.locked_until > now() }))
}

/// From the 5th failure on, each failure locks the name for 30 s, doubling up to an hour.
pub async fn signin_failed(table: &dyn Table, username_key: &str) -> PortResult<()> {
    bump(table, &signin_key(username_key), 24 * 3600, |count| {
        if count < MAX_FAILURES {
            0
        } else {
            let secs = 30i64.saturating_mul(1 << (count - MAX_FAILURES).min(7));
            now() + secs.min(3600)
        }
    })
    .await
}

pub async fn signin_succeeded(table: &dyn Table, username_key: &str) -> PortResult<()> {
    table.write(vec![Write::Delete { key: signin_key(username_key), condition: Condition::None }]).await
}

pub async fn reset_code_void(table: &dyn Table, user_id: &str, code: &str) -> PortResult<bool> {
    Ok(read(table, &reset_key(user_id, code)).await?.is_some_and(|c| c.count >= MAX_FAILURES))
}

pub async fn reset_answer_wrong(table: &dyn Table, user_id: &str, code: &str) -> PortResult<()> {
    bump(table, &reset_key(user_id, code), 24 * 3600, |_| 0).await
}
