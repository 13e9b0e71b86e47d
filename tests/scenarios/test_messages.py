"""Issue 13: "Messages" and "Refill medications". A family writes to the clinic office about a
patient ("Send A Message": POST /api/patients/{id}/conversations, with an Idempotency-Key),
reads and answers in the conversation (GET .../conversations[/{conversation_id}], POST
.../{conversation_id}/messages); the office works its inbox (GET /api/office/inbox, the menu's
GET /api/office/counts), replies, takes, closes and writes internal notes (POST
/api/office/conversations/{conversation_id}/take, /close, /notes). Prescriptions come in as FHIR
`MedicationRequest` through `POST /dev/fhir` (`Portal.post_fhir`) and are listed under
GET /api/patients/{id}/medications; the family asks for refills (POST .../refill-requests, to the
preferred pharmacy of "Additional information" or another), and the office answers each
medication (POST /api/office/refill-requests/{request_id}/answer). The contract: `issues show
13` and /work/notes/messages.md.

Every id and MRN is fresh, and each inbox, count and notification test uses clinics of its
own, since each backend's portal is shared by the whole session. Answers may carry keys the
contract does not name (e.g. `patient_id`): the tests hold the contract's keys only.

What the family must never read anywhere: the office's internal notes; what a 12-to-17-year-old
marked confidential, and restricted prescriptions, are never the parent's or guardian's. What
nobody reads in the logs or in an email: a message's subject or body, a note, a medication's
name or dosage, a pharmacy's name (all registered in `SECRETS` for test_logs.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

import fhir_bundles as fhir
from patients import family, office, register  # noqa: F401 (office is a fixture)
from conftest import (
    CARDIOLOGY, CLINIC_NAMES, ENDOCRINE, MAIL_DEADLINE_S, POLL_INTERVAL_S, SECRETS, Kind, assert_no_store,
    assert_problem, check_problem_shape, dates_in, describe, letters, new_patient_body, new_pharmacy, new_phone,
    patient_path, slug, today_utc, years_before,
)
from fhir_bundles import (
    ALBUTEROL, AMOXICILLIN, CETIRIZINE, FLUTICASONE, METHYLPHENIDATE, NORETHINDRONE, Drug, literal,
    medication_request, moment, revised,
)

NEWS = "New information in the patient portal"
NO_CONVERSATION = "No conversation with this id."
NO_REFILL = "No refill request with this id."

ITEM_KEYS = {"id", "clinic", "subject", "status", "unread", "last_message_at", "confidential", "taken_by", "version"}
MESSAGE_KEYS = {"id", "from", "body", "sent_at"}
NOTE_KEYS = {"text", "author", "at"}
MEDICATION_KEYS = {"id", "name", "written"}
REFILL_KEYS = {"id", "patient_id", "clinic", "pharmacy", "preferred_pharmacy", "items", "status", "confidential",
               "created", "updated", "version"}
REFILL_ITEM_KEYS = {"medication_id", "name", "status"}
INBOX_KEYS = {"patient", "age_days"}
COUNT_KEYS = {"appointment_requests", "conversations", "refill_requests"}

GI = slug("Pediatric GI")                          # the inbox test's clinics, used by no other test
NEUROLOGY = slug("Pediatric Neurology")
ORTHOPEDICS = slug("Pediatric Orthopedics")        # the counts test's
PRIMARY_CARE = slug("Pediatric Primary Care")      # the counts test's other clinic, whose counts stay 0
INFECTIOUS = slug("Pediatric Infectious Disease")  # the notification tests'
assert {GI, NEUROLOGY, ORTHOPEDICS, PRIMARY_CARE, INFECTIOUS} <= set(CLINIC_NAMES)


# ------------------------------------------------------------------------------------- values


def words(what: str) -> str:
    """A made-up piece of text of a message (a subject, a body, a note, a reason), unique,
    registered as PHI for the log test."""
    return SECRETS.add(Kind.MESSAGE_TEXT, f"{what} {letters(10)}")


def dosage_text() -> str:
    return SECRETS.add(Kind.MEDICATION, f"Take 1 by mouth twice a day with food, course {letters(8)}")


def drug(d: Drug) -> Drug:
    """A medication the tests send: its name registered for the log test."""
    SECRETS.add(Kind.MEDICATION, d.name)
    return d


def same_time(a, b) -> bool:
    return a is not None and b is not None and fhir.instant(a) == fhir.instant(b)


def is_utc_stamp(value) -> bool:
    try:
        return fhir.instant(value).utcoffset() == dt.timedelta(0)
    except (TypeError, ValueError, AttributeError):
        return False


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def contract(answer: dict, keys: set) -> dict:
    """The contract's keys of an answer (an answer may carry more)."""
    return {k: answer[k] for k in keys if k in answer}


# ------------------------------------------------------------------------------------ patients


def of_patient(patient: dict) -> dict:
    return {k: patient[k] for k in ("id", "given_name", "family_name", "birth_date")}


# --------------------------------------------------------------------------------- FHIR in


def send(portal, *resources: dict, expected: list[str] | None = None) -> dict:
    """POSTs a bundle of `resources` to /dev/fhir; each entry's status must be `expected`'s
    (default: all new, 201)."""
    b = fhir.bundle(*resources)
    fhir.validate_r4(b)
    r = portal.post_fhir(b)
    want = expected or ["201"] * len(resources)
    got = fhir.statuses(r, b)
    assert got == want, f"[{portal.backend}] entry statuses {got}, expected {want}: " \
                        f"{[((o or {}).get('issue') or [{}])[0].get('diagnostics') for o in fhir.outcomes(r)]}"
    return b


def prescription(pid: str, d: Drug, days_ago: float, **kw) -> dict:
    """An active MedicationRequest of the patient written `days_ago` days ago, with a dosage and
    two refills unless told otherwise."""
    kw.setdefault("dosage", dosage_text())
    kw.setdefault("refills", 2)
    return medication_request(literal(pid), drug(d), authored=moment(days_ago), **kw)


# ---------------------------------------------------------------------------------- the API


def get(portal, token, path: str, **query):
    return portal.get(path + (f"?{urlencode(query)}" if query else ""), token=token)


def body_of(r, status: int = 200) -> dict:
    assert r.status_code == status, describe(r)
    assert_no_store(r)
    return r.json()


def conversations_path(pid: str, cid: str | None = None, what: str | None = None) -> str:
    return patient_path(pid, "conversations" + (f"/{cid}" if cid else "") + (f"/{what}" if what else ""))


def keyed(key: str | None) -> dict:
    return {"Idempotency-Key": key or str(uuid.uuid4())}


def conversation_body(patient: dict, **changes) -> dict:
    """A valid "Send A Message" body for the patient's clinic, with a fresh subject and body."""
    body = {"clinic": patient["clinic"], "subject": words("Question about the rash"),
            "body": words("She has had a rash on her arms since Tuesday.\nIs it the new medicine?")}
    body.update(changes)
    return body


def post_conversation(portal, token, pid: str, body, key: str | None = None):
    return portal.post(conversations_path(pid), token=token, json=body, headers=keyed(key))


def start(portal, token, patient: dict, **changes) -> dict:
    """A conversation that must be created (201): the answer's body, checked against what was
    sent."""
    body = conversation_body(patient, **changes)
    r = post_conversation(portal, token, patient["id"], body)
    c = body_of(r, 201)
    check_item(c)
    assert (c["clinic"], c["subject"], c["status"], c["unread"], c["confidential"], c["taken_by"]) == \
        (body["clinic"], body["subject"], "open", 0, body.get("confidential", False), None), c
    return c


def conversations(portal, token, pid: str) -> list[dict]:
    """Every conversation of the patient the caller lists, page by page."""
    items, cursor = [], None
    for _ in range(50):
        page = body_of(get(portal, token, conversations_path(pid), limit=100, **({"cursor": cursor} if cursor else {})))
        assert {"items", "cursor"} <= set(page), page
        for c in page["items"]:
            check_item(c)
        items += page["items"]
        cursor = page["cursor"]
        if cursor is None:
            return items
    pytest.fail("the conversation list never ended")


def listed(portal, token, pid: str, cid: str) -> dict:
    """The one list item of conversation `cid`."""
    found = [c for c in conversations(portal, token, pid) if c["id"] == cid]
    assert len(found) == 1, f"{len(found)} list items of the conversation"
    return found[0]


def open_conversation(portal, token, pid: str, cid: str) -> dict:
    c = body_of(portal.get(conversations_path(pid, cid), token=token))
    check_item(c)
    assert isinstance(c.get("messages"), list), c
    for m in c["messages"]:
        check_message(m)
    return c


def reply(portal, token, pid: str, cid: str, text: str, key: str | None = None):
    return portal.post(conversations_path(pid, cid, "messages"), token=token, json={"body": text}, headers=keyed(key))


def sent(portal, token, pid: str, cid: str, text: str) -> dict:
    """A message that must be sent (201)."""
    m = body_of(reply(portal, token, pid, cid, text), 201)
    check_message(m)
    assert m["body"] == text, m
    return m


def office_path(cid: str, action: str) -> str:
    return f"/api/office/conversations/{cid}/{action}"


def take(portal, token, cid: str, version):
    return portal.post(office_path(cid, "take"), token=token, json={"version": version})


def close(portal, token, cid: str, version):
    return portal.post(office_path(cid, "close"), token=token, json={"version": version})


def add_note(portal, token, cid: str, text: str):
    return portal.post(office_path(cid, "notes"), token=token, json={"text": text})


def inbox(portal, token, **query) -> list[dict]:
    """Every item of the office's inbox with `query`, page by page."""
    items, cursor = [], None
    for _ in range(200):
        page = body_of(get(portal, token, "/api/office/inbox",
                           **{"limit": 100, **query, **({"cursor": cursor} if cursor else {})}))
        assert {"items", "cursor"} <= set(page), page
        for item in page["items"]:
            check_inbox_item(item, query.get("kind", "conversation"))
        items += page["items"]
        cursor = page["cursor"]
        if cursor is None:
            return items
    pytest.fail("the inbox never ended")


def ids_in(portal, token, **query) -> list[str]:
    return [i["id"] for i in inbox(portal, token, **query)]


def counts(portal, token) -> dict:
    body = body_of(portal.get("/api/office/counts", token=token))
    assert COUNT_KEYS <= set(body) and all(is_int(body[k]) and body[k] >= 0 for k in COUNT_KEYS), body
    return {k: body[k] for k in COUNT_KEYS}


