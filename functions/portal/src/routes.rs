//! Every route of the portal, in one place: each function serves its own list, the local
//! run mounts them all, and the function behind API Gateway's `$default` route answers
//! anything else with the right 404 or 405 by looking at all of them.
//! `tests/test_contract.py` keeps this, the template and the OpenAPI document equal.

use crate::http::{find, Auth, Route};
use crate::problem::Problem;
use lambda_http::http::Method;
use lambda_http::Request;
use std::collections::HashMap;

pub const AUTH: &[Route] = &[
    Route::new(Method::GET, "/api/auth/security-questions", Auth::None),
    Route::new(Method::POST, "/api/auth/login", Auth::None),
    Route::new(Method::POST, "/api/auth/first-login", Auth::None),
    Route::new(Method::POST, "/api/auth/forgot-password", Auth::None),
    Route::new(Method::POST, "/api/auth/reset-question", Auth::None),
    Route::new(Method::POST, "/api/auth/reset-password", Auth::None),
    Route::new(Method::POST, "/api/auth/refresh", Auth::None),
    Route::new(Method::POST, "/api/auth/logout", Auth::Jwt),
    Route::new(Method::GET, "/api/account", Auth::Jwt),
    Route::new(Method::POST, "/api/account/password", Auth::Jwt),
    Route::new(Method::GET, "/api/account/security-questions", Auth::Jwt),
    Route::new(Method::PUT, "/api/account/security-questions", Auth::Jwt),
];

pub const ACCOUNTS: &[Route] = &[
    Route::new(Method::POST, "/api/admin/staff", Auth::Jwt),
    Route::new(Method::POST, "/api/admin/patients", Auth::Jwt),
    Route::new(Method::POST, "/api/admin/accounts", Auth::Jwt),
    Route::new(Method::GET, "/api/admin/accounts/{username}", Auth::Jwt),
    Route::new(Method::POST, "/api/admin/accounts/{username}/resend-credentials", Auth::Jwt),
    Route::new(Method::PUT, "/api/admin/accounts/{username}/username", Auth::Jwt),
    Route::new(Method::POST, "/api/admin/accounts/{username}/disable", Auth::Jwt),
    Route::new(Method::POST, "/api/admin/accounts/{username}/enable", Auth::Jwt),
    Route::new(Method::POST, "/api/admin/accounts/{username}/patients", Auth::Jwt),
    Route::new(Method::DELETE, "/api/admin/accounts/{username}/patients/{patient_id}", Auth::Jwt),
    Route::new(Method::POST, "/api/admin/patients/search", Auth::Jwt),
    Route::new(Method::GET, "/api/admin/patients/{patient_id}/audit", Auth::Jwt),
    Route::new(Method::GET, "/api/admin/security-events", Auth::Jwt),
];

pub const PROFILE: &[Route] = &[
    Route::new(Method::GET, "/api/patients/{patient_id}/demographics", Auth::Jwt),
    Route::new(Method::PUT, "/api/patients/{patient_id}/demographics", Auth::Jwt),
    Route::new(Method::GET, "/api/patients/{patient_id}/additional-info", Auth::Jwt),
    Route::new(Method::PUT, "/api/patients/{patient_id}/additional-info", Auth::Jwt),
    Route::new(Method::GET, "/api/patients/{patient_id}/access-log", Auth::Jwt),
];

pub const CLINICS: &[Route] = &[Route::new(Method::GET, "/api/clinics", Auth::None)];

/// Each function (by crate name) with its routes.
pub const FUNCTIONS: [(&str, &[Route]); 4] = [("auth", AUTH), ("accounts", ACCOUNTS), ("clinics", CLINICS), ("profile", PROFILE)];

/// The function (by crate name) and route that take a request, with its path parameters;
/// or the problem for a request no route takes: 405 with `Allow` when its path is a route's
/// with another method, else 404.
pub fn route_for(req: &Request) -> Result<(&'static str, &'static Route, HashMap<String, String>), Problem> {
    let mut allowed = Vec::new();
    for (function, routes) in FUNCTIONS {
        match find(routes, req) {
            Ok((route, params)) => return Ok((function, route, params)),
            Err(problem) => allowed.extend(problem.allow),
        }
    }
    Err(if allowed.is_empty() { Problem::no_route() } else { Problem::method_not_allowed(allowed.join(", ")) })
}

/// What the function behind API Gateway's `$default` route answers.
pub fn unrouted(req: &Request) -> Problem {
    match route_for(req) {
        Err(problem) => problem,
        // A route of another function: only a misconfigured gateway sends it here.
        Ok(_) => Problem::no_route(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;

    fn req(method: &str, path: &str) -> Request {
        lambda_http::http::Request::builder().method(method).uri(path).body(Body::Empty).unwrap()
    }

    #[test]
    fn unrouted_requests_get_404_or_405_from_all_routes() {
        let p = unrouted(&req("GET", "/api/auth/login"));
        assert_eq!((p.status.as_u16(), p.allow.as_deref()), (405, Some("POST")));
        let p = unrouted(&req("DELETE", "/api/admin/accounts/jsmith/username"));
        assert_eq!((p.status.as_u16(), p.allow.as_deref()), (405, Some("PUT")));
        assert_eq!(unrouted(&req("GET", "/api/nothing")), Problem::no_route());
        assert_eq!(unrouted(&req("GET", "/")), Problem::no_route());
        let (function, route, params) = route_for(&req("PUT", "/api/admin/accounts/jsmith/username")).unwrap();
        assert_eq!((function, route.path, params["username"].as_str()), ("accounts", "/api/admin/accounts/{username}/username", "jsmith"));
    }
}
