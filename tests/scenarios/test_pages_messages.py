"""Messages and "Refill medications" (issue 13) in a real browser, by clicks, typing and keys
only, on both backends, each page state screenshotted and checked by axe-core
(`browser.Browser.page`):

(a) a family uses "Send A Message" (the same-day sentence before sending, the patient's clinic
    the only one offered, a double click sends one message); staff open it from the Inbox and
    reply; the family sees the unread count on the menu and the welcome page (1), reads the
    conversation with the staff member's name and clinic (0), and replies;
(b) "Refill medications" with the preferred pharmacy of Additional information: the family
    sees its Medications under Medical Record, asks for three, the office answers one approved,
    one denied with a reason and one needing an appointment, and the family sees each answer
    (the pharmacy, the reason, a link to New Appointment);
(c) the office inbox worked by keyboard only: the oldest conversation taken, answered, noted,
    closed after someone else changed it (409: the page says so and shows it as it is now),
    then a refill request answered;
(d) only the patient's own account may mark a conversation confidential.

Medications come in as the prescriber's system sends them (`POST /dev/fhir` with
`fhir_bundles.medication_request`); what the API does with them, with conversations and
refill requests is proven by test_messages.py. Here the question is whether a person can see
and use them.
"""

from __future__ import annotations

import datetime as dt
import uuid

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import fhir_bundles as fhir
from browser import Browser, literal as xpath_literal
from conftest import SECRETS, CLINIC_NAMES, Kind, describe, letters, new_pharmacy, patient_path, slug, years_before
from fhir_bundles import ALBUTEROL, AMOXICILLIN, CETIRIZINE, FLUTICASONE, literal, medication_request, moment, revised
from test_pages import sign_out
from test_pages_profile import signed_in

BY_PHONE = "Please contact your office directly by phone today if you are having problems or need to be seen."
# Clinics of their own, used by no other test, so that their inboxes and counts are these
# journeys' alone.
NEPHROLOGY = slug("Pediatric Nephrology")
ENT = slug("Pediatric ENT, Audiology, SLP")
GENETICS = slug("Pediatric Genetics Metabolism")
REHAB = slug("Pediatric Physical Med & Rehab")


def words(what: str) -> str:
    """Made-up text of a message (a subject, a body, a note, a reason), unique, registered as
    PHI for the log test."""
    return SECRETS.add(Kind.MESSAGE_TEXT, f"{what} {letters(8)}")


# --------------------------------------------------------------------------- the API


def send(site, *resources: dict, status: str = "201") -> None:
    """One bundle whose entries must all be taken: created (201), or `status` "200" for a
    later version of what the portal holds."""
    b = fhir.bundle(*resources)
    r = site.post_fhir(b)
    assert fhir.statuses(r, b) == [status] * len(resources), describe(r)


def with_pharmacy(site, family) -> dict:
    """A preferred pharmacy saved under Additional information; answers it."""
    pid = family.patient["id"]
    info = site.patient_data(family.auth, pid, "additional-info")
    pharmacy = new_pharmacy()
    r = site.put(patient_path(pid, "additional-info"), token=family.auth, json={
        "emergency_contacts": info["emergency_contacts"], "pharmacy": pharmacy, "version": info["version"]})
    assert r.status_code == 200, describe(r)
    return pharmacy


def conversations_of(site, family) -> list[dict]:
    r = site.get(patient_path(family.patient["id"], "conversations"), token=family.auth)
    assert r.status_code == 200, describe(r)
    return r.json()["items"]


def conversation(site, family, cid: str) -> dict:
    r = site.get(patient_path(family.patient["id"], f"conversations/{cid}"), token=family.auth)
    assert r.status_code == 200, describe(r)
    return r.json()


def refills_of(site, family) -> list[dict]:
    r = site.get(patient_path(family.patient["id"], "refill-requests"), token=family.auth)
    assert r.status_code == 200, describe(r)
    return r.json()["items"]


