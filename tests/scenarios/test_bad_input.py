"""Bad input: each class on representative routes gets a 4xx problem+json naming the field,
changes nothing, and never a 5xx (the `portal` handle fails any 5xx and any error answer that is
not a well-formed problem, on every call of the suite)."""

import datetime as dt
import json
import uuid

import pytest

from conftest import (
    CARDIOLOGY, assert_problem, describe, new_address, new_answer, new_email, new_password,
    new_patient_body, new_username, patient_path,
)

JSON = {"Content-Type": "application/json"}


def post_raw(portal, path, text, token=None):
    return portal.post(path, data=text.encode(), headers=JSON, token=token)


def account_body(pid, username=None, **changes):
    body = {"username": username or new_username("fam"), "email": new_email("fam"),
            "patient_id": pid, "relationship": "parent"}
    body.update(changes)
    return body


def staff_body(username=None, **changes):
    body = {"username": username or new_username("staff"), "email": new_email("staff"),
            "given_name": "Sam", "family_name": "Office", "role": "staff", "clinics": [CARDIOLOGY]}
    body.update(changes)
    return body


def assert_account_not_created(portal, username, patient_id):
    """Nothing was made: a valid create with the same username succeeds."""
    r = portal.post("/api/admin/accounts", token=portal.admin_token(), json=account_body(patient_id, username))
    assert r.status_code == 201, f"the bad request left something behind: {describe(r)}"


def assert_staff_not_created(portal, username):
    r = portal.post("/api/admin/staff", token=portal.admin_token(), json=staff_body(username))
    assert r.status_code == 201, f"the bad request left something behind: {describe(r)}"


@pytest.fixture
def patient(portal):
    return portal.make_patient()


# --------------------------------------------------------------------------- malformed JSON

MALFORMED = ['{"username": "someone",', "", "not json", "{'username': 'single quotes'}", "[]", '"text"', "null", "42"]


def test_malformed_json_on_public_routes_is_400(portal):
    for path in ("/api/auth/login", "/api/auth/first-login", "/api/auth/forgot-password",
                 "/api/auth/reset-question", "/api/auth/reset-password"):
        for text in MALFORMED:
            assert_problem(post_raw(portal, path, text), 400)


def test_malformed_json_on_signed_in_routes_is_400_and_changes_nothing(portal, patient):
    admin = portal.admin_token()
    family = portal.make_family()
    username = new_username("fam")
    truncated = f'{{"username": "{username}", "email": "{new_email("fam")}", "patient_id": "{patient["id"]}"'
    for text in MALFORMED + [truncated]:
        assert_problem(post_raw(portal, "/api/admin/accounts", text, admin), 400)
        assert_problem(post_raw(portal, "/api/admin/patients", text, admin), 400)
        assert_problem(post_raw(portal, "/api/admin/staff", text, admin), 400)
        assert_problem(portal.put(portal.account_path(family.username, "username"), data=text.encode(),
                                  headers=JSON, token=admin), 400)
        assert_problem(post_raw(portal, "/api/account/password", text, family.auth), 400)
    assert_account_not_created(portal, username, patient["id"])
    # The family kept its username and password.
    portal.sign_in(family.username, family.password)


# --------------------------------------------------------------------------- unknown fields


def test_unknown_fields_are_400_naming_them(portal, patient):
    admin = portal.admin_token()
    username = new_username("fam")
    r = portal.post("/api/admin/accounts", token=admin, json=account_body(patient["id"], username, is_admin=True))
    assert_problem(r, 400, "is_admin")
    assert_account_not_created(portal, username, patient["id"])

    staff_name = new_username("staff")
    r = portal.post("/api/admin/staff", token=admin, json=staff_body(staff_name, password=new_password()))
    assert_problem(r, 400, "password")
    assert_staff_not_created(portal, staff_name)

    assert_problem(portal.post("/api/admin/patients", token=admin,
                               json={**new_patient_body(), "ssn": "123-45-6789"}), 400, "ssn")
    assert_problem(portal.post("/api/auth/login", json={"username": new_username("nobody"), "password": "x" * 12,
                                                        "remember_me": True}), 400, "remember_me")
    assert_problem(portal.post("/api/auth/forgot-password", json={"username": new_username("nobody"), "email": "a@example.com"}),
                   400, "email")


# --------------------------------------------------------------------------- missing fields


def test_missing_fields_are_400_naming_them(portal, patient):
    admin = portal.admin_token()
    username = new_username("fam")
    body = account_body(patient["id"], username)
    del body["email"]
    assert_problem(portal.post("/api/admin/accounts", token=admin, json=body), 400, "email")
    assert_account_not_created(portal, username, patient["id"])

    body = new_patient_body()
    del body["family_name"]
    assert_problem(portal.post("/api/admin/patients", token=admin, json=body), 400, "family_name")

    staff_name = new_username("staff")
    body = staff_body(staff_name)
    del body["role"]
    assert_problem(portal.post("/api/admin/staff", token=admin, json=body), 400, "role")
    assert_staff_not_created(portal, staff_name)

    assert_problem(portal.post("/api/auth/login", json={"username": "someone"}), 400, "password")
    assert_problem(portal.post("/api/auth/forgot-password", json={}), 400, "username")
    assert_problem(portal.post("/api/auth/reset-password", json={
        "username": "someone", "code": "123456", "answer": "x", "new_password": new_password()}),
        400, "question_id")
    family = portal.make_family()
    assert_problem(portal.post("/api/account/password", token=family.auth,
                               json={"new_password": new_password()}), 400, "current_password")


