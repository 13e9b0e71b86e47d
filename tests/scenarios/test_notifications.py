"""Issue 11, item 6: "New information in the patient portal". When something new arrives for
a patient, each account that may see it gets one email, which names no patient, test, clinic
or date; at most one an hour per account; none for a re-sent bundle; none after the account
turned them off (GET/PUT /api/account/notifications, on by default). A restricted record of
a teen reaches the teen's own account and not the parents' or guardians'."""

from __future__ import annotations

import fhir_bundles as fhir
from conftest import CLINIC_NAMES, assert_problem, dates_in, describe, years_before
from fhir_bundles import GLUCOSE, HEMOGLOBIN, literal, moment, observation

SUBJECT = "New information in the patient portal"
PATH = "/api/account/notifications"


def news_to(portal, account) -> list:
    return [m for m in portal.mails_to(account.email) if m.subject == SUBJECT]


def send(portal, *resources) -> dict:
    b = fhir.bundle(*resources)
    r = portal.post_fhir(b)
    assert fhir.statuses(r, b) == ["201"] * len(resources), describe(r)
    return b


def test_the_email_names_nothing_and_comes_once_an_hour_and_not_for_a_resent_bundle(portal):
    patient = portal.make_patient_born(years_before(6))
    parent = portal.make_holder(patient, "parent")
    first = send(portal, observation(literal(patient["id"]), HEMOGLOBIN, 12.4, effective=moment(1)))
    [mail] = news_to(portal, parent)
    for phi in (patient["given_name"], patient["family_name"], patient["birth_date"], "Hemoglobin", "718-7",
                *CLINIC_NAMES.values()):
        assert phi.lower() not in (mail.subject + mail.text).lower(), f"the email names {phi!r}"
    assert dates_in(mail.text) == [], mail.text
    assert portal.base in mail.text, mail.text

    # More news within the hour: no second email.
    send(portal, observation(literal(patient["id"]), GLUCOSE, 88, effective=moment(0.5)))
    assert len(news_to(portal, parent)) == 1

    # The same bundle again changes nothing and tells no one, even an account never told before.
    guardian = portal.make_holder(patient, "guardian")
    r = portal.post_fhir(first)
    assert fhir.statuses(r, first) == ["200"], describe(r)
    assert news_to(portal, guardian) == []


def test_turning_the_email_off_stops_it_and_on_brings_it_back(portal):
    patient = portal.make_patient_born(years_before(9))
    parent = portal.make_holder(patient, "parent")
    r = portal.get(PATH, token=parent.auth)
    assert (r.status_code, r.json()) == (200, {"email_on_new_information": True}), describe(r)
    r = portal.put(PATH, token=parent.auth, json={"email_on_new_information": False})
    assert (r.status_code, r.json()) == (200, {"email_on_new_information": False}), describe(r)
    assert portal.get(PATH, token=parent.auth).json() == {"email_on_new_information": False}
    send(portal, observation(literal(patient["id"]), HEMOGLOBIN, 13.0, effective=moment(2)))
    assert news_to(portal, parent) == []

    r = portal.put(PATH, token=parent.auth, json={"email_on_new_information": True})
    assert r.status_code == 200, describe(r)
    send(portal, observation(literal(patient["id"]), GLUCOSE, 90, effective=moment(1)))
    assert len(news_to(portal, parent)) == 1


def test_bad_settings_are_refused_and_change_nothing(portal):
    patient = portal.make_patient_born(years_before(4))
    parent = portal.make_holder(patient, "parent")
    for body in ({"email_on_new_information": "no"}, {"email_on_new_information": False, "sms": True}, {}):
        assert_problem(portal.put(PATH, token=parent.auth, json=body), 400)
    assert portal.get(PATH, token=parent.auth).json() == {"email_on_new_information": True}
    assert_problem(portal.get(PATH), 401)


def test_a_restricted_record_of_a_teen_reaches_the_teen_and_not_the_parents(portal):
    teen = portal.make_patient_born(years_before(14))
    parent = portal.make_holder(teen, "parent")
    guardian = portal.make_holder(teen, "guardian")
    own = portal.make_holder(teen, "self")
    send(portal, observation(literal(teen["id"]), HEMOGLOBIN, 12.0, effective=moment(3), restricted="R"))
    assert len(news_to(portal, own)) == 1
    assert news_to(portal, parent) == [] and news_to(portal, guardian) == []

    # Something not restricted is news for everyone (the teen had theirs this hour).
    send(portal, observation(literal(teen["id"]), GLUCOSE, 92, effective=moment(2)))
    assert len(news_to(portal, parent)) == 1 and len(news_to(portal, guardian)) == 1
    assert len(news_to(portal, own)) == 1
