//! Creating accounts and (re)sending login information: shared by the office's routes and
//! by the bootstrap of the first admin.

use crate::domain::{EmailAddress, NewPassword, PersonName, Relationship, Role, TemporaryPassword, Username};
use crate::messages;
use crate::ports::{Email, NewUser, PortError};
use crate::problem::Problem;
use crate::store::accounts::{self, Account, Creation, PatientLink, UsernameRecord};
use crate::store::sha256_hex;
use crate::App;

#[derive(Clone)]
pub struct NewAccount {
    pub username: Username,
    pub email: EmailAddress,
    /// Given and family name, for staff and admins.
    pub name: Option<(PersonName, PersonName)>,
    pub roles: Vec<Role>,
    pub clinics: Vec<String>,
    pub link: Option<PatientLink>,
}

impl NewAccount {
    /// A family's account (a patient's own, or a parent's or guardian's): no name, role
    /// or clinic of its own; `link` is the patient it is created for.
    pub fn family(username: Username, email: EmailAddress, link: Option<PatientLink>) -> Self {
        NewAccount { username, email, name: None, roles: Vec::new(), clinics: Vec::new(), link }
    }

    /// What the request asked for; a repeat of the same request may resume an unfinished
    /// creation, any other request for the same username is a conflict.
    fn digest(&self) -> String {
        let canonical = serde_json::json!({
            "email": self.email, "name": self.name, "roles": self.roles, "clinics": self.clinics,
            "link": self.link.as_ref().map(|l| (l.patient_id, l.relationship)),
        });
        sha256_hex(canonical.to_string().as_bytes())
    }
}

fn taken() -> Problem {
    Problem::conflict("This username is already taken. Choose another.")
}

/// Reserves the username (or finds this same request's unfinished reservation).
async fn reserve(app: &App, new: &NewAccount) -> Result<UsernameRecord, Problem> {
    let digest = new.digest();
    for _ in 0..2 {
        if let Some(rec) = accounts::get_username(app.table.as_ref(), &new.username).await? {
            return if rec.creation != Creation::Done && rec.request == digest { Ok(rec) } else { Err(taken()) };
        }
        let rec = UsernameRecord {
            username: new.username.clone(),
            user_id: uuid::Uuid::new_v4().to_string(),
            sub: None,
            creation: Creation::Reserved,
            request: digest.clone(),
        };
        match accounts::reserve_username(app.table.as_ref(), &rec).await {
            Ok(()) => return Ok(rec),
            Err(PortError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(taken())
}

/// The identity-provider user for a reserved username (given `temporary` as password) and
/// the account that records it; idempotent, so a repeated creation passes here again.
async fn sign_in_for(app: &App, new: &NewAccount, rec: &UsernameRecord, temporary: &TemporaryPassword) -> Result<Account, Problem> {
    let groups: Vec<&str> = new.roles.iter().map(Role::group).collect();
    let sub = app
        .identity
        .create_user(&NewUser {
            user_id: &rec.user_id,
            email: new.email.as_str(),
            username: new.username.as_str(),
            temporary_password: temporary.expose(),
            groups: &groups,
        })
        .await?;
    Ok(Account {
        sub,
        user_id: rec.user_id.clone(),
        username: new.username.clone(),
        email: new.email.as_str().to_owned(),
        name: new.name.clone(),
        roles: new.roles.clone(),
        clinics: new.clinics.clone(),
        answers: Vec::new(),
        two_step: false,
        enabled: true,
        version: 0,
    })
}

/// Creates the account and sends its login information. Every step can be repeated: when
/// a step fails the same request again picks up where it stopped (the email, with a fresh
/// temporary password), so a failed email never leaves an account that cannot be finished.
pub async fn create(app: &App, new: &NewAccount) -> Result<Account, Problem> {
    let mut rec = reserve(app, new).await?;
    let temporary = TemporaryPassword::generate();
    let account = sign_in_for(app, new, &rec, &temporary).await?;
    rec.sub = Some(account.sub.clone());
    rec.creation = Creation::EmailPending;
    accounts::store_new_account(app.table.as_ref(), &account, new.link.as_ref(), &rec).await.map_err(|e| match (e, &new.link) {
        // Another request made an own account for this patient meanwhile.
        (PortError::Conflict, Some(link)) if link.relationship == Relationship::Own => {
            Problem::conflict("This patient already has their own account.")
        }
        (e, _) => e.into(),
    })?;
    send_credentials(app, &account, &temporary).await?;
    rec.creation = Creation::Done;
    accounts::set_username_record(app.table.as_ref(), &rec).await?;
    tracing::info!(sub = %account.sub, "account created");
    Ok(account)
}

async fn send_credentials(app: &App, account: &Account, temporary: &TemporaryPassword) -> Result<(), Problem> {
    let (subject, text) = messages::credentials(&app.portal_url, account.username.as_str(), temporary.expose(), time::OffsetDateTime::now_utc());
    app.mailer.send(&Email { to: account.email.clone(), subject, text }).await.map_err(|e| {
        tracing::warn!(error = %e, "credential email not sent");
        Problem::unavailable("The login information email could not be sent. Nothing was lost: send the same request again.")
    })
}

/// A fresh temporary password, by email; the previous password stops working.
pub async fn resend(app: &App, account: &Account) -> Result<(), Problem> {
    let temporary = TemporaryPassword::generate();
    app.identity.set_temporary_password(&account.user_id, temporary.expose()).await?;
    send_credentials(app, account, &temporary).await
}

/// The first hospital admin, `admin`, with a permanent password and no email sent. Does
/// nothing when `admin` exists. Used by the local run and by ops on a fresh stack.
pub async fn bootstrap_admin(app: &App, email: &EmailAddress, password: &NewPassword) -> Result<bool, Problem> {
    let username = Username::parse("admin").map_err(|_| Problem::internal())?;
    if let Some(rec) = accounts::get_username(app.table.as_ref(), &username).await? {
        if rec.creation == Creation::Done {
            return Ok(false);
        }
    }
    let new = NewAccount { username, email: email.clone(), name: None, roles: vec![Role::Admin], clinics: Vec::new(), link: None };
    let mut rec = reserve(app, &new).await?;
    let account = sign_in_for(app, &new, &rec, &TemporaryPassword::generate()).await?;
    app.identity.set_permanent_password(&rec.user_id, password.expose()).await?;
    rec.sub = Some(account.sub.clone());
    rec.creation = Creation::Done;
    accounts::store_new_account(app.table.as_ref(), &account, None, &rec).await?;
    Ok(true)
}
