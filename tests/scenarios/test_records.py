"""Issue 11: the hospital's FHIR R4 bundles come in through `POST /dev/fhir` (the
local run's way in, `Portal.post_fhir`), and the family and the office read what came:
GET /api/patients/{id}/results[/{result_id}], /reports[/{report_id}], /immunizations and
/immunizations/fhir (the contract: infra/openapi.yaml and README "The Medical Record").

The bundles are built by fhir_bundles.py (imported as `fhir`) the way real systems send them:
Synthea-style bundles whose Patient entry is referred to by urn:uuid, and bundles with literal
`Patient/<id>` and with MRN identifier references. Every resource has a fresh id and every
patient matched by MRN a fresh MRN, since each backend's portal is shared by the whole session.

Restricted records (meta.security R or V of v3-Confidentiality) of a patient aged 12 to 17
are hidden from parents and guardians (lists, details, history points, report results and
counts, the export) and shown to the patient's own account and the clinic."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError

import fhir_bundles as fhir
from conftest import (
    CARDIOLOGY, ENDOCRINE, SECRETS, Kind, assert_no_store, assert_problem, describe, media_type, new_patient_body,
    patient_path, years_before,
)
from fhir_bundles import (
    BMP, CBC, CHLAMYDIA, DTAP, GLUCOSE, HCG, HEART_RATE, HEMOGLOBIN, HEPB, HPV9, IPV, LEUKOCYTES, MMR, PLATELETS,
    POTASSIUM, SODIUM, STI_PANEL, TDAP, URINALYSIS, URINE_APPEARANCE, URINE_COLOR, URINE_HCG, VARICELLA, coded,
    diagnostic_report, immunization, literal, moment, observation, range_text, ref_to, revised,
    with_value,
)

MIB = 1_048_576


# ------------------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def office(portal):
    """Staff of cardiology (the clinic of the tests' patients) and staff of endocrine."""
    return {"staff": portal.make_staff(clinics=(CARDIOLOGY,)), "other": portal.make_staff(clinics=(ENDOCRINE,))}


def register(portal, clinic: str = CARDIOLOGY, mrn: bool | str = True, birth=None,
             family_name: str | None = None) -> dict:
    """A patient registered by the admin, with a fresh MRN (`mrn` True), the MRN given, or none
    (False); born on `birth` when given. The body sent plus "id"."""
    body = new_patient_body(clinic, with_mrn=False)
    if mrn is True:
        body["mrn"] = fhir.new_mrn()
    elif mrn:
        body["mrn"] = mrn
    if birth is not None:
        body["birth_date"] = SECRETS.add(Kind.BIRTH_DATE, birth.isoformat())
    if family_name is not None:
        body["family_name"] = family_name
    r = portal.create_patient(portal.admin_token(), body)
    assert r.status_code == 201, describe(r)
    return {**body, "id": r.json()["id"]}


def diagnostics(r) -> list:
    return [((o or {}).get("issue") or [{}])[0].get("diagnostics") for o in fhir.outcomes(r)]


def send(portal, b: dict, expected: list[str], raw: bytes | None = None, content_type: str = fhir.FHIR_JSON):
    """POSTs the bundle `b` (or its serialization `raw`) to /dev/fhir; each entry's status
    must be `expected`'s."""
    r = portal.post_fhir(b if raw is None else raw, content_type)
    got = fhir.statuses(r, b)
    assert got == expected, f"[{portal.backend}] entry statuses {got}, expected {expected}: {diagnostics(r)}"
    return r


def accepted(b: dict) -> list[str]:
    """What a bundle of new resources gets: 200 for its Patient entries (matched), 201 for the rest."""
    return ["200" if e["resource"]["resourceType"] == "Patient" else "201" for e in b["entry"]]


def store(portal, *resources: dict, type: str = "collection", source: str | None = None) -> dict:
    """Sends a bundle of new resources that must all be taken; the bundle."""
    b = fhir.bundle(*resources, type=type, source=source)
    send(portal, b, accepted(b))
    return b


def read(portal, token, pid: str, what: str, **query):
    return portal.get(patient_path(pid, what) + (f"?{urlencode(query)}" if query else ""), token=token)


def body_of(r) -> dict:
    assert r.status_code == 200, describe(r)
    assert_no_store(r)
    return r.json()


def results_of(portal, token, pid: str) -> list[dict]:
    body = body_of(read(portal, token, pid, "results", limit=100))
    assert set(body) == {"items", "cursor"}, body
    return body["items"]


def result_of(portal, token, pid: str, result_id: str) -> dict:
    return body_of(read(portal, token, pid, f"results/{result_id}"))


def reports_of(portal, token, pid: str) -> list[dict]:
    body = body_of(read(portal, token, pid, "reports", limit=100))
    assert set(body) == {"items", "cursor"}, body
    return body["items"]


def report_of(portal, token, pid: str, report_id: str) -> dict:
    return body_of(read(portal, token, pid, f"reports/{report_id}"))


def immunizations_of(portal, token, pid: str) -> list[dict]:
    body = body_of(read(portal, token, pid, "immunizations"))
    assert set(body) == {"patient", "items"}, body
    # Whose record it is, as the printed record names them.
    assert set(body["patient"]) == {"given_name", "family_name", "birth_date", "clinic"}, body["patient"]
    return body["items"]


def export_of(portal, token, pid: str) -> dict:
    """The FHIR export, which must answer 200 application/fhir+json and validate as R4."""
    r = read(portal, token, pid, "immunizations/fhir")
    assert r.status_code == 200, describe(r)
    assert media_type(r) == fhir.FHIR_JSON, f"Content-Type {r.headers.get('Content-Type')!r}"
    assert_no_store(r)
    body = r.json()
    fhir.validate_r4(body)
    return body


def exported(body: dict, resource_type: str) -> list[dict]:
    return [e["resource"] for e in body.get("entry", []) if e["resource"]["resourceType"] == resource_type]


def same_time(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and fhir.instant(a) == fhir.instant(b)


def code_of(resource: dict) -> str:
    return resource["code"]["coding"][0]["code"]


def item_for(items: list[dict], obs: dict) -> dict:
    """The one result item of `items` showing the Observation `obs` (same code, same effective)."""
    found = [i for i in items
             if i["code"]["code"] == code_of(obs) and same_time(i["effective"], obs["effectiveDateTime"])]
    assert len(found) == 1, f"{len(found)} items show {code_of(obs)} of {obs['effectiveDateTime']}: {items}"
    return found[0]


def shown_value(obs: dict) -> tuple:
    """(value, unit) as a result item shows the Observation's value."""
    if "valueQuantity" in obs:
        return obs["valueQuantity"]["value"], obs["valueQuantity"]["unit"]
    if "valueString" in obs:
        return obs["valueString"], None
    return obs["valueCodeableConcept"]["coding"][0]["display"], None


def assert_shows(item: dict, obs: dict, report_id: str | None = None) -> None:
    """A result item (of the list, a report or a detail) shows `obs` as the contract says."""
    uuid.UUID(item["id"])
    value, unit = shown_value(obs)
    got = {"name": item["name"], "code": item["code"], "value": item.get("value"), "unit": item.get("unit"),
           "status": item["status"], "report_id": item.get("report_id")}
    want = {"name": obs["code"]["text"], "code": {"system": fhir.LOINC, "code": code_of(obs)}, "value": value,
            "unit": unit, "status": obs["status"], "report_id": report_id}
    assert got == want, item
    assert same_time(item["effective"], obs["effectiveDateTime"]), item
    assert same_time(item["issued"], obs["issued"]), item
    if "interpretation" in obs:
        assert item["flag"] == fhir.FLAG[obs["interpretation"][0]["coding"][0]["code"]], item


def points(history: list[dict]) -> list[tuple]:
    return [(fhir.instant(p["effective"]), p["value"]) for p in history]


def points_of(*observations: dict) -> list[tuple]:
    return [(fhir.instant(o["effectiveDateTime"]), o["valueQuantity"]["value"]) for o in observations]


def assert_shows_shot(item: dict, imm: dict) -> None:
    """An immunization item shows the Immunization `imm`; what it lacks is absent (or null)."""
    uuid.UUID(item["id"])
    got = {"vaccine": item["vaccine"], "dose_number": item.get("dose_number"), "lot_number": item.get("lot_number"),
           "site": item.get("site"), "performer": item.get("performer"), "status": item["status"]}
    want = {"vaccine": {"cvx": imm["vaccineCode"]["coding"][0]["code"], "name": imm["vaccineCode"]["text"]},
            "dose_number": (imm.get("protocolApplied") or [{}])[0].get("doseNumberPositiveInt"),
            "lot_number": imm.get("lotNumber"), "site": (imm.get("site") or {}).get("text"),
            "performer": ((imm.get("performer") or [{}])[0].get("actor") or {}).get("display"),
            "status": imm["status"]}
    assert got == want, item
    assert same_time(item["date"], imm["occurrenceDateTime"]), item


def cvx_of(resource: dict) -> str:
    codings = [c for c in resource["vaccineCode"]["coding"] if c.get("system") == fhir.CVX]
    assert len(codings) == 1, resource["vaccineCode"]
    return codings[0]["code"]


def words_of(concept: dict | None) -> str | None:
    if not concept:
        return None
    return concept.get("text") or (concept.get("coding") or [{}])[0].get("display")


# ----------------------------------------------------------------------- the three ways to match

WAYS = ["urn:uuid to a Patient entry with the MRN", "urn:uuid to a Patient entry without MRN",
        "literal Patient/<id>", "identifier with the MRN system"]


@pytest.mark.parametrize("way", WAYS)
def test_each_way_of_matching_stores_a_result_the_family_sees(portal, way):
    """A Synthea-style transaction (Patient by MRN, or by family name and birth date within the
    clinic), an EHR's batch with a literal reference, a lab's collection with an identifier
    reference: each stores the result (201), and the parent sees it with its fields."""
    patient = register(portal, mrn=(way != "urn:uuid to a Patient entry without MRN"))
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    pt = fhir.patient_resource(patient)
    if way.startswith("urn:uuid"):
        subject, kind = ref_to(pt), "transaction"
    elif way.startswith("literal"):
        subject, kind = literal(pid), "batch"
    else:
        subject, kind = fhir.by_mrn(patient["mrn"]), "collection"
    obs = observation(subject, HEMOGLOBIN, 10.4, effective=moment(2), interpretation="L",
                      note="Mild anemia; recheck in 3 months.")
    b = fhir.bundle(*((pt, obs) if way.startswith("urn:uuid") else (obs,)), type=kind)
    send(portal, b, accepted(b))

    [item] = results_of(portal, parent.auth, pid)
    assert_shows(item, obs)
    assert item["flag"] == "low"


def test_name_and_birth_date_match_within_the_clinic_the_patient_entry_names(portal):
    """Two patients without MRN share family name and birth date, one in cardiology, one in
    endocrine: a Patient entry naming cardiology as managingOrganization matches the first;
    one naming no clinic matches two patients and is refused."""
    patient = register(portal, mrn=False)
    twin = register(portal, ENDOCRINE, mrn=False, birth=dt.date.fromisoformat(patient["birth_date"]),
                    family_name=patient["family_name"])

    named = fhir.patient_resource(patient)
    obs = observation(ref_to(named), GLUCOSE, 92, effective=moment(3), interpretation="N")
    send(portal, fhir.bundle(named, obs, type="transaction"), ["200", "201"])
    assert [i["code"]["code"] for i in results_of(portal, portal.admin_token(), patient["id"])] == [GLUCOSE.code]

    unnamed = fhir.patient_resource(twin, clinic=False)
    obs2 = observation(ref_to(unnamed), GLUCOSE, 95, effective=moment(1), interpretation="N")
    r = send(portal, fhir.bundle(unnamed, obs2, type="transaction"), ["422", "422"])
    for outcome in fhir.outcomes(r):
        fhir.check_refusal(outcome, (patient["family_name"], patient["given_name"], patient["birth_date"]))
    assert results_of(portal, portal.admin_token(), twin["id"]) == []
    assert len(results_of(portal, portal.admin_token(), patient["id"])) == 1


def test_plain_application_json_is_taken_too(portal):
    patient = register(portal)
    obs = observation(literal(patient["id"]), GLUCOSE, 101, effective=moment(1), interpretation="H")
    send(portal, fhir.bundle(obs), ["201"], content_type="application/json")
    assert_shows(results_of(portal, portal.admin_token(), patient["id"])[0], obs)


# ------------------------------------------------------------------------------------ refusals


def test_an_entry_that_matches_no_patient_is_refused_and_changes_nothing(portal, office):
    """A literal reference to an unknown id, an MRN nobody has, a Patient entry of nobody:
    each entry gets 422 with an OperationOutcome that says why without PHI. Nothing is kept:
    the same Observations sent later for a real patient are new (201)."""
    patient = register(portal)
    stranger = {**new_patient_body(CARDIOLOGY, with_mrn=False), "mrn": fhir.new_mrn()}  # never registered
    pt = fhir.patient_resource(stranger)
    subjects = [literal(str(uuid.uuid4())), fhir.by_mrn(stranger["mrn"]), ref_to(pt)]
    sent = [observation(s, GLUCOSE, 250 + i, effective=moment(1, i), interpretation="HH")
            for i, s in enumerate(subjects)]
    r = send(portal, fhir.bundle(pt, *sent, type="transaction"), ["422"] * 4)
    for outcome in fhir.outcomes(r):
        fhir.check_refusal(outcome, (stranger["mrn"], stranger["given_name"], stranger["family_name"],
                                     stranger["birth_date"]))
    assert results_of(portal, office["staff"].auth, patient["id"]) == []

    again = [revised(o, subject=literal(patient["id"])) for o in sent]
    send(portal, fhir.bundle(*again), ["201"] * 3)


def test_an_mrn_held_by_two_patients_is_refused(portal):
    """The same MRN registered in two clinics: an identifier reference, and a Patient entry
    with that MRN (naming no clinic), each match two patients: 422, nothing stored."""
    mrn = fhir.new_mrn()
    first = register(portal, CARDIOLOGY, mrn=mrn)
    second = register(portal, ENDOCRINE, mrn=mrn)
    pt = fhir.patient_resource(first, clinic=False)
    by_identifier = observation(fhir.by_mrn(mrn), HEMOGLOBIN, 12.5, effective=moment(2), interpretation="N")
    by_entry = observation(ref_to(pt), HEMOGLOBIN, 12.6, effective=moment(1), interpretation="N")
    r = send(portal, fhir.bundle(pt, by_identifier, by_entry), ["422", "422", "422"])
    for outcome in fhir.outcomes(r):
        fhir.check_refusal(outcome, (mrn, first["family_name"], second["family_name"]))
    for p in (first, second):
        assert results_of(portal, portal.admin_token(), p["id"]) == []


def test_a_vital_sign_and_other_resource_types_are_refused(portal):
    """Only laboratory Observations are results: a vital-signs Observation and an Encounter
    get 422, each on its own; the lab result beside them is stored."""
    patient = register(portal)
    pid = patient["id"]
    vital = observation(literal(pid), HEART_RATE, 96, effective=moment(1), category="vital-signs",
                        performer=None)
    visit = fhir.encounter(literal(pid), start=moment(1))
    lab = observation(literal(pid), GLUCOSE, 88, effective=moment(1, 30), interpretation="N")
    r = send(portal, fhir.bundle(vital, visit, lab, type="batch"), ["422", "422", "201"])
    for outcome in fhir.outcomes(r)[:2]:
        fhir.check_refusal(outcome, (patient["mrn"], patient["family_name"]))
    assert [i["code"]["code"] for i in results_of(portal, portal.admin_token(), pid)] == [GLUCOSE.code]


# ---------------------------------------------------------------- source identity and versions


def test_a_bundle_sent_again_changes_nothing(portal):
    """A Synthea-style transaction whose resources have no meta.source of their own (the
    bundle's counts): the second time every entry answers 200 and the family's results,
    reports and immunizations are the same, ids and all."""
    patient = register(portal, birth=years_before(6))
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    pt = fhir.patient_resource(patient)
    s = ref_to(pt)
    hb = observation(s, HEMOGLOBIN, 12.9, effective=moment(5), interpretation="N", source=None)
    wbc = observation(s, LEUKOCYTES, 7.1, effective=moment(5), interpretation="N", source=None)
    cbc = diagnostic_report(s, CBC, [hb, wbc], effective=moment(5), conclusion="Normal CBC.", source=None)
    shot = immunization(s, DTAP, occurred=moment(40), dose=5, lot="AC52B030AA", site="LA",
                        performer="Rosa Alvarez, MD", source=None)
    b = fhir.bundle(pt, hb, wbc, cbc, shot, type="transaction", source=fhir.LAB_SOURCE)
    send(portal, b, accepted(b))

    def seen():
        results = results_of(portal, parent.auth, pid)
        reports = reports_of(portal, parent.auth, pid)
        return (results, reports, immunizations_of(portal, parent.auth, pid),
                [result_of(portal, parent.auth, pid, i["id"]) for i in results],
                [report_of(portal, parent.auth, pid, i["id"]) for i in reports])

    before = seen()
    assert [len(x) for x in before[:3]] == [2, 1, 1], before[:3]
    send(portal, b, ["200"] * 5)
    assert seen() == before


@pytest.mark.parametrize("identity", ["meta.source and id", "identifier"])
def test_a_corrected_result_replaces_the_earlier(portal, identity):
    """A potassium of a hemolyzed specimen is corrected: the same source identity (meta.source
    plus id; or, sent without any meta.source, the first identifier, under another resource
    id), status corrected, a new value and a later meta.lastUpdated. The family sees one
    result: corrected, the new value, and one history point."""
    patient = register(portal)
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    if identity == "identifier":
        first = observation(literal(pid), POTASSIUM, 6.8, effective=moment(2), interpretation="H", source=None,
                            identifier="F" + uuid.uuid4().hex[:12], last_updated=moment(2, 60))
    else:
        first = observation(literal(pid), POTASSIUM, 6.8, effective=moment(2), interpretation="H",
                            last_updated=moment(2, 60))
    store(portal, first)

    changes = {"status": "corrected", "interpretation": [fhir.interpreted("N")],
               "note": [{"text": "Corrected: the first specimen was hemolyzed."}],
               "meta": {"lastUpdated": moment(1)}}
    if identity == "identifier":
        changes["id"] = fhir.new_id()
    corrected = with_value(revised(first, **changes), 4.2)
    send(portal, fhir.bundle(corrected), ["200"])

    [item] = results_of(portal, parent.auth, pid)
    assert (item["status"], item["value"], item["flag"]) == ("corrected", 4.2, "normal"), item
    detail = result_of(portal, parent.auth, pid, item["id"])
    assert (detail["status"], detail["value"], detail["interpretation"]) == ("corrected", 4.2, "Normal"), detail
    assert detail["note"] == "Corrected: the first specimen was hemolyzed.", detail
    assert points(detail["history"]) == points_of(corrected), detail["history"]


def test_a_version_older_than_the_stored_one_is_ignored(portal):
    """A preliminary version that arrives after the final one (its meta.lastUpdated older)
    answers 200 and changes nothing."""
    patient = register(portal)
    pid = patient["id"]
    final = observation(literal(pid), SODIUM, 139, effective=moment(3), interpretation="N", last_updated=moment(2))
    store(portal, final)
    before = results_of(portal, portal.admin_token(), pid)
    stale = with_value(revised(final, status="preliminary", interpretation=[fhir.interpreted("L")],
                               meta={"lastUpdated": moment(3, 30)}), 131)
    send(portal, fhir.bundle(stale), ["200"])
    after = results_of(portal, portal.admin_token(), pid)
    assert after == before
    assert (after[0]["status"], after[0]["value"]) == ("final", 139), after


def test_entered_in_error_takes_a_result_out_of_every_view(portal):
    """A hemoglobin sent for the wrong patient is withdrawn (status entered-in-error, same
    identity): it leaves the list, its detail is a 404, it is no longer a history point of the
    same test, nor a result of its report."""
    patient = register(portal)
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    s = literal(pid)
    earlier = observation(s, HEMOGLOBIN, 12.2, effective=moment(20), interpretation="N", last_updated=moment(20))
    wrong = observation(s, HEMOGLOBIN, 7.0, effective=moment(2), interpretation="LL", last_updated=moment(2))
    wbc = observation(s, LEUKOCYTES, 8.0, effective=moment(2), interpretation="N", last_updated=moment(2))
    cbc = diagnostic_report(s, CBC, [wrong, wbc], effective=moment(2), conclusion="Severe anemia.")
    store(portal, earlier, wrong, wbc, cbc)
    items = results_of(portal, parent.auth, pid)
    wrong_id, earlier_id, wbc_id = (item_for(items, o)["id"] for o in (wrong, earlier, wbc))
    assert len(result_of(portal, parent.auth, pid, wrong_id)["history"]) == 2

    withdrawn = revised(wrong, status="entered-in-error", meta={"lastUpdated": moment(1)})
    send(portal, fhir.bundle(withdrawn), ["200"])

    assert [i["id"] for i in results_of(portal, parent.auth, pid)] == [wbc_id, earlier_id]
    unknown = assert_problem(read(portal, parent.auth, pid, f"results/{uuid.uuid4()}"), 404)
    assert assert_problem(read(portal, parent.auth, pid, f"results/{wrong_id}"), 404) == unknown
    assert points(result_of(portal, parent.auth, pid, earlier_id)["history"]) == points_of(earlier)
    [report] = reports_of(portal, parent.auth, pid)
    assert report["result_count"] == 1, report
    assert [r["id"] for r in report_of(portal, parent.auth, pid, report["id"])["results"]] == [wbc_id]


def test_an_immunization_entered_in_error_leaves_the_record_and_the_export(portal):
    patient = register(portal, birth=years_before(7))
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    kept = immunization(literal(pid), IPV, occurred=moment(900), dose=4, lot="W1A221M", site="RA")
    duplicate = immunization(literal(pid), IPV, occurred=moment(899), dose=4, lot="W1A221M", site="RA")
    store(portal, kept, duplicate)
    assert len(immunizations_of(portal, parent.auth, pid)) == 2
    send(portal, fhir.bundle(revised(duplicate, status="entered-in-error")), ["200"])
    [item] = immunizations_of(portal, parent.auth, pid)
    assert_shows_shot(item, kept)
    assert [same_time(i["occurrenceDateTime"], kept["occurrenceDateTime"])
            for i in exported(export_of(portal, parent.auth, pid), "Immunization")] == [True]


# ------------------------------------------------------------------------------- result detail


def test_a_results_detail_shows_range_interpretation_note_performer_and_history(portal):
    """Three hemoglobins: the middle one's detail shows its low/high range, "Low", the note,
    the performer, and the history of the test up to and including it, oldest first; the
    newest's history holds all three."""
    patient = register(portal)
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    s = literal(pid)
    first = observation(s, HEMOGLOBIN, 12.1, effective=moment(200), interpretation="N")
    low = observation(s, HEMOGLOBIN, 10.1, effective=moment(100), interpretation="L",
                      note="Iron studies ordered.", performer="Quest Diagnostics")
    newest = observation(s, HEMOGLOBIN, 11.9, effective=moment(5), interpretation="N")
    store(portal, newest, first, low)
    items = results_of(portal, parent.auth, pid)
    assert [i["id"] for i in items] == [item_for(items, o)["id"] for o in (newest, low, first)], "not newest first"

    detail = result_of(portal, parent.auth, pid, item_for(items, low)["id"])
    assert_shows(detail, low)
    assert detail["flag"] == "low"
    rr = {k: v for k, v in (detail["reference_range"] or {}).items() if v is not None}
    assert rr == {"low": HEMOGLOBIN.low, "high": HEMOGLOBIN.high}, detail["reference_range"]
    assert detail["interpretation"] == "Low"
    assert detail["note"] == "Iron studies ordered."
    assert detail["performer"] == "Quest Diagnostics"
    assert points(detail["history"]) == points_of(first, low)

    latest = result_of(portal, parent.auth, pid, item_for(items, newest)["id"])
    assert points(latest["history"]) == points_of(first, low, newest)
    assert latest["note"] is None and latest["performer"] == "Boston Children's Core Laboratory", latest


def test_text_and_coded_results_show_their_words(portal):
    """A urine color (valueCodeableConcept) and a urine appearance (valueString) with text-only
    reference ranges: the value is the coded value's display, or the text; no unit; the range
    is its text."""
    patient = register(portal)
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    s = literal(pid)
    color = observation(s, URINE_COLOR, coded("371244009", "Yellow"), effective=moment(4),
                        reference_range=[range_text("Yellow")], interpretation="N")
    appearance = observation(s, URINE_APPEARANCE, "Cloudy", effective=moment(4, 1),
                             reference_range=[range_text("Clear")], interpretation="A")
    store(portal, color, appearance)
    items = results_of(portal, parent.auth, pid)
    for obs, text, range_words, words in ((color, "Yellow", "Yellow", "Normal"),
                                          (appearance, "Cloudy", "Clear", "Abnormal")):
        item = item_for(items, obs)
        assert_shows(item, obs)
        assert item["value"] == text and item.get("unit") is None, item
        detail = result_of(portal, parent.auth, pid, item["id"])
        rr = {k: v for k, v in (detail["reference_range"] or {}).items() if v is not None}
        assert rr == {"text": range_words}, detail["reference_range"]
        assert detail["interpretation"] == words, detail


def test_interpretation_codes_become_flags_and_words(portal):
    """H, L, HH, LL, A and N of v3-ObservationInterpretation, sent without their display:
    flags high, low, critical-high, critical-low, abnormal, normal; and the words in detail."""
    patient = register(portal)
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    s = literal(pid)
    sent = {
        "H": observation(s, HEMOGLOBIN, 17.2, effective=moment(6), interpretation=fhir.interpreted("H", False)),
        "L": observation(s, HEMOGLOBIN, 10.9, effective=moment(5), interpretation=fhir.interpreted("L", False)),
        "HH": observation(s, GLUCOSE, 480, effective=moment(4), interpretation=fhir.interpreted("HH", False)),
        "LL": observation(s, GLUCOSE, 38, effective=moment(3), interpretation=fhir.interpreted("LL", False)),
        "A": observation(s, URINE_COLOR, coded("386713009", "Red"), effective=moment(2),
                         reference_range=[range_text("Yellow")], interpretation=fhir.interpreted("A", False)),
        "N": observation(s, GLUCOSE, 85, effective=moment(1), interpretation=fhir.interpreted("N", False)),
    }
    store(portal, *sent.values())
    items = results_of(portal, parent.auth, pid)
    flags = {code: item_for(items, obs)["flag"] for code, obs in sent.items()}
    assert flags == {"H": "high", "L": "low", "HH": "critical-high", "LL": "critical-low", "A": "abnormal",
                     "N": "normal"}
    words = {code: result_of(portal, parent.auth, pid, item_for(items, obs)["id"])["interpretation"]
             for code, obs in sent.items()}
    assert words == {"H": "High", "L": "Low", "HH": "Critical high", "LL": "Critical low", "A": "Abnormal",
                     "N": "Normal"}


# ------------------------------------------------------------------------------------- reports


def test_reports_list_and_detail_with_their_results_and_conclusion(portal):
    """A CBC whose `result` refers by fullUrl and a newer BMP referring as Observation/<id>:
    listed newest first with their result counts; each detail holds its results as the list
    shows them, and its conclusion; each result names its report."""
    patient = register(portal)
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    s = literal(pid)
    hb = observation(s, HEMOGLOBIN, 13.0, effective=moment(10), interpretation="N")
    wbc = observation(s, LEUKOCYTES, 15.2, effective=moment(10), interpretation="H")
    plt = observation(s, PLATELETS, 310, effective=moment(10), interpretation="N")
    cbc = diagnostic_report(s, CBC, [hb, wbc, plt], effective=moment(10), issued=moment(10, 120),
                            conclusion="Mild leukocytosis, likely reactive.")
    glucose = observation(s, GLUCOSE, 90, effective=moment(3), interpretation="N")
    potassium = observation(s, POTASSIUM, 4.1, effective=moment(3), interpretation="N")
    bmp = diagnostic_report(s, BMP, [glucose, potassium], effective=moment(3), issued=moment(3, 90),
                            status="preliminary", refer_by="id")
    store(portal, hb, wbc, plt, cbc, glucose, potassium, bmp, type="batch")

    listed = reports_of(portal, parent.auth, pid)
    got = [(r["name"], r["status"], r["result_count"]) for r in listed]
    assert got == [(BMP.name, "preliminary", 2), (CBC.name, "final", 3)], listed
    assert same_time(listed[0]["issued"], bmp["issued"]) and same_time(listed[1]["issued"], cbc["issued"]), listed
    items = results_of(portal, parent.auth, pid)
    for summary, report, members in ((listed[0], bmp, (glucose, potassium)), (listed[1], cbc, (hb, wbc, plt))):
        uuid.UUID(summary["id"])
        detail = report_of(portal, parent.auth, pid, summary["id"])
        assert {k: detail[k] for k in ("id", "name", "status", "conclusion")} == {
            "id": summary["id"], "name": report["code"]["text"], "status": report["status"],
            "conclusion": report.get("conclusion")}, detail
        assert same_time(detail["issued"], report["issued"]), detail
        assert same_time(detail["effective"], report["effectiveDateTime"]), detail
        assert sorted(r["id"] for r in detail["results"]) == sorted(item_for(items, o)["id"] for o in members)
        for obs in members:
            assert_shows(item_for(detail["results"], obs), obs, report_id=summary["id"])
            assert item_for(detail["results"], obs) == item_for(items, obs)


# ------------------------------------------------------------------------------- immunizations


def test_immunizations_are_listed_oldest_first_with_their_fields(portal):
    """Five immunizations sent in no order: listed oldest first, each with its CVX code and
    name, date, dose, lot, site and who gave it; a historical one without lot, site, performer
    or dose shows none."""
    patient = register(portal, birth=years_before(6))
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    s = literal(pid)
    shots = [
        immunization(s, HEPB, occurred=moment(2000), dose=1, lot="HB4471K", site="RT", performer="Newborn Nursery"),
        immunization(s, DTAP, occurred=moment(1900), dose=1, lot="AC52B030AA", site="LT", performer="Rosa Alvarez, MD"),
        immunization(s, IPV, occurred=moment(1900, 5), dose=1, lot="W1A221M", site="RT", performer="Rosa Alvarez, MD"),
        immunization(s, MMR, occurred=moment(1500), dose=1, lot="Y012345", site="LA", performer="Ken Ito, RN"),
        immunization(s, VARICELLA, occurred=moment(1400)),
    ]
    store(portal, *random.sample(shots, len(shots)))
    items = immunizations_of(portal, parent.auth, pid)
    assert len(items) == len(shots), items
    for item, shot in zip(items, shots):
        assert_shows_shot(item, shot)


def test_the_fhir_export_is_a_valid_r4_bundle_of_the_patient_and_immunizations(portal):
    """The export answers application/fhir+json and validates with the fhir.resources R4B
    models: a collection of the Patient (portal id, name, birth date, MRN identifier) and every
    Immunization with its CVX code, patient reference, date, lot, site, performer and dose."""
    patient = register(portal, birth=years_before(5))
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    s = fhir.by_mrn(patient["mrn"])
    shots = [
        immunization(s, DTAP, occurred=moment(1500), dose=1, lot="AC52B030AA", site="LT", performer="Rosa Alvarez, MD"),
        immunization(s, DTAP, occurred=moment(1440), dose=2, lot="AC52B030AB", site="RT", performer="Rosa Alvarez, MD"),
        immunization(s, MMR, occurred=moment(1100), dose=1, lot="Y012345", site="LA", performer="Ken Ito, RN"),
    ]
    store(portal, *shots)
    body = export_of(portal, parent.auth, pid)
    assert (body["resourceType"], body["type"]) == ("Bundle", "collection"), body

    [pt] = exported(body, "Patient")
    assert pt["id"] == pid
    assert pt["birthDate"] == patient["birth_date"]
    assert any(n.get("family") == patient["family_name"] and patient["given_name"] in n.get("given", [])
               for n in pt["name"]), pt["name"]
    assert [i["value"] for i in pt.get("identifier", []) if i.get("system") == fhir.MRN_SYSTEM] == [patient["mrn"]]

    immunizations = exported(body, "Immunization")
    assert len(immunizations) == len(shots), immunizations
    for shot in shots:
        [got] = [i for i in immunizations if same_time(i["occurrenceDateTime"], shot["occurrenceDateTime"])]
        assert got["status"] == "completed"
        assert cvx_of(got) == shot["vaccineCode"]["coding"][0]["code"]
        assert got["patient"]["reference"] == f"urn:uuid:{pid}"  # entries refer to each other by fullUrl
        assert got["lotNumber"] == shot["lotNumber"]
        assert words_of(got["site"]) == shot["site"]["text"]
        assert [p["actor"]["display"] for p in got["performer"]] == [shot["performer"][0]["actor"]["display"]]
        assert [p["doseNumberPositiveInt"] for p in got["protocolApplied"]] == \
            [shot["protocolApplied"][0]["doseNumberPositiveInt"]]


def test_the_export_of_a_patient_without_mrn_has_no_mrn_identifier(portal):
    patient = register(portal, mrn=False, birth=years_before(3))
    parent = portal.make_holder(patient, "parent")
    store(portal, immunization(literal(patient["id"]), HEPB, occurred=moment(800), dose=3))
    body = export_of(portal, parent.auth, patient["id"])
    [pt] = exported(body, "Patient")
    assert [i for i in pt.get("identifier", []) if i.get("system") == fhir.MRN_SYSTEM] == []
    assert len(exported(body, "Immunization")) == 1


def test_the_validation_of_the_export_can_fail(portal):
    """The check is no formality: the portal's own export, broken in ways a careless writer
    could break it, fails the R4B models' validation."""
    patient = register(portal, birth=years_before(4))
    pid = patient["id"]
    store(portal, immunization(literal(pid), DTAP, occurred=moment(700), dose=3, lot="AC52B030AA", site="LT",
                               performer="Rosa Alvarez, MD"))
    good = export_of(portal, portal.admin_token(), pid)

    def broken(change):
        copy = json.loads(json.dumps(good))
        [imm] = [e["resource"] for e in copy["entry"] if e["resource"]["resourceType"] == "Immunization"]
        change(copy, imm)
        return copy

    breakages = {
        "an Immunization without status": lambda b, imm: imm.pop("status"),
        "a date that is no dateTime": lambda b, imm: imm.update(occurrenceDateTime="03/14/2021"),
        "a dose number of 0": lambda b, imm: imm.update(protocolApplied=[{"doseNumberPositiveInt": 0}]),
        "a field R4 does not have": lambda b, imm: imm.update(vaccineName="DTaP"),
        "a birthDate with a time": lambda b, imm: exported(b, "Patient")[0].update(birthDate="2020-01-01T00:00:00Z"),
    }
    for what, change in breakages.items():
        with pytest.raises(ValidationError):
            fhir.validate_r4(broken(change))
            pytest.fail(f"validated although it has {what}")


# ---------------------------------------------------------------------------- confidentiality


@pytest.fixture(scope="module")
def teen(portal, office):
    """A 14-year-old of cardiology with a parent, a guardian and an own account, and records:
    open: a hemoglobin, two hCG values, a urine color in a urinalysis, a Tdap;
    restricted (R): an hCG between the two open ones, a urine hCG in the open urinalysis, an
    HPV vaccine; very restricted (V): a chlamydia result in an STI report that is V too.
    Their portal ids are read from the staff's view."""
    staff = office["staff"]
    patient = register(portal, birth=years_before(14))
    accounts = {rel: portal.make_holder(patient, rel, staff.auth) for rel in ("parent", "guardian", "self")}
    s = literal(patient["id"])
    results = {
        "hemoglobin": observation(s, HEMOGLOBIN, 13.4, effective=moment(60), interpretation="N"),
        "hcg_before": observation(s, HCG, 1.2, effective=moment(50), interpretation="N"),
        "hcg_restricted": observation(s, HCG, 212.0, effective=moment(30), interpretation="H", restricted="R"),
        "hcg_after": observation(s, HCG, 0.9, effective=moment(10), interpretation="N"),
        "urine_color": observation(s, URINE_COLOR, coded("371244009", "Yellow"), effective=moment(30, 5),
                                   reference_range=[range_text("Yellow")], interpretation="N"),
        "urine_hcg": observation(s, URINE_HCG, coded("10828004", "Positive"), effective=moment(30, 5),
                                 reference_range=[range_text("Negative")], interpretation="A", restricted="R"),
        "chlamydia": observation(s, CHLAMYDIA, coded("260373001", "Detected"), effective=moment(30, 10),
                                 reference_range=[range_text("Not detected")], interpretation="A", restricted="V"),
    }
    reports = {
        "urinalysis": diagnostic_report(s, URINALYSIS, [results["urine_color"], results["urine_hcg"]],
                                        effective=moment(30, 5)),
        "sti": diagnostic_report(s, STI_PANEL, [results["chlamydia"]], effective=moment(30, 10),
                                 conclusion="Chlamydia detected; treatment given.", restricted="V"),
    }
    shots = {
        "tdap": immunization(s, TDAP, occurred=moment(400), dose=1, lot="U7015AA", site="LA", performer="Ken Ito, RN"),
        "hpv": immunization(s, HPV9, occurred=moment(300), dose=1, lot="T034567", site="RA", performer="Ken Ito, RN",
                            restricted="R"),
    }
    store(portal, *results.values(), *reports.values(), *shots.values(), type="batch")

    pid = patient["id"]
    items = results_of(portal, staff.auth, pid)
    listed_reports = {r["name"]: r["id"] for r in reports_of(portal, staff.auth, pid)}
    listed_shots = {i["vaccine"]["cvx"]: i["id"] for i in immunizations_of(portal, staff.auth, pid)}
    return {
        "patient": patient, "staff": staff, **accounts,
        "results": results, "reports": reports, "shots": shots,
        "result_ids": {name: item_for(items, obs)["id"] for name, obs in results.items()},
        "report_ids": {name: listed_reports[r["code"]["text"]] for name, r in reports.items()},
        "shot_ids": {name: listed_shots[cvx_of(imm)] for name, imm in shots.items()},
    }


RESTRICTED_RESULTS = {"hcg_restricted", "urine_hcg", "chlamydia"}


def test_a_teens_restricted_records_are_hidden_from_parent_and_guardian(portal, teen):
    """Lists, details (404 as an unknown id), the hCG's history points, the open report's
    results and count, the restricted report, the immunizations and the export: the parent and
    the guardian see only the open records."""
    pid = teen["patient"]["id"]
    ids, report_ids, shot_ids = teen["result_ids"], teen["report_ids"], teen["shot_ids"]
    for rel in ("parent", "guardian"):
        token = teen[rel].auth
        open_ids = {i for name, i in ids.items() if name not in RESTRICTED_RESULTS}
        assert {i["id"] for i in results_of(portal, token, pid)} == open_ids, rel
        unknown = assert_problem(read(portal, token, pid, f"results/{uuid.uuid4()}"), 404)
        for name in RESTRICTED_RESULTS:
            hidden = read(portal, token, pid, f"results/{ids[name]}")
            assert assert_problem(hidden, 404) == unknown, f"{rel}: {name}: {describe(hidden)}"
        history = result_of(portal, token, pid, ids["hcg_after"])["history"]
        assert points(history) == points_of(teen["results"]["hcg_before"], teen["results"]["hcg_after"]), rel

        assert [(r["id"], r["result_count"]) for r in reports_of(portal, token, pid)] == \
            [(report_ids["urinalysis"], 1)], rel
        urinalysis = report_of(portal, token, pid, report_ids["urinalysis"])
        assert [r["id"] for r in urinalysis["results"]] == [ids["urine_color"]], rel
        unknown = assert_problem(read(portal, token, pid, f"reports/{uuid.uuid4()}"), 404)
        assert assert_problem(read(portal, token, pid, f"reports/{report_ids['sti']}"), 404) == unknown, rel

        assert [i["id"] for i in immunizations_of(portal, token, pid)] == [shot_ids["tdap"]], rel
        assert [cvx_of(i) for i in exported(export_of(portal, token, pid), "Immunization")] == [TDAP.cvx], rel


def test_a_teens_restricted_records_are_shown_to_the_teen_and_the_clinic(portal, teen):
    pid = teen["patient"]["id"]
    ids, report_ids, shot_ids = teen["result_ids"], teen["report_ids"], teen["shot_ids"]
    for who, token in (("self", teen["self"].auth), ("staff", teen["staff"].auth)):
        assert {i["id"] for i in results_of(portal, token, pid)} == set(ids.values()), who
        in_report = {"hcg_restricted": None, "urine_hcg": report_ids["urinalysis"], "chlamydia": report_ids["sti"]}
        for name in RESTRICTED_RESULTS:
            assert_shows(result_of(portal, token, pid, ids[name]), teen["results"][name], report_id=in_report[name])
        history = result_of(portal, token, pid, ids["hcg_after"])["history"]
        r = teen["results"]
        assert points(history) == points_of(r["hcg_before"], r["hcg_restricted"], r["hcg_after"]), who

        counts = {x["id"]: x["result_count"] for x in reports_of(portal, token, pid)}
        assert counts == {report_ids["urinalysis"]: 2, report_ids["sti"]: 1}, who
        sti = report_of(portal, token, pid, report_ids["sti"])
        assert sti["conclusion"] == teen["reports"]["sti"]["conclusion"], who
        assert [x["id"] for x in sti["results"]] == [ids["chlamydia"]], who

        assert [i["id"] for i in immunizations_of(portal, token, pid)] == [shot_ids["tdap"], shot_ids["hpv"]], who
        assert sorted(cvx_of(i) for i in exported(export_of(portal, token, pid), "Immunization")) == \
            sorted([TDAP.cvx, HPV9.cvx]), who


def test_a_restricted_result_of_a_child_under_12_is_shown_to_the_parent(portal):
    patient = register(portal, birth=years_before(8))
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    obs = observation(literal(pid), GLUCOSE, 142, effective=moment(2), interpretation="H", restricted="R")
    shot = immunization(literal(pid), HPV9, occurred=moment(20), dose=1, restricted="R")
    store(portal, obs, shot)
    [item] = results_of(portal, parent.auth, pid)
    assert_shows(result_of(portal, parent.auth, pid, item["id"]), obs)
    assert [i["vaccine"]["cvx"] for i in immunizations_of(portal, parent.auth, pid)] == [HPV9.cvx]


# ------------------------------------------------------------------------------- authorization


def record_paths(result_id: str, report_id: str) -> list[str]:
    return ["results", f"results/{result_id}", "reports", f"reports/{report_id}", "immunizations",
            "immunizations/fhir"]


def with_records(portal, clinic: str = CARDIOLOGY) -> tuple[dict, str, str]:
    """A patient with a result in a report and an immunization: (patient, result id, report id)."""
    patient = register(portal, clinic)
    s = literal(patient["id"])
    obs = observation(s, GLUCOSE, 93, effective=moment(2), interpretation="N")
    store(portal, obs, diagnostic_report(s, BMP, [obs], effective=moment(2)),
          immunization(s, MMR, occurred=moment(300), dose=1))
    admin = portal.admin_token()
    [item] = results_of(portal, admin, patient["id"])
    [report] = reports_of(portal, admin, patient["id"])
    return patient, item["id"], report["id"]


def test_other_clinics_and_families_get_404_as_for_an_unknown_patient(portal, office):
    patient, result_id, report_id = with_records(portal)
    other_family = portal.make_family()
    unknown_pid = str(uuid.uuid4())
    wrong = []
    for who, token in (("staff of another clinic", office["other"].auth), ("another family", other_family.auth)):
        for what, unknown_what in zip(record_paths(result_id, report_id),
                                      record_paths(str(uuid.uuid4()), str(uuid.uuid4()))):
            denied = read(portal, token, patient["id"], what)
            unknown = read(portal, token, unknown_pid, unknown_what)
            if denied.status_code != 404 or unknown.status_code != 404 or denied.json() != unknown.json():
                wrong.append(f"{who}, {what}: {describe(denied)} / unknown: {describe(unknown)}")
    for what in record_paths(result_id, report_id):
        r = read(portal, None, patient["id"], what)
        if r.status_code != 401:
            wrong.append(f"no token, {what}: {describe(r)}")
    assert not wrong, "\n".join(wrong)


def test_an_unknown_or_foreign_record_id_is_404(portal, office):
    """For a patient the caller may read: an unknown result or report id, one of another
    patient, a result id asked as a report, and an id that is no UUID all answer the same 404."""
    patient, result_id, report_id = with_records(portal)
    _, other_result, other_report = with_records(portal)  # of the same clinic: staff may read it
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    wrong = []
    for who, token in (("parent", parent.auth), ("staff", office["staff"].auth)):
        for kind, own, foreign in (("results", result_id, other_result), ("reports", report_id, other_report)):
            assert read(portal, token, pid, f"{kind}/{own}").status_code == 200
            unknown = read(portal, token, pid, f"{kind}/{uuid.uuid4()}")
            if unknown.status_code != 404:
                wrong.append(f"{who}: unknown {kind} id: {describe(unknown)}")
                continue
            for what in (foreign, "not-a-uuid", result_id if kind == "reports" else report_id):
                r = read(portal, token, pid, f"{kind}/{what}")
                if r.status_code != 404 or r.json() != unknown.json():
                    wrong.append(f"{who}: {kind}/{what}: {describe(r)}")
    assert not wrong, "\n".join(wrong)


# ----------------------------------------------------------------------------- the way in's limits


def test_a_bundle_over_1_mib_is_413_and_changes_nothing(portal):
    """A bundle of 1 MiB and 1 byte (a Patient entry with a long narrative and a result) is
    413 and stores nothing: the same bundle at exactly 1 MiB is then taken, its result new."""
    patient = register(portal)
    pt = fhir.patient_resource(patient)
    obs = observation(ref_to(pt), GLUCOSE, 97, effective=moment(1), interpretation="N")
    b = fhir.bundle(pt, obs, type="transaction")
    assert_problem(portal.post_fhir(fhir.padded_to(b, MIB + 1)), 413)
    assert results_of(portal, portal.admin_token(), patient["id"]) == []
    send(portal, b, ["200", "201"], raw=fhir.padded_to(b, MIB))
    assert len(results_of(portal, portal.admin_token(), patient["id"])) == 1


def test_what_is_not_a_bundle_is_400_and_changes_nothing(portal):
    patient = register(portal)
    obs = observation(literal(patient["id"]), GLUCOSE, 104, effective=moment(1), interpretation="H")
    bodies = {
        "an HL7 v2 message": "MSH|^~\\&|LAB|HOSP|PORTAL|HOSP|20240101120000||ORU^R01|1|P|2.5.1\r",
        "a JSON array": json.dumps([obs]),
        "a bare Observation": json.dumps(obs),
        "a Bundle of type searchset": json.dumps({**fhir.bundle(obs), "type": "searchset"}),
        "a Bundle without type": json.dumps({k: v for k, v in fhir.bundle(obs).items() if k != "type"}),
        "JSON cut short": json.dumps(fhir.bundle(obs))[:-20],
    }
    wrong = []
    for what, body in bodies.items():
        r = portal.post_fhir(body)  # a 4xx is checked to be problem+json by the portal handle
        if r.status_code != 400:
            wrong.append(f"{what}: {describe(r)}")
    assert not wrong, "\n".join(wrong)
    assert results_of(portal, portal.admin_token(), patient["id"]) == []


# ------------------------------------------------------------------------------- paging, audit


def test_results_are_paged_newest_first(portal):
    """30 results, limit 10: three pages of ten, newest effective first, none twice; then no
    more (no cursor, or one that leads to an empty last page). A limit outside 1..100 is 400."""
    patient = register(portal)
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    sent = [observation(literal(pid), GLUCOSE, 70 + i, effective=moment(60 - i), interpretation="N") for i in range(30)]
    store(portal, *random.sample(sent, len(sent)))

    pages, cursor = [], None
    for _ in range(4):
        body = body_of(read(portal, parent.auth, pid, "results", limit=10, **({"cursor": cursor} if cursor else {})))
        pages.append(body["items"])
        cursor = body["cursor"]
        if cursor is None:
            break
    assert cursor is None, "still a cursor after the fourth page"
    assert [len(p) for p in pages[:3]] == [10, 10, 10] and all(not p for p in pages[3:]), [len(p) for p in pages]
    items = [i for p in pages for i in p]
    assert len({i["id"] for i in items}) == 30, "an item was listed twice"
    assert [(fhir.instant(i["effective"]), i["value"]) for i in items] == points_of(*reversed(sent))
    for limit in (0, 101, "x"):
        assert_problem(read(portal, parent.auth, pid, "results", limit=limit), 400, "limit")


def test_every_read_of_records_writes_one_audit_record(portal, office):
    """Each of the six reads writes exactly one audit record of its action (the store read
    directly): results.read, result.read, reports.read, report.read, immunizations.read,
    immunizations.export; for the parent and for staff of the clinic."""
    patient, result_id, report_id = with_records(portal)
    parent = portal.make_holder(patient, "parent")
    pid = patient["id"]
    actions = ["results.read", "result.read", "reports.read", "report.read", "immunizations.read",
               "immunizations.export"]
    wrong = []
    for role, token in (("parent", parent.auth), ("staff", office["staff"].auth)):
        for action, what in zip(actions, record_paths(result_id, report_id)):
            before = {rec["sk"] for rec in portal.audit_records(pid)}
            r = read(portal, token, pid, what)
            assert r.status_code == 200, describe(r)
            new = [(rec.get("action"), rec.get("role"), rec.get("outcome"))
                   for rec in portal.audit_records(pid) if rec["sk"] not in before]
            if new != [(action, role, "allowed")]:
                wrong.append(f"{role}, GET {what}: {new}, expected {[(action, role, 'allowed')]}")
    assert not wrong, "\n".join(wrong)
