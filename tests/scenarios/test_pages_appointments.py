"""Appointments (issue 12) in a real browser, by clicks, typing and keys only, on both
backends, each page state screenshotted and checked by axe-core (`browser.Browser.page`):

(a) a family makes a "New Appointment" request (a double click sends one), sees it as
    requested; the office schedules it; the family sees the visit as the next one on the
    welcome page and under "Appointments" (in Eastern Time, with the hospital's booked,
    cancelled and past visits), downloads it for a calendar, and asks to cancel another;
(b) staff work "Appointment requests": the count on the menu, the clinic and status
    filters, an internal note, one request scheduled (an Eastern date and time sent with
    that day's offset), one declined, and one that someone else answered first (409: the
    page says so and shows the request as it is now);
(c) the request form used with Tab, Space and Enter only, ending in a 201;
(d) a patient's own account may mark a request confidential; a parent's form has no such box.

Visits come in as the hospital's scheduling system sends them (`POST /dev/fhir` with
`fhir_bundles.appointment`); what the API does with them and with requests is proven by the
API scenario tests. Here the question is whether a person can see and use them.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import fhir_bundles as fhir
from browser import Browser
from conftest import CARDIOLOGY, CLINIC_NAMES, describe, new_address, new_phone, patient_path, slug, years_before
from fhir_bundles import literal
from test_pages import sign_out
from test_pages_profile import signed_in

EASTERN = ZoneInfo("America/New_York")
SAME_DAY = "Please contact your office directly by phone if you need to be seen today."
CALENDAR_FILE = "appointment.ics"
# Clinics of their own for the queue journey, so that its rows are few and its own.
RHEUMATOLOGY = slug("Pediatric Rheumatology")
UROLOGY = slug("Pediatric Urology")

REASON = "Follow-up of the heart murmur heard at the last visit.\nShe gets tired on stairs."
INSTRUCTIONS = "Please arrive 15 minutes early and bring the school's activity form."


# --------------------------------------------------------------------------- times


def eastern_today() -> dt.date:
    return dt.datetime.now(EASTERN).date()


def earliest_today() -> str:
    """Today for an `earliest` the API takes, whichever zone it counts today in."""
    return max(eastern_today(), dt.datetime.now(dt.timezone.utc).date()).isoformat()


def eastern_at(days_ahead: int, hour: int, minute: int = 0) -> dt.datetime:
    """`hour:minute` Eastern wall time `days_ahead` days from today (the offset of that day)."""
    day = eastern_today() + dt.timedelta(days=days_ahead)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=EASTERN)


def utc_z(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clock(t: dt.datetime) -> str:
    return f"{t.hour % 12 or 12}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def visit_text(start: dt.datetime, end: dt.datetime) -> str:
    """A visit's time as the pages write it: "Thursday, December 3, 2026, 9:30 AM to 10:00 AM
    Eastern Time"."""
    s, e = start.astimezone(EASTERN), end.astimezone(EASTERN)
    return f"{s:%A}, {s:%B} {s.day}, {s.year}, {clock(s)} to {clock(e)} Eastern Time"


def start_text(start: dt.datetime) -> str:
    """A visit's start alone (a request scheduled for it): "Monday, December 7, 2026, 9:30 AM
    Eastern Time"."""
    s = start.astimezone(EASTERN)
    return f"{s:%A}, {s:%B} {s.day}, {s.year}, {clock(s)} Eastern Time"


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- the API


def send(site, *resources: dict) -> None:
    b = fhir.bundle(*resources)
    r = site.post_fhir(b)
    assert fhir.statuses(r, b) == ["201"] * len(resources), describe(r)


def with_phone(site, family) -> str:
    """Pt Demographics with an address and a mobile phone (the request form's call-back
    number); answers the phone."""
    phone = new_phone()
    record = site.patient_data(family.auth, family.patient["id"])
    r = site.put(patient_path(family.patient["id"]), token=family.auth, json={
        **record, "address": new_address(), "phones": [{"kind": "mobile", "number": phone}]})
    assert r.status_code == 200, describe(r)
    return phone


def request_visit(site, family, reason: str, kind: str = "new-problem") -> dict:
    r = site.post(patient_path(family.patient["id"], "appointment-requests"), token=family.auth,
                  headers={"Idempotency-Key": str(uuid.uuid4())},
                  json={"clinic": family.patient["clinic"], "kind": kind, "reason": reason, "days": ["mon", "wed"],
                        "times": ["morning"], "earliest": earliest_today(), "phone": new_phone()})
    assert r.status_code == 201, describe(r)
    return r.json()


