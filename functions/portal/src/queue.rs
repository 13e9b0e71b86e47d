//! The office's queues (appointment requests; the inbox of conversations and refill
//! requests): one Query per clinic the caller serves (or the one clinic asked for), merged
//! in time order like a search, each item shown with whose it is and how long it has
//! waited. Every patient listed is an audited read, as in a search.

use crate::access::office::Scope;
use crate::domain::{Clinic, PatientId};
use crate::http::{json_response, Caller, Paging};
use crate::ports::PortResult;
use crate::store::audit::{self, Action};
use crate::store::patients::{self, Patient};
use crate::store::{is_time_id, now};
use crate::{App, Problem};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// What waits in a queue: a patient's, since a time.
pub trait Queued: Serialize {
    fn patient_id(&self) -> PatientId;
    /// Since when it has waited (RFC 3339).
    fn since(&self) -> &str;
    /// As the office's list shows it.
    fn listed(&self) -> Value {
        json!(self)
    }
}

/// An item as the office sees it: with the patient's name and birth date, and the whole
/// days it has waited (`age_days`).
pub fn shown<T: Queued>(item: &T, p: &Patient, now: i64) -> Value {
    let since = OffsetDateTime::parse(item.since(), &Rfc3339).map(|t| t.unix_timestamp()).unwrap_or(now);
    let mut v = item.listed();
    if let Value::Object(map) = &mut v {
        map.insert("patient".into(), json!({ "id": p.id, "given_name": p.given_name, "family_name": p.family_name, "birth_date": p.birth_date }));
        map.insert("age_days".into(), json!((now - since).max(0) / 86_400));
    }
    v
}

/// A query parameter of a queue, one of `T`'s ids, or `default` when absent.
pub fn param<T: Copy>(req: &Request, name: &str, all: &[T], id: impl Fn(T) -> &'static str, default: T) -> Result<T, Problem> {
    match req.query_string_parameters_ref().and_then(|q| q.first(name)) {
        None => Ok(default),
        Some(raw) => all.iter().copied().find(|v| id(*v) == raw).ok_or_else(|| {
            let ids: Vec<&str> = all.iter().map(|v| id(*v)).collect();
            Problem::invalid(name, format!("{name} must be one of {}.", ids.join(", ")))
        }),
    }
}

/// One page of a queue, oldest first: `read` reads a clinic's page (after a cursor, at most
/// so many). `?clinic=` narrows it to one of the caller's clinics (403 for another's).
pub async fn page<T, F, Fut>(app: &App, caller: &Caller, req: &Request, action: Action, read: F) -> Result<Response<Body>, Problem>
where
    T: Queued,
    F: Fn(&'static str, Option<String>, usize) -> Fut,
    Fut: Future<Output = PortResult<Vec<(String, T)>>>,
{
    let scope = Scope::of(app, caller).await?;
    let clinics: Vec<&'static str> = match req.query_string_parameters_ref().and_then(|q| q.first("clinic")) {
        None => scope.clinics().into_iter().filter_map(|c| Clinic::parse(c).ok()).map(|c| c.id).collect(),
        Some(c) => {
            let clinic = Clinic::parse(c).map_err(|why| Problem::invalid("clinic", format!("clinic {why}.")))?;
            if !scope.covers(clinic.id) {
                return Err(Problem::forbidden_because("This clinic is not one of yours."));
            }
            vec![clinic.id]
        }
    };
    let paging = Paging::from_query(req, 50, 100)?;
    if paging.after.as_deref().is_some_and(|a| !is_time_id(a)) {
        return Err(Problem::invalid("cursor", "cursor is not one this portal gave out."));
    }
    let mut found: Vec<(String, T)> = Vec::new();
    for clinic in clinics {
        found.extend(read(clinic, paging.after.clone(), paging.limit + 1).await?);
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.truncate(paging.limit + 1);
    let mut ids: Vec<PatientId> = found.iter().take(paging.limit).map(|(_, r)| r.patient_id()).collect();
    ids.sort_by_key(|id| id.to_string());
    ids.dedup();
    let patients: HashMap<PatientId, Patient> = patients::get_many(app.table.as_ref(), &ids).await?.into_iter().map(|p| (p.id, p)).collect();
    // A patient who has moved to a clinic the caller does not serve leaves their queue.
    let reads: Vec<_> = patients.values().filter_map(|p| scope.acting(&p.clinic).map(|a| (a, p.id))).collect();
    audit::record_many(app.audit.as_ref(), scope.by(caller), &reads, action).await?;
    let now = now();
    let page = paging.answer_with(found, |r| patients.get(&r.patient_id()).filter(|p| scope.covers(&p.clinic)).map(|p| shown(&r, p, now)));
    Ok(json_response(StatusCode::OK, &page))
}
