"""Sign-in failures that all look alike, the lock-out, flow 9 (refresh and sign out with the
refresh token only in an HttpOnly Secure SameSite=Strict cookie), and the token checks of every
signed-in route."""

from conftest import (
    CARDIOLOGY, assert_problem, assert_refresh_cookie_attrs, describe, forge_claims, new_email,
    new_password, new_patient_body, new_username, refresh_cookie, tamper_signature, unsigned_token,
)


def test_wrong_password_and_unknown_username_get_the_same_401(portal):
    family = portal.make_family()
    wrong = portal.login(family.username, new_password())
    assert_problem(wrong, 401)
    unknown = portal.login(new_username("nobody"), new_password())
    assert_problem(unknown, 401)
    assert unknown.content == wrong.content
    assert "set-cookie" not in {k.lower() for k in wrong.headers}
    # The right password still works after one failure.
    portal.sign_in(family.username, family.password)


def test_five_failed_sign_ins_refuse_even_the_right_password_like_a_wrong_one(portal):
    family = portal.make_family()
    wrong = [portal.login(family.username, new_password()) for _ in range(5)]
    for r in wrong:
        assert_problem(r, 401)
        assert r.content == wrong[0].content
    locked = portal.login(family.username, family.password)
    assert_problem(locked, 401)
    assert locked.content == wrong[0].content
    assert refresh_cookie(locked) is None


def test_sign_in_sets_the_refresh_cookie_only(portal):
    family = portal.make_family()
    r = portal.login(family.username, family.password)
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert {"access_token", "expires_in"} <= set(body), sorted(body)
    assert not {"refresh_token", "id_token"} & set(body), f"tokens in the body besides the access token: {sorted(body)}"
    cookie = refresh_cookie(r)
    assert cookie is not None
    assert_refresh_cookie_attrs(cookie)
    assert cookie["value"] not in r.text


def test_refresh_with_the_cookie_gives_a_working_access_token(portal):
    family = portal.make_family()
    r = portal.post("/api/auth/refresh", cookie=family.refresh)
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    assert isinstance(body["expires_in"], int) and 0 < body["expires_in"] <= 3600
    assert "refresh_token" not in body and family.refresh not in r.text
    cookie = refresh_cookie(r)
    assert cookie is not None, "the refresh does not rotate the session cookie"
    assert_refresh_cookie_attrs(cookie)
    assert cookie["value"] != family.refresh
    me = portal.get("/api/account", token=body["access_token"])
    assert me.status_code == 200, describe(me)
    assert me.json()["username"].lower() == family.username


def test_refresh_without_or_with_a_bad_cookie_is_refused(portal):
    family = portal.make_family()
    assert_problem(portal.post("/api/auth/refresh"), 401)
    assert_problem(portal.post("/api/auth/refresh", cookie="not-a-refresh-token"), 401)
    # The access token is no refresh token.
    assert_problem(portal.post("/api/auth/refresh", cookie=family.access_token), 401)
    assert_problem(portal.post("/api/auth/refresh", token=family.access_token), 401)


def test_logout_clears_the_cookie_and_revokes_the_refresh_token(portal):
    family = portal.make_family()
    r = portal.post("/api/auth/logout", token=family.access_token, cookie=family.refresh)
    assert r.status_code == 204, describe(r)
    cleared = refresh_cookie(r)
    assert cleared is not None, "logout does not clear the refresh cookie"
    assert cleared["attrs"].get("max-age") == "0", cleared["raw"]
    assert cleared["attrs"].get("path") == "/"
    assert_problem(portal.post("/api/auth/refresh", cookie=family.refresh), 401)
    # Signing in again works and gives a new refresh token.
    _, fresh = portal.sign_in(family.username, family.password)
    assert fresh != family.refresh
    assert portal.post("/api/auth/refresh", cookie=fresh).status_code == 200


def test_logout_needs_a_token(portal):
    family = portal.make_family()
    assert_problem(portal.post("/api/auth/logout", cookie=family.refresh), 401)
    # The failed logout revoked nothing.
    assert portal.post("/api/auth/refresh", cookie=family.refresh).status_code == 200


def signed_in_routes(portal, target: str, patient_id: str):
    """(method, path, body) of every signed-in route; the admin ones aimed at `target`."""
    return [
        ("GET", "/api/account", None),
        ("POST", "/api/account/password", {"current_password": new_password(), "new_password": new_password()}),
        ("POST", "/api/auth/logout", None),
        ("POST", "/api/admin/staff", {"username": new_username("staff"), "email": new_email("staff"),
                                      "given_name": "Sam", "family_name": "Office",
                                      "role": "admin", "clinics": []}),
        ("POST", "/api/admin/patients", new_patient_body(CARDIOLOGY)),
        ("POST", "/api/admin/accounts", {"username": new_username("fam"), "email": new_email("fam"),
                                         "patient_id": patient_id, "relationship": "parent"}),
        ("POST", portal.account_path(target, "resend-credentials"), None),
        ("PUT", portal.account_path(target, "username"), {"new_username": new_username("fam")}),
        ("POST", portal.account_path(target, "disable"), None),
        ("POST", portal.account_path(target, "enable"), None),
    ]


def test_signed_in_routes_refuse_missing_garbage_and_altered_tokens(portal):
    family = portal.make_family()
    admin = portal.admin_token()
    bad_tokens = {
        "no token": None,
        "garbage token": "garbage",
        "three garbage parts": "abc.def.ghi",
        "admin token with an altered signature": tamper_signature(admin),
        "family token claiming the admin group": forge_claims(family.auth, **{"cognito:groups": ["admin"]}),
        "family token claiming another subject": forge_claims(family.auth, sub="00000000-0000-4000-8000-000000000000"),
        "admin token with alg none": unsigned_token(admin),
    }
    for method, path, body in signed_in_routes(portal, family.username, family.patient["id"]):
        for what, token in bad_tokens.items():
            r = portal.request(method, path, token=token, json=body)
            assert r.status_code == 401, f"{what}: {describe(r)}"
            assert_problem(r, 401)
    # Nothing happened to the family: same username, same password, not disabled.
    portal.sign_in(family.username, family.password)
    assert portal.post("/api/auth/refresh", cookie=family.refresh).status_code == 200


def test_a_malformed_authorization_header_is_refused(portal):
    admin = portal.admin_token()
    for header in (f"Basic {admin}", "Bearer", "Bearer ", f"Token {admin}"):
        r = portal.get("/api/account", headers={"Authorization": header})
        assert_problem(r, 401)


def test_families_may_not_use_admin_routes(portal):
    family = portal.make_family()
    other = portal.make_family(sign_in=False)
    for target in (family.username, other.username):
        for method, path, body in signed_in_routes(portal, target, family.patient["id"]):
            if not path.startswith("/api/admin/"):
                continue
            r = portal.request(method, path, token=family.auth, json=body)
            assert r.status_code == 403, describe(r)
            assert_problem(r, 403)
    # Nothing changed: both still sign in as before, the other's temporary password was
    # not replaced.
    portal.sign_in(family.username, family.password)
    portal.challenge(other.username, other.temp_password)
    assert len(portal.mails_to(other.email)) == 1

