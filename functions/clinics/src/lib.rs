//! The `clinics` function: the participating clinics, for anyone.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use portal::domain::CLINICS;
use portal::http::{find, json_response, respond, Auth, Route};

pub const ROUTES: &[Route] = &[Route::new(Method::GET, "/api/clinics", Auth::None)];

pub async fn handle(req: Request) -> Response<Body> {
    match find(ROUTES, &req) {
        Ok((route, _)) => respond(route, &portal::http::request_id(&req), Ok(json_response(StatusCode::OK, &CLINICS))),
        Err(problem) => problem.into_response(),
    }
}
