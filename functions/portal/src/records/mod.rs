//! The way in for the hospital's clinical data: a FHIR R4 Bundle (`batch`, `transaction`
//! or `collection`) of lab `Observation`s, `DiagnosticReport`s, `Immunization`s, the
//! schedule's `Appointment`s and prescriptions (`MedicationRequest`), with the `Patient`s
//! they refer to. Every way in calls `ingest`: the `records-ingest` queue
//! consumer on AWS, `POST /dev/fhir` and `portal-local import` in the local run.
//!
//! Each entry is matched to one portal patient (`matching`), read into a record (`read`)
//! and filed in one transaction (`store::records::file`): an entry is applied whole or not
//! at all, and one entry's refusal never stops another. The same bundle sent again changes
//! nothing, so a sender (or the queue) may always retry. A `transaction` bundle is applied
//! entry by entry like a `batch`: the hospital's engine sends results as they are final,
//! and holding good results back because another entry is refused would delay them.

mod matching;
pub mod notify;
mod read;

use crate::domain::{PatientId, RecordId, When};
use crate::fhir::{self, Head, Outcome};
use crate::store::imports::{self, Import, Refusal};
use crate::store::records::{self as store, FileError, Filed, Filing, ReportResult};
use crate::store::{secret, sha256_hex};
use crate::{App, Problem};
use matching::{Matcher, Miss};
use read::Read;
use serde_json::Value;
use std::collections::HashMap;

/// Where the hospital's MRNs come from: the `system` of the identifiers that carry them.
pub const MRN_SYSTEM_VAR: &str = "PORTAL_MRN_SYSTEM";

/// The answer to one bundle: the `batch-response`, and how many entries were refused.
pub struct Ingested {
    pub response: Value,
    pub refused: usize,
}

/// Applies a bundle and records what became of it (see `store::imports`). A bundle that
/// is not one (not JSON, not a Bundle, another type, over 1 MiB) is a 4xx problem and
/// changes nothing but that record; a store failure part-way is a 503 after which the whole
/// bundle may be sent again.
pub async fn ingest(app: &App, body: &[u8]) -> Result<Ingested, Problem> {
    let (entries, outcomes) = match apply_bundle(app, body).await {
        Ok(done) => done,
        Err(problem) if problem.status.is_client_error() => {
            imports::record(app.table.as_ref(), &Import::new(0, Vec::new(), Some(problem.detail.clone()))).await?;
            return Err(problem);
        }
        Err(problem) => return Err(problem),
    };
    let refusals: Vec<Refusal> = outcomes
        .iter()
        .zip(&entries)
        .enumerate()
        .filter_map(|(index, (o, resource_type))| match o {
            Outcome::Refused { why, .. } => Some(Refusal { index, resource_type: resource_type.clone(), reason: why.clone() }),
            _ => None,
        })
        .collect();
    let created = outcomes.iter().filter(|o| **o == Outcome::Created).count();
    tracing::info!(entries = outcomes.len(), created, refused = refusals.len(), "bundle applied");
    let refused = refusals.len();
    imports::record(app.table.as_ref(), &Import::new(outcomes.len(), refusals, None)).await?;
    Ok(Ingested { response: fhir::batch_response(&outcomes), refused })
}

