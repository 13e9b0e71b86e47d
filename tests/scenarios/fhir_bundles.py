"""FHIR R4 for the records tests (issue 11): resources and bundles shaped the way the
hospital's systems send them to `POST /dev/fhir` (`Portal.post_fhir`), reading the
batch-response that answers them, and validating what the portal exports.

- A Synthea-style bundle holds a `Patient` entry (fullUrl `urn:uuid:<id>`, identifiers of which
  one has the MRN system, name, birthDate, managingOrganization naming the clinic) and
  resources that refer to it by `urn:uuid:<id>`: `patient_resource`, `ref_to`.
- An EHR's bundle refers to the patient by a literal `Patient/<portal id>` (`literal`) or by an
  identifier reference with the MRN system (`by_mrn`).
- `observation`, `diagnostic_report` and `immunization` build the resources, `appointment` a
  visit of the EHR's schedule (issue 12), `medication_request` a prescription (issue 13, with
  the RxNorm-coded `Drug`s below); `bundle` wraps them (type collection, transaction or
  batch). Every id is a fresh uuid4, every MRN of
  `new_mrn` a fresh one, so that tests sharing a session's portal never collide.
- `statuses` and `outcomes` read a batch-response; `validate_r4` validates a Bundle with the
  `fhir.resources` package's R4B models (the same as R4 for Bundle, Patient, Immunization,
  Appointment and MedicationRequest; test_appointments.py and test_messages.py validate what
  `appointment` and `medication_request` build with them).

Not named fhir.py: a module of that name would hide the `fhir` package of fhir.resources.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

import requests

from http_checks import describe, media_type
from leaks import SECRETS, Kind

FHIR_JSON = "application/fhir+json"
# The hospital's MRN system: PORTAL_MRN_SYSTEM's default in the local run.
MRN_SYSTEM = "urn:oid:2.16.840.1.113883.19.5"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
CVX = "http://hl7.org/fhir/sid/cvx"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
REPORT_CATEGORY = "http://terminology.hl7.org/CodeSystem/v2-0074"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
ACT_SITE = "http://terminology.hl7.org/CodeSystem/v3-ActSite"
SYNTHEA_ID = "https://github.com/synthetichealth/synthea"
FILLER_ORDER = "urn:oid:2.16.840.1.113883.19.5.7"  # the lab's result identifiers

# Where the resources come from (meta.source): the lab system and the EHR.
LAB_SOURCE = "urn:oid:2.16.840.1.113883.19.5.2"
EHR_SOURCE = "urn:oid:2.16.840.1.113883.19.5.3"

# v3-ObservationInterpretation codes: their display, and the portal's flag and words.
INTERPRETATIONS = {
    "H": ("High", "high"),
    "L": ("Low", "low"),
    "HH": ("Critical high", "critical-high"),
    "LL": ("Critical low", "critical-low"),
    "A": ("Abnormal", "abnormal"),
    "N": ("Normal", "normal"),
}
FLAG = {code: flag for code, (_, flag) in INTERPRETATIONS.items()}
WORDS = {code: words for code, (words, _) in INTERPRETATIONS.items()}


@dataclass(frozen=True)
class Lab:
    """A LOINC-coded laboratory test: its name (code.text and the coding's display), its unit
    (None for a text or coded result) and its pediatric reference range."""
    code: str
    name: str
    unit: str | None = None
    low: float | None = None
    high: float | None = None


HEMOGLOBIN = Lab("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 11.5, 15.5)
GLUCOSE = Lab("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70, 99)
LEUKOCYTES = Lab("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.5, 13.5)
PLATELETS = Lab("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150, 450)
POTASSIUM = Lab("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1)
SODIUM = Lab("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 136, 145)
HCG = Lab("21198-7", "Choriogonadotropin.beta subunit [Units/volume] in Serum or Plasma", "m[IU]/mL", None, 5)
URINE_COLOR = Lab("5778-6", "Color of Urine")
URINE_APPEARANCE = Lab("5767-9", "Appearance of Urine")
URINE_HCG = Lab("2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
CHLAMYDIA = Lab("21613-5", "Chlamydia trachomatis DNA [Presence] in Specimen by NAA with probe detection")
HEART_RATE = Lab("8867-4", "Heart rate", "/min", 70, 120)  # a vital sign, not a lab result


@dataclass(frozen=True)
class Panel:
    """A LOINC-coded report (DiagnosticReport.code)."""
    code: str
    name: str


CBC = Panel("58410-2", "CBC panel - Blood by Automated count")
BMP = Panel("51990-0", "Basic metabolic panel - Blood")
URINALYSIS = Panel("24356-8", "Urinalysis complete panel - Urine")
STI_PANEL = Panel("90419-4", "Sexually transmitted infection panel")


@dataclass(frozen=True)
class Vaccine:
    cvx: str
    name: str


DTAP = Vaccine("20", "DTaP")
IPV = Vaccine("10", "IPV")
MMR = Vaccine("03", "MMR")
HEPB = Vaccine("08", "Hep B, adolescent or pediatric")
VARICELLA = Vaccine("21", "varicella")
TDAP = Vaccine("115", "Tdap")
HPV9 = Vaccine("165", "HPV9")

SITES = {"LA": "left arm", "RA": "right arm", "LT": "left thigh", "RT": "right thigh"}


# ----------------------------------------------------------------------------- values and times


def new_id() -> str:
    return str(uuid.uuid4())


def new_mrn() -> str:
    """A fresh MRN (letters and digits, as the portal takes them), registered as PHI."""
    return SECRETS.add(Kind.MRN, "M" + uuid.uuid4().hex[:15].upper())


def moment(days_ago: float, minutes: int = 0) -> str:
    """An instant `days_ago` days before now plus `minutes`, whole seconds, in UTC with "Z"."""
    t = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago) + dt.timedelta(minutes=minutes)
    return t.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def instant(text: str) -> dt.datetime:
    """A FHIR dateTime/instant as an aware datetime, to compare instants however written."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def coded(code: str, display: str, system: str = SNOMED) -> dict:
    """A CodeableConcept of one coding, its text the display."""
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def interpreted(code: str, display: bool = True) -> dict:
    """An Observation.interpretation entry with a v3-ObservationInterpretation code; without
    its display when `display` is False (the portal must go by the code)."""
    coding = {"system": INTERPRETATION, "code": code}
    if display:
        coding["display"] = WORDS[code]
    return {"coding": [coding]}


def range_low_high(lab: Lab, low: float | None = None, high: float | None = None) -> dict:
    """A referenceRange entry with low and/or high (default: the lab's range)."""
    low = lab.low if low is None else low
    high = lab.high if high is None else high
    out: dict = {}
    for key, value in (("low", low), ("high", high)):
        if value is not None:
            out[key] = {"value": value, "unit": lab.unit, "system": UCUM, "code": lab.unit}
    return out


def range_text(text: str) -> dict:
    """A referenceRange entry with text only (as labs send for a text or coded result)."""
    return {"text": text}


# --------------------------------------------------------------------------------- references


def literal(patient_id: str) -> dict:
    """A literal reference to a portal patient."""
    return {"reference": f"Patient/{patient_id}"}


def by_mrn(mrn: str, system: str = MRN_SYSTEM) -> dict:
    """An identifier reference: the patient whose MRN (in the hospital's system) is `mrn`."""
    return {"identifier": {"system": system, "value": mrn}}


def ref_to(resource: dict) -> dict:
    """A reference to a resource of the same bundle by its fullUrl (urn:uuid:<id>)."""
    return {"reference": f"urn:uuid:{resource['id']}"}


def security(code: str | None) -> list[dict]:
    """meta.security with a v3-Confidentiality code ("R" restricted, "V" very restricted)."""
    displays = {"R": "restricted", "V": "very restricted", "N": "normal"}
    return [] if code is None else [{"system": CONFIDENTIALITY, "code": code, "display": displays[code]}]


def _meta(source: str | None, restricted: str | None, last_updated: str | None) -> dict | None:
    meta: dict = {}
    if source is not None:
        meta["source"] = source
    if last_updated is not None:
        meta["lastUpdated"] = last_updated
    if restricted is not None:
        meta["security"] = security(restricted)
    return meta or None


def _with_meta(resource: dict, meta: dict | None) -> dict:
    if meta:
        resource["meta"] = meta
    return resource


# ---------------------------------------------------------------------------------- resources


def patient_resource(patient: dict, *, mrn: bool = True, clinic: bool = True, id: str | None = None,
                     narrative: str | None = None) -> dict:
    """A Synthea-style Patient for a portal patient (the dict `Portal.make_patient` hands back):
    a Synthea identifier first, then the MRN (type MR, the MRN system) when `mrn` and the
    patient has one; official name, birthDate, managingOrganization naming the clinic by its id
    when `clinic`. `narrative` is the text.div's content (Synthea sends one)."""
    identifiers = [{"system": SYNTHEA_ID, "value": new_id()}]
    if mrn and patient.get("mrn"):
        identifiers.append({
            "type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR", "display": "Medical Record Number"}],
                     "text": "Medical Record Number"},
            "system": MRN_SYSTEM, "value": patient["mrn"],
        })
    resource = {
        "resourceType": "Patient",
        "id": id or new_id(),
        "text": {"status": "generated",
                 "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{narrative or "Generated by Synthea"}</div>'},
        "identifier": identifiers,
        "name": [{"use": "official", "family": patient["family_name"], "given": [patient["given_name"]]}],
        "gender": "female",
        "birthDate": patient["birth_date"],
    }
    if clinic and patient.get("clinic"):
        resource["managingOrganization"] = {"identifier": {"value": patient["clinic"]}}
    return resource


def observation(subject: dict, lab: Lab, value, *, effective: str, issued: str | None = None,
                status: str = "final", interpretation: str | dict | None = None,
                reference_range: list[dict] | None | str = "lab", note: str | None = None,
                performer: str | None = "Boston Children's Core Laboratory", category: str = "laboratory",
                source: str | None = LAB_SOURCE, identifier: str | None = None, restricted: str | None = None,
                last_updated: str | None = None, id: str | None = None) -> dict:
    """A lab Observation of `subject` (a reference: `literal`, `by_mrn` or `ref_to`).

    `value`: a number (valueQuantity in the lab's unit), a str (valueString) or a dict
    (valueCodeableConcept, see `coded`). `interpretation`: a v3-ObservationInterpretation
    code (with its display) or an `interpreted(...)` entry. `reference_range`: "lab" for the
    lab's low/high when it has one, None for none, or a list of entries (`range_low_high`,
    `range_text`). `identifier`: a filler order number (the first identifier), which is the
    source identity of a resource sent without any meta.source (`source=None`).
    `restricted`: "R" or "V" in meta.security. `issued` defaults to an hour after `effective`."""
    resource: dict = {
        "resourceType": "Observation",
        "id": id or new_id(),
        "status": status,
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category,
                                  "display": category.replace("-", " ").title()}]}],
        "code": {"coding": [{"system": LOINC, "code": lab.code, "display": lab.name}], "text": lab.name},
        "subject": subject,
        "effectiveDateTime": effective,
        "issued": issued or _plus_minutes(effective, 60),
    }
    if identifier is not None:
        resource["identifier"] = [{"system": FILLER_ORDER, "value": identifier}]
    if performer is not None:
        resource["performer"] = [{"display": performer}]
    if isinstance(value, bool) or value is None:
        raise TypeError("an Observation value is a number, a str or a CodeableConcept dict")
    if isinstance(value, (int, float)):
        resource["valueQuantity"] = {"value": value, "unit": lab.unit, "system": UCUM, "code": lab.unit}
    elif isinstance(value, str):
        resource["valueString"] = value
    else:
        resource["valueCodeableConcept"] = value
    if interpretation is not None:
        resource["interpretation"] = [interpreted(interpretation) if isinstance(interpretation, str)
                                      else interpretation]
    if reference_range == "lab":
        reference_range = [range_low_high(lab)] if (lab.low is not None or lab.high is not None) else None
    if reference_range:
        resource["referenceRange"] = reference_range
    if note is not None:
        resource["note"] = [{"text": note}]
    return _with_meta(resource, _meta(source, restricted, last_updated))


