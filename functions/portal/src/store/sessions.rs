//! Browser sessions: what the refresh cookie stands for. The cookie holds a random token of
//! ours, never the identity provider's refresh token, which stays here on the server. Each
//! refresh rotates the token (the old one is marked used), and a session without a refresh
//! for longer than the idle limit is over, whatever the page does.
//!
//! | item    | pk                              | sk      |
//! |---------|---------------------------------|---------|
//! | session | SESSION#<SHA-256 of the token>  | SESSION |
//!
//! A used token presented again means the cookie was copied: every session of the account
//! then ends (see `auth`'s refresh).

use super::{from_item, now, sha256_hex, to_item};
use crate::ports::{Condition, Key, PortError, PortResult, Table, Write};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The longest a session lives, refreshed or not: the identity provider's refresh token
/// validity (one day, as the app client says).
pub const MAX_LIFETIME_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// The identity provider's user id (its immutable user name).
    pub user_id: String,
    /// The identity provider's refresh token; empty once the token was rotated away.
    #[serde(default)]
    provider_refresh: String,
    /// Epoch seconds of the sign-in or the last refresh.
    pub last_active: i64,
    /// When the session ends at the latest (epoch seconds).
    ends_at: i64,
    /// This token was rotated away: presenting it again is a replay.
    #[serde(default)]
    pub used: bool,
    version: u64,
}

impl Session {
    pub fn provider_refresh(&self) -> &str {
        &self.provider_refresh
    }
}

/// What a presented token turned out to be.
#[derive(Debug)]
pub enum Found {
    /// A live session, to be refreshed with `rotate`.
    Live(Session),
    /// A token already rotated away: someone holds a copy.
    Replayed { user_id: String },
    /// Unknown, expired, or idle for longer than the limit (now deleted).
    Over,
}

fn key(token: &str) -> Key {
    Key::new(format!("SESSION#{}", sha256_hex(token.as_bytes())), "SESSION")
}

fn new_token() -> String {
    B64.encode(crate::domain::random_bytes::<32>())
}

/// A new session for a sign-in; the token for the cookie.
pub async fn start(table: &dyn Table, user_id: &str, provider_refresh: &str) -> PortResult<String> {
    let token = new_token();
    let t = now();
    let session = Session {
        user_id: user_id.to_owned(),
        provider_refresh: provider_refresh.to_owned(),
        last_active: t,
        ends_at: t + MAX_LIFETIME_SECS,
        used: false,
        version: 0,
    };
    let item = to_item(&key(&token), &session, Some(session.ends_at))?;
    table.write(vec![Write::Put { item, condition: Condition::Absent }]).await?;
    Ok(token)
}

/// The session behind a presented token. One idle for longer than `idle_secs` is deleted
/// and over.
pub async fn find(table: &dyn Table, token: &str, idle_secs: i64) -> PortResult<Found> {
    let k = key(token);
    let Some(session) = (match table.get(&k).await? {
        Some(item) => from_item::<Session>(item)?,
        None => None,
    }) else {
        return Ok(Found::Over);
    };
    if session.used {
        return Ok(Found::Replayed { user_id: session.user_id });
    }
    if now() - session.last_active > idle_secs {
        table.write(vec![Write::Delete { key: k, condition: Condition::None }]).await?;
        return Ok(Found::Over);
    }
    Ok(Found::Live(session))
}

/// Replaces the session's token by a new one (returned, for the cookie) and marks the old
/// one used, in one transaction: of two refreshes with the same token, one wins and the
/// other gets `Conflict`. `provider_refresh` is the provider's refresh token from now on.
pub async fn rotate(table: &dyn Table, old_token: &str, session: &Session, provider_refresh: &str) -> PortResult<String> {
    let token = new_token();
    let next = Session { provider_refresh: provider_refresh.to_owned(), last_active: now(), version: 0, used: false, ..session.clone() };
    // The used marker keeps nothing secret and lives as long as the session could have.
    let used = Session { provider_refresh: String::new(), used: true, version: session.version + 1, ..session.clone() };
    table
        .write(vec![
            Write::Put { item: to_item(&key(old_token), &used, Some(session.ends_at))?, condition: Condition::Version(session.version) },
            Write::Put { item: to_item(&key(&token), &next, Some(next.ends_at))?, condition: Condition::Absent },
        ])
        .await?;
    Ok(token)
}

/// Ends the session of this token (sign-out); an unknown token is no error.
pub async fn end(table: &dyn Table, token: &str) -> PortResult<()> {
    match table.write(vec![Write::Delete { key: key(token), condition: Condition::None }]).await {
        Ok(()) | Err(PortError::Conflict) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::embedded::FileTable;

    #[tokio::test]
    async fn tokens_rotate_once_and_a_replay_is_told_apart() {
        let t = FileTable::in_memory();
        let first = start(&t, "u1", "provider-1").await.unwrap();
        let Found::Live(session) = find(&t, &first, 900).await.unwrap() else { panic!() };
        assert_eq!(session.provider_refresh(), "provider-1");
        let second = rotate(&t, &first, &session, "provider-2").await.unwrap();
        assert_ne!(first, second);
        // The same token again, as a concurrent refresh would: one rotation only.
        assert_eq!(rotate(&t, &first, &session, "provider-3").await, Err(PortError::Conflict));
        assert!(matches!(find(&t, &first, 900).await.unwrap(), Found::Replayed { user_id } if user_id == "u1"));
        let Found::Live(next) = find(&t, &second, 900).await.unwrap() else { panic!() };
        assert_eq!(next.provider_refresh(), "provider-2");
        assert!(matches!(find(&t, "made-up", 900).await.unwrap(), Found::Over));
        end(&t, &second).await.unwrap();
        assert!(matches!(find(&t, &second, 900).await.unwrap(), Found::Over));
    }

    #[tokio::test]
    async fn an_idle_session_is_over() {
        let t = FileTable::in_memory();
        let token = start(&t, "u1", "p").await.unwrap();
        // Idle for longer than a limit of -1 s: over, and gone.
        assert!(matches!(find(&t, &token, -1).await.unwrap(), Found::Over));
        assert!(matches!(find(&t, &token, 900).await.unwrap(), Found::Over));
    }
}
