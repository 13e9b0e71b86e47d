//! Who at the hospital may act on what: admins on everything; office staff on the patients
//! of their clinics and on the accounts of those patients' families; nobody else.

use portal::domain::{Role, Username};
use portal::http::Caller;
use portal::store::accounts::{self, Account, Creation, PatientLink, UsernameRecord};
use portal::store::patients::{self, Patient};
use portal::{App, Problem};
use std::collections::HashMap;

pub enum Scope {
    Everything,
    Clinics(Vec<String>),
}

impl Scope {
    pub async fn of(app: &App, caller: &Caller) -> Result<Scope, Problem> {
        if caller.is(Role::Admin) {
            return Ok(Scope::Everything);
        }
        if !caller.is(Role::Staff) {
            return Err(Problem::forbidden());
        }
        let me = accounts::get_account_only(app.table.as_ref(), &caller.sub).await?.ok_or_else(Problem::forbidden)?;
        if !me.enabled {
            return Err(Problem::forbidden());
        }
        Ok(Scope::Clinics(me.clinics))
    }

    pub fn covers(&self, clinic: &str) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Clinics(mine) => mine.iter().any(|c| c == clinic),
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
/// any; staff only family accounts with a patient in one of their clinics.
pub async fn target_account(app: &App, caller: &Caller, params: &HashMap<String, String>) -> Result<Target, Problem> {
    let scope = Scope::of(app, caller).await?;
    let none = || Problem::not_found("No account with this username.");
    let username = params.get("username").and_then(|u| Username::parse(u).ok()).ok_or_else(none)?;
    let table = app.table.as_ref();
    let rec = accounts::get_username(table, &username).await?.filter(|r| r.creation != Creation::Reserved).ok_or_else(none)?;
    let sub = rec.sub.clone().ok_or_else(none)?;
    let (account, links) = accounts::get_account(table, &sub).await?.ok_or_else(none)?;
    let mut read = None;
    if let Scope::Clinics(_) = scope {
        if !account.roles.is_empty() {
            return Err(Problem::forbidden());
        }
        let ids: Vec<_> = links.iter().map(|l| l.patient_id).collect();
        let theirs = patients::get_many(table, &ids).await?;
        if !theirs.iter().any(|p| scope.covers(&p.clinic)) {
            return Err(Problem::forbidden());
        }
        read = Some(theirs);
    }
    Ok(Target { account, record: rec, links, scope, patients: read })
}
