"""Flow 4: forgot password by username, the reset link by email, one security question and a
new password; every answer the same whether the username exists or not."""

import re
import time

from conftest import (
    POLL_INTERVAL_S, assert_problem, comparable_headers, describe, new_password, new_username, reset_link_in,
)


def forgot(portal, username):
    return portal.post("/api/auth/forgot-password", json={"username": username})


def reset_question(portal, username, code):
    return portal.post("/api/auth/reset-question", json={"username": username, "code": code})


def reset_password(portal, username, code, question_id, answer, password):
    return portal.post("/api/auth/reset-password", json={
        "username": username, "code": code, "question_id": question_id,
        "answer": answer, "new_password": password,
    })


def shouted(answer: str) -> str:
    """The answer with its case changed and its spaces doubled and padded."""
    return "  " + "  ".join(w.upper() if i % 2 else w.capitalize() for i, w in enumerate(answer.split())) + "  "


def start_reset(portal, family):
    """forgot-password -> the mailed link -> the question asked: (code, question_id)."""
    before = len(portal.mails_to(family.email))
    r = forgot(portal, family.username)
    assert r.status_code == 202, describe(r)
    mail = portal.mail_to(family.email, after=before)
    user, code = reset_link_in(mail, portal.portal_url)
    assert user.lower() == family.username.lower()
    q = reset_question(portal, family.username, code)
    assert q.status_code == 200, describe(q)
    question = q.json()
    assert question["question_id"] in family.answers, "asked a question the user did not choose"
    texts = {x["id"]: x["text"] for x in portal.questions()}
    assert question["text"] == texts[question["question_id"]]
    return code, question["question_id"]


def test_forgot_password_answers_the_same_for_known_and_unknown_usernames(portal):
    family = portal.make_family()
    known = forgot(portal, family.username)
    unknown = forgot(portal, new_username("nobody"))
    assert known.status_code == 202, describe(known)
    assert unknown.status_code == 202, describe(unknown)
    assert known.content == unknown.content
    assert comparable_headers(known) == comparable_headers(unknown)
    # Only the real account got mail.
    portal.mail_to(family.email, after=1)


def test_reset_with_the_mailed_link_and_a_security_answer(portal):
    family = portal.make_family()
    code, qid = start_reset(portal, family)
    password = new_password()
    r = reset_password(portal, family.username, code, qid, shouted(family.answers[qid]), password)
    assert r.status_code == 204, describe(r)
    assert_problem(portal.login(family.username, family.password), 401)
    portal.sign_in(family.username, password)


def test_the_reset_email_holds_no_patient_data(portal):
    family = portal.make_family()
    assert forgot(portal, family.username).status_code == 202
    mail = portal.mail_to(family.email, after=1)
    text = (mail.subject + mail.text).lower()
    for value in (family.patient["given_name"], family.patient["family_name"],
                  family.patient["birth_date"], family.patient["mrn"]):
        assert value.lower() not in text, "the reset email holds patient data"


def test_reset_question_is_plausible_for_unknown_usernames_and_wrong_codes(portal):
    family = portal.make_family()
    known_ids = {q["id"]: q["text"] for q in portal.questions()}
    for username, code in ((new_username("nobody"), "123456"), (family.username, "000000"),
                           (family.username, "not-the-code")):
        r = reset_question(portal, username, code)
        assert r.status_code == 200, describe(r)
        q = r.json()
        assert set(q) >= {"question_id", "text"}
        assert known_ids.get(q["question_id"]) == q["text"], "not a question of the list"


def test_a_wrong_answer_is_refused_alike_for_known_and_unknown_usernames(portal):
    family = portal.make_family()
    code, qid = start_reset(portal, family)
    password = new_password()
    wrong = reset_password(portal, family.username, code, qid, "not my answer", password)
    assert_problem(wrong, 400)
    nobody = new_username("nobody")
    other_qid = reset_question(portal, nobody, code).json()["question_id"]
    unknown = reset_password(portal, nobody, code, other_qid, "not my answer", password)
    assert_problem(unknown, 400)
    assert unknown.content == wrong.content
    # Nothing changed; the right answer still works with the same code.
    portal.sign_in(family.username, family.password)
    r = reset_password(portal, family.username, code, qid, family.answers[qid], password)
    assert r.status_code == 204, describe(r)
    portal.sign_in(family.username, password)