def requests_of(site, family) -> list[dict]:
    r = site.get(patient_path(family.patient["id"], "appointment-requests"), token=family.auth)
    assert r.status_code == 200, describe(r)
    return r.json()["items"]


def upcoming_of(site, family) -> list[dict]:
    r = site.get(patient_path(family.patient["id"], "appointments") + "?when=upcoming", token=family.auth)
    assert r.status_code == 200, describe(r)
    return r.json()["items"]


def open_count(site, token: str) -> str:
    """The office's open appointment requests, as the menu shows them (GET /api/office/counts)."""
    r = site.get("/api/office/counts", token=token)
    assert r.status_code == 200, describe(r)
    return str(r.json()["appointment_requests"])


# --------------------------------------------------------------------------- reading pages


def section(heading: str) -> str:
    return f"//main//section[.//h2[normalize-space()='{heading}']]"


def rows(b: Browser, scope: str) -> list[str]:
    return [r.text for r in b.driver.find_elements(By.XPATH, f"{scope}//tbody/tr")]


def visits(b: Browser) -> list[str]:
    return [e.text for e in b.driver.find_elements(By.XPATH, f"{section('Upcoming visits')}//li[contains(@class, 'visit')]")]


def requests_shown(b: Browser) -> list[str]:
    return [e.text for e in b.driver.find_elements(By.XPATH, f"{section('Your requests')}//li[contains(@class, 'request')]")]


def the_patients_clinic_is_chosen(b: Browser, clinic: str) -> None:
    """The form's clinic is the patient's (the Pt Demographics answer names it), already chosen
    and the only one offered."""
    assert b.field("Clinic").get_attribute("value") == clinic, "the patient's clinic is not chosen"
    assert [o.text for o in b.field("Clinic").find_elements(By.TAG_NAME, "option") if o.get_attribute("value")] == [CLINIC_NAMES[clinic]]


def badge(b: Browser) -> str:
    return b.wait(lambda: b.driver.find_element(By.ID, "menu-count-appointment-requests").text or None,
                  "the count of open requests")


def name_of(patient: dict) -> str:
    return f"{patient['family_name']}, {patient['given_name']}"


# --------------------------------------------------------------------------- journeys


