//! Which accounts act for which patients: a family's account is created with its first
//! patient, and the office links it to more (a parent of several children keeps one
//! sign-in) or unlinks it. The age rules of `portal::access` decide which links may exist.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::office::{family_target, Target};
use portal::access::{self, may_link, Grant, Who};
use portal::domain::{EmailAddress, PatientId, Relationship, Username};
use portal::http::{empty, field, idempotency_key, json, json_response, Caller};
use portal::onboarding::{self, NewAccount};
use portal::ports::PortError;
use portal::store::accounts::{self, Account, PatientLink};
use portal::store::audit::{Action, Outcome};
use portal::store::security::{self, Event};
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
/// A retry with the same `Idempotency-Key` answers as the first time, and is audited as a
/// replay.
pub async fn create_account(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    let body: NewFamilyAccount = json(req)?;
    let relationship = field("relationship", Relationship::parse(&body.relationship))?;
    let idem = idempotency_key(req)?;
    access::change(app, caller, &body.patient_id.to_string(), Who::Office, Action::AccountLink, None, async |grant| {
        let patient_id = grant.patient.id;
        portal::store::idempotency::once(app.table.as_ref(), &caller.sub, idem, req.body(), || async {
            check_link(app, grant, None, relationship).await?;
            let link = PatientLink { patient_id, relationship };
            let new = NewAccount::family(body.username.clone(), body.email.clone(), Some(link));
            let account = onboarding::create(app, &new).await?;
            security::record(app.audit.as_ref(), Event::AccountCreate, Some(&caller.sub), Some(&account.sub), Outcome::Allowed, &caller.request_id)
                .await?;
            Ok((
                StatusCode::CREATED,
                json!({ "username": account.username, "email": account.email, "patient_id": patient_id, "relationship": relationship }),
            ))
        })
        .await
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
/// link answers as the first time did. The account must be one the caller may manage
/// (staff: a family of their clinics), checked before anything of the body is judged, so
/// nobody learns of accounts outside their reach.
pub async fn link(app: &App, caller: &Caller, params: &HashMap<String, String>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: NewLink = json(req)?;
    let Target { account, links, .. } = family_target(app, caller, params).await?;
    let relationship = field("relationship", Relationship::parse(&body.relationship))?;
    access::change(app, caller, &body.patient_id.to_string(), Who::Office, Action::AccountLink, None, async |grant| {
        match links.iter().find(|l| l.patient_id == grant.patient.id) {
            Some(l) if l.relationship == relationship => {}
            Some(_) => return Err(Problem::conflict("This account is already linked to this patient with another relationship. Unlink it first.")),
            None => {
                check_link(app, grant, Some((&account, &links)), relationship).await?;
                accounts::link(app.table.as_ref(), &account.sub, &PatientLink { patient_id: grant.patient.id, relationship })
                    .await
                    .map_err(own_taken)?;
            }
        }
        Ok(json_response(StatusCode::CREATED, &json!({ "username": account.username, "patient_id": grant.patient.id, "relationship": relationship })))
    })
    .await
}

/// Ends an account's link to a patient; done already is done.
pub async fn unlink(app: &App, caller: &Caller, params: &HashMap<String, String>) -> Result<Response<Body>, Problem> {
    let Target { account, links, .. } = family_target(app, caller, params).await?;
    let raw = params.get("patient_id").map(String::as_str).unwrap_or_default();
    access::change(app, caller, raw, Who::Office, Action::AccountUnlink, None, async |grant| {
        if let Some(l) = links.iter().find(|l| l.patient_id == grant.patient.id) {
            accounts::unlink(app.table.as_ref(), &account.sub, l).await?;
        }
        Ok(empty(StatusCode::NO_CONTENT))
    })
    .await
}

/// The store refuses a second own account for a patient even when two requests race past
/// `check_link` together.
fn own_taken(e: PortError) -> Problem {
    match e {
        PortError::Conflict => Problem::conflict("This patient already has their own account."),
        other => other.into(),
    }
}
