//! The parts of HL7 FHIR R4 the portal reads from the hospital's systems, and the
//! `batch-response` it answers with. Only the elements the portal uses are declared; every
//! other element is ignored, as FHIR readers should. Nothing here knows about storage.

use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The largest Bundle taken: the SQS message limit, so every way in takes the same.
pub const MAX_BUNDLE: usize = 1024 * 1024;

pub const FHIR_JSON: &str = "application/fhir+json";

pub const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
pub const INTERPRETATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
pub const LOINC: &str = "http://loinc.org";
pub const CVX: &str = "http://hl7.org/fhir/sid/cvx";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const DIAGNOSTIC_SERVICE: &str = "http://terminology.hl7.org/CodeSystem/v2-0074";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    pub resource_type: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub full_url: Option<String>,
    /// Kept as JSON: each entry is read as its own type, so one bad entry refuses only itself.
    pub resource: Option<Value>,
}

/// What identifies any resource: its id in the sender's system, where that system is
/// (`meta.source`), and its business identifiers.
#[derive(Debug, Deserialize)]
pub struct Head {
    #[serde(rename = "resourceType")]
    pub resource_type: String,
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub source: Option<String>,
    pub last_updated: Option<String>,
    #[serde(default)]
    pub security: Vec<Coding>,
}

