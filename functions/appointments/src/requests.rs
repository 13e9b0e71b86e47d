//! "New Appointment": a family asks the patient's clinic for a visit, or to cancel a booked
//! one; follows each request; and withdraws one the office has not answered yet.

use crate::{no_request, visits};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{self, Who};
use portal::domain::{Choices, Day, PatientId, PhoneNumber, RecordId, RequestId, RequestKind, RequestStatus, Text, TimeOfDay, VisitStatus, When};
use portal::http::{idempotency_key, json, json_response, Caller, Paging};
use portal::ports::PortError;
use portal::store::appointments::{self as store, Request as Asked, REASON_MAX};
use portal::store::audit::Action;
use portal::store::idempotency;
use portal::store::patients::Also;
use portal::store::records::Kind;
use portal::store::{now, now_precise};
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::json;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct New {
    clinic: String,
    kind: RequestKind,
    reason: Text<REASON_MAX>,
    days: Choices<Day>,
    times: Choices<TimeOfDay>,
    earliest: String,
    phone: PhoneNumber,
    #[serde(default)]
    confidential: bool,
}

/// The earliest day that suits the family: from yesterday (the hospital's today, where
/// UTC is already tomorrow) to a year ahead, as `YYYY-MM-DD`.
fn earliest(raw: &str) -> Result<When, Problem> {
    let bad = || Problem::invalid("earliest", "earliest must be a date written YYYY-MM-DD, from today to a year ahead.");
    let date = Date::parse(raw, format_description!("[year]-[month]-[day]")).map_err(|_| bad())?;
    let today = OffsetDateTime::now_utc().date();
    if date < today - Duration::days(1) || date > today + Duration::days(366) {
        return Err(bad());
    }
    When::parse(raw).map_err(|_| bad())
}

pub async fn create(app: &App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let body: New = json(req)?;
    if body.kind == RequestKind::Cancel {
        return Err(Problem::invalid("kind", "kind must be new-problem, follow-up or other."));
    }
    let earliest = earliest(&body.earliest)?;
    let idem = idempotency_key(req)?;
    access::change(app, caller, id, Who::Family, Action::AppointmentRequestCreate, None, async |grant| {
        if body.clinic != grant.patient.clinic {
            return Err(Problem::invalid("clinic", "clinic must be one of the patient's clinics."));
        }
        grant.may_mark(body.confidential)?;
        idempotency::once(app.table.as_ref(), &caller.sub, idem, &idempotency::fingerprint(req), || async {
            let asked = Asked {
                reason: Some(body.reason.clone()),
                days: body.days.clone().into(),
                times: body.times.clone().into(),
                earliest: Some(earliest.clone()),
                phone: Some(body.phone.clone()),
                ..Asked::new(grant.patient.id, &grant.patient.clinic, body.kind, body.confidential)
            };
            store::create(app.table.as_ref(), &asked).await?;
            Ok((StatusCode::CREATED, json!(asked)))
        })
        .await
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelVisit {
    #[serde(default)]
    reason: Option<Text<REASON_MAX>>,
}

/// Asking to cancel a booked visit: a request of kind `cancel` the office confirms.
pub async fn cancel_visit(app: &App, caller: &Caller, id: &str, visit: Option<RecordId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: CancelVisit = if req.body().is_empty() { CancelVisit::default() } else { json(req)? };
    let idem = idempotency_key(req)?;
    let key = visit.map(|v| move |p: &PatientId| Kind::Appointment.key(p, &v));
    access::change(app, caller, id, Who::Family, Action::AppointmentRequestCreate, key.as_ref().map(|k| k as Also<'_>), async |grant| {
        let v = visits::shown(grant)?;
        if v.status != VisitStatus::Booked || v.ended(now()) {
            return Err(Problem::conflict("Only a booked visit that is still to come can be cancelled."));
        }
        idempotency::once(app.table.as_ref(), &caller.sub, idem, &idempotency::fingerprint(req), || async {
            let waiting = store::all_of_patient(app.table.as_ref(), &grant.patient.id).await?;
            if waiting.iter().any(|r| r.kind == RequestKind::Cancel && r.status == RequestStatus::Requested && r.appointment_id == Some(v.id)) {
                return Err(Problem::conflict("A request to cancel this visit is already waiting for the office."));
            }
            let asked = Asked {
                reason: body.reason.clone(),
                appointment_id: Some(v.id),
                appointment_start: Some(v.start.clone()),
                ..Asked::new(grant.patient.id, &grant.patient.clinic, RequestKind::Cancel, v.confidential)
            };
            store::create(app.table.as_ref(), &asked).await?;
            Ok((StatusCode::CREATED, json!(asked)))
        })
        .await
    })
    .await
}

/// The patient's requests, newest first.
pub async fn list(app: &App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let paging = Paging::of_list(req, store::PATIENT_PREFIX)?;
    let grant = access::patient(app, caller, id, Who::Anyone, Action::AppointmentRequestsRead).await?;
    let read = store::of_patient(app.table.as_ref(), &grant.patient.id, paging.after.as_deref(), paging.limit + 1).await?;
    Ok(json_response(StatusCode::OK, &paging.answer_with(read, |r| grant.sees(&r).then_some(r))))
}

/// Withdraws a request the office has not answered yet.
pub async fn cancel(app: &App, caller: &Caller, id: &str, request: Option<RequestId>) -> Result<Response<Body>, Problem> {
    access::change(app, caller, id, Who::Family, Action::AppointmentRequestCancel, None, async |grant| {
        let table = app.table.as_ref();
        let current = match request {
            Some(r) => store::get(table, &r).await?,
            None => None,
        };
        let current = current.filter(|r| r.patient_id == grant.patient.id && grant.sees(r)).ok_or_else(no_request)?;
        if current.status != RequestStatus::Requested {
            return Err(Problem::conflict("The office has already answered this request, so it can no longer be cancelled here."));
        }
        let mut next = Asked { status: RequestStatus::Cancelled, updated: now_precise(), ..current.clone() };
        match store::update(table, &current, &mut next, Vec::new()).await {
            Ok(()) => Ok(json_response(StatusCode::OK, &next)),
            Err(PortError::Conflict) => Err(Problem::conflict("This request changed meanwhile; reload it to see where it stands.")),
            Err(e) => Err(e.into()),
        }
    })
    .await
}