def medications(portal, token, pid: str) -> list[dict]:
    body = body_of(portal.get(patient_path(pid, "medications"), token=token))
    assert isinstance(body.get("items"), list), body
    for m in body["items"]:
        check_medication(m)
    return body["items"]


def medication_of(portal, token, pid: str, sent_resource: dict) -> dict:
    """The one medication of the list showing the MedicationRequest `sent_resource` (same name,
    written at its authoredOn)."""
    name = (sent_resource.get("medicationCodeableConcept") or {}).get("text") or \
        (sent_resource.get("medicationReference") or {}).get("display")
    found = [m for m in medications(portal, token, pid)
             if m["name"] == name and same_time(m["written"], sent_resource["authoredOn"])]
    assert len(found) == 1, f"{len(found)} medications named {name!r} written {sent_resource['authoredOn']}"
    return found[0]


def refill_body(medication_ids: list[str], pharmacy=None, **extra) -> dict:
    body = {"medication_ids": medication_ids, "pharmacy": new_pharmacy() if pharmacy is None else pharmacy}
    body.update(extra)
    return body


def post_refill(portal, token, pid: str, body, key: str | None = None):
    return portal.post(patient_path(pid, "refill-requests"), token=token, json=body, headers=keyed(key))


def ask_refill(portal, token, pid: str, medication_ids: list[str], pharmacy=None, **extra) -> dict:
    """A refill request that must be made (201): the answer's body."""
    body = refill_body(medication_ids, pharmacy, **extra)
    r = body_of(post_refill(portal, token, pid, body), 201)
    check_refill(r)
    assert r["status"] == "requested" and [i["medication_id"] for i in r["items"]] == medication_ids, r
    assert all(i["status"] == "requested" for i in r["items"]), r
    if isinstance(body["pharmacy"], dict):
        assert r["pharmacy"] == body["pharmacy"] and r["preferred_pharmacy"] is False, r
    return r


def refills_of(portal, token, pid: str) -> list[dict]:
    items, cursor = [], None
    for _ in range(50):
        page = body_of(get(portal, token, patient_path(pid, "refill-requests"), limit=100,
                           **({"cursor": cursor} if cursor else {})))
        assert {"items", "cursor"} <= set(page), page
        for r in page["items"]:
            check_refill(r)
        items += page["items"]
        cursor = page["cursor"]
        if cursor is None:
            return items
    pytest.fail("the refill request list never ended")


def answer(portal, token, rid: str, answers: list[dict], version):
    return portal.post(f"/api/office/refill-requests/{rid}/answer", token=token,
                       json={"answers": answers, "version": version})


def item_of(request: dict, medication_id: str) -> dict:
    [item] = [i for i in request["items"] if i["medication_id"] == medication_id]
    return item


# ---------------------------------------------------------------------------------- shapes


def check_item(c: dict) -> None:
    assert ITEM_KEYS <= set(c), f"conversation keys: missing {sorted(ITEM_KEYS - set(c))}"
    assert isinstance(c["id"], str) and c["id"], c
    assert c["clinic"] in CLINIC_NAMES, c
    assert c["status"] in ("open", "closed"), c
    assert is_int(c["unread"]) and c["unread"] >= 0, c
    assert isinstance(c["confidential"], bool), c
    assert c["taken_by"] is None or isinstance(c["taken_by"], str), c
    assert is_int(c["version"]), c
    assert is_utc_stamp(c["last_message_at"]), c


def check_message(m: dict) -> None:
    assert MESSAGE_KEYS <= set(m), f"message keys: missing {sorted(MESSAGE_KEYS - set(m))}"
    assert isinstance(m["id"], str) and m["id"], m
    assert m["from"]["kind"] in ("family", "staff") and isinstance(m["from"]["name"], str) and m["from"]["name"], m
    assert isinstance(m["body"], str) and m["body"], m
    assert is_utc_stamp(m["sent_at"]), m


def check_note(n: dict) -> None:
    assert NOTE_KEYS <= set(n), f"note keys: {sorted(n)}"
    assert isinstance(n["text"], str) and isinstance(n["author"], str) and is_utc_stamp(n["at"]), n


def check_medication(m: dict) -> None:
    assert MEDICATION_KEYS <= set(m), f"medication keys: missing {sorted(MEDICATION_KEYS - set(m))}"
    assert isinstance(m["id"], str) and m["id"] and isinstance(m["name"], str) and m["name"], m
    assert isinstance(m["written"], str) and fhir.instant(m["written"]), m
    assert m.get("refills_left") is None or (is_int(m["refills_left"]) and m["refills_left"] >= 0), m


def check_refill(r: dict) -> None:
    assert REFILL_KEYS <= set(r), f"refill request keys: missing {sorted(REFILL_KEYS - set(r))}"
    assert r["status"] in ("requested", "answered"), r
    assert set(r["pharmacy"]) >= {"name", "address", "phone"}, r
    assert isinstance(r["preferred_pharmacy"], bool) and isinstance(r["confidential"], bool), r
    assert is_int(r["version"]), r
    assert is_utc_stamp(r["created"]) and is_utc_stamp(r["updated"]), r
    assert fhir.instant(r["updated"]) >= fhir.instant(r["created"]), r
    assert r["items"], r
    for i in r["items"]:
        assert REFILL_ITEM_KEYS <= set(i), f"refill item keys: missing {sorted(REFILL_ITEM_KEYS - set(i))}"
        assert i["status"] in ("requested", "approved", "denied", "needs-appointment"), i
    answered = all(i["status"] != "requested" for i in r["items"])
    assert (r["status"] == "answered") == answered, \
        f"status {r['status']} with items {[i['status'] for i in r['items']]}"


def check_inbox_item(item: dict, kind: str) -> None:
    assert INBOX_KEYS <= set(item), f"inbox item keys: {sorted(item)}"
    rest = {k: v for k, v in item.items() if k not in INBOX_KEYS}
    (check_item if kind == "conversation" else check_refill)(rest)
    assert set(item["patient"]) >= {"id", "given_name", "family_name", "birth_date"}, item["patient"]
    assert is_int(item["age_days"]) and item["age_days"] >= 0, item


def never_in(secrets: list[str], *answers) -> None:
    """None of the texts is in any of the answers (their bodies, JSON-escaped or not)."""
    for r in answers:
        body = r.text if hasattr(r, "text") else json.dumps(r)
        for s in secrets:
            assert s.lower() not in body.lower() and json.dumps(s)[1:-1].lower() not in body.lower(), \
                f"a text the family must not read is in {describe(r) if hasattr(r, 'request') else 'an answer'}"


def problem_field(r, status: int, name: str) -> dict:
    """A problem of `status` whose `field` names `name`."""
    assert r.status_code == status, f"expected {status} naming {name!r}: {describe(r)}"
    body = check_problem_shape(r)
    assert name in str(body.get("field") or ""), f"problem field {body.get('field')!r}, expected {name!r}: {body}"
    return body


# -------------------------------------------------------------------------- the FHIR builder


def test_the_medication_request_builder_makes_valid_r4_and_the_validation_can_fail():
    """What `fhir.medication_request` builds validates with the fhir.resources R4B models, in
    every form the tests send; broken ones do not."""
    pt = fhir.patient_resource({**new_patient_body(with_mrn=False), "mrn": "M" + letters(8).upper()})
    sent = [
        medication_request(literal(str(uuid.uuid4())), AMOXICILLIN, authored=moment(3), dosage="Take 1 capsule.",
                           refills=2, restricted="R", last_updated=moment(1)),
        medication_request(fhir.by_mrn("M123"), ALBUTEROL, authored=moment(4), by_reference=True, requester=None),
        medication_request(fhir.ref_to(pt), "Ibuprofen 100 MG/5ML Oral Suspension", authored=moment(5),
                           status="stopped", refills=0),
        medication_request(literal(str(uuid.uuid4())), CETIRIZINE, authored="2026-01-15", status="on-hold"),
    ]
    fhir.validate_r4(fhir.bundle(pt, *sent, type="transaction"))
    for what, broken in {
        "no status": {k: v for k, v in sent[0].items() if k != "status"},
        "no intent": {k: v for k, v in sent[0].items() if k != "intent"},
        "refills that are no number": {**sent[0], "dispenseRequest": {"numberOfRepeatsAllowed": "two"}},
        "dosageInstruction as an object": {**sent[0], "dosageInstruction": {"text": "Take 1."}},
        "an authoredOn that is no dateTime": {**sent[0], "authoredOn": "03/12/2026"},
    }.items():
        with pytest.raises(ValueError):
            fhir.validate_r4(fhir.bundle(broken))
            pytest.fail(f"validated although it has {what}")


def test_the_answers_hold_the_contracts_keys(portal, office):
    """Each answer holds the keys the contract names: a conversation (created, listed, opened by
    the family without notes and by the office with them), a message, a note, take and close,
    the inbox of both kinds, the counts, a medication, a refill request (made, listed, answered).
    GET demographics names the patient's clinic, the one a conversation must be sent to."""
    staff = office["staff"]
    patient, parent = family(portal)
    pid = patient["id"]
    assert portal.patient_data(parent.auth, pid)["clinic"] == CARDIOLOGY
    send(portal, prescription(pid, AMOXICILLIN, 4))
    [med] = medications(portal, parent.auth, pid)
    assert {"rxnorm", "dosage", "prescriber", "refills_left"} <= set(med), med

    c = start(portal, parent.auth, patient)
    item = listed(portal, parent.auth, pid, c["id"])
    family_view = open_conversation(portal, parent.auth, pid, c["id"])
    assert "notes" not in family_view, "the family's conversation holds the office's notes"
    r = add_note(portal, staff.auth, c["id"], words("Called the mother back"))
    check_note(body_of(r, 201))
    staff_message = sent(portal, staff.auth, pid, c["id"], words("Please send a photo of the rash"))
    office_view = open_conversation(portal, staff.auth, pid, c["id"])
    assert isinstance(office_view.get("notes"), list) and len(office_view["notes"]) == 1, office_view
    for n in office_view["notes"]:
        check_note(n)
    [queued] = [i for i in inbox(portal, staff.auth, clinic=CARDIOLOGY) if i["id"] == c["id"]]
    assert queued["patient"] == of_patient(patient), queued
    taken = body_of(take(portal, staff.auth, c["id"], office_view["version"]))
    check_item(taken)
    closed = body_of(close(portal, staff.auth, c["id"], taken["version"]))
    check_item(closed)
    assert open_conversation(portal, parent.auth, pid, c["id"])["messages"][-1]["id"] == staff_message["id"]

    req = ask_refill(portal, parent.auth, pid, [med["id"]], note=words("We leave for camp on"))
    assert contract(refills_of(portal, parent.auth, pid)[0], REFILL_KEYS) == contract(req, REFILL_KEYS)
    [waiting] = [i for i in inbox(portal, staff.auth, kind="refill", clinic=CARDIOLOGY) if i["id"] == req["id"]]
    assert waiting["patient"] == of_patient(patient), waiting
    done = body_of(answer(portal, staff.auth, req["id"], [{"medication_id": med["id"], "status": "approved"}],
                          req["version"]))
    check_refill(done)
    counts(portal, staff.auth)
    assert contract(item, ITEM_KEYS) == contract(c, ITEM_KEYS)


