//! Every function's handler, mounted together; which route belongs to which function is
//! `portal::routes`.

use lambda_http::{Body, Request, Response};
use portal::routes::Function;
use portal::App;
use serde::Serialize;

/// Each function's `App`: the local run's, holding only the clients that function's Lambda
/// builds (its crate's `Clients`), so a route calling another fails here as it would on AWS.
pub struct Apps {
    auth: App,
    accounts: App,
    profile: App,
    records: App,
    appointments: App,
    messages: App,
    /// `records-ingest`'s, for `POST /dev/fhir`.
    pub ingest: App,
}

impl Apps {
    pub fn of(app: &App) -> Self {
        Apps {
            auth: app.only::<auth::Clients>(),
            accounts: app.only::<accounts::Clients>(),
            profile: app.only::<profile::Clients>(),
            records: app.only::<records::Clients>(),
            appointments: app.only::<appointments::Clients>(),
            messages: app.only::<messages::Clients>(),
            ingest: app.only::<records_ingest::Clients>(),
        }
    }
}

/// The function's handler for a request routed to it. Exhaustive: a function declared in
/// `portal::routes` without a handler here does not compile.
pub async fn handle(function: Function, apps: &Apps, req: Request) -> Response<Body> {
    match function {
        Function::Auth => auth::handle(&apps.auth, req).await,
        Function::Accounts => accounts::handle(&apps.accounts, req).await,
        Function::Clinics => clinics::handle(req).await,
        Function::Profile => profile::handle(&apps.profile, req).await,
        Function::Records => records::handle(&apps.records, req).await,
        Function::Appointments => appointments::handle(&apps.appointments, req).await,
        Function::Messages => messages::handle(&apps.messages, req).await,
    }
}

#[derive(Serialize)]
pub struct Entry {
    method: String,
    path: &'static str,
    function: &'static str,
    auth: portal::http::Auth,
}

/// The route table `--routes` prints; the contract test compares it with the template
/// and the OpenAPI document.
pub fn table() -> Vec<Entry> {
    Function::ALL
        .iter()
        .flat_map(|f| f.routes().iter().map(|r| Entry { method: r.method.to_string(), path: r.path, function: f.name(), auth: r.auth }))
        .collect()
}
