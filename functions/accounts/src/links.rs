//! Which accounts act for which patients: a family's account is created with its first
//! patient, and the office links it to more (a parent of several children keeps one
//! sign-in) or unlinks it. The age rules of `portal::access` decide which links may exist.

use crate::scope::family_account;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{self, may_link, Grant, Who};
use portal::domain::{EmailAddress, PatientId, Relationship, Username};
use portal::http::{empty, field, idempotency_key, json, json_response, Caller};
use portal::onboarding::{self, NewAccount};
use portal::store::accounts::{self, Account, PatientLink};
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// Whether the account may hold this link to the granted patient: the age rules, and one
/// own account per patient (and one patient per own account).
async fn check_link(app: &App, grant: &Grant, account: Option<(&Account, &[PatientLink])>, relationship: Relationship) -> Result<(), Problem> {
    field("relationship", may_link(relationship, grant.patient.birth_date, access::today()))?;
    if relationship != Relationship::Own {
        return Ok(());
    }
    let sub = account.map(|(a, _)| a.sub.as_str());
    let holders = accounts::holders(app.table.as_ref(), &grant.patient.id).await?;
    if holders.iter().any(|(s, r)| *r == Relationship::Own && Some(s.as_str()) != sub) {
        return Err(Problem::conflict("This patient already has their own account."));
    }
    if let Some((_, links)) = account {
        if links.iter().any(|l| l.relationship == Relationship::Own && l.patient_id != grant.patient.id) {
            return Err(Problem::conflict("This account is already a patient's own account."));
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFamilyAccount {
    username: Username,
    email: EmailAddress,
    patient_id: PatientId,
    relationship: String,
}

/// A family's account, created for its first patient; its credentials go out by email.
pub async fn create_account(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    let body: NewFamilyAccount = json(req)?;
    let relationship = field("relationship", Relationship::parse(&body.relationship))?;
    let idem = idempotency_key(req)?;
    let grant = access::patient(app, caller, &body.patient_id.to_string(), Who::Office, "account.link").await?;
    check_link(app, &grant, None, relationship).await?;
    let patient_id = grant.patient.id;
    portal::store::idempotency::once(app.table.as_ref(), &caller.sub, idem, req.body(), || async {
        let link = PatientLink { patient_id, relationship };
        let new = NewAccount::family(body.username.clone(), body.email.clone(), Some(link));
        let account = onboarding::create(app, &new).await?;
        Ok((
            StatusCode::CREATED,
            json!({ "username": account.username, "email": account.email, "patient_id": patient_id, "relationship": relationship }),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLink {
    patient_id: PatientId,
    relationship: String,
}

/// Lets an existing family account act for one more patient. Asking again for the same
/// link answers as the first time did. The access check (role, then patient) comes before
/// the account is looked up, so families learn nothing of other accounts.
pub async fn link(app: &App, caller: &Caller, params: &HashMap<String, String>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: NewLink = json(req)?;
    let relationship = field("relationship", Relationship::parse(&body.relationship))?;
    let grant = access::patient(app, caller, &body.patient_id.to_string(), Who::Office, "account.link").await?;
    let (account, links) = family_account(app, params).await?;
    match links.iter().find(|l| l.patient_id == grant.patient.id) {
        Some(l) if l.relationship == relationship => {}
        Some(_) => return Err(Problem::conflict("This account is already linked to this patient with another relationship. Unlink it first.")),
        None => {
            check_link(app, &grant, Some((&account, &links)), relationship).await?;
            accounts::link(app.table.as_ref(), &account.sub, &PatientLink { patient_id: grant.patient.id, relationship }).await?;
        }
    }
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "username": account.username, "patient_id": grant.patient.id, "relationship": relationship }),
    ))
}

/// Ends an account's link to a patient; done already is done.
pub async fn unlink(app: &App, caller: &Caller, params: &HashMap<String, String>) -> Result<Response<Body>, Problem> {
    let raw = params.get("patient_id").map(String::as_str).unwrap_or_default();
    let grant = access::patient(app, caller, raw, Who::Office, "account.unlink").await?;
    let (account, _) = family_account(app, params).await?;
    accounts::unlink(app.table.as_ref(), &account.sub, &grant.patient.id).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
