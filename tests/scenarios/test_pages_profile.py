"""The pages of issue 4 in a real browser, by clicks and typing only, on both backends, each
page state screenshotted and checked by axe-core (`browser.Browser.page`): a guardian of two
children picks each child and keeps "Pt Demographics" current (a stale save is told so);
"Additional information" (emergency contacts, pharmacy); "Security questions" under My
Account; "Who viewed or changed this record" naming the office staff; and the office's
"Find a patient" (Pt Demographics, linking an account, audit trail) and unlinking on
"Find an account".

What the API does is proven by the other scenario tests; here the question is whether a
person can do it with the pages. The set-up the journeys stand on (accounts, patients, a
change behind the page's back) goes through the API.
"""

from __future__ import annotations

import random


from browser import Browser
from conftest import (
    CARDIOLOGY,
    CLINIC_NAMES,
    SECRETS,
    Kind,
    describe,
    new_address,
    new_answer,
    new_contact,
    new_password,
    new_pharmacy,
    new_phone,
    patient_path,
)
from test_pages import assert_plain_sentence, find_account, sign_in, sign_out

STATE_NAMES = {"MA": "Massachusetts (MA)", "NH": "New Hampshire (NH)", "RI": "Rhode Island (RI)",
               "DC": "District of Columbia (DC)", "PR": "Puerto Rico (PR)"}
CONFLICT_SENTENCE = "Someone else changed this record after you opened it, so your changes were not saved."


# --------------------------------------------------------------------------- steps


def signed_in(b: Browser, account) -> None:
    """Signed in through the sign-in page; staff and admins (who have a name here) give the
    code from the app too."""
    b.open("/")
    sign_in(b, account.username, account.password, two_step=account.name is not None)
    b.on(f"Welcome, {account.username}")


def fill_address(b: Browser, address: dict, optional: bool = False) -> None:
    """`optional`: the office's form of a patient without an address yet, whose address
    fields may stay blank and say so."""
    mark = " (optional)" if optional else ""
    b.type("Street address" + mark, address["line1"])
    b.type("City or town" + mark, address["city"])
    b.choose("State" + mark, STATE_NAMES[address["state"]])
    b.type("ZIP code" + mark, address["postal_code"])


def field_value(b: Browser, label: str) -> str:
    return b.field(label).get_attribute("value")


def pick_child(b: Browser, child: dict, relationship: str = "Legal guardian") -> None:
    b.tick(f"{child['given_name']} ({relationship})")
    b.click("Show this record")
    b.wait_text(f"Now showing {child['given_name']}'s record.")


# --------------------------------------------------------------------------- journeys


