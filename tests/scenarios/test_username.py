"""Flow 6: office staff or admins change a username; usernames are unique and compared
case-insensitively everywhere, sign-in included."""

import uuid

from conftest import (
    assert_problem, describe, new_email, new_username, reset_link_in,
)


def rename(portal, token, username, new_username_):
    return portal.put(portal.account_path(username, "username"), token=token,
                      json={"new_username": new_username_})


def test_staff_change_a_username_and_only_the_new_one_signs_in(portal):
    staff = portal.make_staff()
    family = portal.make_family(staff.auth)
    new = new_username("renamed")
    r = rename(portal, staff.auth, family.username, new)
    assert r.status_code == 200, describe(r)
    assert r.json()["username"] == new

    unknown = portal.login(new_username("nobody"), family.password)
    old = portal.login(family.username, family.password)
    assert_problem(old, 401)
    assert old.content == unknown.content
    token, _ = portal.sign_in(new, family.password)
    me = portal.get("/api/account", token=token).json()
    assert me["username"] == new
    assert me["email"] == family.email
    assert [p["id"] for p in me["patients"]] == [family.patient["id"]]


def test_forgot_password_follows_the_new_username(portal):
    family = portal.make_family()
    new = new_username("renamed")
    assert rename(portal, portal.admin_token(), family.username, new).status_code == 200
    # The old name gets no mail, the new one does. The second request orders the outbox:
    # once its mail is there, a mail for the first would be too.
    assert portal.post("/api/auth/forgot-password", json={"username": family.username}).status_code == 202
    assert portal.post("/api/auth/forgot-password", json={"username": new}).status_code == 202
    mail = portal.mail_to(family.email, after=1)
    assert len(portal.mails_to(family.email)) == 2, "a reset mail went out for the old username"
    user, _ = reset_link_in(mail, portal.portal_url)
    assert user.lower() == new


def test_admin_change_a_username(portal):
    family = portal.make_family()
    new = new_username("renamed")
    r = rename(portal, portal.admin_token(), family.username, new)
    assert r.status_code == 200, describe(r)
    assert r.json()["username"] == new
    portal.sign_in(new, family.password)
    assert_problem(portal.login(family.username, family.password), 401)


def test_a_taken_username_in_any_case_conflicts(portal):
    a = portal.make_family()
    b = portal.make_family(sign_in=False)
    staff = portal.make_staff(sign_in=False)
    admin = portal.admin_token()
    for taken in (b.username, b.username.upper(), b.username.capitalize(), staff.username.upper(), "ADMIN"):
        assert_problem(rename(portal, admin, a.username, taken), 409)
    # Nothing changed.
    portal.sign_in(a.username, a.password)
    portal.challenge(b.username, b.temp_password)


def test_families_may_not_change_usernames(portal):
    family = portal.make_family()
    r = rename(portal, family.auth, family.username, new_username("renamed"))
    assert_problem(r, 403)
    portal.sign_in(family.username, family.password)


def test_renaming_an_unknown_account_is_404_and_a_bad_new_name_is_400(portal):
    admin = portal.admin_token()
    assert_problem(rename(portal, admin, new_username("nobody"), new_username("renamed")), 404)
    family = portal.make_family(sign_in=False)
    for bad in ("a" * 65, "has space", "ab", "-leading-dash", "", "ümlaut-name"):
        assert_problem(rename(portal, admin, family.username, bad), 400, "new_username")
    portal.challenge(family.username, family.temp_password)


def test_usernames_are_case_insensitive_at_sign_in(portal):
    base = f"jsmith-{uuid.uuid4().hex[:10]}"
    family = portal.make_family(username=base, sign_in=False)
    mixed = "JSmith-" + base.split("-", 1)[1]
    # First login under another spelling.
    portal.first_login(family, login_name=mixed)
    for spelling in (base, mixed, base.upper()):
        portal.sign_in(spelling, family.password)


def test_a_username_differing_only_in_case_cannot_be_created(portal):
    base = f"jsmith-{uuid.uuid4().hex[:10]}"
    family = portal.make_family(username=base, sign_in=False)
    admin = portal.admin_token()
    r = portal.create_account(admin, base.upper(), new_email("fam"), family.patient["id"])
    assert_problem(r, 409)
    assert_problem(portal.create_staff("JSmith-" + base.split("-", 1)[1], new_email("staff")), 409)
    # The original account is untouched.
    portal.challenge(base, family.temp_password)
    assert len(portal.mails_to(family.email)) == 1
