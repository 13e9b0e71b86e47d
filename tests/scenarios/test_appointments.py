"""Issue 12: appointments. Booked visits come in as FHIR `Appointment` resources through
`POST /dev/fhir` (the local run's way in, `Portal.post_fhir`); the family reads them
(GET /api/patients/{id}/appointments, .../{appointment_id}/calendar), asks for visits
("New Appointment": POST /api/patients/{id}/appointment-requests, with an Idempotency-Key),
cancels a request while it is still requested, asks to cancel a booked visit
(.../appointments/{appointment_id}/cancel-request); the office works its queue
(GET /api/office/appointment-requests[/{request_id}], .../schedule, .../decline, .../confirm,
.../notes). The contract: `issues show 12` and /work/notes/appointments.md.

Every id and MRN is fresh and every queue test uses clinics of its own, since each backend's
portal is shared by the whole session. Times the office sends are written with New York's
offset (as the hospital's office would), the FHIR ones in UTC or with an offset; instants are
compared as instants, however written.

What the family must never read anywhere (visit lists, requests, the calendar file, the
email): an Appointment's reasonCode and comment, the office's internal notes. The .ics file
holds no visit type, instructions or reason either."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import icalendar
import pytest

import fhir_bundles as fhir
from patients import family, office, register  # noqa: F401 (office is a fixture)
from conftest import (
    CARDIOLOGY, CLINIC_NAMES, ENDOCRINE, MAIL_DEADLINE_S, POLL_INTERVAL_S, SECRETS, Kind, assert_no_store,
    assert_problem, check_problem_shape, dates_in, describe, letters, new_patient_body, new_phone, patient_path, slug,
    today_utc, years_before,
)
from fhir_bundles import appointment, literal, moment, revised

NEW_YORK = ZoneInfo("America/New_York")
SUBJECT = "New information in the patient portal"
NO_REQUEST = "No appointment request with this id."
WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

VISIT_KEYS = {"id", "status", "start", "end", "clinic"}
REQUEST_KEYS = {"id", "clinic", "kind", "reason", "days", "times", "earliest", "phone", "confidential", "status",
                "created", "updated", "version"}
QUEUE_KEYS = REQUEST_KEYS | {"patient", "age_days"}

UROLOGY = slug("Pediatric Urology")          # the queue test's clinics, used by no other test
SURGERY = slug("Pediatric Surgery")
PULMONARY = slug("Pediatric Pulmonary")      # the notification tests' clinic
assert {UROLOGY, SURGERY, PULMONARY} <= set(CLINIC_NAMES)


# ------------------------------------------------------------------------------------- values


def text(what: str) -> str:
    """A made-up piece of free text about a visit, unique, registered as PHI for the log test."""
    return SECRETS.add(Kind.APPOINTMENT_TEXT, f"{what} {letters(10)}")


def at_utc(days: int, hour: int, minute: int = 0) -> str:
    """`days` days from today (UTC), at hour:minute UTC, written with "Z"."""
    d = today_utc() + dt.timedelta(days=days)
    return dt.datetime(d.year, d.month, d.day, hour, minute, tzinfo=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def at_ny(days: int, hour: int, minute: int = 0) -> str:
    """`days` days from today, at hour:minute in New York, written with New York's offset that
    day (e.g. 2026-12-03T09:30:00-05:00)."""
    d = today_utc() + dt.timedelta(days=days)
    return dt.datetime(d.year, d.month, d.day, hour, minute, tzinfo=NEW_YORK).isoformat()


def plus(instant: str, minutes: int) -> str:
    return (fhir.instant(instant) + dt.timedelta(minutes=minutes)).isoformat()


def same_time(a, b) -> bool:
    return a is not None and b is not None and fhir.instant(a) == fhir.instant(b)


def utc_of(instant: str) -> dt.datetime:
    return fhir.instant(instant).astimezone(dt.timezone.utc)


def is_utc_stamp(value) -> bool:
    try:
        return fhir.instant(value).tzinfo is not None
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------------------------ patients


# ---------------------------------------------------------------------------------- FHIR in


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


def visit_of(portal, token, pid: str, sent: dict, when: str = "upcoming") -> dict:
    """The one visit of the list showing the Appointment `sent` (same start)."""
    found = [v for v in all_visits(portal, token, pid, when) if same_time(v["start"], sent["start"])]
    assert len(found) == 1, f"{len(found)} visits start at {sent['start']}"
    return found[0]


# ---------------------------------------------------------------------------------- the API


def get(portal, token, path: str, **query):
    return portal.get(path + (f"?{urlencode(query)}" if query else ""), token=token)


def body_of(r) -> dict:
    assert r.status_code == 200, describe(r)
    assert_no_store(r)
    return r.json()


def visits(portal, token, pid: str, **query) -> dict:
    body = body_of(get(portal, token, patient_path(pid, "appointments"), **query))
    assert set(body) == {"items", "cursor"}, body
    for v in body["items"]:
        check_visit(v)
    return body


def all_visits(portal, token, pid: str, when: str = "upcoming") -> list[dict]:
    items, cursor = [], None
    for _ in range(50):
        page = visits(portal, token, pid, when=when, limit=100, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["cursor"]
        if cursor is None:
            return items
    pytest.fail("the visit list never ended")


def calendar(portal, token, pid: str, appointment_id: str):
    return portal.get(patient_path(pid, f"appointments/{appointment_id}/calendar"), token=token)


def requests_of(portal, token, pid: str) -> list[dict]:
    items, cursor = [], None
    for _ in range(50):
        body = body_of(get(portal, token, patient_path(pid, "appointment-requests"), limit=100,
                           **({"cursor": cursor} if cursor else {})))
        assert set(body) == {"items", "cursor"}, body
        for req in body["items"]:
            check_request(req)
        items += body["items"]
        cursor = body["cursor"]
        if cursor is None:
            return items
    pytest.fail("the request list never ended")


def request_body(patient: dict, **changes) -> dict:
    """A valid New Appointment body for the patient's clinic: a fresh reason, Mon/Wed/Fri
    mornings, from the day after tomorrow, a phone."""
    body = {"clinic": patient["clinic"], "kind": "new-problem", "reason": text("Wheezing at night since"),
            "days": ["mon", "wed", "fri"], "times": ["morning"],
            "earliest": (today_utc() + dt.timedelta(days=2)).isoformat(), "phone": new_phone()}
    body.update(changes)
    return body


def post_request(portal, token, pid: str, body, key: str | None = None):
    return portal.post(patient_path(pid, "appointment-requests"), token=token, json=body,
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


def new_request(portal, token, patient: dict, **changes) -> dict:
    """A request that must be created (201): the answer's body."""
    body = request_body(patient, **changes)
    r = post_request(portal, token, patient["id"], body)
    assert r.status_code == 201, describe(r)
    req = r.json()
    check_request(req)
    got = {k: req[k] for k in ("clinic", "kind", "reason", "days", "times", "earliest", "phone")}
    assert got == {k: body[k] for k in got}, req
    assert (req["status"], req["confidential"]) == ("requested", body.get("confidential", False)), req
    return req


def cancel_request(portal, token, pid: str, rid: str):
    return portal.post(patient_path(pid, f"appointment-requests/{rid}/cancel"), token=token, json={})