def test_reset_refuses_a_weak_new_password_and_says_why(portal):
    family = portal.make_family()
    code, qid = start_reset(portal, family)
    problem = assert_problem(reset_password(portal, family.username, code, qid, family.answers[qid],
                                            "password1234"), 400, "new_password")
    assert re.search(r"guess|common|weak|easy|predictable|strong", problem["detail"], re.I), problem["detail"]
    portal.sign_in(family.username, family.password)
    password = new_password()
    r = reset_password(portal, family.username, code, qid, family.answers[qid], password)
    assert r.status_code == 204, describe(r)
    portal.sign_in(family.username, password)


def test_a_newer_reset_link_works_and_voids_the_older_one(portal):
    family = portal.make_family()
    old, _ = start_reset(portal, family)
    code, qid = start_reset(portal, family)
    password = new_password()
    if old != code:  # one chance in a million that the new code is the old one
        q = reset_question(portal, family.username, old).json()["question_id"]
        assert_problem(reset_password(portal, family.username, old, q, family.answers[q], password), 400)
    r = reset_password(portal, family.username, code, qid, family.answers[qid], password)
    assert r.status_code == 204, describe(r)
    portal.sign_in(family.username, password)


def test_a_reset_code_works_once(portal):
    family = portal.make_family()
    code, qid = start_reset(portal, family)
    first, second = new_password(), new_password()
    assert reset_password(portal, family.username, code, qid, family.answers[qid], first).status_code == 204
    assert_problem(reset_password(portal, family.username, code, qid, family.answers[qid], second), 400)
    portal.sign_in(family.username, first)


# ---------------------------------------------------------------- issue 9: sessions, guessing, throttling


def refresh(portal, cookie):
    return portal.post("/api/auth/refresh", cookie=cookie)


def other_codes(code: str, n: int) -> list[str]:
    """`n` different wrong codes: the real one with its last digit changed."""
    return [code[:-1] + c for c in "0123456789" if c != code[-1]][:n]


def test_a_reset_ends_the_sessions_signed_in_before(portal):
    family = portal.make_family()
    _, other = portal.sign_in(family.username, family.password)
    code, qid = start_reset(portal, family)
    password = new_password()
    r = reset_password(portal, family.username, code, qid, family.answers[qid], password)
    assert r.status_code == 204, describe(r)
    for cookie in (family.refresh, other):
        assert_problem(refresh(portal, cookie), 401)
    _, fresh = portal.sign_in(family.username, password)
    assert refresh(portal, fresh).status_code == 200


def test_five_wrong_answers_lock_the_reset_and_a_new_code_does_not_lift_it(portal):
    family = portal.make_family()
    code, qid = start_reset(portal, family)
    password = new_password()
    wrong = [reset_password(portal, family.username, code, qid, f"wrong answer {i}", password) for i in range(5)]
    for r in wrong:
        assert_problem(r, 400)
        assert r.content == wrong[0].content
    # Locked: the right answer fails with the same code, and with a new one.
    assert reset_password(portal, family.username, code, qid, family.answers[qid], password).content == wrong[0].content
    new_code, new_qid = start_reset(portal, family)
    assert new_code != code
    right = reset_password(portal, family.username, new_code, new_qid, family.answers[new_qid], password)
    assert_problem(right, 400)
    assert right.content == wrong[0].content
    portal.sign_in(family.username, family.password)
    assert_problem(portal.login(family.username, password), 401)


