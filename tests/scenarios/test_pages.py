"""The portal in a real browser: the five journeys of the browser front end, driven by
clicks and typing only in headless Chromium against the local run, on both backends, with
every page screenshotted and checked by axe-core (`browser.Browser.page`). The pages' HTTP
answers (security headers, caching, 404s) are checked on both backends too. Journey 5 runs
on a third local run (embedded) whose pages sign out after IDLE_SECONDS.

The API behind each step is proven on both backends by the other scenario tests; here the
question is whether a person can do it with the pages.
"""

from __future__ import annotations

import random
import re
import time
from urllib.parse import urlsplit

import pytest
import requests
from selenium.webdriver.common.keys import Keys

from browser import Browser
from conftest import (
    BACKENDS,
    CARDIOLOGY,
    CLINIC_NAMES,
    IDLE,
    IDLE_SECONDS,
    REFRESH_COOKIE,
    Account,
    describe,
    new_answer,
    new_email,
    new_password,
    new_patient_body,
    new_username,
    reset_link_in,
)

WRONG_PASSWORD_SENTENCE = "The username or password is incorrect."


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, servers):
    """The local run the browser opens: on the embedded backend, and on the AWS adapters
    against moto (the pages are the same; the answers behind them come from either)."""
    return servers.get(request.param)


@pytest.fixture
def browsers():
    """Opens browsers on a local run on demand (`browsers(site, width=...)`) and closes them all."""
    opened = []

    def open_browser(site, **size) -> Browser:
        b = Browser(site, **size)
        opened.append(b)
        return b

    yield open_browser
    for b in opened:
        b.close()


@pytest.fixture
def browser(site, browsers) -> Browser:
    return browsers(site)


# --------------------------------------------------------------------------- steps


def sign_in(b: Browser, username: str, password: str, two_step: bool = False, shot: str | None = None) -> None:
    """`two_step`: a staff member or admin, who gives the code from the app next (or sets the
    app up first); `shot` names that page's screenshot."""
    # A page just opened shows its heading once its script has asked for a session.
    if b.wait(lambda: b.heading(), "a page") != "Sign in":
        b.click("Sign in")  # the menu's
        b.on("Sign in")
    b.type("Username", username)
    b.type("Password", password)
    b.click("Sign in")
    if two_step:
        b.two_step(username, shot)


def first_sign_in(b: Browser, site, account: Account, shot: str | None = None, two_step: bool = False) -> None:
    """On "Choose your password": a new password and three questions, then signed in; a staff
    member or admin (`two_step`) sets up two-step sign-in from the QR page in between."""
    b.on("Choose your password")
    if shot:
        b.page(shot)
    account.password = new_password()
    b.type("New password", account.password)
    b.type("New password again", account.password)
    questions = random.sample(site.questions(), 3)
    for ordinal, q in zip(("First", "Second", "Third"), questions):
        answer = new_answer()
        account.answers[q["id"]] = answer
        b.choose(f"{ordinal} security question", q["text"])
        b.type(f"Answer to the {ordinal.lower()} question", answer)
    b.click("Save and sign in")
    if two_step:
        b.on("Set up two-step sign-in")
        b.wait_text("Your new password and security questions are saved.")
        b.two_step(account.username, shot="two-step-setup")
    b.on(f"Welcome, {account.username}")
    b.wait_text("Your new password and security questions are saved.")


def sign_out(b: Browser) -> None:
    b.click("Sign out")
    b.on("Sign in")
    b.wait_text("You have signed out.")
    assert "Sign out" not in b.menu()


def find_account(b: Browser, username: str) -> None:
    b.click("Find an account")
    b.on("Find an account")
    b.type("Username", username)
    b.click("Find account")
    b.wait(lambda: b.driver.find_elements("id", "acct-h"), "the account's details")


def assert_plain_sentence(text: str) -> None:
    assert text and not re.search(r"[{}\[\]]|\"type\"|problem|Error:|at \w+ \(", text), f"not a plain sentence: {text!r}"


# --------------------------------------------------------------------------- journeys


