//! The one error type of the HTTP boundary, and its mapping to RFC 9457 problem+json.
//! Every handler returns `Result<Response, Problem>`; nothing else builds error answers.

use lambda_http::{http::StatusCode, Body, Response};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: StatusCode,
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub field: Option<String>,
    pub allow: Option<String>,
}

#[derive(Serialize)]
struct Body_<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl Problem {
    fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Problem { status, kind, title, detail: detail.into(), field: None, allow: None }
    }

    /// A field of the request is missing, malformed or out of its limits.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut p = Self::new(StatusCode::BAD_REQUEST, "invalid-field", "Invalid request", detail);
        p.field = Some(field.into());
        p
    }
    /// The body as a whole cannot be read (not JSON, wrong shape at the top).
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed-body", "Malformed request body", detail)
    }
    pub fn too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large", "Request body too large", "The request body is larger than 64 KiB.")
    }
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the request body as application/json.",
        )
    }
    /// No or bad bearer token on a signed-in route.
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Sign-in required", "Sign in to use this part of the portal.")
    }
    /// The one answer to every failed sign-in: wrong password, unknown user, disabled, locked out.
    pub fn sign_in_failed() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "sign-in-failed", "Sign-in failed", "The username or password is incorrect.")
    }
    /// The one answer to every failed password reset, whatever the reason.
    pub fn reset_failed() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "reset-failed",
            "Password reset failed",
            "The reset link or the answer is not valid. Request a new link and try again.",
        )
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", "Your account may not do this.")
    }
    /// Not allowed, for a reason the detail gives.
    pub fn forbidden_because(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
    }
    /// The caller may use the route but not change this field.
    pub fn forbidden_field(field: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut p = Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail);
        p.field = Some(field.into());
        p
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }
    /// No route at this path (as opposed to a route whose record does not exist).
    pub fn no_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "no-such-route", "Not found", "There is nothing at this address.")
    }
    pub fn method_not_allowed(allow: String) -> Self {
        let mut p = Self::new(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed", format!("This address accepts: {allow}."));
        p.allow = Some(allow);
        p
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }
    /// A service we depend on is throttling or down: safe to retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", detail)
    }
    /// A bug or an unexpected answer from a dependency; the detail never says which.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "Something went wrong on our side. Try again later.")
    }

    pub fn into_response(self) -> Response<Body> {
        let body = Body_ {
            kind: format!("https://portal.invalid/problems/{}", self.kind),
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            field: self.field.as_deref(),
        };
        let json = serde_json::to_string(&body).unwrap_or_default();
        let mut builder =
            Response::builder().status(self.status).header("content-type", "application/problem+json").header("cache-control", "no-store");
        if let Some(allow) = &self.allow {
            builder = builder.header("allow", allow);
        }
        builder.body(Body::from(json)).unwrap_or_else(|_| Response::new(Body::Empty))
    }
}

impl From<crate::ports::PortError> for Problem {
    fn from(e: crate::ports::PortError) -> Self {
        use crate::ports::PortError::*;
        match e {
            Unavailable(why) => {
                tracing::warn!(error = %why, "dependency unavailable");
                Problem::unavailable("The service is busy. Try again in a moment.")
            }
            Conflict => Problem::conflict("The record changed or already exists. Reload and try again."),
            NotAuthorized => Problem::sign_in_failed(),
            NotFound => Problem::not_found("No such record."),
            Rejected(why) => {
                tracing::warn!(error = %why, "dependency rejected the request");
                Problem::unavailable("The request could not be completed. Try again later.")
            }
            Internal(why) => {
                tracing::error!(error = %why, "internal error");
                Problem::internal()
            }
        }
    }
}
