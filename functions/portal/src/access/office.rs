//! Who at the hospital may act on what: admins on everything; office staff on the patients
//! of their clinics and on the accounts of those patients' families; nobody else. The one
//! statement of the staff-clinic rule: `Scope`, which `access::decide` uses too.

use super::caller_account;
use crate::domain::{Acting, Role, Username};
use crate::http::Caller;
use crate::store::accounts::{self, Account, Creation, PatientLink, UsernameRecord};
use crate::store::audit::By;
use crate::store::patients::{self, Patient};
use crate::{App, Problem};
use std::collections::HashMap;

/// What a hospital person may reach, and their name for the audit records of what they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    reach: Reach,
    name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    Everything,
    Clinics(Vec<String>),
}

impl Scope {
    /// The caller's scope; 401 for a disabled account, 403 for anyone but staff and admins.
    pub async fn of(app: &App, caller: &Caller) -> Result<Scope, Problem> {
        let (me, _) = caller_account(app, caller).await?;
        Scope::of_account(caller, &me).ok_or_else(Problem::forbidden)
    }

    /// For what only admins do (staff accounts, the security events): 403 for anyone else.
    pub async fn admin(app: &App, caller: &Caller) -> Result<(), Problem> {
        match Scope::of(app, caller).await?.reach {
            Reach::Everything => Ok(()),
            Reach::Clinics(_) => Err(Problem::forbidden()),
        }
    }

    /// The scope of a signed-in hospital person, from their groups and account; `None` for
    /// families.
    pub fn of_account(caller: &Caller, account: &Account) -> Option<Scope> {
        let reach = if caller.is(Role::Admin) {
            Reach::Everything
        } else if caller.is(Role::Staff) {
            Reach::Clinics(account.clinics.clone())
        } else {
            return None;
        };
        Some(Scope { reach, name: account.full_name() })
    }

    /// The caller as the audit records of what they do name them.
    pub fn by<'a>(&'a self, caller: &'a Caller) -> By<'a> {
        By { caller, name: self.name.clone() }
    }

    pub fn covers(&self, clinic: &str) -> bool {
        match &self.reach {
            Reach::Everything => true,
            Reach::Clinics(mine) => mine.iter().any(|c| c == clinic),
        }
    }

    /// In what capacity the caller acts for a patient of `clinic`, if at all.
    pub fn acting(&self, clinic: &str) -> Option<Acting> {
        match &self.reach {
            Reach::Everything => Some(Acting::Admin),
            Reach::Clinics(_) if self.covers(clinic) => Some(Acting::Staff { clinic: clinic.to_owned() }),
            Reach::Clinics(_) => None,
        }
    }

    /// The clinics whose patients the caller may see.
    pub fn clinics(&self) -> Vec<&str> {
        match &self.reach {
            Reach::Everything => crate::domain::CLINICS.iter().map(|c| c.id).collect(),
            Reach::Clinics(mine) => mine.iter().map(String::as_str).collect(),
        }
    }
}

/// An account the caller may manage, with what was read to decide it.
pub struct Target {
    pub account: Account,
    pub record: UsernameRecord,
    pub links: Vec<PatientLink>,
    pub scope: Scope,
    /// The account's patients, when deciding needed them (staff); `None` for admins.
    pub patients: Option<Vec<Patient>>,
}

/// The account named by the `{username}` of the path, if the caller may manage it: admins
/// any; staff only family accounts with a patient in one of their clinics. Any other is
/// "not found", as an unknown one: staff learn nothing of accounts outside their clinics.
/// Three reads at most: the caller's account with the username, the account named, and
/// (for staff) its patients.
pub async fn target_account(app: &App, caller: &Caller, params: &HashMap<String, String>) -> Result<Target, Problem> {
    let table = app.table.as_ref();
    let username = params.get("username").and_then(|u| Username::parse(u).ok());
    let (me, rec) = accounts::get_account_and_username(table, &caller.sub, username.as_ref()).await?;
    let me = me.filter(|a| a.enabled).ok_or_else(Problem::unauthenticated)?;
    let scope = Scope::of_account(caller, &me).ok_or_else(Problem::forbidden)?;
    let rec = rec.filter(|r| r.creation != Creation::Reserved).ok_or_else(no_account)?;
    let sub = rec.sub.clone().ok_or_else(no_account)?;
    let (account, links) = accounts::get_account(table, &sub).await?.ok_or_else(no_account)?;
    let mut read = None;
    if let Reach::Clinics(_) = scope.reach {
        if !account.roles.is_empty() {
            return Err(no_account());
        }
        let ids: Vec<_> = links.iter().map(|l| l.patient_id).collect();
        let theirs = patients::get_many(table, &ids).await?;
        if !theirs.iter().any(|p| scope.covers(&p.clinic)) {
            return Err(no_account());
        }
        read = Some(theirs);
    }
    Ok(Target { account, record: rec, links, scope, patients: read })
}

/// The family account named by the `{username}` of the path, for linking and unlinking
/// patients, under the same scope as every other account route: staff and admin accounts
/// are never linked to patients, and any refusal is the unknown account's 404.
pub async fn family_target(app: &App, caller: &Caller, params: &HashMap<String, String>) -> Result<Target, Problem> {
    let target = target_account(app, caller, params).await?;
    if !target.account.roles.is_empty() {
        return Err(no_account());
    }
    Ok(target)
}

/// Nobody disables, enables, renames or resends their own account: an admin doing so could leave the
/// hospital with no admin who can sign in (and `admin` exists, so a restart would not
/// make one). Another admin does it. As only an enabled admin can disable an admin, this
/// alone keeps one enabled admin.
pub fn not_yourself(caller: &Caller, account: &Account, what: &str) -> Result<(), Problem> {
    if account.sub == caller.sub {
        return Err(Problem::forbidden_because(format!("You cannot {what}. Ask another administrator.")));
    }
    Ok(())
}

fn no_account() -> Problem {
    Problem::not_found("No account with this username.")
}

/// For an office route that names what it acts on by its own id (a request, a conversation):
/// families get 403 before anything of a patient's is read (401 once their account is
/// disabled, as everywhere).
pub async fn only(app: &App, caller: &Caller) -> Result<(), Problem> {
    if caller.is_office() {
        return Ok(());
    }
    caller_account(app, caller).await?;
    Err(Problem::forbidden())
}

/// A change the office makes to something of the patient's that it found by its own id:
/// `access::change` for the patient, where a patient the caller may not act for answers as
/// `unknown` (the unknown id's 404), so staff of another clinic learn nothing.
pub async fn change_found(
    app: &App,
    caller: &Caller,
    patient: &crate::domain::PatientId,
    action: crate::store::audit::Action,
    with: Option<crate::store::patients::Also<'_>>,
    unknown: Problem,
    work: impl AsyncFnOnce(&super::Grant) -> Result<lambda_http::Response<lambda_http::Body>, Problem>,
) -> Result<lambda_http::Response<lambda_http::Body>, Problem> {
    super::change(app, caller, &patient.to_string(), super::Who::Office, action, with, work).await.map_err(|p| {
        if p == super::no_patient() {
            unknown
        } else {
            p
        }
    })
}

/// A read the office makes of something of the patient's found by its own id, as
/// `change_found` does for a change.
pub async fn read_found(
    app: &App,
    caller: &Caller,
    patient: &crate::domain::PatientId,
    action: crate::store::audit::Action,
    unknown: Problem,
) -> Result<super::Grant, Problem> {
    super::patient(app, caller, &patient.to_string(), super::Who::Office, action)
        .await
        .map_err(|p| if p == super::no_patient() { unknown } else { p })
}
