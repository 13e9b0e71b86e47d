//! The embedded identity provider: Cognito's user life cycle on the `Table` port, issuing
//! real RS256 access tokens with Cognito's claims, so the local run exercises the same
//! token checks as API Gateway. Passwords are stored as argon2id hashes; two-step sign-in
//! keys are sealed with AES-256-GCM under a key of the local run's (beside its signing key).

use crate::domain::{SecretHash, TotpCode, TotpSecret};
use crate::jwt::{Signer, Verifier};
use crate::ports::{Condition, Identity, Item, Key, NewUser, PortError, PortResult, SignIn, Table, Tokens, Write};
use crate::store::{from_item, now, sha256_hex, sk_of, to_item};
use async_trait::async_trait;
use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const ACCESS_TOKEN_SECS: i64 = 15 * 60;
pub const REFRESH_TOKEN_SECS: i64 = 24 * 3600;
/// Cognito's longest auth session (AuthSessionValidity): time to pick a password and questions.
const SESSION_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct User {
    user_id: String,
    sub: String,
    email: String,
    preferred_username: String,
    groups: Vec<String>,
    password: SecretHash,
    /// Cognito's FORCE_CHANGE_PASSWORD: the password is temporary and expires.
    temporary_until: Option<i64>,
    enabled: bool,
    /// Two-step sign-in, once a code confirmed the key.
    #[serde(default)]
    totp: Option<Totp>,
    /// A key handed out by `associate_totp`, sealed, waiting for its first code.
    #[serde(default)]
    totp_pending: Option<String>,
    version: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Totp {
    /// The key, sealed (see `LocalIdp::seal`).
    key: String,
    /// The step of the last code accepted: a code works once.
    last_step: i64,
}

pub struct LocalIdp {
    table: Arc<dyn Table>,
    signer: Signer,
    /// Seals the two-step sign-in keys, so the table's file alone does not give them away.
    sealing: LessSafeKey,
    issuer: String,
    client_id: String,
}

fn user_pk(user_id: &str) -> String {
    format!("IDP#USER#{user_id}")
}
fn user_key(user_id: &str) -> Key {
    Key::new(user_pk(user_id), "USER")
}
fn secret_token() -> String {
    B64.encode(crate::domain::random_bytes::<32>())
}
fn hash(secret: &str) -> PortResult<SecretHash> {
    SecretHash::of(secret).map_err(PortError::Internal)
}

impl LocalIdp {
    pub const CLIENT_ID: &'static str = "portal-local";

    /// `sealing_key`: 32 random bytes the local run keeps beside its signing key.
    pub fn new(table: Arc<dyn Table>, signer: Signer, sealing_key: &[u8; 32], portal_url: &str) -> Result<Self, String> {
        let sealing =
            LessSafeKey::new(UnboundKey::new(&aead::AES_256_GCM, sealing_key).map_err(|_| "the sealing key is not an AES-256 key".to_owned())?);
        Ok(LocalIdp { table, signer, sealing, issuer: format!("{}/local-idp", portal_url.trim_end_matches('/')), client_id: Self::CLIENT_ID.into() })
    }

    /// A new sealing key, for a local run's first start.
    pub fn generate_sealing_key() -> [u8; 32] {
        crate::domain::random_bytes::<32>()
    }

    /// The TOTP key sealed for this user (bound to the user id): nonce and ciphertext, base64.
    fn seal(&self, user_id: &str, secret: &TotpSecret) -> PortResult<String> {
        let nonce = crate::domain::random_bytes::<NONCE_LEN>();
        let mut data = secret.bytes().to_vec();
        self.sealing
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(user_id.as_bytes()), &mut data)
            .map_err(|_| PortError::Internal("sealing failed".into()))?;
        Ok(B64.encode([nonce.as_slice(), &data].concat()))
    }

    fn open(&self, user_id: &str, sealed: &str) -> PortResult<TotpSecret> {
        let bytes = B64.decode(sealed).map_err(|_| PortError::Internal("sealed key is not base64".into()))?;
        let fail = || PortError::Internal("a sealed key does not open: was the sealing key replaced?".into());
        let (nonce, data) = bytes.split_at_checked(NONCE_LEN).ok_or_else(fail)?;
        let mut data = data.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| fail())?;
        let plain = self.sealing.open_in_place(nonce, Aad::from(user_id.as_bytes()), &mut data).map_err(|_| fail())?;
        Ok(TotpSecret::from_bytes(plain.to_vec()))
    }

    /// A challenge session (`kind` SESSION for a new password, MFA for a code) and its write.
    fn challenge(user_id: &str, kind: &str) -> PortResult<(String, Write)> {
        let session = format!("{user_id}.{}", secret_token());
        let key = Key::new(user_pk(user_id), format!("{kind}#{}", sha256_hex(session.as_bytes())));
        let item = to_item(&key, &serde_json::json!({}), Some(now() + SESSION_SECS))?;
        Ok((session, Write::Put { item, condition: Condition::Absent }))
    }

    /// The key of a live challenge session, or `None` (unknown, used, or expired).
    async fn live_challenge(&self, user_id: &str, kind: &str, session: &str) -> PortResult<Option<Key>> {
        let key = Key::new(user_pk(user_id), format!("{kind}#{}", sha256_hex(session.as_bytes())));
        let live = match self.table.get(&key).await? {
            Some(item) => from_item::<serde_json::Value>(item)?.is_some(),
            None => false,
        };
        Ok(live.then_some(key))
    }

    /// Tokens, or a code first when the user has two-step sign-in on.
    async fn signed_in(&self, user: &User, mut extra: Vec<Write>, save: bool) -> PortResult<SignIn> {
        let outcome = if user.totp.is_some() {
            let (session, write) = Self::challenge(&user.user_id, "MFA")?;
            extra.push(write);
            SignIn::TotpRequired { session }
        } else {
            let (tokens, writes) = self.issue(user, true)?;
            extra.extend(writes);
            SignIn::Tokens(tokens)
        };
        if save {
            self.save(user, extra).await?;
        } else {
            self.table.write(extra).await?;
        }
        Ok(outcome)
    }

    /// What the local run checks tokens with: this provider's issuer, client and keys.
    pub fn verifier(&self) -> Verifier {
        Verifier { issuer: self.issuer.clone(), client_id: self.client_id.clone(), jwks: self.signer.jwks() }
    }

    async fn user(&self, user_id: &str) -> PortResult<Option<User>> {
        match self.table.get(&user_key(user_id)).await? {
            Some(item) => from_item(item),
            None => Ok(None),
        }
    }

    async fn save(&self, user: &User, extra: Vec<Write>) -> PortResult<()> {
        let mut next = user.clone();
        next.version += 1;
        let mut writes = vec![Write::Put { item: to_item(&user_key(&user.user_id), &next, None)?, condition: Condition::Version(user.version) }];
        writes.extend(extra);
        self.table.write(writes).await
    }

    fn issue(&self, user: &User, with_refresh: bool) -> PortResult<(Tokens, Vec<Write>)> {
        let t = now();
        let claims = serde_json::json!({
            "iss": self.issuer, "sub": user.sub, "client_id": self.client_id, "token_use": "access",
            "scope": "aws.cognito.signin.user.admin", "auth_time": t, "iat": t, "exp": t + ACCESS_TOKEN_SECS,
            "jti": uuid::Uuid::new_v4().to_string(), "username": user.user_id, "cognito:groups": user.groups,
        });
        let access_token = self.signer.sign(&claims).map_err(PortError::Internal)?;
        let mut writes = Vec::new();
        let refresh_token = if with_refresh {
            // The user id travels in the token so a refresh is one GetItem.
            let secret = secret_token();
            let key = Key::new(user_pk(&user.user_id), format!("REFRESH#{}", sha256_hex(secret.as_bytes())));
            writes.push(Write::Put { item: to_item(&key, &serde_json::json!({}), Some(t + REFRESH_TOKEN_SECS))?, condition: Condition::Absent });
            Some(format!("{}.{secret}", user.user_id))
        } else {
            None
        };
        Ok((Tokens { access_token, expires_in: ACCESS_TOKEN_SECS, refresh_token }, writes))
    }

    /// Every refresh token of the user, to delete on sign-out or disable.
    async fn sessions_of(&self, user_id: &str) -> PortResult<Vec<Write>> {
        let items: Vec<Item> = self.table.query(&user_pk(user_id), "REFRESH#").await?;
        Ok(items.iter().map(|i| Write::Delete { key: Key::new(user_pk(user_id), sk_of(i)), condition: Condition::None }).collect())
    }

    /// Saves the user and ends every session of theirs (a password change, a disable).
    async fn save_ending_sessions(&self, user: &User) -> PortResult<()> {
        let sessions = self.sessions_of(&user.user_id).await?;
        // Deletes beyond one transaction's size go after; the user's write goes first.
        let (first, rest) = sessions.split_at(sessions.len().min(24));
        self.save(user, first.to_vec()).await?;
        for chunk in rest.chunks(25) {
            self.table.write(chunk.to_vec()).await?;
        }
        Ok(())
    }

    fn user_of_access_token(&self, access_token: &str) -> PortResult<String> {
        let claims = self.verifier().verify(access_token, now()).ok_or(PortError::NotAuthorized)?;
        claims.get("username").and_then(|u| u.as_str()).map(str::to_owned).ok_or(PortError::NotAuthorized)
    }

    async fn require(&self, user_id: &str) -> PortResult<User> {
        self.user(user_id).await?.ok_or(PortError::NotFound)
    }
}

