//! The emailed password-reset code. `auth` makes it, not the identity provider: Cognito's
//! own recovery is off (`admin_only`), so nobody can have a code mailed past our throttles
//! with the public client id. Six digits, good for an hour and for one reset; a new code
//! voids the last. Only a digest keyed with the server secret is stored, so the table alone
//! does not tell the code.

use super::secret::keyed;
use super::{from_item, hex, now, to_item};
use crate::ports::{Condition, Key, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

pub const VALID_SECS: i64 = 3600;

#[derive(Serialize, Deserialize)]
struct Stored {
    digest: String,
}

fn key(user_id: &str) -> Key {
    Key::new(format!("RESET#{user_id}"), "CODE")
}

fn digest(secret: &[u8], user_id: &str, code: &str) -> String {
    hex(&keyed(secret, &["reset-code", user_id, code]))
}

/// A new code for the account, replacing any earlier one.
pub async fn issue(table: &dyn Table, secret: &[u8], user_id: &str) -> PortResult<String> {
    let n = u32::from_le_bytes(crate::domain::random_bytes::<4>()) % 1_000_000;
    let code = format!("{n:06}");
    let item = to_item(&key(user_id), &Stored { digest: digest(secret, user_id, &code) }, Some(now() + VALID_SECS))?;
    table.write(vec![Write::Put { item, condition: Condition::None }]).await?;
    Ok(code)
}

/// Whether `code` is the account's current, unexpired code. One read, for any id.
pub async fn matches(table: &dyn Table, secret: &[u8], user_id: &str, code: &str) -> PortResult<bool> {
    let expected = digest(secret, user_id, code);
    let stored: Option<Stored> = match table.get(&key(user_id)).await? {
        Some(item) => from_item(item)?,
        None => None,
    };
    Ok(stored.is_some_and(|s| aws_lc_rs::constant_time::verify_slices_are_equal(s.digest.as_bytes(), expected.as_bytes()).is_ok()))
}

/// The code was used: it works once.
pub async fn spend(table: &dyn Table, user_id: &str) -> PortResult<()> {
    table.write(vec![Write::Delete { key: key(user_id), condition: Condition::None }]).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::embedded::FileTable;

    #[tokio::test]
    async fn a_code_is_six_digits_works_for_its_account_only_and_a_new_one_voids_it() {
        let table = FileTable::in_memory();
        let first = issue(&table, b"secret", "u1").await.unwrap();
        assert!(first.len() == 6 && first.bytes().all(|b| b.is_ascii_digit()), "{first}");
        assert!(matches(&table, b"secret", "u1", &first).await.unwrap());
        assert!(!matches(&table, b"secret", "u2", &first).await.unwrap());
        assert!(!matches(&table, b"other secret", "u1", &first).await.unwrap());
        let second = issue(&table, b"secret", "u1").await.unwrap();
        assert_eq!(matches(&table, b"secret", "u1", &first).await.unwrap(), first == second);
        assert!(matches(&table, b"secret", "u1", &second).await.unwrap());
        spend(&table, "u1").await.unwrap();
        assert!(!matches(&table, b"secret", "u1", &second).await.unwrap());
    }

    #[tokio::test]
    async fn an_expired_code_no_longer_matches() {
        let table = FileTable::in_memory();
        let code = issue(&table, b"secret", "u1").await.unwrap();
        let mut item = table.get(&key("u1")).await.unwrap().unwrap();
        item.insert("expires_at".into(), serde_json::json!(now() - 1));
        table.write(vec![Write::Put { item, condition: Condition::None }]).await.unwrap();
        assert!(!matches(&table, b"secret", "u1", &code).await.unwrap());
    }
}
