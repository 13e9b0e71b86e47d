"""Issue 9, item 7: security events (sign-ins and lock-outs, password changes and resets,
and what the office does to accounts) go to the append-only audit store with the acting
account, the target account and the outcome, never a password, a code or a typed name.
Admins read them newest first and paged at GET /api/admin/security-events."""

import base64

from conftest import CARDIOLOGY, assert_problem, describe, new_password, new_username

PATH = "/api/admin/security-events"


def recent(portal, pages: int = 8, limit: int = 100) -> list[dict]:
    """The newest security events, newest first (the suite shares one store)."""
    out, cursor = [], None
    for _ in range(pages):
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        r = portal.get(PATH + query, token=portal.admin_token())
        assert r.status_code == 200, describe(r)
        assert r.headers["cache-control"] == "no-store"
        body = r.json()
        out.extend(body["items"])
        cursor = body["cursor"]
        if cursor is None:
            break
    return out


def about(events: list[dict], username: str) -> list[tuple]:
    """(event, outcome, actor) of the events whose target is `username`, oldest first."""
    return [(e["event"], e["outcome"], e["actor"]) for e in reversed(events) if e["target"] == username]


def test_sign_ins_and_lock_outs_are_recorded_with_their_outcome(portal):
    family = portal.make_family()
    assert portal.login(family.username, "not the password at all").status_code == 401
    portal.sign_in(family.username, family.password)
    for _ in range(5):
        assert portal.login(family.username, "still not the password").status_code == 401
    assert portal.login(family.username, family.password).status_code == 401  # locked out
    unknown = new_username("nobody")
    assert portal.login(unknown, "whatever password 123").status_code == 401

    events = recent(portal)
    assert about(events, family.username) == [
        ("account.create", "allowed", "admin"),
        ("signin.first", "allowed", family.username),
        ("signin", "denied", None),
        ("signin", "allowed", family.username),
        *[("signin", "denied", None)] * 5,
        ("signin.locked", "denied", None),
    ]
    # An unknown name's failure is recorded, with no target, and nothing typed in it.
    text = str(events)
    assert unknown.lower() not in text.lower()
    assert "not the password" not in text and family.password not in text
    assert any(e["event"] == "signin" and e["outcome"] == "denied" and e["target"] is None for e in events)
    for e in events[:20]:
        assert set(e) == {"at", "event", "outcome", "actor", "target", "request_id"}, e


def test_two_step_sign_ins_and_resets_are_recorded(portal):
    """Issue 15: a staff member's first sign-in sets up two-step sign-in (on, then signed in),
    a wrong code is a denied sign-in, and an admin's reset is the admin's."""
    staff = portal.make_staff()
    r = portal.login(staff.username, staff.password)
    assert r.json()["challenge"] == "SOFTWARE_TOKEN_MFA", describe(r)
    wrong = "000000" if portal.next_code(staff.username) != "000000" else "111111"
    assert_problem(portal.post("/api/auth/mfa", json={"session": r.json()["session"], "code": wrong}), 401)
    admin = portal.make_staff(role="admin", clinics=())
    assert portal.post(portal.account_path(staff.username, "mfa-reset"), token=admin.auth).status_code == 204
    assert about(recent(portal), staff.username) == [
        ("account.create", "allowed", "admin"),
        ("signin.first", "allowed", staff.username),
        ("twostep.on", "allowed", staff.username),
        ("signin", "allowed", staff.username),
        ("signin", "denied", None),
        ("twostep.reset", "allowed", admin.username),
    ]


def test_password_changes_and_office_actions_are_recorded(portal):
    admin = portal.make_staff(role="admin", clinics=())
    family = portal.make_family(admin.auth)
    old = family.password
    new = new_password()
    r = portal.post("/api/account/password", token=family.auth, json={"current_password": "wrong " + old, "new_password": new})
    assert r.status_code == 400, describe(r)
    r = portal.post("/api/account/password", token=family.auth, json={"current_password": old, "new_password": new})
    assert r.status_code == 204, describe(r)
    assert portal.post(portal.account_path(family.username, "resend-credentials"), token=admin.auth).status_code == 202
    assert portal.post(portal.account_path(family.username, "disable"), token=admin.auth).status_code == 204
    assert portal.post(portal.account_path(family.username, "enable"), token=admin.auth).status_code == 204
    renamed = new_username("renamed")
    r = portal.put(portal.account_path(family.username, "username"), token=admin.auth, json={"new_username": renamed})
    assert r.status_code == 200, describe(r)
    # Refused: an admin disabling itself.
    assert_problem(portal.post(portal.account_path(admin.username, "disable"), token=admin.auth), 403)

    events = recent(portal)
    # Usernames are shown as they are now.
    assert about(events, renamed) == [
        ("account.create", "allowed", admin.username),
        ("signin.first", "allowed", renamed),
        ("password.change", "denied", renamed),
        ("password.change", "allowed", renamed),
        ("credentials.resend", "allowed", admin.username),
        ("account.disable", "allowed", admin.username),
        ("account.enable", "allowed", admin.username),
        ("account.rename", "allowed", admin.username),
    ]
    assert ("account.disable", "denied", admin.username) in about(events, admin.username)


def test_only_admins_read_security_events_and_cursors_are_checked(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    family = portal.make_family()
    for token in (staff.auth, family.auth):
        assert_problem(portal.get(PATH, token=token), 403)
    assert_problem(portal.get(PATH), 401)
    admin = portal.admin_token()
    for bad in ("zzzz", base64.urlsafe_b64encode(b"NAME#a").decode().rstrip("=")):
        assert_problem(portal.get(f"{PATH}?cursor={bad}", token=admin), 400, "cursor")
    assert_problem(portal.get(f"{PATH}?limit=0", token=admin), 400, "limit")
    # Pages follow one another without overlap, newest first.
    first = portal.get(f"{PATH}?limit=3", token=admin).json()
    second = portal.get(f"{PATH}?limit=3&cursor={first['cursor']}", token=admin).json()
    ats = [e["at"] for e in first["items"] + second["items"]]
    assert ats == sorted(ats, reverse=True) and len(set(ats)) == 6