def cancel_visit(portal, token, pid: str, appointment_id: str, body: dict | None = None, key: str | None = None):
    return portal.post(patient_path(pid, f"appointments/{appointment_id}/cancel-request"), token=token,
                       json=body if body is not None else {}, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def office_path(rid: str | None = None, action: str | None = None) -> str:
    return "/api/office/appointment-requests" + (f"/{rid}" if rid else "") + (f"/{action}" if action else "")


def queue(portal, token, **query) -> list[dict]:
    """Every item of the office queue with `query`, page by page."""
    items, cursor = [], None
    for _ in range(200):
        body = body_of(get(portal, token, office_path(), **{**query, **({"cursor": cursor} if cursor else {})}))
        assert set(body) == {"items", "cursor"}, body
        for item in body["items"]:
            check_queue_item(item)
        items += body["items"]
        cursor = body["cursor"]
        if cursor is None:
            return items
    pytest.fail("the queue never ended")


def office_request(portal, token, rid: str) -> dict:
    item = body_of(portal.get(office_path(rid), token=token))
    check_queue_item(item, detail=True)
    return item


def schedule(portal, token, rid: str, version, start: str, end: str | None = None, **extra):
    body = {"start": start, "end": end or plus(start, 30), "version": version, **extra}
    return portal.post(office_path(rid, "schedule"), token=token, json=body)


def decline(portal, token, rid: str, version, reason: str):
    return portal.post(office_path(rid, "decline"), token=token, json={"reason": reason, "version": version})


def confirm(portal, token, rid: str, version):
    return portal.post(office_path(rid, "confirm"), token=token, json={"version": version})


def add_note(portal, token, rid: str, note: str):
    return portal.post(office_path(rid, "notes"), token=token, json={"text": note})


# ---------------------------------------------------------------------------------- shapes


# The checks of every answer hold the keys and values the contract requires; an answer may
# carry more keys than the contract names (e.g. `patient_id`), which no test holds against it.


def check_visit(v: dict) -> None:
    assert VISIT_KEYS <= set(v), f"visit keys {sorted(v)}"
    assert isinstance(v["id"], str) and v["id"], v
    assert v["status"] in ("booked", "arrived", "fulfilled", "cancelled", "noshow"), v
    assert is_utc_stamp(v["start"]) and is_utc_stamp(v["end"]), v
    assert v["clinic"] in CLINIC_NAMES, v


def check_request(req: dict) -> None:
    # A cancellation request carries no wish for a time, and its reason is optional: earliest,
    # phone and reason may be absent (the shape test holds that they are, when no reason was given).
    required = REQUEST_KEYS - ({"earliest", "phone", "reason"} if req.get("kind") == "cancel" else set())
    assert required <= set(req), f"request keys: missing {sorted(required - set(req))}"
    assert req["status"] in ("requested", "scheduled", "declined", "cancelled", "confirmed"), req
    assert req["kind"] in ("new-problem", "follow-up", "other", "cancel"), req
    assert isinstance(req["version"], int) and not isinstance(req["version"], bool), req
    assert isinstance(req["confidential"], bool), req
    assert is_utc_stamp(req["created"]) and is_utc_stamp(req["updated"]), req
    assert fhir.instant(req["updated"]) >= fhir.instant(req["created"]), req


def check_queue_item(item: dict, detail: bool = False) -> None:
    extra = {"notes"} if detail else set()
    assert {"patient", "age_days"} | extra <= set(item), f"queue item keys: {sorted(item)}"
    check_request({k: v for k, v in item.items() if k not in ("patient", "age_days", "notes")})
    assert set(item["patient"]) == {"id", "given_name", "family_name", "birth_date"}, item["patient"]
    assert isinstance(item["age_days"], int) and item["age_days"] >= 0, item
    if detail:
        for n in item["notes"]:
            assert set(n) == {"text", "author", "at"} and is_utc_stamp(n["at"]), n


def of_patient(patient: dict) -> dict:
    return {k: patient[k] for k in ("id", "given_name", "family_name", "birth_date")}


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


def test_the_appointment_builder_makes_valid_r4_and_the_validation_can_fail():
    """What `fhir.appointment` builds validates with the fhir.resources R4B models, in every
    form the tests send; broken ones do not. (The models check structure and types, not code
    values: a status R4 does not have would pass.)"""
    pt = fhir.patient_resource({**new_patient_body(with_mrn=False), "mrn": "M" + letters(8).upper()})
    sent = [
        appointment(literal(str(uuid.uuid4())), start=at_utc(9, 14), clinic=CARDIOLOGY, location="Wang 3",
                    provider="Rosa Alvarez, MD", type="Follow-up visit", instructions="Bring the growth chart.",
                    reason="Chest pain", comment="Mother worried.", restricted="R", last_updated=moment(1)),
        appointment(fhir.by_mrn("M123"), start=at_ny(9, 9), status="cancelled", location="Pediatric Endocrine",
                    type="Routine", type_coding="ROUTINE"),
        appointment(fhir.ref_to(pt), start=at_ny(9, 10), service_type="Echocardiography", description="Echo"),
        appointment(literal(str(uuid.uuid4())), start=at_utc(-9, 14), status="checked-in"),
    ]
    fhir.validate_r4(fhir.bundle(pt, *sent, type="transaction"))
    for what, broken in {
        "no status": {k: v for k, v in sent[0].items() if k != "status"},
        "patientInstruction as a list": {**sent[0], "patientInstruction": ["Bring the chart."]},
        "a participant without status": {**sent[0], "participant": [{"actor": literal("x")}]},
        "a start that is no instant": {**sent[0], "start": "03/12/2026 9:30"},
    }.items():
        with pytest.raises(ValueError):
            fhir.validate_r4(fhir.bundle(broken))
            pytest.fail(f"validated although it has {what}")


def test_the_answers_have_the_contracts_shape(portal, office):
    """Visits, requests (of a wish for a visit and of a cancellation), queue items and the
    office's request hold the keys the contract names. An answer may carry keys the contract
    does not name (e.g. `patient_id`): only the contract's are held. A cancellation request asks
    for no time: it has no earliest or phone, and no reason when none was given."""
    staff = office["staff"]
    patient, parent = family(portal)
    pid = patient["id"]
    booked = appointment(literal(pid), start=at_utc(12, 18), clinic=CARDIOLOGY, location="Wang 3",
                         provider="Rosa Alvarez, MD", type="Follow-up visit", instructions="Bring the chart.")
    send(portal, booked)
    visit = visit_of(portal, parent.auth, pid, booked)
    req = new_request(portal, parent.auth, patient)
    r = cancel_visit(portal, parent.auth, pid, visit["id"])
    assert r.status_code == 201, describe(r)
    cancel = r.json()
    [item] = [i for i in queue(portal, staff.auth, clinic=CARDIOLOGY) if i["id"] == req["id"]]
    opened = office_request(portal, staff.auth, req["id"])
    wrong = [f"{what}: lacks keys the contract names: {lacking}" for what, lacking in (
        ("a visit", sorted(VISIT_KEYS - set(visit))),
        ("a request", sorted(REQUEST_KEYS - set(req))),
        ("a cancellation request", sorted(REQUEST_KEYS - {"earliest", "phone", "reason"} - set(cancel))),
        ("a queue item", sorted(QUEUE_KEYS - set(item))),
        ("the office's request", sorted((QUEUE_KEYS | {"notes"}) - set(opened))),
    ) if lacking]
    wrong += [f"a cancellation request asked without a reason has {key} {cancel[key]!r}"
              for key in ("earliest", "phone", "reason") if cancel.get(key) is not None]
    assert cancel["kind"] == "cancel" and cancel["appointment_id"] == visit["id"], cancel
    assert not wrong, "\n".join(wrong)


# ----------------------------------------------------------------------------- visits come in


def test_a_booked_visit_comes_in_moves_and_is_cancelled(portal):
    """A booked visit (clinic Location, building, provider, type, instructions; a reason and a
    comment that are never kept): the family sees it with its fields. The same resource again
    answers 200 and changes nothing; a later version with a new time moves it (one visit, same
    id); a later version cancelled leaves it listed as cancelled; the earlier version sent
    after that changes nothing."""
    patient, parent = family(portal)
    pid = patient["id"]
    reason, comment, instructions = text("Chest pain on exertion"), text("Mother worried about"), \
        text("Please bring the growth chart and")
    booked = appointment(literal(pid), start=at_utc(12, 14, 30), end=at_utc(12, 15, 15), clinic=CARDIOLOGY,
                         location="Wang Building, 3rd floor", provider="Rosa Alvarez, MD", type="Follow-up visit",
                         instructions=instructions, reason=reason, comment=comment, last_updated=moment(3))
    b = send(portal, booked)

    [v] = all_visits(portal, parent.auth, pid)
    assert {k: v.get(k) for k in ("status", "clinic", "provider", "location", "type", "instructions", "request_id")} \
        == {"status": "booked", "clinic": CARDIOLOGY, "provider": "Rosa Alvarez, MD",
            "location": "Wang Building, 3rd floor", "type": "Follow-up visit", "instructions": instructions,
            "request_id": None}, v
    assert same_time(v["start"], booked["start"]) and same_time(v["end"], booked["end"]), v
    r = get(portal, parent.auth, patient_path(pid, "appointments"))
    never_in([reason, comment], r)

    # The same resource again.
    send(portal, *[e["resource"] for e in b["entry"]], expected=["200"])
    assert all_visits(portal, parent.auth, pid) == [v]

    # Moved: a new time, a later lastUpdated.
    moved = revised(booked, start=at_utc(15, 13), end=at_utc(15, 13, 45), meta={"lastUpdated": moment(2)})
    send(portal, moved, expected=["200"])
    [m] = all_visits(portal, parent.auth, pid)
    assert m["id"] == v["id"] and m["status"] == "booked", m
    assert same_time(m["start"], moved["start"]) and same_time(m["end"], moved["end"]), m

    # Cancelled: still listed among the upcoming ones, as cancelled.
    cancelled = revised(moved, status="cancelled", meta={"lastUpdated": moment(1)})
    send(portal, cancelled, expected=["200"])
    [c] = all_visits(portal, parent.auth, pid)
    assert (c["id"], c["status"]) == (v["id"], "cancelled") and same_time(c["start"], moved["start"]), c

    # The earlier version, arriving late, changes nothing.
    send(portal, moved, expected=["200"])
    assert all_visits(portal, parent.auth, pid) == [c]
    assert all_visits(portal, parent.auth, pid, "past") == []


def test_where_who_and_what_of_a_visit_come_from_its_fhir(portal):
    """The clinic from a Location `Location/<clinic id>` or whose display is a clinic's name,
    else the patient's clinic; the type from appointmentType's text or coding display, else
    serviceType, else description. The patient by `Patient/<id>`, by MRN, or by a Patient entry
    of the bundle. checked-in reads as arrived; fulfilled and noshow are kept."""
    patient, parent = family(portal)
    pid = patient["id"]
    pt = fhir.patient_resource(patient)
    sent = {
        "clinic by display": appointment(literal(pid), start=at_utc(20, 13), location="Pediatric Endocrine",
                                         type="New patient visit"),
        "no Location": appointment(fhir.by_mrn(patient["mrn"]), start=at_utc(21, 13), type="Routine",
                                   type_coding="ROUTINE"),
        "serviceType": appointment(fhir.ref_to(pt), start=at_utc(22, 13), clinic=CARDIOLOGY,
                                   service_type="Echocardiography", description="Echo before the visit"),
        "description": appointment(literal(pid), start=at_utc(23, 13), clinic=ENDOCRINE,
                                   description="Growth check"),
        "checked-in": appointment(literal(pid), start=at_utc(-2, 13), status="checked-in"),
        "fulfilled": appointment(literal(pid), start=at_utc(-3, 13), status="fulfilled"),
        "noshow": appointment(literal(pid), start=at_utc(-4, 13), status="noshow"),
    }
    b = fhir.bundle(pt, *sent.values(), type="transaction")
    fhir.validate_r4(b)
    got = fhir.statuses(portal.post_fhir(b), b)
    assert got == ["200"] + ["201"] * len(sent), got

    def shown(name, when="upcoming"):
        v = visit_of(portal, parent.auth, pid, sent[name], when)
        return {k: v.get(k) for k in ("status", "clinic", "location", "type")}

    assert shown("clinic by display") == {"status": "booked", "clinic": ENDOCRINE, "location": None,
                                          "type": "New patient visit"}
    assert shown("no Location") == {"status": "booked", "clinic": CARDIOLOGY, "location": None, "type": "Routine"}
    assert shown("serviceType") == {"status": "booked", "clinic": CARDIOLOGY, "location": None,
                                    "type": "Echocardiography"}
    assert shown("description") == {"status": "booked", "clinic": ENDOCRINE, "location": None, "type": "Growth check"}
    assert shown("checked-in", "past")["status"] == "arrived"
    assert shown("fulfilled", "past")["status"] == "fulfilled"
    assert shown("noshow", "past")["status"] == "noshow"


def test_proposed_visits_are_refused_and_entered_in_error_removes_one(portal):
    """proposed, pending and waitlist are not supported (422, an OperationOutcome without PHI);
    a visit entered-in-error (same identity, later) leaves the list and its calendar is 404."""
    patient, parent = family(portal)
    pid = patient["id"]
    refused = [appointment(literal(pid), start=at_utc(30 + i, 14), status=s)
               for i, s in enumerate(("proposed", "pending", "waitlist"))]
    b = fhir.bundle(*refused)
    r = portal.post_fhir(b)
    assert fhir.statuses(r, b) == ["422"] * 3, describe(r)
    for outcome in fhir.outcomes(r):
        fhir.check_refusal(outcome, (patient["given_name"], patient["family_name"], patient["mrn"]))
    assert all_visits(portal, parent.auth, pid) == []

    kept = appointment(literal(pid), start=at_utc(31, 15), clinic=CARDIOLOGY, last_updated=moment(2))
    wrong = appointment(literal(pid), start=at_utc(32, 15), clinic=CARDIOLOGY, last_updated=moment(2))
    send(portal, kept, wrong)
    wrong_id = visit_of(portal, parent.auth, pid, wrong)["id"]
    assert calendar(portal, parent.auth, pid, wrong_id).status_code == 200
    send(portal, revised(wrong, status="entered-in-error", meta={"lastUpdated": moment(1)}), expected=["200"])
    [v] = all_visits(portal, parent.auth, pid)
    assert same_time(v["start"], kept["start"]), v
    unknown = assert_problem(calendar(portal, parent.auth, pid, str(uuid.uuid4())), 404)
    assert assert_problem(calendar(portal, parent.auth, pid, wrong_id), 404) == unknown


def test_upcoming_soonest_first_and_past_newest_first_paged(portal):
    """Upcoming: the visits not yet ended (one under way now, cancelled ones too), soonest
    first, the default. Past: the ended ones, newest first, at most three a page, each once,
    until no cursor. A bad `when` or `limit` is a 400 naming it."""
    patient, parent = family(portal)
    pid = patient["id"]
    s = literal(pid)
    under_way = appointment(s, start=moment(0, -10), end=moment(0, 20))
    upcoming = [appointment(s, start=at_utc(d, 14)) for d in (20, 3, 7)]
    cancelled = appointment(s, start=at_utc(5, 14), status="cancelled")
    past = [appointment(s, start=at_utc(-d, 14)) for d in (40, 2, 90, 10, 300, 25, 1)]
    send(portal, *past, under_way, *upcoming, cancelled)

    want = sorted([under_way, *upcoming, cancelled], key=lambda a: utc_of(a["start"]))
    default = visits(portal, parent.auth, pid)
    assert [utc_of(v["start"]) for v in default["items"]] == [utc_of(a["start"]) for a in want]
    assert default["items"] == visits(portal, parent.auth, pid, when="upcoming")["items"]
    assert [v["status"] for v in default["items"]].count("cancelled") == 1

    pages, cursor = [], None
    for _ in range(5):
        body = visits(portal, parent.auth, pid, when="past", limit=3, **({"cursor": cursor} if cursor else {}))
        pages.append(body["items"])
        cursor = body["cursor"]
        if cursor is None:
            break
    assert cursor is None, "still a cursor after five pages"
    items = [v for p in pages for v in p]
    assert len({v["id"] for v in items}) == len(items), "a visit was listed twice"
    newest_first = sorted(past, key=lambda a: utc_of(a["start"]), reverse=True)
    assert [utc_of(v["start"]) for v in items] == [utc_of(a["start"]) for a in newest_first]
    assert not {v["id"] for v in items} & {v["id"] for v in default["items"]}
    # The contract does not promise full pages: a page may be short of the limit where the
    # portal leaves out what it read but does not show (here the visit under way, which is no
    # past visit), so only the limit itself is held.
    assert all(len(p) <= 3 for p in pages), [len(p) for p in pages]

    for query, name in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "x"}, "limit"),
                        ({"when": "tomorrow"}, "when")):
        problem_field(get(portal, parent.auth, patient_path(pid, "appointments"), **query), 400, name)


