//! The `profile` function: what a family keeps current under "My Account" for the patient
//! they act for ("Pt Demographics", "Additional information"), and who viewed or changed
//! that record. The office reads and corrects the same records through the same routes.

mod additional_info;
mod demographics;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::access::{self, Who};
use portal::http::{json_response, serve, Caller};
use portal::trail::{self, Reader};
use portal::{App, Problem};

pub use portal::routes::PROFILE as ROUTES;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(ROUTES, req, |route, params, req| async move {
        let caller = Caller::from_request(&req)?;
        let id = params.get("patient_id").map(String::as_str).unwrap_or_default();
        let put = req.method() == "PUT";
        match route.path {
            "/api/patients/{patient_id}/demographics" if put => demographics::put(app, &caller, id, &req).await,
            "/api/patients/{patient_id}/demographics" => demographics::get(app, &caller, id).await,
            "/api/patients/{patient_id}/additional-info" if put => additional_info::put(app, &caller, id, &req).await,
            "/api/patients/{patient_id}/additional-info" => additional_info::get(app, &caller, id).await,
            "/api/patients/{patient_id}/access-log" => access_log(app, &caller, id, &req).await,
            _ => Err(Problem::internal()),
        }
    })
    .await
}

/// "Who viewed or changed this record", for the family. The office reads the same trail
/// through its audit route.
async fn access_log(app: &App, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, Problem> {
    let paging = trail::paging(req)?;
    let grant = access::patient(app, caller, id, Who::Family, "access-log.read").await?;
    let page = trail::page(app, caller, &grant.patient.id, &paging, Reader::Family).await?;
    Ok(json_response(StatusCode::OK, &page))
}