#[async_trait]
impl Identity for LocalIdp {
    async fn create_user(&self, new: &NewUser<'_>) -> PortResult<String> {
        if let Some(existing) = self.user(new.user_id).await? {
            self.set_temporary_password(new.user_id, new.temporary_password).await?;
            return Ok(existing.sub);
        }
        let user = User {
            user_id: new.user_id.to_owned(),
            sub: uuid::Uuid::new_v4().to_string(),
            email: new.email.to_owned(),
            preferred_username: new.username.to_owned(),
            groups: new.groups.iter().map(|g| g.to_string()).collect(),
            password: hash(new.temporary_password)?,
            temporary_until: Some(now() + crate::domain::TemporaryPassword::VALID_DAYS * 86400),
            enabled: true,
            totp: None,
            totp_pending: None,
            version: 0,
        };
        let item = to_item(&user_key(&user.user_id), &user, None)?;
        self.table.write(vec![Write::Put { item, condition: Condition::Absent }]).await?;
        Ok(user.sub)
    }

    async fn set_temporary_password(&self, user_id: &str, password: &str) -> PortResult<()> {
        let mut user = self.require(user_id).await?;
        user.password = hash(password)?;
        user.temporary_until = Some(now() + crate::domain::TemporaryPassword::VALID_DAYS * 86400);
        self.save_ending_sessions(&user).await
    }

