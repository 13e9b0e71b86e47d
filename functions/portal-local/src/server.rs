//! The HTTP server of the local run. It does for every request what API Gateway does in
//! AWS: finds the route, runs the JWT authorizer on signed-in routes (issuer, client id,
//! expiry, signature from the JWKS), puts the claims into the API Gateway v2 request
//! context, and calls the function's handler with the same `lambda_http::Request`. What no
//! route takes goes to the `web` function, as API Gateway's `$default` route sends it there.

use crate::backend::Local;
use crate::routes;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequestContext};
use lambda_http::http::{Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt, Response};
use portal::http::{bearer_token, json_response, Auth, MAX_BODY};
use portal::Problem;
use std::convert::Infallible;
use std::sync::Arc;

pub async fn serve(mut local: Local, addr: &str) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("listening on {addr}: {e}"))?;
    tracing::info!(%addr, "portal-local listening");
    // The outbox holds every email the portal sent (temporary passwords among them): it is
    // listed only to this machine.
    local.loopback = listener.local_addr().is_ok_and(|a| a.ip().is_loopback());
    if !local.loopback {
        tracing::warn!("listening beyond loopback: GET /dev/outbox is not served");
    }
    let local = Arc::new(local);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let local = local.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let local = local.clone();
                async move { Ok::<_, Infallible>(to_hyper(handle(&local, req).await)) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

fn to_hyper(res: Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = res.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

async fn handle(local: &Local, req: hyper::Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let fhir = path == DEV_FHIR && local.loopback;
    // Like API Gateway, refuse oversize bodies before any function runs; a bundle may be
    // as large as an SQS message.
    let bytes = match Limited::new(body, if fhir { portal::fhir::MAX_BUNDLE } else { MAX_BODY }).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Problem::too_large().into_response(),
    };
    if fhir {
        return dev_fhir(local, &parts, &bytes).await;
    }
    if let Some(res) = dev_routes(local, &parts.method, &path) {
        return res;
    }
    let body = if bytes.is_empty() { Body::Empty } else { Body::Binary(bytes.to_vec()) };
    let mut req = lambda_http::http::Request::from_parts(parts, body);
    let (function, route, params) = match portal::routes::route_for(&req) {
        Ok(found) => found,
        // What API Gateway's `$default` route does: the pages, and the API's 404/405.
        Err(_) => return web::handle(&req),
    };
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.route_key = Some(format!("{} {}", route.method, route.path));
    ctx.stage = Some("$default".into());
    ctx.request_id = Some(uuid::Uuid::new_v4().to_string());
    ctx.http.method = req.method().clone();
    ctx.http.path = Some(path);
    if route.auth == Auth::Jwt {
        let now = portal::store::now();
        let Some(claims) = bearer_token(&req).and_then(|t| local.verifier.verify(t, now)) else {
            return Problem::unauthenticated().into_response();
        };
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = portal::jwt::authorizer_claims(&claims);
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        ctx.authorizer = Some(authorizer);
    }
    let query: std::collections::HashMap<String, String> =
        req.uri().query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    req = req.with_request_context(RequestContext::ApiGatewayV2(ctx)).with_path_parameters(params).with_query_string_parameters(query);
    routes::handle(function, &local.apps, req).await
}

/// Where the local run takes FHIR Bundles from the hospital's systems (on AWS: the queue).
const DEV_FHIR: &str = "/dev/fhir";

/// `POST /dev/fhir`: a Bundle in, its `batch-response` out; on loopback only, as it files
/// clinical records without a sign-in.
async fn dev_fhir(local: &Local, parts: &lambda_http::http::request::Parts, bytes: &[u8]) -> Response<Body> {
    if parts.method != Method::POST {
        return Problem::method_not_allowed("POST".into()).into_response();
    }
    let media = parts.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !portal::http::media_type_is(media, &[portal::fhir::FHIR_JSON, "application/json"]) {
        return Problem::unsupported_media_type().into_response();
    }
    // Logged as `records-ingest` logs its bundles on AWS, with the calls it made (what
    // test_iam.py holds that function's role to).
    let (result, calls) = portal::calls::counted(portal::records::ingest(&local.apps.ingest, bytes)).await;
    let res = result.map_or_else(Problem::into_response, |done| portal::fhir::response(&done.response));
    portal::http::log_answered(&uuid::Uuid::new_v4().to_string(), "POST", DEV_FHIR, res.status().as_u16(), &calls);
    res
}

/// Routes of the local run only, never deployed: the outbox and the local provider's JWKS.
fn dev_routes(local: &Local, method: &Method, path: &str) -> Option<Response<Body>> {
    match path {
        "/dev/outbox" => {
            let outbox = local.outbox.as_ref().filter(|_| local.loopback)?;
            if method != Method::GET {
                return Some(Problem::method_not_allowed("GET".into()).into_response());
            }
            let list: Vec<_> = outbox.list().into_iter().map(|m| serde_json::json!({ "to": m.to, "subject": m.subject, "text": m.text })).collect();
            Some(json_response(StatusCode::OK, &list))
        }
        "/local-idp/.well-known/jwks.json" if local.outbox.is_some() => Some(json_response(StatusCode::OK, &local.verifier.jwks)),
        _ => None,
    }
}