def test_a_a_family_requests_a_visit_the_office_schedules_it_and_the_family_sees_it(site, browser):
    b = browser
    family = site.make_family(clinic=CARDIOLOGY)
    pid = family.patient["id"]
    phone = with_phone(site, family)
    staff = site.make_staff(clinics=(CARDIOLOGY,))

    # The hospital's schedule already holds a cancelled visit (the soonest), a booked one and
    # a past one.
    cancelled_start = eastern_at(5, 8, 0)
    booked_start = eastern_at(20, 14, 15)
    past_start = eastern_at(-30, 10, 0)
    send(site,
         fhir.appointment(literal(pid), start=utc_z(cancelled_start), status="cancelled", clinic=CARDIOLOGY,
                          provider="Dr. Chen", type="Echocardiogram"),
         fhir.appointment(literal(pid), start=utc_z(booked_start), clinic=CARDIOLOGY, provider="Dr. Chen",
                          type="Echocardiogram", location="Floor 2, Room 210",
                          instructions="No food for 2 hours before.", reason="Heart murmur"),
         fhir.appointment(literal(pid), start=utc_z(past_start), status="fulfilled", clinic=CARDIOLOGY,
                          provider="Dr. Rivera", type="Well child visit"))

    signed_in(b, family)
    assert b.menu() == ["Welcome", "Medical Record", "Appointments", "Messages", "My Account", "Help", "Sign out"]
    b.click("Appointments")
    b.on("Appointments")
    b.wait_text("Times are Eastern Time")
    shown = b.wait(lambda: len(found := visits(b)) == 2 and found, "the two upcoming visits")
    assert shown[0].startswith("Cancelled: ") and "Cancelled: this visit will not take place." in shown[0], shown[0]
    assert "Add to calendar" not in shown[0] and "Ask to cancel" not in shown[0], shown[0]
    assert visit_text(booked_start, booked_start + dt.timedelta(minutes=30)) in shown[1], shown[1]
    for expected in (CLINIC_NAMES[CARDIOLOGY], "Dr. Chen", "Echocardiogram", "Floor 2, Room 210",
                     "No food for 2 hours before.", "Booked"):
        assert expected in shown[1], f"{expected!r} not in {shown[1]!r}"
    assert "Heart murmur" not in b.main_text()  # the reason for the visit is never shown
    [past] = rows(b, section("Past visits"))
    assert visit_text(past_start, past_start + dt.timedelta(minutes=30)) in past and "Attended" in past, past
    b.page("appointments-before")

    # "New Appointment": the same-day sentence before anything is sent, the phone from Pt
    # Demographics, no "confidential" box for a parent.
    b.click("New Appointment")
    b.on("New Appointment")
    assert SAME_DAY in [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "main p")]
    the_patients_clinic_is_chosen(b, CARDIOLOGY)
    assert b.field("Phone number to call you back").get_attribute("value") == phone
    assert b.field("Earliest date").get_attribute("value") == eastern_today().isoformat()
    assert "Privacy" not in b.main_text()
    b.page("new-appointment")

    # Nothing chosen: a sentence at the first field; a phone the API refuses: at its field.
    b.click("Send request")
    assert b.alert() == "Choose the kind of visit."
    b.tick("Follow-up")
    b.type("Reason for the visit", REASON)
    b.wait_text(f"{len(REASON)} of 1,000 characters")
    b.tick("Tuesday")
    b.tick("Thursday")
    b.tick("Morning")
    b.type("Phone number to call you back", "12")
    b.click("Send request")
    message = b.field_error("Phone number to call you back")
    assert message == "The phone number to call you back must be a phone number of 7 to 15 digits.", message
    assert b.field("Phone number to call you back").get_attribute("aria-invalid") == "true"
    b.page("new-appointment-refused")
    assert requests_of(site, family) == []

    # A double click sends one request (one Idempotency-Key per form, the button off while
    # it is sent).
    b.type("Phone number to call you back", phone)
    ActionChains(b.driver).double_click(b.driver.find_element(By.XPATH, "//main//button[normalize-space()='Send request']")).perform()
    b.on("Appointments")
    b.driver.execute_script("getSelection().removeAllRanges();")  # what the double click selected
    b.wait_text("Your request is sent.")
    [mine] = requests_of(site, family)
    assert mine["status"] == "requested" and mine["kind"] == "follow-up", mine
    assert mine["days"] == ["tue", "thu"] and mine["times"] == ["morning"] and mine["phone"] == phone, mine
    [row] = b.wait(lambda: requests_shown(b) or None, "Your requests")
    assert "Follow-up" in row and "Requested" in row and "Cancel request" in row, row
    b.page("appointments-requested")

    # The office schedules it (its own pages are journey b).
    start = eastern_at(10, 9, 30)
    end = start + dt.timedelta(minutes=30)
    r = site.post(f"/api/office/appointment-requests/{mine['id']}/schedule", token=staff.auth, json={
        "start": start.isoformat(), "end": end.isoformat(), "provider": "Dr. Rivera",
        "location": "Building B, 2nd floor", "instructions": INSTRUCTIONS, "version": mine["version"]})
    assert r.status_code == 200, describe(r)
    when = visit_text(start, end)

    # The welcome page: the next visit that is not cancelled.
    b.click("Welcome")
    b.on(f"Welcome, {family.username}")
    b.wait(lambda: b.driver.find_elements(By.XPATH, section("Next visit")), "the next visit")
    next_visit = b.driver.find_element(By.XPATH, section("Next visit")).text
    assert when in next_visit and CLINIC_NAMES[CARDIOLOGY] in next_visit, next_visit
    b.page("welcome-next-visit")

    # Under Appointments: the visit, soonest first after the cancelled one, and the request
    # scheduled with its time.
    b.click("Appointments")  # the section's link
    b.on("Appointments")
    shown = b.wait(lambda: len(found := visits(b)) == 3 and found, "three upcoming visits")
    assert shown[0].startswith("Cancelled: "), shown
    assert when in shown[1] and "Dr. Rivera" in shown[1] and INSTRUCTIONS in shown[1], shown[1]
    assert "Building B, 2nd floor" in shown[1], shown[1]
    assert "Dr. Chen" in shown[2], shown
    [row] = requests_shown(b)
    assert f"Scheduled: {start_text(start)}" in row and "Cancel request" not in row, row
    b.page("appointments")

    # "Add to calendar": the visit as an .ics file, in UTC, with no reason or instructions.
    with tempfile.TemporaryDirectory(prefix="portal-downloads-") as folder:
        b.downloads_to(Path(folder))
        first = b.driver.find_elements(By.XPATH, f"{section('Upcoming visits')}//li[2]//button[normalize-space()='Add to calendar']")
        assert first, "no Add to calendar on the scheduled visit"
        first[0].click()
        raw = b.downloaded(Path(folder), CALENDAR_FILE).read_bytes()
    b.wait_text(f"The visit is downloaded as {CALENDAR_FILE}.")
    import icalendar

    [event] = [c for c in icalendar.Calendar.from_ical(raw).walk() if c.name == "VEVENT"]
    assert event.decoded("dtstart") == start.astimezone(dt.timezone.utc), event.decoded("dtstart")
    assert event.decoded("dtend") == end.astimezone(dt.timezone.utc), event.decoded("dtend")
    assert CLINIC_NAMES[CARDIOLOGY] in str(event.get("summary")), event.get("summary")
    text = raw.decode()
    for secret in ("murmur", "tired", INSTRUCTIONS[:20]):
        assert secret not in text, f"{secret!r} is in the calendar file"
    b.page("appointments-calendar")

    # "Ask to cancel" the hospital's booked visit: a request the office confirms.
    b.driver.find_element(By.XPATH, f"{section('Upcoming visits')}//li[3]//button[normalize-space()='Ask to cancel']").click()
    b.wait(lambda: b.driver.find_element(By.CSS_SELECTOR, "dialog[open]"), "the dialog")
    assert "Keep the visit" in b.driver.find_element(By.CSS_SELECTOR, "dialog[open]").text
    b.page("appointments-ask-to-cancel")
    b.click("Ask to cancel")  # the dialog's
    b.wait_text("Your request to cancel the visit on")
    shown = b.wait(lambda: len(found := visits(b)) == 3 and found, "three upcoming visits")
    assert "You asked to cancel this visit." in shown[2] and "Ask to cancel" not in shown[2], shown[2]
    newest = requests_shown(b)[0]
    assert "Cancel a visit" in newest and "Requested" in newest, newest
    kinds = sorted(r["kind"] for r in requests_of(site, family))
    assert kinds == ["cancel", "follow-up"], kinds
    sign_out(b)