# ------------------------------------------------------------------------------ the calendar


def test_the_calendar_file_holds_the_visit_in_utc_and_nothing_about_why(portal):
    """The .ics of a visit (start written with New York's offset) parses with `icalendar`: one
    VEVENT, DTSTART and DTEND in UTC, SUMMARY "Appointment at <clinic>", LOCATION the clinic
    and the building, DESCRIPTION naming the provider; no type, instructions, reason or comment
    anywhere in the file."""
    patient, parent = family(portal)
    pid = patient["id"]
    reason, comment = text("Fainting during gym class"), text("Dad asks about")
    instructions, kind = text("Do not eat after midnight before"), text("Stress echo")
    start = at_ny(40, 9, 30)
    sent = appointment(literal(pid), start=start, end=plus(start, 45), clinic=CARDIOLOGY,
                       location="Wang Building, 3rd floor", provider="Rosa Alvarez, MD", type=kind,
                       instructions=instructions, reason=reason, comment=comment)
    send(portal, sent)
    v = visit_of(portal, parent.auth, pid, sent)

    r = calendar(portal, parent.auth, pid, v["id"])
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Content-Type", "").replace(" ", "").lower() == "text/calendar;charset=utf-8", r.headers
    assert r.headers.get("Content-Disposition") == 'attachment; filename="appointment.ics"', r.headers
    assert_no_store(r)
    cal = icalendar.Calendar.from_ical(r.content)
    assert cal.name == "VCALENDAR" and str(cal.get("VERSION")) == "2.0" and cal.get("PRODID"), r.text
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    assert len(events) == 1, r.text
    [event] = events
    assert event.get("UID") and event.get("DTSTAMP"), "RFC 5545: a VEVENT has a UID and a DTSTAMP"
    for prop, instant in (("DTSTART", sent["start"]), ("DTEND", sent["end"])):
        value = event.decoded(prop)
        assert isinstance(value, dt.datetime) and value.utcoffset() == dt.timedelta(0), f"{prop} {value!r}"
        assert value == utc_of(instant), f"{prop} {value}, expected {utc_of(instant)}"
        assert event[prop].to_ical().decode().endswith("Z"), f"{prop} is not written in UTC"
    assert str(event["SUMMARY"]) == "Appointment at Pediatric Cardiology", event["SUMMARY"]
    assert str(event["LOCATION"]) == "Pediatric Cardiology, Wang Building, 3rd floor", event["LOCATION"]
    assert "Rosa Alvarez, MD" in str(event.get("DESCRIPTION", "")), event.get("DESCRIPTION")
    unfolded = re.sub(r"\r?\n[ \t]", "", r.content.decode()).replace("\\,", ",").replace("\\;", ";")
    for what, value in (("reason", reason), ("comment", comment), ("instructions", instructions), ("type", kind),
                        ("reason code", "29857009")):
        assert value.lower() not in unfolded.lower(), f"the calendar file holds the {what}"
        for component in cal.walk():
            for prop in component.values():
                assert value.lower() not in str(prop).lower(), f"the calendar file holds the {what}"


