//! The `appointments` function: "Appointments" and "New Appointment" for families, and the
//! office's "Appointment requests". Visits come from the hospital's schedule through
//! `portal::records` (or are booked here by the office answering a request); requests are
//! `portal::store::appointments`. Every route asks `access` first, which writes the audit
//! record, and shows each visit and request only when `Grant::sees` it.

/// The SDK clients this function builds besides the table: a changed visit or request is told to the family by email.
pub type Clients = portal::app::WithMail;

mod calendar;
mod office;
mod requests;
mod visits;

use lambda_http::{Body, Request, Response};
use portal::access::office::only as office_only;
use portal::domain::{RecordId, RequestId};
use portal::http::{serve, Caller};
use portal::routes::appointments::Endpoint;
use portal::{App, Problem};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(req, |endpoint, params, req| async move {
        let caller = Caller::from_request(&req)?;
        let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
        let id = param("patient_id");
        let visit = || RecordId::parse(param("appointment_id")).ok();
        // The office's routes: families get 403 before a body or parameter is judged.
        if matches!(endpoint, Endpoint::Queue | Endpoint::OfficeRequest | Endpoint::Schedule | Endpoint::Decline | Endpoint::Confirm | Endpoint::Note)
        {
            office_only(app, &caller).await?;
        }
        let request = || RequestId::parse(param("request_id")).ok();
        match endpoint {
            Endpoint::Visits => visits::list(app, &caller, id, &req).await,
            Endpoint::Calendar => visits::calendar(app, &caller, id, visit()).await,
            Endpoint::CancelVisit => requests::cancel_visit(app, &caller, id, visit(), &req).await,
            Endpoint::Requests => requests::list(app, &caller, id, &req).await,
            Endpoint::NewRequest => requests::create(app, &caller, id, &req).await,
            Endpoint::CancelRequest => requests::cancel(app, &caller, id, request()).await,
            Endpoint::Queue => office::queue(app, &caller, &req).await,
            Endpoint::OfficeRequest => office::open(app, &caller, request()).await,
            Endpoint::Schedule => office::schedule(app, &caller, request(), &req).await,
            Endpoint::Decline => office::decline(app, &caller, request(), &req).await,
            Endpoint::Confirm => office::confirm(app, &caller, request(), &req).await,
            Endpoint::Note => office::note(app, &caller, request(), &req).await,
        }
    })
    .await
}

fn no_visit() -> Problem {
    Problem::not_found("No appointment with this id.")
}

fn no_request() -> Problem {
    Problem::not_found("No appointment request with this id.")
}
