//! Every function's handler, mounted together; which route belongs to which function is
//! `portal::routes`.

use lambda_http::{Body, Request, Response};
use portal::App;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Auth,
    Accounts,
    Clinics,
    Profile,
}

impl Function {
    /// The function named in `portal::routes::FUNCTIONS` (its crate name).
    pub fn named(name: &str) -> Option<Function> {
        match name {
            "auth" => Some(Function::Auth),
            "accounts" => Some(Function::Accounts),
            "clinics" => Some(Function::Clinics),
            "profile" => Some(Function::Profile),
            _ => None,
        }
    }

    pub async fn handle(self, app: &App, req: Request) -> Response<Body> {
        match self {
            Function::Auth => auth::handle(app, req).await,
            Function::Accounts => accounts::handle(app, req).await,
            Function::Clinics => clinics::handle(req).await,
            Function::Profile => profile::handle(app, req).await,
        }
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
    portal::routes::FUNCTIONS
        .iter()
        .flat_map(|(f, routes)| routes.iter().map(|r| Entry { method: r.method.to_string(), path: r.path, function: f, auth: r.auth }))
        .collect()
}
