"""Flow 1 of issue 4: "Pt Demographics". The family keeps the patient's address, phone
numbers and email current; names and birth date are the clinic's to change; every update is
conditional on the version it was read at, so of concurrent updates exactly one wins."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from conftest import (
    CARDIOLOGY, ENDOCRINE, SECRETS, Kind, assert_no_store, assert_problem, describe, letters,
    new_address, new_email, new_phone, patient_path, years_before,
)

CONCURRENT_WRITERS = 8


def get(portal, token, patient_id):
    return portal.get(patient_path(patient_id), token=token)


def put(portal, token, patient_id, body):
    return portal.put(patient_path(patient_id), token=token, json=body)


def with_contact_details(portal, token, patient_id) -> dict:
    """Gives the patient an address, two phones and an email; the record as answered."""
    body = {**portal.patient_data(token, patient_id), "address": new_address(line2=True),
            "phones": [{"kind": "home", "number": new_phone()}, {"kind": "mobile", "number": new_phone()}],
            "email": new_email("pt")}
    r = put(portal, token, patient_id, body)
    assert r.status_code == 200, describe(r)
    return r.json()


def assert_field(problem: dict, *names: str) -> None:
    """The problem's `field` names one of `names` (a nested one may carry its path)."""
    named = str(problem.get("field") or "")
    assert any(n in named for n in names), f"problem field {named!r} is not one of {names}: {problem}"


def test_a_new_patients_demographics_are_what_the_office_registered(portal):
    family = portal.make_family()
    p = family.patient
    r = get(portal, family.auth, p["id"])
    assert r.status_code == 200, describe(r)
    assert_no_store(r)
    body = r.json()
    assert {k: body[k] for k in ("id", "given_name", "family_name", "birth_date")} == \
        {k: p[k] for k in ("id", "given_name", "family_name", "birth_date")}
    assert body["address"] is None and body["phones"] == [] and body["email"] is None, body
    assert isinstance(body["version"], int) and not isinstance(body["version"], bool)


def test_the_family_updates_address_phones_and_email(portal):
    family = portal.make_family()
    pid = family.patient["id"]
    before = portal.patient_data(family.auth, pid)
    address = new_address(line2=True)
    phones = [{"kind": "home", "number": new_phone()}, {"kind": "mobile", "number": new_phone()},
              {"kind": "work", "number": "+1 (617) 555-0100"}]
    email = new_email("pt")
    r = put(portal, family.auth, pid, {**before, "address": address, "phones": phones, "email": email})
    assert r.status_code == 200, describe(r)
    assert_no_store(r)
    after = r.json()
    assert after == {**before, "address": address, "phones": phones, "email": email, "version": before["version"] + 1}
    assert portal.patient_data(family.auth, pid) == after

    # An empty second line is no second line; a null email is no email (one left out is a
    # 400: test_input_rules.py).
    address2 = {**new_address(), "line2": ""}
    r = put(portal, family.auth, pid, {**after, "email": None, "address": address2, "phones": []})
    assert r.status_code == 200, describe(r)
    now = portal.patient_data(family.auth, pid)
    assert "line2" not in now["address"] and now["email"] is None and now["phones"] == [], now
    assert now["address"] == {k: v for k, v in address2.items() if k != "line2"}
    assert now["version"] == after["version"] + 1


def test_families_may_send_names_and_birth_date_back_but_not_change_them(portal):
    family = portal.make_family()
    pid = family.patient["id"]
    before = with_contact_details(portal, family.auth, pid)
    changes = {
        "given_name": SECRETS.add(Kind.PATIENT_NAME, "Zoe" + letters(9)),
        "family_name": SECRETS.add(Kind.PATIENT_NAME, "Nguyen" + letters(9)),
        "birth_date": SECRETS.add(Kind.BIRTH_DATE, years_before(5).isoformat()),
    }
    for name, value in changes.items():
        r = put(portal, family.auth, pid, {**before, "address": new_address(), name: value})
        problem = assert_problem(r, 403)
        assert problem.get("field") == name, problem
    assert portal.patient_data(family.auth, pid) == before