# ---------------------------------------------------------------------------- the requests


def test_a_request_scheduled_by_the_office_is_an_upcoming_visit_of_the_family(portal, office):
    """The family asks (201: requested, its fields as sent, confidential false); the office sees
    it in its queue with the patient's name and age in days, opens it, schedules it (start and
    end with New York's offset, provider, location, instructions). The family sees the request
    scheduled, linked to the visit and its start, and the visit upcoming with the request's id;
    its calendar file starts at that instant in UTC."""
    staff = office["staff"]
    patient, parent = family(portal)
    pid = patient["id"]
    req = new_request(portal, parent.auth, patient, kind="follow-up", days=["tue", "thu"],
                      times=["morning", "afternoon"])
    assert req["version"] >= 0 and "appointment_id" not in {k for k, v in req.items() if v is not None}, req
    assert requests_of(portal, parent.auth, pid) == [req]
    assert requests_of(portal, staff.auth, pid) == [req]

    [item] = [i for i in queue(portal, staff.auth, clinic=CARDIOLOGY) if i["id"] == req["id"]]
    assert item["patient"] == of_patient(patient), item["patient"]
    assert item["age_days"] == 0, item
    assert {k: item[k] for k in req} == req, item
    opened = office_request(portal, staff.auth, req["id"])
    assert opened["notes"] == [] and {k: opened[k] for k in item} == item, opened

    start = at_ny(9, 10, 15)
    instructions = text("Arrive 15 minutes early for")
    r = schedule(portal, staff.auth, req["id"], req["version"], start, plus(start, 30), provider="Ken Ito, MD",
                 location="Pavilion 2", instructions=instructions)
    assert r.status_code == 200, describe(r)
    done = r.json()
    check_request(done)
    assert done["status"] == "scheduled" and done["version"] != req["version"], done
    assert isinstance(done["appointment_id"], str) and same_time(done["appointment_start"], start), done
    assert {k: done[k] for k in ("id", "clinic", "kind", "reason", "created")} == \
        {k: req[k] for k in ("id", "clinic", "kind", "reason", "created")}, done

    assert requests_of(portal, parent.auth, pid) == [done]
    [v] = all_visits(portal, parent.auth, pid)
    assert (v["id"], v["status"], v.get("request_id"), v["clinic"]) == \
        (done["appointment_id"], "booked", req["id"], CARDIOLOGY), v
    assert (v.get("provider"), v.get("location"), v.get("instructions")) == ("Ken Ito, MD", "Pavilion 2", instructions)
    assert same_time(v["start"], start) and same_time(v["end"], plus(start, 30)), v
    assert req["id"] not in {i["id"] for i in queue(portal, staff.auth, clinic=CARDIOLOGY)}, \
        "a scheduled request is still in the queue of open requests"
    assert req["id"] in {i["id"] for i in queue(portal, staff.auth, clinic=CARDIOLOGY, status="scheduled")}

    r = calendar(portal, parent.auth, pid, v["id"])
    assert r.status_code == 200, describe(r)
    [event] = [c for c in icalendar.Calendar.from_ical(r.content).walk() if c.name == "VEVENT"]
    assert event.decoded("DTSTART") == utc_of(start) and event["DTSTART"].to_ical().decode().endswith("Z")
    never_in([instructions, req["reason"]], r)


def test_a_request_declined_with_a_reason(portal, office):
    staff = office["staff"]
    patient, parent = family(portal)
    pid = patient["id"]
    req = new_request(portal, parent.auth, patient)
    why = text("We need a referral from your primary care provider first.")
    r = decline(portal, staff.auth, req["id"], req["version"], why)
    assert r.status_code == 200, describe(r)
    assert (r.json()["status"], r.json()["decline_reason"]) == ("declined", why), r.json()
    [seen] = requests_of(portal, parent.auth, pid)
    assert (seen["status"], seen["decline_reason"]) == ("declined", why), seen
    assert fhir.instant(seen["updated"]) >= fhir.instant(seen["created"])
    assert all_visits(portal, parent.auth, pid) == []
    assert req["id"] not in {i["id"] for i in queue(portal, staff.auth, clinic=CARDIOLOGY)}
    assert req["id"] in {i["id"] for i in queue(portal, staff.auth, clinic=CARDIOLOGY, status="declined")}
    # Answered: it can neither be scheduled nor declined again, nor cancelled by the family.
    version = seen["version"]
    assert_problem(schedule(portal, staff.auth, req["id"], version, at_ny(5, 10)), 409)
    assert_problem(decline(portal, staff.auth, req["id"], version, text("Again")), 409)
    assert_problem(cancel_request(portal, parent.auth, pid, req["id"]), 409)
    assert requests_of(portal, parent.auth, pid) == [seen]


def test_the_family_cancels_a_request_while_it_is_requested_and_not_after(portal, office):
    staff = office["staff"]
    patient, parent = family(portal)
    pid = patient["id"]
    first = new_request(portal, parent.auth, patient)
    r = cancel_request(portal, parent.auth, pid, first["id"])
    assert r.status_code == 200, describe(r)
    assert (r.json()["id"], r.json()["status"]) == (first["id"], "cancelled"), r.json()
    assert r.json()["version"] != first["version"]
    assert_problem(cancel_request(portal, parent.auth, pid, first["id"]), 409)
    assert_problem(schedule(portal, staff.auth, first["id"], r.json()["version"], at_ny(5, 10)), 409)
    assert first["id"] not in {i["id"] for i in queue(portal, staff.auth, clinic=CARDIOLOGY)}

    second = new_request(portal, parent.auth, patient)
    r = schedule(portal, staff.auth, second["id"], second["version"], at_ny(6, 11))
    assert r.status_code == 200, describe(r)
    refused = cancel_request(portal, parent.auth, pid, second["id"])
    assert_problem(refused, 409)
    assert [(q["id"], q["status"]) for q in requests_of(portal, parent.auth, pid)] == \
        [(second["id"], "scheduled"), (first["id"], "cancelled")], "not newest first, or the 409 changed something"
    [v] = all_visits(portal, parent.auth, pid)
    assert v["status"] == "booked"