# -------------------------------------------------------------------------------- messages


def test_a_family_writes_the_office_replies_and_the_unread_count_follows(portal, office):
    """The family sends a message (201: open, unread 0 on their side). The office lists it in its
    inbox with the patient and days waited, unread 1 on its side; opening it marks it read. A
    staff reply (201, signed with the staff member's name and clinic) makes the family's unread
    1; the family opens it (its answer shows unread 0 and a new version) and lists it unread 0.
    Staff close it (it leaves the open inbox); the family's reply opens it again, unread 1 for
    the office."""
    staff = office["staff"]
    patient, parent = family(portal)
    pid = patient["id"]
    body = conversation_body(patient)
    c = body_of(post_conversation(portal, parent.auth, pid, body), 201)
    check_item(c)
    cid = c["id"]
    assert (c["status"], c["unread"], c["confidential"], c["taken_by"]) == ("open", 0, False, None), c
    assert contract(listed(portal, parent.auth, pid, cid), ITEM_KEYS) == contract(c, ITEM_KEYS)

    [queued] = [i for i in inbox(portal, staff.auth, clinic=CARDIOLOGY) if i["id"] == cid]
    assert (queued["patient"], queued["age_days"], queued["unread"], queued["status"]) == \
        (of_patient(patient), 0, 1, "open"), queued
    assert listed(portal, staff.auth, pid, cid)["unread"] == 1
    seen = open_conversation(portal, staff.auth, pid, cid)
    assert seen["unread"] == 0 and "notes" in seen, seen
    [first] = seen["messages"]
    assert (first["from"]["kind"], first["body"]) == ("family", body["body"]), first
    assert listed(portal, staff.auth, pid, cid)["unread"] == 0
    assert listed(portal, parent.auth, pid, cid)["unread"] == 0

    answer_text = words("Please give her the antihistamine and call if")
    m = sent(portal, staff.auth, pid, cid, answer_text)
    assert m["from"]["kind"] == "staff" and m["from"]["name"] == staff.name, m
    assert m["from"].get("clinic") in (CARDIOLOGY, CLINIC_NAMES[CARDIOLOGY]), m
    before = listed(portal, parent.auth, pid, cid)
    assert (before["unread"], before["status"]) == (1, "open"), before
    assert fhir.instant(before["last_message_at"]) == fhir.instant(m["sent_at"]), before
    read = open_conversation(portal, parent.auth, pid, cid)
    assert read["unread"] == 0 and read["version"] != before["version"], read
    assert [(x["from"]["kind"], x["body"]) for x in read["messages"]] == \
        [("family", body["body"]), ("staff", answer_text)], "not oldest first"
    assert read["messages"][1]["from"]["name"] == staff.name
    assert listed(portal, parent.auth, pid, cid)["unread"] == 0
    assert listed(portal, staff.auth, pid, cid)["unread"] == 0, "the office's own reply is unread for the office"

    version = listed(portal, staff.auth, pid, cid)["version"]
    r = close(portal, staff.auth, cid, version)
    done = body_of(r)
    assert (done["id"], done["status"]) == (cid, "closed") and done["version"] != version, done
    assert cid not in ids_in(portal, staff.auth, clinic=CARDIOLOGY)
    assert cid in ids_in(portal, staff.auth, clinic=CARDIOLOGY, status="closed")
    assert listed(portal, parent.auth, pid, cid)["status"] == "closed"

    again = words("The rash is back this morning")
    sent(portal, parent.auth, pid, cid, again)
    reopened = listed(portal, parent.auth, pid, cid)
    assert (reopened["status"], reopened["unread"]) == ("open", 0), reopened
    assert listed(portal, staff.auth, pid, cid)["unread"] == 1
    assert cid in ids_in(portal, staff.auth, clinic=CARDIOLOGY)
    assert cid not in ids_in(portal, staff.auth, clinic=CARDIOLOGY, status="closed")
    assert [x["body"] for x in open_conversation(portal, parent.auth, pid, cid)["messages"]] == \
        [body["body"], answer_text, again]


def test_the_familys_list_is_newest_activity_first_and_the_office_replies_as_a_team(portal, office):
    """Two conversations: the later one is listed first, until a message in the earlier one
    brings it to the top. Another staff member of the clinic and an admin reply too (each
    signed with their own name); staff of another clinic cannot. A guardian of the patient
    reads the same conversations."""
    staff2, admin = office["staff2"], office["admin"]
    patient, parent = family(portal)
    pid = patient["id"]
    first = start(portal, parent.auth, patient)
    time.sleep(0.01)
    second = start(portal, parent.auth, patient)
    assert [c["id"] for c in conversations(portal, parent.auth, pid)] == [second["id"], first["id"]]
    m = sent(portal, staff2.auth, pid, first["id"], words("We sent the referral"))
    assert m["from"]["name"] == staff2.name, m
    assert [c["id"] for c in conversations(portal, parent.auth, pid)] == [first["id"], second["id"]]
    m = sent(portal, admin.auth, pid, second["id"], words("The clinic will call you about"))
    assert m["from"]["kind"] == "staff" and m["from"]["name"] == admin.name, m
    assert [c["id"] for c in conversations(portal, parent.auth, pid)] == [second["id"], first["id"]]
    assert [c["unread"] for c in conversations(portal, parent.auth, pid)] == [1, 1]
    guardian = portal.make_holder(patient, "guardian")
    assert [c["id"] for c in conversations(portal, guardian.auth, pid)] == [second["id"], first["id"]]
    assert_problem(reply(portal, office["other"].auth, pid, first["id"], words("Not ours")), 404)
    assert len(open_conversation(portal, parent.auth, pid, first["id"])["messages"]) == 2


def test_a_double_clicked_send_makes_one_message(portal):
    """Four sends at once with one Idempotency-Key and body: each answers 201 (the first or its
    replay) or 409 (still in progress), every 201 the same conversation; a retry afterwards is a
    replay (idempotent-replayed: true); the same key with another body is 409. One conversation,
    of one message. The same for a reply: four at once, then a retry, make one message. Two
    clicks in a row of a new send make one more conversation."""
    patient, parent = family(portal)
    pid = patient["id"]
    body, key = conversation_body(patient), str(uuid.uuid4())

    def clicks(call) -> list:
        barrier = threading.Barrier(4)

        def click(_):
            barrier.wait(timeout=60)
            return call()

        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(click, range(4)))

    answers = clicks(lambda: post_conversation(portal, parent.auth, pid, body, key))
    assert all(r.status_code in (201, 409) for r in answers), "; ".join(describe(r) for r in answers)
    created = [r.json() for r in answers if r.status_code == 201]
    assert created and all(c == created[0] for c in created), created
    retry = post_conversation(portal, parent.auth, pid, body, key)
    assert retry.status_code == 201 and retry.json() == created[0], describe(retry)
    assert retry.headers.get("idempotent-replayed") == "true", retry.headers
    assert_problem(post_conversation(portal, parent.auth, pid, {**body, "body": words("Another body")}, key), 409)
    cid = created[0]["id"]
    assert [c["id"] for c in conversations(portal, parent.auth, pid)] == [cid]
    assert len(open_conversation(portal, parent.auth, pid, cid)["messages"]) == 1

    text, rkey = words("One more thing about the rash"), str(uuid.uuid4())
    answers = clicks(lambda: reply(portal, parent.auth, pid, cid, text, rkey))
    assert all(r.status_code in (201, 409) for r in answers), "; ".join(describe(r) for r in answers)
    made = [r.json() for r in answers if r.status_code == 201]
    assert made and all(m == made[0] for m in made), made
    retry = reply(portal, parent.auth, pid, cid, text, rkey)
    assert retry.status_code == 201 and retry.json() == made[0], describe(retry)
    assert retry.headers.get("idempotent-replayed") == "true", retry.headers
    assert [m["body"] for m in open_conversation(portal, parent.auth, pid, cid)["messages"]] == [body["body"], text]

    body2, key2 = conversation_body(patient), str(uuid.uuid4())
    one = post_conversation(portal, parent.auth, pid, body2, key2)
    two = post_conversation(portal, parent.auth, pid, body2, key2)
    assert (one.status_code, two.status_code) == (201, 201), describe(two)
    assert two.json() == one.json() and two.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in one.headers
    assert [c["id"] for c in conversations(portal, parent.auth, pid)] == [one.json()["id"], cid]

    # The same key and body sent to another conversation is another request: refused as a
    # reused key, never answered with the first conversation's message.
    other = one.json()["id"]
    assert_problem(reply(portal, parent.auth, pid, other, text, rkey), 409)
    assert [m["body"] for m in open_conversation(portal, parent.auth, pid, other)["messages"]] == [body2["body"]]


def test_take_shows_the_others_who_has_it(portal, office):
    """A staff member takes a conversation (200, taken_by their username); the other staff of
    the clinic see who has it in the inbox and the patient's list. A take or close with a
    version no longer current is 409 and changes nothing."""
    staff, staff2 = office["staff"], office["staff2"]
    patient, parent = family(portal)
    pid = patient["id"]
    c = start(portal, parent.auth, patient)
    version = listed(portal, staff.auth, pid, c["id"])["version"]
    taken = body_of(take(portal, staff.auth, c["id"], version))
    assert (taken["id"], taken["taken_by"], taken["status"]) == (c["id"], staff.username, "open"), taken
    assert taken["version"] != version, taken
    [queued] = [i for i in inbox(portal, staff2.auth, clinic=CARDIOLOGY) if i["id"] == c["id"]]
    assert queued["taken_by"] == staff.username, queued
    assert listed(portal, staff2.auth, pid, c["id"])["taken_by"] == staff.username
    assert_problem(take(portal, staff2.auth, c["id"], version), 409)
    assert_problem(close(portal, staff2.auth, c["id"], version), 409)
    now = listed(portal, staff2.auth, pid, c["id"])
    assert (now["taken_by"], now["status"], now["version"]) == (staff.username, "open", taken["version"]), now


