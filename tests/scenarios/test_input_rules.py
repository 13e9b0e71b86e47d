"""Issue 9, item 13: the rules the OpenAPI document states hold on the server too (found by
schemathesis and by hand): a left-out list or email is a 400, never a silent delete; ids
compare as ids; dates are exactly YYYY-MM-DD; emails are ASCII; lengths count characters;
nobody sends their own account new login information."""

from conftest import (
    assert_problem, describe, new_address, new_email, new_patient_body, new_phone, new_username, patient_path,
)


def saved_demographics(portal, family):
    """The family's patient with a phone and an email saved; the GET answer after."""
    token, pid = family.auth, family.patient["id"]
    body = portal.patient_data(token, pid)
    body.update(address=new_address(), phones=[{"kind": "mobile", "number": new_phone()}], email=new_email("pt"))
    r = portal.put(patient_path(pid), token=token, json=body)
    assert r.status_code == 200, describe(r)
    return r.json()


def test_leaving_out_phones_or_email_is_400_and_deletes_nothing(portal):
    family = portal.make_family()
    saved = saved_demographics(portal, family)
    for field in ("phones", "email"):
        body = {k: v for k, v in saved.items() if k != field}
        assert_problem(portal.put(patient_path(saved["id"]), token=family.auth, json=body), 400, field)
    assert portal.patient_data(family.auth, saved["id"]) == saved
    # `null` still removes the email on purpose, and GET says so with null.
    r = portal.put(patient_path(saved["id"]), token=family.auth, json={**saved, "email": None})
    assert r.status_code == 200, describe(r)
    assert r.json()["email"] is None


def test_a_patient_id_in_capitals_is_the_same_id(portal):
    family = portal.make_family()
    body = portal.patient_data(family.auth, family.patient["id"])
    upper = body["id"].upper()
    r = portal.put(patient_path(upper), token=family.auth, json={**body, "id": upper})
    assert r.status_code == 200, describe(r)


def test_dates_emails_and_lengths_follow_the_document(portal):
    admin = portal.admin_token()
    assert_problem(portal.create_patient(admin, {**new_patient_body(), "birth_date": "+2019-04-01"}), 400, "birth_date")
    r = portal.post("/api/admin/staff", token=admin, json={
        "username": new_username("adm"), "email": "\u00fc" + new_email("adm"), "given_name": "Una", "family_name": "Code",
        "role": "admin", "clinics": []})
    assert_problem(r, 400, "email")
    # 2,049 characters of two bytes each: within the 4,096 characters a code may have.
    r = portal.post("/api/auth/reset-question", json={"username": new_username("nobody"), "code": "\u00e9" * 2049})
    assert r.status_code == 200, describe(r)
    assert_problem(portal.post("/api/auth/reset-question", json={"username": "abc", "code": "x" * 4097}), 400, "code")


def test_nobody_sends_their_own_account_new_login_information(portal):
    admin = portal.make_staff(role="admin", clinics=())
    r = portal.post(portal.account_path(admin.username, "resend-credentials"), token=admin.auth)
    assert_problem(r, 403)
    # Nothing changed: the password still signs in.
    portal.sign_in(admin.username, admin.password)
