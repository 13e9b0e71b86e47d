//! The HTTP conventions every function shares: routing, JSON bodies, answers, the caller's
//! identity from the authorizer claims, and the refresh cookie.

use crate::domain::Role;
use crate::problem::Problem;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use lambda_http::http::{HeaderValue, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// Anyone may call it.
    None,
    /// API Gateway's JWT authorizer (or the local run's equivalent) checked the token.
    Jwt,
}

/// One route of a function. `path` may hold `{name}` segments.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub auth: Auth,
}

impl Route {
    pub const fn new(method: Method, path: &'static str, auth: Auth) -> Self {
        Route { method, path, auth }
    }

    /// The path parameters, if `path` fits this route's template.
    pub fn matches(&self, path: &str) -> Option<HashMap<String, String>> {
        let mut params = HashMap::new();
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return Some(params),
                (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {
                    params.insert(w[1..w.len() - 1].to_owned(), g.to_owned());
                }
                (Some(w), Some(g)) if w == g => {}
                _ => return None,
            }
        }
    }
}

/// Finds the route for a request: 404 when no path fits, 405 when the path fits but not
/// the method. Path parameters come from our own match, so Lambda and the local run agree.
pub fn find(routes: &[Route], req: &Request) -> Result<(usize, HashMap<String, String>), Problem> {
    let path = req.uri().path();
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    let mut allowed = Vec::new();
    for (i, route) in routes.iter().enumerate() {
        if let Some(params) = route.matches(path) {
            if route.method == req.method() {
                return Ok((i, params));
            }
            allowed.push(route.method.as_str());
        }
    }
    if allowed.is_empty() {
        Err(Problem::no_route())
    } else {
        Err(Problem::method_not_allowed(allowed.join(", ")))
    }
}

/// Reads a JSON body into a request type whose fields are domain types, so parsing is
/// validation. The problem names the field and says why, without echoing the value.
pub fn json<T: DeserializeOwned>(req: &Request) -> Result<T, Problem> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY {
        return Err(Problem::too_large());
    }
    // A body that does not say it is JSON is refused, so a cross-site "simple" POST
    // (text/plain, form types, none at all) can never reach a handler.
    if !req.headers().get("content-type").and_then(|ct| ct.to_str().ok()).is_some_and(|ct| media_type_is(ct, &["application/json"])) {
        return Err(Problem::unsupported_media_type());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::malformed("The request needs a JSON object as its body."));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(de).map_err(|e| body_problem(&e))?;
    Ok(value)
}

/// Whether a `Content-Type` is one of `types`, in any letter case, alone or followed by
/// parameters (`; charset=utf-8`).
pub fn media_type_is(value: &str, types: &[&str]) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    types.iter().any(|t| essence.eq_ignore_ascii_case(t))
}

/// A part of a body that may take more than one shape (a word or an object), read once its
/// shape is known: its problems name its fields under `field` (`pharmacy.phone`).
pub fn part<T: DeserializeOwned>(field: &str, value: &serde_json::Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| field_problem(&e, Some(field)))
}

fn body_problem(e: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    field_problem(e, None)
}

/// The problem of a body (or of its part under `under`) that did not read as its type.
fn field_problem(e: &serde_path_to_error::Error<serde_json::Error>, under: Option<&str>) -> Problem {
    let inner = e.inner();
    if inner.is_syntax() || inner.is_eof() {
        return Problem::malformed("The request body is not valid JSON.");
    }
    let msg = inner.to_string();
    // serde_json appends the position; the rest is either serde's words or our domain reason.
    let msg = msg.split(" at line ").next().unwrap_or_default();
    let inner_path = e.path().to_string();
    // A path within the part is named under it.
    let at = |p: &str| match under {
        None => p.to_owned(),
        Some(u) if p == "." => u.to_owned(),
        Some(u) => format!("{u}.{p}"),
    };
    let path = at(&inner_path);
    let named = |prefix: &str| {
        msg.strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .filter(|f| f.len() <= 64 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(str::to_owned)
    };
    if let Some(key) = named("unknown field `") {
        // Below the top, the path already ends in the unknown key.
        let field = match (inner_path.as_str(), under) {
            (".", None) => key,
            (".", Some(u)) => format!("{u}.{key}"),
            _ => path.clone(),
        };
        return Problem::invalid(field.clone(), format!("{field} is not a field of this request."));
    }
    if let Some(field) = named("missing field `") {
        let field = if path == "." { field } else { format!("{path}.{field}") };
        return Problem::invalid(field.clone(), format!("{field} is required."));
    }
    if path == "." {
        return Problem::malformed("The request body must be a JSON object.");
    }
    if msg.starts_with("invalid type") || msg.starts_with("invalid value") || msg.starts_with("invalid length") {
        return Problem::invalid(path.clone(), format!("{path} has the wrong type."));
    }
    Problem::invalid(path.clone(), format!("{path} {msg}"))
}

/// For `#[serde(deserialize_with = "portal::http::nullable")]`: a field that may be `null`
/// but must be sent (serde otherwise lets a missing `Option` pass as `None`, which would
/// make a forgotten field erase what is stored).
pub fn nullable<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d)
}