def test_two_staff_racing_on_one_conversation_exactly_one_wins(portal, office):
    """Two staff of the clinic act at once on one conversation with the same version, three
    times: both take; one takes while the other closes; both close. Each time exactly one answers
    200, the other 409, and the conversation is as the winner left it."""
    a, b = office["staff"], office["staff2"]
    patient, parent = family(portal)
    pid = patient["id"]
    acts = {"take": take, "close": close}
    for n, plan in enumerate([("take", "take"), ("take", "close"), ("close", "close")]):
        c = start(portal, parent.auth, patient)
        version = listed(portal, a.auth, pid, c["id"])["version"]
        barrier = threading.Barrier(2)

        def attempt(i, plan=plan, cid=c["id"], version=version):
            barrier.wait(timeout=60)
            return acts[plan[i]](portal, (a, b)[i].auth, cid, version)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(attempt, range(2)))
        assert sorted(r.status_code for r in answers) == [200, 409], f"round {n}: " + \
            "; ".join(describe(r) for r in answers)
        winner = next(r for r in answers if r.status_code == 200).json()
        now = listed(portal, b.auth, pid, c["id"])
        assert contract(now, ITEM_KEYS - {"unread"}) == contract(winner, ITEM_KEYS - {"unread"}), (winner, now)


def test_internal_notes_are_the_offices_only(portal, office):
    """Notes (201 {text, author: the staff username, at}) show in the office's conversation,
    oldest first, for staff of the clinic and admins; in no answer the family gets: the list,
    the conversation, a reply."""
    staff, staff2, admin = office["staff"], office["staff2"], office["admin"]
    patient, parent = family(portal)
    pid = patient["id"]
    c = start(portal, parent.auth, patient)
    notes = [words("Mother sounded worried; check the chart before"), words("Needs an interpreter for")]
    for who, text in ((staff, notes[0]), (staff2, notes[1])):
        n = body_of(add_note(portal, who.auth, c["id"], text), 201)
        check_note(n)
        assert (n["text"], n["author"]) == (text, who.username), n
    for who in (staff, admin):
        seen = open_conversation(portal, who.auth, pid, c["id"])
        assert [(n["text"], n["author"]) for n in seen["notes"]] == \
            [(notes[0], staff.username), (notes[1], staff2.username)], seen["notes"]
    r = reply(portal, staff.auth, pid, c["id"], words("We will call you tomorrow about"))
    assert r.status_code == 201, describe(r)
    never_in(notes, r)
    answers = [portal.get(conversations_path(pid), token=parent.auth),
               portal.get(conversations_path(pid, c["id"]), token=parent.auth),
               reply(portal, parent.auth, pid, c["id"], words("Thank you, we will wait for"))]
    assert [a.status_code for a in answers] == [200, 200, 201], [describe(a) for a in answers]
    never_in(notes, *answers)
    assert "notes" not in answers[1].json()


# ----------------------------------------------------------------------------- medications


def test_medications_come_in_change_and_stop(portal):
    """Active and on-hold prescriptions are listed newest written first, each with its name,
    RxNorm code, dosage, prescriber and refills left when sent (a medicationReference's display
    names one too). The same resource again changes nothing; a later version (new lastUpdated,
    new dosage and refills) changes the same medication; the earlier version arriving late
    changes nothing. stopped, completed, cancelled and entered-in-error take one off the list;
    draft and unknown are refused (422) and change nothing."""
    patient, parent = family(portal)
    pid = patient["id"]
    amox = prescription(pid, AMOXICILLIN, 10, requester="Rosa Alvarez, MD", refills=2, last_updated=moment(3))
    inhaler = medication_request(fhir.by_mrn(patient["mrn"]), drug(ALBUTEROL), authored=moment(2),
                                 by_reference=True, requester=None)
    allergy = prescription(pid, CETIRIZINE, 5, status="on-hold", refills=0)
    steroid = prescription(pid, FLUTICASONE, 7, refills=5)
    b = send(portal, amox, inhaler, allergy, steroid)

    items = medications(portal, parent.auth, pid)
    assert [m["name"] for m in items] == [ALBUTEROL.name, CETIRIZINE.name, FLUTICASONE.name, AMOXICILLIN.name], \
        "not newest written first"
    a = medication_of(portal, parent.auth, pid, amox)
    assert {k: a.get(k) for k in ("rxnorm", "dosage", "prescriber", "refills_left")} == \
        {"rxnorm": AMOXICILLIN.rxnorm, "dosage": amox["dosageInstruction"][0]["text"], "prescriber": "Rosa Alvarez, MD",
         "refills_left": 2}, a
    i = medication_of(portal, parent.auth, pid, inhaler)
    assert {k: i.get(k) for k in ("rxnorm", "dosage", "prescriber", "refills_left")} == \
        {"rxnorm": None, "dosage": None, "prescriber": None, "refills_left": None}, i
    c = medication_of(portal, parent.auth, pid, allergy)
    assert (c.get("rxnorm"), c["refills_left"]) == (None, 0), c
    assert medications(portal, portal.admin_token(), pid) == items

    send(portal, *[e["resource"] for e in b["entry"]], expected=["200"] * 4)
    assert medications(portal, parent.auth, pid) == items

    new_dosage = dosage_text()
    changed = revised(amox, dosageInstruction=[{"sequence": 1, "text": new_dosage}],
                      dispenseRequest={"numberOfRepeatsAllowed": 1}, meta={"lastUpdated": moment(2)})
    send(portal, changed, expected=["200"])
    now = medication_of(portal, parent.auth, pid, amox)
    assert (now["id"], now["dosage"], now["refills_left"]) == (a["id"], new_dosage, 1), now
    assert len(medications(portal, parent.auth, pid)) == 4
    send(portal, amox, expected=["200"])
    assert medication_of(portal, parent.auth, pid, amox) == now, "an earlier version replaced a later one"

    left = [ALBUTEROL.name, CETIRIZINE.name, FLUTICASONE.name, AMOXICILLIN.name]
    for resource, name, status in ((changed, AMOXICILLIN.name, "stopped"), (inhaler, ALBUTEROL.name, "completed"),
                                   (allergy, CETIRIZINE.name, "cancelled"),
                                   (steroid, FLUTICASONE.name, "entered-in-error")):
        send(portal, revised(resource, status=status, meta={"lastUpdated": moment(1)}), expected=["200"])
        left.remove(name)
        assert [m["name"] for m in medications(portal, parent.auth, pid)] == left, f"after {status}"
    assert medications(portal, portal.admin_token(), pid) == []

    refused = [prescription(pid, METHYLPHENIDATE, 1, status=s) for s in ("draft", "unknown")]
    r = portal.post_fhir(fhir.bundle(*refused))
    assert fhir.statuses(r) == ["422", "422"], describe(r)
    for outcome in fhir.outcomes(r):
        fhir.check_refusal(outcome, (patient["given_name"], patient["family_name"], patient["mrn"],
                                     METHYLPHENIDATE.name))
    assert medications(portal, parent.auth, pid) == []


def test_a_prescription_without_what_it_needs_is_refused(portal):
    """No authoredOn, or no medication named at all: 422, and nothing listed."""
    patient, parent = family(portal)
    pid = patient["id"]
    no_date = prescription(pid, AMOXICILLIN, 2)
    del no_date["authoredOn"]
    no_name = prescription(pid, AMOXICILLIN, 2)
    del no_name["medicationCodeableConcept"]
    b = fhir.bundle(no_date, no_name)
    r = portal.post_fhir(b)
    assert fhir.statuses(r, b) == ["422", "422"], describe(r)
    assert medications(portal, parent.auth, pid) == []


# ------------------------------------------------------------------------- refill requests


def with_medications(portal, *drugs: tuple[Drug, int], clinic: str = CARDIOLOGY, birth=None):
    """A patient with one prescription per (drug, refills), sent before any family account
    exists (so that no news email goes out for them), then a parent: (patient, parent, the
    medications as the parent lists them, in the order given)."""
    patient = register(portal, clinic, birth)
    pid = patient["id"]
    sent_resources = [prescription(pid, d, 10 + n, refills=refills) for n, (d, refills) in enumerate(drugs)]
    send(portal, *sent_resources)
    parent = portal.make_holder(patient, "parent")
    meds = [medication_of(portal, parent.auth, pid, s) for s in sent_resources]
    return patient, parent, meds


def test_a_refill_of_two_medications_one_approved_and_one_denied(portal, office):
    """The family asks for two medications to a pharmacy they enter, with a note (201:
    requested, each medication requested, the pharmacy as sent). The office sees it in its
    refill inbox; it approves one (sent_to: the pharmacy's name; the request is still
    requested and in the inbox), then denies the other with a reason: the request is answered
    and leaves the inbox of requested ones. The family sees each answer, the reason and where
    it was sent. Answering a medication already answered, or with a stale version, is 409."""
    staff = office["staff"]
    patient, parent, (amox, inhaler) = with_medications(portal, (AMOXICILLIN, 2), (ALBUTEROL, 3))
    pid = patient["id"]
    pharmacy, note = new_pharmacy(), words("We leave for camp on Saturday")
    req = ask_refill(portal, parent.auth, pid, [amox["id"], inhaler["id"]], pharmacy, note=note)
    assert (req["clinic"], req["confidential"], req.get("note")) == (CARDIOLOGY, False, note), req
    assert [(i["name"], i.get("refills_left")) for i in req["items"]] == [(AMOXICILLIN.name, 2), (ALBUTEROL.name, 3)]
    assert [contract(r, REFILL_KEYS) for r in refills_of(portal, parent.auth, pid)] == [contract(req, REFILL_KEYS)]
    assert [r["id"] for r in refills_of(portal, staff.auth, pid)] == [req["id"]]
    [queued] = [i for i in inbox(portal, staff.auth, kind="refill", clinic=CARDIOLOGY) if i["id"] == req["id"]]
    assert (queued["patient"], queued["age_days"]) == (of_patient(patient), 0), queued
    assert contract(queued, REFILL_KEYS) == contract(req, REFILL_KEYS)

    r = answer(portal, staff.auth, req["id"], [{"medication_id": amox["id"], "status": "approved"}], req["version"])
    half = body_of(r)
    check_refill(half)
    assert half["status"] == "requested" and half["version"] != req["version"], half
    assert (item_of(half, amox["id"])["status"], item_of(half, amox["id"]).get("sent_to")) == \
        ("approved", pharmacy["name"]), half
    assert item_of(half, inhaler["id"])["status"] == "requested", half
    assert req["id"] in ids_in(portal, staff.auth, kind="refill", clinic=CARDIOLOGY)
    assert_problem(answer(portal, staff.auth, req["id"], [{"medication_id": amox["id"], "status": "denied",
                                                           "reason": words("Changed my mind")}], half["version"]), 409)
    assert_problem(answer(portal, staff.auth, req["id"], [{"medication_id": inhaler["id"], "status": "approved"}],
                          req["version"]), 409)

    why = words("Please come in first: the inhaler is used more than")
    done = body_of(answer(portal, staff.auth, req["id"],
                          [{"medication_id": inhaler["id"], "status": "denied", "reason": why}], half["version"]))
    check_refill(done)
    assert done["status"] == "answered", done
    assert (item_of(done, inhaler["id"])["status"], item_of(done, inhaler["id"]).get("reason")) == ("denied", why)
    assert item_of(done, inhaler["id"]).get("sent_to") is None, done
    assert req["id"] not in ids_in(portal, staff.auth, kind="refill", clinic=CARDIOLOGY)
    assert req["id"] in ids_in(portal, staff.auth, kind="refill", clinic=CARDIOLOGY, status="answered")

    [seen] = refills_of(portal, parent.auth, pid)
    assert seen["status"] == "answered", seen
    assert [(i["status"], i.get("reason"), i.get("sent_to")) for i in seen["items"]] == \
        [("approved", None, pharmacy["name"]), ("denied", why, None)], seen["items"]
    assert_problem(answer(portal, staff.auth, req["id"], [{"medication_id": amox["id"], "status": "approved"}],
                          done["version"]), 409)
    assert contract(refills_of(portal, parent.auth, pid)[0], REFILL_KEYS) == contract(seen, REFILL_KEYS)