# --------------------------------------------------------------------------- wrong types


def test_wrong_types_are_400(portal, patient):
    admin = portal.admin_token()
    username = new_username("fam")
    for changes in ({"relationship": 5}, {"patient_id": 12345}, {"email": ["a@example.com"]},
                    {"relationship": None}):
        r = portal.post("/api/admin/accounts", token=admin, json=account_body(patient["id"], username, **changes))
        assert_problem(r, 400)
    assert_account_not_created(portal, username, patient["id"])

    staff_name = new_username("staff")
    for changes in ({"clinics": CARDIOLOGY}, {"clinics": [1, 2]}, {"role": ["staff"]}):
        r = portal.post("/api/admin/staff", token=admin, json=staff_body(staff_name, **changes))
        assert_problem(r, 400)
    assert_staff_not_created(portal, staff_name)

    for changes in ({"birth_date": 20190401}, {"given_name": {"first": "Ava"}}, {"mrn": 1234}):
        assert_problem(portal.post("/api/admin/patients", token=admin, json={**new_patient_body(), **changes}), 400)
    assert_problem(portal.post("/api/auth/login", json={"username": 123, "password": new_password()}), 400)
    assert_problem(portal.post("/api/auth/login", json={"username": new_username("nobody"), "password": None}), 400)


def test_first_login_with_wrong_types_changes_nothing(portal):
    family = portal.make_family(sign_in=False)
    session = portal.challenge(family.username, family.temp_password)
    qids = portal.question_ids()
    for questions in ({"question_id": qids[0], "answer": new_answer()},
                      [qids[0], qids[1], qids[2]],
                      [{"question_id": q, "answer": 7} for q in qids[:3]]):
        r = portal.post("/api/auth/first-login", json={
            "username": family.username, "session": session, "new_password": new_password(),
            "security_questions": questions})
        assert_problem(r, 400)
    portal.challenge(family.username, family.temp_password)
    portal.first_login(family)


# --------------------------------------------------------------------------- over the limits


def test_strings_over_the_limits_are_400_naming_the_field(portal, patient):
    admin = portal.admin_token()
    r = portal.post("/api/admin/accounts", token=admin, json=account_body(patient["id"], "a" * 65))
    assert_problem(r, 400, "username")
    r = portal.post("/api/admin/accounts", token=admin,
                    json=account_body(patient["id"], email="a" * 250 + "@example.com"))
    assert_problem(r, 400, "email")
    for name_field in ("given_name", "family_name"):
        r = portal.post("/api/admin/patients", token=admin, json={**new_patient_body(), name_field: "A" * 101})
        assert_problem(r, 400, name_field)
        r = portal.post("/api/admin/staff", token=admin, json=staff_body(**{name_field: "A" * 101}))
        assert_problem(r, 400, name_field)

    family = portal.make_family()
    r = portal.post("/api/account/password", token=family.auth,
                    json={"current_password": family.password, "new_password": "x" * 257})
    assert_problem(r, 400, "new_password")
    portal.sign_in(family.username, family.password)

    other = portal.make_family(sign_in=False)
    session = portal.challenge(other.username, other.temp_password)
    r = portal.first_login_request(other.username, session, "x" * 257,
                                   [(q, new_answer()) for q in portal.question_ids()[:3]])
    assert_problem(r, 400, "new_password")
    portal.challenge(other.username, other.temp_password)


def test_bodies_over_64_kib_are_413(portal, patient):
    admin = portal.admin_token()
    big = "a" * (70 * 1024)
    r = portal.post("/api/auth/login", json={"username": new_username("nobody"), "password": big})
    assert_problem(r, 413)
    username = new_username("fam")
    r = portal.post("/api/admin/accounts", token=admin,
                    json=account_body(patient["id"], username, email=big + "@example.com"))
    assert_problem(r, 413)
    assert_account_not_created(portal, username, patient["id"])
    r = portal.post("/api/admin/patients", token=admin, json={**new_patient_body(), "given_name": big})
    assert_problem(r, 413)
    # The limit is 64 KiB, not less: a body under it is read (and refused for its content).
    r = portal.post("/api/admin/patients", token=admin, json={**new_patient_body(), "given_name": "a" * 60_000})
    assert_problem(r, 400, "given_name")


# --------------------------------------------------------------------------- dates


def test_bad_birth_dates_are_400(portal):
    admin = portal.admin_token()
    future = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    for bad in ("2019-02-30", "not-a-date", future, "2019-13-01", "04/01/2019", "2019-04-01T00:00:00Z", ""):
        r = portal.post("/api/admin/patients", token=admin, json={**new_patient_body(), "birth_date": bad})
        assert_problem(r, 400, "birth_date")
    # A leap day is a date.
    r = portal.post("/api/admin/patients", token=admin, json={**new_patient_body(), "birth_date": "2020-02-29"})
    assert r.status_code == 201, describe(r)


