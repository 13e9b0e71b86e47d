//! The access audit: one append-only record per read or write of patient data, saying
//! who, acting for whom, what, when and with what outcome. No PHI: ids and words only.

use super::{now_rfc3339, to_item};
use crate::domain::PatientId;
use crate::ports::{Condition, Key, PortResult, Table, Write};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditRecord {
    pub at: String,
    /// The caller's `sub`.
    pub actor: String,
    pub patient_id: PatientId,
    /// e.g. "patient.create", "account.link", "account.read".
    pub action: String,
    /// "allowed" or "denied".
    pub outcome: String,
}

pub async fn record(table: &dyn Table, actor: &str, patient_id: &PatientId, action: &str, allowed: bool) -> PortResult<()> {
    let at = now_rfc3339();
    let rec = AuditRecord {
        at: at.clone(),
        actor: actor.to_owned(),
        patient_id: *patient_id,
        action: action.to_owned(),
        outcome: if allowed { "allowed" } else { "denied" }.to_owned(),
    };
    let key = Key::new(format!("AUDIT#{patient_id}"), format!("{at}#{}", uuid::Uuid::new_v4()));
    // Absent: an audit record is never overwritten.
    table.write(vec![Write::Put { item: to_item(&key, &rec, None)?, condition: Condition::Absent }]).await
}

/// A patient's audit trail, oldest first.
pub async fn for_patient(table: &dyn Table, patient_id: &PatientId) -> PortResult<Vec<AuditRecord>> {
    let mut out = Vec::new();
    for item in table.query(&format!("AUDIT#{patient_id}"), "").await? {
        out.extend(super::from_item::<AuditRecord>(item)?);
    }
    Ok(out)
}
