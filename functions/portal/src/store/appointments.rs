//! Appointment requests ("New Appointment") and the office's queue of them. A request is
//! held whole under three keys, written together in one transaction at every change: its
//! own (which carries the version two offices race on), the patient's list, and the queue
//! of its clinic and status, so each page the family or the office reads is one Query.
//!
//! | item                   | pk                      | sk                               |
//! |------------------------|-------------------------|----------------------------------|
//! | request                | APPTREQ#<request id>    | REQUEST                          |
//! | the office's note      | APPTREQ#<request id>    | NOTE#… (see `notes`)             |
//! | the patient's requests | PATIENT#<id>            | APPTREQS#<created>#<request id>  |
//! | the queue              | APPTQ#<clinic>#<status> | <created>#<request id>           |

use super::notes::{self, Note};
use super::{from_item, held, page_of, sk_of};
use crate::domain::{Day, PatientId, PhoneNumber, RecordId, RequestId, RequestKind, RequestStatus, Text, TimeOfDay, When};
use crate::ports::{Condition, Key, PageOf, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

/// The longest reason a family gives, and the longest the office answers with.
pub const REASON_MAX: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: RequestId,
    pub patient_id: PatientId,
    /// The clinic whose office answers it: the patient's.
    pub clinic: String,
    pub kind: RequestKind,
    /// Optional only for a request to cancel a visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text<REASON_MAX>>,
    /// When it suits the family (empty for a request to cancel).
    #[serde(default)]
    pub days: Vec<Day>,
    #[serde(default)]
    pub times: Vec<TimeOfDay>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<When>,
    /// Where to call back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    /// Marked so by a patient aged 12 to 17 (or a visit marked so): kept from parents and
    /// guardians (`access::kept_from`).
    pub confidential: bool,
    pub status: RequestStatus,
    /// RFC 3339 UTC; `updated` is when the status last changed.
    pub created: String,
    pub updated: String,
    /// The visit booked for it, or (a request to cancel) the visit to cancel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_id: Option<RecordId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment_start: Option<When>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<Text<REASON_MAX>>,
    pub version: u64,
}

impl Request {
    /// A new request of the patient's, waiting for the office of `clinic`; what it asks is
    /// added by the caller.
    pub fn new(patient_id: PatientId, clinic: &str, kind: RequestKind, confidential: bool) -> Request {
        let at = super::now_precise();
        Request {
            id: RequestId::new(),
            patient_id,
            clinic: clinic.to_owned(),
            kind,
            reason: None,
            days: Vec::new(),
            times: Vec::new(),
            earliest: None,
            phone: None,
            confidential,
            status: RequestStatus::Requested,
            created: at.clone(),
            updated: at,
            appointment_id: None,
            appointment_start: None,
            decline_reason: None,
            version: 1,
        }
    }
}

impl crate::queue::Queued for Request {
    fn patient_id(&self) -> PatientId {
        self.patient_id
    }
    fn since(&self) -> &str {
        &self.created
    }
}

impl crate::access::Marked for Request {
    fn confidential(&self) -> bool {
        self.confidential
    }
}

fn request_pk(id: &RequestId) -> String {
    format!("APPTREQ#{id}")
}

fn request_key(id: &RequestId) -> Key {
    Key::new(request_pk(id), "REQUEST")
}

/// The prefix of the patient's requests, newest first (list cursors start with it).
pub const PATIENT_PREFIX: &str = "APPTREQS#";

fn queue_pk(clinic: &str, status: RequestStatus) -> String {
    format!("APPTQ#{clinic}#{}", status.as_str())
}

/// Where a request is listed: the patient's list and its clinic's queue of its status.
fn copies(r: &Request) -> [Key; 2] {
    let patient = Key::new(format!("PATIENT#{}", r.patient_id), format!("{PATIENT_PREFIX}{}#{}", r.created, r.id));
    [patient, Key::new(queue_pk(&r.clinic, r.status), format!("{}#{}", r.created, r.id))]
}

/// A new request.
pub async fn create(table: &dyn Table, r: &Request) -> PortResult<()> {
    table.write(held(r, &request_key(&r.id), Condition::Absent, &copies(r), &[])?).await
}

/// Replaces `current` by `next` (its version one up) in one transaction with `also` (a visit
/// booked or cancelled with it); `Conflict` when someone changed the request meanwhile.
pub async fn update(table: &dyn Table, current: &Request, next: &mut Request, also: Vec<Write>) -> PortResult<()> {
    next.version = current.version + 1;
    let mut writes = held(next, &request_key(&next.id), Condition::Version(current.version), &copies(next), &copies(current))?;
    writes.extend(also);
    table.write(writes).await
}

/// The request with its notes (oldest first), in one read.
pub async fn get_with_notes(table: &dyn Table, id: &RequestId) -> PortResult<Option<(Request, Vec<Note>)>> {
    let mut request = None;
    let mut notes = Vec::new();
    for item in table.query(&request_pk(id), "").await? {
        if sk_of(&item).starts_with(notes::PREFIX) {
            notes.extend(from_item::<Note>(item)?);
        } else {
            request = from_item::<Request>(item)?;
        }
    }
    Ok(request.map(|r| (r, notes)))
}

pub async fn get(table: &dyn Table, id: &RequestId) -> PortResult<Option<Request>> {
    match table.get(&request_key(id)).await? {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

pub async fn add_note(table: &dyn Table, id: &RequestId, note: &Note) -> PortResult<()> {
    notes::add(table, &request_pk(id), note).await
}

/// A page of the patient's requests, newest first, each with its sort key.
pub async fn of_patient(table: &dyn Table, patient: &PatientId, after: Option<&str>, limit: usize) -> PortResult<Vec<(String, Request)>> {
    page_of(table, &format!("PATIENT#{patient}"), PageOf { prefix: PATIENT_PREFIX, after, limit, newest_first: true }).await
}

/// Every request of the patient (to find one already asking to cancel a visit).
pub async fn all_of_patient(table: &dyn Table, patient: &PatientId) -> PortResult<Vec<Request>> {
    let mut out = Vec::new();
    for item in table.query(&format!("PATIENT#{patient}"), PATIENT_PREFIX).await? {
        out.extend(from_item(item)?);
    }
    Ok(out)
}

/// A page of one clinic's queue of requests in this status, oldest first.
pub async fn queue(table: &dyn Table, clinic: &str, status: RequestStatus, after: Option<&str>, limit: usize) -> PortResult<Vec<(String, Request)>> {
    page_of(table, &queue_pk(clinic, status), PageOf { prefix: "", after, limit, newest_first: false }).await
}

/// How many requests of a clinic are in this status (the office menu's count).
pub async fn count(table: &dyn Table, clinic: &str, status: RequestStatus) -> PortResult<usize> {
    table.count(&queue_pk(clinic, status)).await
}
