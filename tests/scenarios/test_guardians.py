"""Flow 4 of issue 4: a parent or guardian of several children has one sign-in. The office
links an existing account to another patient (POST /api/admin/accounts/{username}/patients)
and unlinks it (DELETE .../patients/{patient_id}); the account lists every child it acts for."""

import uuid

from conftest import (
    CARDIOLOGY, ENDOCRINE, assert_problem, describe, new_patient_body, new_username, patient_path, years_before,
)

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


# ---------------------------------------------------------------- issue 9: account scope of link and unlink


def test_staff_may_not_link_their_patient_to_another_clinics_family(portal):
    """Linking needs the account in the caller's scope, like find, resend, rename and disable:
    staff of ENDOCRINE cannot make a CARDIOLOGY family "theirs" by linking one of their own
    patients to it. The refusal is the unknown username's 404, body for body."""
    cardiology = portal.make_staff(clinics=(CARDIOLOGY,))
    endocrine = portal.make_staff(clinics=(ENDOCRINE,))
    family = portal.make_family(cardiology.auth)
    ours = portal.make_patient(endocrine.auth, ENDOCRINE)

    unknown = assert_problem(portal.link(endocrine.auth, new_username("nobody"), ours["id"], "guardian"), 404)
    denied = assert_problem(portal.link(endocrine.auth, family.username, ours["id"], "guardian"), 404)
    assert denied == unknown, "the refusal tells the account exists"
    assert set(children(portal, family)) == {family.patient["id"]}
    # Still none of endocrine's business: the family's account stays out of their reach.
    assert_problem(portal.get(f"/api/admin/accounts/{family.username}", token=endocrine.auth), 404)


def test_an_out_of_scope_account_is_refused_before_the_body_is_judged(portal):
    """A body that would be a 400 (or 404, or 409) for an account in scope is the unknown
    username's 404 for an existing account out of scope, and so is any staff or admin
    account as the target."""
    cardiology = portal.make_staff(clinics=(CARDIOLOGY,))
    endocrine = portal.make_staff(clinics=(ENDOCRINE,))
    colleague = portal.make_staff(clinics=(ENDOCRINE,), sign_in=False)
    family = portal.make_family(cardiology.auth)
    five = portal.make_patient_born(years_before(5), endocrine.auth, ENDOCRINE)
    nobody = new_username("nobody")

    unknown = assert_problem(portal.link(endocrine.auth, nobody, five["id"], "guardian"), 404)
    cases = {
        "self for a 5-year-old": (family.username, five["id"], "self"),
        "an unknown patient": (family.username, str(uuid.uuid4()), "guardian"),
        "another relationship to the family's own child": (family.username, family.patient["id"], "guardian"),
        "a staff account of the caller's clinic": (colleague.username, five["id"], "guardian"),
        "another clinic's staff account": (cardiology.username, five["id"], "guardian"),
        "the admin account": ("admin", five["id"], "guardian"),
    }
    wrong = []
    for why, (username, patient_id, relationship) in cases.items():
        r = portal.link(endocrine.auth, username, patient_id, relationship)
        if r.status_code != 404 or r.json() != unknown:
            wrong.append(f"{why}: {describe(r)}")
    # The unknown username with the same bodies: the same 404 too.
    for patient_id, relationship in ((five["id"], "self"), (str(uuid.uuid4()), "guardian")):
        r = portal.link(endocrine.auth, nobody, patient_id, relationship)
        if r.status_code != 404 or r.json() != unknown:
            wrong.append(f"unknown username, {relationship}: {describe(r)}")
    assert not wrong, "refusals unlike the unknown username's 404:\n" + "\n".join(wrong)
    assert set(children(portal, family)) == {family.patient["id"]}
    assert portal.get("/api/account", token=cardiology.auth).json()["patients"] == []


def test_staff_may_not_unlink_from_another_clinics_family(portal):
    """Unlinking needs the account in scope too: even a patient of the caller's clinic that is
    not linked (which, in scope, is a 204 "done already") is the unknown username's 404 for a
    family outside their clinics."""
    cardiology = portal.make_staff(clinics=(CARDIOLOGY,))
    endocrine = portal.make_staff(clinics=(ENDOCRINE,))
    family = portal.make_family(cardiology.auth)
    ours = portal.make_patient(endocrine.auth, ENDOCRINE)

    unknown = assert_problem(portal.unlink(endocrine.auth, new_username("nobody"), ours["id"]), 404)
    assert assert_problem(portal.unlink(endocrine.auth, family.username, ours["id"]), 404) == unknown
    assert assert_problem(portal.unlink(endocrine.auth, family.username, family.patient["id"]), 404) == unknown
    assert assert_problem(portal.unlink(endocrine.auth, cardiology.username, ours["id"]), 404) == unknown
    assert set(children(portal, family)) == {family.patient["id"]}
    for what in ROUTES:
        assert portal.get(patient_path(family.patient["id"], what), token=family.auth).status_code == 200


# ---------------------------------------------------------------- issue 9: more than 100 patients


def test_an_account_linked_to_101_patients_lists_them_all(portal):
    """GET /api/account reads the account's patients in batches: over 100 keys, BatchGetItem's
    limit, the reads are split."""
    admin = portal.admin_token()
    family = portal.make_family(admin, relationship="guardian")
    # One request at a time: moto's server is not safe for concurrent transactions.
    linked = []
    for _ in range(100):
        r = portal.create_patient(admin, new_patient_body(CARDIOLOGY))
        assert r.status_code == 201, describe(r)
        linked.append(r.json()["id"])
        r = portal.link(admin, family.username, linked[-1], "guardian")
        assert r.status_code == 201, describe(r)
    expected = {family.patient["id"], *linked}
    assert len(expected) == 101
    r = portal.get("/api/account", token=family.auth)
    assert r.status_code == 200, describe(r)
    listed = r.json()["patients"]
    assert len(listed) == 101, len(listed)
    assert {p["id"] for p in listed} == expected
