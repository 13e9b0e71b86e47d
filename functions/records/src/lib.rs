//! The `records` function: the Medical Record as families, the office and admins read it.
//! "Latest lab results" and "View all results", "Lab Diagnostic Reports", "Immunization
//! Records" with their FHIR download, and "Medications". Records arrive from the hospital's systems through
//! `portal::records`; this function only reads them. Every route asks `access` first (which
//! writes the audit record), and shows each record only when `Grant::sees` it.

/// The SDK clients this function builds besides the table: it reads the table only.
pub type Clients = portal::app::TableOnly;

mod immunizations;
mod medications;
mod reports;
mod results;

use lambda_http::{Body, Request, Response};
use portal::access::{self, Grant, Marked, Who};
use portal::domain::{PatientId, RecordId};
use portal::http::{serve, Caller, Paging};
use portal::routes::records::Endpoint;
use portal::store::audit::Action;
use portal::store::records::Kind;
use portal::{App, Problem};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(req, |endpoint, params, req| async move {
        let caller = Caller::from_request(&req)?;
        let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
        let id = param("patient_id");
        match endpoint {
            Endpoint::Results => results::list(app, &caller, id, paging(&req, Kind::Result)?).await,
            Endpoint::Result => results::one(app, &caller, id, record_id(param("result_id"))).await,
            Endpoint::Reports => reports::list(app, &caller, id, paging(&req, Kind::Report)?).await,
            Endpoint::Report => reports::one(app, &caller, id, record_id(param("report_id"))).await,
            Endpoint::Immunizations => immunizations::list(app, &caller, id).await,
            Endpoint::ImmunizationsFhir => immunizations::fhir(app, &caller, id).await,
            Endpoint::Medications => medications::list(app, &caller, id).await,
        }
    })
    .await
}

/// A list's page of this kind of record.
fn paging(req: &Request, kind: Kind) -> Result<Paging, Problem> {
    Paging::of_list(req, kind.by_time())
}

/// A record id from the path; one that is not an id reads as an unknown record, after the
/// same access check, so the answer and the work are those of any unknown id.
fn record_id(raw: &str) -> Option<RecordId> {
    RecordId::parse(raw).ok()
}

/// The access check for one record: the record is read with the patient (when its id is
/// one), so a detail costs what a demographics read costs.
async fn one(app: &App, caller: &Caller, id: &str, action: Action, kind: Kind, record: Option<RecordId>) -> Result<Grant, Problem> {
    match record {
        Some(r) => access::patient_with(app, caller, id, Who::Anyone, action, Some(&move |p: &PatientId| kind.key(p, &r))).await,
        None => access::patient(app, caller, id, Who::Anyone, action).await,
    }
}

/// The record, when it exists and the caller may see it; else what an unknown id gets.
fn shown<T: Marked>(grant: &Grant, record: Option<T>) -> Result<T, Problem> {
    record.filter(|r| grant.sees(r)).ok_or_else(|| Problem::not_found("No record with this id."))
}
