//! What the office does with patients: register them, search their clinics' patients, and
//! read a patient's audit trail.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::office::Scope;
use portal::access::{self, Who};
use portal::domain::{BirthDate, Clinic, Mrn, PatientId, PersonName};
use portal::http::{field, idempotency_key, json, json_response, Caller, Paging};
use portal::ports::PageOf;
use portal::ports::PortError;
use portal::store::audit::{self, Action, Outcome};
use portal::store::idempotency;
use portal::store::patients::{self as stored, fold, Found, Lookup, Patient};
use portal::trail;
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// A patient as the office's answers show it; a patient without an MRN has no `mrn` key.
pub fn patient_json(p: &Patient) -> serde_json::Value {
    let mut out = json!({ "id": p.id, "given_name": p.given_name, "family_name": p.family_name, "birth_date": p.birth_date, "clinic": p.clinic });
    if let Some(mrn) = &p.mrn {
        out["mrn"] = json!(mrn);
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPatient {
    given_name: PersonName,
    family_name: PersonName,
    birth_date: BirthDate,
    clinic: String,
    #[serde(default)]
    mrn: Option<Mrn>,
}

pub async fn create(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    let scope = Scope::of(app, caller).await?;
    let body: NewPatient = json(req)?;
    let clinic = field("clinic", Clinic::parse(&body.clinic))?;
    let acting = scope.acting(clinic.id).ok_or_else(Problem::forbidden)?;
    let idem = idempotency_key(req)?;
    let patient = Patient::new(body.given_name.clone(), body.family_name.clone(), body.birth_date, clinic.id, body.mrn.clone());
    let res = portal::store::idempotency::once(app.table.as_ref(), &caller.sub, idem, req.body(), || async {
        stored::create(app.table.as_ref(), &patient).await.map_err(|e| match e {
            PortError::Conflict => Problem::conflict("A patient with this MRN is already registered in this clinic."),
            other => other.into(),
        })?;
        audit::record(app.audit.as_ref(), scope.by(caller), &acting, &patient.id, Action::PatientCreate, Outcome::Allowed).await?;
        Ok((StatusCode::CREATED, patient_json(&patient)))
    })
    .await?;
    if idempotency::replayed(&res) {
        // The replay shows the patient again (the first answer's id, not this attempt's).
        let shown = serde_json::from_slice::<serde_json::Value>(res.body().as_ref())
            .ok()
            .and_then(|b| b["id"].as_str().and_then(|id| PatientId::parse(id).ok()))
            .ok_or_else(Problem::internal)?;
        audit::record(app.audit.as_ref(), scope.by(caller), &acting, &shown, Action::PatientCreate, Outcome::Replayed).await?;
    }
    Ok(res)
}

/// What a search looks for: a date of birth, an MRN or a name.
fn lookup(query: &str) -> Result<Lookup, Problem> {
    let q = query.trim();
    let bad = |why: &str| Problem::invalid("query", format!("query {why}."));
    if q.chars().count() < 2 || q.chars().count() > 100 || q.chars().any(char::is_control) {
        return Err(bad("must be 2 to 100 characters: a name, a date of birth or an MRN"));
    }
    let us_date = q.split('/').collect::<Vec<_>>();
    let iso = match us_date.as_slice() {
        [m, d, y] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => format!("{y}-{m:0>2}-{d:0>2}"),
        _ => q.to_owned(),
    };
    if let Ok(date) = BirthDate::parse(&iso) {
        return Ok(Lookup::BirthDate(date));
    }
    if q.chars().any(|c| c.is_ascii_digit()) {
        let mrn = Mrn::parse(q).map_err(|_| bad("with digits must be an MRN or a date of birth written YYYY-MM-DD or MM/DD/YYYY"))?;
        return Ok(Lookup::Mrn(mrn));
    }
    if fold(q).chars().filter(|c| c.is_alphanumeric()).count() < 2 {
        return Err(bad("must be 2 to 100 characters: a name, a date of birth or an MRN"));
    }
    let (family, given) = match q.split_once(',') {
        Some((family, given)) => (fold(family), Some(fold(given))),
        None => {
            let folded = fold(q);
            match folded.rsplit_once(' ') {
                Some((given, family)) => (family.to_owned(), Some(given.to_owned())),
                None => (folded, None),
            }
        }
    };
    if family.is_empty() {
        return Err(bad("must name the family name"));
    }
    Ok(Lookup::Name { family, given })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Search {
    query: String,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default, deserialize_with = "portal::http::optional_whole_number")]
    limit: Option<u64>,
}

/// Finds patients of the caller's clinics by name, date of birth or MRN. The query is in
/// the body because it is PHI; every patient listed is an audited read.
pub async fn search(app: &App, caller: &Caller, req: &Request) -> Result<Response<Body>, Problem> {
    let scope = Scope::of(app, caller).await?;
    let body: Search = json(req)?;
    let paging = Paging::parse(body.limit.map(Some), body.cursor.as_deref(), 20, 50)?;
    let prefix = lookup(&body.query)?.prefix();
    let page = PageOf { prefix: &prefix, after: paging.after.as_deref(), limit: paging.limit + 1, newest_first: false };
    if !page.after_in_range() {
        return Err(Problem::invalid("cursor", "cursor belongs to another search."));
    }
    let mut found: Vec<(String, Found)> = Vec::new();
    for clinic in scope.clinics() {
        found.extend(stored::search_clinic(app.table.as_ref(), clinic, &prefix, paging.after.as_deref(), paging.limit + 1).await?);
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.truncate(paging.limit + 1);
    let reads: Vec<_> = found.iter().take(paging.limit).filter_map(|(_, f)| scope.acting(&f.clinic).map(|a| (a, f.id))).collect();
    audit::record_many(app.audit.as_ref(), scope.by(caller), &reads, Action::PatientSearch).await?;
    Ok(json_response(StatusCode::OK, &paging.answer(found)))
}

/// The patient's audit trail, newest first, for the office.
pub async fn audit_trail(app: &App, caller: &Caller, params: &HashMap<String, String>, req: &Request) -> Result<Response<Body>, Problem> {
    let paging = trail::paging(req)?;
    let raw = params.get("patient_id").map(String::as_str).unwrap_or_default();
    let grant = access::patient(app, caller, raw, Who::Office, Action::AuditRead).await?;
    let page = trail::page(app, caller, &grant.patient.id, &paging, Who::Office).await?;
    Ok(json_response(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::{lookup, Lookup};
    use portal::domain::{BirthDate, Mrn};

    #[test]
    fn queries_become_lookups() {
        let name = |family: &str, given: Option<&str>| Lookup::Name { family: family.into(), given: given.map(Into::into) };
        assert_eq!(lookup("Smi").unwrap(), name("smi", None));
        assert_eq!(lookup("Smith, Jo").unwrap(), name("smith", Some("jo")));
        assert_eq!(lookup("Mary Ann  Smith").unwrap(), name("smith", Some("mary ann")));
        let date = Lookup::BirthDate(BirthDate::parse("2015-03-09").unwrap());
        assert_eq!(lookup("2015-03-09").unwrap(), date);
        assert_eq!(lookup("3/9/2015").unwrap(), date);
        assert_eq!(lookup("ab123").unwrap(), Lookup::Mrn(Mrn::parse("ab123").unwrap()));
        for bad in ["a", "#a", "a#", " a ,", "12-34", ", Jo", &"x".repeat(101)] {
            assert!(lookup(bad).is_err(), "{bad}");
        }
    }
}
