"""Flow 2 of issue 4: "Additional information": the patient's emergency contacts (add, edit,
remove) and preferred pharmacy (set, clear), conditional on the version read, within limits."""

from conftest import (
    CARDIOLOGY, assert_no_store, assert_problem, describe, new_contact, new_pharmacy, new_phone,
    patient_path,
)

WHAT = "additional-info"


def put(portal, token, patient_id, body):
    return portal.put(patient_path(patient_id, WHAT), token=token, json=body)


def saved(portal, token, patient_id, body) -> dict:
    """PUTs `body`, which must succeed; the answer, after checking GET gives the same."""
    r = put(portal, token, patient_id, body)
    assert r.status_code == 200, describe(r)
    assert_no_store(r)
    answer = r.json()
    assert answer["version"] == body["version"] + 1, answer
    assert portal.patient_data(token, patient_id, WHAT) == answer
    return answer


def test_never_saved_additional_information_is_empty(portal):
    family = portal.make_family()
    r = portal.get(patient_path(family.patient["id"], WHAT), token=family.auth)
    assert r.status_code == 200, describe(r)
    assert_no_store(r)
    assert r.json() == {"emergency_contacts": [], "pharmacy": None, "version": 0}


def test_add_edit_and_remove_emergency_contacts(portal):
    family = portal.make_family()
    pid = family.patient["id"]
    info = portal.patient_data(family.auth, pid, WHAT)
    aunt, neighbor = new_contact(phones=2), new_contact(phones=1)

    info = saved(portal, family.auth, pid, {**info, "emergency_contacts": [aunt]})
    assert info["emergency_contacts"] == [aunt] and info["pharmacy"] is None
    info = saved(portal, family.auth, pid, {**info, "emergency_contacts": [aunt, neighbor]})
    assert info["emergency_contacts"] == [aunt, neighbor]

    edited = {**aunt, "relationship": "Great-aunt", "phones": [{"kind": "work", "number": new_phone()}]}
    info = saved(portal, family.auth, pid, {**info, "emergency_contacts": [edited, neighbor]})
    assert info["emergency_contacts"] == [edited, neighbor]

    info = saved(portal, family.auth, pid, {**info, "emergency_contacts": [neighbor]})
    assert info["emergency_contacts"] == [neighbor]
    info = saved(portal, family.auth, pid, {**info, "emergency_contacts": []})
    assert info["emergency_contacts"] == []


def test_set_change_and_clear_the_pharmacy(portal):
    family = portal.make_family()
    pid = family.patient["id"]
    info = portal.patient_data(family.auth, pid, WHAT)
    contact = new_contact()
    first, second = new_pharmacy(), new_pharmacy()
    info = saved(portal, family.auth, pid, {**info, "emergency_contacts": [contact], "pharmacy": first})
    assert info["pharmacy"] == first
    info = saved(portal, family.auth, pid, {**info, "pharmacy": second})
    assert info["pharmacy"] == second and info["emergency_contacts"] == [contact]
    info = saved(portal, family.auth, pid, {**info, "pharmacy": None})
    assert info["pharmacy"] is None and info["emergency_contacts"] == [contact]


