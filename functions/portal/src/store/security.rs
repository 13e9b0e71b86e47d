//! Security events: sign-ins and lock-outs, password changes and resets, two-step sign-in
//! turned on, off or reset, and what the office does to accounts (create, disable, enable,
//! rename, resend), each with the acting and the
//! target account and the outcome. Never a password, a code, or a name a caller typed: an
//! unknown username's failed sign-in has no target. They live in the append-only audit
//! table under one partition, which admins read newest first ("Security events").
//!
//! | item           | pk       | sk                          |
//! |----------------|----------|-----------------------------|
//! | security event | SECURITY | <time, microseconds>#<uuid> |

use super::audit::Outcome;
use super::now_precise;
use super::to_item;
use crate::http::Caller;
use crate::ports::{Condition, Key, PageOf, PortResult, Table, Write};
use crate::{App, Problem};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::{Deserialize, Serialize};
use std::future::Future;

const PARTITION: &str = "SECURITY";

crate::domain::ids! {
    pub enum Event {
        SignIn = "signin",
        FirstSignIn = "signin.first",
        /// A sign-in refused unchecked because the username is locked out.
        SignInLocked = "signin.locked",
        PasswordChange = "password.change",
        PasswordReset = "password.reset",
        AccountCreate = "account.create",
        AccountDisable = "account.disable",
        AccountEnable = "account.enable",
        AccountRename = "account.rename",
        CredentialsResend = "credentials.resend",
        /// Two-step sign-in turned on: at a staff member's sign-in, or by a family.
        TwoStepOn = "twostep.on",
        /// A family turned two-step sign-in off.
        TwoStepOff = "twostep.off",
        /// An admin or the office removed an account's two-step sign-in (a lost phone).
        TwoStepReset = "twostep.reset",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecurityRecord {
    pub at: String,
    pub event: Event,
    /// The signed-in account that acted (`sub`); none for sign-ins and resets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The account acted on (`sub`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// "allowed", "denied" or "failed" (see `audit::Outcome`).
    pub outcome: String,
    pub request_id: String,
}

/// One security event; `request_id` is API Gateway's id of the request.
pub async fn record(
    audit: &dyn Table,
    event: Event,
    actor: Option<&str>,
    target: Option<&str>,
    outcome: Outcome,
    request_id: &str,
) -> PortResult<()> {
    let at = now_precise();
    let key = Key::new(PARTITION, format!("{at}#{}", uuid::Uuid::new_v4()));
    let rec = SecurityRecord {
        at,
        event,
        actor: actor.map(str::to_owned),
        target: target.map(str::to_owned),
        outcome: outcome.word().to_owned(),
        request_id: request_id.to_owned(),
    };
    audit.write(vec![Write::Put { item: to_item(&key, &rec, None)?, condition: Condition::Absent }]).await
}

/// Runs what the office does to the account `target` (a `sub`) and records it with what
/// really happened: done, refused (403), or not done with another status.
pub async fn audited(
    app: &App,
    caller: &Caller,
    event: Event,
    target: &str,
    work: impl Future<Output = Result<Response<Body>, Problem>>,
) -> Result<Response<Body>, Problem> {
    let result = work.await;
    let outcome = match &result {
        Ok(_) => Outcome::Allowed,
        Err(p) if p.status == StatusCode::FORBIDDEN => Outcome::Denied,
        Err(p) => Outcome::Failed(p.status.as_u16()),
    };
    record(app.audit.as_ref(), event, Some(&caller.sub), Some(target), outcome, &caller.request_id).await?;
    result
}

/// One page of security events, newest first, after the event whose sort key is `after`.
pub async fn page(audit: &dyn Table, after: Option<&str>, limit: usize) -> PortResult<Vec<(String, SecurityRecord)>> {
    super::page_of(audit, PARTITION, PageOf { prefix: "", after, limit, newest_first: true }).await
}