def test_a_cancellation_request_for_a_booked_visit_is_confirmed_by_the_office(portal, office):
    """The family asks to cancel a booked visit (201: kind cancel, the visit's id, requested,
    the reason given); the office sees it, cannot schedule it (409), confirms it: the request
    is confirmed and the visit cancelled. A visit cancelled, or in the past, cannot be asked to
    be cancelled (409); a request that is not of kind cancel cannot be confirmed (409)."""
    staff = office["staff"]
    patient, parent = family(portal)
    pid = patient["id"]
    booked = appointment(literal(pid), start=at_utc(14, 15), clinic=CARDIOLOGY, provider="Rosa Alvarez, MD")
    gone = appointment(literal(pid), start=at_utc(-6, 15), clinic=CARDIOLOGY, status="fulfilled")
    off = appointment(literal(pid), start=at_utc(16, 15), clinic=CARDIOLOGY, status="cancelled")
    send(portal, booked, gone, off)
    v = visit_of(portal, parent.auth, pid, booked)
    why = text("We will be out of town that week")
    r = cancel_visit(portal, parent.auth, pid, v["id"], {"reason": why})
    assert r.status_code == 201, describe(r)
    req = r.json()
    check_request(req)
    assert (req["kind"], req["status"], req["appointment_id"], req["clinic"]) == \
        ("cancel", "requested", v["id"], CARDIOLOGY), req
    assert requests_of(portal, parent.auth, pid) == [req]
    [item] = [i for i in queue(portal, staff.auth, clinic=CARDIOLOGY) if i["id"] == req["id"]]
    assert item["kind"] == "cancel" and item["patient"] == of_patient(patient), item

    assert_problem(schedule(portal, staff.auth, req["id"], req["version"], at_ny(5, 10)), 409)
    r = confirm(portal, staff.auth, req["id"], req["version"])
    assert r.status_code == 200, describe(r)
    assert (r.json()["status"], r.json()["kind"]) == ("confirmed", "cancel"), r.json()
    [seen] = requests_of(portal, parent.auth, pid)
    assert seen["status"] == "confirmed", seen
    assert visit_of(portal, parent.auth, pid, booked)["status"] == "cancelled"
    assert_problem(confirm(portal, staff.auth, req["id"], r.json()["version"]), 409)

    for which in (booked, gone, off):
        vid = visit_of(portal, parent.auth, pid, which, "past" if which is gone else "upcoming")["id"]
        assert_problem(cancel_visit(portal, parent.auth, pid, vid), 409)
    plain = new_request(portal, parent.auth, patient)
    assert_problem(confirm(portal, staff.auth, plain["id"], plain["version"]), 409)
    assert len(requests_of(portal, parent.auth, pid)) == 2


def test_two_staff_racing_on_one_request_exactly_one_wins(portal, office):
    """Two staff of the clinic act at once on one request with the same version, three times:
    both schedule; one schedules while the other declines; both decline. Each time exactly one
    answers 200, the other 409, and reading the request shows the winner's state (one visit
    when scheduled)."""
    a, b = office["staff"], office["staff2"]
    patient, parent = family(portal)
    pid = patient["id"]
    rounds = [("schedule", "schedule"), ("schedule", "decline"), ("decline", "decline")]
    for n, (first, second) in enumerate(rounds):
        req = new_request(portal, parent.auth, patient)
        start = at_ny(20 + n, 9 + n)
        acts = {
            "schedule": lambda token, i: schedule(portal, token, req["id"], req["version"], plus(start, 60 * i)),
            "decline": lambda token, i: decline(portal, token, req["id"], req["version"], text("Declined")),
        }
        barrier = threading.Barrier(2)

        def attempt(i, acts=acts, plan=(first, second)):
            barrier.wait(timeout=60)
            return acts[plan[i]]((a, b)[i].auth, i)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(attempt, range(2)))
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [200, 409], f"round {n}: " + "; ".join(describe(r) for r in answers)
        winner = next(r for r in answers if r.status_code == 200).json()
        current = office_request(portal, b.auth, req["id"])
        assert {k: current[k] for k in winner} == winner, (winner, current)
        assert current["version"] != req["version"]
        linked = [v for v in all_visits(portal, parent.auth, pid) if v.get("request_id") == req["id"]]
        assert len(linked) == (1 if winner["status"] == "scheduled" else 0), linked


def test_a_double_clicked_create_makes_one_request(portal):
    """Four creates at once with one Idempotency-Key and body: each answers 201 (the first or
    its replay) or 409 (still in progress), every 201 the same request; a retry afterwards is a
    replay (201, idempotent-replayed: true). The same key with another body is 409. One request
    in the list. Then two clicks in a row: one more request."""
    patient, parent = family(portal)
    pid = patient["id"]
    body, key = request_body(patient), str(uuid.uuid4())
    barrier = threading.Barrier(4)

    def click(_):
        barrier.wait(timeout=60)
        return post_request(portal, parent.auth, pid, body, key)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(click, range(4)))
    assert all(r.status_code in (201, 409) for r in answers), "; ".join(describe(r) for r in answers)
    created = [r.json() for r in answers if r.status_code == 201]
    assert created and all(c == created[0] for c in created), created
    retry = post_request(portal, parent.auth, pid, body, key)
    assert retry.status_code == 201 and retry.json() == created[0], describe(retry)
    assert retry.headers.get("idempotent-replayed") == "true", retry.headers
    assert_problem(post_request(portal, parent.auth, pid, {**body, "reason": text("Another reason")}, key), 409)
    assert [q["id"] for q in requests_of(portal, parent.auth, pid)] == [created[0]["id"]]

    body2, key2 = request_body(patient), str(uuid.uuid4())
    one = post_request(portal, parent.auth, pid, body2, key2)
    two = post_request(portal, parent.auth, pid, body2, key2)
    assert (one.status_code, two.status_code) == (201, 201), describe(two)
    assert two.json() == one.json() and two.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in one.headers
    assert [q["id"] for q in requests_of(portal, parent.auth, pid)] == [one.json()["id"], created[0]["id"]]


def test_a_cancellation_request_with_the_same_key_is_made_once(portal):
    patient, parent = family(portal)
    pid = patient["id"]
    booked = appointment(literal(pid), start=at_utc(12, 16), clinic=CARDIOLOGY)
    send(portal, booked)
    vid = visit_of(portal, parent.auth, pid, booked)["id"]
    key, body = str(uuid.uuid4()), {"reason": text("Sick with the flu")}
    first = cancel_visit(portal, parent.auth, pid, vid, body, key)
    again = cancel_visit(portal, parent.auth, pid, vid, body, key)
    assert (first.status_code, again.status_code) == (201, 201), describe(again)
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    assert [q["id"] for q in requests_of(portal, parent.auth, pid)] == [first.json()["id"]]


def test_internal_notes_are_the_offices_only(portal, office):
    """Notes (201 {text, author: the staff username, at}) show in the office's request, oldest
    first, and in no answer the family gets: requests, visits, the calendar file."""
    staff, staff2 = office["staff"], office["staff2"]
    patient, parent = family(portal)
    pid = patient["id"]
    req = new_request(portal, parent.auth, patient)
    notes = [text("Mom sounded anxious on the phone; call before"), text("Needs an interpreter for")]
    for who, note in ((staff, notes[0]), (staff2, notes[1])):
        r = add_note(portal, who.auth, req["id"], note)
        assert r.status_code == 201, describe(r)
        assert (r.json()["text"], r.json()["author"]) == (note, who.username) and is_utc_stamp(r.json()["at"]), r.json()
    opened = office_request(portal, staff.auth, req["id"])
    assert [(n["text"], n["author"]) for n in opened["notes"]] == \
        [(notes[0], staff.username), (notes[1], staff2.username)], opened["notes"]
    r = schedule(portal, staff.auth, req["id"], opened["version"], at_ny(8, 14))
    assert r.status_code == 200, describe(r)
    never_in(notes, r)
    vid = r.json()["appointment_id"]
    answers = [get(portal, parent.auth, patient_path(pid, "appointment-requests")),
               get(portal, parent.auth, patient_path(pid, "appointments")),
               calendar(portal, parent.auth, pid, vid)]
    assert all(a.status_code == 200 for a in answers), [describe(a) for a in answers]
    never_in(notes, *answers)
    assert all("notes" not in q for q in requests_of(portal, parent.auth, pid))