def test_journey_1_admin_creates_staff_who_registers_a_family_who_signs_in(site, browser):
    b = browser
    b.open("/")
    b.on("Sign in")
    b.page("sign-in")
    assert b.driver.find_element("css selector", "main p.top-link a").text == "Forgot Password?", "Forgot Password? is not at the top"
    sign_in(b, "admin", site.admin_password, two_step=True)
    b.on("Welcome, admin")
    assert b.menu() == ["Welcome", "Register a patient", "Find a patient", "Find an account", "Appointment requests", "Inbox", "Staff accounts", "Security events", "Imports", "My Account", "Help", "Sign out"]
    b.page("welcome-admin")

    # The admin creates a staff member of Pediatric Cardiology.
    staff = Account(new_username("staff"), new_email("staff"))
    b.click("Staff accounts")
    b.on("Staff accounts")
    b.page("admin-staff")
    b.type("First name", "Sam")
    b.type("Last name", "Office")
    b.type("Username", staff.username)
    b.type("Work email address", staff.email)
    b.choose("Role", "Clinic office staff")
    b.tick(CLINIC_NAMES[CARDIOLOGY])
    b.click("Create account")
    b.on("Account created")
    b.wait_text(f"The login information email has been sent to {staff.email}.")
    b.page("admin-staff-created")

    # "Security events": the new account's creation, newest first, by the admin.
    b.click("Security events")
    b.on("Security events")
    rows = b.wait(lambda: [r.text for r in b.driver.find_elements("css selector", "main tbody tr")] or None, "the security events")
    assert "Created the account" in rows[0] and staff.username in rows[0] and "admin" in rows[0], rows[0]
    assert any("Signed in" in r for r in rows), rows
    b.page("admin-security-events")
    sign_out(b)

    # The staff member signs in with the emailed temporary password.
    _, user, staff.temp_password = site.credential_mail(staff.email)
    assert user.lower() == staff.username.lower()
    sign_in(b, staff.username, staff.temp_password)
    first_sign_in(b, site, staff, shot="first-sign-in", two_step=True)
    assert b.menu() == ["Welcome", "Register a patient", "Find a patient", "Find an account", "Appointment requests", "Inbox", "My Account", "Help", "Sign out"]
    b.page("welcome-staff")
    b.click("My Account")
    b.on("My Account")
    b.wait_text(CLINIC_NAMES[CARDIOLOGY])  # the staff member's clinics, by name
    b.page("my-account-staff")

    # Staff registers a patient and creates the family's account.
    patient = new_patient_body(CARDIOLOGY)
    family = Account(new_username("fam"), new_email("fam"), patient=patient)
    b.click("Register a patient")
    b.on("Register a patient")
    b.page("office-register")
    b.type("Patient's first name", patient["given_name"])
    b.type("Patient's last name", patient["family_name"])
    b.type_date("Date of birth", patient["birth_date"])
    b.choose("Clinic", CLINIC_NAMES[CARDIOLOGY])
    b.type("Medical record number (MRN) (optional)", patient["mrn"])
    b.type("Username", family.username)
    b.type("Email address", family.email)
    b.choose("Account holder is the patient's", "Parent")
    b.click("Register and create account")
    b.on("Account created")
    b.wait_text(f"The login information email has been sent to {family.email}.")
    assert patient["birth_date"] in b.main_text()
    b.page("office-register-done")

    # The email is in the outbox; the office sees the account waiting for its first sign-in.
    _, user, family.temp_password = site.credential_mail(family.email)
    assert user.lower() == family.username.lower()
    find_account(b, family.username)
    b.wait_text("Not yet: waiting for the family to use the temporary password")
    assert f"{patient['given_name']} {patient['family_name']}" in b.main_text()
    b.page("office-account")
    sign_out(b)

    # The family signs in, sets a password and questions, lands on the welcome page.
    sign_in(b, family.username, family.temp_password)
    first_sign_in(b, site, family)
    assert b.menu() == ["Welcome", "Medical Record", "Appointments", "Messages", "My Account", "Help", "Sign out"]
    b.wait_text(patient["given_name"])
    b.page("welcome-family")
    b.click("My Account")
    b.on("My Account")
    b.wait_text(family.email)
    b.page("my-account")
    b.click("Help")
    b.on("Help")
    b.wait_text("Pediatric Urology")
    for name in CLINIC_NAMES.values():
        assert name in b.main_text()
    b.page("help")
    sign_out(b)
    b.page("signed-out")

    # Signed out means signed out: a reload does not bring the session back.
    b.driver.refresh()
    b.on("Sign in")
    assert "Sign out" not in b.menu()