/// For `#[serde(deserialize_with = "portal::http::whole_number")]`: a count or version as
/// JSON writes it, `3` or `3.0` alike (JSON Schema's `integer` is any number without a
/// fraction, so a client may send either); `3.5`, negatives and text are refused.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct Whole;
    impl serde::de::Visitor<'_> for Whole {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
            // Exactly representable whole numbers only (up to 2^53).
            if v.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&v) {
                Ok(v as u64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
            }
        }
    }
    d.deserialize_any(Whole)
}

/// As `whole_number`, for a field that may be left out or `null`.
pub fn optional_whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(serde::Deserialize)]
    struct W(#[serde(deserialize_with = "whole_number")] u64);
    Ok(<Option<W> as serde::Deserialize>::deserialize(d)?.map(|W(n)| n))
}

/// A JSON answer. Every API answer is `no-store`: most carry patient or account data, and
/// one rule is easier to keep than a list of exceptions.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    match serde_json::to_string(body) {
        Ok(json) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("cache-control", "no-store")
            .body(Body::from(json))
            .unwrap_or_else(|_| Problem::internal().into_response()),
        Err(_) => Problem::internal().into_response(),
    }
}

/// API Gateway's id of the request, to find one request's log lines (ours and its own).
pub fn request_id(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// What every function's handler does with a request: find its endpoint (404/405 otherwise),
/// run `dispatch` on it, and log the answer by request id, route, status and the DynamoDB
/// calls it cost, never its data.
pub async fn serve<E, F, Fut>(req: Request, dispatch: F) -> Response<Body>
where
    E: crate::routes::Endpoints,
    F: FnOnce(E, HashMap<String, String>, Request) -> Fut,
    Fut: std::future::Future<Output = Result<Response<Body>, Problem>>,
{
    let (i, params) = match find(E::ROUTES, &req) {
        Ok(found) => found,
        Err(problem) => return problem.into_response(),
    };
    // The same length by construction (`routes::functions!`).
    let (Some(&endpoint), Some(route)) = (E::ALL.get(i), E::ROUTES.get(i)) else { return Problem::internal().into_response() };
    let request_id = request_id(&req);
    let (result, calls) = crate::calls::counted(dispatch(endpoint, params, req)).await;
    let response = result.unwrap_or_else(Problem::into_response);
    log_answered(&request_id, route.method.as_str(), route.path, response.status().as_u16(), &calls);
    response
}

/// The one log line of an answer: ids, the route template (never the path), the status and
/// the calls it made (what `test_db_calls.py` and `test_iam.py` read). Nothing else.
pub fn log_answered(request_id: &str, method: &str, route: &str, status: u16, calls: &crate::calls::Calls) {
    tracing::info!(
        request_id,
        method,
        route,
        status,
        dynamodb_reads = calls.reads,
        dynamodb_writes = calls.writes,
        sdk_calls = calls.actions_line(),
        "answered"
    );
}

/// Parses one field of a request with its domain constructor, naming the field on failure.
pub fn field<T>(name: &str, parsed: Result<T, crate::domain::Reason>) -> Result<T, Problem> {
    parsed.map_err(|why| Problem::invalid(name, format!("{name} {why}")))
}

pub fn empty(status: StatusCode) -> Response<Body> {
    let mut res = Response::new(Body::Empty);
    *res.status_mut() = status;
    res.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    res
}

/// Where a list page starts and how long it is: `?limit=` (1 to `max`) and the opaque
/// `cursor` a previous page answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    pub limit: usize,
    /// The sort key of the last item of the previous page.
    pub after: Option<String>,
}

