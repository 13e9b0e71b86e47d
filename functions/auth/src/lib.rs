//! The `auth` function: sign-in with its two-step code, first login, forgot password,
//! refresh and sign-out, and the signed-in account's own page ("My Account") with its
//! password change, security questions, email settings and two-step sign-in.

/// The SDK clients this function builds besides the table: sign-in runs on Cognito; reset codes are mailed.
pub type Clients = portal::app::WithIdentityAndMail;

mod account;
mod reset;
mod signin;
mod two_step;

use lambda_http::{Body, Request, Response};
use portal::http::serve;
use portal::routes::auth::Endpoint;
use portal::{App, Problem};

pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(req, |endpoint, _, req| async move { dispatch(app, endpoint, &req).await }).await
}

async fn dispatch(app: &App, endpoint: Endpoint, req: &Request) -> Result<Response<Body>, Problem> {
    match endpoint {
        Endpoint::SecurityQuestions => Ok(signin::security_questions()),
        Endpoint::Login => signin::login(app, req).await,
        Endpoint::FirstLogin => signin::first_login(app, req).await,
        Endpoint::MfaSetup => two_step::setup(app, req).await,
        Endpoint::MfaVerify => two_step::verify(app, req).await,
        Endpoint::Mfa => two_step::code(app, req).await,
        Endpoint::Refresh => signin::refresh(app, req).await,
        Endpoint::Logout => signin::logout(app, req).await,
        Endpoint::ForgotPassword => reset::forgot_password(app, req).await,
        Endpoint::ResetQuestion => reset::reset_question(app, req).await,
        Endpoint::ResetPassword => reset::reset_password(app, req).await,
        Endpoint::Account => account::get(app, req).await,
        Endpoint::ChangePassword => account::change_password(app, req).await,
        Endpoint::OwnQuestions => account::security_questions(app, req).await,
        Endpoint::ChangeOwnQuestions => account::change_security_questions(app, req).await,
        Endpoint::Notifications => account::notifications(app, req).await,
        Endpoint::SaveNotifications => account::save_notifications(app, req).await,
        Endpoint::OwnTwoStepSetup => two_step::own_setup(app, req).await,
        Endpoint::OwnTwoStepVerify => two_step::own_verify(app, req).await,
        Endpoint::OwnTwoStepDisable => two_step::own_disable(app, req).await,
    }
}
