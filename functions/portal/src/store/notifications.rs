//! Whether an account gets "New information in the patient portal" emails, and when it last
//! got one: at most one an hour, whatever arrives.
//!
//! | item          | pk            | sk            |
//! |---------------|---------------|---------------|
//! | notifications | ACCOUNT#<sub> | NOTIFICATIONS |

use super::accounts::{account_key, Account};
use super::{from_item, pk_of, sk_of, to_item};
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

/// Accounts with their settings, in as few round trips as BatchGetItem allows; an unknown
/// `sub` is left out.
pub async fn with_accounts(table: &dyn Table, subs: &[String]) -> PortResult<Vec<(Account, Notifications)>> {
    if subs.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<Key> = subs.iter().flat_map(|s| [account_key(s), key(s)]).collect();
    let (mut accounts, mut settings) = (Vec::new(), Vec::new());
    for item in table.get_many(&keys).await? {
        if sk_of(&item) == "NOTIFICATIONS" {
            let pk = pk_of(&item).to_owned();
            settings.extend(from_item::<Notifications>(item)?.map(|n| (pk, n)));
        } else {
            accounts.extend(from_item::<Account>(item)?);
        }
    }
    Ok(accounts
        .into_iter()
        .map(|a| {
            let pk = key(&a.sub).pk;
            let n = settings.iter().find(|(p, _)| *p == pk).map(|(_, n)| n.clone()).unwrap_or_default();
            (a, n)
        })
        .collect())
}

/// Writes `next` over `current` if nobody wrote in between (else `Conflict`).
async fn replace(table: &dyn Table, sub: &str, current: &Notifications, mut next: Notifications) -> PortResult<Notifications> {
    next.version = current.version + 1;
    let condition = if current.version == 0 { Condition::Absent } else { Condition::Version(current.version) };
    table.write(vec![Write::Put { item: to_item(&key(sub), &next, None)?, condition }]).await?;
    Ok(next)
}

/// Turns the emails on or off, from the settings as `seen`; a concurrent write (an email
/// claimed meanwhile) is read again.
pub async fn set_email(table: &dyn Table, sub: &str, seen: Notifications, on: bool) -> PortResult<Notifications> {
    let mut attempts = 0;
    let mut current = seen;
    loop {
        if attempts > 0 {
            current = get(table, sub).await?;
        }
        let next = Notifications { email_on_new_information: on, ..current.clone() };
        match replace(table, sub, &current, next).await {
            Err(PortError::Conflict) if attempts < 3 => attempts += 1,
            other => return other,
        }
    }
}

/// Whether an email may go to the account now: it wants them and had none in the last hour.
/// Claims the hour when it may, on the settings as read (`current`), so two deliveries at
/// once send one email between them.
pub async fn claim(table: &dyn Table, sub: &str, current: Notifications, now: i64) -> PortResult<bool> {
    if !current.email_on_new_information || now - current.last_sent < EVERY_SECS {
        return Ok(false);
    }
    match replace(table, sub, &current, Notifications { last_sent: now, ..current.clone() }).await {
        Ok(_) => Ok(true),
        Err(PortError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}
