//! "My Account": who I am and the patients I may act for, my password, my security
//! questions, and whether I get "New information in the patient portal" emails.

use crate::signin::{answers, AnswerIn};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{self, caller_account, link_holds};
use portal::domain::Acting;
use portal::domain::{GivenPassword, NewPassword};
use portal::http::{bearer_token, clear_refresh_cookie, empty, field, json, json_response, Caller};
use portal::ports::{PortError, PortResult};
use portal::store::accounts::{self, Account};
use portal::store::audit::{self, Action, Outcome};
use portal::store::notifications::{self, Notifications};
use portal::store::security::{self, Event};
use portal::store::{patients, throttle};
use portal::{App, Problem};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::future::Future;

/// Who I am, and the patients I may act for: a parent's or guardian's link to a child of
/// 18 or over no longer counts, so that child is not listed.
pub async fn get(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let table = app.table.as_ref();
    let (account, links) = caller_account(app, &caller).await?;
    let ids: Vec<_> = links.iter().map(|l| l.patient_id).collect();
    let found = patients::get_many(table, &ids).await?;
    let today = access::today();
    let (mut reads, mut list) = (Vec::new(), Vec::new());
    for link in &links {
        if let Some(p) = found.iter().find(|p| p.id == link.patient_id && link_holds(link.relationship, p.birth_date, today)) {
            reads.push((Acting::Holder(link.relationship), p.id));
            list.push(json!({ "id": p.id, "given_name": p.given_name, "relationship": link.relationship }));
        }
    }
    audit::record_many(app.audit.as_ref(), audit::By::of(&caller, &account), &reads, Action::AccountRead).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "username": account.username, "email": account.email, "roles": account.roles, "clinics": account.clinics,
            "two_step": account.two_step, "patients": list,
        }),
    ))
}

/// Runs `attempt`, a check of something only the account holder knows (a password, a
/// two-step code), under the sign-in lock-out of `username_key`: wrong guesses count as
/// failed sign-ins and are answered `wrong()`, and a locked name is refused unchecked.
pub(crate) async fn with_lockout<T, F: Future<Output = PortResult<T>>>(
    app: &App,
    username_key: &str,
    attempt: F,
    wrong: impl Fn() -> Problem,
) -> Result<T, Problem> {
    let table = app.table.as_ref();
    let failures = throttle::signin_failures(table, username_key).await?;
    if failures.locked {
        return Err(wrong());
    }
    match attempt.await {
        Ok(v) => {
            if failures.any() {
                throttle::signin_succeeded(table, username_key).await?;
            }
            Ok(v)
        }
        Err(PortError::NotAuthorized) => {
            throttle::signin_failed(table, username_key, failures).await?;
            Err(wrong())
        }
        Err(e) => Err(e.into()),
    }
}

/// `with_lockout` for the caller's current password.
pub(crate) async fn with_current_password<T, F: Future<Output = PortResult<T>>>(app: &App, account: &Account, attempt: F) -> Result<T, Problem> {
    with_lockout(app, &account.username.key(), attempt, || Problem::invalid("current_password", "current_password is not your current password."))
        .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    current_password: GivenPassword,
    new_password: GivenPassword,
}

/// "My Account" > "reset password": the current password is required, and every session
/// of the account ends (a shared computer's forgotten session too).
pub async fn change_password(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let body: ChangePassword = json(req)?;
    let token = bearer_token(req).ok_or_else(Problem::unauthenticated)?;
    let (account, _) = caller_account(app, &caller).await?;
    let new = field("new_password", NewPassword::parse(body.new_password.expose(), &[account.username.as_str(), &account.email]))?;
    let change = app.identity.change_password(token, body.current_password.expose(), new.expose());
    let changed = with_current_password(app, &account, change).await;
    let outcome = match &changed {
        Ok(()) => Outcome::Allowed,
        // A wrong current password.
        Err(p) if p.status == StatusCode::BAD_REQUEST => Outcome::Denied,
        Err(p) => Outcome::Failed(p.status.as_u16()),
    };
    security::record(app.audit.as_ref(), Event::PasswordChange, Some(&caller.sub), Some(&caller.sub), outcome, &caller.request_id).await?;
    changed?;
    // The change ended every session of the account, this one too: sign in again.
    let mut res = empty(StatusCode::NO_CONTENT);
    if let Ok(v) = clear_refresh_cookie().parse() {
        res.headers_mut().insert("set-cookie", v);
    }
    Ok(res)
}

/// The three questions the account answered, never the answers.
pub async fn security_questions(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let (account, _) = caller_account(app, &caller).await?;
    let list: Vec<_> = account.answers.iter().map(|(q, _)| json!({ "question_id": q.id(), "text": q.text() })).collect();
    Ok(json_response(StatusCode::OK, &list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewQuestions {
    security_questions: Vec<AnswerIn>,
    current_password: GivenPassword,
}

/// New security questions and answers, with the current password as proof.
pub async fn change_security_questions(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let body: NewQuestions = json(req)?;
    let answers = answers(&body.security_questions)?;
    let (mut account, _) = caller_account(app, &caller).await?;
    // Signing in is the identity provider's one check of a password; the session it opens
    // never leaves this function.
    let check = async { app.identity.sign_in(&account.user_id, body.current_password.expose()).await.map(|_| ()) };
    with_current_password(app, &account, check).await?;
    account.answers = answers;
    accounts::update_account(app.table.as_ref(), &account).await.map_err(|e| match e {
        PortError::Conflict => Problem::conflict("Your account changed meanwhile. Try again."),
        other => other.into(),
    })?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// The account's email settings, as GET answers and PUT takes them.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailSettings {
    email_on_new_information: bool,
}

/// The caller's email settings, read with their account in one round trip; 401 for a
/// disabled account, as `caller_account` answers.
async fn settings(app: &App, caller: &Caller) -> Result<Notifications, Problem> {
    match notifications::with_accounts(app.table.as_ref(), std::slice::from_ref(&caller.sub)).await?.pop() {
        Some((account, settings)) if account.enabled => Ok(settings),
        _ => Err(Problem::unauthenticated()),
    }
}

pub async fn notifications(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let n = settings(app, &caller).await?;
    Ok(json_response(StatusCode::OK, &EmailSettings { email_on_new_information: n.email_on_new_information }))
}

pub async fn save_notifications(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let body: EmailSettings = json(req)?;
    let seen = settings(app, &caller).await?;
    let n = notifications::set_email(app.table.as_ref(), &caller.sub, seen, body.email_on_new_information).await?;
    Ok(json_response(StatusCode::OK, &EmailSettings { email_on_new_information: n.email_on_new_information }))
}
