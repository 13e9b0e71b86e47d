"""Flow 5 of issue 4: the age rules. A parent's or guardian's access ends on the child's 18th
birthday; a patient of 12 or over may have their own account beside their parents'; "self" is
not for a child under 12, nor "parent"/"guardian" for an adult: on account creation and on
linking alike. (Confidential records of teens are proven by a Rust unit test of the rule.)

A birthday is simulated by the clinic correcting the birth date (PUT demographics) so that the
patient is 18 today, or turns 18 tomorrow."""

import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import (
    CARDIOLOGY, assert_problem, describe, new_address, new_email, new_username, patient_path, years_before,
)

ROUTES = ("demographics", "additional-info", "access-log")


def listed(portal, account) -> set:
    r = portal.get("/api/account", token=account.auth)
    assert r.status_code == 200, describe(r)
    return {p["id"] for p in r.json()["patients"]}


def set_birth_date(portal, token, patient_id, birth):
    body = portal.patient_data(token, patient_id)
    # A PUT needs an address (the spec: `address` required), which a new patient lacks.
    body["address"] = body["address"] or new_address()
    r = portal.put(patient_path(patient_id), token=token, json={**body, "birth_date": birth.isoformat()})
    assert r.status_code == 200, describe(r)


def test_a_parents_access_ends_on_the_18th_birthday(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    patient = portal.make_patient_born(years_before(18, 1), staff.auth)  # 17, turns 18 tomorrow
    parent = portal.make_holder(patient, "parent", staff.auth)
    guardian = portal.make_holder(patient, "guardian", staff.auth)
    own = portal.make_holder(patient, "self", staff.auth)
    pid = patient["id"]
    # The day before the 18th birthday: parents and guardians still act for the child.
    for account in (parent, guardian, own):
        for what in ROUTES:
            r = portal.get(patient_path(pid, what), token=account.auth)
            assert r.status_code == 200, describe(r)
        assert pid in listed(portal, account)

    set_birth_date(portal, staff.auth, pid, years_before(18))  # 18 today
    for account in (parent, guardian):
        for what in ROUTES:
            assert_problem(portal.get(patient_path(pid, what), token=account.auth), 404)
        assert pid not in listed(portal, account)
    # The patient's own account and the clinic keep access.
    for what in ROUTES:
        assert portal.get(patient_path(pid, what), token=own.auth).status_code == 200
    assert pid in listed(portal, own)
    assert portal.patient_data(staff.auth, pid)["birth_date"] == years_before(18).isoformat()

    # A correction back to 17 gives the parents access again: the rule is computed, not stored.
    set_birth_date(portal, staff.auth, pid, years_before(18, 1))
    assert pid in listed(portal, parent)
    assert portal.get(patient_path(pid), token=guardian.auth).status_code == 200


def test_a_parent_of_several_loses_only_the_adult_child(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    older = portal.make_patient_born(years_before(17), staff.auth)
    younger = portal.make_patient_born(years_before(9), staff.auth)
    parent = portal.make_holder(older, "parent", staff.auth)
    assert portal.link(staff.auth, parent.username, younger["id"], "parent").status_code == 201
    assert listed(portal, parent) == {older["id"], younger["id"]}
    set_birth_date(portal, staff.auth, older["id"], years_before(18, -30))
    assert listed(portal, parent) == {younger["id"]}
    assert_problem(portal.get(patient_path(older["id"]), token=parent.auth), 404)
    assert portal.get(patient_path(younger["id"]), token=parent.auth).status_code == 200


def test_a_teen_has_their_own_account_beside_the_parents(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    teen = portal.make_patient_born(years_before(14), staff.auth)
    parent = portal.make_holder(teen, "parent", staff.auth)
    own = portal.make_holder(teen, "self", staff.auth)
    for account in (parent, own):
        body = portal.patient_data(account.auth, teen["id"])
        assert (body["id"], body["given_name"]) == (teen["id"], teen["given_name"])
    me = portal.get("/api/account", token=own.auth).json()
    assert [(p["id"], p["relationship"]) for p in me["patients"]] == [(teen["id"], "self")]
    # One own account per patient.
    r = portal.create_account(staff.auth, new_username("fam"), new_email("fam"), teen["id"], "self")
    assert_problem(r, 409)
    other = portal.make_family(staff.auth, sign_in=False)
    assert_problem(portal.link(staff.auth, other.username, teen["id"], "self"), 409)


def test_self_is_from_12(portal):
    admin = portal.admin_token()
    twelve_today = portal.make_patient_born(years_before(12))
    twelve_tomorrow = portal.make_patient_born(years_before(12, 1))
    ten = portal.make_patient_born(years_before(10))
    for patient in (twelve_tomorrow, ten):
        r = portal.create_account(admin, new_username("fam"), new_email("fam"), patient["id"], "self")
        problem = assert_problem(r, 400, "relationship")
        assert problem.get("field") == "relationship", problem
    r = portal.create_account(admin, new_username("fam"), new_email("fam"), twelve_today["id"], "self")
    assert r.status_code == 201, describe(r)

    account = portal.make_family(sign_in=False)
    for patient in (twelve_tomorrow, ten):
        assert_problem(portal.link(admin, account.username, patient["id"], "self"), 400, "relationship")
    # Nothing was linked: a parent link of the same account is still possible.
    assert portal.link(admin, account.username, ten["id"], "parent").status_code == 201


def test_parent_and_guardian_end_at_18(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    adult = portal.make_patient_born(years_before(18), staff.auth)
    older = portal.make_patient_born(years_before(25), staff.auth)
    almost = portal.make_patient_born(years_before(18, 1), staff.auth)
    account = portal.make_family(staff.auth, sign_in=False)
    for patient in (adult, older):
        for relationship in ("parent", "guardian"):
            r = portal.create_account(staff.auth, new_username("fam"), new_email("fam"), patient["id"], relationship)
            problem = assert_problem(r, 400, "relationship")
            assert problem.get("field") == "relationship", problem
            assert_problem(portal.link(staff.auth, account.username, patient["id"], relationship), 400, "relationship")
    # An adult patient gets their own account.
    own = portal.make_holder(adult, "self", staff.auth)
    assert listed(portal, own) == {adult["id"]}
    # The day before the 18th birthday a parent may still be added.
    assert portal.link(staff.auth, account.username, almost["id"], "guardian").status_code == 201


# ---------------------------------------------------------------- issue 9


def test_an_own_account_ends_when_the_patient_is_corrected_to_under_12(portal):
    """The age rule holds for "self" links at access time, as for parents: once the office
    corrects a 13-year-old's birth date so that the patient is 6, the own account lists no
    patient and reads nothing; the parent and the clinic keep access."""
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    patient = portal.make_patient_born(years_before(13), staff.auth)
    own = portal.make_holder(patient, "self", staff.auth)
    parent = portal.make_holder(patient, "parent", staff.auth)
    pid = patient["id"]
    assert portal.patient_data(own.auth, pid)["id"] == pid
    assert listed(portal, own) == {pid}

    set_birth_date(portal, staff.auth, pid, years_before(6))
    assert listed(portal, own) == set()
    for what in ROUTES:
        assert_problem(portal.get(patient_path(pid, what), token=own.auth), 404)
    assert listed(portal, parent) == {pid}
    assert portal.patient_data(parent.auth, pid)["birth_date"] == years_before(6).isoformat()


CONCURRENT_CREATES = 6


def test_of_concurrent_creates_of_an_own_account_exactly_one_wins(portal):
    """One own account per patient, under concurrency too: six simultaneous creates of a "self"
    account for one 13-year-old (each another username and email) are one 201 and five 409s,
    and only the winner's account exists. Three rounds, a new patient each."""
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    for round_ in range(3):
        patient = portal.make_patient_born(years_before(13), staff.auth)
        names = [new_username("own") for _ in range(CONCURRENT_CREATES)]
        emails = [new_email("own") for _ in range(CONCURRENT_CREATES)]
        start = threading.Barrier(CONCURRENT_CREATES)

        def attempt(i):
            start.wait(timeout=60)
            return portal.create_account(staff.auth, names[i], emails[i], patient["id"], "self")

        with ThreadPoolExecutor(CONCURRENT_CREATES) as pool:
            answers = list(pool.map(attempt, range(CONCURRENT_CREATES)))
        statuses = [r.status_code for r in answers]
        assert sorted(statuses) == [201] + [409] * (CONCURRENT_CREATES - 1), (
            f"round {round_}: " + "; ".join(describe(r) for r in answers))
        for r in answers:
            if r.status_code == 409:
                assert_problem(r, 409)
        winner = statuses.index(201)
        for i, username in enumerate(names):
            r = portal.get(f"/api/admin/accounts/{username}", token=staff.auth)
            if i == winner:
                assert r.status_code == 200, describe(r)
                assert [(p["id"], p["relationship"]) for p in r.json()["patients"]] == [(patient["id"], "self")]
            else:
                assert_problem(r, 404)