# ------------------------------------------------------------------------------- bad input


def bad_request_bodies(patient: dict):
    """(what, body, the field named) for each rule of a New Appointment body."""
    good = request_body(patient)
    today = today_utc()
    without_reason = {k: v for k, v in good.items() if k != "reason"}
    yield "a reason over 1,000 characters", {**good, "reason": "x" * 1001}, "reason"
    yield "an empty reason", {**good, "reason": ""}, "reason"
    yield "no reason", without_reason, "reason"
    yield "no days", {**good, "days": []}, "days"
    yield "a day that is none", {**good, "days": ["mon", "funday"]}, "days"
    yield "a day twice", {**good, "days": ["mon", "mon"]}, "days"
    yield "eight days", {**good, "days": WEEK + ["mon"]}, "days"
    yield "no times", {**good, "times": []}, "times"
    yield "a time of day that is none", {**good, "times": ["evening"]}, "times"
    yield "an earliest date in the past", {**good, "earliest": (today - dt.timedelta(days=2)).isoformat()}, "earliest"
    yield "an earliest date over a year ahead", {**good, "earliest": (today + dt.timedelta(days=400)).isoformat()}, \
        "earliest"
    yield "an earliest date that is none", {**good, "earliest": "2026-02-30"}, "earliest"
    yield "an earliest date in words", {**good, "earliest": "next week"}, "earliest"
    yield "a phone of words", {**good, "phone": "call me maybe"}, "phone"
    yield "a six-digit phone", {**good, "phone": "555-010"}, "phone"
    yield "an unknown kind", {**good, "kind": "urgent"}, "kind"
    yield "kind cancel (only by cancel-request)", {**good, "kind": "cancel"}, "kind"
    yield "a clinic that is not the patient's", {**good, "clinic": ENDOCRINE}, "clinic"
    yield "a clinic that is none", {**good, "clinic": "pediatric-dentistry"}, "clinic"
    yield "confidential not a boolean", {**good, "confidential": "yes"}, "confidential"
    yield "an unknown field", {**good, "priority": "high"}, "priority"
    yield "a status of the family's choosing", {**good, "status": "scheduled"}, "status"


def test_bad_requests_are_400_naming_the_field_and_change_nothing(portal):
    patient, parent = family(portal)
    pid = patient["id"]
    wrong = []
    for what, body, name in bad_request_bodies(patient):
        r = post_request(portal, parent.auth, pid, body)
        try:
            problem_field(r, 400, name)
        except AssertionError as e:
            wrong.append(f"{what}: {e}")
    r = portal.post(patient_path(pid, "appointment-requests"), token=parent.auth, data=b"reason=help",
                    headers={"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": str(uuid.uuid4())})
    if r.status_code != 415:
        wrong.append(f"a form body: expected 415: {describe(r)}")
    assert not wrong, "\n".join(wrong)
    assert requests_of(portal, parent.auth, pid) == []

    # The limits themselves are fine: 1,000 characters with line breaks, all seven days, both
    # times, today, a year ahead.
    reason = SECRETS.add(Kind.APPOINTMENT_TEXT, ("Coughing at night.\nWorse after soccer.\n\n" + "x" * 1000)[:1000])
    req = new_request(portal, parent.auth, patient, reason=reason, days=WEEK, times=["morning", "afternoon"],
                      earliest=(today_utc() + dt.timedelta(days=1)).isoformat())
    assert req["reason"] == reason
    new_request(portal, parent.auth, patient, earliest=(today_utc() + dt.timedelta(days=360)).isoformat())


def test_bad_office_answers_are_400_naming_the_field_and_change_nothing(portal, office):
    staff = office["staff"]
    patient, parent = family(portal)
    req = new_request(portal, parent.auth, patient)
    rid, version = req["id"], req["version"]
    start = at_ny(10, 10)
    bad = [
        ("schedule", {"start": start, "end": plus(start, -30), "version": version}, "end"),
        ("schedule", {"start": start, "end": start, "version": version}, "end"),
        ("schedule", {"start": start, "end": plus(start, 13 * 60), "version": version}, "end"),
        ("schedule", {"start": at_ny(-3, 10), "end": at_ny(-3, 11), "version": version}, "start"),
        ("schedule", {"start": start[:19], "end": plus(start, 30)[:19], "version": version}, "start"),
        ("schedule", {"start": "tomorrow at ten", "end": plus(start, 30), "version": version}, "start"),
        ("schedule", {"start": start, "end": plus(start, 30)}, "version"),
        ("schedule", {"start": start, "end": plus(start, 30), "version": version, "room": "12"}, "room"),
        ("decline", {"reason": "", "version": version}, "reason"),
        ("decline", {"reason": "x" * 1001, "version": version}, "reason"),
        ("decline", {"version": version}, "reason"),
        ("decline", {"reason": "Full", "version": "one"}, "version"),
        ("notes", {"text": ""}, "text"),
        ("notes", {"text": "x" * 2001}, "text"),
        ("notes", {"text": "ok", "private": True}, "private"),
    ]
    wrong = []
    for action, body, name in bad:
        r = portal.post(office_path(rid, action), token=staff.auth, json=body)
        try:
            problem_field(r, 400, name)
        except AssertionError as e:
            wrong.append(f"{action} {sorted(body)}: {e}")
    assert not wrong, "\n".join(wrong)
    # A stale version is a conflict, not bad input.
    assert_problem(schedule(portal, staff.auth, rid, version + 5, start), 409)
    assert_problem(decline(portal, staff.auth, rid, version + 5, "Full"), 409)
    opened = office_request(portal, staff.auth, rid)
    assert (opened["status"], opened["version"], opened["notes"]) == ("requested", version, []), opened
    assert all_visits(portal, parent.auth, patient["id"]) == []
    # 12 hours is the longest a visit may be.
    r = schedule(portal, staff.auth, rid, version, start, plus(start, 12 * 60))
    assert r.status_code == 200, describe(r)


def test_a_bad_cancellation_request_is_400_and_changes_nothing(portal):
    patient, parent = family(portal)
    pid = patient["id"]
    booked = appointment(literal(pid), start=at_utc(12, 17), clinic=CARDIOLOGY)
    send(portal, booked)
    vid = visit_of(portal, parent.auth, pid, booked)["id"]
    problem_field(cancel_visit(portal, parent.auth, pid, vid, {"reason": "x" * 1001}), 400, "reason")
    problem_field(cancel_visit(portal, parent.auth, pid, vid, {"reason": "Sick", "when": "now"}), 400, "when")
    assert requests_of(portal, parent.auth, pid) == []
    r = cancel_visit(portal, parent.auth, pid, vid, {})
    assert r.status_code == 201 and r.json().get("appointment_id") == vid, describe(r)


# ---------------------------------------------------------------------------- confidentiality


@pytest.fixture
def teen(portal):
    """A 14-year-old of cardiology with a parent, a guardian and an own account."""
    patient = register(portal, birth=years_before(14))
    return {"patient": patient, **{rel: portal.make_holder(patient, rel) for rel in ("parent", "guardian", "self")}}


def test_a_teen_marks_a_request_confidential_and_the_parents_do_not_see_it(portal, office, teen):
    """The teen's own account sends confidential=true (201); the parent and the guardian do not
    list it (they list the teen's open request), and a cancel of it by the parent is the
    unknown's 404. The teen and the clinic see both. Scheduled, the visit it makes is the
    teen's and the clinic's only. A parent sending confidential=true gets 403 naming it."""
    staff = office["staff"]
    patient = teen["patient"]
    pid = patient["id"]
    secret = new_request(portal, teen["self"].auth, patient, confidential=True)
    assert secret["confidential"] is True
    open_one = new_request(portal, teen["self"].auth, patient)
    for rel in ("parent", "guardian"):
        assert [q["id"] for q in requests_of(portal, teen[rel].auth, pid)] == [open_one["id"]], rel
        unknown = assert_problem(cancel_request(portal, teen[rel].auth, pid, str(uuid.uuid4())), 404)
        assert assert_problem(cancel_request(portal, teen[rel].auth, pid, secret["id"]), 404) == unknown, rel
    for who in (teen["self"], staff):
        assert [q["id"] for q in requests_of(portal, who.auth, pid)] == [open_one["id"], secret["id"]]

    r = post_request(portal, teen["parent"].auth, pid, request_body(patient, confidential=True))
    problem_field(r, 403, "confidential")
    assert len(requests_of(portal, teen["self"].auth, pid)) == 2, "the refused request was made"

    r = schedule(portal, staff.auth, secret["id"], secret["version"], at_ny(11, 9))
    assert r.status_code == 200, describe(r)
    vid = r.json()["appointment_id"]
    assert [v["id"] for v in all_visits(portal, teen["self"].auth, pid)] == [vid]
    for rel in ("parent", "guardian"):
        assert all_visits(portal, teen[rel].auth, pid) == [], f"{rel} sees the visit of a confidential request"
        assert [q["id"] for q in requests_of(portal, teen[rel].auth, pid)] == [open_one["id"]], rel


