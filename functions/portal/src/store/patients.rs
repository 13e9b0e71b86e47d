//! Patients: the record the office registers ("Pt Demographics" lives in it), its
//! "Additional information", and the per-clinic index the office searches.
//!
//! Search index items live in partition `CLINIC#<clinic>` under three sort keys per
//! patient, `NAME#<family>\u{1}<given>#<id>`, `DOB#<date>#<id>` and `MRN#<mrn>#<id>`, each
//! holding what a search result shows. A search is one Query per clinic, never a Scan;
//! the index items are written in the same transaction as the patient.

use super::{from_item, to_item};
use crate::domain::{Address, BirthDate, Bounded, EmailAddress, EmergencyContact, Mrn, PatientId, PersonName, Pharmacy, Phone};
use crate::ports::{Condition, Item, Key, PageOf, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Patient {
    pub id: PatientId,
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub birth_date: BirthDate,
    pub clinic: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrn: Option<Mrn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default)]
    pub phones: Bounded<Phone, 0, 5>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    pub version: u64,
}

impl Patient {
    /// A newly registered patient: nothing but what the office entered.
    pub fn new(given_name: PersonName, family_name: PersonName, birth_date: BirthDate, clinic: &str, mrn: Option<Mrn>) -> Self {
        Patient {
            id: PatientId::new(),
            given_name,
            family_name,
            birth_date,
            clinic: clinic.to_owned(),
            mrn,
            address: None,
            phones: Bounded::default(),
            email: None,
            version: 0,
        }
    }
}

/// "Additional information": emergency contacts and the preferred pharmacy.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AdditionalInfo {
    pub emergency_contacts: Bounded<EmergencyContact, 0, 10>,
    pub pharmacy: Option<Pharmacy>,
    /// 0 until first saved.
    pub version: u64,
}

/// What a search result shows of a patient.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Found {
    pub id: PatientId,
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub birth_date: BirthDate,
    pub clinic: String,
}

pub fn patient_key(id: &PatientId) -> Key {
    Key::new(format!("PATIENT#{id}"), "PATIENT")
}

/// The sort key of a patient's additional information, to read it with the patient.
const INFO_SK: &str = "INFO";

/// Another item of a patient's partition, read in one call with the patient (for example
/// `info_key`, or a record of the patient's): its key, from the patient's id.
pub type Also<'a> = &'a (dyn Fn(&PatientId) -> Key + Sync);

pub fn info_key(id: &PatientId) -> Key {
    Key::new(format!("PATIENT#{id}"), INFO_SK)
}

/// Between the family and the given name in an index key: it sorts before every character
/// a name can hold (names hold no control characters), so "Smith" comes before "Smithson".
pub const NAME_SEPARATOR: char = '\u{1}';

