//! Which portal patient a resource is about. Patients are never created from what the
//! hospital sends: a resource matches exactly one patient the office registered, or it is
//! refused.

use crate::domain::{BirthDate, Clinic, Mrn, PatientId, CLINICS};
use crate::fhir::{self, Reference};
use crate::ports::{PortError, Table};
use crate::store::patients;
use serde_json::Value;
use std::collections::HashMap;

/// Why an entry was refused, or the store failed.
pub enum Miss {
    Refused(String),
    Port(PortError),
}

impl From<PortError> for Miss {
    fn from(e: PortError) -> Self {
        Miss::Port(e)
    }
}

pub struct Matcher<'a> {
    table: &'a dyn Table,
    mrn_system: &'a str,
    /// The bundle's `Patient` entries by `fullUrl`.
    in_bundle: HashMap<&'a str, &'a Value>,
    /// What each reference matched, so a bundle of many results reads once per patient.
    seen: HashMap<String, Result<PatientId, String>>,
}

const UNMATCHED: &str = "matches no patient of the portal";
const AMBIGUOUS: &str = "matches more than one patient of the portal";

impl<'a> Matcher<'a> {
    pub fn new(table: &'a dyn Table, mrn_system: &'a str, entries: &'a [fhir::Entry]) -> Self {
        let in_bundle = entries
            .iter()
            .filter_map(|e| Some((e.full_url.as_deref()?, e.resource.as_ref()?)))
            .filter(|(_, r)| r.get("resourceType").and_then(Value::as_str) == Some("Patient"))
            .collect();
        Matcher { table, mrn_system, in_bundle, seen: HashMap::new() }
    }

    /// The patient a subject (or `Immunization.patient`) refers to.
    pub async fn subject(&mut self, subject: Option<&Reference>) -> Result<PatientId, Miss> {
        let Some(subject) = subject else { return Err(Miss::Refused("the resource names no patient (subject)".into())) };
        let memo = match (&subject.reference, &subject.identifier) {
            (Some(r), _) => format!("ref {r}"),
            (None, Some(i)) => format!("id {}|{}", i.system.as_deref().unwrap_or_default(), i.value.as_deref().unwrap_or_default()),
            (None, None) => return Err(Miss::Refused("the subject has neither a reference nor an identifier".into())),
        };
        if let Some(known) = self.seen.get(&memo) {
            return known.clone().map_err(Miss::Refused);
        }
        let found = match (&subject.reference, &subject.identifier) {
            (Some(r), _) => self.by_reference(r).await?,
            (None, Some(i)) => self.by_identifier(i).await?,
            (None, None) => unreachable!("refused above"),
        };
        self.seen.insert(memo, found.clone());
        found.map_err(Miss::Refused)
    }

    /// Whether a reference names a patient: `Patient/…`, a `Patient` entry of the bundle,
    /// or an identifier of the hospital's MRN system (an `Appointment`'s participants).
    pub fn names_patient(&self, r: &Reference) -> bool {
        match (&r.reference, &r.identifier) {
            (Some(reference), _) => reference.starts_with("Patient/") || self.in_bundle.contains_key(reference.as_str()),
            (None, Some(i)) => i.system.as_deref() == Some(self.mrn_system),
            (None, None) => false,
        }
    }

    /// A bundle's `Patient` entry (itself never stored): whether it names one patient.
    pub async fn patient_entry(&mut self, full_url: Option<&str>, resource: &Value) -> Result<PatientId, Miss> {
        match full_url {
            Some(url) if url.starts_with("urn:uuid:") => {
                self.subject(Some(&Reference { reference: Some(url.to_owned()), ..Reference::default() })).await
            }
            _ => self.by_patient(resource).await?.map_err(Miss::Refused),
        }
    }

    async fn by_reference(&self, reference: &str) -> Result<Result<PatientId, String>, PortError> {
        if let Some(id) = reference.strip_prefix("Patient/") {
            let Ok(id) = PatientId::parse(id) else { return Ok(Err("refers to Patient/<id> with an id that is not a portal patient id".into())) };
            return Ok(match patients::get(self.table, &id).await? {
                Some(_) => Ok(id),
                None => Err(UNMATCHED.into()),
            });
        }
        if reference.starts_with("urn:uuid:") {
            return match self.in_bundle.get(reference) {
                Some(resource) => self.by_patient(resource).await,
                None => Ok(Err("refers to a urn:uuid that is no Patient entry of this bundle".into())),
            };
        }
        Ok(Err("the subject reference is neither Patient/<portal patient id> nor a urn:uuid Patient entry of this bundle".into()))
    }

    async fn by_identifier(&self, identifier: &fhir::Identifier) -> Result<Result<PatientId, String>, PortError> {
        if identifier.system.as_deref() != Some(self.mrn_system) {
            return Ok(Err("the subject identifier is not of the hospital's MRN system".into()));
        }
        let Some(mrn) = identifier.value.as_deref().and_then(|v| Mrn::parse(v).ok()) else { return Ok(Err(UNMATCHED.into())) };
        Ok(one(patients::with_mrn(self.table, &mrn).await?))
    }

    /// A `Patient` resource: by its MRN, else by family name and birth date within its
    /// clinic (`managingOrganization.identifier.value`, a clinic id), else within every clinic.
    async fn by_patient(&self, resource: &Value) -> Result<Result<PatientId, String>, PortError> {
        let patient: fhir::Patient = match fhir::read(resource) {
            Ok(p) => p,
            Err(why) => return Ok(Err(format!("the Patient entry is not a valid Patient: {why}"))),
        };
        if let Some(mrn) = patient.identifier.iter().find(|i| i.system.as_deref() == Some(self.mrn_system)) {
            return self.by_identifier(mrn).await;
        }
        let family = patient.name.iter().find_map(|n| n.family.as_deref());
        let birth = patient.birth_date.as_deref().and_then(|b| BirthDate::parse(b).ok());
        let (Some(family), Some(birth)) = (family, birth) else {
            return Ok(Err("the Patient entry has neither an MRN of the hospital's system nor a family name and birth date".into()));
        };
        let clinic = patient.managing_organization.as_ref().and_then(|o| o.identifier.as_ref()).and_then(|i| i.value.as_deref());
        let clinics: Vec<&str> = match clinic.and_then(|c| Clinic::parse(c).ok()) {
            Some(c) => vec![c.id],
            None => CLINICS.iter().map(|c| c.id).collect(),
        };
        Ok(one(patients::with_birth_and_family(self.table, &clinics, birth, family).await?))
    }
}

fn one(ids: Vec<PatientId>) -> Result<PatientId, String> {
    match ids.as_slice() {
        [id] => Ok(*id),
        [] => Err(UNMATCHED.into()),
        _ => Err(AMBIGUOUS.into()),
    }
}
