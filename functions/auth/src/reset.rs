//! Forgot password. Every answer of these three routes is the same, byte for byte, whether
//! the username exists or not: the code comes by email to the account's address only. The
//! code is ours (`store::reset_codes`), and a reset sets the password through the identity
//! provider's admin call only once the code and the security answer are both right.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::domain::{questions::normalise_answer, GivenPassword, NewPassword, Opaque, QuestionId, SecretHash, Username, QUESTIONS};
use portal::http::{empty, field, json, json_response};
use portal::messages;
use portal::ports::{Email, PortError};
use portal::store::accounts::{self, Account, Creation};
use portal::store::audit::Outcome;
use portal::store::secret::keyed;
use portal::store::security::{self, Event};
use portal::store::{reset_codes, throttle};
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Forgot {
    username: Username,
}

/// The account behind a username, if it is fully created, enabled and has its questions.
/// Two reads whether or not the username exists, so the time taken tells nothing.
async fn resettable(app: &App, username: &Username) -> Result<Option<Account>, Problem> {
    let table = app.table.as_ref();
    let sub = accounts::get_username(table, username).await?.filter(|r| r.creation == Creation::Done).and_then(|r| r.sub);
    let account = accounts::get_account_only(table, sub.as_deref().unwrap_or(NOBODY)).await?;
    Ok(account.filter(|a| sub.is_some() && a.enabled && !a.answers.is_empty()))
}

/// A `sub` no account has (identity providers' subs are UUIDs).
const NOBODY: &str = "nobody";

/// How long `forgot-password` takes at least. Sending a code costs more than not sending
/// one (a write and an email, which we cannot make as dear for unknown names), so every
/// answer waits until this much time has passed: the time taken tells nothing unless the
/// mail service is slower than this.
const FORGOT_PASSWORD_TAKES: Duration = Duration::from_millis(600);

pub async fn forgot_password(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let until = Instant::now() + FORGOT_PASSWORD_TAKES;
    let answer = forgot_password_now(app, req).await;
    tokio::time::sleep_until(until).await;
    answer
}

async fn forgot_password_now(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Forgot = json(req)?;
    // Counted per username, known or not, so the throttle tells nothing either; a
    // throttled request is answered exactly as any other.
    if !throttle::reset_mail_allowed(app.table.as_ref(), &body.username.key()).await? {
        return Ok(empty(StatusCode::ACCEPTED));
    }
    let secret = app.secret().await?;
    // Nothing goes out for a name without a resettable account; the floor hides the time.
    if let Some(account) = resettable(app, &body.username).await? {
        // A failure must not change the answer either; the person can ask again.
        if let Err(e) = send_code(app, secret, account).await {
            tracing::warn!(error = %e, "reset code not sent");
        }
    }
    Ok(empty(StatusCode::ACCEPTED))
}

async fn send_code(app: &App, secret: &[u8], account: Account) -> Result<(), PortError> {
    let code = reset_codes::issue(app.table.as_ref(), secret, &account.user_id).await?;
    let (subject, text) = messages::reset(&app.portal_url, account.username.as_str(), &code);
    app.mailer.send(&Email { to: account.email, subject, text }).await
}