/// Each entry's resource type (as the import record names it) and outcome.
async fn apply_bundle(app: &App, body: &[u8]) -> Result<(Vec<String>, Vec<Outcome>), Problem> {
    if body.len() > fhir::MAX_BUNDLE {
        return Err(Problem::too_large());
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| Problem::malformed("The body is not JSON."))?;
    if value.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(Problem::malformed("The body is not a FHIR Bundle."));
    }
    let bundle: fhir::Bundle = fhir::read(&value).map_err(|why| Problem::malformed(format!("The Bundle is not valid: {why}.")))?;
    if !matches!(bundle.kind.as_str(), "batch" | "transaction" | "collection") {
        return Err(Problem::invalid("type", "type must be batch, transaction or collection."));
    }
    let ids = Ids { secret: app.secret().await?, bundle_source: bundle.meta.source.as_deref() };
    let report_of = reports_in(&ids, &bundle.entry);
    let mut matcher = Matcher::new(app.table.as_ref(), &app.mrn_system, &bundle.entry);
    let mut outcomes = Vec::with_capacity(bundle.entry.len());
    // The patients something new was filed for, and whether any of it is not confidential.
    let mut news: Vec<(PatientId, bool)> = Vec::new();
    for (i, entry) in bundle.entry.iter().enumerate() {
        let at = At { ids: &ids, entries: &bundle.entry, entry, report_id: report_of.get(&i).copied() };
        let Applied { outcome, news: new } = apply(app, &mut matcher, &at).await?;
        if let Some((patient, confidential)) = new {
            match news.iter_mut().find(|(p, _)| *p == patient) {
                Some((_, open)) => *open |= !confidential,
                None => news.push((patient, !confidential)),
            }
        }
        outcomes.push(outcome);
    }
    for (patient, open) in news {
        // The records are filed: a mail failure must not undo that or send the bundle back
        // (a second delivery would change nothing, and so tell no one either).
        let told = match crate::store::patients::get(app.table.as_ref(), &patient).await {
            Ok(Some(p)) => notify::new_information(app, &p, open).await,
            Ok(None) => Ok(0),
            Err(e) => Err(e),
        };
        if let Err(e) = told {
            tracing::warn!(error = %e, "new-information emails not sent");
        }
    }
    let types = bundle.entry.iter().map(|e| type_name(e.resource.as_ref().and_then(|r| r.get("resourceType")).and_then(Value::as_str))).collect();
    Ok((types, outcomes))
}

/// A resource type as the portal repeats it: a FHIR type name, or words saying it is not one.
fn type_name(kind: Option<&str>) -> String {
    match kind {
        Some(k) if !k.is_empty() && k.len() <= 64 && k.chars().all(|c| c.is_ascii_alphabetic()) => k.to_owned(),
        _ => "(not a resource type)".to_owned(),
    }
}

/// One entry, in its bundle.
struct At<'a> {
    ids: &'a Ids<'a>,
    entries: &'a [fhir::Entry],
    entry: &'a fhir::Entry,
    /// The report of this bundle that lists it, for an `Observation`.
    report_id: Option<RecordId>,
}

/// The portal's ids of what the hospital sends.
struct Ids<'a> {
    secret: &'a [u8],
    bundle_source: Option<&'a str>,
}

impl Ids<'_> {
    /// From the resource's source identity: where it comes from (`meta.source`, else the
    /// bundle's) with its id there; else its first business identifier; else its id alone
    /// (Synthea-style bundles, whose ids are UUIDs).
    fn of(&self, head: &Head) -> Option<RecordId> {
        let kind = head.resource_type.as_str();
        let source = head.meta.source.as_deref().or(self.bundle_source);
        let identifier = head.identifier.iter().find_map(|i| Some((i.system.as_deref()?, i.value.as_deref()?)));
        let digest = match (source, &head.id, identifier) {
            (Some(source), Some(id), _) => secret::keyed(self.secret, &["record", kind, source, id]),
            (_, _, Some((system, value))) => secret::keyed(self.secret, &["record", kind, "identifier", system, value]),
            (None, Some(id), None) => secret::keyed(self.secret, &["record", kind, "", id]),
            (Some(_), None, None) | (None, None, None) => return None,
        };
        Some(RecordId::from_digest(&digest))
    }
}

/// For each `Observation` entry a `DiagnosticReport` of the bundle lists, that report's id.
fn reports_in(ids: &Ids, entries: &[fhir::Entry]) -> HashMap<usize, RecordId> {
    let mut out = HashMap::new();
    for entry in entries {
        let Some(resource) = &entry.resource else { continue };
        if resource.get("resourceType").and_then(Value::as_str) != Some("DiagnosticReport") {
            continue;
        }
        let (Ok(head), Ok(report)) = (fhir::read::<Head>(resource), fhir::read::<fhir::DiagnosticReport>(resource)) else { continue };
        let Some(report_id) = ids.of(&head) else { continue };
        for reference in report.result.iter().filter_map(|r| r.reference.as_deref()) {
            if let Some(i) = entry_of(entries, reference) {
                out.insert(i, report_id);
            }
        }
    }
    out
}

