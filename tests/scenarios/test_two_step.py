"""Issue 15: two-step sign-in (TOTP, RFC 6238). Staff and admins must set it up before any token
reaches them; families may turn it on and off under My Account; an admin (anyone) or the office
(its clinics' families) resets a lost phone's; wrong codes count toward the sign-in lock-out and
a code works once.

Codes are computed with pyotp from the key the portal hands out. On the AWS backend moto checks
codes only because the suite starts it with MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true, and then
every user shares the one key AssociateSoftwareToken returns; it does not track reuse, so the
reuse refusal is proved on the embedded backend."""

from __future__ import annotations

import re
import time

import pyotp

from conftest import (
    CARDIOLOGY, ENDOCRINE, assert_problem, assert_token_answer, describe, new_password, refresh_cookie,
)


def wrong_code(secret: str) -> str:
    """A code no step near now gives: refused whatever drift the portal allows."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(time.time() + d * 30) for d in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def assert_challenge(r, name: str) -> str:
    """A sign-in answer that is the challenge `name` and nothing more: no token, no cookie."""
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert body.get("challenge") == name, body
    assert "access_token" not in body and refresh_cookie(r) is None, "a token with the challenge"
    assert isinstance(body.get("session"), str) and body["session"]
    return body["session"]


def staff_at_setup(portal, role: str = "staff", clinics=(CARDIOLOGY,)):
    """A staff member (or admin) after first login's new password: the MFA_SETUP session."""
    account = portal.make_staff(clinics=clinics, role=role, sign_in=False)
    session = portal.challenge(account.username, account.temp_password)
    account.password = new_password()
    qids = portal.question_ids()[:3]
    r = portal.first_login_request(account.username, session, account.password, [(q, "Answer " + q) for q in qids])
    return account, assert_challenge(r, "MFA_SETUP")


def test_a_staff_member_sets_it_up_at_first_sign_in_then_signs_in_with_a_code(portal):
    staff, session = staff_at_setup(portal)
    setup = portal.mfa_setup(session)
    assert setup.status_code == 200, describe(setup)
    assert "no-store" in setup.headers.get("Cache-Control", "")
    key = setup.json()
    assert set(key) == {"secret", "otpauth_uri", "qr_svg", "session"}
    # Base32: 160 bits from the embedded provider; moto hands every user one short key.
    assert re.fullmatch(r"[A-Z2-7]{32}" if portal.backend == "embedded" else r"[A-Za-z2-7]+", key["secret"]), "the key is base32"
    assert key["otpauth_uri"].startswith("otpauth://totp/") and f"secret={key['secret']}" in key["otpauth_uri"]
    assert "issuer=" in key["otpauth_uri"] and "algorithm=SHA1&digits=6&period=30" in key["otpauth_uri"]
    assert "<svg" in key["qr_svg"] and key["qr_svg"].rstrip().endswith("</svg>")
    portal.totp_keys[staff.username.lower()] = key["secret"]

    refused = portal.post("/api/auth/mfa-verify", json={"session": session, "code": wrong_code(key["secret"])})
    assert_problem(refused, 401)
    assert refresh_cookie(refused) is None
    r = portal.post("/api/auth/mfa-verify", json={"session": session, "code": portal.next_code(staff.username)})
    token = assert_token_answer(r)["access_token"]
    assert portal.get("/api/account", token=token).json()["two_step"] is True
    # The challenge is used up (refused before any code is looked at).
    again = portal.post("/api/auth/mfa-verify", json={"session": session, "code": "123456"})
    assert_problem(again, 401)

    # A later sign-in asks for the code.
    session = assert_challenge(portal.login(staff.username, staff.password), "SOFTWARE_TOKEN_MFA")
    assert_problem(portal.post("/api/auth/mfa", json={"session": session, "code": wrong_code(key["secret"])}), 401)
    code = portal.next_code(staff.username)
    r = portal.post("/api/auth/mfa", json={"session": session, "code": code})
    assert_token_answer(r)
    if portal.backend == "embedded":
        # The same code again, in a new sign-in: refused (moto does not track reuse).
        session = assert_challenge(portal.login(staff.username, staff.password), "SOFTWARE_TOKEN_MFA")
        assert_problem(portal.post("/api/auth/mfa", json={"session": session, "code": code}), 401)


def test_no_token_reaches_staff_before_the_code_step(portal):
    staff, setup_session = staff_at_setup(portal)
    # Until it is set up, every sign-in is the set-up challenge again.
    again = assert_challenge(portal.login(staff.username, staff.password), "MFA_SETUP")
    assert again != setup_session
    # A session of one step does not serve the other, and a made-up one serves nothing.
    assert_problem(portal.post("/api/auth/mfa", json={"session": setup_session, "code": "123456"}), 401)
    assert_problem(portal.mfa_setup("made-up-session"), 401)
    assert_problem(portal.post("/api/auth/mfa-verify", json={"session": "made-up-session", "code": "123456"}), 401)
    # Malformed codes are a 400 naming the field.
    for bad in ("12345", "abcdef", "1234567", 123456):
        r = portal.post("/api/auth/mfa-verify", json={"session": setup_session, "code": bad})
        assert_problem(r, 400)
        assert r.json().get("field") == "code", r.json()
    # An admin, too.
    admin, _ = staff_at_setup(portal, role="admin")
    assert_challenge(portal.login(admin.username, admin.password), "MFA_SETUP")


def test_wrong_codes_count_toward_the_sign_in_lock_out(portal):
    staff = portal.make_staff()
    key = portal.totp_keys[staff.username.lower()]
    for _ in range(5):
        session = assert_challenge(portal.login(staff.username, staff.password), "SOFTWARE_TOKEN_MFA")
        assert_problem(portal.post("/api/auth/mfa", json={"session": session, "code": wrong_code(key)}), 401)
    # Locked: the right password is refused as a wrong one is, before any code.
    locked = portal.login(staff.username, staff.password)
    assert_problem(locked, 401)
    assert locked.json()["type"].endswith("/sign-in-failed")


