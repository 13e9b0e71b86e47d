//! "Appointments": the patient's visits, upcoming (soonest first) and past (newest first),
//! and one visit as a calendar file.

use crate::{calendar, no_visit};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use portal::access::{self, Grant, Who};
use portal::domain::{PatientId, RecordId, RequestId, VisitStatus, When};
use portal::http::{json_response, Caller, Paging};
use portal::store::audit::Action;
use portal::store::now;
use portal::store::records::{self as store, Kind, Visit};
use portal::{App, Problem};
use serde::Serialize;

/// A visit as the family and the office see it.
#[derive(Serialize)]
pub struct Shown<'a> {
    id: RecordId,
    status: VisitStatus,
    start: &'a When,
    end: &'a When,
    clinic: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instructions: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<RequestId>,
}

impl<'a> Shown<'a> {
    /// A visit of the patient's: at its clinic, or the patient's when the sender named none.
    pub fn of(v: &'a Visit, patient_clinic: &'a str) -> Self {
        Shown {
            id: v.id,
            status: v.status,
            start: &v.start,
            end: &v.end,
            clinic: v.clinic.as_deref().unwrap_or(patient_clinic),
            provider: v.provider.as_deref(),
            location: v.location.as_deref(),
            kind: v.kind.as_deref(),
            instructions: v.instructions.as_deref(),
            request_id: v.request_id,
        }
    }
}

pub async fn list(app: &App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let upcoming = match req.query_string_parameters_ref().and_then(|q| q.first("when")) {
        None | Some("upcoming") => true,
        Some("past") => false,
        Some(_) => return Err(Problem::invalid("when", "when must be upcoming or past.")),
    };
    let paging = Paging::of_list(req, Kind::Appointment.by_time())?;
    let grant = access::patient(app, caller, id, Who::Anyone, Action::AppointmentsRead).await?;
    let now = now();
    let read = store::visits(app.table.as_ref(), &grant.patient.id, upcoming, paging.after.as_deref(), paging.limit + 1, now).await?;
    let clinic = grant.patient.clinic.as_str();
    let page = paging
        .answer_with(read, |v| (grant.sees(&v) && v.ended(now) != upcoming).then(|| serde_json::to_value(Shown::of(&v, clinic)).unwrap_or_default()));
    Ok(json_response(StatusCode::OK, &page))
}

/// The access check for one visit, read with the patient in the same round trip; an id
/// that is not one reads as an unknown visit, after the same check.
pub async fn one(app: &App, caller: &Caller, id: &str, who: Who, action: Action, visit: Option<RecordId>) -> Result<Grant, Problem> {
    match visit {
        Some(v) => access::patient_with(app, caller, id, who, action, Some(&move |p: &PatientId| Kind::Appointment.key(p, &v))).await,
        None => access::patient(app, caller, id, who, action).await,
    }
}

/// The visit read with the patient, when there is one the caller may see.
pub fn shown(grant: &Grant) -> Result<Visit, Problem> {
    store::one_in::<Visit>(Kind::Appointment, grant.items.clone())?.filter(|v| grant.sees(v)).ok_or_else(no_visit)
}

pub async fn calendar(app: &App, caller: &Caller, id: &str, visit: Option<RecordId>) -> Result<Response<Body>, Problem> {
    let grant = one(app, caller, id, Who::Anyone, Action::AppointmentCalendar, visit).await?;
    let v = shown(&grant)?;
    let ics = calendar::event(&v, &grant.patient.clinic, &app.portal_url, now());
    let mut res = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/calendar; charset=utf-8")
        .header("cache-control", "no-store")
        .body(Body::from(ics))
        .map_err(|_| Problem::internal())?;
    res.headers_mut().insert("content-disposition", HeaderValue::from_static("attachment; filename=\"appointment.ics\""));
    Ok(res)
}
