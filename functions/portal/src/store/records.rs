//! Clinical records the hospital's systems send (lab results, lab diagnostic reports,
//! immunizations, visits of its schedule, prescriptions), filed under the patient they were matched to.
//!
//! | item                   | pk                  | sk                                          |
//! |------------------------|---------------------|---------------------------------------------|
//! | filed source           | RECORD#<record id>  | SOURCE                                      |
//! | a record, by id        | PATIENT#<id>        | RESULT#<rid>, REPORT#<rid>, IMMUNIZATION#<rid>, APPOINTMENT#<rid>, MEDICATION#<rid> |
//! | a record, by time      | PATIENT#<id>        | RESULTS#<time>#<rid>, REPORTS#…, IMMUNIZATIONS#…, APPOINTMENTS#<start>#<rid>, MEDICATIONS#<written>#<rid> |
//! | a lab code's values    | PATIENT#<id>        | HISTORY#<system>|<code>#<time>#<rid>         |
//!
//! Each record is held whole under every key it is found by, so a page, a detail and a
//! chart are each one read. The source item says which patient a record was filed under,
//! the digest of what was sent, and which keys hold it now: a new version is written in one
//! transaction with it (old keys deleted, new ones put), so nothing is ever half-filed.

use super::{from_item, sk_of, to_item};
use crate::domain::{Flag, PatientId, RecordId, RequestId, VisitStatus, When};
use crate::ports::{Condition, Item, Key, PageOf, PortError, PortResult, Table, Write};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The kinds of record, each with its two prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Result,
    Report,
    Immunization,
    Appointment,
    Medication,
}

impl Kind {
    fn by_id(self) -> &'static str {
        match self {
            Kind::Result => "RESULT#",
            Kind::Report => "REPORT#",
            Kind::Immunization => "IMMUNIZATION#",
            Kind::Appointment => "APPOINTMENT#",
            Kind::Medication => "MEDICATION#",
        }
    }
    /// The prefix of the by-time keys, which list pages start after.
    pub fn by_time(self) -> &'static str {
        match self {
            Kind::Result => "RESULTS#",
            Kind::Report => "REPORTS#",
            Kind::Immunization => "IMMUNIZATIONS#",
            Kind::Appointment => "APPOINTMENTS#",
            Kind::Medication => "MEDICATIONS#",
        }
    }
    /// The key a record of this kind is read by, for `access::patient_with`.
    pub fn key(self, patient: &PatientId, id: &RecordId) -> Key {
        Key::new(patient_pk(patient), format!("{}{id}", self.by_id()))
    }
}

fn patient_pk(patient: &PatientId) -> String {
    format!("PATIENT#{patient}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Code {
    pub system: String,
    pub code: String,
}

/// A lab value: a number (with its unit beside it), or words (text, or a coded value's
/// display).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LabValue {
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabResult {
    pub id: RecordId,
    pub name: String,
    pub code: Code,
    pub value: Option<LabValue>,
    pub unit: Option<String>,
    pub flag: Option<Flag>,
    pub status: String,
    pub effective: When,
    pub issued: Option<When>,
    pub report_id: Option<RecordId>,
    pub reference_range: Option<Range>,
    /// The interpretation in words, when the sender gave one.
    pub interpretation: Option<String>,
    pub note: Option<String>,
    pub performer: Option<String>,
    pub confidential: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub id: RecordId,
    pub name: String,
    pub status: String,
    pub effective: Option<When>,
    pub issued: Option<When>,
    pub conclusion: Option<String>,
    pub results: Vec<ReportResult>,
    pub confidential: bool,
}

/// A result a report lists, with its mark, so the report's count hides what its reader
/// may not see without reading every result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportResult {
    pub id: RecordId,
    pub confidential: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vaccine {
    pub cvx: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Immunization {
    pub id: RecordId,
    pub vaccine: Vaccine,
    pub date: When,
    pub dose_number: Option<u32>,
    pub lot_number: Option<String>,
    pub site: Option<String>,
    pub performer: Option<String>,
    pub status: String,
    pub confidential: bool,
}

/// A visit of the hospital's schedule, as it sent it, or as the office booked it in the
/// portal for a request (`request_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: RecordId,
    pub status: VisitStatus,
    /// Instants, with the offset they were sent with.
    pub start: When,
    pub end: When,
    /// A clinic id; `None` when the sender named none of the portal's clinics, and the visit
    /// is at the patient's clinic.
    pub clinic: Option<String>,
    pub provider: Option<String>,
    /// Where in the clinic, in the sender's or the office's words.
    pub location: Option<String>,
    /// The visit's type or description (never its reason).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub instructions: Option<String>,
    pub request_id: Option<RequestId>,
    pub confidential: bool,
}

impl Visit {
    /// Whether the visit is over at `now` (epoch seconds).
    pub fn ended(&self, now: i64) -> bool {
        self.end.instant().is_none_or(|end| end.unix_timestamp() <= now)
    }
}

impl crate::access::Marked for Visit {
    fn confidential(&self) -> bool {
        self.confidential
    }
}
/// An active prescription, as the prescriber's system sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Medication {
    pub id: RecordId,
    pub name: String,
    pub rxnorm: Option<String>,
    pub dosage: Option<String>,
    pub prescriber: Option<String>,
    /// `dispenseRequest.numberOfRepeatsAllowed`, when sent.
    pub refills_left: Option<u32>,
    pub written: When,
    pub confidential: bool,
}

