use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::domain::{GivenPassword, NewPassword};
use portal::http::{bearer_token, field, json, json_response, Caller};
use portal::ports::PortError;
use portal::store::accounts::{self, Account, PatientLink};
use portal::store::{audit, patients};
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
        &json!({ "username": account.username, "email": account.email, "roles": account.roles, "patients": list }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    current_password: GivenPassword,
    new_password: GivenPassword,
}

/// "My Account" > "reset password": the current password is required.
pub async fn change_password(app: &App, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let body: ChangePassword = json(req)?;
    let token = bearer_token(req).ok_or_else(Problem::unauthenticated)?;
    let (account, _) = signed_in(app, &caller).await?;
    let new = field("new_password", NewPassword::parse(body.new_password.expose(), &[account.username.as_str(), &account.email]))?;
    match app.identity.change_password(token, body.current_password.expose(), new.expose()).await {
        Ok(()) => Ok(portal::http::empty(StatusCode::NO_CONTENT)),
        Err(PortError::NotAuthorized) => Err(Problem::invalid("current_password", "current_password is not your current password.")),
        Err(e) => Err(e.into()),
    }
}
