use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::domain::{questions::normalise_answer, GivenPassword, NewPassword, Opaque, QuestionId, SecretHash, Username, QUESTIONS};
use portal::http::{self, bearer_token, clear_refresh_cookie, cookie, field, json, json_response, refresh_cookie, REFRESH_COOKIE};
use portal::ports::{PortError, SignIn, Tokens};
use portal::store::accounts::{self, Creation};
use portal::store::throttle;
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::json;

/// Lifetime of the refresh cookie; matches the app client's refresh token validity.
const REFRESH_COOKIE_SECS: i64 = 24 * 3600;

pub fn security_questions() -> Response<Body> {
    let list: Vec<_> = QUESTIONS.iter().map(|(id, text)| json!({ "id": id, "text": text })).collect();
    json_response(StatusCode::OK, &list)
}

fn tokens_response(tokens: &Tokens) -> Response<Body> {
    let mut res = json_response(StatusCode::OK, &json!({ "access_token": tokens.access_token, "expires_in": tokens.expires_in }));
    if let Some(refresh) = &tokens.refresh_token {
        if let Ok(v) = refresh_cookie(refresh, REFRESH_COOKIE_SECS).parse() {
            res.headers_mut().insert("set-cookie", v);
        }
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
    let failures = throttle::signin_failures(table, &name).await?;
    if failures.is_some_and(|f| f.locked) {
        return Err(Problem::sign_in_failed());
    }
    let rec = accounts::get_username(table, &body.username).await?.filter(|r| r.creation != Creation::Reserved);
    let outcome = match &rec {
        Some(rec) => app.identity.sign_in(&rec.user_id, body.password.expose()).await,
        None => Err(PortError::NotAuthorized),
    };
    match outcome {
        Ok(signed_in) => {
            if failures.is_some() {
                throttle::signin_succeeded(table, &name).await?;
            }
            Ok(match signed_in {
                SignIn::Tokens(tokens) => tokens_response(&tokens),
                SignIn::NewPasswordRequired { session } => {
                    json_response(StatusCode::OK, &json!({ "challenge": "NEW_PASSWORD_REQUIRED", "session": session }))
                }
            })
        }
        Err(PortError::NotAuthorized) => {
            throttle::signin_failed(table, &name).await?;
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
    let rec = accounts::get_username(table, &body.username)
        .await?
        .filter(|r| r.creation != Creation::Reserved)
        .ok_or_else(Problem::sign_in_failed)?;
    let sub = rec.sub.clone().ok_or_else(Problem::sign_in_failed)?;
    // The challenge is answered first: only someone holding a valid session may set answers.
    let tokens = app
        .identity
        .complete_new_password(&rec.user_id, body.session.expose(), password.expose())
        .await
        .map_err(|e| if e == PortError::NotAuthorized { Problem::sign_in_failed() } else { e.into() })?;
    let stored = async {
        let mut account = accounts::get_account_only(table, &sub).await?.ok_or(PortError::NotFound)?;
        account.answers = answers;
        accounts::update_account(table, &account).await
    }
    .await;
    if let Err(e) = stored {
        // Undo rather than leave a password without security questions: the new session
        // ends and the chosen password becomes temporary again, so signing in with it
        // leads through this same first login once more.
        tracing::warn!(error = %e, "security answers not stored; first login undone");
        let _ = app.identity.sign_out(&tokens.access_token).await;
        if let Err(undo) = app.identity.set_temporary_password(&rec.user_id, password.expose()).await {
            tracing::error!(error = %undo, "first login could not be undone");
        }
        return Err(Problem::unavailable(
            "Your new password and security questions could not be saved. Sign in again with the password you just chose to set them again.",
        ));
    }
    Ok(tokens_response(&tokens))
}

pub async fn refresh(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let Some(token) = cookie(req, REFRESH_COOKIE) else { return Err(Problem::unauthenticated()) };
    match app.identity.refresh(token).await {
        Ok(tokens) => Ok(tokens_response(&tokens)),
        Err(PortError::NotAuthorized) => {
            let mut res = Problem::unauthenticated().into_response();
            if let Ok(v) = clear_refresh_cookie().parse() {
                res.headers_mut().insert("set-cookie", v);
            }
            Ok(res)
        }
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