def test_a_guardian_of_two_children_picks_each_and_keeps_pt_demographics_current(site, browser):
    b = browser
    staff = site.make_staff(clinics=(CARDIOLOGY,))
    guardian = site.make_family(staff.auth, clinic=CARDIOLOGY, relationship="guardian")
    first = guardian.patient
    second = site.make_patient(staff.auth, clinic=CARDIOLOGY)
    r = site.link(staff.auth, guardian.username, second["id"], "guardian")
    assert r.status_code == 201, describe(r)

    # The welcome page asks whose record; the family picks the first child.
    signed_in(b, guardian)
    b.wait_text("Your account holds the records of several children.")
    b.page("welcome-two-children")
    pick_child(b, first)
    b.page("welcome-child-chosen")
    b.click("My Account")
    b.on("My Account")
    b.wait_text(f"{first['given_name']}'s record")
    b.click("Pt Demographics")
    b.on("Pt Demographics")
    b.wait_text(f"Showing {first['given_name']}'s record.")
    assert second["given_name"] not in b.main_text()
    assert first["birth_date"] in b.main_text()  # shown, not editable
    assert not b.driver.find_elements("xpath", "//main//label[normalize-space()='Date of birth']")
    b.page("demographics-empty")

    # A wrong ZIP code is a sentence on its field; then the address and a phone are saved.
    address = new_address()
    phone = new_phone()
    fill_address(b, {**address, "postal_code": "0211"})
    b.click("Add a phone")
    b.choose("Phone 1 type", "Home")
    b.type("Phone 1 number", phone)
    b.click("Save")
    message = b.field_error("ZIP code")
    assert_plain_sentence(message)
    assert message.startswith("ZIP code"), message
    b.page("demographics-field-error")
    b.type("ZIP code", address["postal_code"])
    b.click("Save")
    b.wait_text("Pt Demographics saved.")
    b.page("demographics-saved")
    saved = site.patient_data(guardian.auth, first["id"])
    assert {k: saved["address"][k] for k in address} == address, saved["address"]
    assert saved["phones"] == [{"kind": "home", "number": phone}]

    # My Account changes the child; every page then names the second child.
    b.click("My Account")
    b.on("My Account")
    b.wait_text(f"{first['given_name']}'s record")
    b.page("my-account-two-children")
    pick_child(b, second)
    b.click("Pt Demographics")
    b.on("Pt Demographics")
    b.wait_text(f"Showing {second['given_name']}'s record.")
    assert first["given_name"] not in b.main_text()
    b.click("Additional information")
    b.on("Additional information")
    b.wait_text(f"Showing {second['given_name']}'s record.")
    b.click("Pt Demographics")
    b.on("Pt Demographics")
    b.wait_text(f"Showing {second['given_name']}'s record.")

    # Someone else saves the second child's record while the page is open.
    current = site.patient_data(guardian.auth, second["id"])
    theirs = new_address()
    r = site.put(patient_path(second["id"]), token=guardian.auth, json={**current, "address": theirs})
    assert r.status_code == 200, describe(r)
    fill_address(b, new_address())
    b.click("Save")
    b.wait_text(CONFLICT_SENTENCE)
    assert_plain_sentence(b.alert())
    b.page("demographics-conflict")
    b.click("Reload the record")
    b.wait_text("This is the record as it is now.")
    assert field_value(b, "Street address") == theirs["line1"]
    assert site.patient_data(guardian.auth, second["id"])["address"]["line1"] == theirs["line1"]


def test_b_additional_information_contacts_and_pharmacy(site, browser):
    b = browser
    family = site.make_family()
    child = family.patient["given_name"]
    signed_in(b, family)
    b.click("My Account")
    b.on("My Account")
    b.click("Additional information")
    b.on("Additional information")
    b.wait_text(f"Showing {child}'s record.")
    b.page("additional-info-empty")

    # Two emergency contacts, the first with two phones.
    one, two = new_contact(phones=2), new_contact()
    b.click("Add an emergency contact")
    b.type("Name", one["name"])
    b.type("Relationship to the patient", one["relationship"])
    b.type("Phone 1 number", "12")  # too short: the API's sentence lands on the field
    b.click("Save contact")
    message = b.field_error("Phone 1 number")
    assert_plain_sentence(message)
    assert message.startswith("Phone 1 number"), message
    b.type("Phone 1 number", one["phones"][0]["number"])
    b.click("Add another phone")
    b.choose("Phone 2 type", "Home")
    b.type("Phone 2 number", one["phones"][1]["number"])
    b.page("additional-info-contact-form")
    b.click("Save contact")
    b.wait_text(f"{one['name']} was added to the emergency contacts.")
    b.click("Add an emergency contact")
    b.type("Name", two["name"])
    b.type("Relationship to the patient", two["relationship"])
    b.type("Phone 1 number", two["phones"][0]["number"])
    b.click("Save contact")
    b.wait_text(f"{two['name']} was added to the emergency contacts.")

    # The second is edited, the first removed (after a question).
    b.click(f"Edit {two['name']}")
    b.type("Relationship to the patient", "Godparent")
    b.click("Save contact")
    b.wait_text(f"The emergency contact {two['name']} was saved.")
    b.click(f"Remove {one['name']}")
    b.wait(lambda: b.driver.find_elements("css selector", "dialog[open]"), "the question before removing")
    b.page("additional-info-remove-question")
    b.click("Remove")
    b.wait_text(f"{one['name']} was removed from the emergency contacts.")

    # The preferred pharmacy is set, then cleared.
    pharmacy = new_pharmacy()
    b.type("Pharmacy name", pharmacy["name"])
    b.type("Pharmacy address", pharmacy["address"])
    b.type("Pharmacy phone", pharmacy["phone"])
    b.click("Set pharmacy")
    b.wait_text("The preferred pharmacy was saved.")
    b.page("additional-info-saved")
    info = site.patient_data(family.auth, family.patient["id"], "additional-info")
    assert info["emergency_contacts"] == [{**two, "relationship": "Godparent"}], info["emergency_contacts"]
    assert info["pharmacy"] == pharmacy
    b.click("Clear pharmacy")
    b.click("Clear pharmacy")  # the dialog's
    b.wait_text("The preferred pharmacy was cleared.")
    assert site.patient_data(family.auth, family.patient["id"], "additional-info")["pharmacy"] is None


