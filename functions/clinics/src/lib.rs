//! The `clinics` function: the participating clinics, for anyone.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal::domain::CLINICS;
use portal::http::{json_response, serve};
use portal::routes::clinics::Endpoint;

pub async fn handle(req: Request) -> Response<Body> {
    serve(req, |endpoint, _, _| async move {
        match endpoint {
            Endpoint::List => Ok(json_response(StatusCode::OK, &CLINICS)),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_list_answers_get_only() {
        let req = |m: &str, p: &str| lambda_http::http::Request::builder().method(m).uri(p).body(Body::Empty).unwrap();
        assert_eq!(handle(req("GET", "/api/clinics")).await.status(), 200);
        let res = handle(req("POST", "/api/clinics")).await;
        assert_eq!((res.status().as_u16(), res.headers()["allow"].to_str().unwrap()), (405, "GET"));
    }
}