def test_wrong_codes_count_toward_the_lock_of_the_account(portal):
    """Failures are counted per account, not per code the guesser picks: five wrong codes (each
    with the right answer to the question it was given) lock out the right code too."""
    family = portal.make_family()
    code, _ = start_reset(portal, family)
    password = new_password()
    wrong = []
    for guess in other_codes(code, 5):
        q = reset_question(portal, family.username, guess)
        assert q.status_code == 200, describe(q)
        asked = q.json()["question_id"]
        answer = family.answers.get(asked, "not my answer")
        wrong.append(reset_password(portal, family.username, guess, asked, answer, password))
    assert len(wrong) == 5
    for r in wrong:
        assert_problem(r, 400)
        assert r.content == wrong[0].content
    q = reset_question(portal, family.username, code)
    assert q.status_code == 200, describe(q)
    qid = q.json()["question_id"]
    right = reset_password(portal, family.username, code, qid, family.answers[qid], password)
    assert_problem(right, 400)
    assert right.content == wrong[0].content
    portal.sign_in(family.username, family.password)
    assert_problem(portal.login(family.username, password), 401)


QUIET_S = 3


def test_forgot_password_sends_at_most_three_mails_per_username(portal):
    """Throttled per username, answering exactly as before: five requests in a row are five
    identical 202s, and three reset mails arrive (and no fourth within QUIET_S seconds)."""
    family = portal.make_family()
    before = len(portal.mails_to(family.email))
    answers = [forgot(portal, family.username) for _ in range(5)]
    for r in answers:
        assert r.status_code == 202, describe(r)
        assert r.content == answers[0].content
        assert comparable_headers(r) == comparable_headers(answers[0])
    portal.mail_to(family.email, after=before + 2)
    deadline = time.monotonic() + QUIET_S
    while True:
        mails = portal.mails_to(family.email)
        assert len(mails) == before + 3, f"{len(mails) - before} reset mails for 5 requests"
        if time.monotonic() > deadline:
            break
        time.sleep(POLL_INTERVAL_S)
    for mail in mails[:3]:
        user, _ = reset_link_in(mail, portal.portal_url)
        assert user.lower() == family.username.lower()


# ---------------------------------------------------------------- issue 9 item 14: no way around auth


def cognito(portal):
    import boto3

    return boto3.client(
        "cognito-idp", endpoint_url=portal.moto_url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )


def portal_pool(idp) -> tuple[str, str]:
    """(pool id, app client id) of the pool the local run provisioned at moto."""
    pool = next(p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "portal-local")
    client = next(c["ClientId"] for c in idp.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"])
    return pool, client


def test_the_identity_provider_mails_no_reset_code_past_the_portal(portal):
    """Cognito's ForgotPassword, called directly with the public client id, would mail a code
    past our per-username throttle and then accept it without the security question. The
    pool allows no self-service recovery: only the portal issues codes. The embedded
    provider has no public interface at all; there, the local run answers a Cognito-shaped
    call as any unknown path."""
    family = portal.make_family()
    before = len(portal.mails_to(family.email))
    if portal.moto_url is None:
        r = portal.post("/", json={"ClientId": "portal-local", "Username": family.username},
                        headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.ForgotPassword"})
        assert r.status_code in (404, 405), describe(r)
    else:
        from botocore.exceptions import ClientError

        idp = cognito(portal)
        pool, client = portal_pool(idp)
        users = idp.list_users(UserPoolId=pool, Filter=f'preferred_username = "{family.username}"')["Users"]
        assert len(users) == 1, users
        try:
            idp.forgot_password(ClientId=client, Username=users[0]["Username"])
            raise AssertionError("Cognito's ForgotPassword answered for the portal's app client")
        except ClientError as e:
            assert e.response["Error"]["Code"] == "NotAuthorizedException", e.response
        assert idp.describe_user_pool(UserPoolId=pool)["UserPool"]["AccountRecoverySetting"]["RecoveryMechanisms"] == [
            {"Name": "admin_only", "Priority": 1}
        ]
        flows = set(idp.describe_user_pool_client(UserPoolId=pool, ClientId=client)["UserPoolClient"]["ExplicitAuthFlows"])
        assert flows == {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}, flows
    time.sleep(QUIET_S)
    assert len(portal.mails_to(family.email)) == before, "a reset mail went out"
    # The portal's own way still works.
    code, qid = start_reset(portal, family)
    password = new_password()
    assert reset_password(portal, family.username, code, qid, family.answers[qid], password).status_code == 204
    portal.sign_in(family.username, password)
