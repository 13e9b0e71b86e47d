//! Counters that slow guessing and flooding: failed sign-ins per username (a growing
//! lock-out after 5), failed password resets per account (locked for an hour after 5,
//! whatever codes were tried) and reset emails per username (3 an hour).

use super::{from_item, now, to_item};
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

fn reset_key(user_id: &str) -> Key {
    Key::new(format!("RESET#{user_id}"), "FAILURES")
}

fn reset_mail_key(username_key: &str) -> Key {
    Key::new(format!("FORGOT#{username_key}"), "MAILS")
}

/// Reset emails one username may cause in an hour: each new code voids the last, so an
/// unthrottled flood would stop a family's reset.
pub const RESET_MAILS_PER_HOUR: u32 = 3;
/// How long failed resets are remembered (and the lock lasts) after the last one.
const RESET_WINDOW_SECS: i64 = 3600;

async fn read(table: &dyn Table, key: &Key) -> PortResult<Option<Counter>> {
    match table.get(key).await? {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

/// Adds one to a counter, starting from `seen` (the counter as the request read it before
/// deciding); a concurrent bump is read again and retried, so no failure goes uncounted.
async fn bump(table: &dyn Table, key: &Key, seen: Option<Counter>, ttl_secs: i64, lock: impl Fn(u32) -> i64) -> PortResult<()> {
    let mut seen = Some(seen);
    for _ in 0..3 {
        let current = match seen.take() {
            Some(first) => first,
            None => read(table, key).await?,
        };
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

/// Recent failures as one read found them: whether they lock, and the count a new failure
/// adds to (so counting it needs no second read).
#[derive(Debug, Clone)]
pub struct Failures {
    /// Refused for now, whatever was tried.
    pub locked: bool,
    counter: Option<Counter>,
}

impl Failures {
    /// Whether there are any: `false` (the usual case) means a success has nothing to clear.
    pub fn any(&self) -> bool {
        self.counter.is_some()
    }
}

/// A username's recent failed sign-ins: one GetItem.
pub async fn signin_failures(table: &dyn Table, username_key: &str) -> PortResult<Failures> {
    let counter = read(table, &signin_key(username_key)).await?;
    Ok(Failures { locked: counter.as_ref().is_some_and(|c| c.locked_until > now()), counter })
}

/// Counts one more failed sign-in on `seen`. From the 5th on, each failure locks the name
/// for 30 s, doubling up to an hour.
pub async fn signin_failed(table: &dyn Table, username_key: &str, seen: Failures) -> PortResult<()> {
    bump(table, &signin_key(username_key), seen.counter, 24 * 3600, |count| {
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

/// The account's failed password resets: locked after 5 (wrong answers or wrong codes, in
/// any mix) within the hour before the last one.
pub async fn reset_failures(table: &dyn Table, user_id: &str) -> PortResult<Failures> {
    let counter = read(table, &reset_key(user_id)).await?;
    Ok(Failures { locked: counter.as_ref().is_some_and(|c| c.count >= MAX_FAILURES), counter })
}

/// Counts one more failed reset on `seen`.
pub async fn reset_failed(table: &dyn Table, user_id: &str, seen: Failures) -> PortResult<()> {
    bump(table, &reset_key(user_id), seen.counter, RESET_WINDOW_SECS, |_| 0).await
}

pub async fn reset_succeeded(table: &dyn Table, user_id: &str) -> PortResult<()> {
    table.write(vec![Write::Delete { key: reset_key(user_id), condition: Condition::None }]).await
}

/// Counts one reset email for the username, known or not (the same work either way);
/// `false`, counting nothing, when 3 went out within the last hour.
pub async fn reset_mail_allowed(table: &dyn Table, username_key: &str) -> PortResult<bool> {
    let key = reset_mail_key(username_key);
    let seen = read(table, &key).await?;
    if seen.as_ref().is_some_and(|c| c.count >= RESET_MAILS_PER_HOUR) {
        return Ok(false);
    }
    bump(table, &key, seen, RESET_WINDOW_SECS, |_| 0).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::embedded::FileTable;

    #[tokio::test]
    async fn resets_lock_per_account_after_five_failures_and_mails_stop_at_three() {
        let t = FileTable::in_memory();
        for _ in 0..MAX_FAILURES {
            let seen = reset_failures(&t, "u").await.unwrap();
            assert!(!seen.locked);
            reset_failed(&t, "u", seen).await.unwrap();
        }
        assert!(reset_failures(&t, "u").await.unwrap().locked);
        assert!(!reset_failures(&t, "other").await.unwrap().locked);
        reset_succeeded(&t, "u").await.unwrap();
        assert!(!reset_failures(&t, "u").await.unwrap().any());

        // A failure counted on a stale reading (another request counted meanwhile) is read
        // again and counted on top: none is lost.
        let (a, b) = (reset_failures(&t, "race").await.unwrap(), reset_failures(&t, "race").await.unwrap());
        reset_failed(&t, "race", a).await.unwrap();
        reset_failed(&t, "race", b).await.unwrap();
        assert_eq!(read(&t, &reset_key("race")).await.unwrap().map(|c| c.count), Some(2));

        let mut sent = Vec::new();
        for _ in 0..5 {
            sent.push(reset_mail_allowed(&t, "family").await.unwrap());
        }
        assert_eq!(sent, [true, true, true, false, false]);
    }
}