def test_c_security_questions_are_changed_with_the_current_password(site, browser):
    b = browser
    family = site.make_family()
    texts = {q["id"]: q["text"] for q in site.questions()}
    signed_in(b, family)
    b.click("My Account")
    b.on("My Account")
    b.click("Security questions")
    b.on("Security questions")
    for qid in family.answers:
        b.wait_text(texts[qid])
    for answer in family.answers.values():
        assert answer not in b.driver.page_source, "an answer is in the page"
    b.page("security-questions")

    chosen = random.sample([q for q in texts if q not in family.answers], 3)
    answers = {q: new_answer() for q in chosen}
    for ordinal, qid in zip(("First", "Second", "Third"), chosen):
        b.choose(f"{ordinal} security question", texts[qid])
        b.type(f"Answer to the {ordinal.lower()} question", answers[qid])
    b.type("Current password", "certainly not my password")
    b.click("Save security questions")
    message = b.field_error("Current password")
    assert_plain_sentence(message)
    assert message.startswith("Current password"), message
    b.page("security-questions-wrong-password")
    b.type("Current password", family.password)
    b.click("Save security questions")
    b.wait_text("Your security questions have been changed.")
    b.page("security-questions-changed")
    for qid in chosen:
        assert texts[qid] in b.driver.find_element("css selector", "main ol").text
    assert b.field("Current password").get_attribute("value") == "", "the password stayed in the form"
    r = site.get("/api/account/security-questions", token=family.auth)
    assert r.status_code == 200, describe(r)
    assert [q["question_id"] for q in r.json()] == chosen


def test_d_the_access_log_names_the_office_staff_and_pages(site, browser):
    b = browser
    staff = site.make_staff(clinics=(CARDIOLOGY,))
    family = site.make_family(staff.auth, clinic=CARDIOLOGY)
    for _ in range(26):  # more than one page of the log
        site.patient_data(staff.auth, family.patient["id"])
    signed_in(b, family)
    b.click("My Account")
    b.on("My Account")
    b.click("Who viewed or changed this record")
    b.on("Who viewed or changed this record")
    b.wait_text(f"Showing {family.patient['given_name']}'s record.")
    rows = lambda: b.driver.find_elements("css selector", "main tbody tr")  # noqa: E731
    b.wait(lambda: len(rows()) == 25, "the first 25 entries")
    newest = rows()[0].text
    assert newest.startswith(b.driver.find_element("css selector", "main tbody time").text), newest
    assert "You" in newest and "Viewed who viewed or changed this record" in newest, newest
    by_staff = [r.text for r in rows() if staff.name in r.text]
    assert by_staff, [r.text for r in rows()]
    assert f"{staff.name}, {CLINIC_NAMES[CARDIOLOGY]}" in by_staff[0] and "Viewed Pt Demographics" in by_staff[0], by_staff[0]
    b.page("access-log")
    b.click("Show more")
    b.wait(lambda: len(rows()) > 25, "more entries")
    b.page("access-log-more")


