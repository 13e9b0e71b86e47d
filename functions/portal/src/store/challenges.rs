//! Sign-ins waiting for their second step: the `session` of the `MFA_SETUP` and
//! `SOFTWARE_TOKEN_MFA` challenges is a random token of ours, and this record holds what
//! finishing needs. None of it leaves the server: the identity provider's tokens of a
//! sign-in that must set up two-step sign-in first, or its own challenge session.
//!
//! | item      | pk                               | sk        |
//! |-----------|----------------------------------|-----------|
//! | challenge | CHALLENGE#<SHA-256 of the token> | CHALLENGE |

use super::{from_item, now, sha256_hex, to_item};
use crate::domain::Username;
use crate::ports::{Condition, Key, PortError, PortResult, Table, Tokens, Write};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// How long a challenge waits: long enough to install an authenticator app and scan.
pub const VALID_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// A hospital person without two-step sign-in: the provider's tokens wait here until a
    /// key is set up and a code of it verified.
    Setup { access_token: String, refresh_token: String, expires_at: i64 },
    /// The provider asked for a code; its challenge session.
    Code { provider_session: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Challenge {
    /// The identity provider's user id.
    pub user_id: String,
    pub sub: String,
    /// The name signed in with: wrong codes count against it, as wrong passwords do.
    pub username: Username,
    pub step: Step,
}

impl Challenge {
    /// The held tokens of a `Setup`, as a sign-in hands them out.
    pub fn held_tokens(&self) -> Option<Tokens> {
        match &self.step {
            Step::Setup { access_token, refresh_token, expires_at } => Some(Tokens {
                access_token: access_token.clone(),
                expires_in: (expires_at - now()).max(0),
                refresh_token: Some(refresh_token.clone()),
            }),
            Step::Code { .. } => None,
        }
    }
}

fn key(token: &str) -> Key {
    Key::new(format!("CHALLENGE#{}", sha256_hex(token.as_bytes())), "CHALLENGE")
}

/// A new challenge; the token for the browser's `session`.
pub async fn start(table: &dyn Table, challenge: &Challenge) -> PortResult<String> {
    let token = B64.encode(crate::domain::random_bytes::<32>());
    let item = to_item(&key(&token), challenge, Some(now() + VALID_SECS))?;
    table.write(vec![Write::Put { item, condition: Condition::Absent }]).await?;
    Ok(token)
}

/// The live challenge of a token, or `None` (unknown, finished or expired).
pub async fn find(table: &dyn Table, token: &str) -> PortResult<Option<Challenge>> {
    match table.get(&key(token)).await? {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

/// Ends the challenge, once: of two requests finishing it, the second gets `NotAuthorized`.
pub async fn finish(table: &dyn Table, token: &str) -> PortResult<()> {
    match table.write(vec![Write::Delete { key: key(token), condition: Condition::Present }]).await {
        Err(PortError::Conflict) => Err(PortError::NotAuthorized),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::embedded::FileTable;

    #[tokio::test]
    async fn a_challenge_finishes_once() {
        let t = FileTable::in_memory();
        let c = Challenge {
            user_id: "u1".into(),
            sub: "s1".into(),
            username: Username::parse("office.sam").unwrap(),
            step: Step::Code { provider_session: "p".into() },
        };
        let token = start(&t, &c).await.unwrap();
        assert!(find(&t, &token).await.unwrap().is_some());
        finish(&t, &token).await.unwrap();
        assert_eq!(finish(&t, &token).await, Err(PortError::NotAuthorized));
        assert!(find(&t, &token).await.unwrap().is_none());
    }
}
