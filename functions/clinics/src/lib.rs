//! The `clinics` function: the participating clinics, for anyone. It also sits behind API
//! Gateway's `$default` route (it builds no AWS client, so it starts fastest), answering any
//! request no route takes with the portal's own 404 or 405 problem.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::domain::CLINICS;
use portal::http::{find, json_response, request_id, respond};

pub use portal::routes::CLINICS as ROUTES;

pub async fn handle(req: Request) -> Response<Body> {
    match find(ROUTES, &req) {
        Ok((route, _)) => respond(route, &request_id(&req), Ok(json_response(StatusCode::OK, &CLINICS))),
        Err(_) => portal::routes::unrouted(&req).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_for_other_functions_paths_get_the_portals_405_and_404() {
        let req = |m: &str, p: &str| lambda_http::http::Request::builder().method(m).uri(p).body(Body::Empty).unwrap();
        let res = handle(req("GET", "/api/auth/login")).await;
        assert_eq!(res.status(), 405);
        assert_eq!(res.headers()["allow"], "POST");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        assert_eq!(handle(req("GET", "/api/no-such-thing")).await.status(), 404);
        assert_eq!(handle(req("GET", "/api/clinics")).await.status(), 200);
    }
}