def diagnostic_report(subject: dict, panel: Panel, results: list[dict], *, effective: str,
                      issued: str | None = None, status: str = "final", conclusion: str | None = None,
                      refer_by: str = "fullUrl", source: str | None = LAB_SOURCE, restricted: str | None = None,
                      last_updated: str | None = None, id: str | None = None) -> dict:
    """A laboratory DiagnosticReport (category LAB) whose `result` refers to the Observations of
    the same bundle by fullUrl (`refer_by="fullUrl"`, urn:uuid:<id>) or as Observation/<id>."""
    if refer_by not in ("fullUrl", "id"):
        raise ValueError(refer_by)
    resource: dict = {
        "resourceType": "DiagnosticReport",
        "id": id or new_id(),
        "status": status,
        "category": [{"coding": [{"system": REPORT_CATEGORY, "code": "LAB", "display": "Laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": panel.code, "display": panel.name}], "text": panel.name},
        "subject": subject,
        "effectiveDateTime": effective,
        "issued": issued or _plus_minutes(effective, 90),
        "performer": [{"display": "Boston Children's Core Laboratory"}],
        "result": [ref_to(o) if refer_by == "fullUrl" else {"reference": f"Observation/{o['id']}"} for o in results],
    }
    if conclusion is not None:
        resource["conclusion"] = conclusion
    return _with_meta(resource, _meta(source, restricted, last_updated))


def immunization(patient: dict, vaccine: Vaccine, *, occurred: str, dose: int | None = None,
                 lot: str | None = None, site: str | None = None, performer: str | None = None,
                 status: str = "completed", source: str | None = EHR_SOURCE, restricted: str | None = None,
                 last_updated: str | None = None, id: str | None = None) -> dict:
    """An Immunization of `patient` (a reference) with a CVX vaccineCode; `site` is a
    v3-ActSite code of SITES; `dose` the protocolApplied doseNumberPositiveInt."""
    resource: dict = {
        "resourceType": "Immunization",
        "id": id or new_id(),
        "status": status,
        "vaccineCode": {"coding": [{"system": CVX, "code": vaccine.cvx, "display": vaccine.name}],
                        "text": vaccine.name},
        "patient": patient,
        "occurrenceDateTime": occurred,
        "primarySource": True,
    }
    if lot is not None:
        resource["lotNumber"] = lot
    if site is not None:
        resource["site"] = {"coding": [{"system": ACT_SITE, "code": site, "display": SITES[site]}],
                            "text": SITES[site]}
    if performer is not None:
        resource["performer"] = [{"actor": {"display": performer}}]
    if dose is not None:
        resource["protocolApplied"] = [{"doseNumberPositiveInt": dose}]
    return _with_meta(resource, _meta(source, restricted, last_updated))


APPOINTMENT_REASON = "http://snomed.info/sct"  # reasonCode's system (SNOMED CT)
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
APPOINTMENT_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0276"
SERVICE_TYPE = "http://terminology.hl7.org/CodeSystem/service-type"


def appointment(subject: dict, *, start: str, end: str | None = None, status: str = "booked",
                clinic: str | None = None, location: str | None = None, provider: str | None = None,
                type: str | None = None, type_coding: str | None = None, service_type: str | None = None,
                description: str | None = None, instructions: str | None = None,
                reason: str | None = None, comment: str | None = None, source: str | None = EHR_SOURCE,
                restricted: str | None = None, last_updated: str | None = None, id: str | None = None) -> dict:
    """A FHIR R4 Appointment of the EHR's schedule for `subject` (a reference: `literal`,
    `by_mrn` or `ref_to`), as a participant whose actor is the Patient.

    `start`/`end`: instants (end defaults to 30 minutes after start). `clinic` (a clinic id)
    makes a Location participant `Location/<clinic id>`; `location` is a Location's display
    (with `clinic`: the same participant's display, e.g. a building; alone: a participant of its
    own, `Location/<the EHR's id>`, whose display may be a clinic's name). `provider`: the Practitioner's display.
    `type`: appointmentType.text (with `type_coding`, a v2-0276 coding of that display and no
    text); `service_type`: a serviceType's text; `description`: the Appointment's description.
    `instructions`: patientInstruction. `reason` (a reasonCode's text and display) and
    `comment` are what the portal must never keep or show. `restricted`: "R" or "V" in
    meta.security; `last_updated`: meta.lastUpdated (a later one replaces the earlier)."""
    participants: list[dict] = [{"actor": {**subject, "type": "Patient"} if "reference" not in subject else subject,
                                 "required": "required", "status": "accepted"}]
    if provider is not None:
        participants.append({
            "type": [{"coding": [{"system": PARTICIPATION, "code": "PPRF", "display": "primary performer"}]}],
            "actor": {"reference": f"Practitioner/{new_id()}", "display": provider},
            "required": "required", "status": "accepted"})
    if clinic is not None:
        actor = {"reference": f"Location/{clinic}"}
        if location is not None:
            actor["display"] = location
        participants.append({"actor": actor, "required": "required", "status": "accepted"})
    elif location is not None:  # the EHR's own Location id, which is no clinic id
        participants.append({"actor": {"reference": f"Location/{new_id()}", "display": location},
                             "required": "required", "status": "accepted"})
    resource: dict = {
        "resourceType": "Appointment",
        "id": id or new_id(),
        "status": status,
        "start": start,
        "end": end or _plus_minutes(start, 30),
        "participant": participants,
    }
    if type_coding is not None:
        resource["appointmentType"] = {"coding": [{"system": APPOINTMENT_TYPE, "code": type_coding,
                                                   "display": type or type_coding}]}
    elif type is not None:
        resource["appointmentType"] = {"text": type}
    if service_type is not None:
        resource["serviceType"] = [{"text": service_type}]
    if description is not None:
        resource["description"] = description
    if instructions is not None:
        resource["patientInstruction"] = instructions
    if reason is not None:
        resource["reasonCode"] = [{"coding": [{"system": APPOINTMENT_REASON, "code": "29857009", "display": reason}],
                                   "text": reason}]
    if comment is not None:
        resource["comment"] = comment
    if status == "cancelled":
        resource["cancelationReason"] = {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason",
            "code": "pat", "display": "Patient"}]}
    return _with_meta(resource, _meta(source, restricted, last_updated))


RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@dataclass(frozen=True)
class Drug:
    """A medication: its name (the coding's display and the text) and its RxNorm RxCUI (None:
    sent by name only)."""
    rxnorm: str | None
    name: str


AMOXICILLIN = Drug("308182", "Amoxicillin 250 MG Oral Capsule")
ALBUTEROL = Drug("745679", "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler")
FLUTICASONE = Drug("895994", "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler")
CETIRIZINE = Drug(None, "Cetirizine Hydrochloride 1 MG/ML Oral Solution")
METHYLPHENIDATE = Drug(None, "Methylphenidate Hydrochloride 10 MG Oral Tablet")
NORETHINDRONE = Drug(None, "Norethindrone 0.35 MG Oral Tablet")


def medication_request(subject: dict, medication: Drug | str, *, authored: str, status: str = "active",
                       coded: bool = True, by_reference: bool = False, requester: str | None = "Rosa Alvarez, MD",
                       dosage: str | None = None, refills: int | None = None, intent: str = "order",
                       source: str | None = EHR_SOURCE, restricted: str | None = None,
                       last_updated: str | None = None, id: str | None = None) -> dict:
    """A FHIR R4 MedicationRequest (a prescription of the EHR) for `subject` (a reference:
    `literal`, `by_mrn` or `ref_to`).

    `medication`: a `Drug` (medicationCodeableConcept with its RxNorm coding when it has one and
    `coded`, and its name as text) or a name alone (text only). `by_reference`: the name as a
    medicationReference's display instead (no code). `authored`: authoredOn; `requester`: the
    prescriber's display; `dosage`: dosageInstruction[0].text; `refills`:
    dispenseRequest.numberOfRepeatsAllowed. `restricted`: "R" or "V" in meta.security;
    `last_updated`: meta.lastUpdated (a later one replaces the earlier)."""
    name = medication.name if isinstance(medication, Drug) else medication
    resource: dict = {
        "resourceType": "MedicationRequest",
        "id": id or new_id(),
        "status": status,
        "intent": intent,
        "subject": subject,
        "authoredOn": authored,
    }
    if by_reference:
        resource["medicationReference"] = {"reference": f"Medication/{new_id()}", "display": name}
    elif isinstance(medication, Drug) and medication.rxnorm and coded:
        resource["medicationCodeableConcept"] = {
            "coding": [{"system": RXNORM, "code": medication.rxnorm, "display": name}], "text": name}
    else:
        resource["medicationCodeableConcept"] = {"text": name}
    if requester is not None:
        resource["requester"] = {"reference": f"Practitioner/{new_id()}", "display": requester}
    if dosage is not None:
        resource["dosageInstruction"] = [{"sequence": 1, "text": dosage}]
    if refills is not None:
        resource["dispenseRequest"] = {"numberOfRepeatsAllowed": refills}
    return _with_meta(resource, _meta(source, restricted, last_updated))


