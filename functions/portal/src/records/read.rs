//! FHIR resources read into the portal's records: what is kept, in what bounds, and why a
//! resource is refused. Reasons name elements, never values.

use crate::domain::{Flag, RecordId, VisitStatus, When, CLINICS};
use crate::fhir::{self, CodeableConcept, Reference};
use crate::store::records::{Code, Immunization, LabResult, LabValue, Medication, Range, Report, ReportResult, Vaccine, Visit};

/// What a resource says once read: a record to keep, or that it leaves every view (entered
/// in error; a prescription no longer active).
pub enum Read<T> {
    Keep(T),
    Withdrawn,
}

type Refusal = (&'static str, String);

fn invalid(why: impl Into<String>) -> Refusal {
    ("invalid", why.into())
}

/// Words kept from the sender: trimmed, at most `max` characters, no control characters
/// but line breaks.
fn words(element: &str, s: Option<&str>, max: usize) -> Result<Option<String>, Refusal> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if s.chars().count() > max {
        return Err(invalid(format!("{element} is longer than {max} characters")));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid(format!("{element} holds control characters")));
    }
    Ok(Some(s.to_owned()))
}

fn when(element: &str, s: Option<&str>) -> Result<Option<When>, Refusal> {
    s.map(|s| When::parse(s).map_err(|why| invalid(format!("{element} {why}")))).transpose()
}

fn display(r: &Reference) -> Option<&str> {
    r.display.as_deref()
}

const OBSERVATION_STATUSES: [&str; 8] = ["registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"];
const REPORT_STATUSES: [&str; 10] =
    ["registered", "partial", "preliminary", "final", "amended", "corrected", "appended", "cancelled", "entered-in-error", "unknown"];

fn status(element: &str, status: &str, known: &[&str]) -> Result<String, Refusal> {
    if known.contains(&status) {
        Ok(status.to_owned())
    } else {
        Err(invalid(format!("{element} is not a status of this resource type")))
    }
}

fn lab_code(code: &CodeableConcept) -> Result<(Code, String), Refusal> {
    let coding = code
        .code_in(fhir::LOINC)
        .or_else(|| code.coding.iter().find(|c| c.system.is_some() && c.code.is_some()))
        .ok_or_else(|| invalid("code needs a coding with a system and a code"))?;
    let system = words("code.coding.system", coding.system.as_deref(), 200)?.unwrap_or_default();
    let value = words("code.coding.code", coding.code.as_deref(), 100)?.unwrap_or_default();
    let name = words("code.text", code.words(), 200)?.unwrap_or_else(|| value.clone());
    Ok((Code { system, code: value }, name))
}

/// A laboratory `Observation` as a lab result.
pub fn observation(o: &fhir::Observation, id: RecordId, report_id: Option<RecordId>) -> Result<Read<LabResult>, Refusal> {
    if !o.category.iter().any(|c| c.has(fhir::OBSERVATION_CATEGORY, "laboratory")) {
        return Err(("not-supported", "only laboratory Observations are taken (category laboratory)".into()));
    }
    let status = status("status", &o.status, &OBSERVATION_STATUSES)?;
    if status == "entered-in-error" {
        return Ok(Read::Withdrawn);
    }
    let (code, name) = lab_code(&o.code)?;
    let effective = o.effective_date_time.as_deref().or_else(|| o.effective_period.as_ref().and_then(|p| p.start.as_deref()));
    let effective = when("effectiveDateTime", effective)?.ok_or_else(|| invalid("effectiveDateTime (or effectivePeriod.start) is required"))?;
    let (value, unit) = match (&o.value_quantity, &o.value_string, &o.value_codeable_concept) {
        (Some(q), _, _) => {
            let v = q.value.filter(|v| v.is_finite()).ok_or_else(|| invalid("valueQuantity.value is required"))?;
            (Some(LabValue::Number(v)), words("valueQuantity.unit", q.unit.as_deref().or(q.code.as_deref()), 40)?)
        }
        (None, Some(s), _) => (words("valueString", Some(s), 1000)?.map(LabValue::Text), None),
        (None, None, Some(c)) => (words("valueCodeableConcept", c.words(), 200)?.map(LabValue::Text), None),
        (None, None, None) => (None, None),
    };
    let range = match o.reference_range.first() {
        None => None,
        Some(r) => Some(Range {
            low: r.low.as_ref().and_then(|q| q.value).filter(|v| v.is_finite()),
            high: r.high.as_ref().and_then(|q| q.value).filter(|v| v.is_finite()),
            text: words("referenceRange.text", r.text.as_deref(), 200)?,
        }),
    };
    let coded = o.interpretation.iter().find_map(|c| c.code_in(fhir::INTERPRETATION).and_then(|c| c.code.as_deref()).and_then(Flag::of_code));
    let interpretation = match coded {
        Some(flag) => Some(flag.words().to_owned()),
        None => words("interpretation.text", o.interpretation.first().and_then(CodeableConcept::words), 100)?,
    };
    let flag = coded.or_else(|| match (&value, &range) {
        (Some(LabValue::Number(v)), Some(r)) => Flag::of_range(*v, r.low, r.high),
        _ => None,
    });
    let notes: Vec<&str> = o.note.iter().filter_map(|n| n.text.as_deref()).collect();
    Ok(Read::Keep(LabResult {
        id,
        name,
        code,
        value,
        unit,
        flag,
        status,
        effective,
        issued: when("issued", o.issued.as_deref())?,
        report_id,
        reference_range: range,
        interpretation,
        note: words("note", Some(&notes.join("\n")), 4000)?,
        performer: words("performer.display", o.performer.iter().find_map(display), 200)?,
        confidential: o.meta.restricted(),
    }))
}

