//! The port of a client a function does not build (`app::Clients`). Each call fails as an
//! internal error that names the client, so a route that needs a client its function lacks
//! answers 500 in the scenario suite, on either backend, instead of on AWS.

use crate::domain::TotpCode;
use crate::ports::{Email, Identity, Mailer, NewUser, PortError, PortResult, SignIn, Tokens};
use async_trait::async_trait;

/// The service whose client was not built: "cognito-idp" or "ses".
pub struct NotBuilt(pub &'static str);

impl NotBuilt {
    fn refuse<T>(&self) -> PortResult<T> {
        tracing::error!(client = self.0, "this function does not build that client");
        Err(PortError::Internal(format!("no {} client in this function", self.0)))
    }
}

#[async_trait]
impl Identity for NotBuilt {
    async fn create_user(&self, _: &NewUser<'_>) -> PortResult<String> {
        self.refuse()
    }
    async fn set_temporary_password(&self, _: &str, _: &str) -> PortResult<()> {
        self.refuse()
    }
    async fn set_permanent_password(&self, _: &str, _: &str) -> PortResult<()> {
        self.refuse()
    }
    async fn sign_in(&self, _: &str, _: &str) -> PortResult<SignIn> {
        self.refuse()
    }
    async fn complete_new_password(&self, _: &str, _: &str, _: &str) -> PortResult<SignIn> {
        self.refuse()
    }
    async fn refresh(&self, _: &str) -> PortResult<Tokens> {
        self.refuse()
    }
    async fn sign_out(&self, _: &str) -> PortResult<()> {
        self.refuse()
    }
    async fn end_sessions(&self, _: &str) -> PortResult<()> {
        self.refuse()
    }
    async fn change_password(&self, _: &str, _: &str, _: &str) -> PortResult<()> {
        self.refuse()
    }
    async fn set_enabled(&self, _: &str, _: bool) -> PortResult<()> {
        self.refuse()
    }
    async fn set_username(&self, _: &str, _: &str) -> PortResult<()> {
        self.refuse()
    }
    async fn associate_totp(&self, _: &str) -> PortResult<String> {
        self.refuse()
    }
    async fn verify_totp(&self, _: &str, _: &TotpCode) -> PortResult<()> {
        self.refuse()
    }
    async fn respond_totp(&self, _: &str, _: &str, _: &TotpCode) -> PortResult<Tokens> {
        self.refuse()
    }
    async fn remove_totp(&self, _: &str) -> PortResult<()> {
        self.refuse()
    }
}

#[async_trait]
impl Mailer for NotBuilt {
    async fn send(&self, _: &Email) -> PortResult<()> {
        self.refuse()
    }
}
