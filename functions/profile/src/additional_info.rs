//! "Additional information": emergency contacts and the preferred pharmacy.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{self, Who};
use portal::domain::{Bounded, EmergencyContact, Pharmacy};
use portal::http::{json, json_response, Caller};
use portal::ports::PortError;
use portal::store::audit::Action;
use portal::store::patients::{self, AdditionalInfo};
use portal::Problem;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Info {
    emergency_contacts: Bounded<EmergencyContact, 0, 10>,
    /// Must be sent: `null` removes the pharmacy, and leaving it out is a 400, never a
    /// silent delete.
    #[serde(deserialize_with = "portal::http::nullable")]
    pharmacy: Option<Pharmacy>,
    #[serde(deserialize_with = "portal::http::whole_number")]
    version: u64,
}

impl From<AdditionalInfo> for Info {
    fn from(i: AdditionalInfo) -> Self {
        Info { emergency_contacts: i.emergency_contacts, pharmacy: i.pharmacy, version: i.version }
    }
}

pub async fn get(app: &portal::App, caller: &Caller, id: &str) -> Result<Response<Body>, Problem> {
    let grant = access::patient_with(app, caller, id, Who::Anyone, Action::AdditionalInfoRead, Some(&patients::info_key)).await?;
    Ok(json_response(StatusCode::OK, &Info::from(patients::info_in(grant.items)?)))
}

pub async fn put(app: &portal::App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let body: Info = json(req)?;
    access::change(app, caller, id, Who::Anyone, Action::AdditionalInfoUpdate, Some(&patients::info_key), async |grant| {
        let current = patients::info_in(grant.items.clone())?;
        let stale =
            || Problem::conflict("Someone else changed this information after you opened it. Reload it to see their changes, then make yours again.");
        if body.version != current.version {
            return Err(stale());
        }
        let next = AdditionalInfo { emergency_contacts: body.emergency_contacts, pharmacy: body.pharmacy, version: current.version };
        let saved = patients::save_info(app.table.as_ref(), &grant.patient.id, current.version, &next).await.map_err(|e| match e {
            PortError::Conflict => stale(),
            other => other.into(),
        })?;
        Ok(json_response(StatusCode::OK, &Info::from(saved)))
    })
    .await
}
