"""Flow 6 of issue 4: office staff find their clinics' patients by name, date of birth or MRN
(POST /api/admin/patients/search: the query is in the body, never in a URL or the log), and
never see another clinic's patients; admins see all; results are paged with a cursor."""

import base64

import pytest

from conftest import (
    CARDIOLOGY, ENDOCRINE, SECRETS, Kind, _occurs, assert_4xx_problem, assert_no_store, assert_problem, describe,
    letters, new_patient_body,
)

ITEM_KEYS = {"id", "given_name", "family_name", "birth_date", "clinic"}


@pytest.fixture(scope="module")
def office(portal):
    """Cardiology and endocrine staff, and patients sharing one made-up family name (so that
    no other test's patient matches): four in cardiology, one in endocrine with the same name,
    birth date and MRN as one of cardiology's."""
    cardiology = portal.make_staff(clinics=(CARDIOLOGY,))
    endocrine = portal.make_staff(clinics=(ENDOCRINE,))
    family_name = SECRETS.add(Kind.PATIENT_NAME, "Qx" + letters(10).capitalize())
    longer = SECRETS.add(Kind.PATIENT_NAME, family_name + "son")

    def register(token, clinic, given, family, like=None):
        body = {**new_patient_body(clinic), "given_name": SECRETS.add(Kind.PATIENT_NAME, given),
                "family_name": family}
        if like is not None:
            body["birth_date"], body["mrn"] = like["birth_date"], like["mrn"]
        r = portal.create_patient(token, body)
        assert r.status_code == 201, describe(r)
        return {**body, "id": r.json()["id"]}

    stem = "Ava" + letters(6)
    ours = [register(cardiology.auth, CARDIOLOGY, stem + suffix, family_name) for suffix in ("a", "b", "b", "c")]
    ours.append(register(cardiology.auth, CARDIOLOGY, "Ben" + letters(6), longer))
    theirs = register(endocrine.auth, ENDOCRINE, ours[0]["given_name"], family_name, like=ours[0])
    return {"cardiology": cardiology, "endocrine": endocrine, "family_name": family_name, "longer": longer,
            "ours": ours, "theirs": theirs}


def order(patients):
    return sorted(patients, key=lambda p: (p["family_name"].lower(), p["given_name"].lower(), p["id"]))


def names(items):
    return [(i["family_name"], i["given_name"], i["id"][:8]) for i in items]


def ids(items):
    return [i["id"] for i in items]


def found(portal, token, query) -> list[dict]:
    """Every item a search lists, page after page; each answer checked for its shape."""
    SECRETS.add(Kind.SEARCH, query)
    items, cursor = [], None
    for _ in range(20):
        r = portal.search(token, query, cursor=cursor)
        assert r.status_code == 200, describe(r)
        assert_no_store(r)
        body = r.json()
        assert set(body) == {"items", "cursor"}, body
        for item in body["items"]:
            assert set(item) == ITEM_KEYS, item
        items += body["items"]
        cursor = body["cursor"]
        if cursor is None:
            return items
    pytest.fail("a search that never ends")


def test_staff_find_their_patients_by_family_name_prefix(portal, office):
    fam, ours = office["family_name"], office["ours"]
    for query in (fam, fam.lower(), fam.upper(), fam[:8]):
        items = found(portal, office["cardiology"].auth, query)
        assert ids(items) == ids(order(ours)), (query, names(items), names(order(ours)))
    item = next(i for i in found(portal, office["cardiology"].auth, fam) if i["id"] == ours[0]["id"])
    assert item == {k: ours[0][k] for k in ITEM_KEYS}


def test_family_comma_given_and_given_family(portal, office):
    fam, ours = office["family_name"], office["ours"]
    stem = ours[0]["given_name"][:-1]
    token = office["cardiology"].auth
    exact_family = order(ours[:4])
    assert ids(found(portal, token, f"{fam}, {stem}")) == ids(exact_family)
    assert ids(found(portal, token, f"{fam.lower()}, {stem.upper()}")) == ids(exact_family)
    assert ids(found(portal, token, f"{fam}, {stem}b")) == ids(order(ours[1:3]))
    assert ids(found(portal, token, f"{stem}c {fam}")) == [ours[3]["id"]]
    assert ids(found(portal, token, f"{stem.lower()} {fam.lower()}")) == ids(exact_family)
    # "Family, Given" takes the family name whole: the longer family name is not listed.
    assert ids(found(portal, token, f"{fam}, Ben")) == []
    assert ids(found(portal, token, f"{office['longer']}, Ben")) == [ours[4]["id"]]


def test_date_of_birth_in_both_forms_and_mrn(portal, office):
    target = office["ours"][1]
    token = office["cardiology"].auth
    y, m, d = target["birth_date"].split("-")
    for query in (target["birth_date"], f"{m}/{d}/{y}"):
        items = portal.search_all(token, SECRETS.add(Kind.SEARCH, query))
        assert target["id"] in ids(items), query
        assert {i["birth_date"] for i in items} == {target["birth_date"]}, query
        assert {i["clinic"] for i in items} == {CARDIOLOGY}, query
    items = portal.search_all(token, target["mrn"])
    assert target["id"] in ids(items)
    assert all(i["clinic"] == CARDIOLOGY for i in items)