def encounter(subject: dict, *, start: str) -> dict:
    """An ambulatory Encounter: a resource type the portal does not take."""
    return {
        "resourceType": "Encounter",
        "id": new_id(),
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB",
                  "display": "ambulatory"},
        "type": [coded("410620009", "Well child visit (procedure)")],
        "subject": subject,
        "period": {"start": start, "end": _plus_minutes(start, 30)},
    }


def revised(resource: dict, **changes) -> dict:
    """A later version of `resource` (same id, identifier and source): a deep copy with
    `changes` set at the top level; `meta` changes merge into its meta."""
    out = json.loads(json.dumps(resource))
    meta_changes = changes.pop("meta", None)
    out.update(changes)
    if meta_changes:
        out["meta"] = {**out.get("meta", {}), **meta_changes}
    return out


def with_value(resource: dict, value) -> dict:
    """`resource` (an Observation) with its value[x] replaced by a number, str or coded dict."""
    out = revised(resource)
    for key in ("valueQuantity", "valueString", "valueCodeableConcept"):
        out.pop(key, None)
    if isinstance(value, (int, float)):
        unit = resource.get("valueQuantity", {}).get("unit")
        out["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    elif isinstance(value, str):
        out["valueString"] = value
    else:
        out["valueCodeableConcept"] = value
    return out


# ------------------------------------------------------------------------------------ bundles


def bundle(*resources: dict, type: str = "collection", source: str | None = None) -> dict:
    """A Bundle of `resources`, each entry's fullUrl urn:uuid:<id> (as Synthea writes them);
    a transaction or batch gives each entry its request (POST to the resource type).
    `source` is the bundle's meta.source."""
    entries = []
    for resource in resources:
        entry: dict = {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
        if type in ("transaction", "batch"):
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
        entries.append(entry)
    out: dict = {"resourceType": "Bundle", "id": new_id(), "type": type,
                 "timestamp": moment(0), "entry": entries}
    if source is not None:
        out["meta"] = {"source": source}
    return out


def padded_to(b: dict, size: int) -> bytes:
    """`b` serialized to exactly `size` bytes, made up with the narrative of its first entry
    (a Patient, as made by `patient_resource`): filler that the portal does not store."""
    div = b["entry"][0]["resource"]["text"]["div"]
    head, tail = div.rsplit("</div>", 1)

    def body(n: int) -> bytes:
        copy = json.loads(json.dumps(b))
        copy["entry"][0]["resource"]["text"]["div"] = head + " " + "x" * n + "</div>" + tail
        return json.dumps(copy).encode()

    fill = size - len(body(0))
    if fill < 0:
        raise ValueError(f"the bundle is already over {size} bytes")
    out = body(fill)
    assert len(out) == size
    return out


# ----------------------------------------------------------------------- the batch-response


def response_bundle(r: requests.Response, sent: dict | None = None) -> dict:
    """The batch-response of a POST /dev/fhir that must answer 200: one entry per entry sent."""
    assert r.status_code == 200, describe(r)
    assert media_type(r) == FHIR_JSON, f"Content-Type {r.headers.get('Content-Type')!r}: {describe(r)}"
    body = r.json()
    assert body.get("resourceType") == "Bundle" and body.get("type") == "batch-response", describe(r)
    if sent is not None:
        assert len(body.get("entry", [])) == len(sent["entry"]), f"one entry per entry sent: {describe(r)}"
    return body


def statuses(r: requests.Response, sent: dict | None = None) -> list[str]:
    """Each entry's response.status ("201", "200", "422"): its leading code, in order."""
    return [e["response"]["status"].split()[0] for e in response_bundle(r, sent).get("entry", [])]


def outcomes(r: requests.Response) -> list[dict | None]:
    """Each entry's response.outcome (an OperationOutcome) or None."""
    return [e["response"].get("outcome") for e in response_bundle(r).get("entry", [])]


def check_refusal(outcome: dict | None, phi: tuple = ()) -> str:
    """A refused entry's OperationOutcome: issue[0].diagnostics says why, and holds none of
    `phi`. Answers the diagnostics."""
    assert isinstance(outcome, dict) and outcome.get("resourceType") == "OperationOutcome", outcome
    issues = outcome.get("issue")
    assert isinstance(issues, list) and issues, outcome
    diagnostics = issues[0].get("diagnostics")
    assert isinstance(diagnostics, str) and diagnostics.strip(), outcome
    for value in phi:
        if value:
            assert str(value).lower() not in diagnostics.lower(), "a refusal's diagnostics hold PHI"
    return diagnostics


# ---------------------------------------------------------------------------------- validation


def validate_r4(body: dict):
    """`body` validated as a FHIR Bundle by the `fhir.resources` R4B models (raises pydantic's
    ValidationError, a ValueError, when it is not one)."""
    from fhir.resources.R4B.bundle import Bundle

    return Bundle.model_validate(body)


def _plus_minutes(text: str, minutes: int) -> str:
    t = instant(text) + dt.timedelta(minutes=minutes)
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
