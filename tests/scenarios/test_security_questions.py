"""Flow 3 of issue 4: security questions under My Account. The account holder sees which three
questions are set (never the answers) and changes them with the current password; forgot
password then asks one of the new questions and takes its new answer."""

import random

from conftest import assert_no_store, assert_problem, describe, new_answer, new_password
from test_forgot_password import reset_password, start_reset

PATH = "/api/account/security-questions"


def change(portal, token, answers: dict, current_password: str):
    return portal.put(PATH, token=token, json={
        "security_questions": [{"question_id": q, "answer": a} for q, a in answers.items()],
        "current_password": current_password,
    })


def shown(portal, account) -> list[dict]:
    r = portal.get(PATH, token=account.auth)
    assert r.status_code == 200, describe(r)
    assert_no_store(r)
    return r.json()


def assert_shows(portal, account, r=None):
    """GET lists exactly the account's three questions with their texts, and no answer."""
    r = r or portal.get(PATH, token=account.auth)
    assert r.status_code == 200, describe(r)
    items = r.json()
    texts = {q["id"]: q["text"] for q in portal.questions()}
    assert len(items) == 3, items
    for item in items:
        assert set(item) == {"question_id", "text"}, item
        assert item["text"] == texts[item["question_id"]]
    assert {i["question_id"] for i in items} == set(account.answers)
    for answer in account.answers.values():
        assert answer.lower() not in r.text.lower(), "an answer is shown"


def other_questions(portal, answers: dict) -> dict:
    """Three questions none of which is among `answers`, with new answers."""
    fresh = [q for q in portal.question_ids() if q not in answers]
    return {q: new_answer() for q in random.sample(fresh, 3)}


def test_my_account_shows_the_three_questions_never_the_answers(portal):
    family = portal.make_family()
    r = portal.get(PATH, token=family.auth)
    assert_no_store(r)
    assert_shows(portal, family, r)
    staff = portal.make_staff()
    assert_shows(portal, staff)
    assert_problem(portal.get(PATH), 401)


def test_a_wrong_current_password_is_400_and_changes_nothing(portal):
    family = portal.make_family()
    problem = assert_problem(change(portal, family.auth, other_questions(portal, family.answers), new_password()),
                             400, "current_password")
    assert problem.get("field") == "current_password", problem
    assert_shows(portal, family)


def test_new_questions_are_asked_when_the_password_is_forgotten(portal):
    family = portal.make_family()
    old = dict(family.answers)
    new = other_questions(portal, old)
    r = change(portal, family.auth, new, family.password)
    assert r.status_code == 204, describe(r)
    family.answers = new
    assert_shows(portal, family)
    # The password did not change.
    portal.sign_in(family.username, family.password)

    code, qid = start_reset(portal, family)  # checks the question is one of family.answers
    assert qid in new and qid not in old
    password = new_password()
    r = reset_password(portal, family.username, code, qid, new[qid], password)
    assert r.status_code == 204, describe(r)
    portal.sign_in(family.username, password)


def test_changing_some_keeps_the_others_working(portal):
    family = portal.make_family()
    kept = dict(list(family.answers.items())[:2])
    fresh = other_questions(portal, family.answers)
    new = {**kept, **dict(list(fresh.items())[:1])}
    r = change(portal, family.auth, new, family.password)
    assert r.status_code == 204, describe(r)
    family.answers = new
    assert_shows(portal, family)


def test_a_bad_set_is_refused_and_changes_nothing(portal):
    family = portal.make_family()
    qids = portal.question_ids()
    bad_sets = {
        "two questions": [(qids[0], new_answer()), (qids[1], new_answer())],
        "four questions": [(q, new_answer()) for q in qids[:4]],
        "a repeated question": [(qids[0], new_answer()), (qids[0], new_answer()), (qids[1], new_answer())],
        "an unknown question": [(qids[0], new_answer()), (qids[1], new_answer()), ("no-such-question", new_answer())],
        "an empty answer": [(qids[0], new_answer()), (qids[1], new_answer()), (qids[2], "  ")],
        "a 201-character answer": [(qids[0], new_answer()), (qids[1], new_answer()), (qids[2], "a" * 201)],
    }
    wrong = []
    for why, answers in bad_sets.items():
        r = portal.put(PATH, token=family.auth, json={
            "security_questions": [{"question_id": q, "answer": a} for q, a in answers],
            "current_password": family.password,
        })
        if r.status_code != 400:
            wrong.append(f"{why}: {describe(r)}")
        elif "security_questions" not in str(assert_problem(r, 400).get("field") or ""):
            wrong.append(f"{why}: field {r.json().get('field')!r}")
    assert not wrong, "\n".join(wrong)
    assert_shows(portal, family)
    # The old answers still reset the password.
    code, qid = start_reset(portal, family)
    password = new_password()
    assert reset_password(portal, family.username, code, qid, family.answers[qid], password).status_code == 204
    portal.sign_in(family.username, password)


def test_guessing_the_current_password_here_locks_like_sign_in(portal):
    family = portal.make_family()
    for _ in range(5):
        assert_problem(change(portal, family.auth, other_questions(portal, family.answers), new_password()),
                       400, "current_password")
    assert_problem(change(portal, family.auth, other_questions(portal, family.answers), family.password),
                   400, "current_password")
    assert_problem(portal.login(family.username, family.password), 401)
    assert_shows(portal, family)
