//! The `web` function: the portal's pages, served from the same origin as the API so that
//! the browser needs no CORS and the refresh cookie stays `SameSite=Strict`. It sits behind
//! API Gateway's `$default` route, so it also answers every `/api/...` request no route
//! takes, with the portal's own 404 or 405 problem.
//!
//! The front end is plain HTML, CSS and JavaScript modules built into the binary (see
//! `assets`): nothing is downloaded or bundled at build or run time.

mod assets;

use assets::{Asset, ASSETS, INDEX, VERSION};
use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use portal::Problem;

/// The paths of the pages; the page script (`js/routes.js`) knows the same list, a test
/// keeps the two equal. Any other path gets the page script's "Page not found" with a 404.
pub const PAGES: &[&str] = &[
    "/",
    "/sign-in",
    "/first-sign-in",
    "/two-step",
    "/forgot-password",
    "/reset-password",
    "/welcome",
    "/account",
    "/account/demographics",
    "/account/additional-info",
    "/account/security-questions",
    "/account/access-log",
    "/medical-record",
    "/medical-record/results",
    "/medical-record/result",
    "/medical-record/reports",
    "/medical-record/report",
    "/medical-record/immunizations",
    "/medical-record/medications",
    "/appointments",
    "/appointments/new",
    "/messages",
    "/messages/new",
    "/messages/conversation",
    "/messages/refill",
    "/help",
    "/office/register",
    "/office/patients",
    "/office/accounts",
    "/office/appointments",
    "/office/inbox",
    "/admin/staff",
    "/admin/security-events",
    "/admin/imports",
];

/// Sent with every page and asset. The policy allows scripts, styles and fetches from this
/// origin only; no inline script or style, no framing, no referrer (the reset link carries
/// a code in its query).
const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
];

/// Hashed asset names never change content, so browsers keep them a year; the pages name
/// the current hash and are revalidated on every load.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";

pub fn handle(req: &Request) -> Response<Body> {
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return portal::routes::unrouted(req).into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Problem::method_not_allowed("GET, HEAD".into()).into_response();
    }
    if let Some(rest) = path.strip_prefix("/assets/") {
        return match asset(rest) {
            Some(a) => page(StatusCode::OK, a.content_type, IMMUTABLE, Body::Binary(a.bytes.to_vec())),
            None => Problem::not_found("No such file.").into_response(),
        };
    }
    let status = if PAGES.contains(&path) { StatusCode::OK } else { StatusCode::NOT_FOUND };
    page(status, "text/html; charset=utf-8", NO_CACHE, Body::Text(INDEX.clone()))
}

/// `<version>/<name>` of the current version only: an old page asking for an old version
/// is told 404, which its script answers by reloading.
fn asset(rest: &str) -> Option<&'static Asset> {
    let (version, name) = rest.split_once('/')?;
    if version != VERSION.as_str() {
        return None;
    }
    ASSETS.iter().find(|a| a.name == name)
}

fn page(status: StatusCode, content_type: &'static str, cache: &'static str, body: Body) -> Response<Body> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    for (name, value) in SECURITY_HEADERS {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(method: &str, path: &str) -> Response<Body> {
        handle(&lambda_http::http::Request::builder().method(method).uri(path).body(Body::Empty).unwrap())
    }

    fn text(res: &Response<Body>) -> String {
        match res.body() {
            Body::Text(t) => t.clone(),
            Body::Binary(b) => String::from_utf8(b.clone()).unwrap(),
            Body::Empty => String::new(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn pages_are_the_index_revalidated_with_the_security_headers() {
        for path in PAGES {
            let res = get("GET", path);
            assert_eq!(res.status(), 200, "{path}");
            assert_eq!(res.headers()["cache-control"], "no-cache");
            assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
            assert_eq!(res.headers()["x-content-type-options"], "nosniff");
            assert!(text(&res).contains(&format!("/assets/{}/js/main.js", *VERSION)));
        }
        let res = get("GET", "/no/such/page");
        assert_eq!(res.status(), 404);
        assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    }

    #[test]
    fn assets_of_the_current_version_are_immutable_and_others_missing() {
        let res = get("GET", &format!("/assets/{}/js/main.js", *VERSION));
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], IMMUTABLE);
        assert_eq!(res.headers()["content-type"], "text/javascript; charset=utf-8");
        assert_eq!(get("GET", "/assets/0000000000000000/js/main.js").status(), 404);
        assert_eq!(get("GET", &format!("/assets/{}/js/nothing.js", *VERSION)).status(), 404);
    }

    #[test]
    fn api_paths_get_the_portals_problems_and_pages_only_get_and_head() {
        let res = get("GET", "/api/auth/login");
        assert_eq!((res.status().as_u16(), &res.headers()["allow"]), (405, &HeaderValue::from_static("POST")));
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        assert_eq!(get("GET", "/api/no-such-thing").status(), 404);
        assert_eq!(get("POST", "/welcome").status(), 405);
        assert_eq!(get("HEAD", "/welcome").status(), 200);
    }
}