def test_the_preferred_pharmacy_is_the_one_of_additional_information(portal, office):
    """"preferred" with no pharmacy saved under Additional information is 400 naming pharmacy,
    and makes nothing; once one is saved, the request goes to it (preferred_pharmacy true), and
    an approval records its name."""
    staff = office["staff"]
    patient, parent, (med,) = with_medications(portal, (FLUTICASONE, 4))
    pid = patient["id"]
    problem_field(post_refill(portal, parent.auth, pid, refill_body([med["id"]], "preferred")), 400, "pharmacy")
    assert refills_of(portal, parent.auth, pid) == []

    info = portal.patient_data(parent.auth, pid, "additional-info")
    pharmacy = new_pharmacy()
    r = portal.put(patient_path(pid, "additional-info"), token=parent.auth, json={**info, "pharmacy": pharmacy})
    assert r.status_code == 200, describe(r)
    req = ask_refill(portal, parent.auth, pid, [med["id"]], "preferred")
    assert (req["pharmacy"], req["preferred_pharmacy"]) == (pharmacy, True), req
    done = body_of(answer(portal, staff.auth, req["id"], [{"medication_id": med["id"], "status": "approved"}],
                          req["version"]))
    assert item_of(done, med["id"]).get("sent_to") == pharmacy["name"], done


def test_a_medication_with_no_refills_left_can_still_be_asked_for(portal, office):
    """A prescription with numberOfRepeatsAllowed 0 is asked for (201); the office sees that it
    has none left, and answers needs-appointment (no reason needed), which the family sees."""
    staff = office["staff"]
    patient, parent, (med,) = with_medications(portal, (METHYLPHENIDATE, 0))
    pid = patient["id"]
    assert med["refills_left"] == 0, med
    req = ask_refill(portal, parent.auth, pid, [med["id"]])
    assert item_of(req, med["id"]).get("refills_left") == 0, req
    [queued] = [i for i in inbox(portal, staff.auth, kind="refill", clinic=CARDIOLOGY) if i["id"] == req["id"]]
    assert item_of(queued, med["id"]).get("refills_left") == 0, queued
    done = body_of(answer(portal, staff.auth, req["id"], [{"medication_id": med["id"], "status": "needs-appointment"}],
                          req["version"]))
    assert (done["status"], item_of(done, med["id"])["status"]) == ("answered", "needs-appointment"), done
    [seen] = refills_of(portal, parent.auth, pid)
    assert item_of(seen, med["id"])["status"] == "needs-appointment", seen


def test_two_staff_answering_one_refill_request_at_once_exactly_one_wins(portal, office):
    """Two staff of the clinic answer one request at once with the same version, three times:
    both approve; one approves while the other denies; one denies while the other says
    needs-appointment. Each time exactly one answers 200, the other 409, and the family sees
    the winner's answer."""
    a, b = office["staff"], office["staff2"]
    patient, parent, (med,) = with_medications(portal, (AMOXICILLIN, 2))
    pid = patient["id"]
    answers_of = {
        "approved": {"medication_id": med["id"], "status": "approved"},
        "denied": {"medication_id": med["id"], "status": "denied", "reason": words("Not before the visit on")},
        "needs-appointment": {"medication_id": med["id"], "status": "needs-appointment"},
    }
    for n, plan in enumerate([("approved", "approved"), ("approved", "denied"), ("denied", "needs-appointment")]):
        req = ask_refill(portal, parent.auth, pid, [med["id"]])
        barrier = threading.Barrier(2)

        def attempt(i, plan=plan, req=req):
            barrier.wait(timeout=60)
            return answer(portal, (a, b)[i].auth, req["id"], [answers_of[plan[i]]], req["version"])

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(attempt, range(2)))
        assert sorted(r.status_code for r in answers) == [200, 409], f"round {n}: " + \
            "; ".join(describe(r) for r in answers)
        winner = next(r for r in answers if r.status_code == 200).json()
        [seen] = [r for r in refills_of(portal, parent.auth, pid) if r["id"] == req["id"]]
        assert contract(seen, REFILL_KEYS) == contract(winner, REFILL_KEYS), (winner, seen)
        assert seen["status"] == "answered" and seen["version"] != req["version"], seen


# ------------------------------------------------------------------------------- bad input


def bad_conversation_bodies(patient: dict):
    """(what, body, the field named) for each rule of a "Send A Message" body."""
    good = conversation_body(patient)
    yield "a subject over 120 characters", {**good, "subject": "x" * 121}, "subject"
    yield "an empty subject", {**good, "subject": ""}, "subject"
    yield "a subject of two lines", {**good, "subject": "Rash\nand fever"}, "subject"
    yield "no subject", {k: v for k, v in good.items() if k != "subject"}, "subject"
    yield "a body over 5,000 characters", {**good, "body": "x" * 5001}, "body"
    yield "an empty body", {**good, "body": "   "}, "body"
    yield "no body", {k: v for k, v in good.items() if k != "body"}, "body"
    yield "a clinic that is not the patient's", {**good, "clinic": ENDOCRINE}, "clinic"
    yield "a clinic that is none", {**good, "clinic": "pediatric-dentistry"}, "clinic"
    yield "no clinic", {k: v for k, v in good.items() if k != "clinic"}, "clinic"
    yield "confidential not a boolean", {**good, "confidential": "yes"}, "confidential"
    yield "an unknown field", {**good, "priority": "high"}, "priority"


def test_bad_messages_are_400_naming_the_field_and_change_nothing(portal, office):
    """Each rule of a new conversation, a reply, a note, take and close: a 400 whose `field`
    names what is wrong, and nothing changes. The limits themselves are fine: a subject of 120
    characters, a body of 5,000 with line breaks."""
    staff = office["staff"]
    patient, parent = family(portal)
    pid = patient["id"]
    wrong = []

    def expect(what, r, name):
        try:
            problem_field(r, 400, name)
        except AssertionError as e:
            wrong.append(f"{what}: {e}")

    for what, body, name in bad_conversation_bodies(patient):
        expect(what, post_conversation(portal, parent.auth, pid, body), name)
    expect("an Idempotency-Key over 128 characters",
           post_conversation(portal, parent.auth, pid, conversation_body(patient), "k" * 129), "Idempotency-Key")
    r = portal.post(conversations_path(pid), token=parent.auth, data=b"subject=help",
                    headers={"Content-Type": "application/x-www-form-urlencoded", **keyed(None)})
    if r.status_code != 415:
        wrong.append(f"a form body: expected 415: {describe(r)}")
    assert conversations(portal, parent.auth, pid) == [], "a refused conversation was made"

    c = start(portal, parent.auth, patient)
    cid = c["id"]
    version = listed(portal, staff.auth, pid, cid)["version"]
    for what, body, name in (("an empty reply", {"body": ""}, "body"),
                             ("a reply over 5,000", {"body": "x" * 5001}, "body"), ("no body", {}, "body"),
                             ("an unknown field", {"body": "ok", "to": "Dr. X"}, "to")):
        expect(f"reply: {what}", portal.post(conversations_path(pid, cid, "messages"), token=parent.auth, json=body,
                                             headers=keyed(None)), name)
    for what, body, name in (("an empty note", {"text": ""}, "text"),
                             ("a note over 2,000", {"text": "x" * 2001}, "text"), ("no text", {}, "text"),
                             ("an unknown field", {"text": "ok", "private": True}, "private")):
        expect(f"note: {what}", portal.post(office_path(cid, "notes"), token=staff.auth, json=body), name)
    for action in ("take", "close"):
        for what, body, name in (("no version", {}, "version"), ("a version in words", {"version": "one"}, "version"),
                                 ("a negative version", {"version": -1}, "version"),
                                 ("an unknown field", {"version": version, "to": "someone"}, "to")):
            expect(f"{action}: {what}", portal.post(office_path(cid, action), token=staff.auth, json=body), name)
    for query, name in (({"kind": "letters"}, "kind"), ({"status": "waiting"}, "status"),
                        ({"kind": "refill", "status": "open"}, "status"), ({"limit": 0}, "limit"),
                        ({"limit": 101}, "limit"), ({"limit": "x"}, "limit"), ({"clinic": "nowhere"}, "clinic")):
        expect(f"inbox {query}", get(portal, staff.auth, "/api/office/inbox", **query), name)
    assert not wrong, "\n".join(wrong)

    now = listed(portal, staff.auth, pid, cid)
    assert (now["status"], now["taken_by"], now["version"]) == ("open", None, version), now
    opened = open_conversation(portal, staff.auth, pid, cid)
    assert (len(opened["messages"]), opened["notes"]) == (1, []), opened

    subject = SECRETS.add(Kind.MESSAGE_TEXT, ("Rash " + letters(10) + " " + "x" * 120)[:120])
    text = SECRETS.add(Kind.MESSAGE_TEXT,
                       ("Rash since Tuesday.\nWorse at night.\n\n" + letters(10) + "x" * 5000)[:5000])
    long = start(portal, parent.auth, patient, subject=subject, body=text)
    assert open_conversation(portal, parent.auth, pid, long["id"])["messages"][0]["body"] == text


