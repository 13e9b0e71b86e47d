//! "Medications": the patient's active prescriptions, newest written first, as the
//! prescribers' systems sent them. "Refill medications" (the `messages` function) asks for
//! refills of these.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use portal::access::{self, Who};
use portal::http::{json_response, Caller};
use portal::store::audit::Action;
use portal::store::records::{self as store, Kind, Medication};
use portal::{App, Problem};
use serde_json::{json, Value};

pub async fn list(app: &App, caller: &Caller, id: &str) -> Result<Response<Body>, Problem> {
    let grant = access::patient(app, caller, id, Who::Anyone, Action::MedicationsRead).await?;
    let mut items: Vec<Medication> = grant.visible(store::all(app.table.as_ref(), &grant.patient.id, Kind::Medication).await?);
    items.reverse();
    let items: Vec<Value> = items.iter().map(shown).collect();
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}

/// As the list shows one: without its mark, and without what it lacks.
fn shown(m: &Medication) -> Value {
    let mut v = json!({ "id": m.id, "name": m.name, "written": m.written });
    let optional = [
        ("rxnorm", m.rxnorm.clone().map(Value::from)),
        ("dosage", m.dosage.clone().map(Value::from)),
        ("prescriber", m.prescriber.clone().map(Value::from)),
        ("refills_left", m.refills_left.map(Value::from)),
    ];
    if let Value::Object(map) = &mut v {
        map.extend(optional.into_iter().filter_map(|(k, v)| Some((k.to_owned(), v?))));
    }
    v
}
