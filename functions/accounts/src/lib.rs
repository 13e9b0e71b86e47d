//! The `accounts` function: what the hospital's admins and the clinic offices do: create
//! staff, register and find patients, create families' accounts and link them to more
//! patients, resend login information, change usernames, disable and enable, reset a lost
//! phone's two-step sign-in, and read a patient's audit trail.

/// The SDK clients this function builds besides the table: accounts are Cognito users; credentials are mailed.
pub type Clients = portal::app::WithIdentityAndMail;

mod events;
mod links;
mod patients;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::office::{not_yourself, target_account, Scope, Target};
use portal::domain::{Clinic, EmailAddress, PersonName, Role, Username};
use portal::http::{empty, field, idempotency_key, json, json_response, serve, Caller};
use portal::onboarding::{self, NewAccount};
use portal::ports::PortError;
use portal::routes::accounts::Endpoint;
use portal::store::accounts::{self, Account, UsernameRecord};
use portal::store::audit::{Action, Outcome};
use portal::store::security::{self, Event};
use portal::store::{audit, patients as stored};
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(req, |endpoint, params, req| async move {
        let caller = Caller::from_request(&req)?;
        let (caller, params, req) = (&caller, &params, &req);
        match endpoint {
            Endpoint::CreateStaff => create_staff(app, caller, req).await,
            Endpoint::CreatePatient => patients::create(app, caller, req).await,
            Endpoint::SearchPatients => patients::search(app, caller, req).await,
            Endpoint::AuditTrail => patients::audit_trail(app, caller, params, req).await,
            Endpoint::CreateAccount => links::create_account(app, caller, req).await,
            Endpoint::FindAccount => find_account(app, caller, params).await,
            Endpoint::ResendCredentials => resend(app, caller, params).await,
            Endpoint::ChangeUsername => change_username(app, caller, params, req).await,
            Endpoint::Disable => set_enabled(app, caller, params, false).await,
            Endpoint::Enable => set_enabled(app, caller, params, true).await,
            Endpoint::ResetTwoStep => reset_two_step(app, caller, params).await,
            Endpoint::Link => links::link(app, caller, params, req).await,
            Endpoint::Unlink => links::unlink(app, caller, params).await,
            Endpoint::SecurityEvents => events::page(app, caller, req).await,
            Endpoint::Imports => events::imports(app, caller, req).await,
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStaff {
    username: Username,
    email: EmailAddress,
    given_name: PersonName,
    family_name: PersonName,
    role: String,
    clinics: Vec<String>,
}

async fn create_staff(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    Scope::admin(app, caller).await?;
    let body: NewStaff = json(req)?;
    let role = field("role", Role::parse(&body.role))?;
    let mut clinics = Vec::new();
    for (i, id) in body.clinics.iter().enumerate() {
        let clinic = field(&format!("clinics[{i}]"), Clinic::parse(id))?;
        if !clinics.contains(&clinic.id.to_owned()) {
            clinics.push(clinic.id.to_owned());
        }
    }
    if role == Role::Staff && clinics.is_empty() {
        return Err(Problem::invalid("clinics", "clinics must name at least one clinic for office staff."));
    }
    let idem = idempotency_key(req)?;
    portal::store::idempotency::once(app.table.as_ref(), &caller.sub, idem, req.body(), || async {
        let new = NewAccount {
            username: body.username.clone(),
            email: body.email.clone(),
            name: Some((body.given_name.clone(), body.family_name.clone())),
            roles: vec![role],
            clinics: clinics.clone(),
            link: None,
        };
        let account = onboarding::create(app, &new).await?;
        security::record(app.audit.as_ref(), Event::AccountCreate, Some(&caller.sub), Some(&account.sub), Outcome::Allowed, &caller.request_id)
            .await?;
        Ok((StatusCode::CREATED, json!({ "username": account.username, "email": account.email, "role": role, "clinics": account.clinics })))
    })
    .await
}

/// "Find an account": what the office needs to help a family on the phone. Staff see the
/// account's patients of their own clinics only; each patient shown is an audited read.
async fn find_account(app: &App, caller: &Caller, params: &HashMap<String, String>) -> Result<Response<Body>, Problem> {
    let Target { account, links, scope, patients: read, .. } = target_account(app, caller, params).await?;
    let table = app.table.as_ref();
    let theirs = match read {
        Some(read) => read,
        None => stored::get_many(table, &links.iter().map(|l| l.patient_id).collect::<Vec<_>>()).await?,
    };
    let (mut reads, mut shown) = (Vec::new(), Vec::new());
    for patient in &theirs {
        let Some(acting) = scope.acting(&patient.clinic) else { continue };
        reads.push((acting, patient.id));
        let mut entry = patients::patient_json(patient);
        entry["relationship"] = json!(links.iter().find(|l| l.patient_id == patient.id).map(|l| l.relationship));
        shown.push(entry);
    }
    audit::record_many(app.audit.as_ref(), scope.by(caller), &reads, Action::AccountRead).await?;
    let kind = account.kind();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "username": account.username,
            "email": account.email,
            "kind": kind,
            "enabled": account.enabled,
            "first_sign_in_done": !account.answers.is_empty(),
            "two_step": account.two_step,
            "clinics": account.clinics,
            "patients": shown,
        }),
    ))
}