def test_staff_of_the_clinic_keep_it_too(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    family = portal.make_family(staff.auth)
    pid = family.patient["id"]
    info = saved(portal, staff.auth, pid, {**portal.patient_data(staff.auth, pid, WHAT), "pharmacy": new_pharmacy()})
    assert portal.patient_data(family.auth, pid, WHAT) == info


def test_a_stale_version_is_a_409_and_changes_nothing(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    family = portal.make_family(staff.auth)
    pid = family.patient["id"]
    read = portal.patient_data(family.auth, pid, WHAT)
    current = saved(portal, staff.auth, pid, {**read, "emergency_contacts": [new_contact()]})
    for version in (read["version"], current["version"] + 1):
        problem = assert_problem(put(portal, family.auth, pid, {**read, "pharmacy": new_pharmacy(), "version": version}), 409)
        assert problem["type"].endswith("/conflict"), problem
    assert portal.patient_data(family.auth, pid, WHAT) == current


def test_limits(portal):
    family = portal.make_family()
    pid = family.patient["id"]
    c = new_contact()
    ph = new_pharmacy()
    good = saved(portal, family.auth, pid, {**portal.patient_data(family.auth, pid, WHAT),
                                            "emergency_contacts": [c], "pharmacy": ph})
    # At the limits: accepted.
    edge = {**good,
            "emergency_contacts": [new_contact(phones=3) for _ in range(9)]
            + [{**c, "name": "N" * 100, "relationship": "R" * 50}],
            "pharmacy": {**ph, "name": "P" * 100, "address": "A" * 200}}
    good = saved(portal, family.auth, pid, edge)

    bad = {
        "eleven contacts": ({**good, "emergency_contacts": [c] * 11}, ("emergency_contacts",)),
        "a 101-character name": ({**good, "emergency_contacts": [{**c, "name": "N" * 101}]}, ("name",)),
        "an empty name": ({**good, "emergency_contacts": [{**c, "name": ""}]}, ("name",)),
        "a 51-character relationship": ({**good, "emergency_contacts": [{**c, "relationship": "R" * 51}]}, ("relationship",)),
        "an empty relationship": ({**good, "emergency_contacts": [{**c, "relationship": ""}]}, ("relationship",)),
        "a contact without phones": ({**good, "emergency_contacts": [{**c, "phones": []}]}, ("phones",)),
        "a contact with four phones": ({**good, "emergency_contacts": [{**c, "phones": c["phones"] * 4}]}, ("phones",)),
        "a contact's bad phone": ({**good, "emergency_contacts": [{**c, "phones": [{"kind": "mobile", "number": "12"}]}]},
                                  ("number", "phones")),
        "an unknown contact field": ({**good, "emergency_contacts": [{**c, "email": "a@example.com"}]}, ("email",)),
        "a 101-character pharmacy name": ({**good, "pharmacy": {**ph, "name": "P" * 101}}, ("name",)),
        "a 201-character pharmacy address": ({**good, "pharmacy": {**ph, "address": "A" * 201}}, ("address",)),
        "a pharmacy's bad phone": ({**good, "pharmacy": {**ph, "phone": "call us"}}, ("phone",)),
        "a pharmacy without a phone": ({**good, "pharmacy": {k: v for k, v in ph.items() if k != "phone"}}, ("phone",)),
        "an unknown field": ({**good, "notes": "allergic to cats"}, ("notes",)),
        "no version": ({k: v for k, v in good.items() if k != "version"}, ("version",)),
    }
    wrong = []
    for why, (body, names) in bad.items():
        r = put(portal, family.auth, pid, body)
        if r.status_code != 400:
            wrong.append(f"{why}: {describe(r)}")
            continue
        field = str(assert_problem(r, 400).get("field") or "")
        if not any(n in field for n in names):
            wrong.append(f"{why}: field {field!r}, expected one of {names}")
    assert not wrong, "\n".join(wrong)
    assert portal.patient_data(family.auth, pid, WHAT) == good


def test_a_missing_pharmacy_is_400_and_keeps_the_saved_one(portal):
    """Issue 9: leaving `pharmacy` out is a 400 naming it (as for `address`), not a silent
    delete; only an explicit null clears it."""
    family = portal.make_family()
    pid = family.patient["id"]
    info = saved(portal, family.auth, pid, {**portal.patient_data(family.auth, pid, WHAT), "pharmacy": new_pharmacy()})
    without = {k: v for k, v in info.items() if k != "pharmacy"}
    problem = assert_problem(put(portal, family.auth, pid, {**without, "emergency_contacts": [new_contact()]}), 400,
                             "pharmacy")
    assert "pharmacy" in str(problem.get("field") or ""), problem
    assert portal.patient_data(family.auth, pid, WHAT) == info
    cleared = saved(portal, family.auth, pid, {**info, "pharmacy": None})
    assert cleared["pharmacy"] is None
