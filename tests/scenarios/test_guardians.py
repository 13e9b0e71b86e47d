"""Flow 4 of issue 4: a parent or guardian of several children has one sign-in. The office
links an existing account to another patient (POST /api/admin/accounts/{username}/patients)
and unlinks it (DELETE .../patients/{patient_id}); the account lists every child it acts for."""

import uuid

from conftest import CARDIOLOGY, ENDOCRINE, assert_problem, describe, new_username, patient_path

ROUTES = ("demographics", "additional-info", "access-log")


def children(portal, account) -> dict:
    r = portal.get("/api/account", token=account.auth)
    assert r.status_code == 200, describe(r)
    return {p["id"]: p for p in r.json()["patients"]}


def test_a_guardian_of_two_children_signs_in_once_and_acts_for_both(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    guardian = portal.make_family(staff.auth, relationship="guardian")
    first = guardian.patient
    second = portal.make_patient(staff.auth, CARDIOLOGY)

    r = portal.link(staff.auth, guardian.username, second["id"], "guardian")
    assert r.status_code == 201, describe(r)
    assert r.json() == {"username": guardian.username, "patient_id": second["id"], "relationship": "guardian"}

    listed = children(portal, guardian)
    assert set(listed) == {first["id"], second["id"]}
    assert {pid: (p["given_name"], p["relationship"]) for pid, p in listed.items()} == {
        first["id"]: (first["given_name"], "guardian"), second["id"]: (second["given_name"], "guardian")}
    for child in (first, second):
        body = portal.patient_data(guardian.auth, child["id"])
        assert (body["id"], body["given_name"], body["family_name"]) == (child["id"], child["given_name"], child["family_name"])
        for what in ROUTES:
            assert portal.get(patient_path(child["id"], what), token=guardian.auth).status_code == 200


def test_unlinking_ends_access_to_that_child_only(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    parent = portal.make_family(staff.auth)
    second = portal.make_patient(staff.auth, CARDIOLOGY)
    assert portal.link(staff.auth, parent.username, second["id"], "parent").status_code == 201
    assert set(children(portal, parent)) == {parent.patient["id"], second["id"]}

    r = portal.unlink(staff.auth, parent.username, second["id"])
    assert r.status_code == 204, describe(r)
    assert set(children(portal, parent)) == {parent.patient["id"]}
    for what in ROUTES:
        assert_problem(portal.get(patient_path(second["id"], what), token=parent.auth), 404)
        assert portal.get(patient_path(parent.patient["id"], what), token=parent.auth).status_code == 200
    # Unlinking again (nothing linked) is still 204; the office still has the patient.
    assert portal.unlink(staff.auth, parent.username, second["id"]).status_code == 204
    assert portal.patient_data(staff.auth, second["id"])["id"] == second["id"]


def test_a_link_may_be_retried_but_not_changed(portal):
    admin = portal.admin_token()
    guardian = portal.make_family(relationship="guardian")
    second = portal.make_patient()
    for _ in range(2):
        r = portal.link(admin, guardian.username.upper(), second["id"], "guardian")
        assert r.status_code == 201, describe(r)
        assert r.json()["relationship"] == "guardian"
    assert_problem(portal.link(admin, guardian.username, second["id"], "parent"), 409)
    assert children(portal, guardian)[second["id"]]["relationship"] == "guardian"


def test_staff_of_another_clinic_may_neither_link_nor_unlink(portal):
    cardiology = portal.make_staff(clinics=(CARDIOLOGY,))
    endocrine = portal.make_staff(clinics=(ENDOCRINE,))
    parent = portal.make_family(cardiology.auth)
    second = portal.make_patient(cardiology.auth, CARDIOLOGY)

    unknown = portal.link(endocrine.auth, parent.username, str(uuid.uuid4()), "parent")
    denied = portal.link(endocrine.auth, parent.username, second["id"], "parent")
    assert_problem(unknown, 404)
    assert_problem(denied, 404)
    assert denied.json() == unknown.json(), "the refusal tells the patient exists"
    assert set(children(portal, parent)) == {parent.patient["id"]}

    assert_problem(portal.unlink(endocrine.auth, parent.username, parent.patient["id"]), 404)
    assert set(children(portal, parent)) == {parent.patient["id"]}


def test_only_family_accounts_can_be_linked(portal):
    admin = portal.admin_token()
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    patient = portal.make_patient()
    for username in (staff.username, "admin", new_username("nobody")):
        problem = assert_problem(portal.link(admin, username, patient["id"], "guardian"), 404)
        assert "account" in problem["detail"].lower(), problem
    assert portal.get("/api/account", token=staff.auth).json()["patients"] == []


def test_families_may_not_link_or_unlink(portal):
    parent = portal.make_family()
    other = portal.make_patient()
    assert_problem(portal.link(parent.auth, parent.username, other["id"], "parent"), 403)
    assert_problem(portal.unlink(parent.auth, parent.username, parent.patient["id"]), 403)
    assert set(children(portal, parent)) == {parent.patient["id"]}


def test_bad_link_requests_are_400(portal):
    admin = portal.admin_token()
    parent = portal.make_family(sign_in=False)
    patient = portal.make_patient()
    path = portal.account_path(parent.username, "patients")
    for body, field in (({"patient_id": patient["id"], "relationship": "uncle"}, "relationship"),
                        ({"patient_id": "not-an-id", "relationship": "parent"}, "patient_id"),
                        ({"patient_id": patient["id"]}, "relationship"),
                        ({"patient_id": patient["id"], "relationship": "parent", "note": "x"}, "note")):
        assert_problem(portal.post(path, token=admin, json=body), 400, field)