/// A laboratory `DiagnosticReport`, with the ids of its results; and the time it is listed by.
pub fn report(r: &fhir::DiagnosticReport, id: RecordId, results: Vec<ReportResult>) -> Result<Read<(Report, When)>, Refusal> {
    if !r.category.iter().any(|c| c.has(fhir::DIAGNOSTIC_SERVICE, "LAB")) {
        return Err(("not-supported", "only laboratory DiagnosticReports are taken (category LAB)".into()));
    }
    let status = status("status", &r.status, &REPORT_STATUSES)?;
    if status == "entered-in-error" {
        return Ok(Read::Withdrawn);
    }
    let (_, name) = lab_code(&r.code)?;
    let effective =
        when("effectiveDateTime", r.effective_date_time.as_deref().or_else(|| r.effective_period.as_ref().and_then(|p| p.start.as_deref())))?;
    let issued = when("issued", r.issued.as_deref())?;
    let time = issued.clone().or_else(|| effective.clone()).ok_or_else(|| invalid("issued or effectiveDateTime is required"))?;
    let conclusion = words("conclusion", r.conclusion.as_deref(), 4000)?;
    Ok(Read::Keep((Report { id, name, status, effective, issued, conclusion, results, confidential: r.meta.restricted() }, time)))
}

pub fn immunization(i: &fhir::Immunization, id: RecordId) -> Result<Read<Immunization>, Refusal> {
    let status = status("status", &i.status, &["completed", "not-done", "entered-in-error"])?;
    if status == "entered-in-error" {
        return Ok(Read::Withdrawn);
    }
    let cvx = i.vaccine_code.code_in(fhir::CVX).and_then(|c| c.code.as_deref()).ok_or_else(|| invalid("vaccineCode needs a CVX coding"))?;
    let cvx = words("vaccineCode.coding.code", Some(cvx), 10)?.unwrap_or_default();
    let name = words("vaccineCode.text", i.vaccine_code.words(), 200)?.unwrap_or_else(|| cvx.clone());
    let date = when("occurrenceDateTime", i.occurrence_date_time.as_deref())?.ok_or_else(|| invalid("occurrenceDateTime is required"))?;
    Ok(Read::Keep(Immunization {
        id,
        vaccine: Vaccine { cvx, name },
        date,
        dose_number: i.protocol_applied.iter().find_map(|p| p.dose_number_positive_int).filter(|n| *n > 0),
        lot_number: words("lotNumber", i.lot_number.as_deref(), 40)?,
        site: words("site", i.site.as_ref().and_then(CodeableConcept::words), 100)?,
        performer: words("performer.actor.display", i.performer.iter().find_map(|p| display(&p.actor)), 200)?,
        status,
        confidential: i.meta.restricted(),
    }))
}

/// A visit of the hospital's schedule. Its reason (`reasonCode`, `reasonReference`) and
/// `comment` are never read: families see where and when, and what to bring.
pub fn appointment(a: &fhir::Appointment, id: RecordId) -> Result<Read<Visit>, Refusal> {
    let status = match a.status.as_str() {
        "entered-in-error" => return Ok(Read::Withdrawn),
        "checked-in" => VisitStatus::Arrived,
        "proposed" | "pending" | "waitlist" => {
            return Err(("not-supported", "only Appointments of the schedule are taken (booked, arrived, fulfilled, cancelled, noshow)".into()))
        }
        s => VisitStatus::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| invalid("status is not a status of this resource type"))?,
    };
    let instant = |element: &str, s: Option<&str>| -> Result<When, Refusal> {
        let w = when(element, s)?.ok_or_else(|| invalid(format!("{element} is required")))?;
        w.instant().map(|_| w.clone()).ok_or_else(|| invalid(format!("{element} must be an instant with its offset")))
    };
    let start = instant("start", a.start.as_deref())?;
    let end = instant("end", a.end.as_deref())?;
    if end.sort_key() < start.sort_key() {
        return Err(invalid("end is before start"));
    }
    let place = a.actors("Location").next();
    let clinic = place.and_then(|l| {
        let by_id = l.reference.as_deref().and_then(|r| r.rsplit_once('/')).map(|(_, id)| id);
        CLINICS.iter().find(|c| Some(c.id) == by_id || l.display.as_deref().is_some_and(|d| d.trim().eq_ignore_ascii_case(c.name)))
    });
    let location = match clinic {
        Some(c) if place.and_then(display).is_some_and(|d| d.trim().eq_ignore_ascii_case(c.name)) => None,
        _ => words("participant.actor.display", place.and_then(display), 200)?,
    };
    let kind = a.appointment_type.as_ref().and_then(CodeableConcept::words).or_else(|| a.service_type.iter().find_map(CodeableConcept::words));
    let kind = match kind {
        Some(k) => words("appointmentType", Some(k), 200)?,
        None => words("description", a.description.as_deref(), 200)?,
    };
    Ok(Read::Keep(Visit {
        id,
        status,
        start,
        end,
        clinic: clinic.map(|c| c.id.to_owned()),
        provider: words("participant.actor.display", a.actors("Practitioner").find_map(display), 200)?,
        location,
        kind,
        instructions: words("patientInstruction", a.patient_instruction.as_deref(), 2000)?,
        request_id: None,
        confidential: a.meta.restricted(),
    }))
}

