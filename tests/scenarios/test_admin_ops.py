"""Flow 7: office staff resend login information (a fresh temporary password; the old one
stops working) and disable and enable an account (a disabled account is refused exactly like a
wrong password, and its sessions end)."""

from conftest import (
    CARDIOLOGY, ENDOCRINE, assert_problem, check_credential_email, describe, new_password,
    new_patient_body, new_username,
)


def resend(portal, token, username):
    return portal.post(portal.account_path(username, "resend-credentials"), token=token)


def disable(portal, token, username):
    return portal.post(portal.account_path(username, "disable"), token=token)


def enable(portal, token, username):
    return portal.post(portal.account_path(username, "enable"), token=token)


def test_staff_resend_login_information(portal):
    staff = portal.make_staff()
    family = portal.make_family(staff.auth, sign_in=False)
    r = resend(portal, staff.auth, family.username)
    assert r.status_code == 202, describe(r)
    mail = portal.mail_to(family.email, after=1)
    temp = check_credential_email(portal, mail, family.username, family.patient)
    assert temp != family.temp_password
    assert temp not in r.text

    old = portal.login(family.username, family.temp_password)
    assert_problem(old, 401)
    assert old.content == portal.login(new_username("nobody"), new_password()).content
    family.temp_password = temp
    portal.first_login(family)
    assert portal.get("/api/account", token=family.auth).status_code == 200


def test_admin_resend_login_information(portal):
    family = portal.make_family(sign_in=False)
    assert resend(portal, portal.admin_token(), family.username).status_code == 202
    _, _, temp = portal.credential_mail(family.email, after=1)
    assert temp != family.temp_password
    portal.challenge(family.username, temp)
    assert_problem(portal.login(family.username, family.temp_password), 401)


def test_disabled_accounts_are_refused_like_a_wrong_password_and_lose_their_sessions(portal):
    staff = portal.make_staff()
    family = portal.make_family(staff.auth)
    wrong = portal.login(family.username, new_password())
    assert_problem(wrong, 401)

    r = disable(portal, staff.auth, family.username)
    assert r.status_code == 204, describe(r)
    refused = portal.login(family.username, family.password)
    assert_problem(refused, 401)
    assert refused.content == wrong.content
    assert_problem(portal.post("/api/auth/refresh", cookie=family.refresh), 401)
    # The access token issued before the disable no longer reads the account.
    assert_problem(portal.get("/api/account", token=family.auth), 401)

    r = enable(portal, staff.auth, family.username)
    assert r.status_code == 204, describe(r)
    token, refresh = portal.sign_in(family.username, family.password)
    assert portal.get("/api/account", token=token).status_code == 200
    assert portal.post("/api/auth/refresh", cookie=refresh).status_code == 200


def test_admin_disables_and_enables_staff(portal):
    staff = portal.make_staff()
    admin = portal.admin_token()
    assert disable(portal, admin, staff.username).status_code == 204
    assert_problem(portal.login(staff.username, staff.password), 401)
    assert_problem(portal.post("/api/auth/refresh", cookie=staff.refresh), 401)
    # A disabled member of staff's still-unexpired token may no longer act for the office:
    # like every token of a disabled account, it is refused as not signed in.
    assert_problem(portal.create_patient(staff.auth, new_patient_body()), 401)
    assert enable(portal, admin, staff.username).status_code == 204
    portal.sign_in(staff.username, staff.password)


def test_disable_and_enable_are_repeatable(portal):
    family = portal.make_family()
    admin = portal.admin_token()
    for _ in range(2):
        assert disable(portal, admin, family.username).status_code == 204
    assert_problem(portal.login(family.username, family.password), 401)
    for _ in range(2):
        assert enable(portal, admin, family.username).status_code == 204
    portal.sign_in(family.username, family.password)


def test_unknown_accounts_are_404(portal):
    admin = portal.admin_token()
    nobody = new_username("nobody")
    for call in (resend, disable, enable):
        assert_problem(call(portal, admin, nobody), 404)


def test_usernames_in_admin_paths_are_case_insensitive(portal):
    family = portal.make_family()
    admin = portal.admin_token()
    assert disable(portal, admin, family.username.upper()).status_code == 204
    assert_problem(portal.login(family.username, family.password), 401)
    assert enable(portal, admin, family.username.upper()).status_code == 204
    portal.sign_in(family.username, family.password)


def test_staff_manage_only_families_of_their_clinics(portal):
    """Staff act on an account only when one of its patients is in one of their clinics, and
    never on staff or admin accounts; refused calls are the 404 of an unknown username and
    change nothing."""
    cardiology = portal.make_staff(clinics=[CARDIOLOGY])
    endocrine = portal.make_staff(clinics=[ENDOCRINE])
    family = portal.make_family(cardiology.auth)
    nobody = new_username("nobody")
    for call in (resend, disable, enable):
        unknown = assert_problem(call(portal, endocrine.auth, nobody), 404)
        assert assert_problem(call(portal, endocrine.auth, family.username), 404) == unknown
    r = portal.put(portal.account_path(family.username, "username"), token=endocrine.auth,
                   json={"new_username": new_username("fam")})
    assert_problem(r, 404)
    assert_problem(disable(portal, cardiology.auth, endocrine.username), 404)
    # Nothing changed: the family and the other staff member still sign in as before.
    portal.sign_in(family.username, family.password)
    portal.sign_in(endocrine.username, endocrine.password)


def test_resending_login_information_ends_the_familys_sessions(portal):
    """Issue 9: a resend replaces the password, so a session signed in before it ends (another
    family's session is untouched)."""
    staff = portal.make_staff()
    family = portal.make_family(staff.auth)
    other = portal.make_family(staff.auth)
    assert resend(portal, staff.auth, family.username).status_code == 202
    portal.credential_mail(family.email, after=1)
    assert_problem(portal.post("/api/auth/refresh", cookie=family.refresh), 401)
    r = portal.post("/api/auth/refresh", cookie=other.refresh)
    assert r.status_code == 200, describe(r)


def test_an_admin_may_neither_disable_nor_rename_itself(portal):
    """Issue 9: the last admin must not lock the hospital out. An admin's own disable and rename
    are 403 and change nothing; another admin may still disable (and enable) an admin."""
    admin = portal.make_staff(role="admin")
    second = portal.make_staff(role="admin")
    assert_problem(disable(portal, admin.auth, admin.username), 403)
    assert_problem(disable(portal, admin.auth, admin.username.upper()), 403)
    r = portal.put(portal.account_path(admin.username, "username"), token=admin.auth,
                   json={"new_username": new_username("renamed")})
    assert_problem(r, 403)
    # Still enabled, still under its name.
    token, _ = portal.sign_in(admin.username, admin.password)
    assert portal.get("/api/account", token=token).json()["username"] == admin.username
    found = portal.get(f"/api/admin/accounts/{admin.username}", token=portal.admin_token())
    assert found.status_code == 200, describe(found)
    assert (found.json()["username"], found.json()["enabled"]) == (admin.username, True)

    assert disable(portal, token, second.username).status_code == 204
    assert_problem(portal.login(second.username, second.password), 401)
    assert enable(portal, token, second.username).status_code == 204
    portal.sign_in(second.username, second.password)
