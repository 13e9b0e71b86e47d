//! The access audit: one append-only record per read or write of patient data, saying
//! who (and in what role), for which patient, what, when, with what outcome and in which
//! request. No PHI: ids and words only. It lives in its own table, which the functions may
//! add to but never change (their IAM grants PutItem and no UpdateItem or DeleteItem).
//!
//! | item         | pk                 | sk                          |
//! |--------------|--------------------|-----------------------------|
//! | audit record | AUDIT#<patient id> | <time, microseconds>#<uuid> |

use super::accounts::Account;
use super::{now_precise, to_item};
use crate::domain::{Acting, PatientId};
use crate::http::Caller;
use crate::ports::{Condition, Key, PageOf, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditRecord {
    /// RFC 3339 UTC with a fixed six-digit fraction, so text order is time order.
    pub at: String,
    /// The caller's `sub`.
    pub actor: String,
    /// "admin", "staff", "self", "parent", "guardian", or "family" (a family account
    /// without a link to the patient).
    pub role: String,
    /// For hospital people (staff and admins): their name as it was when they acted, so
    /// the family's access log names them without reading their accounts. Account holders
    /// are never named here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For staff allowed in: the patient's clinic they acted through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clinic: Option<String>,
    pub patient_id: PatientId,
    pub action: Action,
    /// "allowed" (done), "denied" (refused access), "failed" (access allowed, but the change
    /// was refused or did not happen: see `status`) or "replayed" (an `Idempotency-Key`
    /// retry answered with the first result).
    pub outcome: String,
    /// For "failed": the HTTP status the request was answered with (400, 403, 409, 503...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub request_id: String,
}

crate::domain::ids! {
    /// What was done to a patient's data.
    pub enum Action {
        DemographicsRead = "demographics.read",
        DemographicsUpdate = "demographics.update",
        AdditionalInfoRead = "additional-info.read",
        AdditionalInfoUpdate = "additional-info.update",
        AccessLogRead = "access-log.read",
        AuditRead = "audit.read",
        /// The patient was listed in a search's answer.
        PatientSearch = "patient.search",
        PatientCreate = "patient.create",
        AccountLink = "account.link",
        AccountUnlink = "account.unlink",
        /// The patient was listed among a portal account's patients.
        AccountRead = "account.read",
        ResultsRead = "results.read",
        ResultRead = "result.read",
        ReportsRead = "reports.read",
        ReportRead = "report.read",
        ImmunizationsRead = "immunizations.read",
        /// The family downloaded the immunization record as a FHIR Bundle.
        ImmunizationsExport = "immunizations.export",
        AppointmentsRead = "appointments.read",
        /// The family downloaded a visit as a calendar file.
        AppointmentCalendar = "appointment.calendar",
        AppointmentRequestsRead = "appointment-requests.read",
        AppointmentRequestCreate = "appointment-request.create",
        /// The family withdrew a request.
        AppointmentRequestCancel = "appointment-request.cancel",
        /// The office opened a request.
        AppointmentRequestRead = "appointment-request.read",
        /// The patient was listed in the office's queue of requests.
        AppointmentQueueRead = "appointment-queue.read",
        AppointmentRequestSchedule = "appointment-request.schedule",
        AppointmentRequestDecline = "appointment-request.decline",
        /// The office confirmed a request to cancel a visit, and cancelled it.
        AppointmentRequestConfirm = "appointment-request.confirm",
        AppointmentRequestNote = "appointment-request.note",
        ConversationsRead = "conversations.read",
        /// A conversation was opened (and marked read for the reader's side).
        ConversationRead = "conversation.read",
        ConversationCreate = "conversation.create",
        ConversationReply = "conversation.reply",
        ConversationTake = "conversation.take",
        ConversationClose = "conversation.close",
        ConversationNote = "conversation.note",
        /// The patient was listed in the office's inbox.
        InboxRead = "inbox.read",
        MedicationsRead = "medications.read",
        RefillRequestsRead = "refill-requests.read",
        RefillRequestCreate = "refill-request.create",
        RefillRequestAnswer = "refill-request.answer",
    }
}

/// What became of one access, as the audit states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
    /// Allowed in, but the change was refused or failed, with the answer's status.
    Failed(u16),
    Replayed,
}

