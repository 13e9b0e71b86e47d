//! Every function's routes, mounted together.

use lambda_http::{Body, Request, Response};
use portal::http::Route;
use portal::App;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Function {
    Auth,
    Accounts,
    Clinics,
}

pub const FUNCTIONS: [(Function, &[Route]); 3] =
    [(Function::Auth, auth::ROUTES), (Function::Accounts, accounts::ROUTES), (Function::Clinics, clinics::ROUTES)];

impl Function {
    pub async fn handle(self, app: &App, req: Request) -> Response<Body> {
        match self {
            Function::Auth => auth::handle(app, req).await,
            Function::Accounts => accounts::handle(app, req).await,
            Function::Clinics => clinics::handle(req).await,
        }
    }
}

#[derive(Serialize)]
pub struct Entry {
    method: String,
    path: &'static str,
    function: Function,
    auth: portal::http::Auth,
}

/// The route table `--routes` prints; the contract test compares it with the template
/// and the OpenAPI document.
pub fn table() -> Vec<Entry> {
    FUNCTIONS
        .iter()
        .flat_map(|(f, routes)| routes.iter().map(|r| Entry { method: r.method.to_string(), path: r.path, function: *f, auth: r.auth }))
        .collect()
}

/// All routes in one list, for finding 404 and 405 across functions.
pub fn all() -> Vec<Route> {
    FUNCTIONS.iter().flat_map(|(_, routes)| routes.iter().cloned()).collect()
}

pub fn owner(route: &Route) -> Option<Function> {
    FUNCTIONS
        .iter()
        .find(|(_, routes)| routes.iter().any(|r| r.path == route.path && r.method == route.method))
        .map(|(f, _)| *f)
}