def medications_of(site, family) -> list[dict]:
    r = site.get(patient_path(family.patient["id"], "medications"), token=family.auth)
    assert r.status_code == 200, describe(r)
    return r.json()["items"]


def start_conversation(site, family, subject: str, body: str) -> dict:
    r = site.post(patient_path(family.patient["id"], "conversations"), token=family.auth,
                  headers={"Idempotency-Key": str(uuid.uuid4())},
                  json={"clinic": family.patient["clinic"], "subject": subject, "body": body})
    assert r.status_code == 201, describe(r)
    return r.json()


def counts(site, token: str) -> dict:
    r = site.get("/api/office/counts", token=token)
    assert r.status_code == 200, describe(r)
    return r.json()


# --------------------------------------------------------------------------- reading pages


def section(heading: str) -> str:
    return f"//main//section[.//h2[normalize-space()={xpath_literal(heading)}]]"


def rows(b: Browser, scope: str = "//main") -> list[str]:
    return [r.text for r in b.driver.find_elements(By.XPATH, f"{scope}//tbody/tr")]


def items(b: Browser, heading: str) -> list[str]:
    return [e.text for e in b.driver.find_elements(By.XPATH, f"{section(heading)}//ul/li[h3]")]


def menu_count(b: Browser, kind: str) -> str:
    return b.driver.find_element(By.ID, f"menu-count-{kind}").text


def wait_count(b: Browser, kind: str, text: str) -> None:
    b.wait(lambda: menu_count(b, kind) == text, f"the menu's {kind} count {text!r} (now {menu_count(b, kind)!r})")


def cells(b: Browser, scope: str = "//main") -> list[list[str]]:
    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in b.driver.find_elements(By.XPATH, f"{scope}//tbody/tr")]


def us_date(iso: str) -> str:
    """A date as the pages write it: "Mar 14, 2015"."""
    d = dt.date.fromisoformat(iso[:10])
    return f"{d:%b} {d.day}, {d.year}"


def paragraphs(b: Browser) -> list[str]:
    return [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "main p")]


def name_of(patient: dict) -> str:
    return f"{patient['family_name']}, {patient['given_name']}"


def answer(b: Browser, medication: str, choice: str) -> None:
    """Ticks `choice` among the answers of the medication whose group starts with `medication`."""
    label = b.driver.find_element(By.XPATH, f"//main//fieldset[starts-with(normalize-space(legend), {xpath_literal(medication)})]"
                                            f"//label[normalize-space()={xpath_literal(choice)}]")
    b.driver.find_element(By.ID, label.get_attribute("for")).click()


def fetch_statuses(b: Browser, path: str) -> list[int]:
    """The statuses of the page's fetches of `path` (Resource Timing)."""
    return b.driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter((e) => e.initiatorType === 'fetch' && new URL(e.name).pathname === arguments[0])"
        ".map((e) => e.responseStatus);", path)


# --------------------------------------------------------------------------- journeys