def test_journey_2_forgot_password_through_the_emailed_link(site, browser):
    b = browser
    family = site.make_family()
    old_password = family.password
    b.open("/")
    b.on("Sign in")
    b.click("Forgot Password?")
    b.on("Forgot Password?")
    b.page("forgot-password")
    b.type("Username", family.username)
    b.click("Send reset link")
    b.on("Check your email")
    b.page("forgot-password-sent")

    mail = site.mail_to(family.email)
    reset_link_in(mail, site.portal_url)
    link = re.findall(r"https?://[^\s<>\"')\]]+/reset-password\?[^\s<>\"')\]]+", mail.text)[0]
    b.open(link)  # the family opens the link in the email
    b.on("Reset your password")
    assert urlsplit(b.driver.current_url).query == "", "the reset code stays in the address bar"
    question = b.driver.find_element("xpath", "//main//form//label").text
    by_text = {q["text"]: q["id"] for q in site.questions()}
    assert by_text[question] in family.answers, "asked a question the family did not choose"

    # A wrong answer is a plain sentence, and changes nothing.
    b.type(question, "not the answer at all")
    family.password = new_password()
    b.type("New password", family.password)
    b.type("New password again", family.password)
    b.click("Reset password")
    assert_plain_sentence(b.alert())
    assert "not valid" in b.alert()

    b.type(question, family.answers[by_text[question]])
    b.page("reset-password")
    b.click("Reset password")
    b.on("Sign in")
    b.wait_text("Your password has been reset. Sign in with your new password.")
    sign_in(b, family.username, family.password)
    b.on(f"Welcome, {family.username}")
    assert site.login(family.username, old_password).status_code == 401


def test_journey_3_the_office_changes_the_username_and_the_family_signs_in_with_it(site, browser):
    b = browser
    staff = site.make_staff(clinics=(CARDIOLOGY,))
    family = site.make_family(clinic=CARDIOLOGY)
    renamed = new_username("renamed")
    b.open("/")
    sign_in(b, staff.username, staff.password, two_step=True, shot="two-step-code")
    b.on(f"Welcome, {staff.username}")
    find_account(b, family.username)
    b.type("New username", renamed)
    b.click("Change username")
    b.wait_text(f"The username is now {renamed}.")
    b.page("office-account-renamed")
    sign_out(b)

    sign_in(b, family.username, family.password)
    assert b.alert() == WRONG_PASSWORD_SENTENCE
    sign_in(b, renamed, family.password)
    b.on(f"Welcome, {renamed}")


def test_journey_4_a_disabled_account_sees_the_same_message_as_a_wrong_password(site, browser):
    b = browser
    family = site.make_family()
    b.open("/")
    sign_in(b, family.username, "certainly not the password")
    wrong = b.alert()
    assert wrong == WRONG_PASSWORD_SENTENCE
    b.page("sign-in-refused")

    sign_in(b, "admin", site.admin_password, two_step=True)
    b.on("Welcome, admin")
    find_account(b, family.username)
    b.click("Disable account")
    b.wait_text("The account is disabled. It can no longer sign in.")
    b.wait_text("Disabled: cannot sign in")
    sign_out(b)

    sign_in(b, family.username, family.password)
    assert b.alert() == wrong
    assert "Sign out" not in b.menu()

    sign_in(b, "admin", site.admin_password, two_step=True)
    b.on("Welcome, admin")
    find_account(b, family.username)
    b.click("Enable account")
    b.wait_text("The account is enabled. It can sign in again.")
    sign_out(b)
    sign_in(b, family.username, family.password)
    b.on(f"Welcome, {family.username}")


def test_journey_two_step_sign_in_a_family_turns_on_from_the_qr_page_and_off_again(site, browser):
    """Issue 15: My Account, "Two-step sign-in": the key read from the page's text as a person
    would type it, a sign-in with the code, and off again with the password and a code."""
    b = browser
    family = site.make_family()
    b.open("/")
    sign_in(b, family.username, family.password)
    b.on(f"Welcome, {family.username}")
    b.click("My Account")
    b.on("My Account")
    b.wait_text("Two-step sign-in")
    b.type("Password", family.password)
    b.click("Turn on two-step sign-in")
    key = b.wait(lambda: "".join(e.text for e in b.driver.find_elements("css selector", "main .totp-key")) or None, "the key")
    site.totp_keys[family.username.lower()] = key.replace(" ", "")
    assert b.driver.find_elements("css selector", "main svg.qr[role=img]"), "no QR code"
    b.page("my-account-two-step-setup")
    b.type("6-digit code", site.next_code(family.username))
    b.click("Turn on")
    b.wait_text("Two-step sign-in is on.")
    sign_out(b)

    sign_in(b, family.username, family.password, two_step=True, shot="two-step-code-family")
    b.on(f"Welcome, {family.username}")
    b.click("My Account")
    b.on("My Account")
    b.wait_text("Turn off two-step sign-in")
    b.page("my-account-two-step-on")
    b.type("Password", family.password)
    b.type("6-digit code", site.next_code(family.username))
    b.click("Turn off two-step sign-in")
    b.wait_text("Two-step sign-in is off.")
    sign_out(b)
    sign_in(b, family.username, family.password)
    b.on(f"Welcome, {family.username}")