impl crate::access::Marked for Medication {
    fn confidential(&self) -> bool {
        self.confidential
    }
}

impl crate::access::Marked for LabResult {
    fn confidential(&self) -> bool {
        self.confidential
    }
}
impl crate::access::Marked for Report {
    fn confidential(&self) -> bool {
        self.confidential
    }
}
impl crate::access::Marked for ReportResult {
    fn confidential(&self) -> bool {
        self.confidential
    }
}
impl crate::access::Marked for Immunization {
    fn confidential(&self) -> bool {
        self.confidential
    }
}

/// A record as it is to be filed: every item that holds it, ready to write.
pub struct Filing {
    pub id: RecordId,
    pub patient: PatientId,
    /// Of the resource as sent: the same digest is the same resource again.
    pub digest: String,
    pub last_updated: Option<When>,
    /// Empty when the resource was entered in error: it leaves every view.
    pub items: Vec<Item>,
    /// Marked confidential (who is told of it depends on it).
    pub confidential: bool,
}

impl Filing {
    /// A lab result under its id, its time, and (a number) its code's values.
    pub fn result(patient: PatientId, digest: String, last_updated: Option<When>, r: &LabResult) -> PortResult<Filing> {
        let time = r.effective.sort_key();
        let mut keys = vec![Kind::Result.key(&patient, &r.id), Key::new(patient_pk(&patient), format!("RESULTS#{time}#{}", r.id))];
        if matches!(r.value, Some(LabValue::Number(_))) {
            keys.push(Key::new(patient_pk(&patient), format!("{}{time}#{}", history_prefix(&r.code), r.id)));
        }
        Filing::of(patient, r.id, digest, last_updated, &keys, r)
    }
    pub fn report(patient: PatientId, digest: String, last_updated: Option<When>, r: &Report, time: &When) -> PortResult<Filing> {
        let keys = [Kind::Report.key(&patient, &r.id), Key::new(patient_pk(&patient), format!("REPORTS#{}#{}", time.sort_key(), r.id))];
        Filing::of(patient, r.id, digest, last_updated, &keys, r)
    }
    pub fn immunization(patient: PatientId, digest: String, last_updated: Option<When>, i: &Immunization) -> PortResult<Filing> {
        let keys = [Kind::Immunization.key(&patient, &i.id), Key::new(patient_pk(&patient), format!("IMMUNIZATIONS#{}#{}", i.date.sort_key(), i.id))];
        Filing::of(patient, i.id, digest, last_updated, &keys, i)
    }
    pub fn visit(patient: PatientId, digest: String, last_updated: Option<When>, v: &Visit) -> PortResult<Filing> {
        Filing::of(patient, v.id, digest, last_updated, &visit_keys(&patient, v), v)
    }
    pub fn medication(patient: PatientId, digest: String, last_updated: Option<When>, m: &Medication) -> PortResult<Filing> {
        let keys = [Kind::Medication.key(&patient, &m.id), Key::new(patient_pk(&patient), format!("MEDICATIONS#{}#{}", m.written.sort_key(), m.id))];
        Filing::of(patient, m.id, digest, last_updated, &keys, m)
    }
    pub fn removal(patient: PatientId, id: RecordId, digest: String, last_updated: Option<When>) -> Filing {
        Filing { id, patient, digest, last_updated, items: Vec::new(), confidential: false }
    }
    fn of<T: Serialize + crate::access::Marked>(
        patient: PatientId,
        id: RecordId,
        digest: String,
        last_updated: Option<When>,
        keys: &[Key],
        record: &T,
    ) -> PortResult<Filing> {
        let items = keys.iter().map(|k| to_item(k, record, None)).collect::<PortResult<_>>()?;
        Ok(Filing { id, patient, digest, last_updated, items, confidential: record.confidential() })
    }
}