def test_b_staff_work_the_queue_schedule_one_decline_one(site, browser):
    b = browser
    staff = site.make_staff(clinics=(RHEUMATOLOGY, UROLOGY))
    first = site.make_family(clinic=RHEUMATOLOGY)
    second = site.make_family(clinic=RHEUMATOLOGY)
    third = site.make_family(clinic=UROLOGY)
    raced = site.make_family(clinic=RHEUMATOLOGY)
    request_visit(site, first, "Knee pain after soccer for two weeks.")
    request_visit(site, second, "Follow-up of the rash.", kind="follow-up")
    request_visit(site, third, "Wants to talk about bedwetting.", kind="other")
    race = request_visit(site, raced, "Swollen ankle.")

    signed_in(b, staff)
    assert "Appointment requests" in b.menu()
    count = open_count(site, staff.auth)
    assert badge(b) == f"{count} open"
    b.click("Appointment requests")
    b.on("Appointment requests")
    names = b.wait(lambda: (found := rows(b, section("Requests"))) and len(found) >= 4 and found, "the queue")
    at = {who.username: next(i for i, r in enumerate(names) if name_of(who.patient) in r)
          for who in (first, second, third, raced)}
    assert at[first.username] < at[second.username] < at[raced.username], f"not oldest first: {names}"
    oldest = names[at[first.username]]
    assert "Less than a day" in oldest and "New problem" in oldest, oldest
    assert CLINIC_NAMES[UROLOGY] in names[at[third.username]], names[at[third.username]]
    b.page("office-appointments")

    # The clinic filter (staff of two clinics), then back to both.
    b.choose("Clinic (optional)", CLINIC_NAMES[UROLOGY])
    b.click("Show requests")
    b.wait(lambda: all(CLINIC_NAMES[UROLOGY] in r for r in rows(b, section("Requests"))) and rows(b, section("Requests")),
           "only Urology's requests")
    assert name_of(first.patient) not in b.main_text()
    b.choose("Clinic (optional)", "All your clinics")
    b.click("Show requests")
    b.wait_text(name_of(first.patient))

    # The DST rule of the schedule form: the same 9:30 is -04:00 in July and -05:00 in December.
    offsets = b.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const main = document.querySelector('script[type=module]').src;"
        "import(main.replace(/js\\/main\\.js$/, 'js/appointments.js'))"
        ".then((m) => done([m.easternRfc3339(m.easternInstant('2027-07-01', '09:30')),"
        " m.easternRfc3339(m.easternInstant('2027-12-03', '09:30')), m.easternInstant('2027-03-14', '02:30')]))"
        ".catch((e) => done(String(e)));")
    assert offsets == ["2027-07-01T09:30:00-04:00", "2027-12-03T09:30:00-05:00", None], offsets

    # Open the oldest: the request, an internal note.
    b.click(name_of(first.patient))
    b.on("Appointment request")
    b.wait_text("Knee pain after soccer for two weeks.")
    assert "Monday, Wednesday" in b.main_text() and "Morning" in b.main_text()
    b.type("Internal note — the family does not see it", "Called back, left a message.")
    b.click("Add note")
    b.wait_text("Note added.")
    notes = b.driver.find_element(By.XPATH, section("Internal notes")).text
    assert "Called back, left a message." in notes and staff.username in notes, notes
    b.page("office-appointment-request")

    # Schedule it: a date and an Eastern time, 45 minutes.
    start = eastern_at(12, 9, 30)
    end = start + dt.timedelta(minutes=45)
    date = b.field("Date")
    b.type_date("Date", start.date().isoformat())
    assert date.get_attribute("value") == start.date().isoformat(), date.get_attribute("value")
    b.field("Start time (Eastern Time)").send_keys("0930AM")
    assert b.field("Start time (Eastern Time)").get_attribute("value") == "09:30"
    b.choose("Length", "45 minutes")
    b.type("Provider (optional)", "Dr. Okafor")
    b.type("Location (optional)", "Building A, Room 12")
    b.type("Instructions for the family (optional)", "Bring the knee brace.")
    b.click("Schedule")
    when = visit_text(start, end)
    b.wait_text(f"Scheduled for {when} at {CLINIC_NAMES[RHEUMATOLOGY]}.")
    assert "Schedule" not in [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "main h2")]
    b.page("office-appointment-scheduled")
    [visit] = upcoming_of(site, first)
    assert instant(visit["start"]) == start and instant(visit["end"]) == end, visit
    assert visit["provider"] == "Dr. Okafor" and visit["status"] == "booked", visit
    b.wait(lambda: badge(b) == f"{int(count) - 1} open", "the count, one less")

    # Decline the second with a reason the family sees.
    b.click("Back to the appointment requests")
    b.on("Appointment requests")
    b.click(name_of(second.patient))
    b.on("Appointment request")
    b.wait_text("Follow-up of the rash.")
    b.type("Reason for declining", "Please see your primary care provider for this.")
    b.click("Decline")
    b.wait_text("Declined. The family sees the reason under Appointments.")
    b.page("office-appointment-declined")
    [declined] = requests_of(site, second)
    assert declined["status"] == "declined", declined
    assert declined["decline_reason"] == "Please see your primary care provider for this.", declined

    # Someone else answers first: the page says so and shows the request as it is now.
    b.click("Back to the appointment requests")
    b.on("Appointment requests")
    b.click(name_of(raced.patient))
    b.on("Appointment request")
    b.wait_text("Swollen ankle.")
    r = site.post(f"/api/office/appointment-requests/{race['id']}/decline", token=site.admin_token(),
                  json={"reason": "Seen in the emergency department.", "version": race["version"]})
    assert r.status_code == 200, describe(r)
    b.type("Reason for declining", "Please call us.")
    b.click("Decline")
    assert "Someone else changed this request" in b.alert()
    b.wait_text("Seen in the emergency department.")
    assert "Reason for declining" not in b.main_text()  # answered: nothing more to do
    b.page("office-appointment-conflict")
    [after] = requests_of(site, raced)
    assert after["decline_reason"] == "Seen in the emergency department.", after

    # The family asks to cancel the visit just booked; the office confirms it.
    r = site.post(patient_path(first.patient["id"], f"appointments/{visit['id']}/cancel-request"), token=first.auth,
                  headers={"Idempotency-Key": str(uuid.uuid4())}, json={})
    assert r.status_code == 201, describe(r)
    b.click("Back to the appointment requests")
    b.on("Appointment requests")
    b.driver.refresh()  # the queue as it is now
    b.on("Appointment requests")
    row = b.wait(lambda: next((x for x in rows(b, section("Requests")) if name_of(first.patient) in x), None),
                 "the request to cancel")
    assert "Cancel a visit" in row, row
    b.click(name_of(first.patient))
    b.on("Appointment request")
    b.wait_text(f"Visit to cancel\n{start_text(start)}")
    assert "Schedule" not in [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "main h2")]
    b.page("office-appointment-cancel")
    b.click("Confirm the cancellation")
    b.wait_text("The cancellation is confirmed: the visit is cancelled in the portal.")
    [cancelled] = upcoming_of(site, first)
    assert cancelled["status"] == "cancelled", cancelled

    # The status filter finds the scheduled one.
    b.click("Back to the appointment requests")
    b.on("Appointment requests")
    b.choose("Status", "Scheduled")
    b.click("Show requests")
    b.wait(lambda: any(name_of(first.patient) in r for r in rows(b, section("Requests"))), "the scheduled request")
    sign_out(b)