impl Paging {
    /// `limit` as the caller sent it: `Some(None)` for one that is not a whole number.
    pub fn parse(limit: Option<Option<u64>>, cursor: Option<&str>, default: usize, max: usize) -> Result<Paging, Problem> {
        let limit = match limit {
            None => default,
            Some(n) => n
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| Problem::invalid("limit", format!("limit must be a whole number from 1 to {max}.")))?,
        };
        let after = match cursor {
            None => None,
            Some(c) => Some(
                B64.decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|s| !s.is_empty() && s.len() <= 512)
                    .ok_or_else(|| Problem::invalid("cursor", "cursor is not one this portal gave out."))?,
            ),
        };
        Ok(Paging { limit, after })
    }

    /// From the query string of a GET.
    pub fn from_query(req: &Request, default: usize, max: usize) -> Result<Paging, Problem> {
        let q = req.query_string_parameters_ref();
        let get = |name: &str| q.and_then(|q| q.first(name));
        Paging::parse(get("limit").map(|l| l.parse().ok()), get("cursor"), default, max)
    }

    /// A patient's list of some kind (`?limit=` up to 100, default 25): a cursor must be a
    /// sort key of this list (start with `prefix`), judged before any access is checked or
    /// recorded.
    pub fn of_list(req: &Request, prefix: &str) -> Result<Paging, Problem> {
        let paging = Paging::from_query(req, 25, 100)?;
        if paging.after.as_deref().is_some_and(|a| !a.starts_with(prefix)) {
            return Err(Problem::invalid("cursor", "cursor is not one this portal gave out."));
        }
        Ok(paging)
    }

    /// The answer's `{"items", "cursor"}`: `items` holds at most `limit` of what was read
    /// (read `limit + 1` to know whether another page follows), each with its sort key.
    pub fn answer<T: Serialize>(&self, read: Vec<(String, T)>) -> serde_json::Value {
        self.answer_with(read, Some)
    }

    /// As `answer`, each item shown as `show` makes it, or left out when `show` says `None`
    /// (a record the caller may not see): the cursor still follows what was read, so no
    /// item is skipped or repeated, and a page may hold fewer than `limit`.
    pub fn answer_with<T, U: Serialize>(&self, mut read: Vec<(String, T)>, show: impl Fn(T) -> Option<U>) -> serde_json::Value {
        let more = read.len() > self.limit;
        read.truncate(self.limit);
        let cursor = if more { read.last().map(|(sk, _)| B64.encode(sk)) } else { None };
        let items: Vec<U> = read.into_iter().filter_map(|(_, item)| show(item)).collect();
        serde_json::json!({ "items": items, "cursor": cursor })
    }
}

/// Who is calling, from the claims the JWT authorizer verified. Nothing the caller sends in
/// a body, query or header is ever taken as identity.
#[derive(Debug, Clone)]
pub struct Caller {
    pub sub: String,
    pub roles: Vec<Role>,
    /// API Gateway's id of this request, for the audit record.
    pub request_id: String,
}

impl Caller {
    pub fn from_request(req: &Request) -> Result<Caller, Problem> {
        let claims = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|jwt| &jwt.claims),
            _ => None,
        }
        .ok_or_else(Problem::unauthenticated)?;
        let sub = claims.get("sub").filter(|s| !s.is_empty()).ok_or_else(Problem::unauthenticated)?;
        if claims.get("token_use").map(String::as_str) != Some("access") {
            return Err(Problem::unauthenticated());
        }
        let roles = claims.get("cognito:groups").map(|g| parse_groups(g)).unwrap_or_default();
        Ok(Caller { sub: sub.clone(), roles, request_id: request_id(req) })
    }
    pub fn is(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    /// Hospital staff or admin, as opposed to an account holder.
    pub fn is_office(&self) -> bool {
        !self.roles.is_empty()
    }
}

/// API Gateway passes array claims as "[a b]"; accept a JSON array too.
pub fn parse_groups(raw: &str) -> Vec<Role> {
    raw.trim_matches(|c| c == '[' || c == ']')
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|g| g.trim_matches('"'))
        .filter_map(|g| Role::parse(g).ok())
        .collect()
}

pub fn bearer_token(req: &Request) -> Option<&str> {
    req.headers().get("authorization")?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty())
}

/// `__Host-`: the browser keeps it only if it is `Secure`, has `Path=/` and no `Domain`, so
/// no other host or path can set or shadow it.
pub const REFRESH_COOKIE: &str = "__Host-portal_refresh";