fn visit_keys(patient: &PatientId, v: &Visit) -> [Key; 2] {
    [Kind::Appointment.key(patient, &v.id), Key::new(patient_pk(patient), format!("APPOINTMENTS#{}#{}", v.start.sort_key(), v.id))]
}

/// The writes that put a visit the portal itself books or changes (the office answering a
/// request), for a transaction with the request. `Absent` for a new visit; `Present` for a
/// change that keeps its start (the by-time key is then the same).
pub fn visit_writes(patient: &PatientId, v: &Visit, condition: Condition) -> PortResult<Vec<Write>> {
    let [by_id, by_time] = visit_keys(patient, v);
    Ok(vec![Write::Put { item: to_item(&by_id, v, None)?, condition }, Write::Put { item: to_item(&by_time, v, None)?, condition: Condition::None }])
}

/// A page of a patient's visits: `upcoming` (not yet ended, soonest first) or past (ended,
/// newest first), each with its sort key. Upcoming pages start a day back, so a visit under
/// way is still upcoming; what is filtered out still moves the cursor (`Paging::answer_with`).
pub async fn visits(
    table: &dyn Table,
    patient: &PatientId,
    upcoming: bool,
    after: Option<&str>,
    limit: usize,
    now: i64,
) -> PortResult<Vec<(String, Visit)>> {
    let at = |secs: i64| {
        let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        format!("{}{}", Kind::Appointment.by_time(), t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default())
    };
    let floor = if upcoming { at(now - 24 * 3600) } else { at(now) };
    let page = PageOf { prefix: Kind::Appointment.by_time(), after: Some(after.unwrap_or(&floor)), limit, newest_first: !upcoming };
    super::page_of(table, &patient_pk(patient), page).await
}

/// `HISTORY#<system>|<code>#`: `#` would end the code early, so it is escaped.
fn history_prefix(code: &Code) -> String {
    format!("HISTORY#{}|{}#", code.system.replace('#', "%23"), code.code.replace('#', "%23"))
}

#[derive(Debug, Serialize, Deserialize)]
struct Source {
    patient_id: PatientId,
    digest: String,
    last_updated: Option<When>,
    /// The sort keys (in the patient's partition) that hold the record now.
    keys: Vec<String>,
    version: u64,
}

fn source_key(id: &RecordId) -> Key {
    Key::new(format!("RECORD#{id}"), "SOURCE")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    Created,
    Updated,
    /// The same resource again, or an older version than the one held.
    Unchanged,
    /// Entered in error: out of every view.
    Removed,
}

#[derive(Debug, PartialEq)]
pub enum FileError {
    /// The resource was filed under another patient; moving it is for people to decide.
    OtherPatient,
    Port(PortError),
}

impl From<PortError> for FileError {
    fn from(e: PortError) -> Self {
        FileError::Port(e)
    }
}

/// Files a record, or its new version, or its removal, in one transaction with its source
/// item. Retried when another delivery of the same record wrote in between.
pub async fn file(table: &dyn Table, filing: &Filing) -> Result<Filed, FileError> {
    let mut attempts = 0;
    loop {
        match file_once(table, filing).await {
            Err(FileError::Port(PortError::Conflict)) if attempts < 3 => attempts += 1,
            other => return other,
        }
    }
}