impl Meta {
    /// Marked restricted or very restricted.
    pub fn restricted(&self) -> bool {
        self.security.iter().any(|c| c.system.as_deref() == Some(CONFIDENTIALITY) && matches!(c.code.as_deref(), Some("R" | "V")))
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Coding {
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct CodeableConcept {
    #[serde(default)]
    pub coding: Vec<Coding>,
    pub text: Option<String>,
}

impl CodeableConcept {
    pub fn code_in(&self, system: &str) -> Option<&Coding> {
        self.coding.iter().find(|c| c.system.as_deref() == Some(system) && c.code.is_some())
    }
    pub fn has(&self, system: &str, code: &str) -> bool {
        self.coding.iter().any(|c| c.system.as_deref() == Some(system) && c.code.as_deref() == Some(code))
    }
    /// What people read: the text, else the first display, else the first code.
    pub fn words(&self) -> Option<&str> {
        self.text
            .as_deref()
            .or_else(|| self.coding.iter().find_map(|c| c.display.as_deref()))
            .or_else(|| self.coding.iter().find_map(|c| c.code.as_deref()))
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Identifier {
    pub system: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Reference {
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub identifier: Option<Identifier>,
    pub display: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Quantity {
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReferenceRange {
    pub low: Option<Quantity>,
    pub high: Option<Quantity>,
    pub text: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Annotation {
    pub text: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Period {
    pub start: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    pub status: String,
    #[serde(default)]
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Option<Reference>,
    pub effective_date_time: Option<String>,
    pub effective_period: Option<Period>,
    pub issued: Option<String>,
    pub value_quantity: Option<Quantity>,
    pub value_string: Option<String>,
    pub value_codeable_concept: Option<CodeableConcept>,
    #[serde(default)]
    pub interpretation: Vec<CodeableConcept>,
    #[serde(default)]
    pub reference_range: Vec<ReferenceRange>,
    #[serde(default)]
    pub note: Vec<Annotation>,
    #[serde(default)]
    pub performer: Vec<Reference>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticReport {
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    pub status: String,
    #[serde(default)]
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Option<Reference>,
    pub effective_date_time: Option<String>,
    pub effective_period: Option<Period>,
    pub issued: Option<String>,
    #[serde(default)]
    pub result: Vec<Reference>,
    pub conclusion: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Immunization {
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    pub status: String,
    pub vaccine_code: CodeableConcept,
    pub patient: Reference,
    pub occurrence_date_time: Option<String>,
    pub lot_number: Option<String>,
    pub site: Option<CodeableConcept>,
    #[serde(default)]
    pub performer: Vec<ImmunizationPerformer>,
    #[serde(default)]
    pub protocol_applied: Vec<ProtocolApplied>,
}

#[derive(Debug, Deserialize)]
pub struct ImmunizationPerformer {
    pub actor: Reference,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolApplied {
    pub dose_number_positive_int: Option<u32>,
    pub dose_number_string: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MedicationRequest {
    pub status: String,
    #[serde(default)]
    pub meta: Meta,
    pub medication_codeable_concept: Option<CodeableConcept>,
    pub medication_reference: Option<Reference>,
    pub subject: Option<Reference>,
    pub authored_on: Option<String>,
    pub requester: Option<Reference>,
    #[serde(default)]
    pub dosage_instruction: Vec<Dosage>,
    pub dispense_request: Option<DispenseRequest>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Dosage {
    pub text: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DispenseRequest {
    pub number_of_repeats_allowed: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Appointment {
    pub status: String,
    #[serde(default)]
    pub meta: Meta,
    pub start: Option<String>,
    pub end: Option<String>,
    pub appointment_type: Option<CodeableConcept>,
    #[serde(default)]
    pub service_type: Vec<CodeableConcept>,
    pub description: Option<String>,
    pub patient_instruction: Option<String>,
    #[serde(default)]
    pub participant: Vec<AppointmentParticipant>,
}

#[derive(Debug, Deserialize)]
pub struct AppointmentParticipant {
    pub actor: Option<Reference>,
}

impl Appointment {
    /// The participants' actors that refer to a resource of this type (`Location/…`, or
    /// `type` saying so).
    pub fn actors<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Reference> {
        self.participant.iter().filter_map(|p| p.actor.as_ref()).filter(move |a| {
            a.kind.as_deref() == Some(kind) || a.reference.as_deref().and_then(|r| r.split_once('/')).is_some_and(|(t, _)| t == kind)
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub name: Vec<HumanName>,
    pub birth_date: Option<String>,
    pub managing_organization: Option<Reference>,
}

#[derive(Debug, Deserialize)]
pub struct HumanName {
    pub family: Option<String>,
}

/// Reads one resource as its type. The reason names the element, never its value (which
/// may be PHI).
pub fn read<T: serde::de::DeserializeOwned>(resource: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(resource).map_err(|e| {
        let path = e.path().to_string();
        if e.inner().to_string().starts_with("missing field") {
            let field = e.inner().to_string().split('`').nth(1).unwrap_or_default().to_owned();
            return if path == "." { format!("{field} is required") } else { format!("{path}.{field} is required") };
        }
        format!("{path} has the wrong type")
    })
}

/// A FHIR resource as an answer: 200, `application/fhir+json`, not stored by any cache.
pub fn response(resource: &Value) -> lambda_http::Response<lambda_http::Body> {
    let mut res = crate::http::json_response(lambda_http::http::StatusCode::OK, resource);
    res.headers_mut().insert("content-type", lambda_http::http::HeaderValue::from_static(FHIR_JSON));
    res
}

/// What became of one entry of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// Updated, unchanged, removed, or (a `Patient`) matched.
    Accepted,
    /// Refused, and why: words without PHI.
    Refused {
        code: &'static str,
        why: String,
    },
}

impl Outcome {
    pub fn refused(code: &'static str, why: impl Into<String>) -> Self {
        Outcome::Refused { code, why: why.into() }
    }
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Created => "201",
            Outcome::Accepted => "200",
            Outcome::Refused { .. } => "422",
        }
    }
}

/// The `batch-response` Bundle: one entry per entry of the bundle received, in its order.
pub fn batch_response(outcomes: &[Outcome]) -> Value {
    let entries: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            let mut response = Map::new();
            response.insert("status".into(), o.status().into());
            if let Outcome::Refused { code, why } = o {
                response.insert(
                    "outcome".into(),
                    json!({ "resourceType": "OperationOutcome", "issue": [{ "severity": "error", "code": code, "diagnostics": why }] }),
                );
            }
            json!({ "response": response })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": "batch-response", "entry": entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_names_the_element_never_its_value() {
        let bad = json!({"status": "final", "code": {"coding": []}, "valueQuantity": {"value": "Jane Doe"}});
        let why = read::<Observation>(&bad).unwrap_err();
        assert_eq!(why, "valueQuantity.value has the wrong type");
        assert_eq!(read::<Observation>(&json!({"status": "final"})).unwrap_err(), "code is required");
    }

    #[test]
    fn restricted_means_r_or_v_of_the_confidentiality_system() {
        let meta = |code: &str, system: &str| Meta {
            security: vec![Coding { system: Some(system.into()), code: Some(code.into()), display: None }],
            ..Meta::default()
        };
        assert!(meta("R", CONFIDENTIALITY).restricted());
        assert!(meta("V", CONFIDENTIALITY).restricted());
        assert!(!meta("N", CONFIDENTIALITY).restricted());
        assert!(!meta("R", "http://example.org/other").restricted());
    }
}