    async fn set_permanent_password(&self, user_id: &str, password: &str) -> PortResult<()> {
        let mut user = self.require(user_id).await?;
        user.password = hash(password)?;
        user.temporary_until = None;
        self.save_ending_sessions(&user).await
    }

    async fn sign_in(&self, user_id: &str, password: &str) -> PortResult<SignIn> {
        let Some(user) = self.user(user_id).await? else {
            // The same hash work as a wrong password, as Cognito answers unknown users alike.
            SecretHash::burn(password);
            return Err(PortError::NotAuthorized);
        };
        if !user.password.matches(password) || !user.enabled {
            return Err(PortError::NotAuthorized);
        }
        match user.temporary_until {
            Some(until) if until <= now() => Err(PortError::NotAuthorized),
            Some(_) => {
                let (session, write) = Self::challenge(user_id, "SESSION")?;
                self.table.write(vec![write]).await?;
                Ok(SignIn::NewPasswordRequired { session })
            }
            None => self.signed_in(&user, vec![], false).await,
        }
    }

    async fn complete_new_password(&self, user_id: &str, session: &str, new_password: &str) -> PortResult<SignIn> {
        let live = self.live_challenge(user_id, "SESSION", session).await?;
        let mut user = self.user(user_id).await?.ok_or(PortError::NotAuthorized)?;
        let Some(key) = live.filter(|_| user.enabled && user.temporary_until.is_some()) else {
            return Err(PortError::NotAuthorized);
        };
        user.password = hash(new_password)?;
        user.temporary_until = None;
        // The session is single-use: it goes in the same write that sets the password.
        self.signed_in(&user, vec![Write::Delete { key, condition: Condition::Present }], true).await
    }

    async fn refresh(&self, refresh_token: &str) -> PortResult<Tokens> {
        let (user_id, secret) = refresh_token.split_once('.').ok_or(PortError::NotAuthorized)?;
        let key = Key::new(user_pk(user_id), format!("REFRESH#{}", sha256_hex(secret.as_bytes())));
        let live = match self.table.get(&key).await? {
            Some(item) => from_item::<serde_json::Value>(item)?.is_some(),
            None => false,
        };
        let user = self.user(user_id).await?.ok_or(PortError::NotAuthorized)?;
        if !live || !user.enabled {
            return Err(PortError::NotAuthorized);
        }
        Ok(self.issue(&user, false)?.0)
    }