/// The entry a reference names: by `fullUrl`, or `Observation/<id>` by its id.
fn entry_of(entries: &[fhir::Entry], reference: &str) -> Option<usize> {
    entries.iter().position(|e| e.full_url.as_deref() == Some(reference)).or_else(|| {
        let id = reference.strip_prefix("Observation/")?;
        entries.iter().position(|e| {
            e.resource.as_ref().is_some_and(|r| {
                r.get("resourceType").and_then(Value::as_str) == Some("Observation") && r.get("id").and_then(Value::as_str) == Some(id)
            })
        })
    })
}

/// A report's results: the bundle's entries it names, or, for an `Observation/<id>` sent
/// earlier, the id that resource was filed under (marked as the report is, since what was
/// sent earlier is not read here).
fn results_of(ids: &Ids, entries: &[fhir::Entry], report: &fhir::DiagnosticReport, report_head: &Head) -> Vec<ReportResult> {
    report
        .result
        .iter()
        .filter_map(|r| r.reference.as_deref())
        .filter_map(|reference| {
            let head = match entry_of(entries, reference) {
                Some(i) => entries[i].resource.as_ref().and_then(|r| fhir::read::<Head>(r).ok())?,
                None => Head {
                    resource_type: "Observation".into(),
                    id: Some(reference.strip_prefix("Observation/")?.to_owned()),
                    meta: report_head.meta.clone(),
                    identifier: Vec::new(),
                },
            };
            Some(ReportResult { id: ids.of(&head)?, confidential: head.meta.restricted() })
        })
        .collect()
}

/// What became of an entry: its outcome and, when something was filed new or changed, for
/// whom and whether it is marked confidential (who is told of it).
struct Applied {
    outcome: Outcome,
    news: Option<(PatientId, bool)>,
}

impl From<Outcome> for Applied {
    fn from(outcome: Outcome) -> Self {
        Applied { outcome, news: None }
    }
}

async fn apply(app: &App, matcher: &mut Matcher<'_>, at: &At<'_>) -> Result<Applied, Problem> {
    let Some(resource) = &at.entry.resource else { return Ok(Outcome::refused("required", "the entry has no resource").into()) };
    let head = match fhir::read::<Head>(resource) {
        Ok(head) => head,
        Err(why) => return Ok(Outcome::refused("structure", why).into()),
    };
    let kind = head.resource_type.as_str();
    if kind == "Patient" {
        return match matcher.patient_entry(at.entry.full_url.as_deref(), resource).await {
            Ok(_) => Ok(Outcome::Accepted.into()),
            Err(Miss::Refused(why)) => Ok(Outcome::refused("not-found", why).into()),
            Err(Miss::Port(e)) => Err(e.into()),
        };
    }
    if !matches!(kind, "Observation" | "DiagnosticReport" | "Immunization" | "Appointment" | "MedicationRequest") {
        return Ok(Outcome::refused("not-supported", format!("{} resources are not taken", type_name(Some(kind)))).into());
    }
    let Some(id) = at.ids.of(&head) else {
        return Ok(Outcome::refused("required", "the resource has neither an id nor an identifier, so a later version could not replace it").into());
    };
    let last_updated = match head.meta.last_updated.as_deref().map(When::parse).transpose() {
        Ok(at) => at,
        Err(why) => return Ok(Outcome::refused("invalid", format!("meta.lastUpdated {why}")).into()),
    };
    let bytes = serde_json::to_vec(resource).map_err(|_| Problem::internal())?;
    // A result's report is part of what was sent: sent again with its report, it gets it.
    let digest = sha256_hex(&[bytes.as_slice(), b"\x1f", at.report_id.map(|r| r.to_string()).unwrap_or_default().as_bytes()].concat());
    let filing = match filing(matcher, at, resource, &head, id, digest, last_updated).await {
        Ok(filing) => filing,
        Err(Miss::Refused(why)) => return Ok(Outcome::refused("processing", why).into()),
        Err(Miss::Port(e)) => return Err(e.into()),
    };
    let news = Some((filing.patient, filing.confidential));
    match store::file(app.table.as_ref(), &filing).await {
        Ok(Filed::Created) => Ok(Applied { outcome: Outcome::Created, news }),
        Ok(Filed::Updated) => Ok(Applied { outcome: Outcome::Accepted, news }),
        Ok(Filed::Unchanged | Filed::Removed) => Ok(Outcome::Accepted.into()),
        Err(FileError::OtherPatient) => Ok(Outcome::refused("conflict", "this resource was filed under another patient; it is not moved").into()),
        Err(FileError::Port(e)) => Err(e.into()),
    }
}