def test_a_send_a_message_a_staff_reply_and_the_family_reads_it(site, browser):
    b = browser
    family = site.make_family(clinic=NEPHROLOGY)
    staff = site.make_staff(clinics=(NEPHROLOGY,))
    subject = words("Question about the new diet")
    body = words("She has been more tired since the change.\nShould we come in earlier?")
    reply = words("Please keep the diet for now; we will check her labs at the next visit.")

    signed_in(b, family)
    assert b.menu() == ["Welcome", "Medical Record", "Appointments", "Messages", "My Account", "Help", "Sign out"]
    b.click("Messages")
    b.on("Messages")
    b.wait_text("No messages yet.")
    assert "No refill requests yet." in b.main_text()
    b.page("messages-empty")

    # "Send A Message": the same-day sentence before anything is sent; the patient's clinic,
    # chosen and the only one; no "confidential" for a parent.
    b.click("Send A Message")
    b.on("Send A Message")
    assert BY_PHONE in paragraphs(b)
    clinic = b.field("Clinic")
    assert clinic.get_attribute("value") == NEPHROLOGY
    assert [o.text for o in clinic.find_elements(By.TAG_NAME, "option") if o.get_attribute("value")] == [CLINIC_NAMES[NEPHROLOGY]]
    assert b.field("Subject").get_attribute("maxlength") == "120"
    assert b.field("Message").get_attribute("maxlength") == "5000"
    assert "Privacy" not in b.main_text()
    b.page("send-message")

    # Nothing entered: a sentence at the first field.
    b.click("Send message")
    assert b.alert() == "Enter a subject."
    b.type("Subject", subject)
    b.type("Message", body)
    b.wait_text(f"{len(body)} of 5,000 characters")
    b.page("send-message-filled")

    # A double click sends one message (one Idempotency-Key per form, the button off while it
    # is sent); the page is the conversation.
    ActionChains(b.driver).double_click(b.driver.find_element(By.XPATH, "//main//button[normalize-space()='Send message']")).perform()
    b.on("Conversation")
    b.driver.execute_script("getSelection().removeAllRanges();")
    b.wait_text(f"Your message is sent to {CLINIC_NAMES[NEPHROLOGY]}.")
    [mine] = conversations_of(site, family)
    assert (mine["subject"], mine["clinic"], mine["status"], mine["unread"]) == (subject, NEPHROLOGY, "open", 0), mine
    assert subject in b.main_text() and "She has been more tired since the change." in b.main_text()
    assert "You" in b.driver.find_element(By.CSS_SELECTOR, "main .message-head").text
    b.page("conversation-sent")
    sign_out(b)

    # Staff: the Inbox's count on the menu, the conversation oldest first, opened, answered.
    signed_in(b, staff)
    assert "Inbox" in b.menu()
    waiting = counts(site, staff.auth)
    assert waiting["conversations"] == 1 and waiting["refill_requests"] == 0, waiting
    wait_count(b, "inbox", "1 open")
    b.click("Inbox")
    b.on("Inbox")
    [row] = b.wait(lambda: rows(b, section("Conversations")) or None, "the inbox's conversations")
    assert name_of(family.patient) in row and subject in row and "Less than a day" in row and "Taken by" not in row, row
    assert "1 new message" in row, row
    b.page("office-inbox")
    b.click(name_of(family.patient))
    b.on("Conversation")
    b.wait_text("Should we come in earlier?")
    assert "Taken by\nNo one yet" in b.main_text()
    b.type("Reply to the family", reply)
    b.click("Send reply")
    b.wait_text("Your reply is sent.")
    heads = [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "main .message-head")]
    assert len(heads) == 2 and staff.name in heads[1] and CLINIC_NAMES[NEPHROLOGY] in heads[1], heads
    b.page("office-conversation")
    sign_out(b)

    # The family: one unread conversation on the welcome page and the menu.
    [mine] = conversations_of(site, family)
    assert mine["unread"] == 1, mine
    signed_in(b, family)
    wait_count(b, "unread", "1 unread")
    b.wait_text("1 unread conversation.")
    b.page("welcome-unread")
    b.click("Messages")
    b.on("Messages")
    [item] = b.wait(lambda: items(b, "Conversations") or None, "the conversations")
    assert subject in item and "Unread: 1 new message" in item and CLINIC_NAMES[NEPHROLOGY] in item, item
    assert "1 unread conversation." in b.main_text()
    b.page("messages")

    # Reading it: who answered (name and clinic), and the count goes to 0.
    b.click(subject)
    b.on("Conversation")
    b.wait_text(reply)
    heads = [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "main .message-head")]
    assert heads[0].startswith("You") and heads[1].startswith(f"{staff.name}, Clinic office, {CLINIC_NAMES[NEPHROLOGY]}"), heads
    assert BY_PHONE in paragraphs(b)
    wait_count(b, "unread", "")
    read = conversation(site, family, mine["id"])
    assert read["unread"] == 0 and "notes" not in read, read
    assert conversations_of(site, family)[0]["unread"] == 0
    b.page("conversation")

    # The family replies in the conversation.
    answer_text = words("Thank you, we will wait for the visit.")
    b.type("Your reply", answer_text)
    b.click("Send reply")
    b.wait_text(f"Your reply is sent to {CLINIC_NAMES[NEPHROLOGY]}.")
    b.wait_text(answer_text)
    assert [m["body"] for m in conversation(site, family, mine["id"])["messages"]] == [body, reply, answer_text]
    b.click("Back to Messages")
    b.on("Messages")
    b.wait_text("No unread conversations.")
    assert "Unread" not in items(b, "Conversations")[0]
    sign_out(b)


