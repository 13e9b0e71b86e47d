//! Two-step sign-in (TOTP): the sign-in's second step, its set-up for staff and admins, who
//! must have it, and a family's own choice under "My Account".
//!
//! A sign-in with the right password ends in `finish`: a staff member or admin without a key
//! gets the `MFA_SETUP` challenge while the provider's tokens wait on the server
//! (`store::challenges`); someone with a key gets `SOFTWARE_TOKEN_MFA`. Tokens reach the
//! browser only after a right code. Wrong codes count toward the sign-in lock-out.

use crate::account::{with_current_password, with_lockout};
use crate::signin::signed_in;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::caller_account;
use portal::domain::totp::otpauth_uri;
use portal::domain::{GivenPassword, Opaque, TotpCode};
use portal::http::{self, bearer_token, empty, json, json_response, Caller};
use portal::ports::{PortError, SignIn, Tokens};
use portal::store::accounts::{self, Account};
use portal::store::audit::Outcome;
use portal::store::challenges::{self, Challenge, Step};
use portal::store::security::{self, Event};
use portal::store::throttle;
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::json;

/// The password step `finish` follows.
pub enum Via {
    /// A login: once signed in, the name's counted failures (`failed_before`) are cleared and
    /// the sign-in is recorded.
    Login { failed_before: bool },
    /// A first login, recorded as the first sign-in already.
    FirstLogin,
}

/// What a right password (or a first login's new one) leads to: tokens, or a challenge.
pub async fn finish(app: &App, account: &Account, outcome: SignIn, via: Via, request_id: &str) -> Result<Response<Body>, Problem> {
    let challenge = |step| Challenge { user_id: account.user_id.clone(), sub: account.sub.clone(), username: account.username.clone(), step };
    match outcome {
        SignIn::Tokens(tokens) if app.staff_two_step && account.is_hospital_person() => {
            let refresh_token = tokens.refresh_token.ok_or_else(|| PortError::Internal("a sign-in without a refresh token".into()))?;
            let step = Step::Setup { access_token: tokens.access_token, refresh_token, expires_at: portal::store::now() + tokens.expires_in };
            let session = challenges::start(app.table.as_ref(), &challenge(step)).await?;
            Ok(json_response(StatusCode::OK, &json!({ "challenge": "MFA_SETUP", "session": session })))
        }
        SignIn::Tokens(tokens) => {
            if let Via::Login { failed_before } = via {
                if failed_before {
                    throttle::signin_succeeded(app.table.as_ref(), &account.username.key()).await?;
                }
                security::record(app.audit.as_ref(), Event::SignIn, Some(&account.sub), Some(&account.sub), Outcome::Allowed, request_id).await?;
            }
            signed_in(app, &account.user_id, &tokens).await
        }
        SignIn::TotpRequired { session } => {
            let session = challenges::start(app.table.as_ref(), &challenge(Step::Code { provider_session: session })).await?;
            Ok(json_response(StatusCode::OK, &json!({ "challenge": "SOFTWARE_TOKEN_MFA", "session": session })))
        }
        SignIn::NewPasswordRequired { session } => {
            Ok(json_response(StatusCode::OK, &json!({ "challenge": "NEW_PASSWORD_REQUIRED", "session": session })))
        }
    }
}

/// A new key for the access token's user: its text, the address an app takes, and that
/// address as a QR code drawn here (the secret goes to no other service).
async fn new_key(app: &App, access_token: &str, username: &str) -> Result<serde_json::Value, Problem> {
    let secret = app.identity.associate_totp(access_token).await.map_err(|e| match e {
        PortError::NotAuthorized => Problem::sign_in_failed(),
        other => other.into(),
    })?;
    let uri = otpauth_uri(username, &secret);
    let qr = qrcode::QrCode::new(uri.as_bytes()).map_err(|_| Problem::internal())?;
    let svg = qr.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    Ok(json!({ "secret": secret, "otpauth_uri": uri, "qr_svg": svg }))
}

/// The challenge of a browser's `session`, if it is of this step; else the sign-in's 401.
async fn challenge_of(app: &App, session: &Opaque, setup: bool) -> Result<Challenge, Problem> {
    match challenges::find(app.table.as_ref(), session.expose()).await? {
        Some(c) if matches!(c.step, Step::Setup { .. }) == setup => Ok(c),
        _ => Err(Problem::sign_in_failed()),
    }
}

