//! "Appointment requests": the clinic office's queue, oldest first, and its answers. Staff
//! work the requests of their clinics' patients, admins every clinic's. Each answer checks
//! the version the office saw, so of two people acting on one request at once one wins and
//! the other is told (409) to look again.

use crate::no_request;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{office, Grant};
use portal::domain::{Line, PatientId, RecordId, RequestId, RequestKind, RequestStatus, Text, VisitStatus, When};
use portal::http::{json, json_response, Caller};
use portal::ports::{Condition, PortError};
use portal::store::appointments::{self as store, Request as Asked, REASON_MAX};
use portal::store::audit::Action;
use portal::store::notes::{Note, NOTE_MAX};
use portal::store::patients;
use portal::store::records::{self as records, Kind, Visit};
use portal::store::{now, now_precise};
use portal::{queue, App, Problem};
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub async fn queue(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    let status = queue::param(req, "status", RequestStatus::ALL, RequestStatus::as_str, RequestStatus::Requested)?;
    let table = app.table.as_ref();
    queue::page(app, caller, req, Action::AppointmentQueueRead, |clinic, after, limit| async move {
        store::queue(table, clinic, status, after.as_deref(), limit).await
    })
    .await
}

/// Opening one request: an audited read of the patient, with the office's notes.
pub async fn open(app: &App, caller: &Caller, request: Option<RequestId>) -> Result<Response<Body>, Problem> {
    let found = match request {
        Some(id) => store::get_with_notes(app.table.as_ref(), &id).await?,
        None => None,
    };
    let (r, notes) = found.ok_or_else(no_request)?;
    let grant = office::read_found(app, caller, &r.patient_id, Action::AppointmentRequestRead, no_request()).await?;
    let mut v = queue::shown(&r, &grant.patient, now());
    if let Value::Object(map) = &mut v {
        map.insert("notes".into(), json!(notes));
    }
    Ok(json_response(StatusCode::OK, &v))
}

