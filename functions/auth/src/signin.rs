use crate::two_step::Via;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::domain::{questions::normalise_answer, GivenPassword, NewPassword, Opaque, QuestionId, SecretHash, Username, QUESTIONS};
use portal::http::{self, bearer_token, clear_refresh_cookie, cookie, field, json, json_response, refresh_cookie, REFRESH_COOKIE};
use portal::ports::{PortError, SignIn, Tokens};
use portal::store::accounts::{self, Creation};
use portal::store::audit::Outcome;
use portal::store::security::{self, Event};
use portal::store::sessions::{self, Found};
use portal::store::throttle;
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::json;

pub fn security_questions() -> Response<Body> {
    let list: Vec<_> = QUESTIONS.iter().map(|(id, text)| json!({ "id": id, "text": text })).collect();
    json_response(StatusCode::OK, &list)
}

/// The access token, and with a sign-in's provider refresh token a new session whose
/// token goes into the cookie.
pub(crate) async fn signed_in(app: &App, user_id: &str, tokens: &Tokens) -> Result<Response<Body>, Problem> {
    let session = match &tokens.refresh_token {
        Some(provider) => Some(sessions::start(app.table.as_ref(), user_id, provider).await?),
        None => None,
    };
    Ok(token_answer(&tokens.access_token, tokens.expires_in, session.as_deref()))
}

fn token_answer(access_token: &str, expires_in: i64, session: Option<&str>) -> Response<Body> {
    let mut res = json_response(StatusCode::OK, &json!({ "access_token": access_token, "expires_in": expires_in }));
    if let Some(Ok(v)) = session.map(|token| refresh_cookie(token).parse()) {
        res.headers_mut().insert("set-cookie", v);
    }
    res
}

/// 401; with `clear`, the cookie goes too. A refresh that lost a race to a concurrent one
/// keeps the cookie: the winner's answer has already set the new one.
fn refused(clear: bool) -> Response<Body> {
    let mut res = Problem::unauthenticated().into_response();
    if let (true, Ok(v)) = (clear, clear_refresh_cookie().parse()) {
        res.headers_mut().insert("set-cookie", v);
    }
    res
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: Username,
    password: GivenPassword,
}

