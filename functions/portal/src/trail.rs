//! A patient's audit trail as people read it: the family's "who viewed or changed this
//! record" and the office's audit, one page at a time, with each actor described.

use crate::access::Who;
use crate::domain::{Clinic, PatientId, Role};
use crate::http::{Caller, Paging};
use crate::store::accounts;
use crate::store::audit::{self, Action};
use crate::{App, Problem};
use serde::Serialize;
use serde_json::Value;

/// Who the family sees: themselves as "you"; other holders by their relationship only;
/// hospital people by name and, for staff, the clinic they acted through.
#[derive(Serialize)]
struct Actor {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    clinic: Option<&'static str>,
    /// The office's view only: which account it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
}

#[derive(Serialize)]
struct Entry {
    at: String,
    action: Action,
    outcome: String,
    who: Actor,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

const KINDS: [&str; 6] = ["admin", "staff", "self", "parent", "guardian", "family"];

/// The page of a trail a request asks for (`?limit=` up to 100, default 25, and a cursor
/// of this trail), judged before any access is checked or recorded.
pub fn paging(req: &lambda_http::Request) -> Result<Paging, Problem> {
    let paging = Paging::from_query(req, 25, 100)?;
    if paging.after.as_deref().is_some_and(|a| !audit::is_sort_key(a)) {
        return Err(Problem::invalid("cursor", "cursor is not one this portal gave out."));
    }
    Ok(paging)
}

pub async fn page(app: &App, caller: &Caller, patient_id: &PatientId, paging: &Paging, reader: Who) -> Result<Value, Problem> {
    // The office's view adds which account and which request; anyone else sees the family's,
    // which each record answers alone (hospital people's names are in their records).
    let office = reader == Who::Office;
    let read = audit::page(app.audit.as_ref(), patient_id, paging.after.as_deref(), paging.limit + 1).await?;
    let actors = if office {
        let mut subs: Vec<&str> = read.iter().map(|(_, r)| r.actor.as_str()).filter(|s| *s != caller.sub).collect();
        subs.sort_unstable();
        subs.dedup();
        accounts::get_many(app.table.as_ref(), &subs).await?
    } else {
        Vec::new()
    };
    let entries = read
        .into_iter()
        .map(|(sk, r)| {
            let hospital = Role::parse(&r.role).is_ok();
            let kind = if r.actor == caller.sub { "you" } else { KINDS.iter().find(|k| **k == r.role).copied().unwrap_or("family") };
            let who = Actor {
                kind,
                name: r.name.filter(|_| hospital),
                clinic: r.clinic.as_deref().and_then(|c| Clinic::parse(c).ok()).map(|c| c.name),
                username: actors.iter().find(|a| a.sub == r.actor).map(|a| a.username.to_string()),
            };
            let request_id = office.then_some(r.request_id);
            (sk, Entry { at: r.at, action: r.action, outcome: r.outcome, who, request_id })
        })
        .collect();
    Ok(paging.answer(entries))
}