impl Outcome {
    /// A read's outcome is the access decision itself.
    pub fn of(acting: &Acting) -> Outcome {
        if matches!(acting, Acting::Denied(_)) {
            Outcome::Denied
        } else {
            Outcome::Allowed
        }
    }
    pub(crate) fn word(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Failed(_) => "failed",
            Outcome::Replayed => "replayed",
        }
    }
}

fn partition(patient_id: &PatientId) -> String {
    format!("AUDIT#{patient_id}")
}

/// Who acts, as their audit records name them: the signed-in caller and the name on their
/// account (kept only for hospital people; see `AuditRecord::name`).
pub struct By<'a> {
    pub caller: &'a Caller,
    pub name: Option<String>,
}

impl<'a> By<'a> {
    pub fn of(caller: &'a Caller, account: &Account) -> By<'a> {
        By { caller, name: account.full_name() }
    }
}

fn new_record(by: &By<'_>, acting: &Acting, patient_id: &PatientId, action: Action, outcome: Outcome) -> (Key, AuditRecord) {
    let caller = by.caller;
    let at = now_precise();
    let key = Key::new(partition(patient_id), format!("{at}#{}", uuid::Uuid::new_v4()));
    let rec = AuditRecord {
        at,
        actor: caller.sub.clone(),
        role: acting.word().to_owned(),
        name: by.name.clone().filter(|_| caller.is_office()),
        clinic: acting.clinic().map(str::to_owned),
        patient_id: *patient_id,
        action,
        outcome: outcome.word().to_owned(),
        status: match outcome {
            Outcome::Failed(status) => Some(status),
            _ => None,
        },
        request_id: caller.request_id.clone(),
    };
    (key, rec)
}

/// Records one access with what became of it. Reads are recorded before the data is
/// answered; changes after the change, with its real outcome (see `access::change`).
pub async fn record(audit: &dyn Table, by: By<'_>, acting: &Acting, patient_id: &PatientId, action: Action, outcome: Outcome) -> PortResult<()> {
    let (key, rec) = new_record(&by, acting, patient_id, action, outcome);
    // Absent: an audit record is never overwritten.
    audit.write(vec![Write::Put { item: to_item(&key, &rec, None)?, condition: Condition::Absent }]).await
}

/// Records one read per patient of a list (a search page, an account's patients), 25 to
/// a round trip, each allowed or denied as `acting` says.
pub async fn record_many(audit: &dyn Table, by: By<'_>, reads: &[(Acting, PatientId)], action: Action) -> PortResult<()> {
    for chunk in reads.chunks(25) {
        let mut writes = Vec::with_capacity(chunk.len());
        for (acting, patient_id) in chunk {
            let (key, rec) = new_record(&by, acting, patient_id, action, Outcome::of(acting));
            writes.push(Write::Put { item: to_item(&key, &rec, None)?, condition: Condition::Absent });
        }
        audit.write(writes).await?;
    }
    Ok(())
}

/// Whether `sk` has the shape of an audit record's sort key (a cursor must).
pub fn is_sort_key(sk: &str) -> bool {
    let Some((at, id)) = sk.split_once('#') else { return false };
    let shape = "0000-00-00T00:00:00.000000Z";
    at.len() == shape.len()
        && at.bytes().zip(shape.bytes()).all(|(c, s)| if s == b'0' { c.is_ascii_digit() } else { c == s })
        && uuid::Uuid::parse_str(id).is_ok()
}

/// One page of a patient's audit trail, newest first, after the record whose sort key
/// is `after`; each with its sort key, the cursor of the next page.
pub async fn page(audit: &dyn Table, patient_id: &PatientId, after: Option<&str>, limit: usize) -> PortResult<Vec<(String, AuditRecord)>> {
    super::page_of(audit, &partition(patient_id), PageOf { prefix: "", after, limit, newest_first: true }).await
}
