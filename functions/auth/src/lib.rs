//! The `auth` function: sign-in, first login, forgot password, refresh and sign-out, and
//! the signed-in account's own page ("My Account") with its password change.

mod account;
mod reset;
mod signin;

use lambda_http::{Body, Request, Response};
use portal::http::serve;
use portal::{App, Problem};

pub use portal::routes::AUTH as ROUTES;

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(ROUTES, req, |route, _, req| async move { dispatch(app, route.path, &req).await }).await
}

async fn dispatch(app: &App, path: &str, req: &Request) -> Result<Response<Body>, Problem> {
    match path {
        "/api/auth/security-questions" => Ok(signin::security_questions()),
        "/api/auth/login" => signin::login(app, req).await,
        "/api/auth/first-login" => signin::first_login(app, req).await,
        "/api/auth/refresh" => signin::refresh(app, req).await,
        "/api/auth/logout" => signin::logout(app, req).await,
        "/api/auth/forgot-password" => reset::forgot_password(app, req).await,
        "/api/auth/reset-question" => reset::reset_question(app, req).await,
        "/api/auth/reset-password" => reset::reset_password(app, req).await,
        "/api/account" => account::get(app, req).await,
        "/api/account/password" => account::change_password(app, req).await,
        "/api/account/security-questions" if req.method() == "GET" => account::security_questions(app, req).await,
        "/api/account/security-questions" => account::change_security_questions(app, req).await,
        _ => Err(Problem::internal()),
    }
}
