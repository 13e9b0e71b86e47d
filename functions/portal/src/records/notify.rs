//! "New information in the patient portal": when something new arrives for a patient, each
//! account that may see it gets one email, at most one an hour, unless it turned them off.
//! The email says only that something is waiting, and where: no name, test, clinic or date.

use crate::access::{kept_from, link_holds, today};
use crate::domain::Acting;
use crate::ports::{Email, PortResult};
use crate::store::patients::Patient;
use crate::store::{accounts, notifications, now};
use crate::App;

pub const SUBJECT: &str = "New information in the patient portal";

/// For one patient: `open` when something arrived that is not marked confidential (else
/// only confidential records arrived, which parents and guardians of a teen are not told of).
/// Two reads whatever the number of holders: their links, then their accounts with their
/// settings in one BatchGetItem.
pub async fn new_information(app: &App, p: &Patient, open: bool) -> PortResult<usize> {
    let table = app.table.as_ref();
    let today = today();
    let told: Vec<String> = accounts::holders(table, &p.id)
        .await?
        .into_iter()
        .filter(|(_, relationship)| {
            let acting = Acting::Holder(*relationship);
            link_holds(*relationship, p.birth_date, today) && (open || !kept_from(&acting, p.birth_date, today))
        })
        .map(|(sub, _)| sub)
        .collect();
    let mut sent = 0;
    for (account, settings) in notifications::with_accounts(table, &told).await? {
        if !account.enabled || !notifications::claim(table, &account.sub, settings, now()).await? {
            continue;
        }
        app.mailer.send(&email(app, &account.email)).await?;
        sent += 1;
    }
    Ok(sent)
}

/// After something the office did for a patient (an answer, a reply): tells the family as
/// `new_information` does; a mail failure is logged and never undoes what was done.
pub async fn tell(app: &App, patient: &Patient, confidential: bool) {
    if let Err(e) = new_information(app, patient, !confidential).await {
        tracing::warn!(error = %e, "new-information emails not sent");
    }
}

fn email(app: &App, to: &str) -> Email {
    let text = format!(
        "Something new is waiting for you in the patient portal.\n\n\
         Sign in to see it: {}\n\n\
         You get at most one of these emails an hour. You can turn them off under My Account.\n",
        app.portal_url
    );
    Email { to: to.to_owned(), subject: SUBJECT.to_owned(), text }
}