/// An answer to a request (families were refused in `handle`): the request, then the access
/// check with the visit the request names, if any (a request to cancel it), read in the same
/// round trip; `work` on the request as it stands.
async fn answer(
    app: &App,
    caller: &Caller,
    request: Option<RequestId>,
    action: Action,
    work: impl AsyncFnOnce(&Grant, Asked) -> Result<Response<Body>, Problem>,
) -> Result<Response<Body>, Problem> {
    let current = match request {
        Some(id) => store::get(app.table.as_ref(), &id).await?,
        None => None,
    };
    let current = current.ok_or_else(no_request)?;
    let key = current.appointment_id.map(|v| move |p: &PatientId| Kind::Appointment.key(p, &v));
    let also = key.as_ref().map(|k| k as patients::Also<'_>);
    let patient = current.patient_id;
    office::change_found(app, caller, &patient, action, also, no_request(), async |grant| work(grant, current).await).await
}

/// The office may answer only a request still waiting, as it last saw it.
fn answerable(r: &Asked, version: u64) -> Result<(), Problem> {
    if r.version != version || r.status != RequestStatus::Requested {
        return Err(changed());
    }
    Ok(())
}

fn changed() -> Problem {
    Problem::conflict("Someone else changed this request meanwhile. Reload it to see where it stands.")
}

/// Writes the answer with what goes with it, then tells the family.
async fn record(app: &App, grant: &Grant, current: &Asked, mut next: Asked, also: Vec<portal::ports::Write>) -> Result<Response<Body>, Problem> {
    next.updated = now_precise();
    match store::update(app.table.as_ref(), current, &mut next, also).await {
        Ok(()) => {}
        Err(PortError::Conflict) => return Err(changed()),
        Err(e) => return Err(e.into()),
    }
    portal::records::notify::tell(app, &grant.patient, next.confidential).await;
    Ok(json_response(StatusCode::OK, &next))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Schedule {
    start: String,
    end: String,
    #[serde(default)]
    provider: Option<Line<200>>,
    #[serde(default)]
    location: Option<Line<200>>,
    #[serde(default)]
    instructions: Option<Text<2000>>,
    #[serde(deserialize_with = "portal::http::whole_number")]
    version: u64,
}

/// The longest visit the office books here.
const LONGEST_VISIT_SECS: i64 = 12 * 3600;

fn instant(name: &str, raw: &str) -> Result<(When, i64), Problem> {
    let at = OffsetDateTime::parse(raw, &Rfc3339)
        .map_err(|_| Problem::invalid(name, format!("{name} must be a date and time with its offset (RFC 3339), e.g. 2026-12-03T09:30:00-05:00.")))?;
    let when = When::parse(raw).map_err(|_| Problem::invalid(name, format!("{name} is not a date and time.")))?;
    Ok((when, at.unix_timestamp()))
}

pub async fn schedule(app: &App, caller: &Caller, request: Option<RequestId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Schedule = json(req)?;
    let (start, from) = instant("start", &body.start)?;
    let (end, to) = instant("end", &body.end)?;
    let now = now();
    if from < now - 300 || from > now + 2 * 366 * 86_400 {
        return Err(Problem::invalid("start", "start must be from now to two years ahead."));
    }
    if to <= from || to - from > LONGEST_VISIT_SECS {
        return Err(Problem::invalid("end", "end must be after start, and a visit at most 12 hours long."));
    }
    answer(app, caller, request, Action::AppointmentRequestSchedule, async |grant, current| {
        if current.kind == RequestKind::Cancel {
            return Err(Problem::conflict("This is a request to cancel a visit: confirm it or decline it."));
        }
        answerable(&current, body.version)?;
        let visit = Visit {
            id: RecordId::new(),
            status: VisitStatus::Booked,
            start: start.clone(),
            end: end.clone(),
            clinic: Some(current.clinic.clone()),
            provider: body.provider.clone().map(String::from),
            location: body.location.clone().map(String::from),
            kind: match current.kind {
                RequestKind::NewProblem => Some("New problem visit".to_owned()),
                RequestKind::FollowUp => Some("Follow-up visit".to_owned()),
                RequestKind::Other | RequestKind::Cancel => None,
            },
            instructions: body.instructions.clone().map(String::from),
            request_id: Some(current.id),
            confidential: current.confidential,
        };
        let writes = records::visit_writes(&grant.patient.id, &visit, Condition::Absent)?;
        let next = Asked {
            status: RequestStatus::Scheduled,
            appointment_id: Some(visit.id),
            appointment_start: Some(visit.start.clone()),
            ..current.clone()
        };
        record(app, grant, &current, next, writes).await
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Decline {
    reason: Text<REASON_MAX>,
    #[serde(deserialize_with = "portal::http::whole_number")]
    version: u64,
}

pub async fn decline(app: &App, caller: &Caller, request: Option<RequestId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Decline = json(req)?;
    answer(app, caller, request, Action::AppointmentRequestDecline, async |grant, current| {
        answerable(&current, body.version)?;
        let next = Asked { status: RequestStatus::Declined, decline_reason: Some(body.reason.clone()), ..current.clone() };
        record(app, grant, &current, next, Vec::new()).await
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirm {
    #[serde(deserialize_with = "portal::http::whole_number")]
    version: u64,
}

/// Confirms a request to cancel a visit: the visit is cancelled with it.
pub async fn confirm(app: &App, caller: &Caller, request: Option<RequestId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Confirm = json(req)?;
    // The visit to cancel is read with the patient (see `answer`).
    answer(app, caller, request, Action::AppointmentRequestConfirm, async |grant, current| {
        if current.kind != RequestKind::Cancel {
            return Err(Problem::conflict("Only a request to cancel a visit is confirmed; schedule or decline this one."));
        }
        answerable(&current, body.version)?;
        let mut writes = Vec::new();
        if let Some(v) = records::one_in::<Visit>(Kind::Appointment, grant.items.clone())? {
            if v.status != VisitStatus::Booked {
                return Err(Problem::conflict("This visit is no longer booked; decline the request instead."));
            }
            let cancelled = Visit { status: VisitStatus::Cancelled, ..v };
            writes = records::visit_writes(&grant.patient.id, &cancelled, Condition::Present)?;
        }
        let next = Asked { status: RequestStatus::Confirmed, ..current.clone() };
        record(app, grant, &current, next, writes).await
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNote {
    text: Text<NOTE_MAX>,
}

/// An internal note on a request, for the office only.
pub async fn note(app: &App, caller: &Caller, request: Option<RequestId>, req: &Request) -> Result<Response<Body>, Problem> {
    let body: NewNote = json(req)?;
    answer(app, caller, request, Action::AppointmentRequestNote, async |grant, current| {
        let note = Note::new(body.text.clone(), grant.account.username.to_string());
        store::add_note(app.table.as_ref(), &current.id, &note).await?;
        Ok(json_response(StatusCode::CREATED, &note))
    })
    .await
}
