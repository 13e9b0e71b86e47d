//! "Pt Demographics": the patient's address, phones and email, beside the names and date
//! of birth the office registered (which only the office may correct).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{self, Who};
use portal::domain::{Address, BirthDate, Bounded, EmailAddress, PatientId, PersonName, Phone};
use portal::http::{json, json_response, Caller};
use portal::ports::PortError;
use portal::store::audit::Action;
use portal::store::patients::{self, Patient};
use portal::Problem;
use serde::{Deserialize, Serialize};

/// What GET answers and PUT takes back with its changes.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Demographics {
    id: PatientId,
    given_name: PersonName,
    family_name: PersonName,
    birth_date: BirthDate,
    /// `null` until someone first enters it. A PUT must send the field but may send `null`,
    /// so the office can correct a new patient's name before anyone has entered an address.
    #[serde(deserialize_with = "portal::http::nullable")]
    address: Option<Address>,
    /// Must be sent (`[]` for none): a list left out is a 400, never a silent delete.
    phones: Bounded<Phone, 0, 5>,
    /// Must be sent, `null` for none, like `address`.
    #[serde(deserialize_with = "portal::http::nullable")]
    email: Option<EmailAddress>,
    /// The patient's clinic, shown (its office answers the family's requests); a PUT may
    /// send it back unchanged or leave it out, and no one changes it here.
    #[serde(default)]
    clinic: Option<String>,
    #[serde(deserialize_with = "portal::http::whole_number")]
    version: u64,
}

impl From<&Patient> for Demographics {
    fn from(p: &Patient) -> Self {
        Demographics {
            id: p.id,
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            birth_date: p.birth_date,
            address: p.address.clone(),
            phones: p.phones.clone(),
            email: p.email.clone(),
            clinic: Some(p.clinic.clone()),
            version: p.version,
        }
    }
}

pub async fn get(app: &portal::App, caller: &Caller, id: &str) -> Result<Response<Body>, Problem> {
    let grant = access::patient(app, caller, id, Who::Anyone, Action::DemographicsRead).await?;
    Ok(json_response(StatusCode::OK, &Demographics::from(&grant.patient)))
}

pub async fn put(app: &portal::App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Demographics = json(req)?;
    // Compared as ids (the path's may be written in capitals), when the path's is one.
    if PatientId::parse(id).is_ok_and(|path_id| path_id != body.id) {
        return Err(Problem::invalid("id", "id must be the id of the patient in the address."));
    }
    access::change(app, caller, id, Who::Anyone, Action::DemographicsUpdate, None, async |grant| {
        let current = &grant.patient;
        if body.clinic.as_ref().is_some_and(|c| *c != current.clinic) {
            return Err(Problem::forbidden_field("clinic", "clinic is not changed here."));
        }
        if grant.acting.is_family() {
            let office_only = [
                ("given_name", body.given_name != current.given_name),
                ("family_name", body.family_name != current.family_name),
                ("birth_date", body.birth_date != current.birth_date),
            ];
            if let Some(&(field, _)) = office_only.iter().find(|(_, changed)| *changed) {
                return Err(Problem::forbidden_field(field, format!("{field} can be corrected only by the clinic office.")));
            }
        }
        if body.version != current.version {
            return Err(stale());
        }
        let next = Patient {
            given_name: body.given_name,
            family_name: body.family_name,
            birth_date: body.birth_date,
            address: body.address,
            phones: body.phones,
            email: body.email,
            ..current.clone()
        };
        let saved = patients::update(app.table.as_ref(), current, next).await.map_err(|e| match e {
            PortError::Conflict => stale(),
            other => other.into(),
        })?;
        Ok(json_response(StatusCode::OK, &Demographics::from(&saved)))
    })
    .await
}

fn stale() -> Problem {
    Problem::conflict("Someone else changed this record after you opened it. Reload it to see their changes, then make yours again.")
}