def test_b_refill_medications_with_the_preferred_pharmacy_answered_by_staff(site, browser):
    b = browser
    family = site.make_family(clinic=REHAB)
    pid = family.patient["id"]
    staff = site.make_staff(clinics=(REHAB,))
    pharmacy = with_pharmacy(site, family)
    amoxicillin_dose = SECRETS.add(Kind.MEDICATION, "Take 5 mL by mouth three times a day")
    albuterol_dose = SECRETS.add(Kind.MEDICATION, "2 puffs every 4 hours as needed for wheezing")
    stopped = medication_request(literal(pid), CETIRIZINE, authored=moment(60)[:10], refills=3)
    send(site,
         medication_request(literal(pid), AMOXICILLIN, authored=moment(10)[:10], dosage=amoxicillin_dose, refills=2,
                            requester="Rosa Alvarez, MD"),
         medication_request(literal(pid), ALBUTEROL, authored=moment(30)[:10], dosage=albuterol_dose, refills=0,
                            requester="Dev Patel, MD"),
         medication_request(literal(pid), FLUTICASONE, authored=moment(90)[:10], refills=5, requester=None),
         stopped)
    send(site, revised(stopped, status="stopped"), status="200")  # off the list
    meds = medications_of(site, family)
    assert [m["name"] for m in meds] == [AMOXICILLIN.name, ALBUTEROL.name, FLUTICASONE.name], meds

    # "Medications" under Medical Record: name, RxNorm code, dosage, prescriber, refills, date.
    signed_in(b, family)
    b.click("Medical Record")
    b.on("Medical Record")
    b.click("Medications")
    b.on("Medications")
    b.wait(lambda: len(rows(b)) == 3, "three medications")
    shown = cells(b)
    assert shown[0] == [f"{AMOXICILLIN.name}\nRxNorm {AMOXICILLIN.rxnorm}", amoxicillin_dose, "Rosa Alvarez, MD", "2",
                        us_date(meds[0]["written"])], shown[0]
    assert shown[1][1:4] == [albuterol_dose, "Dev Patel, MD", "None"], shown[1]
    assert shown[2][2:4] == ["Not given", "5"], shown[2]
    assert CETIRIZINE.name not in b.main_text()
    b.page("medications")

    # "Refill medications" from Messages: the preferred pharmacy chosen, another's fields hidden.
    b.click("Messages")
    b.on("Messages")
    b.click("Refill medications")
    b.on("Refill medications")
    assert BY_PHONE in paragraphs(b)
    preferred = f"The preferred pharmacy: {pharmacy['name']}, {pharmacy['address']}, {pharmacy['phone']}"
    assert b.field(preferred).is_selected()
    assert not b.field("Pharmacy name (optional)").is_displayed()
    amoxicillin = f"{AMOXICILLIN.name} (2 refills left) {amoxicillin_dose}"
    albuterol = f"{ALBUTEROL.name} (none left) {albuterol_dose}"
    fluticasone = f"{FLUTICASONE.name} (5 refills left)"
    for label in (amoxicillin, albuterol, fluticasone):
        assert not b.field(label).is_selected()
    b.click("Send refill request")
    assert b.alert() == "Choose at least one medication."
    b.driver.refresh()  # a new form (and Idempotency-Key), without the error
    b.on("Refill medications")
    for label in (amoxicillin, albuterol, fluticasone):
        b.tick(label)
    note = words("We are away next week; please send it before Friday.")
    b.type("Note for the office (optional)", note)
    b.wait_text(f"{len(note)} of 1,000 characters")
    b.page("refill")
    # Another pharmacy shows its fields, and asks for them.
    b.tick("Another pharmacy")
    assert b.field("Pharmacy name (optional)").is_displayed()
    b.click("Send refill request")
    assert b.field_error("Pharmacy name (optional)") == "Enter the pharmacy's name."
    b.type("Pharmacy name (optional)", "Corner Drug")
    b.type("Pharmacy address (optional)", "12 Main Street, Lowell")
    b.type("Pharmacy phone (optional)", "12")
    b.click("Send refill request")
    assert b.field_error("Pharmacy phone (optional)") == "The pharmacy phone must be a phone number of 7 to 15 digits."
    b.page("refill-another-pharmacy")
    b.tick(preferred)
    assert not b.field("Pharmacy name (optional)").is_displayed()
    assert refills_of(site, family) == []
    ActionChains(b.driver).double_click(b.driver.find_element(By.XPATH, "//main//button[normalize-space()='Send refill request']")).perform()
    b.on("Messages")
    b.driver.execute_script("getSelection().removeAllRanges();")
    b.wait_text(f"Your refill request is sent to {CLINIC_NAMES[REHAB]}.")
    [request] = refills_of(site, family)
    assert [i["name"] for i in request["items"]] == [AMOXICILLIN.name, ALBUTEROL.name, FLUTICASONE.name], request
    assert request["pharmacy"] == pharmacy and request["preferred_pharmacy"] is True and request["note"] == note, request
    [shown] = b.wait(lambda: items(b, "Your refill requests") or None, "the refill request")
    assert shown.count("Waiting for the office") == 4 and pharmacy["name"] in shown, shown
    b.page("messages-refill-requested")
    sign_out(b)

    # The office answers: approved, denied with a reason, needs an appointment.
    signed_in(b, staff)
    wait_count(b, "inbox", "1 open")
    b.click("Inbox")
    b.on("Inbox")
    b.click("Refill requests")
    b.on("Inbox")
    [row] = b.wait(lambda: rows(b, section("Refill requests")) or None, "the refill requests")
    assert name_of(family.patient) in row and AMOXICILLIN.name in row and "(none left)" in row and pharmacy["name"] in row, row
    b.page("office-inbox-refills")
    b.click(name_of(family.patient))
    b.on("Refill request")
    b.wait_text(note)
    assert "The preferred pharmacy (Additional information)" in b.main_text()
    assert "No refills are left on this prescription." in b.main_text()
    b.page("office-refill-request")
    reason = words("We need to see him before another inhaler; please book a visit.")
    answer(b, AMOXICILLIN.name, f"Approve: send to {pharmacy['name']}")
    answer(b, ALBUTEROL.name, "Deny (give the reason below)")
    b.click("Send answers")
    assert b.field_error(f"Reason for denying {ALBUTEROL.name} (optional)") == \
        f"Enter the reason for denying {ALBUTEROL.name}: the family reads it."
    b.type(f"Reason for denying {ALBUTEROL.name} (optional)", reason)
    answer(b, FLUTICASONE.name, "Needs an appointment")
    b.click("Send answers")
    b.wait_text("Answers sent. Every medication is answered")
    assert "Send answers" not in b.main_text()
    b.page("office-refill-answered")
    [request] = refills_of(site, family)
    assert request["status"] == "answered", request
    assert [(i["status"], i.get("reason"), i.get("sent_to")) for i in request["items"]] == [
        ("approved", None, pharmacy["name"]), ("denied", reason, None), ("needs-appointment", None, None)], request
    wait_count(b, "inbox", "0 open")
    sign_out(b)

    # The family sees each answer: the pharmacy, the reason, a link to New Appointment.
    signed_in(b, family)
    b.click("Messages")
    b.on("Messages")
    [shown] = b.wait(lambda: (found := items(b, "Your refill requests")) and "Answered" in found[0] and found, "the answers")
    assert f"Approved: sent to {pharmacy['name']}." in shown, shown
    assert f"Denied. The office's reason: {reason}" in shown, shown
    assert "Needs an appointment: the office needs to see the patient first." in shown, shown
    b.page("messages-refill-answered")
    b.click("New Appointment")
    b.on("New Appointment")
    sign_out(b)


