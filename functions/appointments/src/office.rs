//! "Appointment requests": the clinic office's queue, oldest first, and its answers. Staff
//! work the requests of their clinics' patients, admins every clinic's. Each answer checks
//! the version the office saw, so of two people acting on one request at once one wins and
//! the other is told (409) to look again.

use crate::{no_request, tell_family};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use portal::access::office::Scope;
use portal::access::{self, Grant, Who};
use portal::domain::{Clinic, Line, PatientId, RecordId, RequestId, RequestKind, RequestStatus, Text, VisitStatus, When};
use portal::http::{json, json_response, Caller, Paging};
use portal::ports::{Condition, PortError};
use portal::store::appointments::{self as store, Note, Request as Asked, NOTE_MAX, REASON_MAX};
use portal::store::audit::{self, Action};
use portal::store::patients::{self, Patient};
use portal::store::records::{self as records, Kind, Visit};
use portal::store::{accounts, now, now_precise};
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A request as the office sees it: with whose it is and how long it has waited.
fn item(r: &Asked, p: &Patient, now: i64) -> Value {
    let created = OffsetDateTime::parse(&r.created, &Rfc3339).map(|t| t.unix_timestamp()).unwrap_or(now);
    let mut v = json!(r);
    if let Value::Object(map) = &mut v {
        map.insert("patient".into(), json!({ "id": p.id, "given_name": p.given_name, "family_name": p.family_name, "birth_date": p.birth_date }));
        map.insert("age_days".into(), json!((now - created).max(0) / 86_400));
    }
    v
}

pub async fn queue(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    let scope = Scope::of(app, caller).await?;
    let query = req.query_string_parameters_ref();
    let get = |name: &str| query.and_then(|q| q.first(name));
    let status = match get("status") {
        None => RequestStatus::Requested,
        Some(s) => RequestStatus::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Problem::invalid("status", "status must be requested, scheduled, declined, cancelled or confirmed."))?,
    };
    let clinics = match get("clinic") {
        None => scope.clinics(),
        Some(c) => {
            let clinic = Clinic::parse(c).map_err(|why| Problem::invalid("clinic", format!("clinic {why}.")))?;
            if !scope.covers(clinic.id) {
                return Err(Problem::forbidden_because("This clinic is not one of yours."));
            }
            vec![clinic.id]
        }
    };
    let paging = Paging::from_query(req, 50, 100)?;
    if paging.after.as_deref().is_some_and(|a| !store::is_queue_cursor(a)) {
        return Err(Problem::invalid("cursor", "cursor is not one this portal gave out."));
    }
    let table = app.table.as_ref();
    // One Query per clinic, merged in time order as a search is.
    let mut read: Vec<(String, Asked)> = Vec::new();
    for clinic in clinics {
        read.extend(store::queue(table, clinic, status, paging.after.as_deref(), paging.limit + 1).await?);
    }
    read.sort_by(|a, b| a.0.cmp(&b.0));
    read.truncate(paging.limit + 1);
    let mut ids: Vec<PatientId> = read.iter().take(paging.limit).map(|(_, r)| r.patient_id).collect();
    ids.sort_by_key(|id| id.to_string());
    ids.dedup();
    let found: HashMap<PatientId, Patient> = patients::get_many(table, &ids).await?.into_iter().map(|p| (p.id, p)).collect();
    // A patient who has moved to a clinic the caller does not serve leaves their queue.
    let reads: Vec<_> = found.values().filter_map(|p| scope.acting(&p.clinic).map(|a| (a, p.id))).collect();
    audit::record_many(app.audit.as_ref(), caller, &reads, Action::AppointmentQueueRead).await?;
    let now = now();
    let page = paging.answer_with(read, |r| found.get(&r.patient_id).filter(|p| scope.covers(&p.clinic)).map(|p| item(&r, p, now)));
    Ok(json_response(StatusCode::OK, &page))
}

/// Opening one request: an audited read of the patient, with the office's notes.
pub async fn open(app: &App, caller: &Caller, request: Option<RequestId>) -> Result<Response<Body>, Problem> {
    if !caller.is_office() {
        return Err(Problem::forbidden());
    }
    let found = match request {
        Some(id) => store::get_with_notes(app.table.as_ref(), &id).await?,
        None => None,
    };
    let (r, notes) = found.ok_or_else(no_request)?;
    let grant = access::patient(app, caller, &r.patient_id.to_string(), Who::Office, Action::AppointmentRequestRead).await.map_err(unknown)?;
    let mut v = item(&r, &grant.patient, now());
    if let Value::Object(map) = &mut v {
        map.insert("notes".into(), json!(notes));
    }
    Ok(json_response(StatusCode::OK, &v))
}

/// A patient the caller may not act for reads as an unknown request.
fn unknown(p: Problem) -> Problem {
    if p == access::no_patient() {
        no_request()
    } else {
        p
    }
}

/// An answer to a request: 403 for families before anything is read; the request, then
/// the access check with `with` (an item of the patient's read with it); `work` on the
/// request as it stands.
async fn answer(
    app: &App,
    caller: &Caller,
    request: Option<RequestId>,
    action: Action,
    with: Option<RecordId>,
    work: impl AsyncFnOnce(&Grant, Asked) -> Result<Response<Body>, Problem>,
) -> Result<Response<Body>, Problem> {
    if !caller.is_office() {
        return Err(Problem::forbidden());
    }
    let current = match request {
        Some(id) => store::get(app.table.as_ref(), &id).await?,
        None => None,
    };
    let current = current.ok_or_else(no_request)?;
    let key = with.map(|v| move |p: &PatientId| Kind::Appointment.key(p, &v));
    let also = key.as_ref().map(|k| k as patients::Also<'_>);
    access::change(app, caller, &current.patient_id.to_string(), Who::Office, action, also, async |grant| work(grant, current).await)
        .await
        .map_err(unknown)
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
async fn record(app: &App, current: &Asked, mut next: Asked, also: Vec<portal::ports::Write>) -> Result<Response<Body>, Problem> {
    next.updated = now_precise();
    match store::update(app.table.as_ref(), current, &mut next, also).await {
        Ok(()) => {}
        Err(PortError::Conflict) => return Err(changed()),
        Err(e) => return Err(e.into()),
    }
    tell_family(app, &next.patient_id, next.confidential).await;
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
    answer(app, caller, request, Action::AppointmentRequestSchedule, None, async |grant, current| {
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
        record(app, &current, next, writes).await
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
    answer(app, caller, request, Action::AppointmentRequestDecline, None, async |_, current| {
        answerable(&current, body.version)?;
        let next = Asked { status: RequestStatus::Declined, decline_reason: Some(body.reason.clone()), ..current.clone() };
        record(app, &current, next, Vec::new()).await
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
    // The visit to cancel is read with the patient; which one, the request says.
    let visit = match request {
        Some(id) => store::get(app.table.as_ref(), &id).await?.and_then(|r| r.appointment_id),
        None => None,
    };
    answer(app, caller, request, Action::AppointmentRequestConfirm, visit, async |grant, current| {
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
        record(app, &current, next, writes).await
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
    answer(app, caller, request, Action::AppointmentRequestNote, None, async |_, current| {
        let table = app.table.as_ref();
        let author = accounts::get_account_only(table, &caller.sub).await?.map(|a| a.username.to_string()).unwrap_or_default();
        let note = Note { text: body.text.clone(), author, at: now_precise() };
        store::add_note(table, &current.id, &note).await?;
        Ok(json_response(StatusCode::CREATED, &note))
    })
    .await
}