def test_e_the_office_finds_a_patient_edits_links_and_unlinks(site, browser):
    b = browser
    staff = site.make_staff(clinics=(CARDIOLOGY,))
    family = site.make_family(staff.auth, clinic=CARDIOLOGY)
    patient = family.patient
    other = site.make_family(staff.auth, clinic=CARDIOLOGY)  # an existing account of another family
    full_name = f"{patient['given_name']} {patient['family_name']}"

    signed_in(b, staff)
    assert "Find a patient" in b.menu()
    b.click("Find a patient")
    b.on("Find a patient")
    b.page("office-patients")
    b.type("Name, date of birth or MRN", patient["family_name"])
    b.click("Search")
    b.wait_text(f"{patient['family_name']}, {patient['given_name']}")
    b.page("office-patients-results")
    b.click(f"Open {full_name}")
    b.on("Patient record")
    b.wait_text(f"Showing {full_name}'s record")
    b.wait_text("Viewed Pt Demographics")  # the audit trail has loaded
    b.page("office-patient")

    # A name is corrected before anyone has entered an address: the blank address stays none.
    corrected = SECRETS.add(Kind.PATIENT_NAME, patient["given_name"] + "e")
    b.type("First name", corrected)
    b.click("Save")
    b.wait_text("Pt Demographics saved.")
    now = site.patient_data(staff.auth, patient["id"])
    assert (now["given_name"], now["address"]) == (corrected, None), now
    full_name = f"{corrected} {patient['family_name']}"
    b.wait_text(f"Showing {full_name}'s record")

    # The office enters the address.
    address = new_address()
    fill_address(b, address, optional=True)
    b.click("Save")
    b.wait_text("Pt Demographics saved.")
    assert site.patient_data(staff.auth, patient["id"])["address"]["line1"] == address["line1"]

    # It links the other family's account to this patient and sees that in the audit trail.
    b.type("Username of the account", "no-such-account-" + other.username)
    b.choose("Account holder is the patient's", "Legal guardian")
    b.click("Link account")
    assert b.field_error("Username of the account") == "No family account has this username."
    b.type("Username of the account", other.username)
    b.click("Link account")
    b.wait_text(f"The account {other.username} is now linked to this patient")
    # The trail is loaded again after each save and after the link; read it once the last
    # load shows the link (an earlier load may already show it, and then be replaced).
    def trail_with_link():
        rows = [r.text for r in b.driver.find_elements("xpath", "//section[.//h2[normalize-space()='Audit trail']]//tbody/tr")]
        return rows if any("Linked a portal account to the patient" in r for r in rows[:3]) else None
    trail = b.wait(trail_with_link, "the audit trail showing the link among its newest rows")
    assert any("You" in r and "Changed Pt Demographics" in r for r in trail), trail
    b.page("office-patient-linked")
    r = site.get("/api/account", token=other.auth)
    assert patient["id"] in [p["id"] for p in r.json()["patients"]], describe(r)

    # A reload keeps the patient (by id, never in the address).
    assert patient["id"] not in b.driver.current_url and patient["family_name"] not in b.driver.current_url
    b.driver.refresh()
    b.on("Patient record")
    b.wait_text(f"Showing {full_name}'s record")

    # "Find an account" unlinks it again, after a question.
    find_account(b, other.username)
    b.wait_text(full_name)
    b.click(f"Unlink {full_name}")
    b.wait(lambda: b.driver.find_elements("css selector", "dialog[open]"), "the question before unlinking")
    b.page("office-unlink-question")
    b.click("Unlink")
    b.wait_text(f"{full_name} is no longer linked to the account {other.username}.")
    b.page("office-account-unlinked")
    r = site.get("/api/account", token=other.auth)
    assert patient["id"] not in [p["id"] for p in r.json()["patients"]], describe(r)
    sign_out(b)


def test_staff_are_sent_from_the_familys_pages_to_their_own(site, browser):
    b = browser
    staff = site.make_staff(clinics=(CARDIOLOGY,))
    signed_in(b, staff)
    b.open("/account/demographics")
    b.on(f"Welcome, {staff.username}")
    b.wait_text("That page is for families.")
    b.click("My Account")
    b.on("My Account")
    assert "Pt Demographics" not in b.main_text()
    b.click("Security questions")
    b.on("Security questions")
    b.page("security-questions-staff")


def test_the_record_pages_fit_a_360_pixel_screen(site):
    family = site.make_family()
    r = site.put(patient_path(family.patient["id"]), token=family.auth, json={
        **site.patient_data(family.auth, family.patient["id"]),
        "address": new_address(line2=True), "phones": [{"kind": "mobile", "number": new_phone()}]})
    assert r.status_code == 200, describe(r)
    b = Browser(site, width=360, height=800)
    try:
        signed_in(b, family)
        for link, heading, shot in [("Pt Demographics", "Pt Demographics", "demographics-360"),
                                    ("Additional information", "Additional information", None),
                                    ("Who viewed or changed this record", "Who viewed or changed this record", "access-log-360")]:
            b.click("My Account")
            b.on("My Account")
            b.click(link)
            b.on(heading)
            b.wait_text(f"Showing {family.patient['given_name']}'s record.")
            b.no_horizontal_scroll()
            if shot:
                b.page(shot)
    finally:
        b.close()