    async fn sign_out(&self, access_token: &str) -> PortResult<()> {
        let user_id = self.user_of_access_token(access_token)?;
        self.end_sessions(&user_id).await
    }

    async fn end_sessions(&self, user_id: &str) -> PortResult<()> {
        for chunk in self.sessions_of(user_id).await?.chunks(25) {
            self.table.write(chunk.to_vec()).await?;
        }
        Ok(())
    }

    async fn change_password(&self, access_token: &str, current: &str, new: &str) -> PortResult<()> {
        let user_id = self.user_of_access_token(access_token)?;
        let mut user = self.require(&user_id).await?;
        if !user.password.matches(current) {
            return Err(PortError::NotAuthorized);
        }
        user.password = hash(new)?;
        self.save_ending_sessions(&user).await
    }

    async fn set_enabled(&self, user_id: &str, enabled: bool) -> PortResult<()> {
        let mut user = self.require(user_id).await?;
        user.enabled = enabled;
        if enabled {
            self.save(&user, vec![]).await
        } else {
            self.save_ending_sessions(&user).await
        }
    }

    async fn set_username(&self, user_id: &str, username: &str) -> PortResult<()> {
        let mut user = self.require(user_id).await?;
        user.preferred_username = username.to_owned();
        self.save(&user, vec![]).await
    }

    async fn associate_totp(&self, access_token: &str) -> PortResult<String> {
        let user_id = self.user_of_access_token(access_token)?;
        let mut user = self.require(&user_id).await?;
        let secret = TotpSecret::generate();
        user.totp_pending = Some(self.seal(&user_id, &secret)?);
        self.save(&user, vec![]).await?;
        Ok(secret.base32())
    }

    async fn verify_totp(&self, access_token: &str, code: &TotpCode) -> PortResult<()> {
        let user_id = self.user_of_access_token(access_token)?;
        let mut user = self.require(&user_id).await?;
        let sealed = user.totp_pending.take().ok_or(PortError::NotAuthorized)?;
        let step = self.open(&user_id, &sealed)?.accepts(code, now(), None).ok_or(PortError::NotAuthorized)?;
        user.totp = Some(Totp { key: sealed, last_step: step });
        self.save(&user, vec![]).await.map_err(|e| if e == PortError::Conflict { PortError::NotAuthorized } else { e })
    }

    async fn respond_totp(&self, user_id: &str, session: &str, code: &TotpCode) -> PortResult<Tokens> {
        let live = self.live_challenge(user_id, "MFA", session).await?;
        let mut user = self.user(user_id).await?.ok_or(PortError::NotAuthorized)?;
        let (Some(key), Some(totp), true) = (live, user.totp.as_mut(), user.enabled) else {
            return Err(PortError::NotAuthorized);
        };
        totp.last_step = self.open(user_id, &totp.key)?.accepts(code, now(), Some(totp.last_step)).ok_or(PortError::NotAuthorized)?;
        let (tokens, mut writes) = self.issue(&user, true)?;
        writes.push(Write::Delete { key, condition: Condition::Present });
        // The user's version guards the step: of two sign-ins with one code, one wins.
        self.save(&user, writes).await.map_err(|e| if e == PortError::Conflict { PortError::NotAuthorized } else { e })?;
        Ok(tokens)
    }