def bad_refill_bodies(good: dict, other_medication: str):
    """(what, body, the field named) for each rule of a refill request."""
    mid = good["medication_ids"][0]
    yield "no medication", {**good, "medication_ids": []}, "medication_ids"
    yield "21 medications", {**good, "medication_ids": [mid] + [str(uuid.uuid4()) for _ in range(20)]}, "medication_ids"
    yield "a medication twice", {**good, "medication_ids": [mid, mid]}, "medication_ids"
    yield "an unknown medication", {**good, "medication_ids": [str(uuid.uuid4())]}, "medication_ids"
    yield "a malformed medication id", {**good, "medication_ids": ["amoxicillin"]}, "medication_ids"
    yield "another patient's medication", {**good, "medication_ids": [mid, other_medication]}, "medication_ids"
    yield "no medication_ids", {k: v for k, v in good.items() if k != "medication_ids"}, "medication_ids"
    yield "a pharmacy word that is not preferred", {**good, "pharmacy": "nearest"}, "pharmacy"
    yield "a pharmacy without an address", {**good, "pharmacy": {"name": "Corner Pharmacy", "phone": "617 555 0100"}}, \
        "pharmacy"
    yield "a pharmacy name over 100", {**good, "pharmacy": {**good["pharmacy"], "name": "x" * 101}}, "pharmacy"
    yield "a pharmacy phone of words", {**good, "pharmacy": {**good["pharmacy"], "phone": "call me"}}, "pharmacy"
    yield "no pharmacy", {k: v for k, v in good.items() if k != "pharmacy"}, "pharmacy"
    yield "a note over 1,000", {**good, "note": "x" * 1001}, "note"
    yield "an empty note", {**good, "note": ""}, "note"
    yield "an unknown field", {**good, "urgent": True}, "urgent"


def test_bad_refill_requests_and_answers_are_400_naming_the_field_and_change_nothing(portal, office):
    """Each rule of a refill request (including a medication that is stopped or not the
    patient's) and of the office's answer: a 400 whose `field` names what is wrong, and nothing
    changes."""
    staff = office["staff"]
    patient, parent, (med, second) = with_medications(portal, (AMOXICILLIN, 2), (CETIRIZINE, 1))
    pid = patient["id"]
    _, _, (theirs,) = with_medications(portal, (AMOXICILLIN, 1))
    wrong = []

    def expect(what, r, name):
        try:
            problem_field(r, 400, name)
        except AssertionError as e:
            wrong.append(f"{what}: {e}")

    good = refill_body([med["id"]], new_pharmacy())
    for what, body, name in bad_refill_bodies(good, theirs["id"]):
        expect(what, post_refill(portal, parent.auth, pid, body), name)
    assert not wrong, "\n".join(wrong)
    assert refills_of(portal, parent.auth, pid) == [], "a refused refill request was made"

    req = ask_refill(portal, parent.auth, pid, [med["id"], second["id"]])
    a = {"medication_id": med["id"], "status": "approved"}
    bad = [
        ("no answers", {"answers": [], "version": req["version"]}, "answers"),
        ("status requested", {"answers": [{**a, "status": "requested"}], "version": req["version"]},
         "answers[0].status"),
        ("a status that is none", {"answers": [{**a, "status": "maybe"}], "version": req["version"]}, "answers"),
        ("denied without a reason", {"answers": [a, {"medication_id": second["id"], "status": "denied"}],
                                     "version": req["version"]}, "answers[1].reason"),
        ("a reason over 1,000", {"answers": [{**a, "status": "denied", "reason": "x" * 1001}],
                                 "version": req["version"]}, "answers"),
        ("a medication not in the request", {"answers": [{**a, "medication_id": theirs["id"]}],
                                             "version": req["version"]}, "answers[0].medication_id"),
        ("no version", {"answers": [a]}, "version"),
        ("an unknown field", {"answers": [a], "version": req["version"], "signed": True}, "signed"),
    ]
    for what, body, name in bad:
        expect(f"answer: {what}", portal.post(f"/api/office/refill-requests/{req['id']}/answer", token=staff.auth,
                                              json=body), name)
    assert not wrong, "\n".join(wrong)
    [now] = refills_of(portal, parent.auth, pid)
    assert contract(now, REFILL_KEYS) == contract(req, REFILL_KEYS), "a refused answer changed the request"


def test_a_stopped_medication_cannot_be_asked_for(portal):
    """A medication taken off the list (stopped) is no longer one the family may ask for: 400
    naming medication_ids."""
    patient = register(portal)
    pid = patient["id"]
    rx = prescription(pid, AMOXICILLIN, 9, last_updated=moment(3))
    send(portal, rx)
    parent = portal.make_holder(patient, "parent")
    [med] = medications(portal, parent.auth, pid)
    send(portal, revised(rx, status="stopped", meta={"lastUpdated": moment(1)}), expected=["200"])
    problem_field(post_refill(portal, parent.auth, pid, refill_body([med["id"]])), 400, "medication_ids")
    assert refills_of(portal, parent.auth, pid) == []


# ---------------------------------------------------------------------------- confidentiality


@pytest.fixture
def teen(portal):
    """A 14-year-old of cardiology with a parent, a guardian and an own account."""
    patient = register(portal, birth=years_before(14))
    return {"patient": patient, **{rel: portal.make_holder(patient, rel) for rel in ("parent", "guardian", "self")}}


def unread_total(portal, token, pid: str) -> int:
    """The count of unread conversations the family's menu shows: those listed with unread > 0."""
    return sum(1 for c in conversations(portal, token, pid) if c["unread"] > 0)


def test_a_teen_marks_a_conversation_confidential_and_the_parents_do_not_see_it(portal, office, teen):
    """The teen's own account sends confidential=true (201); staff reply to it and to an open
    one. The parent and the guardian list only the open one, with one unread conversation; the
    confidential one is the unknown's 404 to open or to reply to. The teen sees both unread, the
    clinic both in its inbox. A parent sending confidential=true gets 403 naming it, and nothing
    is made."""
    staff = office["staff"]
    patient = teen["patient"]
    pid = patient["id"]
    secret = start(portal, teen["self"].auth, patient, confidential=True)
    assert secret["confidential"] is True
    plain = start(portal, teen["self"].auth, patient)
    for c in (secret, plain):
        sent(portal, staff.auth, pid, c["id"], words("The nurse will call you about"))
    for rel in ("parent", "guardian"):
        token = teen[rel].auth
        assert [c["id"] for c in conversations(portal, token, pid)] == [plain["id"]], rel
        assert unread_total(portal, token, pid) == 1, rel
        unknown = assert_problem(portal.get(conversations_path(pid, str(uuid.uuid4())), token=token), 404)
        assert assert_problem(portal.get(conversations_path(pid, secret["id"]), token=token), 404) == unknown, rel
        unknown = assert_problem(reply(portal, token, pid, str(uuid.uuid4()), words("Hello")), 404)
        assert assert_problem(reply(portal, token, pid, secret["id"], words("Hello")), 404) == unknown, rel
    assert [c["id"] for c in conversations(portal, teen["self"].auth, pid)] == [plain["id"], secret["id"]]
    assert unread_total(portal, teen["self"].auth, pid) == 2
    assert {plain["id"], secret["id"]} <= set(ids_in(portal, staff.auth, clinic=CARDIOLOGY))
    assert {c["id"] for c in conversations(portal, staff.auth, pid)} == {plain["id"], secret["id"]}
    assert len(open_conversation(portal, teen["self"].auth, pid, secret["id"])["messages"]) == 2, \
        "a parent's refused reply was added"

    r = post_conversation(portal, teen["parent"].auth, pid, conversation_body(patient, confidential=True))
    problem_field(r, 403, "confidential")
    assert len(conversations(portal, teen["self"].auth, pid)) == 2, "the refused conversation was made"


def test_a_restricted_prescription_of_a_teen_is_hidden_from_the_parents(portal, office, teen):
    """A MedicationRequest marked restricted (meta.security R) is not listed for the parent or
    guardian, and asking them for its refill is the 400 of a medication not on the list. The
    teen and the clinic see it; the teen's refill request of it is confidential and is not
    listed for the parent or guardian, even once answered; a refill of the open one is."""
    staff = office["staff"]
    patient = teen["patient"]
    pid = patient["id"]
    hidden = prescription(pid, NORETHINDRONE, 6, restricted="R")
    shown = prescription(pid, CETIRIZINE, 5)
    send(portal, hidden, shown)
    secret_med = medication_of(portal, teen["self"].auth, pid, hidden)
    open_med = medication_of(portal, teen["self"].auth, pid, shown)
    assert medication_of(portal, staff.auth, pid, hidden)["id"] == secret_med["id"]
    for rel in ("parent", "guardian"):
        token = teen[rel].auth
        assert [m["id"] for m in medications(portal, token, pid)] == [open_med["id"]], rel
        unknown = problem_field(post_refill(portal, token, pid, refill_body([str(uuid.uuid4())])), 400,
                                "medication_ids")
        denied = problem_field(post_refill(portal, token, pid, refill_body([secret_med["id"]])), 400, "medication_ids")
        assert denied == unknown, rel
    assert refills_of(portal, teen["self"].auth, pid) == []

    secret = ask_refill(portal, teen["self"].auth, pid, [secret_med["id"], open_med["id"]])
    assert secret["confidential"] is True, secret
    plain = ask_refill(portal, teen["self"].auth, pid, [open_med["id"]])
    assert plain["confidential"] is False, plain
    for who in (teen["self"], staff):
        assert [r["id"] for r in refills_of(portal, who.auth, pid)] == [plain["id"], secret["id"]]
    for rel in ("parent", "guardian"):
        assert [r["id"] for r in refills_of(portal, teen[rel].auth, pid)] == [plain["id"]], rel
    done = body_of(answer(portal, staff.auth, secret["id"],
                          [{"medication_id": secret_med["id"], "status": "approved"},
                           {"medication_id": open_med["id"], "status": "approved"}], secret["version"]))
    assert done["status"] == "answered"
    for rel in ("parent", "guardian"):
        assert [r["id"] for r in refills_of(portal, teen[rel].auth, pid)] == [plain["id"]], rel
        never_in([NORETHINDRONE.name], portal.get(patient_path(pid, "refill-requests"), token=teen[rel].auth),
                 portal.get(patient_path(pid, "medications"), token=teen[rel].auth))