@pytest.fixture
def idle_family(servers, browsers):
    """A family signed in on the local run whose pages sign out after IDLE_SECONDS:
    (that run, the browser, the account)."""
    idle_site = servers.get(IDLE)
    b = browsers(idle_site)
    family = idle_site.make_family()
    b.open("/")
    sign_in(b, family.username, family.password)
    b.on(f"Welcome, {family.username}")
    return idle_site, b, family


def test_journey_5_idle_sign_out_warns_then_signs_out_and_revokes(idle_family):
    idle_site, b, family = idle_family

    b.open("/welcome")
    b.on(f"Welcome, {family.username}")  # brought back by the session cookie

    dialog = "dialog#idle-warning[open]"
    b.wait(lambda: b.driver.find_element("css selector", dialog).is_displayed(), "the idle warning", IDLE_SECONDS + 5)
    assert "signed out in" in b.driver.find_element("id", "idle-text").text
    assert b.focused().text == "Stay signed in"
    b.page("idle-warning")
    b.click("Stay signed in")
    assert not b.driver.find_elements("css selector", dialog)
    b.on(f"Welcome, {family.username}")

    # No more activity: warned again, then signed out.
    b.wait(lambda: b.driver.find_elements("css selector", dialog), "the second idle warning", IDLE_SECONDS + 5)
    # The session cookie as it is now (it rotates on every refresh; none comes any more).
    # It is HttpOnly; WebDriver sees it.
    cookie = next(c["value"] for c in b.driver.get_cookies() if c["name"] == REFRESH_COOKIE)
    b.on("Sign in", timeout=IDLE_SECONDS + 5)
    b.wait_text("You were signed out automatically")
    assert "Sign out" not in b.menu()
    b.page("idle-signed-out")
    r = requests.post(idle_site.base + "/api/auth/refresh", cookies={REFRESH_COOKIE: cookie}, timeout=30)
    assert r.status_code == 401, f"the session outlived the idle sign-out: {describe(r)}"
    b.driver.refresh()
    b.on("Sign in")


def test_tabs_share_activity_and_sign_out(idle_family):
    """Sign-out revokes every session of the account, so an idle tab must not sign out a
    person busy in another tab, and a sign-out in one tab ends the others."""
    _, b, family = idle_family
    first = b.driver.current_window_handle
    b.driver.switch_to.new_window("tab")
    b.open("/account")
    b.on("My Account")  # the same session, from the refresh cookie

    # A person at work in the second tab for longer than the idle limit.
    deadline = time.monotonic() + IDLE_SECONDS + 4
    while time.monotonic() < deadline:
        b.press(Keys.SHIFT)
        time.sleep(1)
    b.driver.switch_to.window(first)
    assert b.heading() == f"Welcome, {family.username}", "the idle tab signed out a busy person"
    assert not b.driver.find_elements("css selector", "dialog#idle-warning[open]")

    b.click("Sign out")
    b.on("Sign in")
    second = next(h for h in b.driver.window_handles if h != first)
    b.driver.switch_to.window(second)
    b.on("Sign in")
    b.wait_text("Your session has ended.")
    assert "Sign out" not in b.menu()


# --------------------------------------------------------------------------- the pages themselves


def test_my_account_reset_password(site, browser):
    """"My Account" > "reset password": the current password is required."""
    b = browser
    family = site.make_family()
    b.open("/")
    sign_in(b, family.username, family.password)
    b.on(f"Welcome, {family.username}")
    b.click("My Account")
    b.on("My Account")
    new = new_password()
    b.type("Current password", "not my password at all")
    b.type("New password", new)
    b.type("New password again", new)
    b.click("Reset password")
    message = b.field_error("Current password")
    assert_plain_sentence(message)
    assert message.startswith("Current password"), message
    b.type("Current password", family.password)
    b.click("Reset password")
    # Every session ended with the change, this one too: the page says so on the sign-in page.
    b.wait_text("Your password has been changed. You were signed out everywhere")
    b.on("Sign in")
    b.page("my-account-password-changed")
    sign_in(b, family.username, new)
    b.on(f"Welcome, {family.username}")
    assert site.login(family.username, family.password).status_code == 401