def test_staff_of_the_clinic_correct_names_and_birth_date(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    family = portal.make_family(staff.auth, clinic=CARDIOLOGY)
    pid = family.patient["id"]
    before = with_contact_details(portal, family.auth, pid)
    given = SECRETS.add(Kind.PATIENT_NAME, "Mia" + letters(9))
    family_name = SECRETS.add(Kind.PATIENT_NAME, "Okafor" + letters(9))
    birth = SECRETS.add(Kind.BIRTH_DATE, years_before(6, 40).isoformat())
    r = put(portal, staff.auth, pid, {**before, "given_name": given, "family_name": family_name, "birth_date": birth})
    assert r.status_code == 200, describe(r)
    expected = {**before, "given_name": given, "family_name": family_name, "birth_date": birth,
                "version": before["version"] + 1}
    assert r.json() == expected
    # The family sees the corrected record, and its account lists the child by the new name.
    assert portal.patient_data(family.auth, pid) == expected
    me = portal.get("/api/account", token=family.auth).json()
    assert [(p["id"], p["given_name"]) for p in me["patients"]] == [(pid, given)]
    # Admins correct names too.
    renamed = SECRETS.add(Kind.PATIENT_NAME, "Ito" + letters(9))
    r = put(portal, portal.admin_token(), pid, {**expected, "family_name": renamed})
    assert r.status_code == 200, describe(r)
    assert portal.patient_data(family.auth, pid)["family_name"] == renamed


def test_a_new_patients_name_is_corrected_before_any_address_is_entered(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    pid = portal.make_patient(staff.auth, clinic=CARDIOLOGY)["id"]
    before = get(portal, staff.auth, pid).json()
    assert before["address"] is None
    given = SECRETS.add(Kind.PATIENT_NAME, "Noa" + letters(9))
    r = put(portal, staff.auth, pid, {**before, "given_name": given})
    assert r.status_code == 200, describe(r)
    assert r.json() == {**before, "given_name": given, "version": before["version"] + 1}


def test_staff_of_another_clinic_neither_read_nor_change_them(portal):
    endocrine = portal.make_staff(clinics=(ENDOCRINE,))
    family = portal.make_family(clinic=CARDIOLOGY)
    pid = family.patient["id"]
    before = with_contact_details(portal, family.auth, pid)
    assert_problem(get(portal, endocrine.auth, pid), 404)
    assert_problem(put(portal, endocrine.auth, pid, {**before, "address": new_address()}), 404)
    assert portal.patient_data(family.auth, pid) == before


def _bad_bodies(good: dict, other_id: str):
    """(what is wrong, the body, field names the problem may give)."""
    a = good["address"]
    phone = good["phones"][0]
    yield "a four-digit postal code", {**good, "address": {**a, "postal_code": "2115"}}, ("postal_code",)
    yield "a postal code with letters", {**good, "address": {**a, "postal_code": "ABCDE"}}, ("postal_code",)
    yield "a ZIP+4 cut short", {**good, "address": {**a, "postal_code": "02115-12"}}, ("postal_code",)
    yield "an unknown state", {**good, "address": {**a, "state": "XX"}}, ("state",)
    yield "a state spelled out", {**good, "address": {**a, "state": "Massachusetts"}}, ("state",)
    yield "an empty first line", {**good, "address": {**a, "line1": ""}}, ("line1",)
    yield "a 101-character first line", {**good, "address": {**a, "line1": "x" * 101}}, ("line1",)
    yield "a 61-character city", {**good, "address": {**a, "city": "x" * 61}}, ("city",)
    yield "an unknown address field", {**good, "address": {**a, "county": "Suffolk"}}, ("county",)
    yield "no address", {k: v for k, v in good.items() if k != "address"}, ("address",)
    yield "a six-digit phone", {**good, "phones": [{**phone, "number": "555-010"}]}, ("number", "phones")
    yield "a phone of words", {**good, "phones": [{**phone, "number": "call me maybe"}]}, ("number", "phones")
    yield "a 16-digit phone", {**good, "phones": [{**phone, "number": "+1 617 555 0100 0100 9"}]}, ("number", "phones")
    yield "a fax", {**good, "phones": [{**phone, "kind": "fax"}]}, ("kind", "phones")
    yield "six phones", {**good, "phones": [phone] * 6}, ("phones",)
    yield "a bad email", {**good, "email": "not-an-email"}, ("email",)
    yield "an unknown field", {**good, "nickname": "Bean"}, ("nickname",)
    yield "another patient's id", {**good, "id": other_id}, ("id",)
    yield "a version that is not a number", {**good, "version": "one"}, ("version",)


def test_bad_fields_are_400s_naming_the_field_and_change_nothing(portal):
    family = portal.make_family()
    pid = family.patient["id"]
    good = with_contact_details(portal, family.auth, pid)
    other = portal.make_patient()["id"]
    wrong = []
    for why, body, names in _bad_bodies(good, other):
        r = put(portal, family.auth, pid, body)
        if r.status_code != 400:
            wrong.append(f"{why}: {describe(r)}")
            continue
        problem = assert_problem(r, 400)
        if not any(n in str(problem.get("field") or "") for n in names):
            wrong.append(f"{why}: field {problem.get('field')!r}, expected one of {names}")
    assert not wrong, "\n".join(wrong)
    assert portal.patient_data(family.auth, pid) == good
    # The other patient was not touched either.
    assert portal.patient_data(portal.admin_token(), other)["address"] is None


def test_a_stale_version_is_a_409_and_changes_nothing(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    family = portal.make_family(staff.auth)
    pid = family.patient["id"]
    read_by_family = portal.patient_data(family.auth, pid)
    r = put(portal, staff.auth, pid, {**read_by_family, "address": new_address()})
    assert r.status_code == 200, describe(r)
    current = r.json()
    for version in (read_by_family["version"], current["version"] + 1):
        problem = assert_problem(put(portal, family.auth, pid, {**read_by_family, "address": new_address(),
                                                                 "version": version}), 409)
        assert problem["type"].endswith("/conflict"), problem
    assert portal.patient_data(family.auth, pid) == current


def test_of_concurrent_updates_with_one_version_exactly_one_wins(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    family = portal.make_family(staff.auth)
    pid = family.patient["id"]
    for round_ in range(3):
        base = portal.patient_data(family.auth, pid)
        bodies = [{**base, "address": new_address(), "phones": [{"kind": "mobile", "number": new_phone()}]}
                  for _ in range(CONCURRENT_WRITERS)]
        # Half the writers are the family, half the clinic; all start together.
        tokens = [family.auth if i % 2 else staff.auth for i in range(CONCURRENT_WRITERS)]
        start = threading.Barrier(CONCURRENT_WRITERS)

        def attempt(i):
            start.wait(timeout=60)
            return put(portal, tokens[i], pid, bodies[i])

        with ThreadPoolExecutor(CONCURRENT_WRITERS) as pool:
            answers = list(pool.map(attempt, range(CONCURRENT_WRITERS)))
        statuses = [r.status_code for r in answers]
        assert sorted(statuses) == [200] + [409] * (CONCURRENT_WRITERS - 1), (
            f"round {round_}: " + "; ".join(describe(r) for r in answers))
        for r in answers:
            if r.status_code == 409:
                assert_problem(r, 409)
        winner = bodies[statuses.index(200)]
        after = portal.patient_data(family.auth, pid)
        assert (after["address"], after["phones"]) == (winner["address"], winner["phones"])
        assert after["version"] == base["version"] + 1
        assert answers[statuses.index(200)].json() == after


def test_unknown_and_malformed_patient_ids_are_404(portal):
    family = portal.make_family()
    body = portal.patient_data(family.auth, family.patient["id"])
    for pid in (str(uuid.uuid4()), "not-a-patient-id", "1"):
        assert_problem(get(portal, family.auth, pid), 404)
    unknown = str(uuid.uuid4())
    assert_problem(put(portal, family.auth, unknown, {**body, "id": unknown, "address": new_address()}), 404)
    assert_problem(get(portal, None, family.patient["id"]), 401)