def test_a_restricted_prescription_of_a_child_under_12_is_shown_to_the_parent(portal):
    patient = register(portal, birth=years_before(8))
    pid = patient["id"]
    rx = prescription(pid, CETIRIZINE, 3, restricted="R")
    send(portal, rx)
    parent = portal.make_holder(patient, "parent")
    med = medication_of(portal, parent.auth, pid, rx)
    assert ask_refill(portal, parent.auth, pid, [med["id"]])["confidential"] is True


# ------------------------------------------------------------------------------- authorization


def patient_calls(pid: str, cid: str, medication_id: str, clinic: str) -> dict:
    """Each patient route of issue 13, as a call of (portal, token)."""
    return {
        "GET conversations": lambda p, t: p.get(conversations_path(pid), token=t),
        "POST conversations": lambda p, t: post_conversation(p, t, pid, conversation_body({"clinic": clinic})),
        "GET conversation": lambda p, t: p.get(conversations_path(pid, cid), token=t),
        "POST messages": lambda p, t: reply(p, t, pid, cid, "Thank you."),
        "GET medications": lambda p, t: p.get(patient_path(pid, "medications"), token=t),
        "GET refill-requests": lambda p, t: p.get(patient_path(pid, "refill-requests"), token=t),
        "POST refill-requests": lambda p, t: post_refill(p, t, pid, refill_body([medication_id])),
    }


FAMILY_ONLY = ("POST conversations", "POST refill-requests")  # the family asks; never the office


def office_calls(cid: str, rid: str, medication_id: str, version: int) -> dict:
    return {
        "take": lambda p, t: take(p, t, cid, version),
        "close": lambda p, t: close(p, t, cid, version),
        "notes": lambda p, t: add_note(p, t, cid, "A note"),
        "answer": lambda p, t: answer(p, t, rid, [{"medication_id": medication_id, "status": "approved"}], version),
    }


def test_other_clinics_and_families_get_the_unknowns_404_on_every_route(portal, office):
    """Staff of another clinic and a family of another patient, on a patient with a
    prescription, a conversation and a refill request: every patient route answers what an
    unknown patient id gets (404), except that the family-only POSTs (a new conversation, a
    refill request) answer staff and admins 403 whatever the patient (the lead's convention).
    The office routes by id answer staff of another clinic the unknown id's 404 (`No
    conversation with this id.`, `No refill request with this id.`; also for a malformed id),
    and families 403, also on the inbox and the counts. A family asking, under its own patient,
    for the other patient's conversation gets the unknown's 404, and for its medication the 400
    of a medication not on the list. Nothing changed."""
    staff, other = office["staff"], office["other"]
    patient, parent, (med,) = with_medications(portal, (AMOXICILLIN, 2))
    pid = patient["id"]
    c = start(portal, parent.auth, patient)
    req = ask_refill(portal, parent.auth, pid, [med["id"]])
    version = listed(portal, staff.auth, pid, c["id"])["version"]
    other_patient, other_family = family(portal)
    wrong = []

    def compare(label, denied, unknown, status=404):
        if denied.status_code != status or unknown.status_code != status or denied.json() != unknown.json():
            wrong.append(f"{label}: {describe(denied)} / unknown: {describe(unknown)}")

    nobody = str(uuid.uuid4())
    real = patient_calls(pid, c["id"], med["id"], CARDIOLOGY)
    fake = patient_calls(nobody, str(uuid.uuid4()), str(uuid.uuid4()), CARDIOLOGY)
    for who, token in (("staff of another clinic", other.auth), ("another family", other_family.auth)):
        for route in real:
            status = 403 if who.startswith("staff") and route in FAMILY_ONLY else 404
            compare(f"{who}, {route}", real[route](portal, token), fake[route](portal, token), status)
    for who in ("staff", "admin"):
        for route in FAMILY_ONLY:
            r = real[route](portal, office[who].auth)
            if r.status_code != 403:
                wrong.append(f"{who} of the patient's clinic, {route}: expected 403: {describe(r)}")
    own = patient_calls(other_patient["id"], c["id"], med["id"], CARDIOLOGY)
    own_unknown = patient_calls(other_patient["id"], str(uuid.uuid4()), str(uuid.uuid4()), CARDIOLOGY)
    for route in ("GET conversation", "POST messages"):
        compare(f"another family, own patient, {route}", own[route](portal, other_family.auth),
                own_unknown[route](portal, other_family.auth))
    compare("another family, own patient, a refill of this patient's medication",
            own["POST refill-requests"](portal, other_family.auth),
            own_unknown["POST refill-requests"](portal, other_family.auth), 400)

    real_office = office_calls(c["id"], req["id"], med["id"], version)
    fake_office = office_calls(str(uuid.uuid4()), str(uuid.uuid4()), med["id"], version)
    malformed = office_calls("not-a-conversation", "not-a-request", med["id"], version)
    for route in real_office:
        denied = real_office[route](portal, other.auth)
        compare(f"staff of another clinic, office {route}", denied, fake_office[route](portal, other.auth))
        compare(f"staff of another clinic, office {route}, malformed id", denied, malformed[route](portal, other.auth))
        compare(f"staff of the clinic, office {route}, unknown id", fake_office[route](portal, staff.auth),
                malformed[route](portal, staff.auth))
        says = NO_REFILL if route == "answer" else NO_CONVERSATION
        if denied.status_code == 404 and says not in (denied.json()["detail"], denied.json()["title"]):
            wrong.append(f"office {route}: the 404 does not say {says!r}: {describe(denied)}")
        for fam, token in (("the family", parent.auth), ("another family", other_family.auth)):
            r = real_office[route](portal, token)
            if r.status_code != 403:
                wrong.append(f"{fam}, office {route}: expected 403: {describe(r)}")
    for fam, token in (("the family", parent.auth), ("another family", other_family.auth)):
        for what, path in (("the inbox", "/api/office/inbox"), ("the refill inbox", "/api/office/inbox?kind=refill"),
                           ("the counts", "/api/office/counts")):
            r = portal.get(path, token=token)
            if r.status_code != 403:
                wrong.append(f"{fam}, {what}: expected 403: {describe(r)}")
    r = get(portal, other.auth, "/api/office/inbox", clinic=CARDIOLOGY)
    if r.status_code != 403:
        wrong.append(f"staff of another clinic, the inbox of cardiology: expected 403: {describe(r)}")
    for route, call in real.items():
        r = call(portal, None)
        if r.status_code != 401:
            wrong.append(f"no token, {route}: {describe(r)}")
    for route, call in real_office.items():
        r = call(portal, None)
        if r.status_code != 401:
            wrong.append(f"no token, office {route}: {describe(r)}")
    assert not wrong, "\n".join(wrong)

    assert [x["id"] for x in conversations(portal, parent.auth, pid)] == [c["id"]]
    now = open_conversation(portal, staff.auth, pid, c["id"])
    assert (len(now["messages"]), now["notes"], now["status"], now["taken_by"]) == (1, [], "open", None), now
    [r] = refills_of(portal, parent.auth, pid)
    assert (r["id"], r["status"], r["version"]) == (req["id"], "requested", req["version"]), r
    assert conversations(portal, other_family.auth, other_patient["id"]) == []
    assert refills_of(portal, other_family.auth, other_patient["id"]) == []


# ------------------------------------------------------------------------------ the inbox


def test_the_inbox_is_oldest_waiting_first_per_clinic_and_every_clinic_for_admins(portal, office):
    """Conversations at GI, neurology, GI (in that order): GI's staff see the two of theirs,
    oldest waiting first, paged one by one, each with the patient and the days waited; staff of
    both clinics see all three, or one clinic's with clinic=; a clinic not theirs is 403. A staff
    reply sends a conversation to the back (it waits again from the family's next message);
    closed ones are listed with status=closed. The refill inbox works the same way. Admins see
    every clinic's inbox, oldest first throughout."""
    gi = portal.make_staff(clinics=(GI,))
    both = portal.make_staff(clinics=(GI, NEUROLOGY))
    admin = office["admin"]
    made = []
    for clinic in (GI, NEUROLOGY, GI):
        patient, parent, (med,) = with_medications(portal, (ALBUTEROL, 2), clinic=clinic)
        made.append((patient, parent, med, start(portal, parent.auth, patient)))
        time.sleep(0.01)
    ids = [c["id"] for *_, c in made]

    items = inbox(portal, gi.auth)
    assert [i["id"] for i in items] == [ids[0], ids[2]]
    for item, (patient, *_rest) in zip(items, (made[0], made[2])):
        assert (item["patient"], item["age_days"], item["unread"]) == (of_patient(patient), 0, 1), item
    assert [i["id"] for i in inbox(portal, gi.auth, limit=1)] == [ids[0], ids[2]], "paged one by one"
    assert ids_in(portal, gi.auth, clinic=GI) == [ids[0], ids[2]]
    assert ids_in(portal, gi.auth, kind="conversation") == [ids[0], ids[2]]
    assert ids_in(portal, both.auth) == ids
    assert ids_in(portal, both.auth, clinic=NEUROLOGY) == [ids[1]]
    assert_problem(get(portal, gi.auth, "/api/office/inbox", clinic=NEUROLOGY), 403)
    assert_problem(get(portal, gi.auth, "/api/office/inbox", clinic=CARDIOLOGY), 403)
    everything = inbox(portal, admin.auth)
    assert [i for i in (x["id"] for x in everything) if i in ids] == ids
    assert {i["clinic"] for i in everything} >= {GI, NEUROLOGY}
    assert ids_in(portal, admin.auth, clinic=NEUROLOGY) == [ids[1]]

    patient0, parent0, _, first = made[0]
    sent(portal, gi.auth, patient0["id"], first["id"], words("Please try the cream for"))
    assert ids_in(portal, gi.auth) == [ids[2], ids[0]], "an answered conversation still waits first"
    sent(portal, parent0.auth, patient0["id"], first["id"], words("It did not help with"))
    assert ids_in(portal, gi.auth) == [ids[2], ids[0]]
    version = listed(portal, gi.auth, made[2][0]["id"], ids[2])["version"]
    assert close(portal, gi.auth, ids[2], version).status_code == 200
    assert ids_in(portal, gi.auth) == [ids[0]]
    assert ids_in(portal, gi.auth, status="closed") == [ids[2]]

    refills = []
    for patient, parent, med, _ in made:
        refills.append(ask_refill(portal, parent.auth, patient["id"], [med["id"]]))
        time.sleep(0.01)
    rids = [r["id"] for r in refills]
    assert ids_in(portal, gi.auth, kind="refill") == [rids[0], rids[2]]
    assert ids_in(portal, gi.auth, kind="refill", status="requested") == [rids[0], rids[2]]
    assert [i["id"] for i in inbox(portal, gi.auth, kind="refill", limit=1)] == [rids[0], rids[2]]
    assert ids_in(portal, both.auth, kind="refill") == rids
    assert ids_in(portal, both.auth, kind="refill", clinic=NEUROLOGY) == [rids[1]]
    assert [i for i in ids_in(portal, admin.auth, kind="refill") if i in rids] == rids
    assert_problem(get(portal, gi.auth, "/api/office/inbox", kind="refill", clinic=NEUROLOGY), 403)
    r = answer(portal, gi.auth, rids[0], [{"medication_id": made[0][2]["id"], "status": "approved"}],
               refills[0]["version"])
    assert r.status_code == 200, describe(r)
    assert ids_in(portal, gi.auth, kind="refill") == [rids[2]]
    assert ids_in(portal, gi.auth, kind="refill", status="answered") == [rids[0]]