def test_a_restricted_visit_of_a_teen_is_hidden_from_the_parents(portal, office, teen):
    """A visit marked restricted (meta.security R) is not listed for the parent or guardian;
    its calendar and a cancellation request of it are the unknown's 404. The teen and the
    clinic see it."""
    patient = teen["patient"]
    pid = patient["id"]
    hidden = appointment(literal(pid), start=at_utc(18, 14), clinic=CARDIOLOGY, type="Adolescent visit",
                         restricted="R")
    shown = appointment(literal(pid), start=at_utc(19, 14), clinic=CARDIOLOGY)
    send(portal, hidden, shown)
    hidden_id = visit_of(portal, teen["self"].auth, pid, hidden)["id"]
    assert visit_of(portal, office["staff"].auth, pid, hidden)["id"] == hidden_id
    assert calendar(portal, teen["self"].auth, pid, hidden_id).status_code == 200
    for rel in ("parent", "guardian"):
        token = teen[rel].auth
        assert [same_time(v["start"], shown["start"]) for v in all_visits(portal, token, pid)] == [True], rel
        unknown = assert_problem(calendar(portal, token, pid, str(uuid.uuid4())), 404)
        assert assert_problem(calendar(portal, token, pid, hidden_id), 404) == unknown, rel
        unknown = assert_problem(cancel_visit(portal, token, pid, str(uuid.uuid4())), 404)
        assert assert_problem(cancel_visit(portal, token, pid, hidden_id), 404) == unknown, rel
    assert requests_of(portal, teen["self"].auth, pid) == []


def test_a_restricted_visit_of_a_child_under_12_is_shown_to_the_parent(portal):
    patient, parent = family(portal, birth=years_before(8))
    sent = appointment(literal(patient["id"]), start=at_utc(18, 16), clinic=CARDIOLOGY, restricted="R")
    send(portal, sent)
    assert visit_of(portal, parent.auth, patient["id"], sent)["status"] == "booked"


# ------------------------------------------------------------------------------- authorization


def patient_calls(pid: str, vid: str, rid: str, clinic: str) -> dict:
    """Each patient route of the function, as a call of (portal, token)."""
    return {
        "GET appointments": lambda p, t: p.get(patient_path(pid, "appointments"), token=t),
        "GET calendar": lambda p, t: calendar(p, t, pid, vid),
        "POST cancel-request": lambda p, t: cancel_visit(p, t, pid, vid),
        "GET appointment-requests": lambda p, t: p.get(patient_path(pid, "appointment-requests"), token=t),
        "POST appointment-requests": lambda p, t: post_request(p, t, pid, request_body({"clinic": clinic})),
        "POST cancel": lambda p, t: cancel_request(p, t, pid, rid),
    }


def office_calls(rid: str, version: int) -> dict:
    return {
        "GET request": lambda p, t: p.get(office_path(rid), token=t),
        "schedule": lambda p, t: schedule(p, t, rid, version, at_ny(30, 9)),
        "decline": lambda p, t: decline(p, t, rid, version, "Full"),
        "confirm": lambda p, t: confirm(p, t, rid, version),
        "notes": lambda p, t: add_note(p, t, rid, "A note"),
    }


FAMILY_ONLY = ("POST cancel-request", "POST appointment-requests", "POST cancel")  # the family asks; never the office


def test_other_clinics_and_families_get_the_unknowns_404_on_every_route(portal, office):
    """Staff of another clinic and a family of another patient, on a patient with a booked
    visit and an open request: every patient route answers what an unknown patient id gets
    (404), except that the family-only POSTs (a new request, its cancel, a cancellation
    request) are never the office's: staff and admins get 403 there whatever the patient (the
    lead's convention, as for the access log), staff of the patient's own clinic too. The office
    routes answer staff of another clinic the unknown request's 404 `No appointment request with
    this id.` (also for a malformed id), and families 403. A family asking, under its own
    patient, for the other patient's visit or request gets the unknown's 404. Nothing changed."""
    patient, parent = family(portal)
    pid = patient["id"]
    booked = appointment(literal(pid), start=at_utc(25, 14), clinic=CARDIOLOGY)
    send(portal, booked)
    vid = visit_of(portal, parent.auth, pid, booked)["id"]
    req = new_request(portal, parent.auth, patient)
    other_patient, other_family = family(portal)
    wrong = []

    def compare(label, denied, unknown, status=404):
        if denied.status_code != status or unknown.status_code != status or denied.json() != unknown.json():
            wrong.append(f"{label}: {describe(denied)} / unknown: {describe(unknown)}")

    nobody = str(uuid.uuid4())
    for who, token in (("staff of another clinic", office["other"].auth), ("another family", other_family.auth)):
        real = patient_calls(pid, vid, req["id"], CARDIOLOGY)
        fake = patient_calls(nobody, str(uuid.uuid4()), str(uuid.uuid4()), CARDIOLOGY)
        for route in real:
            status = 403 if who.startswith("staff") and route in FAMILY_ONLY else 404
            compare(f"{who}, {route}", real[route](portal, token), fake[route](portal, token), status)
    for who in ("staff", "admin"):
        for route in FAMILY_ONLY:
            r = patient_calls(pid, vid, req["id"], CARDIOLOGY)[route](portal, office[who].auth)
            if r.status_code != 403:
                wrong.append(f"{who} of the patient's clinic, {route}: expected 403: {describe(r)}")
    # The other family, under its own patient, with this patient's visit and request ids.
    own = patient_calls(other_patient["id"], vid, req["id"], CARDIOLOGY)
    own_unknown = patient_calls(other_patient["id"], str(uuid.uuid4()), str(uuid.uuid4()), CARDIOLOGY)
    for route in ("GET calendar", "POST cancel-request", "POST cancel"):
        compare(f"another family, own patient, {route}", own[route](portal, other_family.auth),
                own_unknown[route](portal, other_family.auth))

    real, fake, malformed = (office_calls(req["id"], req["version"]), office_calls(str(uuid.uuid4()), req["version"]),
                             office_calls("not-a-request", req["version"]))
    for route in real:
        denied = real[route](portal, office["other"].auth)
        compare(f"staff of another clinic, office {route}", denied, fake[route](portal, office["other"].auth))
        compare(f"staff of another clinic, office {route}, malformed id", denied,
                malformed[route](portal, office["other"].auth))
        compare(f"staff of the clinic, office {route}, unknown id", fake[route](portal, office["staff"].auth),
                malformed[route](portal, office["staff"].auth))
        if denied.status_code == 404 and NO_REQUEST not in (denied.json()["detail"], denied.json()["title"]):
            wrong.append(f"office {route}: the 404 does not say {NO_REQUEST!r}: {describe(denied)}")
        for fam, token in (("the family", parent.auth), ("another family", other_family.auth)):
            r = real[route](portal, token)
            if r.status_code != 403:
                wrong.append(f"{fam}, office {route}: expected 403: {describe(r)}")
    for fam, token in (("the family", parent.auth), ("another family", other_family.auth)):
        r = get(portal, token, office_path())
        if r.status_code != 403:
            wrong.append(f"{fam}, the queue: expected 403: {describe(r)}")
    r = get(portal, office["other"].auth, office_path(), clinic=CARDIOLOGY)
    if r.status_code != 403:
        wrong.append(f"staff of another clinic, the queue of cardiology: expected 403: {describe(r)}")
    for route, call in patient_calls(pid, vid, req["id"], CARDIOLOGY).items():
        r = call(portal, None)
        if r.status_code != 401:
            wrong.append(f"no token, {route}: {describe(r)}")
    assert not wrong, "\n".join(wrong)

    assert [(q["id"], q["status"], q["version"]) for q in requests_of(portal, parent.auth, pid)] == \
        [(req["id"], "requested", req["version"])]
    assert office_request(portal, office["staff"].auth, req["id"])["notes"] == []
    assert [(v["id"], v["status"]) for v in all_visits(portal, parent.auth, pid)] == [(vid, "booked")]
    assert requests_of(portal, other_family.auth, other_patient["id"]) == []


