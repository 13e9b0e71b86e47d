use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::domain::{GivenPassword, NewPassword};
use portal::http::{bearer_token, field, json, json_response, Caller};
use portal::ports::PortError;
use portal::store::accounts::{self, Account, PatientLink};
use portal::store::{audit, patients, throttle};
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::json;

/// The caller's account and patient links. An access token outlives a disable by up to
/// its lifetime; the account's own flag ends its use at once.
async fn signed_in(app: &App, caller: &Caller) -> Result<(Account, Vec<PatientLink>), Problem> {
    match accounts::get_account(app.table.as_ref(), &caller.sub).await? {
        Some((account, links)) if account.enabled => Ok((account, links)),
        _ => Err(Problem::unauthenticated()),
    }
}

/// "My Account": who I am, and the patients I may act for.
pub async fn get(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let table = app.table.as_ref();
    let (account, links) = signed_in(app, &caller).await?;
    let ids: Vec<_> = links.iter().map(|l| l.patient_id).collect();
    let found = patients::get_many(table, &ids).await?;
    let mut list = Vec::new();
    for link in &links {
        if let Some(p) = found.iter().find(|p| p.id == link.patient_id) {
            audit::record(table, &caller.sub, &p.id, "account.read", true).await?;
            list.push(json!({ "id": p.id, "given_name": p.given_name, "relationship": link.relationship }));
        }
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "username": account.username, "email": account.email, "roles": account.roles, "clinics": account.clinics, "patients": list }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    current_password: GivenPassword,
    new_password: GivenPassword,
}

/// "My Account" > "reset password": the current password is required, and wrong guesses
/// count towards the same lock-out as failed sign-ins.
pub async fn change_password(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let body: ChangePassword = json(req)?;
    let token = bearer_token(req).ok_or_else(Problem::unauthenticated)?;
    let (account, _) = signed_in(app, &caller).await?;
    let new = field("new_password", NewPassword::parse(body.new_password.expose(), &[account.username.as_str(), &account.email]))?;
    let table = app.table.as_ref();
    let name = account.username.key();
    let wrong = || Problem::invalid("current_password", "current_password is not your current password.");
    let failures = throttle::signin_failures(table, &name).await?;
    if failures.is_some_and(|f| f.locked) {
        return Err(wrong());
    }
    match app.identity.change_password(token, body.current_password.expose(), new.expose()).await {
        Ok(()) => {
            if failures.is_some() {
                throttle::signin_succeeded(table, &name).await?;
            }
            Ok(portal::http::empty(StatusCode::NO_CONTENT))
        }
        Err(PortError::NotAuthorized) => {
            throttle::signin_failed(table, &name).await?;
            Err(wrong())
        }
        Err(e) => Err(e.into()),
    }
}
