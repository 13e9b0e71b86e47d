//! "Immunization Records": every vaccine given, oldest first, and the same as a FHIR R4
//! `Bundle` the family can take to a school or another doctor.

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use portal::access::{self, Who};
use portal::domain::Clinic;
use portal::fhir;
use portal::http::{json_response, Caller};
use portal::store::audit::Action;
use portal::store::patients::Patient;
use portal::store::records::{self as store, Immunization};
use portal::{App, Problem};
use serde_json::{json, Map, Value};

/// The record with whose it is, as "Print" puts it on paper for a school: the patient's
/// name, birth date and clinic, which anyone who may read the record may read.
pub async fn list(app: &App, caller: &Caller, id: &str) -> Result<Response<Body>, Problem> {
    let grant = access::patient(app, caller, id, Who::Anyone, Action::ImmunizationsRead).await?;
    let items = grant.visible(store::immunizations(app.table.as_ref(), &grant.patient.id).await?);
    let items: Vec<Value> = items.iter().map(shown).collect();
    let p = &grant.patient;
    let clinic = Clinic::parse(&p.clinic).ok();
    let patient = json!({ "given_name": p.given_name, "family_name": p.family_name, "birth_date": p.birth_date, "clinic": clinic });
    Ok(json_response(StatusCode::OK, &json!({ "patient": patient, "items": items })))
}

/// As the list shows one: the stored record without its mark, and without what it lacks.
fn shown(i: &Immunization) -> Value {
    let mut v = json!({ "id": i.id, "vaccine": i.vaccine, "date": i.date, "status": i.status });
    let optional = [
        ("dose_number", i.dose_number.map(Value::from)),
        ("lot_number", i.lot_number.clone().map(Value::from)),
        ("site", i.site.clone().map(Value::from)),
        ("performer", i.performer.clone().map(Value::from)),
    ];
    if let Value::Object(map) = &mut v {
        map.extend(optional.into_iter().filter_map(|(k, v)| Some((k.to_owned(), v?))));
    }
    v
}

pub async fn fhir(app: &App, caller: &Caller, id: &str) -> Result<Response<Body>, Problem> {
    let grant = access::patient(app, caller, id, Who::Anyone, Action::ImmunizationsExport).await?;
    let items = grant.visible(store::immunizations(app.table.as_ref(), &grant.patient.id).await?);
    let bundle = bundle(&grant.patient, &items, &app.mrn_system);
    let mut res = fhir::response(&bundle);
    res.headers_mut().insert("content-disposition", HeaderValue::from_static("attachment; filename=\"immunizations.fhir.json\""));
    Ok(res)
}

/// A `collection` Bundle of the Patient and its Immunizations (FHIR R4).
fn bundle(p: &Patient, items: &[Immunization], mrn_system: &str) -> Value {
    let patient_url = format!("urn:uuid:{}", p.id);
    let mut patient = json!({
        "resourceType": "Patient",
        "id": p.id,
        "name": [{ "family": p.family_name, "given": [p.given_name] }],
        "birthDate": p.birth_date,
    });
    if let (Some(mrn), Value::Object(map)) = (&p.mrn, &mut patient) {
        map.insert("identifier".into(), json!([{ "system": mrn_system, "value": mrn }]));
    }
    let mut entries = vec![json!({ "fullUrl": patient_url, "resource": patient })];
    entries.extend(items.iter().map(|i| json!({ "fullUrl": format!("urn:uuid:{}", i.id), "resource": immunization(i, &patient_url) })));
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": portal::store::now_rfc3339(),
        "entry": entries,
    })
}

fn immunization(i: &Immunization, patient_url: &str) -> Value {
    let mut r = Map::new();
    r.insert("resourceType".into(), "Immunization".into());
    r.insert("id".into(), json!(i.id));
    r.insert("status".into(), json!(i.status));
    r.insert(
        "vaccineCode".into(),
        json!({ "coding": [{ "system": fhir::CVX, "code": i.vaccine.cvx, "display": i.vaccine.name }], "text": i.vaccine.name }),
    );
    r.insert("patient".into(), json!({ "reference": patient_url }));
    r.insert("occurrenceDateTime".into(), json!(i.date));
    if let Some(lot) = &i.lot_number {
        r.insert("lotNumber".into(), json!(lot));
    }
    if let Some(site) = &i.site {
        r.insert("site".into(), json!({ "text": site }));
    }
    if let Some(performer) = &i.performer {
        r.insert("performer".into(), json!([{ "actor": { "display": performer } }]));
    }
    if let Some(dose) = i.dose_number {
        r.insert("protocolApplied".into(), json!([{ "doseNumberPositiveInt": dose }]));
    }
    Value::Object(r)
}