def test_keyboard_only_sign_in_and_menu_with_visible_focus(site, browser):
    b = browser
    family = site.make_family()
    b.open("/sign-in")
    b.on("Sign in")
    b.tab_to(lambda el: el.get_attribute("autocomplete") == "username", "the username field")
    b.press(family.username, Keys.TAB, family.password, Keys.ENTER)
    b.on(f"Welcome, {family.username}")
    b.tab_to(lambda el: el.text == "My Account", "the menu's My Account")
    style = b.driver.execute_script(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth, s.boxShadow];")
    assert style[0] != "none" and style[1] != "0px", f"no visible focus: {style}"
    b.press(Keys.ENTER)
    b.on("My Account")


def test_errors_are_sentences_tied_to_their_fields(site, browser):
    b = browser
    b.open("/sign-in")
    b.on("Sign in")
    b.click("Sign in")
    message = b.field_error("Username")
    assert message == "Enter username."
    assert b.field("Username").get_attribute("aria-invalid") == "true"
    assert b.focused().get_attribute("id") == b.field("Username").get_attribute("id")

    family = site.make_family(sign_in=False)
    sign_in(b, family.username, family.temp_password)
    b.on("Choose your password")
    b.type("New password", "password123")
    b.type("New password again", "password123")
    for ordinal, q in zip(("First", "Second", "Third"), site.questions()[:3]):
        b.choose(f"{ordinal} security question", q["text"])
        b.type(f"Answer to the {ordinal.lower()} question", new_answer())
    b.click("Save and sign in")
    message = b.field_error("New password")
    assert_plain_sentence(message)
    assert message.startswith("New password") and message.endswith("."), message
    assert b.field("New password").get_attribute("aria-invalid") == "true"
    b.page("first-sign-in-refused")


def test_pages_fit_a_360_pixel_screen(site, browsers):
    b = browsers(site, width=360, height=800)
    family = site.make_family()
    b.open("/")
    b.on("Sign in")
    assert b.driver.execute_script("return window.innerWidth") == 360
    b.no_horizontal_scroll()
    b.page("sign-in-360")
    sign_in(b, family.username, family.password)
    b.on(f"Welcome, {family.username}")
    b.no_horizontal_scroll()
    b.page("welcome-family-360")
    b.click("Help")
    b.on("Help")
    b.wait_text("Pediatric Urology")
    b.no_horizontal_scroll()


def test_unknown_pages_say_so(site, browser):
    b = browser
    b.open("/no/such/page")
    b.on("Page not found")
    b.page("not-found")
    b.open("/office/register")  # signed out: asked to sign in first
    b.on("Sign in")
    b.wait_text("Please sign in to see that page.")


def test_the_axe_check_finds_what_it_should(site, browser):
    """Guards the axe check of every page against a check that passes anything."""
    b = browser
    b.open("/help")
    b.on("Help")
    b.driver.execute_script(
        "const i = document.createElement('input'); i.type = 'text'; document.querySelector('main').append(i);"
        "const img = document.createElement('img'); img.src = 'x.png'; document.querySelector('main').append(img);")
    found = {v["id"]: v["impact"] for v in b.axe()}
    assert found.get("label") == "critical" and found.get("image-alt") == "critical", found


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def test_pages_are_served_with_security_headers_and_caching(portal):
    page = portal.get("/welcome")
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8", describe(page)
    assert page.headers["Cache-Control"] == "no-cache"
    csp = page.headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp, csp
    assert "unsafe-inline" not in csp
    for name, value in SECURITY_HEADERS.items():
        assert page.headers[name] == value
    assets = re.findall(r'(?:src|href)="(/assets/[0-9a-f]{16}/[^"]+)"', page.text)
    assert any(a.endswith("/js/main.js") for a in assets), page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "inline script in the page"
    for asset in assets:
        r = portal.get(asset)
        assert r.status_code == 200, describe(r)
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert r.headers["Content-Security-Policy"] == csp
    stale = re.sub(r"/assets/[0-9a-f]{16}/", "/assets/0123456789abcdef/", assets[0])
    assert portal.get(stale).status_code == 404
    missing = requests.get(portal.base + "/no/such/page", timeout=30)  # a page, not an API problem
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    assert portal.post("/welcome").status_code == 405