/// A prescription: kept while `active` (or `on-hold`); `stopped`, `completed`, `cancelled`
/// and `entered-in-error` take it off the list.
pub fn medication(m: &fhir::MedicationRequest, id: RecordId) -> Result<Read<Medication>, Refusal> {
    match m.status.as_str() {
        "active" | "on-hold" => {}
        "stopped" | "completed" | "cancelled" | "entered-in-error" => return Ok(Read::Withdrawn),
        "draft" | "unknown" => return Err(("not-supported", "only active prescriptions are taken (status active or on-hold)".into())),
        _ => return Err(invalid("status is not a status of this resource type")),
    }
    let (name, rxnorm) = match (&m.medication_codeable_concept, &m.medication_reference) {
        (Some(c), _) => (words("medicationCodeableConcept.text", c.words(), 200)?, c.code_in(fhir::RXNORM).and_then(|c| c.code.as_deref())),
        (None, Some(r)) => (words("medicationReference.display", display(r), 200)?, None),
        (None, None) => (None, None),
    };
    let name = name.ok_or_else(|| invalid("medicationCodeableConcept (or medicationReference.display) is required"))?;
    Ok(Read::Keep(Medication {
        id,
        name,
        rxnorm: words("medicationCodeableConcept.coding.code", rxnorm, 20)?,
        dosage: words("dosageInstruction.text", m.dosage_instruction.iter().find_map(|d| d.text.as_deref()), 1000)?,
        prescriber: words("requester.display", m.requester.as_ref().and_then(display), 200)?,
        refills_left: m.dispense_request.as_ref().and_then(|d| d.number_of_repeats_allowed),
        written: when("authoredOn", m.authored_on.as_deref())?.ok_or_else(|| invalid("authoredOn is required"))?,
        confidential: m.meta.restricted(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(resource: serde_json::Value) -> Result<Read<Visit>, Refusal> {
        appointment(&fhir::read(&resource).unwrap(), RecordId::new())
    }

    #[test]
    fn a_visit_keeps_where_when_and_who_but_never_why() {
        let a = json!({
            "resourceType": "Appointment", "status": "checked-in",
            "start": "2026-12-03T09:30:00-05:00", "end": "2026-12-03T10:00:00-05:00",
            "appointmentType": { "text": "Follow-up" },
            "reasonCode": [{ "text": "Chest pain" }], "comment": "Anxious",
            "patientInstruction": "Bring the inhaler.",
            "participant": [
                { "actor": { "reference": "Patient/x" } },
                { "actor": { "reference": "Practitioner/p1", "display": "Dr. Ana Ruiz" } },
                { "actor": { "reference": "Location/l9", "display": "Pediatric GI" } }
            ]
        });
        let Ok(Read::Keep(v)) = read(a) else { panic!("not kept") };
        assert_eq!(v.status, VisitStatus::Arrived);
        assert_eq!(v.clinic.as_deref(), Some("pediatric-gi"));
        assert_eq!((v.location.as_deref(), v.provider.as_deref(), v.kind.as_deref()), (None, Some("Dr. Ana Ruiz"), Some("Follow-up")));
        let stored = serde_json::to_string(&v).unwrap();
        assert!(!stored.contains("Chest") && !stored.contains("Anxious"));
    }

    #[test]
    fn proposals_and_dates_without_times_are_refused() {
        let base = |status: &str, start: &str| {
            json!({ "resourceType": "Appointment", "status": status, "start": start, "end": "2026-12-03T10:00:00Z",
                    "participant": [{ "actor": { "reference": "Location/pediatric-urology", "display": "Building B" } }] })
        };
        assert!(matches!(read(base("proposed", "2026-12-03T09:00:00Z")), Err(("not-supported", _))));
        assert!(read(base("booked", "2026-12-03")).is_err());
        assert!(read(base("booked", "2026-12-03T11:00:00Z")).is_err(), "end before start");
        assert!(matches!(read(base("entered-in-error", "2026-12-03T09:00:00Z")), Ok(Read::Withdrawn)));
        let Ok(Read::Keep(v)) = read(base("booked", "2026-12-03T09:00:00Z")) else { panic!("not kept") };
        assert_eq!((v.clinic.as_deref(), v.location.as_deref()), (Some("pediatric-urology"), Some("Building B")));
    }
}
