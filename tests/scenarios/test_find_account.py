"""The office finds an account by username (GET /api/admin/accounts/{username}): what it
needs to help a family on the phone, for the families of its own clinics only."""

from urllib.parse import quote

from conftest import (
    CARDIOLOGY, ENDOCRINE, assert_no_store, assert_problem, describe, new_patient_body, new_username,
)


def find(portal, token, username):
    return portal.get(f"/api/admin/accounts/{quote(username, safe='')}", token=token)


def test_staff_find_a_family_of_their_clinic_and_see_its_state(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    family = portal.make_family(staff.auth, clinic=CARDIOLOGY, sign_in=False)
    r = find(portal, staff.auth, family.username.upper())
    assert r.status_code == 200, describe(r)
    assert_no_store(r)
    body = r.json()
    assert body["username"] == family.username and body["email"] == family.email
    assert (body["kind"], body["enabled"], body["first_sign_in_done"], body["clinics"]) == ("family", True, False, [])
    [patient] = body["patients"]
    expected = {k: family.patient[k] for k in ("id", "given_name", "family_name", "birth_date", "clinic", "mrn")}
    assert {k: patient[k] for k in expected} == expected and patient["relationship"] == "parent"

    portal.first_login(family)
    assert find(portal, staff.auth, family.username).json()["first_sign_in_done"] is True
    assert portal.post(portal.account_path(family.username, "disable"), token=staff.auth).status_code == 204
    assert find(portal, staff.auth, family.username).json()["enabled"] is False


def test_admins_find_staff_with_their_clinics(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY, ENDOCRINE), sign_in=False)
    body = find(portal, portal.admin_token(), staff.username).json()
    assert (body["kind"], sorted(body["clinics"]), body["patients"]) == ("staff", sorted([CARDIOLOGY, ENDOCRINE]), [])


def test_only_the_office_of_the_familys_clinic_and_admins_may_look(portal):
    cardiology = portal.make_staff(clinics=(CARDIOLOGY,))
    endocrine = portal.make_staff(clinics=(ENDOCRINE,))
    family = portal.make_family(cardiology.auth, clinic=CARDIOLOGY)
    assert find(portal, portal.admin_token(), family.username).status_code == 200
    # Outside their clinics, staff are told what an unknown username gets: nothing shows
    # whether the account exists.
    unknown = assert_problem(find(portal, cardiology.auth, new_username("nobody")), 404)
    assert assert_problem(find(portal, endocrine.auth, family.username), 404) == unknown
    assert assert_problem(find(portal, cardiology.auth, endocrine.username), 404) == unknown
    assert_problem(find(portal, family.auth, family.username), 403)
    assert_problem(find(portal, cardiology.auth, "x"), 404)
    assert_problem(portal.get(f"/api/admin/accounts/{family.username}"), 401)


def test_a_patient_without_mrn_is_listed_without_an_mrn_key(portal):
    """Issue 9: find-account lists a patient registered without an MRN with no `mrn` key (not
    null); one with an MRN shows it."""
    admin = portal.admin_token()
    body = new_patient_body(CARDIOLOGY, with_mrn=False)
    r = portal.create_patient(admin, body)
    assert r.status_code == 201, describe(r)
    without = {**body, "id": r.json()["id"]}
    family = portal.make_holder(without, "parent", admin, sign_in=False)
    with_mrn = portal.make_patient(admin)
    assert portal.link(admin, family.username, with_mrn["id"], "parent").status_code == 201
    r = find(portal, admin, family.username)
    assert r.status_code == 200, describe(r)
    listed = {p["id"]: p for p in r.json()["patients"]}
    assert set(listed) == {without["id"], with_mrn["id"]}
    assert "mrn" not in listed[without["id"]], listed[without["id"]]
    assert listed[with_mrn["id"]]["mrn"] == with_mrn["mrn"]
