//! Who may act for which patient: the one place every patient-named route asks, and the
//! age rules in it. Admins act for every patient; staff for the patients of their clinics;
//! account holders for the patients they are linked to: their own record (patients 12 and
//! over may have one), or a child's as parent or guardian until the child's 18th birthday.
//!
//! Every decision about an existing patient is written to the audit: for a read, before
//! anything is answered; for a change, right after it, with what really happened. A
//! refusal looks exactly like an unknown patient, so nobody learns whether a patient they
//! may not see exists. The office's reach over accounts is `office`.

pub mod office;

use crate::domain::{Acting, BirthDate, PatientId, Relationship};
use crate::http::Caller;
use crate::ports::Item;
use crate::store::accounts::{self, Account, PatientLink};
use crate::store::audit::{self, Action, By, Outcome};
use crate::store::idempotency;
use crate::store::patients::{self, Also, Patient};
use crate::{App, Problem};
use lambda_http::{Body, Response};
use office::Scope;
use time::{Date, OffsetDateTime};

/// Parents and guardians act for a child until this birthday.
pub const AGE_OF_MAJORITY: i32 = 18;
/// A patient may hold their own account from this age.
pub const OWN_ACCOUNT_AGE: i32 = 12;

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// Whether a link of this kind still lets its holder act for the patient. Judged at every
/// access, not only when the office links: a corrected birth date applies at once, to a
/// patient's own account as to their parents'.
pub fn link_holds(relationship: Relationship, birth_date: BirthDate, today: Date) -> bool {
    let age = birth_date.age_on(today);
    match relationship {
        Relationship::Own => age >= OWN_ACCOUNT_AGE,
        Relationship::Parent | Relationship::Guardian => age < AGE_OF_MAJORITY,
    }
}

/// Whether the office may create a link of this kind to a patient born on `birth_date`.
pub fn may_link(relationship: Relationship, birth_date: BirthDate, today: Date) -> Result<(), String> {
    let age = birth_date.age_on(today);
    match relationship {
        Relationship::Own if age < OWN_ACCOUNT_AGE => {
            Err(format!("\"self\" is for patients aged {OWN_ACCOUNT_AGE} or over; this patient is younger"))
        }
        Relationship::Parent | Relationship::Guardian if age >= AGE_OF_MAJORITY => {
            Err(format!("must be \"self\": this patient is {AGE_OF_MAJORITY} or over"))
        }
        _ => Ok(()),
    }
}

/// The decision, from what was read: the caller's groups and account, and the patient.
pub fn decide(caller: &Caller, account: &Account, links: &[PatientLink], patient: &Patient, today: Date) -> Acting {
    if let Some(scope) = Scope::of_account(caller, account) {
        return scope.acting(&patient.clinic).unwrap_or(Acting::Denied("staff"));
    }
    match links.iter().find(|l| l.patient_id == patient.id) {
        Some(l) if link_holds(l.relationship, patient.birth_date, today) => Acting::Holder(l.relationship),
        Some(l) => Acting::Denied(l.relationship.as_str()),
        None => Acting::Denied("family"),
    }
}

/// Which callers a route is for at all; the others get 403 before anything is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Account holders acting for their patients.
    Family,
    /// Staff and admins.
    Office,
    Anyone,
}

/// Records that the clinic marks confidential: for a patient aged 12 to 17, parents and
/// guardians do not see them (the rule is `kept_from`).
pub trait Marked {
    fn confidential(&self) -> bool;
}

/// The confidentiality rule: whether records the clinic marks confidential are kept from
/// someone acting so for a patient born on `birth_date`: from parents and guardians while
/// the patient is 12 to 17. Lists, details, charts, counts, exports and notifications all
/// ask it (through `Grant::sees`, or directly where no one is signed in).
pub fn kept_from(acting: &Acting, birth_date: BirthDate, today: Date) -> bool {
    let teen = (OWN_ACCOUNT_AGE..AGE_OF_MAJORITY).contains(&birth_date.age_on(today));
    teen && matches!(acting, Acting::Holder(Relationship::Parent | Relationship::Guardian))
}

/// Leave to act for one patient, with what was read to decide it.
#[derive(Debug)]
pub struct Grant {
    pub patient: Patient,
    pub acting: Acting,
    /// Other items of the patient's partition asked for with it (see `patient_with`).
    pub items: Vec<Item>,
    /// The caller's account, as read to decide (for the name a message is signed with).
    pub account: Account,
    today: Date,
}

impl Grant {
    /// Whether a record with this mark may be shown to the caller.
    pub fn sees(&self, record: &impl Marked) -> bool {
        !record.confidential() || !kept_from(&self.acting, self.patient.birth_date, self.today)
    }
    fn allowed(self) -> Result<Grant, Problem> {
        if matches!(self.acting, Acting::Denied(_)) {
            Err(no_patient())
        } else {
            Ok(self)
        }
    }
    /// Whether the caller may mark what they send confidential: only the patient may keep
    /// something from their parents and guardians.
    pub fn may_mark(&self, confidential: bool) -> Result<(), Problem> {
        if confidential && self.acting != Acting::Holder(Relationship::Own) {
            return Err(Problem::forbidden_field("confidential", "Only the patient's own account can mark this confidential."));
        }
        Ok(())
    }
    /// Of a list of records, those the caller may see.
    pub fn visible<T: Marked>(&self, records: Vec<T>) -> Vec<T> {
        records.into_iter().filter(|r| self.sees(r)).collect()
    }
}