    async fn remove_totp(&self, user_id: &str) -> PortResult<()> {
        let mut user = self.require(user_id).await?;
        user.totp = None;
        user.totp_pending = None;
        self.save(&user, vec![]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::embedded::FileTable;

    async fn idp() -> (LocalIdp, Arc<dyn Table>) {
        let table: Arc<dyn Table> = Arc::new(FileTable::in_memory());
        let signer = Signer::from_pkcs8(&Signer::generate_pkcs8().unwrap()).unwrap();
        let idp = LocalIdp::new(table.clone(), signer, &LocalIdp::generate_sealing_key(), "http://x").unwrap();
        idp.create_user(&NewUser { user_id: "u1", email: "a@example.org", username: "fam", temporary_password: "temporary-pass-123", groups: &[] })
            .await
            .unwrap();
        (idp, table)
    }

    #[tokio::test]
    async fn an_expired_temporary_password_no_longer_signs_in() {
        let (idp, table) = idp().await;
        assert!(matches!(idp.sign_in("u1", "temporary-pass-123").await, Ok(SignIn::NewPasswordRequired { .. })));
        let mut item = table.get(&user_key("u1")).await.unwrap().unwrap();
        item.insert("temporary_until".into(), serde_json::json!(now() - 1));
        table.write(vec![Write::Put { item, condition: Condition::None }]).await.unwrap();
        assert_eq!(idp.sign_in("u1", "temporary-pass-123").await, Err(PortError::NotAuthorized));
    }

    #[tokio::test]
    async fn a_password_change_ends_every_session() {
        let (idp, _) = idp().await;
        idp.set_permanent_password("u1", "violet kettle marching uphill").await.unwrap();
        let sign_in = || async {
            match idp.sign_in("u1", "violet kettle marching uphill").await {
                Ok(SignIn::Tokens(t)) => t,
                other => panic!("{other:?}"),
            }
        };
        let (one, two) = (sign_in().await, sign_in().await);
        idp.change_password(&one.access_token, "violet kettle marching uphill", "another phrase entirely here").await.unwrap();
        for t in [&one, &two] {
            assert_eq!(idp.refresh(t.refresh_token.as_deref().unwrap()).await, Err(PortError::NotAuthorized));
        }
    }

    #[tokio::test]
    async fn a_challenge_session_works_once() {
        let (idp, _) = idp().await;
        let Ok(SignIn::NewPasswordRequired { session }) = idp.sign_in("u1", "temporary-pass-123").await else { panic!() };
        assert!(idp.complete_new_password("u1", "u1.forged", "violet kettle marching uphill").await.is_err());
        let Ok(SignIn::Tokens(tokens)) = idp.complete_new_password("u1", &session, "violet kettle marching uphill").await else { panic!() };
        assert!(tokens.refresh_token.is_some());
        assert_eq!(idp.complete_new_password("u1", &session, "another phrase entirely here").await, Err(PortError::NotAuthorized));
        assert!(matches!(idp.sign_in("u1", "violet kettle marching uphill").await, Ok(SignIn::Tokens(_))));
    }

    #[tokio::test]
    async fn two_step_sign_in_asks_for_a_code_and_takes_each_code_once() {
        let (idp, table) = idp().await;
        let password = "violet kettle marching uphill";
        idp.set_permanent_password("u1", password).await.unwrap();
        let Ok(SignIn::Tokens(tokens)) = idp.sign_in("u1", password).await else { panic!() };
        let secret = idp.associate_totp(&tokens.access_token).await.unwrap();
        let stored = serde_json::to_string(&table.get(&user_key("u1")).await.unwrap()).unwrap();
        assert!(!stored.contains(&secret), "the key is stored sealed");
        let code = |step: i64| TotpCode::parse(&TotpSecret::from_base32(&secret).unwrap().code_at(step)).unwrap();
        let step = now() / crate::domain::totp::STEP_SECS;
        let near: Vec<String> = (step - 1..=step + 1).map(|s| code(s).expose().to_owned()).collect();
        let wrong = ["000000", "111111", "222222", "333333"].into_iter().find(|c| !near.iter().any(|n| n == c)).unwrap();
        assert_eq!(idp.verify_totp(&tokens.access_token, &TotpCode::parse(wrong).unwrap()).await, Err(PortError::NotAuthorized));
        idp.verify_totp(&tokens.access_token, &code(step)).await.unwrap();
        let Ok(SignIn::TotpRequired { session }) = idp.sign_in("u1", password).await else { panic!() };
        // The code that turned it on is used up; the next step's is good once.
        assert_eq!(idp.respond_totp("u1", &session, &code(step)).await, Err(PortError::NotAuthorized));
        assert!(idp.respond_totp("u1", &session, &code(step + 1)).await.is_ok());
        let Ok(SignIn::TotpRequired { session }) = idp.sign_in("u1", password).await else { panic!() };
        assert_eq!(idp.respond_totp("u1", &session, &code(step + 1)).await, Err(PortError::NotAuthorized));
        idp.remove_totp("u1").await.unwrap();
        assert!(matches!(idp.sign_in("u1", password).await, Ok(SignIn::Tokens(_))));
    }
}