# --------------------------------------------------------------------------- ids and enumerations


def test_bad_ids_are_400_and_unknown_ids_404(portal, patient):
    admin = portal.admin_token()
    username = new_username("fam")
    for bad in ("not-a-uuid", "", "12345", str(uuid.uuid4()) + "0"):
        r = portal.post("/api/admin/accounts", token=admin, json=account_body(patient["id"], username, patient_id=bad))
        assert_problem(r, 400, "patient_id")
    r = portal.post("/api/admin/accounts", token=admin,
                    json=account_body(patient["id"], username, patient_id=str(uuid.uuid4())))
    assert_problem(r, 404)
    assert_account_not_created(portal, username, patient["id"])

    for bad in ("pediatric-dentistry", "Pediatric Cardiology", ""):
        r = portal.post("/api/admin/patients", token=admin, json={**new_patient_body(), "clinic": bad})
        assert_problem(r, 400, "clinic")

    staff_name = new_username("staff")
    r = portal.post("/api/admin/staff", token=admin, json=staff_body(staff_name, clinics=["pediatric-dentistry"]))
    assert_problem(r, 400, "clinics")
    assert_staff_not_created(portal, staff_name)


def test_bad_enumerations_emails_and_usernames_are_400(portal, patient):
    admin = portal.admin_token()
    username = new_username("fam")
    cases = [({"relationship": "uncle"}, "relationship"), ({"email": "not-an-email"}, "email"),
             ({"email": "two@@example.com"}, "email")]
    for changes, name in cases:
        r = portal.post("/api/admin/accounts", token=admin, json=account_body(patient["id"], username, **changes))
        assert_problem(r, 400, name)
    for bad in ("ab", "has space", "-dash-first", "semi;colon", "ümlaut"):
        r = portal.post("/api/admin/accounts", token=admin, json=account_body(patient["id"], bad))
        assert_problem(r, 400, "username")
    assert_account_not_created(portal, username, patient["id"])

    staff_name = new_username("staff")
    assert_problem(portal.post("/api/admin/staff", token=admin, json=staff_body(staff_name, role="superuser")),
                   400, "role")
    assert_staff_not_created(portal, staff_name)


# --------------------------------------------------------------------------- paths and methods


def test_unknown_paths_are_404_problems(portal):
    for method, path in (("GET", "/api/does-not-exist"), ("POST", "/api/auth/does-not-exist"),
                         ("GET", "/api/clinics/pediatric-cardiology/extra"), ("GET", "/api/")):
        r = portal.request(method, path)
        assert_problem(r, 404)


def test_wrong_methods_are_405_problems(portal):
    for method, path in (("DELETE", "/api/clinics"), ("PUT", "/api/clinics"), ("GET", "/api/auth/login"),
                         ("GET", "/api/auth/forgot-password"), ("DELETE", "/api/auth/security-questions")):
        r = portal.request(method, path)
        assert_problem(r, 405)
    # The clinics are still there.
    assert len(portal.get("/api/clinics").json()) == 18


# --------------------------------------------------------------------------- media type (issue 9)

NOT_JSON = {"no Content-Type": {}, "text/plain": {"Content-Type": "text/plain"},
            "application/jsonxyz": {"Content-Type": "application/jsonxyz"}}


def test_bodies_must_be_declared_json(portal):
    """A cross-site "simple" POST (no Content-Type, text/plain) or a look-alike media type is
    415 on the public routes, however good the body; application/json with a parameter works."""
    family = portal.make_family()
    login = json.dumps({"username": family.username, "password": family.password}).encode()
    forgot = json.dumps({"username": new_username("nobody")}).encode()
    wrong = []
    for why, headers in NOT_JSON.items():
        for path, body in (("/api/auth/login", login), ("/api/auth/forgot-password", forgot)):
            r = portal.post(path, data=body, headers=headers)
            if r.status_code != 415:
                wrong.append(f"{why}: {describe(r)}")
            else:
                assert_problem(r, 415)
    assert not wrong, "\n".join(wrong)
    with_charset = {"Content-Type": "application/json; charset=utf-8"}
    r = portal.post("/api/auth/login", data=login, headers=with_charset)
    assert r.status_code == 200, describe(r)
    r = portal.post("/api/auth/forgot-password", data=forgot, headers=with_charset)
    assert r.status_code == 202, describe(r)


def test_a_signed_in_update_without_content_type_is_415_and_changes_nothing(portal):
    family = portal.make_family()
    pid = family.patient["id"]
    before = portal.patient_data(family.auth, pid)
    body = json.dumps({**before, "address": new_address()}).encode()
    for headers in NOT_JSON.values():
        r = portal.put(patient_path(pid), token=family.auth, data=body, headers=headers)
        assert_problem(r, 415)
    assert portal.patient_data(family.auth, pid) == before
