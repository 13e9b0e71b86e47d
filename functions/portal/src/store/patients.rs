use super::{from_item, to_item};
use crate::domain::{BirthDate, Mrn, PatientId, PersonName};
use crate::ports::{Condition, Key, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Patient {
    pub id: PatientId,
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub birth_date: BirthDate,
    pub clinic: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrn: Option<Mrn>,
    pub version: u64,
}

pub fn patient_key(id: &PatientId) -> Key {
    Key::new(format!("PATIENT#{id}"), "PATIENT")
}

pub async fn create(table: &dyn Table, patient: &Patient) -> PortResult<()> {
    let item = to_item(&patient_key(&patient.id), patient, None)?;
    table.write(vec![Write::Put { item, condition: Condition::Absent }]).await
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