async fn file_once(table: &dyn Table, f: &Filing) -> Result<Filed, FileError> {
    let current = match table.get(&source_key(&f.id)).await? {
        Some(item) => from_item::<Source>(item)?,
        None => None,
    };
    let keys: Vec<String> = f.items.iter().map(|i| sk_of(i).to_owned()).collect();
    let pk = patient_pk(&f.patient);
    let (version, condition, stale) = match &current {
        Some(cur) if cur.patient_id != f.patient => return Err(FileError::OtherPatient),
        Some(cur) if cur.digest == f.digest => return Ok(Filed::Unchanged),
        Some(cur) if older(f.last_updated.as_ref(), cur.last_updated.as_ref()) => return Ok(Filed::Unchanged),
        Some(cur) => (cur.version + 1, Condition::Version(cur.version), cur.keys.iter().filter(|k| !keys.contains(k)).cloned().collect()),
        None => (1, Condition::Absent, Vec::new()),
    };
    let source = Source { patient_id: f.patient, digest: f.digest.clone(), last_updated: f.last_updated.clone(), keys, version };
    let mut writes = vec![Write::Put { item: to_item(&source_key(&f.id), &source, None)?, condition }];
    writes.extend(stale.into_iter().map(|sk| Write::Delete { key: Key::new(&pk, sk), condition: Condition::None }));
    writes.extend(f.items.iter().map(|item| Write::Put { item: item.clone(), condition: Condition::None }));
    table.write(writes).await?;
    Ok(match (current, f.items.is_empty()) {
        (_, true) => Filed::Removed,
        (None, false) => Filed::Created,
        (Some(_), false) => Filed::Updated,
    })
}

/// Whether `incoming` was last updated before `held` (both instants; otherwise arrival
/// order decides and the later delivery wins).
fn older(incoming: Option<&When>, held: Option<&When>) -> bool {
    match (incoming.and_then(When::instant), held.and_then(When::instant)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

/// The record of this kind among items read with the patient (see `Kind::key`).
pub fn one_in<T: DeserializeOwned>(kind: Kind, items: Vec<Item>) -> PortResult<Option<T>> {
    match items.into_iter().find(|i| sk_of(i).starts_with(kind.by_id())) {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

/// One page of a patient's records of a kind, newest first, each with its sort key.
pub async fn page<T: DeserializeOwned>(
    table: &dyn Table,
    patient: &PatientId,
    kind: Kind,
    after: Option<&str>,
    limit: usize,
) -> PortResult<Vec<(String, T)>> {
    super::page_of(table, &patient_pk(patient), PageOf { prefix: kind.by_time(), after, limit, newest_first: true }).await
}

/// Every record of a kind of a patient's, oldest first (immunizations, medications: short
/// lists read whole).
pub async fn all<T: DeserializeOwned>(table: &dyn Table, patient: &PatientId, kind: Kind) -> PortResult<Vec<T>> {
    let mut out = Vec::new();
    for item in table.query(&patient_pk(patient), kind.by_time()).await? {
        out.extend(from_item(item)?);
    }
    Ok(out)
}

/// Every immunization of a patient, oldest first.
pub async fn immunizations(table: &dyn Table, patient: &PatientId) -> PortResult<Vec<Immunization>> {
    all(table, patient, Kind::Immunization).await
}

/// Every numeric result of a lab code, oldest first.
pub async fn history(table: &dyn Table, patient: &PatientId, code: &Code) -> PortResult<Vec<LabResult>> {
    let mut out = Vec::new();
    for item in table.query(&patient_pk(patient), &history_prefix(code)).await? {
        out.extend(from_item(item)?);
    }
    Ok(out)
}

/// These records of a kind of a patient's that exist, in one read (a report's results, the
/// medications of a refill request).
pub async fn by_ids<T: DeserializeOwned>(table: &dyn Table, patient: &PatientId, kind: Kind, ids: &[RecordId]) -> PortResult<Vec<T>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // BatchGetItem refuses a key twice (a result two reports list).
    let mut keys: Vec<Key> = ids.iter().map(|id| kind.key(patient, id)).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for item in table.get_many(&keys).await? {
        out.extend(from_item::<T>(item)?);
    }
    Ok(out)
}
