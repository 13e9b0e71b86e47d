//! The `profile` function: what a family keeps current under "My Account" for the patient
//! they act for ("Pt Demographics", "Additional information"), and who viewed or changed
//! that record. The office reads and corrects the same records through the same routes.

/// The SDK clients this function builds besides the table: it reads and writes the table only.
pub type Clients = portal::app::TableOnly;

mod additional_info;
mod demographics;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{self, Who};
use portal::http::{json_response, serve, Caller};
use portal::routes::profile::Endpoint;
use portal::store::audit::Action;
use portal::trail;
use portal::{App, Problem};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(req, |endpoint, params, req| async move {
        let caller = Caller::from_request(&req)?;
        let id = params.get("patient_id").map(String::as_str).unwrap_or_default();
        match endpoint {
            Endpoint::SaveDemographics => demographics::put(app, &caller, id, &req).await,
            Endpoint::Demographics => demographics::get(app, &caller, id).await,
            Endpoint::SaveAdditionalInfo => additional_info::put(app, &caller, id, &req).await,
            Endpoint::AdditionalInfo => additional_info::get(app, &caller, id).await,
            Endpoint::AccessLog => access_log(app, &caller, id, &req).await,
        }
    })
    .await
}

/// "Who viewed or changed this record", for the family. The office reads the same trail
/// through its audit route.
async fn access_log(app: &App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let paging = trail::paging(req)?;
    let grant = access::patient(app, caller, id, Who::Family, Action::AccessLogRead).await?;
    let page = trail::page(app, caller, &grant.patient.id, &paging, Who::Family).await?;
    Ok(json_response(StatusCode::OK, &page))
}