async fn resend(app: &App, caller: &Caller, params: &HashMap<String, String>) -> Result<Response<Body>, Problem> {
    let account = target_account(app, caller, params).await?.account;
    security::audited(app, caller, Event::CredentialsResend, &account.sub, async {
        // A temporary password for oneself would be a way around one's own password.
        not_yourself(caller, &account, "send your own account new login information")?;
        onboarding::resend(app, &account).await?;
        Ok(empty(StatusCode::ACCEPTED))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUsername {
    new_username: Username,
}

/// The office assigns usernames. The table's conditional writes keep them unique; the
/// identity provider's `preferred_username` follows.
async fn change_username(app: &App, caller: &Caller, params: &HashMap<String, String>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: NewUsername = json(req)?;
    let Target { account, record: rec, .. } = target_account(app, caller, params).await?;
    security::audited(app, caller, Event::AccountRename, &account.sub.clone(), rename(app, caller, account, rec, body.new_username)).await
}

async fn rename(app: &App, caller: &Caller, account: Account, rec: UsernameRecord, new: Username) -> Result<Response<Body>, Problem> {
    not_yourself(caller, &account, "change your own username")?;
    let body = NewUsername { new_username: new };
    let table = app.table.as_ref();
    let renamed = accounts::rename(table, &account, &rec, body.new_username.clone()).await.map_err(|e| match e {
        PortError::Conflict => Problem::conflict("This username is already taken, or the account changed meanwhile."),
        other => other.into(),
    })?;
    if let Err(e) = app.identity.set_username(&account.user_id, body.new_username.as_str()).await {
        // Put the old name back so the office can simply try again.
        let new_rec = portal::store::accounts::UsernameRecord { username: body.new_username.clone(), ..rec.clone() };
        if let Err(undo) = accounts::rename(table, &renamed, &new_rec, account.username.clone()).await {
            tracing::error!(error = %undo, "username change half done: table renamed, identity not");
        }
        return Err(e.into());
    }
    Ok(json_response(StatusCode::OK, &json!({ "username": renamed.username })))
}

async fn set_enabled(app: &App, caller: &Caller, params: &HashMap<String, String>, enabled: bool) -> Result<Response<Body>, Problem> {
    let mut account = target_account(app, caller, params).await?.account;
    let event = if enabled { Event::AccountEnable } else { Event::AccountDisable };
    security::audited(app, caller, event, &account.sub.clone(), async {
        not_yourself(caller, &account, if enabled { "enable your own account" } else { "disable your own account" })?;
        app.identity.set_enabled(&account.user_id, enabled).await?;
        if account.enabled != enabled {
            account.enabled = enabled;
            accounts::update_account(app.table.as_ref(), &account).await?;
        }
        Ok(empty(StatusCode::NO_CONTENT))
    })
    .await
}

/// A lost phone: the account's two-step sign-in goes, and every session with it. A staff
/// member or admin sets it up again at the next sign-in; a family may turn it on again.
async fn reset_two_step(app: &App, caller: &Caller, params: &HashMap<String, String>) -> Result<Response<Body>, Problem> {
    let mut account = target_account(app, caller, params).await?.account;
    security::audited(app, caller, Event::TwoStepReset, &account.sub.clone(), async {
        not_yourself(caller, &account, "reset your own two-step sign-in")?;
        app.identity.remove_totp(&account.user_id).await?;
        app.identity.end_sessions(&account.user_id).await?;
        if account.two_step {
            account.two_step = false;
            accounts::update_account(app.table.as_ref(), &account).await?;
        }
        Ok(empty(StatusCode::NO_CONTENT))
    })
    .await
}
