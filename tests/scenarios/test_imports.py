"""Issue 11, item 7: the admins' "Imports" (GET /api/admin/imports): every bundle the hospital's
systems sent, newest first, with its counts and the reasons its refused entries were refused,
and no PHI. Only admins read it."""

from __future__ import annotations

import base64

import fhir_bundles as fhir
from conftest import CARDIOLOGY, SECRETS, Kind, assert_problem, describe, new_patient_body
from fhir_bundles import HEMOGLOBIN, by_mrn, encounter, literal, moment, observation

PATH = "/api/admin/imports"


def newest(portal, token) -> dict:
    r = portal.get(f"{PATH}?limit=1", token=token)
    assert r.status_code == 200, describe(r)
    [item] = r.json()["items"]
    return item


def test_admins_see_each_bundle_with_its_counts_and_reasons_and_no_phi(portal):
    admin = portal.admin_token()
    body = new_patient_body(CARDIOLOGY, with_mrn=False)
    body["mrn"] = fhir.new_mrn()
    r = portal.create_patient(admin, body)
    assert r.status_code == 201, describe(r)
    pid = r.json()["id"]
    unknown_mrn = SECRETS.add(Kind.MRN, fhir.new_mrn())
    sent = fhir.bundle(
        observation(literal(pid), HEMOGLOBIN, 12.1, effective=moment(3)),
        observation(by_mrn(unknown_mrn), HEMOGLOBIN, 11.0, effective=moment(3)),
        encounter(literal(pid), start=moment(3)),
    )
    r = portal.post_fhir(sent)
    assert fhir.statuses(r, sent) == ["201", "422", "422"], describe(r)

    item = newest(portal, admin)
    assert (item["entries"], item["accepted"], item["refused"]) == (3, 1, 2), item
    assert [(x["index"], x["resource_type"]) for x in item["refusals"]] == [(1, "Observation"), (2, "Encounter")], item
    assert all(isinstance(x["reason"], str) and x["reason"] for x in item["refusals"]), item
    text = str(item)
    for phi in (body["given_name"], body["family_name"], body["birth_date"], body["mrn"], unknown_mrn, pid):
        assert phi not in text, f"the import record holds {phi!r}"

    # A body that is no bundle is an import too, saying why, with nothing in it.
    r = portal.post_fhir(b'{"resourceType": "Patient"}')
    assert_problem(r, 400)
    item = newest(portal, admin)
    assert (item["entries"], item["refused"], item["problem"]) == (0, 0, "The body is not a FHIR Bundle."), item


def test_only_admins_read_imports_and_cursors_are_checked(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    family = portal.make_family()
    for token in (staff.auth, family.auth):
        assert_problem(portal.get(PATH, token=token), 403)
    assert_problem(portal.get(PATH), 401)
    admin = portal.admin_token()
    for bad in ("zzzz", base64.urlsafe_b64encode(b"NAME#a").decode().rstrip("=")):
        assert_problem(portal.get(f"{PATH}?cursor={bad}", token=admin), 400, "cursor")
    assert_problem(portal.get(f"{PATH}?limit=0", token=admin), 400, "limit")
    for _ in range(3):
        portal.post_fhir(fhir.bundle(encounter(literal(family.patient["id"]), start=moment(1))))
    first = portal.get(f"{PATH}?limit=2", token=admin).json()
    second = portal.get(f"{PATH}?limit=2&cursor={first['cursor']}", token=admin).json()
    received = [i["received"] for i in first["items"] + second["items"]]
    assert received == sorted(received, reverse=True) and len(set(received)) == 4
