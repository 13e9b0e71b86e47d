//! The `Identity` port on Cognito. The Cognito user name is our immutable user id; the
//! office-assigned username is kept in `preferred_username`, and mapped in DynamoDB.
//!
//! Passwords are checked only through the IAM-signed admin flows: the app client allows no
//! public password flow and the pool allows no self-service recovery, so the public client
//! id (it is in every access token) cannot be used to guess passwords or mail reset codes
//! past the `auth` function's throttles and security question.

use super::port_error;
use crate::domain::TotpCode;
use crate::ports::{Identity, NewUser, PortError, PortResult, SignIn, Tokens};
use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType, MessageActionType, SoftwareTokenMfaSettingsType,
    VerifySoftwareTokenResponseType,
};
use aws_sdk_cognitoidentityprovider::Client;

pub struct Cognito {
    client: Client,
    pool_id: String,
    client_id: String,
}

const NOT_AUTHORIZED: &[&str] = &[
    "NotAuthorizedException",
    "UserNotFoundException",
    "CodeMismatchException",
    "ExpiredCodeException",
    "PasswordResetRequiredException",
    "UserNotConfirmedException",
    // A two-step code the key does not give (VerifySoftwareToken).
    "EnableSoftwareTokenMFAException",
];
const CONFLICT: &[&str] = &["UsernameExistsException", "AliasExistsException"];
const REJECTED: &[&str] = &["InvalidPasswordException", "InvalidParameterException", "CodeDeliveryFailureException"];

fn err<E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata, R>(e: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>) -> PortError {
    port_error(&e, CONFLICT, NOT_AUTHORIZED, REJECTED)
}

fn attr(name: &str, value: &str) -> PortResult<AttributeType> {
    AttributeType::builder().name(name).value(value).build().map_err(|e| PortError::Internal(e.to_string()))
}

fn tokens(result: Option<AuthenticationResultType>) -> PortResult<Tokens> {
    let r = result.ok_or_else(|| PortError::Internal("no authentication result".into()))?;
    Ok(Tokens {
        access_token: r.access_token.ok_or_else(|| PortError::Internal("no access token".into()))?,
        expires_in: i64::from(r.expires_in),
        refresh_token: r.refresh_token,
    })
}

/// Where a step of a sign-in leads: tokens, or the challenge Cognito names next.
fn outcome(challenge: Option<ChallengeNameType>, session: Option<String>, result: Option<AuthenticationResultType>) -> PortResult<SignIn> {
    let session = || session.clone().ok_or_else(|| PortError::Internal("challenge without session".into()));
    match challenge {
        Some(ChallengeNameType::NewPasswordRequired) => Ok(SignIn::NewPasswordRequired { session: session()? }),
        Some(ChallengeNameType::SoftwareTokenMfa) => Ok(SignIn::TotpRequired { session: session()? }),
        Some(_) => Err(PortError::Internal("unexpected challenge".into())),
        None => Ok(SignIn::Tokens(tokens(result)?)),
    }
}

fn totp_settings(enabled: bool) -> SoftwareTokenMfaSettingsType {
    SoftwareTokenMfaSettingsType::builder().enabled(enabled).preferred_mfa(enabled).build()
}

impl Cognito {
    pub fn new(client: Client, pool_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Cognito { client, pool_id: pool_id.into(), client_id: client_id.into() }
    }

    /// One attribute of a user (`sub`, `email`, ...).
    async fn attribute(&self, user_id: &str, name: &str) -> PortResult<String> {
        let user = self.client.admin_get_user().user_pool_id(&self.pool_id).username(user_id).send().await.map_err(err)?;
        user.user_attributes()
            .iter()
            .find(|a| a.name() == name)
            .and_then(|a| a.value())
            .map(str::to_owned)
            .ok_or_else(|| PortError::Internal(format!("user without {name}")))
    }

    /// A new password, and every session of the user ends (Cognito keeps them otherwise).
    async fn set_password(&self, user_id: &str, password: &str, permanent: bool) -> PortResult<()> {
        self.client
            .admin_set_user_password()
            .user_pool_id(&self.pool_id)
            .username(user_id)
            .password(password)
            .permanent(permanent)
            .send()
            .await
            .map_err(err)?;
        self.admin_sign_out(user_id).await
    }

    async fn admin_sign_out(&self, user_id: &str) -> PortResult<()> {
        self.client.admin_user_global_sign_out().user_pool_id(&self.pool_id).username(user_id).send().await.map(|_| ()).map_err(err)
    }
}

