//! Whether an account gets "New information in the patient portal" emails, and when it last
//! got one: at most one an hour, whatever arrives.
//!
//! | item          | pk            | sk            |
//! |---------------|---------------|---------------|
//! | notifications | ACCOUNT#<sub> | NOTIFICATIONS |

use super::{from_item, to_item};
use crate::ports::{Condition, Key, PortError, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

/// The least time between two emails to one account.
pub const EVERY_SECS: i64 = 3600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notifications {
    pub email_on_new_information: bool,
    /// Epoch seconds of the last email; 0 for none.
    pub last_sent: i64,
    /// 0 until first written.
    pub version: u64,
}

impl Default for Notifications {
    /// On, until the account holder turns them off.
    fn default() -> Self {
        Notifications { email_on_new_information: true, last_sent: 0, version: 0 }
    }
}

fn key(sub: &str) -> Key {
    Key::new(format!("ACCOUNT#{sub}"), "NOTIFICATIONS")
}

pub async fn get(table: &dyn Table, sub: &str) -> PortResult<Notifications> {
    Ok(match table.get(&key(sub)).await? {
        Some(item) => from_item(item)?.unwrap_or_default(),
        None => Notifications::default(),
    })
}

/// Writes `next` over `current` if nobody wrote in between (else `Conflict`).
async fn replace(table: &dyn Table, sub: &str, current: &Notifications, mut next: Notifications) -> PortResult<Notifications> {
    next.version = current.version + 1;
    let condition = if current.version == 0 { Condition::Absent } else { Condition::Version(current.version) };
    table.write(vec![Write::Put { item: to_item(&key(sub), &next, None)?, condition }]).await?;
    Ok(next)
}

/// Turns the emails on or off; a concurrent write (an email claimed meanwhile) is read again.
pub async fn set_email(table: &dyn Table, sub: &str, on: bool) -> PortResult<Notifications> {
    let mut attempts = 0;
    loop {
        let current = get(table, sub).await?;
        let next = Notifications { email_on_new_information: on, ..current.clone() };
        match replace(table, sub, &current, next).await {
            Err(PortError::Conflict) if attempts < 3 => attempts += 1,
            other => return other,
        }
    }
}

/// Whether an email may go to the account now: it wants them and had none in the last hour.
/// Claims the hour when it may, so two deliveries at once send one email between them.
pub async fn claim(table: &dyn Table, sub: &str, now: i64) -> PortResult<bool> {
    let current = get(table, sub).await?;
    if !current.email_on_new_information || now - current.last_sent < EVERY_SECS {
        return Ok(false);
    }
    match replace(table, sub, &current, Notifications { last_sent: now, ..current.clone() }).await {
        Ok(_) => Ok(true),
        Err(PortError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}
