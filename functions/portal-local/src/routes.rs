//! Every function's handler, mounted together; which route belongs to which function is
//! `portal::routes`.

use lambda_http::{Body, Request, Response};
use portal::routes::Function;
use portal::App;
use serde::Serialize;

/// The function's handler for a request routed to it. Exhaustive: a function declared in
/// `portal::routes` without a handler here does not compile.
pub async fn handle(function: Function, app: &App, req: Request) -> Response<Body> {
    match function {
        Function::Auth => auth::handle(app, req).await,
        Function::Accounts => accounts::handle(app, req).await,
        Function::Clinics => clinics::handle(req).await,
        Function::Profile => profile::handle(app, req).await,
        Function::Records => records::handle(app, req).await,
        Function::Appointments => appointments::handle(app, req).await,
        Function::Messages => messages::handle(app, req).await,
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