#[async_trait]
impl Identity for Cognito {
    async fn create_user(&self, new: &NewUser<'_>) -> PortResult<String> {
        let created = self
            .client
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(new.user_id)
            .temporary_password(new.temporary_password)
            // We send the credential email ourselves through SES, with our own words.
            .message_action(MessageActionType::Suppress)
            .user_attributes(attr("email", new.email)?)
            .user_attributes(attr("email_verified", "true")?)
            .user_attributes(attr("preferred_username", new.username)?)
            .send()
            .await;
        let sub = match created {
            Ok(out) => match out.user.as_ref().and_then(|u| u.attributes().iter().find(|a| a.name() == "sub")).and_then(|a| a.value()) {
                Some(sub) => sub.to_owned(),
                None => self.attribute(new.user_id, "sub").await?,
            },
            Err(e) => match err(e) {
                // A retried creation: the user exists from the first try; give it the new password.
                PortError::Conflict => {
                    self.set_temporary_password(new.user_id, new.temporary_password).await?;
                    self.attribute(new.user_id, "sub").await?
                }
                other => return Err(other),
            },
        };
        for group in new.groups {
            self.client.admin_add_user_to_group().user_pool_id(&self.pool_id).username(new.user_id).group_name(*group).send().await.map_err(err)?;
        }
        Ok(sub)
    }

    async fn set_temporary_password(&self, user_id: &str, password: &str) -> PortResult<()> {
        self.set_password(user_id, password, false).await
    }

    async fn set_permanent_password(&self, user_id: &str, password: &str) -> PortResult<()> {
        self.set_password(user_id, password, true).await
    }

    async fn sign_in(&self, user_id: &str, password: &str) -> PortResult<SignIn> {
        let out = self
            .client
            .admin_initiate_auth()
            .user_pool_id(&self.pool_id)
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", user_id)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(err)?;
        outcome(out.challenge_name, out.session, out.authentication_result)
    }

    async fn complete_new_password(&self, user_id: &str, session: &str, new_password: &str) -> PortResult<SignIn> {
        let out = self
            .client
            .admin_respond_to_auth_challenge()
            .user_pool_id(&self.pool_id)
            .client_id(&self.client_id)
            .challenge_name(ChallengeNameType::NewPasswordRequired)
            .session(session)
            .challenge_responses("USERNAME", user_id)
            .challenge_responses("NEW_PASSWORD", new_password)
            .send()
            .await
            .map_err(err)?;
        outcome(out.challenge_name, out.session, out.authentication_result)
    }

    async fn refresh(&self, refresh_token: &str) -> PortResult<Tokens> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(err)?;
        let mut t = tokens(out.authentication_result)?;
        t.refresh_token = None;
        Ok(t)
    }

    async fn sign_out(&self, access_token: &str) -> PortResult<()> {
        self.client.global_sign_out().access_token(access_token).send().await.map(|_| ()).map_err(err)
    }

    async fn end_sessions(&self, user_id: &str) -> PortResult<()> {
        self.admin_sign_out(user_id).await
    }

    async fn change_password(&self, access_token: &str, current: &str, new: &str) -> PortResult<()> {
        self.client.change_password().access_token(access_token).previous_password(current).proposed_password(new).send().await.map_err(err)?;
        // The token is still good for this one call: every session ends, this one too.
        self.sign_out(access_token).await
    }

    async fn set_enabled(&self, user_id: &str, enabled: bool) -> PortResult<()> {
        if enabled {
            self.client.admin_enable_user().user_pool_id(&self.pool_id).username(user_id).send().await.map_err(err)?;
        } else {
            self.client.admin_disable_user().user_pool_id(&self.pool_id).username(user_id).send().await.map_err(err)?;
            self.admin_sign_out(user_id).await?;
        }
        Ok(())
    }

    async fn set_username(&self, user_id: &str, username: &str) -> PortResult<()> {
        self.client
            .admin_update_user_attributes()
            .user_pool_id(&self.pool_id)
            .username(user_id)
            .user_attributes(attr("preferred_username", username)?)
            .send()
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn associate_totp(&self, access_token: &str) -> PortResult<String> {
        let out = self.client.associate_software_token().access_token(access_token).send().await.map_err(err)?;
        out.secret_code.ok_or_else(|| PortError::Internal("no secret code".into()))
    }

    async fn verify_totp(&self, access_token: &str, code: &TotpCode) -> PortResult<()> {
        let out = self
            .client
            .verify_software_token()
            .access_token(access_token)
            .user_code(code.expose())
            .friendly_device_name("Authenticator app")
            .send()
            .await
            .map_err(err)?;
        if out.status != Some(VerifySoftwareTokenResponseType::Success) {
            return Err(PortError::NotAuthorized);
        }
        self.client
            .set_user_mfa_preference()
            .access_token(access_token)
            .software_token_mfa_settings(totp_settings(true))
            .send()
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn respond_totp(&self, user_id: &str, session: &str, code: &TotpCode) -> PortResult<Tokens> {
        let out = self
            .client
            .admin_respond_to_auth_challenge()
            .user_pool_id(&self.pool_id)
            .client_id(&self.client_id)
            .challenge_name(ChallengeNameType::SoftwareTokenMfa)
            .session(session)
            .challenge_responses("USERNAME", user_id)
            .challenge_responses("SOFTWARE_TOKEN_MFA_CODE", code.expose())
            .send()
            .await
            .map_err(err)?;
        tokens(out.authentication_result)
    }

    async fn remove_totp(&self, user_id: &str) -> PortResult<()> {
        self.client
            .admin_set_user_mfa_preference()
            .user_pool_id(&self.pool_id)
            .username(user_id)
            .software_token_mfa_settings(totp_settings(false))
            .send()
            .await
            .map(|_| ())
            .map_err(err)
    }
}