/// The question asked for this username and code: one of the account's three, or, for a
/// username without an account, one of three decoys fixed per username by the server
/// secret, so repeated asks look like those of a real account.
fn question_for(secret: &[u8], account: Option<&Account>, username: &Username, code: &str) -> QuestionId {
    let pick = keyed(secret, &["pick", &username.key(), code]);
    let pick = usize::from(pick[0]) % 3;
    if let Some(a) = account.filter(|a| !a.answers.is_empty()) {
        return a.answers[pick % a.answers.len()].0;
    }
    let seed = keyed(secret, &["decoy", &username.key()]);
    let mut decoys: Vec<usize> = Vec::with_capacity(3);
    for b in seed {
        let i = usize::from(b) % QUESTIONS.len();
        if !decoys.contains(&i) {
            decoys.push(i);
        }
        if decoys.len() == 3 {
            break;
        }
    }
    QuestionId::at(decoys.get(pick).copied().unwrap_or(pick))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AskQuestion {
    username: Username,
    code: Opaque,
}

pub async fn reset_question(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let body: AskQuestion = json(req)?;
    let account = resettable(app, &body.username).await?;
    let q = question_for(app.secret().await?, account.as_ref(), &body.username, body.code.expose());
    Ok(json_response(StatusCode::OK, &json!({ "question_id": q.id(), "text": q.text() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reset {
    username: Username,
    code: Opaque,
    question_id: QuestionId,
    answer: String,
    new_password: GivenPassword,
}

pub async fn reset_password(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Reset = json(req)?;
    let password = field("new_password", NewPassword::parse(body.new_password.expose(), &[body.username.as_str()]))?;
    let answer = field("answer", normalise_answer(&body.answer))?;
    let code = body.code.expose();
    let table = app.table.as_ref();
    let request_id = portal::http::request_id(req);
    let account = resettable(app, &body.username).await?;
    // Failures count per account, whatever code they tried: guessing codes gains nothing.
    // An unknown username is counted under its name: the same reads, writes and hashing.
    let counter = account.as_ref().map_or_else(|| format!("{NOBODY}#{}", body.username.key()), |a| a.user_id.clone());
    let failures = throttle::reset_failures(table, &counter).await?;
    // Only the question this code was given may be answered: no picking the easiest one.
    let secret = app.secret().await?;
    let asked = question_for(secret, account.as_ref(), &body.username, code);
    let matches = match account.as_ref().and_then(|a| a.answers.iter().find(|(q, _)| *q == asked)) {
        Some((_, hash)) => hash.matches(&answer),
        None => {
            SecretHash::burn(&answer);
            false
        }
    };
    // Read under the counter's id too: an unknown name costs the same read, and finds nothing.
    let code_ok = reset_codes::matches(table, secret, &counter, code).await?;
    let account = match account {
        Some(account) if !failures.locked && matches && code_ok && asked == body.question_id => account,
        _ => {
            if !failures.locked {
                throttle::reset_failed(table, &counter, failures).await?;
            }
            let target = account.as_ref().map(|a| a.sub.as_str());
            security::record(app.audit.as_ref(), Event::PasswordReset, None, target, Outcome::Denied, &request_id).await?;
            return Err(Problem::reset_failed());
        }
    };
    // Ends every session of the account. The code is spent only after the password is set:
    // a request that fails between the two can be sent again with the same code.
    app.identity.set_permanent_password(&account.user_id, password.expose()).await?;
    reset_codes::spend(table, &account.user_id).await?;
    throttle::reset_succeeded(table, &account.user_id).await?;
    throttle::signin_succeeded(table, &body.username.key()).await?;
    security::record(app.audit.as_ref(), Event::PasswordReset, None, Some(&account.sub), Outcome::Allowed, &request_id).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn asked(account: Option<&Account>, username: &str, codes: std::ops::Range<u32>) -> HashSet<&'static str> {
        let u = Username::parse(username).unwrap();
        codes.map(|c| question_for(b"secret", account, &u, &c.to_string()).id()).collect()
    }

    #[test]
    fn an_unknown_username_gets_three_decoys_like_a_real_account() {
        let decoys = asked(None, "nobody-here", 0..200);
        assert_eq!(decoys.len(), 3, "{decoys:?}");
        assert_eq!(asked(None, "NOBODY-here", 0..200), decoys, "stable per username, in any case");
        assert_ne!(asked(None, "someone-else", 0..200), decoys);
    }

    #[test]
    fn a_real_account_is_asked_only_its_own_questions() {
        let hash = SecretHash::of("x").unwrap();
        let answers = ["first-pet", "first-car", "first-job"].map(|q| (QuestionId::parse(q).unwrap(), hash.clone()));
        let account = Account {
            sub: "s".into(),
            user_id: "u".into(),
            username: Username::parse("family").unwrap(),
            email: "f@example.org".into(),
            name: None,
            roles: vec![],
            clinics: vec![],
            answers: answers.to_vec(),
            two_step: false,
            enabled: true,
            version: 0,
        };
        assert_eq!(asked(Some(&account), "family", 0..200), HashSet::from(["first-pet", "first-car", "first-job"]));
    }
}