def test_the_counts_are_of_the_callers_clinics(portal, office):
    """GET /api/office/counts: the open appointment requests, open conversations and requested
    refills of the caller's clinics (orthopedics here); staff of another clinic (primary care)
    count none of them; an admin counts them all (each new one adds one to the admin's counts).
    A close and an answer take one off; a confidential conversation counts for the office."""
    ortho = portal.make_staff(clinics=(ORTHOPEDICS,))
    elsewhere = portal.make_staff(clinics=(PRIMARY_CARE,))
    admin = office["admin"]
    zero = {"appointment_requests": 0, "conversations": 0, "refill_requests": 0}
    assert counts(portal, ortho.auth) == zero
    before = counts(portal, admin.auth)

    patient, parent, (med,) = with_medications(portal, (AMOXICILLIN, 1), clinic=ORTHOPEDICS, birth=years_before(15))
    pid = patient["id"]
    own = portal.make_holder(patient, "self")
    r = portal.post(patient_path(pid, "appointment-requests"), token=parent.auth, headers=keyed(None), json={
        "clinic": ORTHOPEDICS, "kind": "follow-up", "reason": words("Cast check for"), "days": ["mon"],
        "times": ["morning"], "earliest": (today_utc() + dt.timedelta(days=3)).isoformat(), "phone": new_phone()})
    assert r.status_code == 201, describe(r)
    first = start(portal, parent.auth, patient)
    start(portal, own.auth, patient, confidential=True)
    req = ask_refill(portal, parent.auth, pid, [med["id"]])
    want = {"appointment_requests": 1, "conversations": 2, "refill_requests": 1}
    assert counts(portal, ortho.auth) == want
    assert counts(portal, elsewhere.auth) == zero
    after = counts(portal, admin.auth)
    assert {k: after[k] - before[k] for k in COUNT_KEYS} == want, (before, after)

    sent(portal, ortho.auth, pid, first["id"], words("We will see him on"))
    assert counts(portal, ortho.auth) == want, "an answered conversation is still open"
    version = listed(portal, ortho.auth, pid, first["id"])["version"]
    assert close(portal, ortho.auth, first["id"], version).status_code == 200
    r = answer(portal, ortho.auth, req["id"], [{"medication_id": med["id"], "status": "approved"}], req["version"])
    assert r.status_code == 200, describe(r)
    assert counts(portal, ortho.auth) == {"appointment_requests": 1, "conversations": 1, "refill_requests": 0}
    assert counts(portal, elsewhere.auth) == zero
    for token in (parent.auth, own.auth):
        assert_problem(portal.get("/api/office/counts", token=token), 403)
    assert_problem(portal.get("/api/office/counts"), 401)


# ------------------------------------------------------------------------------ notifications


def news_to(portal, account) -> list:
    return [m for m in portal.mails_to(account.email) if m.subject == NEWS]


def wait_for_news(portal, account, count: int) -> list:
    """The account's news emails once there are `count` (bounded poll), checked to be exactly
    that many."""
    deadline = time.monotonic() + MAIL_DEADLINE_S
    while len(news_to(portal, account)) < count and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_S)
    mails = news_to(portal, account)
    assert len(mails) == count, f"[{portal.backend}] {len(mails)} news emails, expected {count}"
    return mails


def check_names_nothing(portal, mail, patient: dict, *texts: str) -> None:
    body = (mail.subject + "\n" + mail.text).lower()
    for value in (patient["given_name"], patient["family_name"], patient["birth_date"], *CLINIC_NAMES.values(),
                  *texts):
        assert value.lower() not in body, f"the news email names {value!r}"
    assert dates_in(mail.text) == [], mail.text
    assert portal.base in mail.text, mail.text


def test_a_staff_reply_and_an_answered_refill_tell_the_family_once_an_hour(portal):
    """A staff reply and an answered refill request each bring one PHI-free "New information"
    email (no subject, message, medication, pharmacy, clinic or patient named) to an account of
    the family that has had none this hour. One account gets at most one an hour, so each step
    adds a guardian just before it and looks at that guardian's mail right after. The family's
    own messages and refill requests, the office's notes, take and close tell no one; the staff
    are never emailed the family's messages."""
    staff = portal.make_staff(clinics=(INFECTIOUS,))
    patient, parent, (amox, inhaler) = with_medications(portal, (AMOXICILLIN, 2), (ALBUTEROL, 1), clinic=INFECTIOUS)
    pid = patient["id"]
    pharmacy = new_pharmacy()
    texts = [AMOXICILLIN.name, ALBUTEROL.name, pharmacy["name"], pharmacy["address"]]
    wrong = []

    def step(what: str, act, expected: int = 1) -> None:
        guardian = portal.make_holder(patient, "guardian")
        act()
        deadline = time.monotonic() + (MAIL_DEADLINE_S if expected else 0)
        while len(news_to(portal, guardian)) < expected and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL_S)
        if not expected:
            time.sleep(0.5)  # what would have been sent has had its time
        mails = news_to(portal, guardian)
        if len(mails) != expected:
            wrong.append(f"{what}: {len(mails)} news emails to the guardian added just before, expected {expected}")
        for mail in mails:
            check_names_nothing(portal, mail, patient, *texts)

    def ok(r, status=201):
        assert r.status_code == status, describe(r)
        return r.json()

    holder = {}
    subject, body = words("Ear pain"), words("He says his ear hurts since")
    texts += [subject, body]
    step("the family's new conversation",
         lambda: holder.update(start(portal, parent.auth, patient, subject=subject, body=body)), 0)
    cid = holder["id"]
    reply_text = words("Please bring him in tomorrow for")
    texts.append(reply_text)
    step("a staff reply", lambda: ok(reply(portal, staff.auth, pid, cid, reply_text)))
    [mail] = wait_for_news(portal, parent, 1)
    check_names_nothing(portal, mail, patient, *texts)
    step("a second staff reply", lambda: ok(reply(portal, staff.auth, pid, cid, words("We have an opening at"))))
    step("the family's reply", lambda: ok(reply(portal, parent.auth, pid, cid, words("Thank you, we will come"))), 0)
    note = words("Grandmother brings him")
    texts.append(note)
    step("an internal note", lambda: ok(add_note(portal, staff.auth, cid, note)), 0)

    def take_and_close():
        version = listed(portal, staff.auth, pid, cid)["version"]
        taken = ok(take(portal, staff.auth, cid, version), 200)
        ok(close(portal, staff.auth, cid, taken["version"]), 200)

    step("take and close", take_and_close, 0)
    req = {}
    step("the family's refill request", lambda: req.update(ask_refill(portal, parent.auth, pid,
                                                                      [amox["id"], inhaler["id"]], pharmacy)), 0)
    why = words("Needs a check of the dose before")
    texts.append(why)
    step("a refill answered", lambda: ok(answer(portal, staff.auth, req["id"], [
        {"medication_id": amox["id"], "status": "approved"},
        {"medication_id": inhaler["id"], "status": "denied", "reason": why}], req["version"]), 200))
    assert not wrong, "\n".join(wrong)
    assert len(news_to(portal, parent)) == 1, "more than one news email in an hour"
    assert news_to(portal, staff) == [], "a staff member was emailed news of the family's messages"
    for mail in portal.mails_to(staff.email) + portal.mails_to(parent.email):
        body = (mail.subject + "\n" + mail.text).lower()
        assert not [t for t in texts if t.lower() in body], "an email holds a message, medication or pharmacy"


def test_confidential_news_of_a_teen_reaches_the_teen_only(portal):
    """A staff reply in the teen's confidential conversation, and the answer to a refill
    request of a restricted prescription: news to the teen's own account, none to the parent or
    guardian. Then a reply in an open conversation: news to them."""
    staff = portal.make_staff(clinics=(INFECTIOUS,))
    patient = register(portal, INFECTIOUS, years_before(15))
    pid = patient["id"]
    send(portal, prescription(pid, NORETHINDRONE, 4, restricted="R"))
    parent, guardian = portal.make_holder(patient, "parent"), portal.make_holder(patient, "guardian")
    own = portal.make_holder(patient, "self")
    secret = start(portal, own.auth, patient, confidential=True)
    r = reply(portal, staff.auth, pid, secret["id"], words("Your results are in; call us about"))
    assert r.status_code == 201, describe(r)
    wait_for_news(portal, own, 1)
    assert news_to(portal, parent) == [] and news_to(portal, guardian) == [], \
        "a parent was told of a confidential conversation"

    [med] = medications(portal, own.auth, pid)
    req = ask_refill(portal, own.auth, pid, [med["id"]])
    assert req["confidential"] is True
    r = answer(portal, staff.auth, req["id"], [{"medication_id": med["id"], "status": "approved"}], req["version"])
    assert r.status_code == 200, describe(r)
    time.sleep(0.5)
    assert news_to(portal, parent) == [] and news_to(portal, guardian) == [], \
        "a parent was told of a restricted prescription's refill"

    plain = start(portal, own.auth, patient)
    r = reply(portal, staff.auth, pid, plain["id"], words("The clinic is closed on"))
    assert r.status_code == 201, describe(r)
    wait_for_news(portal, parent, 1)
    wait_for_news(portal, guardian, 1)
    assert len(news_to(portal, own)) == 1