/// Reads the resource as its type, matches its patient, and makes its filing.
async fn filing(
    matcher: &mut Matcher<'_>,
    at: &At<'_>,
    resource: &Value,
    head: &Head,
    id: RecordId,
    digest: String,
    last_updated: Option<When>,
) -> Result<Filing, Miss> {
    let kind = head.resource_type.as_str();
    let refused = |(_, why): (&str, String)| Miss::Refused(why);
    let typed = |why: String| Miss::Refused(format!("not a valid {kind}: {why}"));
    let filing = match kind {
        "Observation" => {
            let o: fhir::Observation = fhir::read(resource).map_err(typed)?;
            let read = read::observation(&o, id, at.report_id).map_err(refused)?;
            let patient = matcher.subject(o.subject.as_ref()).await?;
            match read {
                Read::Keep(r) => Filing::result(patient, digest, last_updated, &r),
                Read::Withdrawn => Ok(Filing::removal(patient, id, digest, last_updated)),
            }
        }
        "DiagnosticReport" => {
            let r: fhir::DiagnosticReport = fhir::read(resource).map_err(typed)?;
            let results = results_of(at.ids, at.entries, &r, head);
            let read = read::report(&r, id, results).map_err(refused)?;
            let patient = matcher.subject(r.subject.as_ref()).await?;
            match read {
                Read::Keep((report, time)) => Filing::report(patient, digest, last_updated, &report, &time),
                Read::Withdrawn => Ok(Filing::removal(patient, id, digest, last_updated)),
            }
        }
        "Appointment" => {
            let a: fhir::Appointment = fhir::read(resource).map_err(typed)?;
            let read = read::appointment(&a, id).map_err(refused)?;
            let patient = matcher.subject(a.participant.iter().filter_map(|p| p.actor.as_ref()).find(|r| matcher.names_patient(r))).await?;
            match read {
                Read::Keep(visit) => Filing::visit(patient, digest, last_updated, &visit),
                Read::Withdrawn => Ok(Filing::removal(patient, id, digest, last_updated)),
            }
        }
        "MedicationRequest" => {
            let m: fhir::MedicationRequest = fhir::read(resource).map_err(typed)?;
            let read = read::medication(&m, id).map_err(refused)?;
            let patient = matcher.subject(m.subject.as_ref()).await?;
            match read {
                Read::Keep(medication) => Filing::medication(patient, digest, last_updated, &medication),
                Read::Withdrawn => Ok(Filing::removal(patient, id, digest, last_updated)),
            }
        }
        _ => {
            let i: fhir::Immunization = fhir::read(resource).map_err(typed)?;
            let read = read::immunization(&i, id).map_err(refused)?;
            let patient = matcher.subject(Some(&i.patient)).await?;
            match read {
                Read::Keep(imm) => Filing::immunization(patient, digest, last_updated, &imm),
                Read::Withdrawn => Ok(Filing::removal(patient, id, digest, last_updated)),
            }
        }
    };
    filing.map_err(Miss::Port)
}