def test_c_the_request_form_with_the_keyboard_only(site, browser):
    b = browser
    family = site.make_family()
    phone = with_phone(site, family)
    b.open("/sign-in")
    b.on("Sign in")
    b.tab_to(lambda el: el.get_attribute("autocomplete") == "username", "the username field")
    b.press(family.username, Keys.TAB, family.password, Keys.ENTER)
    b.on(f"Welcome, {family.username}")
    b.tab_to(lambda el: el.tag_name == "a" and el.text == "Appointments", "the menu's Appointments", most=25)
    b.press(Keys.ENTER)
    b.on("Appointments")
    b.tab_to(lambda el: el.text == "New Appointment", "New Appointment", most=25)
    b.press(Keys.ENTER)
    b.on("New Appointment")
    the_patients_clinic_is_chosen(b, CARDIOLOGY)

    def is_input(value: str):
        return lambda el: el.tag_name == "input" and el.get_attribute("value") == value

    b.tab_to(is_input("new-problem"), "the first kind")
    b.press(Keys.SPACE)
    b.tab_to(lambda el: el.tag_name == "textarea", "the reason")
    b.press("Ear pain since Sunday.")
    b.tab_to(is_input("mon"), "Monday")
    b.press(Keys.SPACE)
    b.tab_to(is_input("fri"), "Friday")
    b.press(Keys.SPACE)
    b.tab_to(is_input("afternoon"), "Afternoon")
    b.press(Keys.SPACE)
    style = b.driver.execute_script(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth];")
    assert style[0] != "none" and style[1] != "0px", f"no visible focus: {style}"
    b.tab_to(lambda el: el.tag_name == "button" and el.text == "Send request", "Send request", most=10)
    b.page("new-appointment-keyboard")
    b.press(Keys.ENTER)
    b.on("Appointments")
    b.wait_text("Your request is sent.")
    status = b.driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter((e) => e.initiatorType === 'fetch' && new URL(e.name).pathname === arguments[0])"
        ".map((e) => e.responseStatus);", patient_path(family.patient["id"], "appointment-requests"))
    assert 201 in status, status
    [mine] = requests_of(site, family)
    assert mine["kind"] == "new-problem" and mine["reason"] == "Ear pain since Sunday.", mine
    assert mine["days"] == ["mon", "fri"] and mine["times"] == ["afternoon"] and mine["phone"] == phone, mine
    assert mine["earliest"] == eastern_today().isoformat(), mine


def test_d_only_the_patients_own_account_may_mark_a_request_confidential(site, browser):
    b = browser
    teen = site.make_patient_born(years_before(14, -30))
    own = site.make_holder(teen, relationship="self")
    with_phone(site, own)
    signed_in(b, own)
    b.click("Appointments")
    b.on("Appointments")
    b.click("New Appointment")
    b.on("New Appointment")
    the_patients_clinic_is_chosen(b, CARDIOLOGY)
    box = "Keep this request confidential: my parents or guardians do not see it"
    assert not b.field(box).is_selected()
    b.tick("New problem")
    b.type("Reason for the visit", "Something I want to talk about privately.")
    b.tick("Wednesday")
    b.tick("Afternoon")
    b.tick(box)
    b.page("new-appointment-own-account")
    b.click("Send request")
    b.on("Appointments")
    b.wait_text("Your request is sent.")
    [mine] = requests_of(site, own)
    assert mine["confidential"] is True, mine
    [row] = requests_shown(b)
    assert "Confidential" in row, row