/// Lower case, single spaces, and no `#`, which the sort keys use as a separator.
pub fn fold(s: &str) -> String {
    s.to_lowercase().replace('#', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the office searches a clinic's patient index by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    BirthDate(BirthDate),
    Mrn(Mrn),
    /// A family name, or its start; with the given name (or its start) after it.
    Name {
        family: String,
        given: Option<String>,
    },
}

impl Lookup {
    /// The start of the index sort keys that answer it. Names are folded here, as when indexed.
    pub fn prefix(&self) -> String {
        match self {
            Lookup::BirthDate(date) => format!("DOB#{}#", String::from(*date)),
            Lookup::Mrn(mrn) => format!("MRN#{}#", String::from(mrn.clone()).to_uppercase()),
            Lookup::Name { family, given: None } => format!("NAME#{}", fold(family)),
            Lookup::Name { family, given: Some(given) } => format!("NAME#{}{NAME_SEPARATOR}{}", fold(family), fold(given)),
        }
    }
}

fn index_keys(p: &Patient) -> Vec<Key> {
    let pk = format!("CLINIC#{}", p.clinic);
    let mut keys = vec![
        Key::new(&pk, format!("NAME#{}{NAME_SEPARATOR}{}#{}", fold(p.family_name.as_str()), fold(p.given_name.as_str()), p.id)),
        Key::new(&pk, format!("DOB#{}#{}", String::from(p.birth_date), p.id)),
    ];
    if let Some(mrn) = &p.mrn {
        keys.push(Key::new(&pk, format!("MRN#{}#{}", String::from(mrn.clone()).to_uppercase(), p.id)));
    }
    keys
}

fn index_puts(p: &Patient) -> PortResult<Vec<Write>> {
    let found =
        Found { id: p.id, given_name: p.given_name.clone(), family_name: p.family_name.clone(), birth_date: p.birth_date, clinic: p.clinic.clone() };
    index_keys(p).iter().map(|k| Ok(Write::Put { item: to_item(k, &found, None)?, condition: Condition::None })).collect()
}

/// `CLINIC#<clinic>` / `MRNCLAIM#<MRN>`: an MRN names one patient of a clinic, whatever
/// its letter case.
fn mrn_claim_key(clinic: &str, mrn: &Mrn) -> Key {
    Key::new(format!("CLINIC#{clinic}"), format!("MRNCLAIM#{}", String::from(mrn.clone()).to_uppercase()))
}

#[derive(Serialize, Deserialize)]
struct MrnClaim {
    id: PatientId,
}

/// Stores a newly registered patient with its index entries; `Conflict` when its MRN is
/// already registered in its clinic.
pub async fn create(table: &dyn Table, patient: &Patient) -> PortResult<()> {
    let mut writes = vec![Write::Put { item: to_item(&patient_key(&patient.id), patient, None)?, condition: Condition::Absent }];
    if let Some(mrn) = &patient.mrn {
        let claim = to_item(&mrn_claim_key(&patient.clinic, mrn), &MrnClaim { id: patient.id }, None)?;
        writes.push(Write::Put { item: claim, condition: Condition::Absent });
    }
    writes.extend(index_puts(patient)?);
    table.write(writes).await
}

/// The patients registered with this MRN, in any clinic: one read of every clinic's claim.
pub async fn with_mrn(table: &dyn Table, mrn: &Mrn) -> PortResult<Vec<PatientId>> {
    let keys: Vec<Key> = crate::domain::CLINICS.iter().map(|c| mrn_claim_key(c.id, mrn)).collect();
    let mut out = Vec::new();
    for item in table.get_many(&keys).await? {
        out.extend(from_item::<MrnClaim>(item)?.map(|c| c.id));
    }
    Ok(out)
}

/// The patients of these clinics born on `birth` whose family name is `family` (folded):
/// one Query of each clinic's birth-date index.
pub async fn with_birth_and_family(table: &dyn Table, clinics: &[&str], birth: BirthDate, family: &str) -> PortResult<Vec<PatientId>> {
    let prefix = Lookup::BirthDate(birth).prefix();
    let mut out = Vec::new();
    for clinic in clinics {
        for item in table.query(&format!("CLINIC#{clinic}"), &prefix).await? {
            out.extend(from_item::<Found>(item)?.filter(|f| fold(f.family_name.as_str()) == fold(family)).map(|f| f.id));
        }
    }
    Ok(out)
}

/// Writes `next` over `current` if nobody changed the patient since it was read (else
/// `Conflict`), with its search index entries: rewritten every time, so they follow a
/// corrected name or birth date and are never missing after a save.
pub async fn update(table: &dyn Table, current: &Patient, mut next: Patient) -> PortResult<Patient> {
    next.version = current.version + 1;
    let mut writes = vec![Write::Put { item: to_item(&patient_key(&next.id), &next, None)?, condition: Condition::Version(current.version) }];
    let new = index_keys(&next);
    writes.extend(index_keys(current).into_iter().filter(|k| !new.contains(k)).map(|key| Write::Delete { key, condition: Condition::None }));
    writes.extend(index_puts(&next)?);
    table.write(writes).await?;
    Ok(next)
}

pub async fn get(table: &dyn Table, id: &PatientId) -> PortResult<Option<Patient>> {
    match table.get(&patient_key(id)).await? {
        Some(item) => from_item(item),
        None => Ok(None),
    }
}

/// Several patients in one round trip (BatchGetItem).
pub async fn get_many(table: &dyn Table, ids: &[PatientId]) -> PortResult<Vec<Patient>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<Key> = ids.iter().map(patient_key).collect();
    let mut out = Vec::new();
    for item in table.get_many(&keys).await? {
        out.extend(from_item::<Patient>(item)?);
    }
    Ok(out)
}

/// The stored additional information among items read with the patient, or the empty one.
pub fn info_in(items: Vec<Item>) -> PortResult<AdditionalInfo> {
    for item in items {
        if super::sk_of(&item) == INFO_SK {
            return Ok(from_item(item)?.unwrap_or_default());
        }
    }
    Ok(AdditionalInfo::default())
}

pub async fn save_info(table: &dyn Table, id: &PatientId, current_version: u64, info: &AdditionalInfo) -> PortResult<AdditionalInfo> {
    let next = AdditionalInfo { version: current_version + 1, ..info.clone() };
    let condition = if current_version == 0 { Condition::Absent } else { Condition::Version(current_version) };
    table.write(vec![Write::Put { item: to_item(&info_key(id), &next, None)?, condition }]).await?;
    Ok(next)
}

/// One page of a clinic's index entries starting with `prefix`, after sort key `after`.
pub async fn search_clinic(table: &dyn Table, clinic: &str, prefix: &str, after: Option<&str>, limit: usize) -> PortResult<Vec<(String, Found)>> {
    super::page_of(table, &format!("CLINIC#{clinic}"), PageOf { prefix, after, limit, newest_first: false }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lookup_is_a_prefix_of_the_index_key_it_finds() {
        let name = |s: &str| PersonName::parse(s).unwrap();
        let birth = BirthDate::parse("2015-03-09").unwrap();
        let p = Patient::new(name("Mary Ann"), name("Smith"), birth, "cardiology", Some(Mrn::parse("ab123").unwrap()));
        let keys: Vec<String> = index_keys(&p).into_iter().map(|k| k.sk).collect();
        let finds = |l: Lookup| keys.iter().any(|k| k.starts_with(&l.prefix()));
        let by_name = |family: &str, given: Option<&str>| Lookup::Name { family: family.into(), given: given.map(Into::into) };
        assert!(finds(by_name("smi", None)));
        assert!(finds(by_name("Smith", Some("mary"))));
        assert!(finds(Lookup::BirthDate(birth)));
        assert!(finds(Lookup::Mrn(Mrn::parse("AB123").unwrap())));
        assert!(!finds(by_name("smithson", None)), "a longer family name");
        assert!(!finds(by_name("smith", Some("jo"))));
        assert_eq!(by_name("smith", Some("jo")).prefix(), "NAME#smith\u{1}jo");
    }
}