def test_c_the_office_inbox_by_keyboard_only(site, browser):
    b = browser
    staff = site.make_staff(clinics=(ENT, GENETICS))
    first = site.make_family(clinic=ENT)
    second = site.make_family(clinic=GENETICS)
    third = site.make_family(clinic=ENT)
    subject = words("Hearing test results")
    older = start_conversation(site, first, subject, words("Could you explain the hearing test?"))
    start_conversation(site, second, words("Diet question"), words("Which formula should we use?"))
    send(site, medication_request(literal(third.patient["id"]), AMOXICILLIN, authored=moment(5)[:10], refills=1))
    [med] = medications_of(site, third)
    r = site.post(patient_path(third.patient["id"], "refill-requests"), token=third.auth,
                  headers={"Idempotency-Key": str(uuid.uuid4())},
                  json={"medication_ids": [med["id"]], "pharmacy": new_pharmacy()})
    assert r.status_code == 201, describe(r)

    def is_link(text: str):
        return lambda el: el.tag_name == "a" and el.text == text

    def is_button(text: str):
        return lambda el: el.tag_name == "button" and el.text == text

    b.open("/sign-in")
    b.on("Sign in")
    b.tab_to(lambda el: el.get_attribute("autocomplete") == "username", "the username field")
    b.press(staff.username, Keys.TAB, staff.password, Keys.ENTER)
    b.on("Enter your code")
    b.tab_to(lambda el: el.get_attribute("autocomplete") == "one-time-code", "the code field")
    b.press(site.next_code(staff.username), Keys.ENTER)
    b.on(f"Welcome, {staff.username}")
    wait_count(b, "inbox", "3 open")
    b.tab_to(is_link("Inbox"), "the menu's Inbox", most=25)
    b.press(Keys.ENTER)
    b.on("Inbox")
    found = b.wait(lambda: len(x := rows(b, section("Conversations"))) == 2 and x, "two conversations")
    assert name_of(first.patient) in found[0] and name_of(second.patient) in found[1], f"not oldest first: {found}"
    assert CLINIC_NAMES[ENT] in found[0] and CLINIC_NAMES[GENETICS] in found[1], found
    b.page("office-inbox-keyboard")

    # The oldest: Take, a reply, a note.
    b.tab_to(is_link(name_of(first.patient)), "the oldest conversation", most=30)
    b.press(Keys.ENTER)
    b.on("Conversation")
    b.wait_text("Could you explain the hearing test?")
    b.tab_to(is_button("Take"), "Take", most=20)
    style = b.driver.execute_script(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth];")
    assert style[0] != "none" and style[1] != "0px", f"no visible focus: {style}"
    b.press(Keys.ENTER)
    b.wait_text("You took this conversation.")
    assert f"Taken by\nYou ({staff.username})" in b.main_text()
    b.tab_to(lambda el: el.tag_name == "textarea" and el.get_attribute("name") == "body", "the reply", most=20)
    reply = words("The test shows mild hearing loss in the left ear; we will call you to talk it through.")
    b.press(reply)
    b.tab_to(is_button("Send reply"), "Send reply", most=5)
    b.press(Keys.ENTER)
    b.wait_text("Your reply is sent.")
    b.wait_text(reply)
    b.tab_to(lambda el: el.tag_name == "textarea" and el.get_attribute("name") == "text", "the note", most=25)
    note = words("Mother prefers a call after 3 pm.")
    b.press(note)
    b.tab_to(is_button("Add note"), "Add note", most=5)
    b.press(Keys.ENTER)
    b.wait_text("Note added.")
    assert note in b.driver.find_element(By.XPATH, section("Internal notes")).text
    b.page("office-conversation-keyboard")
    seen = conversation(site, first, older["id"])
    assert "notes" not in seen and note not in str(seen), "the family reads the office's note"

    # Someone else takes it meanwhile: Close says so, and the page shows it as it is now.
    admin = site.admin_token()
    now = site.get(patient_path(first.patient["id"], f"conversations/{older['id']}"), token=admin).json()
    r = site.post(f"/api/office/conversations/{older['id']}/take", token=admin, json={"version": now["version"]})
    assert r.status_code == 200, describe(r)
    taker = r.json()["taken_by"]
    b.tab_to(is_button("Close"), "Close", most=30)
    b.press(Keys.ENTER)
    assert "Someone else changed this" in b.alert()
    b.wait_text(f"Taken by\n{taker}")
    b.page("office-conversation-conflict")
    b.tab_to(is_button("Close"), "Close", most=30)
    b.press(Keys.ENTER)
    b.wait_text("Closed. A message from the family opens it again.")
    assert conversations_of(site, first)[0]["status"] == "closed"

    # The refill requests' list, and one answered by keyboard.
    b.tab_to(is_link("Back to the inbox"), "Back to the inbox", most=40)
    b.press(Keys.ENTER)
    b.on("Inbox")
    b.wait(lambda: len(rows(b, section("Conversations"))) == 1, "one open conversation")
    b.tab_to(is_link("Refill requests"), "the Refill requests list", most=25)
    b.press(Keys.ENTER)
    b.wait(lambda: rows(b, section("Refill requests")), "the refill requests")
    b.tab_to(is_link(name_of(third.patient)), "the refill request", most=30)
    b.press(Keys.ENTER)
    b.on("Refill request")
    b.tab_to(lambda el: el.tag_name == "input" and el.get_attribute("value") == "approved", "Approve", most=25)
    b.press(Keys.ARROW_DOWN, Keys.ARROW_DOWN)  # a radio group moves by arrows: needs-appointment
    assert b.focused().get_attribute("value") == "needs-appointment" and b.focused().is_selected()
    b.tab_to(is_button("Send answers"), "Send answers", most=5)
    b.page("office-refill-keyboard")
    b.press(Keys.ENTER)
    b.wait_text("Answers sent.")
    [request] = refills_of(site, third)
    assert [i["status"] for i in request["items"]] == ["needs-appointment"], request
    assert 200 in fetch_statuses(b, f"/api/office/refill-requests/{request['id']}/answer")
    wait_count(b, "inbox", "1 open")


def test_d_only_the_patients_own_account_may_mark_a_conversation_confidential(site, browser):
    b = browser
    teen = site.make_patient_born(years_before(14, -30))
    own = site.make_holder(teen, relationship="self")
    signed_in(b, own)
    b.click("Messages")
    b.on("Messages")
    b.click("Send A Message")
    b.on("Send A Message")
    box = "Keep this conversation confidential: my parents or guardians do not see it"
    assert not b.field(box).is_selected()
    b.type("Subject", words("Something private"))
    b.type("Message", words("I would like to talk about this without my parents."))
    b.tick(box)
    b.page("send-message-own-account")
    b.click("Send message")
    b.on("Conversation")
    b.wait_text("Confidential")
    [mine] = conversations_of(site, own)
    assert mine["confidential"] is True, mine
