"""Flow 5: signed in, "My Account" > "reset password": change the password, the current one
required."""

import re

from conftest import assert_4xx_problem, assert_problem, describe, new_password


def change(portal, account, current, new):
    return portal.post("/api/account/password", token=account.auth,
                       json={"current_password": current, "new_password": new})


def test_change_password_with_the_current_one(portal):
    family = portal.make_family()
    password = new_password()
    r = change(portal, family, family.password, password)
    assert r.status_code == 204, describe(r)
    assert_problem(portal.login(family.username, family.password), 401)
    portal.sign_in(family.username, password)


def test_staff_change_their_password_too(portal):
    staff = portal.make_staff()
    password = new_password()
    assert change(portal, staff, staff.password, password).status_code == 204
    portal.sign_in(staff.username, password)


def test_a_wrong_current_password_changes_nothing(portal):
    family = portal.make_family()
    password = new_password()
    assert_4xx_problem(change(portal, family, new_password(), password))
    portal.sign_in(family.username, family.password)
    assert_problem(portal.login(family.username, password), 401)


def test_a_weak_or_short_new_password_is_refused_and_says_why(portal):
    family = portal.make_family()
    for weak in ("password1234", "aaaaaaaaaaaa"):
        problem = assert_problem(change(portal, family, family.password, weak), 400, "new_password")
        assert re.search(r"guess|common|weak|easy|predictable|strong", problem["detail"], re.I), problem["detail"]
    problem = assert_problem(change(portal, family, family.password, "Xk9#vTq2!mZ"), 400, "new_password")
    assert "12" in problem["detail"], problem["detail"]
    assert_problem(change(portal, family, family.password, "x" * 257), 400, "new_password")
    portal.sign_in(family.username, family.password)



def test_guessing_the_current_password_locks_like_sign_in(portal):
    """Wrong current passwords count with failed sign-ins: after 5, even the right one is
    refused (and so is signing in), so a left-open session cannot be used to guess."""
    family = portal.make_family()
    for _ in range(5):
        assert_problem(change(portal, family, new_password(), new_password()), 400, "current_password")
    assert_problem(change(portal, family, family.password, new_password()), 400, "current_password")
    assert_problem(portal.login(family.username, family.password), 401)


def test_changing_the_password_ends_every_session(portal):
    """Issue 9: "reset password" on My Account signs the account out everywhere: the refresh
    cookies of every earlier sign-in stop working (a new sign-in's works)."""
    family = portal.make_family()
    _, first = portal.sign_in(family.username, family.password)
    family.access_token, second = portal.sign_in(family.username, family.password)
    password = new_password()
    r = change(portal, family, family.password, password)
    assert r.status_code == 204, describe(r)
    for cookie in (first, second, family.refresh):
        assert_problem(portal.post("/api/auth/refresh", cookie=cookie), 401)
    _, fresh = portal.sign_in(family.username, password)
    r = portal.post("/api/auth/refresh", cookie=fresh)
    assert r.status_code == 200, describe(r)