/// A code checked by the provider (`check`) under the sign-in lock-out of the name signed in
/// with; a refusal is the wrong password's 401, recorded as `event` denied.
async fn counted<T>(
    app: &App,
    c: &Challenge,
    event: Event,
    request_id: &str,
    check: impl std::future::Future<Output = Result<T, PortError>>,
) -> Result<T, Problem> {
    let checked = with_lockout(app, &c.username.key(), check, Problem::sign_in_failed).await;
    if checked.is_err() {
        security::record(app.audit.as_ref(), event, None, Some(&c.sub), Outcome::Denied, request_id).await?;
    }
    checked
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Session {
    session: Opaque,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionCode {
    session: Opaque,
    code: TotpCode,
}

/// POST /api/auth/mfa-setup: the key for a staff member's or admin's `MFA_SETUP`.
pub async fn setup(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Session = json(req)?;
    let c = challenge_of(app, &body.session, true).await?;
    let Some(held) = c.held_tokens() else { return Err(Problem::sign_in_failed()) };
    let mut answer = new_key(app, &held.access_token, c.username.as_str()).await?;
    answer["session"] = json!(body.session.expose());
    Ok(json_response(StatusCode::OK, &answer))
}

/// POST /api/auth/mfa-verify: the first code of the new key turns two-step sign-in on, and
/// the sign-in that waited for it is handed out.
pub async fn verify(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let body: SessionCode = json(req)?;
    let request_id = http::request_id(req);
    let c = challenge_of(app, &body.session, true).await?;
    let Some(held) = c.held_tokens() else { return Err(Problem::sign_in_failed()) };
    counted(app, &c, Event::TwoStepOn, &request_id, app.identity.verify_totp(&held.access_token, &body.code)).await?;
    challenges::finish(app.table.as_ref(), body.session.expose()).await.map_err(|_| Problem::sign_in_failed())?;
    mark(app, &c.sub, true).await?;
    security::record(app.audit.as_ref(), Event::TwoStepOn, Some(&c.sub), Some(&c.sub), Outcome::Allowed, &request_id).await?;
    security::record(app.audit.as_ref(), Event::SignIn, Some(&c.sub), Some(&c.sub), Outcome::Allowed, &request_id).await?;
    signed_in(app, &c.user_id, &held).await
}

/// POST /api/auth/mfa: the code of a `SOFTWARE_TOKEN_MFA` challenge. A wrong code is the
/// wrong password's 401; the challenge stays for another try until it expires.
pub async fn code(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let body: SessionCode = json(req)?;
    let request_id = http::request_id(req);
    let c = challenge_of(app, &body.session, false).await?;
    let Step::Code { provider_session } = &c.step else { return Err(Problem::sign_in_failed()) };
    let tokens: Tokens = counted(app, &c, Event::SignIn, &request_id, app.identity.respond_totp(&c.user_id, provider_session, &body.code)).await?;
    challenges::finish(app.table.as_ref(), body.session.expose()).await.map_err(|_| Problem::sign_in_failed())?;
    security::record(app.audit.as_ref(), Event::SignIn, Some(&c.sub), Some(&c.sub), Outcome::Allowed, &request_id).await?;
    signed_in(app, &c.user_id, &tokens).await
}

/// Keeps the account's note of two-step sign-in in step with the provider.
async fn mark(app: &App, sub: &str, on: bool) -> Result<(), Problem> {
    let table = app.table.as_ref();
    let mut account = accounts::get_account_only(table, sub).await?.ok_or_else(Problem::sign_in_failed)?;
    if account.two_step != on {
        account.two_step = on;
        accounts::update_account(table, &account).await?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrentPassword {
    current_password: GivenPassword,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Code {
    code: TotpCode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordAndCode {
    current_password: GivenPassword,
    code: TotpCode,
}

fn already_on() -> Problem {
    Problem::conflict("Two-step sign-in is already on for this account.")
}

/// POST /api/account/mfa/setup: a new key for the signed-in account, with the current
/// password as proof. Staff and admins set theirs up at sign-in, so theirs is already on.
pub async fn own_setup(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let body: CurrentPassword = json(req)?;
    let token = bearer_token(req).ok_or_else(Problem::unauthenticated)?;
    let (account, _) = caller_account(app, &caller).await?;
    if account.two_step {
        return Err(already_on());
    }
    let check = async { app.identity.sign_in(&account.user_id, body.current_password.expose()).await.map(|_| ()) };
    with_current_password(app, &account, check).await?;
    Ok(json_response(StatusCode::OK, &new_key(app, token, account.username.as_str()).await?))
}

/// POST /api/account/mfa/verify: the first code of the new key turns two-step sign-in on.
pub async fn own_verify(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let body: Code = json(req)?;
    let token = bearer_token(req).ok_or_else(Problem::unauthenticated)?;
    let (mut account, _) = caller_account(app, &caller).await?;
    if account.two_step {
        return Err(already_on());
    }
    let wrong = || Problem::invalid("code", "This code is not right. Enter the code your app shows now, or start again.");
    let outcome = with_lockout(app, &account.username.key(), app.identity.verify_totp(token, &body.code), wrong).await;
    let recorded = if outcome.is_ok() { Outcome::Allowed } else { Outcome::Denied };
    security::record(app.audit.as_ref(), Event::TwoStepOn, Some(&caller.sub), Some(&caller.sub), recorded, &caller.request_id).await?;
    outcome?;
    account.two_step = true;
    accounts::update_account(app.table.as_ref(), &account).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// POST /api/account/mfa/disable: a family turns two-step sign-in off with their password
/// and a current code. Staff and admins must keep it.
pub async fn own_disable(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let body: PasswordAndCode = json(req)?;
    let (mut account, _) = caller_account(app, &caller).await?;
    if account.is_hospital_person() {
        return Err(Problem::forbidden_because("Staff and admins must keep two-step sign-in. An admin can reset it for a new phone."));
    }
    if !account.two_step {
        // Off already: a retried request.
        return Ok(empty(StatusCode::NO_CONTENT));
    }
    // Signing in with the password, then the code, is the provider's one check of both; the
    // session it opens never leaves this function.
    let password = with_current_password(app, &account, async { app.identity.sign_in(&account.user_id, body.current_password.expose()).await });
    let code_check = async {
        match password.await? {
            SignIn::TotpRequired { session } => {
                let wrong = || Problem::invalid("code", "This code is not right. Enter the code your app shows now.");
                with_lockout(app, &account.username.key(), app.identity.respond_totp(&account.user_id, &session, &body.code), wrong).await.map(|_| ())
            }
            // The provider has no key for the account: nothing to check a code against.
            _ => Ok(()),
        }
    };
    let checked = code_check.await;
    let recorded = if checked.is_ok() { Outcome::Allowed } else { Outcome::Denied };
    security::record(app.audit.as_ref(), Event::TwoStepOff, Some(&caller.sub), Some(&caller.sub), recorded, &caller.request_id).await?;
    checked?;
    app.identity.remove_totp(&account.user_id).await?;
    account.two_step = false;
    accounts::update_account(app.table.as_ref(), &account).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
