//! A random server secret, made once per deployment and kept in the table, for keyed
//! digests that must not be predictable from outside (e.g. which security question an
//! unknown username is asked).

use super::to_item;
use crate::ports::{Condition, Key, PortError, PortResult, Table, Write};
use aws_lc_rs::hmac;
use serde_json::Value;

fn key() -> Key {
    Key::new("CONFIG", "SECRET")
}

pub async fn get_or_create(table: &dyn Table) -> PortResult<Vec<u8>> {
    let read = |item: crate::ports::Item| {
        item.get("secret")
            .and_then(Value::as_str)
            .and_then(|hex| (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect::<Option<Vec<u8>>>())
            .ok_or_else(|| PortError::Internal("server secret unreadable".into()))
    };
    if let Some(item) = table.get(&key()).await? {
        return read(item);
    }
    let fresh: [u8; 32] = crate::domain::random_bytes();
    let item = to_item(&key(), &serde_json::json!({ "secret": super::hex(&fresh) }), None)?;
    match table.write(vec![Write::Put { item, condition: Condition::Absent }]).await {
        Ok(()) => Ok(fresh.to_vec()),
        // Another cold start won the race: use its secret.
        Err(PortError::Conflict) => table.get(&key()).await?.map(read).unwrap_or_else(|| Err(PortError::Internal("secret vanished".into()))),
        Err(e) => Err(e),
    }
}

/// HMAC-SHA256 under the server secret of the parts, joined by a separator no part holds.
pub fn keyed(secret: &[u8], parts: &[&str]) -> [u8; 32] {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, parts.join("\u{1f}").as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}
