"""Flows 1-3: the admin creates office staff (and further admins); office staff register a
patient and create the account holder's login; the credential email; the first login with a
new password and three security questions; idempotent creates."""

import re
import uuid

from conftest import (
    CARDIOLOGY, ENDOCRINE, SECRETS, Account, Kind, assert_no_store, assert_problem, assert_token_answer,
    check_credential_email, describe, new_answer, new_email, new_password, new_patient_body,
    new_username, years_before,
)


def test_admin_signs_in_with_the_bootstrap_password(portal):
    # Through two-step sign-in: its set-up the first time, the code after (issue 15).
    r = portal.two_step(portal.login("admin", portal.admin_password), "admin")
    body = assert_token_answer(r)
    me = portal.get("/api/account", token=body["access_token"])
    assert me.status_code == 200, describe(me)
    account = me.json()
    assert account["username"] == "admin"
    assert account["roles"] == ["admin"]
    assert account["patients"] == []


def test_admin_creates_staff_who_get_the_credential_email_and_sign_in(portal):
    username, address = new_username("staff"), new_email("staff")
    r = portal.create_staff(username, address, clinics=[CARDIOLOGY])
    assert r.status_code == 201, describe(r)
    mail = portal.mail_to(address)
    temp = check_credential_email(portal, mail, username)
    assert temp not in r.text, "the temporary password is in the create answer"

    staff = Account(username, address, temp_password=temp)
    portal.first_login(staff)
    me = portal.get("/api/account", token=staff.auth)
    assert me.status_code == 200, describe(me)
    assert me.json()["username"].lower() == username
    assert me.json()["email"] == address
    assert me.json()["roles"] == ["staff"]
    # The new password works for a plain sign-in; the temporary one is gone.
    portal.sign_in(username, staff.password)
    assert_problem(portal.login(username, temp), 401)


def test_admin_creates_a_further_admin(portal):
    other = portal.make_staff(role="admin", clinics=[])
    me = portal.get("/api/account", token=other.auth).json()
    assert me["roles"] == ["admin"]
    # The new admin has the admin's powers: it creates staff.
    r = portal.create_staff(new_username("staff"), new_email("staff"), token=other.auth)
    assert r.status_code == 201, describe(r)


def test_staff_may_not_create_staff_or_admins(portal):
    staff = portal.make_staff()
    username = new_username("staff")
    for role in ("staff", "admin"):
        r = portal.create_staff(username, new_email("staff"), role=role, token=staff.auth)
        assert_problem(r, 403)
    # Nothing was created: the admin can still take that username.
    assert portal.create_staff(username, new_email("staff")).status_code == 201


def test_office_staff_register_a_patient_and_the_family_signs_in(portal):
    staff = portal.make_staff(clinics=[CARDIOLOGY])
    body = new_patient_body(CARDIOLOGY)
    r = portal.create_patient(staff.auth, body)
    assert r.status_code == 201, describe(r)
    assert_no_store(r)
    patient_id = r.json()["id"]
    uuid.UUID(patient_id)
    patient = {**body, "id": patient_id}

    family = Account(new_username("fam"), new_email("fam"), patient=patient)
    r = portal.create_account(staff.auth, family.username, family.email, patient_id, "parent")
    assert r.status_code == 201, describe(r)
    family.temp_password = check_credential_email(portal, portal.mail_to(family.email), family.username, patient)
    assert family.temp_password not in r.text, "the temporary password is in the create answer"

    portal.first_login(family)
    me = portal.get("/api/account", token=family.auth)
    assert me.status_code == 200, describe(me)
    assert_no_store(me)
    account = me.json()
    assert account["username"].lower() == family.username
    assert account["email"] == family.email
    assert account["roles"] == []
    assert len(account["patients"]) == 1
    entry = account["patients"][0]
    assert entry["id"] == patient_id
    assert entry["given_name"] == patient["given_name"]
    assert entry["relationship"] == "parent"