def test_staff_never_see_another_clinics_patients_admins_see_all(portal, office):
    twin, theirs = office["ours"][0], office["theirs"]
    queries = [office["family_name"], f"{office['family_name']}, {twin['given_name']}",
               f"{twin['given_name']} {office['family_name']}", twin["birth_date"], twin["mrn"]]
    for query in queries:
        SECRETS.add(Kind.SEARCH, query)
        cardiology = ids(portal.search_all(office["cardiology"].auth, query))
        endocrine = ids(portal.search_all(office["endocrine"].auth, query))
        admin = ids(portal.search_all(portal.admin_token(), query))
        assert twin["id"] in cardiology and theirs["id"] not in cardiology, query
        assert theirs["id"] in endocrine and twin["id"] not in endocrine, query
        assert {twin["id"], theirs["id"]} <= set(admin), query


def test_paging_lists_every_match_once_in_order(portal, office):
    token = office["cardiology"].auth
    fam = office["family_name"]
    everything = found(portal, token, fam)
    assert len(everything) == 5
    for limit in (1, 2, 3):
        pages, cursor = [], None
        for _ in range(10):
            r = portal.search(token, fam, limit=limit, cursor=cursor)
            assert r.status_code == 200, describe(r)
            page = r.json()
            pages.append(ids(page["items"]))
            cursor = page["cursor"]
            if cursor is None:
                break
        flat = [i for p in pages for i in p]
        assert flat == ids(everything), f"limit {limit}: pages {pages}"
        # Full pages, but for the last.
        assert all(len(p) == limit for p in pages[:-1]) and len(pages[-1]) <= limit, f"limit {limit}: {pages}"
    r = portal.search(token, fam, limit=50)
    assert r.json()["cursor"] is None and ids(r.json()["items"]) == ids(everything)


def test_bad_queries_are_400(portal, office):
    token = office["cardiology"].auth
    for query in ("Q", "", " ", "x" * 101):
        assert_problem(portal.search(token, query), 400, "query")
    for limit in (0, 51, -1):
        assert_problem(portal.search(token, office["family_name"], limit=limit), 400, "limit")
    r = portal.post("/api/admin/patients/search", token=token, json={"query": office["family_name"], "clinic": ENDOCRINE})
    assert_problem(r, 400, "clinic")
    assert_problem(portal.post("/api/admin/patients/search", token=token, json={}), 400, "query")
    assert_4xx_problem(portal.search(token, office["family_name"], cursor="not-a-cursor"))
    # 100 characters is still a query.
    assert portal.search(token, "x" * 100).status_code == 200


def test_families_may_not_search(portal, office):
    family = portal.make_family()
    assert_problem(portal.search(family.auth, office["family_name"]), 403)
    assert_problem(portal.search(family.auth, family.patient["family_name"]), 403)
    assert_problem(portal.search(None, office["family_name"]), 401)


def test_no_query_reaches_the_server_log(portal, office):
    start = portal.log_offset()
    twin = office["ours"][0]
    queries = [office["family_name"], f"{office['family_name']}, {twin['given_name']}",
               f"{twin['given_name']} {office['family_name']}", twin["birth_date"], twin["mrn"],
               "Zz" + letters(12)]
    for query in queries:
        SECRETS.add(Kind.SEARCH, query)
        assert portal.search(office["cardiology"].auth, query).status_code == 200
    with open(portal.log_path, "rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    searches = [line for line in portal.log_lines(since=start) if line.get("route") == "/api/admin/patients/search"]
    assert len(searches) == len(queries), "the searches are not each in the log by their route"
    for query in queries:
        assert not _occurs(query, text, text.lower()), "a search query is in the server log"


# ---------------------------------------------------------------- issue 9


def cursor_of(sort_key: str) -> str:
    """A cursor as the portal writes one: URL-safe base64, no padding, of a sort key."""
    return base64.urlsafe_b64encode(sort_key.encode()).rstrip(b"=").decode()


def test_a_query_short_after_folding_is_400(portal, office):
    """The 2-character minimum counts what is searched for, after folding (`#` and spaces go):
    "#a" is one letter."""
    token = office["cardiology"].auth
    for query in ("#a", "a#", "# a", "a ##"):
        assert_problem(portal.search(token, query), 400, "query")
    # Two letters after folding are a query.
    assert portal.search(token, "#" + office["family_name"][:2]).status_code == 200


def test_a_crafted_cursor_is_400_never_a_server_error(portal, office):
    """A cursor is one the portal gave out for this search: a sort key outside the query, or
    one past the end of its range (which would make the store's BETWEEN invalid), is a 400
    naming `cursor`, whoever asks."""
    fam = office["family_name"].lower()
    crafted = ["NAME#a", f"NAME#{fam}\U0010ffff\U0010ffff", f"NAME#{fam}\U0010ffffz", "NAME#zzzz", "zzzz", "DOB#2000-01-01#"]
    wrong = []
    for token in (office["cardiology"].auth, portal.admin_token()):
        for sk in crafted:
            r = portal.search(token, fam, cursor=cursor_of(sk))
            if r.status_code != 400 or "cursor" not in str(r.json().get("field") or r.json().get("detail")):
                wrong.append(f"{sk!r}: {describe(r)}")
    assert not wrong, "\n".join(wrong)
    # A cursor the portal gave out still works.
    r = portal.search(office["cardiology"].auth, fam, limit=2)
    assert r.status_code == 200 and r.json()["cursor"], describe(r)
    assert portal.search(office["cardiology"].auth, fam, limit=2, cursor=r.json()["cursor"]).status_code == 200
