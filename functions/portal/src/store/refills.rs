//! "Refill medications": a family's request for refills of active prescriptions, answered
//! medication by medication by the clinic office. Held like an appointment request: whole
//! under its own key (with the version), the patient's list and its clinic's inbox, all
//! written in one transaction at every change.
//!
//! | item                   | pk                              | sk                         |
//! |------------------------|---------------------------------|----------------------------|
//! | refill request         | REFILL#<id>                     | REQUEST                    |
//! | the patient's requests | PATIENT#<id>                    | REFILLS#<created>#<id>     |
//! | the office's inbox     | INBOX#<clinic>#refill#<status>  | <created>#<id>             |

use super::{from_item, held, now_precise, page_of};
use crate::domain::{PatientId, Pharmacy, RecordId, RefillRequestStatus, RefillStatus, RequestId, Text};
use crate::ports::{Condition, Key, PageOf, PortResult, Table};
use serde::{Deserialize, Serialize};

pub const NOTE_MAX: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefillRequest {
    pub id: RequestId,
    pub patient_id: PatientId,
    /// The clinic whose office answers it: the patient's.
    pub clinic: String,
    pub pharmacy: Pharmacy,
    /// The pharmacy is the preferred one of "Additional information".
    pub preferred_pharmacy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text<NOTE_MAX>>,
    pub items: Vec<RefillItem>,
    pub status: RefillRequestStatus,
    /// One of its medications is marked restricted: kept from parents and guardians of a
    /// patient aged 12 to 17, as the medication is.
    pub confidential: bool,
    pub created: String,
    pub updated: String,
    pub version: u64,
}

/// One medication of a request, as it was when asked for, with the office's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefillItem {
    pub medication_id: RecordId,
    pub name: String,
    /// The refills the prescription had left when asked for (none left can still be asked).
    pub refills_left: Option<u32>,
    pub status: RefillStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text<NOTE_MAX>>,
    /// For `approved`: the pharmacy it was sent to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_to: Option<String>,
}

impl crate::queue::Queued for RefillRequest {
    fn patient_id(&self) -> PatientId {
        self.patient_id
    }
    fn since(&self) -> &str {
        &self.created
    }
}

impl crate::access::Marked for RefillRequest {
    fn confidential(&self) -> bool {
        self.confidential
    }
}

impl RefillRequest {
    pub fn new(
        patient_id: PatientId,
        clinic: &str,
        pharmacy: Pharmacy,
        preferred: bool,
        note: Option<Text<NOTE_MAX>>,
        items: Vec<RefillItem>,
        confidential: bool,
    ) -> Self {
        let at = now_precise();
        RefillRequest {
            id: RequestId::new(),
            patient_id,
            clinic: clinic.to_owned(),
            pharmacy,
            preferred_pharmacy: preferred,
            note,
            items,
            status: RefillRequestStatus::Requested,
            confidential,
            created: at.clone(),
            updated: at,
            version: 1,
        }
    }
}

fn own_key(id: &RequestId) -> Key {
    Key::new(format!("REFILL#{id}"), "REQUEST")
}

/// The prefix of the patient's refill requests (list cursors start with it).
pub const PATIENT_PREFIX: &str = "REFILLS#";

fn inbox_pk(clinic: &str, status: RefillRequestStatus) -> String {
    format!("INBOX#{clinic}#refill#{}", status.as_str())
}

fn copies(r: &RefillRequest) -> [Key; 2] {
    [
        Key::new(format!("PATIENT#{}", r.patient_id), format!("{PATIENT_PREFIX}{}#{}", r.created, r.id)),
        Key::new(inbox_pk(&r.clinic, r.status), format!("{}#{}", r.created, r.id)),
    ]
}

pub async fn create(table: &dyn Table, r: &RefillRequest) -> PortResult<()> {
    table.write(held(r, &own_key(&r.id), Condition::Absent, &copies(r), &[])?).await
}

/// Replaces `current` by `next` (its version one up); `Conflict` when someone changed it
/// meanwhile.
pub async fn update(table: &dyn Table, current: &RefillRequest, next: &mut RefillRequest) -> PortResult<()> {
    next.version = current.version + 1;
    table.write(held(next, &own_key(&next.id), Condition::Version(current.version), &copies(next), &copies(current))?).await
}

pub async fn get(table: &dyn Table, id: &RequestId) -> PortResult<Option<RefillRequest>> {
    match table.get(&own_key(id)).await? {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

/// A page of the patient's refill requests, newest first.
pub async fn of_patient(table: &dyn Table, patient: &PatientId, after: Option<&str>, limit: usize) -> PortResult<Vec<(String, RefillRequest)>> {
    page_of(table, &format!("PATIENT#{patient}"), PageOf { prefix: PATIENT_PREFIX, after, limit, newest_first: true }).await
}

/// A page of one clinic's inbox of refill requests in this status, oldest first.
pub async fn inbox(
    table: &dyn Table,
    clinic: &str,
    status: RefillRequestStatus,
    after: Option<&str>,
    limit: usize,
) -> PortResult<Vec<(String, RefillRequest)>> {
    page_of(table, &inbox_pk(clinic, status), PageOf { prefix: "", after, limit, newest_first: false }).await
}

/// How many refill requests of a clinic are in this status (the office menu's count).
pub async fn count(table: &dyn Table, clinic: &str, status: RefillRequestStatus) -> PortResult<usize> {
    table.count(&inbox_pk(clinic, status)).await
}