def test_patients_without_mrn_and_other_relationships(portal):
    body = new_patient_body(CARDIOLOGY, with_mrn=False)
    body["birth_date"] = years_before(13).isoformat()  # "self" is for patients of 12 and over
    r = portal.create_patient(portal.admin_token(), body)
    assert r.status_code == 201, describe(r)
    patient_id = r.json()["id"]
    for relationship in ("self", "guardian"):
        r = portal.create_account(portal.admin_token(), new_username("fam"), new_email("fam"),
                                  patient_id, relationship)
        assert r.status_code == 201, describe(r)
    family = portal.make_family(relationship="guardian")
    me = portal.get("/api/account", token=family.auth).json()
    assert [p["relationship"] for p in me["patients"]] == ["guardian"]


def test_patient_ids_are_random_uuids(portal):
    a = portal.make_patient()["id"]
    b = portal.make_patient()["id"]
    assert a != b
    assert uuid.UUID(a).version == 4 and uuid.UUID(b).version == 4


def test_staff_act_only_for_their_clinics(portal):
    endocrine = portal.make_staff(clinics=[ENDOCRINE])
    cardiology = portal.make_staff(clinics=[CARDIOLOGY])
    both = portal.make_staff(clinics=[CARDIOLOGY, ENDOCRINE])

    assert_problem(portal.create_patient(endocrine.auth, new_patient_body(CARDIOLOGY)), 403)
    assert portal.create_patient(endocrine.auth, new_patient_body(ENDOCRINE)).status_code == 201

    patient = portal.make_patient(cardiology.auth, CARDIOLOGY)
    username = new_username("fam")
    r = portal.create_account(endocrine.auth, username, new_email("fam"), patient["id"])
    # Another clinic's patient is answered like an unknown one.
    assert assert_problem(r, 404) == assert_problem(
        portal.create_account(endocrine.auth, username, new_email("fam"), str(uuid.uuid4())), 404)
    # Nothing was made: the patient's own clinic can still give out that username.
    r = portal.create_account(cardiology.auth, username, new_email("fam"), patient["id"])
    assert r.status_code == 201, describe(r)

    for clinic in (CARDIOLOGY, ENDOCRINE):
        assert portal.create_patient(both.auth, new_patient_body(clinic)).status_code == 201


def test_families_may_not_register_patients_or_accounts(portal):
    family = portal.make_family()
    assert_problem(portal.create_patient(family.auth, new_patient_body(CARDIOLOGY)), 403)
    username = new_username("fam")
    r = portal.create_account(family.auth, username, new_email("fam"), family.patient["id"])
    assert_problem(r, 403)
    assert portal.create_account(portal.admin_token(), username, new_email("fam"),
                                 family.patient["id"]).status_code == 201


def test_first_login_needs_three_different_known_questions(portal):
    family = portal.make_family(sign_in=False)
    qids = portal.question_ids()
    password = new_password()
    bad_sets = {
        "duplicate question": [(qids[0], new_answer()), (qids[0], new_answer()), (qids[1], new_answer())],
        "only two questions": [(qids[0], new_answer()), (qids[1], new_answer())],
        "no questions": [],
        "unknown question id": [(qids[0], new_answer()), (qids[1], new_answer()), ("no-such-question", new_answer())],
        "empty answer": [(qids[0], new_answer()), (qids[1], new_answer()), (qids[2], "")],
    }
    for why, answers in bad_sets.items():
        session = portal.challenge(family.username, family.temp_password)
        r = portal.first_login_request(family.username, session, password, answers)
        assert r.status_code == 400, f"{why}: {describe(r)}"
        assert_problem(r, 400)
        # Nothing changed: the temporary password still leads to the challenge. (Sign-ins
        # with the refused password are not tried: failures would count toward a lock-out.)
        portal.challenge(family.username, family.temp_password)
    portal.first_login(family)
    assert portal.get("/api/account", token=family.auth).status_code == 200