# ------------------------------------------------------------------------------- the queue


def test_the_queue_is_oldest_first_per_clinic_and_every_clinic_for_admins(portal, office):
    """Requests at urology, surgery, urology (in that order): urology's staff see the two of
    theirs oldest first, paged one by one, each with the patient's name and birth date and its
    age in days; staff of both clinics see all three, or one clinic's with clinic=; a clinic
    not theirs is 403. Admins see every clinic's queue (all three among them, oldest first
    throughout) or one clinic's. status= lists the answered ones; a bad status or limit is 400."""
    urology = portal.make_staff(clinics=(UROLOGY,))
    both = portal.make_staff(clinics=(UROLOGY, SURGERY))
    admin = office["admin"]
    made = []
    for clinic in (UROLOGY, SURGERY, UROLOGY):
        patient, parent = family(portal, clinic)
        made.append((patient, new_request(portal, parent.auth, patient)))
        time.sleep(0.01)
    ids = [req["id"] for _, req in made]

    def listed(token, **query):
        return [i["id"] for i in queue(portal, token, **query)]

    items = queue(portal, urology.auth)
    assert [i["id"] for i in items] == [ids[0], ids[2]]
    for item, (patient, req) in zip(items, (made[0], made[2])):
        assert item["patient"] == of_patient(patient) and item["age_days"] == 0, item
        assert {k: item[k] for k in req} == req, item
    assert [i["id"] for i in queue(portal, urology.auth, limit=1)] == [ids[0], ids[2]], "paged one by one"
    assert listed(urology.auth, clinic=UROLOGY) == [ids[0], ids[2]]
    assert listed(both.auth) == ids
    assert listed(both.auth, clinic=SURGERY) == [ids[1]]
    assert_problem(get(portal, urology.auth, office_path(), clinic=SURGERY), 403)
    assert_problem(get(portal, urology.auth, office_path(), clinic=CARDIOLOGY), 403)

    everything = queue(portal, admin.auth)
    assert [i for i in (x["id"] for x in everything) if i in ids] == ids
    created = [fhir.instant(i["created"]) for i in everything]
    assert created == sorted(created), "the admins' queue is not oldest first"
    assert {i["clinic"] for i in everything} >= {UROLOGY, SURGERY}
    assert listed(admin.auth, clinic=SURGERY) == [ids[1]]
    assert listed(portal.admin_token(), clinic=UROLOGY) == [ids[0], ids[2]]

    r = decline(portal, urology.auth, ids[2], made[2][1]["version"], text("Please see your primary care"))
    assert r.status_code == 200, describe(r)
    assert listed(urology.auth) == [ids[0]]
    assert listed(urology.auth, status="declined") == [ids[2]]
    assert listed(urology.auth, status="scheduled") == []
    for query, name in (({"status": "open"}, "status"), ({"limit": 0}, "limit"), ({"limit": 101}, "limit"),
                        ({"limit": "x"}, "limit")):
        problem_field(get(portal, urology.auth, office_path(), **query), 400, name)


# ------------------------------------------------------------------------------ notifications


def news_to(portal, account) -> list:
    return [m for m in portal.mails_to(account.email) if m.subject == SUBJECT]


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
                  "Rosa Alvarez", *texts):
        assert value.lower() not in body, f"the news email names {value!r}"
    assert dates_in(mail.text) == [], mail.text
    assert portal.base in mail.text, mail.text


def test_each_answer_and_each_visit_change_tells_the_family_once(portal):
    """A request scheduled, a request declined, a visit booked, moved and cancelled, a
    cancellation confirmed: each brings one PHI-free "New information" email to an account of
    the family that has had none this hour. One account gets at most one an hour, so each step
    adds a guardian just before it and looks at that guardian's mail right after (a later step
    would otherwise tell a guardian that its own step failed to tell). The first parent gets
    only the first. A visit sent again tells no one."""
    staff = portal.make_staff(clinics=(PULMONARY,))
    patient, parent = family(portal, PULMONARY)
    pid = patient["id"]
    reason, why = text("Asthma flare"), text("No openings this month")
    first = new_request(portal, parent.auth, patient, reason=reason)
    second = new_request(portal, parent.auth, patient)
    visit = appointment(literal(pid), start=at_utc(30, 14), clinic=PULMONARY, provider="Rosa Alvarez, MD",
                        reason=text("Wheeze"), last_updated=moment(3))
    moved = revised(visit, start=at_utc(31, 15), end=at_utc(31, 15, 30), meta={"lastUpdated": moment(2)})
    other = appointment(literal(pid), start=at_utc(33, 14), clinic=PULMONARY)
    wrong = []

    def step(what: str, act, expected: int = 1) -> None:
        guardian = portal.make_holder(patient, "guardian")
        act()
        deadline = time.monotonic() + (MAIL_DEADLINE_S if expected else 0)
        while len(news_to(portal, guardian)) < expected and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL_S)
        mails = news_to(portal, guardian)
        if len(mails) != expected:
            wrong.append(f"{what}: {len(mails)} news emails to the guardian added just before, expected {expected}")
        for mail in mails:
            check_names_nothing(portal, mail, patient, reason, why)

    def ok(r, status=200):
        assert r.status_code == status, describe(r)
        return r

    step("request scheduled", lambda: ok(schedule(portal, staff.auth, first["id"], first["version"], at_ny(9, 9),
                                                  provider="Rosa Alvarez, MD")))
    [mail] = wait_for_news(portal, parent, 1)
    check_names_nothing(portal, mail, patient, reason)
    step("request declined", lambda: ok(decline(portal, staff.auth, second["id"], second["version"], why)))
    booked = {}
    step("visit booked", lambda: booked.update(send(portal, visit)))
    step("visit moved", lambda: send(portal, moved, expected=["200"]))
    step("visit cancelled", lambda: send(portal, revised(moved, status="cancelled", meta={"lastUpdated": moment(1)}),
                                         expected=["200"]))
    step("the booked visit sent again", lambda: send(portal, *[e["resource"] for e in booked["entry"]],
                                                     expected=["200"]), expected=0)

    send(portal, other)
    asked = ok(cancel_visit(portal, parent.auth, pid, visit_of(portal, parent.auth, pid, other)["id"]), 201).json()
    step("cancellation confirmed", lambda: ok(confirm(portal, staff.auth, asked["id"], asked["version"])))
    assert not wrong, "\n".join(wrong)
    assert len(news_to(portal, parent)) == 1, "more than one news email in an hour"


def test_confidential_news_of_a_teen_reaches_the_teen_only(portal):
    """A teen's confidential request scheduled and a restricted visit booked: news to the teen's
    own account, none to the parent or guardian. Then an open visit: news to them."""
    staff = portal.make_staff(clinics=(PULMONARY,))
    patient = register(portal, PULMONARY, years_before(15))
    parent, guardian = portal.make_holder(patient, "parent"), portal.make_holder(patient, "guardian")
    own = portal.make_holder(patient, "self")
    req = new_request(portal, own.auth, patient, confidential=True)
    r = schedule(portal, staff.auth, req["id"], req["version"], at_ny(12, 10))
    assert r.status_code == 200, describe(r)
    wait_for_news(portal, own, 1)
    assert news_to(portal, parent) == [] and news_to(portal, guardian) == [], "a parent was told of a confidential visit"

    send(portal, appointment(literal(patient["id"]), start=at_utc(40, 14), clinic=PULMONARY, restricted="R"))
    assert news_to(portal, parent) == [] and news_to(portal, guardian) == [], "a parent was told of a restricted visit"

    send(portal, appointment(literal(patient["id"]), start=at_utc(41, 14), clinic=PULMONARY))
    wait_for_news(portal, parent, 1)
    wait_for_news(portal, guardian, 1)
    assert len(news_to(portal, own)) == 1