def test_a_family_turns_it_on_and_off(portal):
    family = portal.make_family()
    token = family.access_token
    me = portal.get("/api/account", token=token).json()
    assert me["two_step"] is False
    # Off, a family signs in with the password alone.
    assert_token_answer(portal.login(family.username, family.password))

    r = portal.post("/api/account/mfa/setup", token=token, json={"current_password": new_password()})
    assert_problem(r, 400)
    assert r.json()["field"] == "current_password"
    r = portal.post("/api/account/mfa/setup", token=token, json={"current_password": family.password})
    assert r.status_code == 200, describe(r)
    key = r.json()
    assert set(key) == {"secret", "otpauth_uri", "qr_svg"}
    portal.totp_keys[family.username.lower()] = key["secret"]
    r = portal.post("/api/account/mfa/verify", token=token, json={"code": wrong_code(key["secret"])})
    assert_problem(r, 400)
    assert r.json()["field"] == "code"
    assert portal.get("/api/account", token=token).json()["two_step"] is False
    r = portal.post("/api/account/mfa/verify", token=token, json={"code": portal.next_code(family.username)})
    assert r.status_code == 204, describe(r)
    assert portal.get("/api/account", token=token).json()["two_step"] is True
    assert_problem(portal.post("/api/account/mfa/setup", token=token, json={"current_password": family.password}), 409)

    # On: the sign-in asks for the code.
    session = assert_challenge(portal.login(family.username, family.password), "SOFTWARE_TOKEN_MFA")
    r = portal.post("/api/auth/mfa", json={"session": session, "code": portal.next_code(family.username)})
    token = assert_token_answer(r)["access_token"]

    # Off again: the password and a current code.
    r = portal.post("/api/account/mfa/disable", token=token, json={"current_password": family.password, "code": wrong_code(key["secret"])})
    assert_problem(r, 400)
    assert r.json()["field"] == "code"
    # A wrong password: refused before the code is looked at.
    r = portal.post("/api/account/mfa/disable", token=token, json={"current_password": new_password(), "code": "123456"})
    assert_problem(r, 400)
    assert r.json()["field"] == "current_password"
    r = portal.post("/api/account/mfa/disable", token=token, json={"current_password": family.password, "code": portal.next_code(family.username)})
    assert r.status_code == 204, describe(r)
    assert portal.get("/api/account", token=token).json()["two_step"] is False
    assert_token_answer(portal.login(family.username, family.password))
    events = [e["event"] for e in portal.get("/api/admin/security-events", token=portal.admin_token()).json()["items"]]
    assert "twostep.on" in events and "twostep.off" in events


def test_staff_and_admins_cannot_turn_it_off(portal):
    staff = portal.make_staff()
    r = portal.post("/api/account/mfa/disable", token=staff.access_token,
                    json={"current_password": staff.password, "code": portal.next_code(staff.username)})
    assert_problem(r, 403)
    assert portal.get("/api/account", token=staff.access_token).json()["two_step"] is True
    assert_problem(portal.post("/api/account/mfa/setup", token=staff.access_token, json={"current_password": staff.password}), 409)


def test_an_admin_reset_ends_the_sessions_and_setup_is_required_again(portal):
    staff = portal.make_staff()
    reset = portal.post(portal.account_path(staff.username, "mfa-reset"), token=portal.admin_token())
    assert reset.status_code == 204, describe(reset)
    # Every session ended: the refresh cookie no longer gives a token.
    assert_problem(portal.post("/api/auth/refresh", cookie=staff.refresh), 401)
    assert_challenge(portal.login(staff.username, staff.password), "MFA_SETUP")
    found = portal.get(portal.account_path(staff.username, "").rstrip("/"), token=portal.admin_token()).json()
    assert found["two_step"] is False
    events = portal.get("/api/admin/security-events", token=portal.admin_token()).json()["items"]
    assert any(e["event"] == "twostep.reset" and e["outcome"] == "allowed" for e in events), events[:5]
    # Setting it up again signs in.
    portal.sign_in(staff.username, staff.password)


def test_the_office_resets_its_own_clinics_families_only(portal):
    office = portal.make_staff(clinics=(CARDIOLOGY,))
    other = portal.make_staff(clinics=(ENDOCRINE,))
    family = portal.make_family(clinic=CARDIOLOGY)
    token = family.access_token
    r = portal.post("/api/account/mfa/setup", token=token, json={"current_password": family.password})
    portal.totp_keys[family.username.lower()] = r.json()["secret"]
    assert portal.post("/api/account/mfa/verify", token=token, json={"code": portal.next_code(family.username)}).status_code == 204

    assert_problem(portal.post(portal.account_path(family.username, "mfa-reset"), token=other.access_token), 404)
    assert_problem(portal.post(portal.account_path(other.username, "mfa-reset"), token=office.access_token), 404)
    # The office manages families only, its own account among the accounts it does not see.
    assert_problem(portal.post(portal.account_path(office.username, "mfa-reset"), token=office.access_token), 404)
    admin = portal.make_staff(role="admin", clinics=())
    assert_problem(portal.post(portal.account_path(admin.username, "mfa-reset"), token=admin.access_token), 403)
    r = portal.post(portal.account_path(family.username, "mfa-reset"), token=office.access_token)
    assert r.status_code == 204, describe(r)
    # A family without two-step sign-in signs in with the password alone.
    assert_token_answer(portal.login(family.username, family.password))
