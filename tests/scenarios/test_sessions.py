"""Issue 9, item 8: the session cookie ends with the browser (`__Host-`, no Max-Age), its
token rotates on every refresh (a used one presented again ends every session of the
account), and the server refuses a refresh after the idle limit without activity."""

import time

import pytest

from conftest import AWS_IDLE, IDLE, IDLE_SECONDS, assert_problem, assert_refresh_cookie_attrs, describe, refresh_cookie


def refresh(portal, cookie: str):
    return portal.post("/api/auth/refresh", cookie=cookie)


def rotated(portal, cookie: str) -> str:
    """A refresh that must succeed: the next cookie's value."""
    r = refresh(portal, cookie)
    assert r.status_code == 200, describe(r)
    nxt = refresh_cookie(r)
    assert nxt is not None, "the refresh does not rotate the session cookie"
    assert_refresh_cookie_attrs(nxt)
    assert nxt["value"] != cookie
    return nxt["value"]


def test_each_refresh_rotates_the_cookie_and_a_replayed_one_ends_every_session(portal):
    family = portal.make_family()
    _, elsewhere = portal.sign_in(family.username, family.password)
    second = rotated(portal, family.refresh)
    third = rotated(portal, second)
    # The first cookie, used up, comes back: a copy is in use. Every session ends.
    r = refresh(portal, family.refresh)
    assert_problem(r, 401)
    for cookie in (third, elsewhere):
        assert_problem(refresh(portal, cookie), 401)
    # Signing in again works.
    _, fresh = portal.sign_in(family.username, family.password)
    rotated(portal, fresh)


@pytest.fixture(params=[IDLE, AWS_IDLE])
def idle_portal(request, servers):
    """A portal whose sessions end after IDLE_SECONDS, with a token to create families there
    (the AWS one shares the aws portal's store, so the aws portal's admin creates them)."""
    portal = servers.get(request.param)
    creator = portal if request.param == IDLE else servers.get("aws")
    return portal, creator


def test_the_server_refuses_a_refresh_after_the_idle_limit(idle_portal):
    portal, creator = idle_portal
    family = creator.make_family()
    _, cookie = portal.sign_in(family.username, family.password)
    # Active: a refresh well within the limit, several times, beyond the limit in all.
    started = time.monotonic()
    while time.monotonic() - started < IDLE_SECONDS + 2:
        cookie = rotated(portal, cookie)
        time.sleep(IDLE_SECONDS / 4)
    # Idle for longer than the limit: over, and the cookie is cleared.
    time.sleep(IDLE_SECONDS + 1)
    r = refresh(portal, cookie)
    assert_problem(r, 401)
    cleared = refresh_cookie(r)
    assert cleared is not None and cleared["attrs"].get("max-age") == "0", "the idle session's cookie is not cleared"
