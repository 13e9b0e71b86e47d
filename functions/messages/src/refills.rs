//! "Refill medications": the family asks for refills of active prescriptions, to the
//! preferred pharmacy of "Additional information" or another, and follows each answer.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{self, Who};
use portal::domain::{Bounded, Pharmacy, RecordId, RefillStatus, Text};
use portal::http::{idempotency_key, json, json_response, part, Caller, Paging};
use portal::store::audit::Action;
use portal::store::idempotency;
use portal::store::patients::{self, Also};
use portal::store::records::{self as records, Kind, Medication};
use portal::store::refills::{self as store, RefillItem, RefillRequest, NOTE_MAX};
use portal::{App, Problem};
use serde::Deserialize;
use serde_json::{json, Value};

pub async fn list(app: &App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let paging = Paging::of_list(req, store::PATIENT_PREFIX)?;
    let grant = access::patient(app, caller, id, Who::Anyone, Action::RefillRequestsRead).await?;
    let read = store::of_patient(app.table.as_ref(), &grant.patient.id, paging.after.as_deref(), paging.limit + 1).await?;
    Ok(json_response(StatusCode::OK, &paging.answer_with(read, |r| grant.sees(&r).then_some(r))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct New {
    medication_ids: Bounded<RecordId, 1, 20>,
    /// `"preferred"`, or a pharmacy's name, address and phone (read by `pharmacy`).
    pharmacy: Value,
    #[serde(default)]
    note: Option<Text<NOTE_MAX>>,
}

/// Another pharmacy the family enters, or `None` for the preferred one.
fn pharmacy(value: &Value) -> Result<Option<Pharmacy>, Problem> {
    match value {
        Value::String(word) if word == "preferred" => Ok(None),
        Value::Object(_) => part("pharmacy", value).map(Some),
        _ => Err(Problem::invalid("pharmacy", "pharmacy must be \"preferred\" or a pharmacy's name, address and phone.")),
    }
}

pub async fn create(app: &App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let body: New = json(req)?;
    let mut ids: Vec<RecordId> = body.medication_ids.as_slice().to_vec();
    ids.sort_by_key(|i| i.to_string());
    ids.dedup();
    if ids.len() != body.medication_ids.as_slice().len() {
        return Err(Problem::invalid("medication_ids", "medication_ids names a medication twice."));
    }
    let other = pharmacy(&body.pharmacy)?;
    let idem = idempotency_key(req)?;
    let info: Also<'_> = &patients::info_key;
    access::change(app, caller, id, Who::Family, Action::RefillRequestCreate, Some(info), async |grant| {
        let (pharmacy, preferred) = match &other {
            Some(p) => (p.clone(), false),
            None => {
                let saved = patients::info_in(grant.items.clone())?.pharmacy;
                let p = saved.ok_or_else(|| Problem::invalid("pharmacy", "No preferred pharmacy is saved under Additional information."))?;
                (p, true)
            }
        };
        let table = app.table.as_ref();
        let found: Vec<Medication> = grant.visible(records::by_ids(table, &grant.patient.id, Kind::Medication, &ids).await?);
        if found.len() != ids.len() {
            return Err(Problem::invalid("medication_ids", "medication_ids names a medication that is not on the patient's list."));
        }
        idempotency::once(table, &caller.sub, idem, &idempotency::fingerprint(req), || async {
            let items = body
                .medication_ids
                .as_slice()
                .iter()
                .filter_map(|mid| found.iter().find(|m| m.id == *mid))
                .map(|m| RefillItem {
                    medication_id: m.id,
                    name: m.name.clone(),
                    refills_left: m.refills_left,
                    status: RefillStatus::Requested,
                    reason: None,
                    sent_to: None,
                })
                .collect();
            let confidential = found.iter().any(|m| m.confidential);
            let r = RefillRequest::new(grant.patient.id, &grant.patient.clinic, pharmacy.clone(), preferred, body.note.clone(), items, confidential);
            store::create(table, &r).await?;
            Ok((StatusCode::CREATED, json!(r)))
        })
        .await
    })
    .await
}