pub fn no_patient() -> Problem {
    Problem::not_found("No patient with this id.")
}

/// The signed-in caller's account and links; a disabled account's unexpired token stops
/// working at once.
pub async fn caller_account(app: &App, caller: &Caller) -> Result<(Account, Vec<PatientLink>), Problem> {
    match accounts::get_account(app.table.as_ref(), &caller.sub).await? {
        Some((account, links)) if account.enabled => Ok((account, links)),
        _ => Err(Problem::unauthenticated()),
    }
}

/// May the caller read the patient named by `raw_id` (`action` says what)? One read (the
/// caller's account and link with the patient) and one audit write, before the route
/// answers anything.
pub async fn patient(app: &App, caller: &Caller, raw_id: &str, who: Who, action: Action) -> Result<Grant, Problem> {
    patient_with(app, caller, raw_id, who, action, None).await
}

/// As `patient`, also reading the item of the patient's partition that `with` names (for
/// example `patients::info_key`) in the same round trip.
pub async fn patient_with(app: &App, caller: &Caller, raw_id: &str, who: Who, action: Action, with: Option<Also<'_>>) -> Result<Grant, Problem> {
    let grant = judge(app, caller, raw_id, who, with).await?;
    audit::record(app.audit.as_ref(), By::of(caller, &grant.account), &grant.acting, &grant.patient.id, action, Outcome::of(&grant.acting)).await?;
    grant.allowed()
}

/// A change to the patient named by `raw_id`: when the caller may act for the patient,
/// `work` runs, and the audit records what really happened after it (done, or refused with
/// its status: a stale version, a field the caller may not change, a conflict). A refusal
/// of access is recorded as denied and answered as an unknown patient.
pub async fn change(
    app: &App,
    caller: &Caller,
    raw_id: &str,
    who: Who,
    action: Action,
    with: Option<Also<'_>>,
    work: impl AsyncFnOnce(&Grant) -> Result<Response<Body>, Problem>,
) -> Result<Response<Body>, Problem> {
    let grant = judge(app, caller, raw_id, who, with).await?;
    let audit = app.audit.as_ref();
    if matches!(grant.acting, Acting::Denied(_)) {
        audit::record(audit, By::of(caller, &grant.account), &grant.acting, &grant.patient.id, action, Outcome::Denied).await?;
        return Err(no_patient());
    }
    let result = work(&grant).await;
    let outcome = match &result {
        Ok(res) if idempotency::replayed(res) => Outcome::Replayed,
        Ok(_) => Outcome::Allowed,
        Err(problem) => Outcome::Failed(problem.status.as_u16()),
    };
    if let Err(e) = audit::record(audit, By::of(caller, &grant.account), &grant.acting, &grant.patient.id, action, outcome).await {
        // The change may have happened without its record: say so loudly, and answer 503
        // so the caller retries (a retry finds the change made and is recorded).
        tracing::error!(error = %e, request_id = %caller.request_id, action = action.as_str(), "audit record of a change not written");
        return Err(e.into());
    }
    result
}

/// The decision about an existing patient, not yet recorded: 401 for a disabled account,
/// 403 for a role the route is never for, 404 for an unknown patient id. One read: the
/// caller's account, its link to this patient, the patient and the item `with` names.
async fn judge(app: &App, caller: &Caller, raw_id: &str, who: Who, with: Option<Also<'_>>) -> Result<Grant, Problem> {
    let Ok(id) = PatientId::parse(raw_id) else {
        caller_account(app, caller).await?;
        refuse_role(caller, who)?;
        return Err(no_patient());
    };
    let patient_key = patients::patient_key(&id);
    let more: Vec<_> = std::iter::once(patient_key.clone()).chain(with.map(|also| also(&id))).collect();
    let (account, link, mut items) = accounts::get_with_link(app.table.as_ref(), &caller.sub, &id, &more).await?;
    let account = account.filter(|a| a.enabled).ok_or_else(Problem::unauthenticated)?;
    refuse_role(caller, who)?;
    let at = items.iter().position(|i| crate::store::sk_of(i) == patient_key.sk).ok_or_else(no_patient)?;
    let patient = crate::store::from_item::<Patient>(items.swap_remove(at))?.ok_or_else(no_patient)?;
    let today = today();
    let acting = decide(caller, &account, link.as_slice(), &patient, today);
    Ok(Grant { patient, acting, items, account, today })
}

