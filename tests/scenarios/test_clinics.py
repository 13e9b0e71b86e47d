"""Flow 8: anyone, signed in or not, lists the participating clinics; and the fixed list of
security questions the first login picks from."""

from conftest import FAQ_CLINICS, describe, media_type, slug


def test_clinics_are_the_18_of_the_faq_in_order(portal):
    r = portal.get("/api/clinics")
    assert r.status_code == 200, describe(r)
    assert media_type(r) == "application/json"
    clinics = r.json()
    assert isinstance(clinics, list) and len(clinics) == 18
    assert [c["name"] for c in clinics] == FAQ_CLINICS
    assert [c["id"] for c in clinics] == [slug(n) for n in FAQ_CLINICS]
    assert all(set(c) >= {"id", "name"} for c in clinics)


def test_clinic_ids_are_slugs(portal):
    ids = {c["id"] for c in portal.get("/api/clinics").json()}
    for expected in ("pediatric-cardiology", "pediatric-ent-audiology-slp",
                     "pediatric-physical-med-rehab", "pediatric-specialty-center-chelmsford"):
        assert expected in ids


def test_clinics_answer_signed_in_callers_too(portal):
    r = portal.get("/api/clinics", token=portal.admin_token())
    assert r.status_code == 200, describe(r)
    assert [c["name"] for c in r.json()] == FAQ_CLINICS


def test_security_questions_are_a_fixed_list_of_at_least_8(portal):
    r = portal.get("/api/auth/security-questions")
    assert r.status_code == 200, describe(r)
    questions = r.json()
    assert isinstance(questions, list) and len(questions) >= 8
    ids = [q["id"] for q in questions]
    assert len(set(ids)) == len(ids), "question ids repeat"
    for q in questions:
        assert isinstance(q["id"], str) and q["id"]
        assert isinstance(q["text"], str) and len(q["text"]) > 5
    assert len({q["text"] for q in questions}) == len(questions), "question texts repeat"
    # The list is fixed: asking again gives the same list.
    assert portal.get("/api/auth/security-questions").json() == questions