def test_first_login_refuses_weak_and_short_passwords_and_says_why(portal):
    family = portal.make_family(sign_in=False)
    answers = [(q, new_answer()) for q in portal.question_ids()[:3]]
    for weak in ("password1234", "aaaaaaaaaaaa", "qwertyuiop12"):
        session = portal.challenge(family.username, family.temp_password)
        problem = assert_problem(portal.first_login_request(family.username, session, weak, answers),
                                 400, "new_password")
        assert re.search(r"guess|common|weak|easy|predictable|strong", problem["detail"], re.I), problem["detail"]
    session = portal.challenge(family.username, family.temp_password)
    problem = assert_problem(portal.first_login_request(family.username, session, "Xk9#vTq2!mZ", answers),
                             400, "new_password")
    assert "12" in problem["detail"], problem["detail"]
    portal.challenge(family.username, family.temp_password)
    portal.first_login(family)


def test_two_accounts_get_different_temporary_passwords(portal):
    a = portal.make_family(sign_in=False)
    b = portal.make_family(sign_in=False)
    assert a.temp_password != b.temp_password


def test_create_with_the_same_idempotency_key_makes_one_account_and_one_email(portal):
    token = portal.admin_token()
    patient = portal.make_patient(token)
    username, address = new_username("fam"), new_email("fam")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = portal.create_account(token, username, address, patient["id"], headers=key)
    assert first.status_code == 201, describe(first)
    again = portal.create_account(token, username, address, patient["id"], headers=key)
    assert again.status_code == 201, describe(again)
    assert again.json() == first.json()

    # Without the key the same username is taken: there is an account...
    assert_problem(portal.create_account(token, username, new_email("fam"), patient["id"]), 409)
    # ...and exactly one credential email went out. A resend is a marker that orders the
    # outbox: once its mail is there, any mail of the creates would be there too.
    _, _, temp = portal.credential_mail(address)
    r = portal.post(portal.account_path(username, "resend-credentials"), token=token)
    assert r.status_code == 202, describe(r)
    _, _, resent = portal.credential_mail(address, after=1)
    mails = portal.mails_to(address)
    assert len(mails) == 2, f"{len(mails)} mails, expected one credential email and one resend"
    assert resent != temp


def test_second_create_of_a_username_without_key_conflicts(portal):
    token = portal.admin_token()
    patient = portal.make_patient(token)
    username = new_username("fam")
    assert portal.create_account(token, username, new_email("fam"), patient["id"]).status_code == 201
    assert_problem(portal.create_account(token, username, new_email("fam"), patient["id"]), 409)


# ---------------------------------------------------------------- issue 9


def test_a_patient_without_mrn_is_answered_without_an_mrn_key(portal):
    """The document has `mrn` optional, never null: a patient registered without one is
    answered with no `mrn` at all."""
    body = new_patient_body(CARDIOLOGY, with_mrn=False)
    r = portal.create_patient(portal.admin_token(), body)
    assert r.status_code == 201, describe(r)
    created = r.json()
    assert "mrn" not in created, created
    assert {k: created[k] for k in ("given_name", "family_name", "birth_date", "clinic")} == body


def test_an_mrn_is_unique_in_its_clinic_in_any_case(portal):
    """The same MRN cannot be registered twice in one clinic, compared case-insensitively; another
    clinic may use it."""
    staff = portal.make_staff(clinics=(CARDIOLOGY, ENDOCRINE))
    mrn = SECRETS.add(Kind.MRN, f"ab{uuid.uuid4().int % 10**10:010d}")
    first = portal.create_patient(staff.auth, {**new_patient_body(CARDIOLOGY), "mrn": mrn})
    assert first.status_code == 201, describe(first)
    for again in (mrn, mrn.upper()):
        assert_problem(portal.create_patient(staff.auth, {**new_patient_body(CARDIOLOGY), "mrn": again}), 409)
    elsewhere = portal.create_patient(staff.auth, {**new_patient_body(ENDOCRINE), "mrn": mrn.upper()})
    assert elsewhere.status_code == 201, describe(elsewhere)
    # The search by MRN finds the one patient of each clinic.
    found = portal.search_all(staff.auth, SECRETS.add(Kind.SEARCH, mrn))
    assert sorted(i["id"] for i in found) == sorted([first.json()["id"], elsewhere.json()["id"]])