/// The session's token lives only here: HttpOnly (no script reads it), Secure,
/// SameSite=Strict, and without `Max-Age` or `Expires`, so it ends when the browser closes
/// (a shared computer keeps nothing). The server ends it sooner when idle (`sessions`).
pub fn refresh_cookie(token: &str) -> String {
    format!("{REFRESH_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/")
}

pub fn clear_refresh_cookie() -> String {
    format!("{REFRESH_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
}

/// The idle limit, in seconds, of the pages and of the server's sessions alike: 15 minutes,
/// or less where `PORTAL_IDLE_SECONDS` says so (5 at least; never more than 15 minutes).
pub const IDLE_SECONDS: u32 = 900;

pub fn idle_seconds(configured: Option<&str>) -> u32 {
    configured.and_then(|s| s.parse::<u32>().ok()).filter(|s| (5..=IDLE_SECONDS).contains(s)).unwrap_or(IDLE_SECONDS)
}

/// This process's idle limit, read once from `PORTAL_IDLE_SECONDS`.
pub fn idle_limit() -> u32 {
    static LIMIT: std::sync::LazyLock<u32> = std::sync::LazyLock::new(|| idle_seconds(std::env::var("PORTAL_IDLE_SECONDS").ok().as_deref()));
    *LIMIT
}

pub fn cookie<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The `Idempotency-Key` header of a create: 1 to 128 visible ASCII characters.
pub fn idempotency_key(req: &Request) -> Result<Option<String>, Problem> {
    let Some(raw) = req.headers().get("idempotency-key") else { return Ok(None) };
    let key = raw.to_str().unwrap_or("");
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Problem::invalid("Idempotency-Key", "The Idempotency-Key header must be 1 to 128 visible ASCII characters."));
    }
    Ok(Some(key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http;

    const ROUTES: &[Route] =
        &[Route::new(Method::POST, "/api/admin/accounts/{username}/disable", Auth::Jwt), Route::new(Method::GET, "/api/clinics", Auth::None)];

    fn req(method: &str, path: &str, body: &str) -> Request {
        let mut r = http::Request::builder().method(method).uri(path);
        r = r.header("content-type", "application/json");
        r.body(Body::from(body.to_owned())).unwrap()
    }

    #[test]
    fn routing_gives_params_404_and_405() {
        let (i, params) = find(ROUTES, &req("POST", "/api/admin/accounts/jsmith/disable", "")).unwrap();
        assert_eq!(i, 0);
        assert_eq!(params["username"], "jsmith");
        assert_eq!(find(ROUTES, &req("GET", "/api/nothing", "")).unwrap_err(), Problem::no_route());
        let p = find(ROUTES, &req("DELETE", "/api/clinics", "")).unwrap_err();
        assert_eq!(p.status, 405);
        assert_eq!(p.allow.as_deref(), Some("GET"));
        assert!(find(ROUTES, &req("POST", "/api/admin/accounts//disable", "")).is_err());
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        username: crate::domain::Username,
        password: String,
    }

    #[test]
    fn body_problems_name_the_field_and_never_echo_values() {
        let p = json::<Login>(&req("POST", "/", "{")).unwrap_err();
        assert_eq!(p.kind, "malformed-body");
        let p = json::<Login>(&req("POST", "/", r#"{"username":"abc","password":"x","extra":1}"#)).unwrap_err();
        assert_eq!(p.field.as_deref(), Some("extra"));
        let p = json::<Login>(&req("POST", "/", r#"{"username":"abc"}"#)).unwrap_err();
        assert_eq!(p.field.as_deref(), Some("password"));
        let p = json::<Login>(&req("POST", "/", r#"{"username":"abc","password":12}"#)).unwrap_err();
        assert_eq!(p.field.as_deref(), Some("password"));
        let p = json::<Login>(&req("POST", "/", r#"{"username":"Secret Name","password":"x"}"#)).unwrap_err();
        assert_eq!(p.field.as_deref(), Some("username"));
        assert!(!p.detail.contains("Secret"), "{}", p.detail);
        let p = json::<Login>(&req("POST", "/", "[]")).unwrap_err();
        assert_eq!(p.status, 400);
        // A part of a body names its fields under the part's name.
        let part_of = |v: serde_json::Value| part::<Login>("who", &v).unwrap_err();
        assert_eq!(part_of(serde_json::json!({"username":"abc","password":"x","extra":1})).field.as_deref(), Some("who.extra"));
        assert_eq!(part_of(serde_json::json!({"username":"abc"})).field.as_deref(), Some("who.password"));
        assert_eq!(part_of(serde_json::json!({"username":"Secret Name","password":"x"})).field.as_deref(), Some("who.username"));
        assert_eq!(part_of(serde_json::json!(7)).field.as_deref(), Some("who"));
        for ct in [None, Some("text/plain"), Some("application/jsonxyz"), Some("application/x-www-form-urlencoded")] {
            let mut r = http::Request::builder().method("POST").uri("/");
            if let Some(ct) = ct {
                r = r.header("content-type", ct);
            }
            let r = r.body(Body::from(r#"{"username":"abc","password":"x"}"#)).unwrap();
            assert_eq!(json::<Login>(&r).unwrap_err().status, 415, "{ct:?}");
        }
        let r = http::Request::builder()
            .method("POST")
            .uri("/")
            .header("content-type", "Application/JSON; charset=utf-8")
            .body(Body::from(r#"{"username":"abc","password":"x"}"#))
            .unwrap();
        assert!(json::<Login>(&r).is_ok());
        let big = format!(r#"{{"username":"abc","password":"{}"}}"#, "x".repeat(MAX_BODY));
        assert_eq!(json::<Login>(&req("POST", "/", &big)).unwrap_err().status, 413);
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        struct V {
            #[serde(deserialize_with = "whole_number")]
            version: u64,
            #[serde(default, deserialize_with = "optional_whole_number")]
            limit: Option<u64>,
        }
        let v = json::<V>(&req("PUT", "/", r#"{"version":3.0,"limit":20}"#)).unwrap();
        assert_eq!((v.version, v.limit), (3, Some(20)));
        assert_eq!(json::<V>(&req("PUT", "/", r#"{"version":3}"#)).unwrap().limit, None);
        for bad in [r#"{"version":3.5}"#, r#"{"version":-1}"#, r#"{"version":"3"}"#, r#"{"version":1e300}"#, r#"{"version":1,"limit":2.5}"#] {
            let p = json::<V>(&req("PUT", "/", bad)).unwrap_err();
            assert_eq!(p.status, 400, "{bad}");
        }
    }

    #[test]
    fn paging_reads_limits_and_round_trips_cursors() {
        assert_eq!(Paging::parse(None, None, 25, 100).unwrap(), Paging { limit: 25, after: None });
        assert_eq!(Paging::parse(Some(Some(100)), None, 25, 100).unwrap().limit, 100);
        for bad in [Some(0), Some(101), None] {
            assert_eq!(Paging::parse(Some(bad), None, 25, 100).unwrap_err().field.as_deref(), Some("limit"));
        }
        assert_eq!(Paging::parse(None, Some("!!"), 25, 100).unwrap_err().field.as_deref(), Some("cursor"));
        let page = Paging { limit: 2, after: None };
        let answer = page.answer(vec![("a".to_owned(), 1), ("b".to_owned(), 2), ("c".to_owned(), 3)]);
        assert_eq!(answer["items"], serde_json::json!([1, 2]));
        let next = Paging::parse(None, answer["cursor"].as_str(), 2, 100).unwrap();
        assert_eq!(next.after.as_deref(), Some("b"));
        assert_eq!(page.answer(vec![("a".to_owned(), 1)])["cursor"], serde_json::Value::Null);
    }

    #[test]
    fn groups_in_both_claim_forms() {
        assert_eq!(parse_groups("[admin staff]"), vec![Role::Admin, Role::Staff]);
        assert_eq!(parse_groups(r#"["staff"]"#), vec![Role::Staff]);
        assert!(parse_groups("").is_empty());
    }

    #[test]
    fn cookies() {
        let r = http::Request::builder().header("cookie", "a=1; portal_refresh=tok").body(Body::Empty).unwrap();
        assert_eq!(cookie(&r, "portal_refresh"), Some("tok"));
        let set = refresh_cookie("t");
        assert!(set.starts_with("__Host-") && set.contains("HttpOnly; Secure; SameSite=Strict; Path=/"), "{set}");
        assert!(!set.to_ascii_lowercase().contains("max-age") && !set.to_ascii_lowercase().contains("expires"), "a session cookie: {set}");
    }

    #[test]
    fn the_idle_limit_is_at_most_fifteen_minutes() {
        assert_eq!(idle_seconds(None), 900);
        assert_eq!(idle_seconds(Some("30")), 30);
        assert_eq!(idle_seconds(Some("3600")), 900);
        assert_eq!(idle_seconds(Some("0")), 900);
        assert_eq!(idle_seconds(Some("soon")), 900);
    }
}