/// 403 for a caller the route is never for.
fn refuse_role(caller: &Caller, who: Who) -> Result<(), Problem> {
    match who {
        Who::Family if caller.is_office() => Err(Problem::forbidden()),
        Who::Office if !caller.is_office() => Err(Problem::forbidden()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PersonName, Role, Username};
    use time::Duration;

    fn caller(roles: Vec<Role>) -> Caller {
        Caller { sub: "s".into(), roles, request_id: "r".into() }
    }
    fn account(clinics: &[&str]) -> Account {
        Account {
            sub: "s".into(),
            user_id: "u".into(),
            username: Username::parse("someone").unwrap(),
            email: "a@example.org".into(),
            name: None,
            roles: vec![],
            clinics: clinics.iter().map(|c| c.to_string()).collect(),
            answers: vec![],
            two_step: false,
            enabled: true,
            version: 0,
        }
    }
    /// A patient who turns `years` old in `days_short` days (0: today).
    fn aged(years: i32, days_short: i64) -> Patient {
        let t = today();
        let year = t.year() - years;
        let day = t.replace_year(year).or_else(|_| (t - Duration::days(1)).replace_year(year)).unwrap();
        let born = day + Duration::days(days_short);
        let date = BirthDate::parse(&format!("{:04}-{:02}-{:02}", born.year(), born.month() as u8, born.day())).unwrap();
        let name = PersonName::parse("Test").unwrap();
        Patient::new(name.clone(), name, date, "pediatric-cardiology", None)
    }
    fn link(p: &Patient, r: Relationship) -> Vec<PatientLink> {
        vec![PatientLink { patient_id: p.id, relationship: r }]
    }

    #[test]
    fn parents_act_until_the_18th_birthday_and_patients_for_themselves() {
        let fam = caller(vec![]);
        let child = aged(18, 1); // turns 18 tomorrow
        let adult = aged(18, 0); // turns 18 today
        let acct = account(&[]);
        assert_eq!(decide(&fam, &acct, &link(&child, Relationship::Parent), &child, today()), Acting::Holder(Relationship::Parent));
        assert_eq!(decide(&fam, &acct, &link(&adult, Relationship::Guardian), &adult, today()), Acting::Denied("guardian"));
        assert_eq!(decide(&fam, &acct, &link(&adult, Relationship::Own), &adult, today()), Acting::Holder(Relationship::Own));
        assert_eq!(decide(&fam, &acct, &[], &child, today()), Acting::Denied("family"));
        // An own account stops working when a corrected birth date makes the patient too young.
        let eleven = aged(12, 1);
        assert_eq!(decide(&fam, &acct, &link(&eleven, Relationship::Own), &eleven, today()), Acting::Denied("self"));
        let twelve = aged(12, 0);
        assert_eq!(decide(&fam, &acct, &link(&twelve, Relationship::Own), &twelve, today()), Acting::Holder(Relationship::Own));
    }

    #[test]
    fn staff_act_for_their_clinics_and_admins_for_all() {
        let p = aged(5, 0);
        assert_eq!(
            decide(&caller(vec![Role::Staff]), &account(&["pediatric-cardiology"]), &[], &p, today()),
            Acting::Staff { clinic: p.clinic.clone() }
        );
        assert_eq!(decide(&caller(vec![Role::Staff]), &account(&["pediatric-endocrine"]), &[], &p, today()), Acting::Denied("staff"));
        assert_eq!(decide(&caller(vec![Role::Admin]), &account(&[]), &[], &p, today()), Acting::Admin);
    }

    #[test]
    fn who_may_be_linked() {
        let eleven = aged(12, 1).birth_date;
        let twelve = aged(12, 0).birth_date;
        let adult = aged(18, 0).birth_date;
        assert!(may_link(Relationship::Own, eleven, today()).is_err());
        assert!(may_link(Relationship::Own, twelve, today()).is_ok());
        assert!(may_link(Relationship::Parent, twelve, today()).is_ok());
        assert!(may_link(Relationship::Guardian, adult, today()).is_err());
        assert!(may_link(Relationship::Own, adult, today()).is_ok());
    }

    /// A record type standing in for the record features to come (lab results, notes...).
    struct TestRecord {
        confidential: bool,
    }
    impl Marked for TestRecord {
        fn confidential(&self) -> bool {
            self.confidential
        }
    }

    #[test]
    fn confidential_records_of_teens_are_hidden_from_parents_and_guardians_only() {
        let grant = |p: &Patient, acting: Acting| Grant { patient: p.clone(), acting, items: vec![], account: account(&[]), today: today() };
        let records = || vec![TestRecord { confidential: true }, TestRecord { confidential: false }];
        let teen = aged(14, 0);
        let child = aged(11, 0);
        let staff = Acting::Staff { clinic: teen.clinic.clone() };
        for (p, acting, shown) in [
            (&teen, Acting::Holder(Relationship::Parent), 1),
            (&teen, Acting::Holder(Relationship::Guardian), 1),
            (&teen, Acting::Holder(Relationship::Own), 2),
            (&teen, staff, 2),
            (&teen, Acting::Admin, 2),
            (&child, Acting::Holder(Relationship::Parent), 2),
        ] {
            let g = grant(p, acting.clone());
            let seen = g.visible(records());
            assert_eq!(seen.len(), shown, "{acting:?}");
            assert!(seen.iter().any(|r| !r.confidential), "unmarked records are always shown");
        }
    }
}