/// Every refusal, whatever its reason (unknown name, wrong password, disabled, locked
/// out), is the same 401, so the answer tells nothing about the account.
pub async fn login(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Login = json(req)?;
    let name = body.username.key();
    let table = app.table.as_ref();
    let request_id = http::request_id(req);
    let failures = throttle::signin_failures(table, &name).await?;
    let rec = accounts::get_username(table, &body.username).await?.filter(|r| r.creation != Creation::Reserved);
    let target = rec.as_ref().and_then(|r| r.sub.as_deref());
    if failures.locked {
        security::record(app.audit.as_ref(), Event::SignInLocked, None, target, Outcome::Denied, &request_id).await?;
        return Err(Problem::sign_in_failed());
    }
    // An unknown name costs the same identity-provider call (for a user id that exists
    // nowhere), so the time taken does not tell known names from unknown ones.
    let nobody = uuid::Uuid::new_v4().to_string();
    let user_id = rec.as_ref().map_or(nobody.as_str(), |r| r.user_id.as_str());
    match app.identity.sign_in(user_id, body.password.expose()).await {
        Ok(outcome) => {
            // Not signed in yet: the first sign-in is recorded when it completes.
            if let SignIn::NewPasswordRequired { session } = outcome {
                if failures.any() {
                    throttle::signin_succeeded(table, &name).await?;
                }
                return Ok(json_response(StatusCode::OK, &json!({ "challenge": "NEW_PASSWORD_REQUIRED", "session": session })));
            }
            let account = match target {
                Some(sub) => accounts::get_account_only(table, sub).await?,
                None => None,
            };
            // The failures are cleared once signed in: a right password before a wrong code
            // clears nothing, so codes are guessed no faster than passwords.
            let via = Via::Login { failed_before: failures.any() };
            crate::two_step::finish(app, &account.ok_or_else(Problem::sign_in_failed)?, outcome, via, &request_id).await
        }
        Err(PortError::NotAuthorized) => {
            throttle::signin_failed(table, &name, failures).await?;
            security::record(app.audit.as_ref(), Event::SignIn, None, target, Outcome::Denied, &request_id).await?;
            Err(Problem::sign_in_failed())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerIn {
    question_id: QuestionId,
    answer: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FirstLogin {
    username: Username,
    session: Opaque,
    new_password: GivenPassword,
    security_questions: Vec<AnswerIn>,
}

/// Three different questions with non-empty answers, hashed.
pub(crate) fn answers(given: &[AnswerIn]) -> Result<Vec<(QuestionId, SecretHash)>, Problem> {
    if given.len() != 3 {
        return Err(Problem::invalid("security_questions", "security_questions must hold exactly three questions with answers."));
    }
    let mut out: Vec<(QuestionId, SecretHash)> = Vec::with_capacity(3);
    for (i, a) in given.iter().enumerate() {
        if out.iter().any(|(q, _)| *q == a.question_id) {
            return Err(Problem::invalid(format!("security_questions[{i}].question_id"), "security_questions must be three different questions."));
        }
        let normalised = field(&format!("security_questions[{i}].answer"), normalise_answer(&a.answer))?;
        out.push((a.question_id, SecretHash::of(&normalised).map_err(|_| Problem::internal())?));
    }
    Ok(out)
}

pub async fn first_login(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let body: FirstLogin = json(req)?;
    let password = field("new_password", NewPassword::parse(body.new_password.expose(), &[body.username.as_str()]))?;
    let answers = answers(&body.security_questions)?;
    let table = app.table.as_ref();
    let rec =
        accounts::get_username(table, &body.username).await?.filter(|r| r.creation != Creation::Reserved).ok_or_else(Problem::sign_in_failed)?;
    let sub = rec.sub.clone().ok_or_else(Problem::sign_in_failed)?;
    // The challenge is answered first: only someone holding a valid session may set answers.
    let request_id = http::request_id(req);
    let outcome = match app.identity.complete_new_password(&rec.user_id, body.session.expose(), password.expose()).await {
        Ok(outcome) => outcome,
        Err(PortError::NotAuthorized) => {
            security::record(app.audit.as_ref(), Event::FirstSignIn, None, Some(&sub), Outcome::Denied, &request_id).await?;
            return Err(Problem::sign_in_failed());
        }
        Err(e) => return Err(e.into()),
    };
    let stored = async {
        let mut account = accounts::get_account_only(table, &sub).await?.ok_or(PortError::NotFound)?;
        account.answers = answers;
        accounts::update_account(table, &account).await
    }
    .await;
    let account = match stored {
        Ok(account) => account,
        Err(e) => {
            // Undo rather than leave a password without security questions: every session
            // ends and the chosen password becomes temporary again, so signing in with it
            // leads through this same first login once more.
            tracing::warn!(error = %e, "security answers not stored; first login undone");
            let _ = app.identity.end_sessions(&rec.user_id).await;
            if let Err(undo) = app.identity.set_temporary_password(&rec.user_id, password.expose()).await {
                tracing::error!(error = %undo, "first login could not be undone");
            }
            return Err(Problem::unavailable(
                "Your new password and security questions could not be saved. Sign in again with the password you just chose to set them again.",
            ));
        }
    };
    security::record(app.audit.as_ref(), Event::FirstSignIn, Some(&sub), Some(&sub), Outcome::Allowed, &request_id).await?;
    // A staff member or admin sets up two-step sign-in next; someone who has it gives a code.
    crate::two_step::finish(app, &account, outcome, Via::FirstLogin, &request_id).await
}

/// A new access token for the session in the cookie, whose token is rotated: the answer
/// sets the next one, and the one presented is used up. A session idle for longer than the
/// idle limit is over. A used token presented again means someone copied the cookie:
/// every session of the account ends.
pub async fn refresh(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let Some(token) = cookie(req, REFRESH_COOKIE) else { return Err(Problem::unauthenticated()) };
    let table = app.table.as_ref();
    let session = match sessions::find(table, token, i64::from(http::idle_limit())).await? {
        Found::Live(session) => session,
        Found::Over => return Ok(refused(true)),
        Found::Replayed { user_id } => {
            tracing::warn!("a used session token was presented again: every session of its account ends");
            match app.identity.end_sessions(&user_id).await {
                Ok(()) | Err(PortError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            return Ok(refused(true));
        }
    };
    let tokens = match app.identity.refresh(session.provider_refresh()).await {
        Ok(tokens) => tokens,
        // Signed out everywhere, disabled, or the provider's token expired.
        Err(PortError::NotAuthorized) => {
            sessions::end(table, token).await?;
            return Ok(refused(true));
        }
        Err(e) => return Err(e.into()),
    };
    let provider = tokens.refresh_token.as_deref().unwrap_or(session.provider_refresh());
    match sessions::rotate(table, token, &session, provider).await {
        Ok(next) => Ok(token_answer(&tokens.access_token, tokens.expires_in, Some(&next))),
        Err(PortError::Conflict) => Ok(refused(false)),
        Err(e) => Err(e.into()),
    }
}

/// Ends every session of the account (Cognito's GlobalSignOut) and clears the cookie.
pub async fn logout(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = http::Caller::from_request(req)?;
    // A disabled account's sessions ended when it was disabled; its token is refused here
    // as on every other route.
    portal::access::caller_account(app, &caller).await?;
    let token = bearer_token(req).ok_or_else(Problem::unauthenticated)?;
    if let Some(session) = cookie(req, REFRESH_COOKIE) {
        sessions::end(app.table.as_ref(), session).await?;
    }
    match app.identity.sign_out(token).await {
        // Already signed out elsewhere: signing out again is not an error.
        Ok(()) | Err(PortError::NotAuthorized) => {}
        Err(e) => return Err(e.into()),
    }
    let mut res = http::empty(StatusCode::NO_CONTENT);
    if let Ok(v) = clear_refresh_cookie().parse() {
        res.headers_mut().insert("set-cookie", v);
    }
    Ok(res)
}
