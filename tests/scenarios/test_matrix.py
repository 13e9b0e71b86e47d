"""The authorization matrix (issue 4): every route of issues 2, 4, 11, 12 and 13, for every kind of
caller, on a patient of the caller's own family or clinic ("own") and on a patient of another
family ("other"). Each cell's expected answer is written once, in the tables below; the tests
run every cell on both backends and fail once, listing every cell that differs.

Callers (built once per backend by the `world` fixture):
  anonymous     no token
  own           the patient's own account: P is 14 and holds "self"
  guardian2     guardian of P and of another child
  other_family  parent of R, a patient of another family (and another clinic)
  staff_same    staff of P's clinic (cardiology)
  staff_other   staff of R's clinic (endocrine)
  admin         an admin
  disabled      a parent of P whose account the admin disabled after it signed in (its
                unexpired token is used)
  turned18      guardian of A, who turned 18 (the clinic corrected A's birth date)
Targets: "own" is P for anonymous, own, guardian2, staff_same, admin and disabled; R for
other_family and staff_other; A for turned18. "other" is R for the first group, P for the rest.
P, R and A each have one lab result in one lab report (imported through POST /dev/fhir, the
local run's way in, and not restricted); the single result and report rows ask for the
target's own, so "other" cells ask for a real record of a patient the caller may not see.
Issue 12: each also has a booked visit ahead (a FHIR Appointment) and an open appointment
request (made by a family account of theirs before A turned 18). A cell that changes a request
works on a fresh one where it can (made by P's guardian2 or R's other_family; a fresh booked
visit too for a confirmation) and undoes what it may. The office rows' "own" and "other" are
requests of the target patient; their unknown twin is an unknown request id.
Issue 13: each also has one active prescription (a FHIR MedicationRequest), an open
conversation and an open refill request of it (made by a family account of theirs before A
turned 18). The office rows' "own" and "other" are the target patient's conversation or refill
request (a fresh one, made by P's guardian2 or R's other_family, where the cell changes it);
their unknown twin is an unknown id.

A cell is "own/other". In the search row, "200+" is a 200 that lists the target patient and
"200-" a 200 that does not. Denials of a patient answer exactly what an unknown patient id
gets (checked for every "other" cell that is a 404), so nothing tells a patient exists.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
import uuid
from dataclasses import dataclass, replace
from urllib.parse import quote

import pytest

import fhir_bundles as fhir
from conftest import (
    PORTAL_BIN, CARDIOLOGY, ENDOCRINE, Account, describe, new_address, new_answer, new_email, new_password,
    new_patient_body, new_pharmacy, new_phone, new_username, patient_path, today_utc, years_before,
)

CALLERS = ("anonymous", "own", "guardian2", "other_family", "staff_same", "staff_other", "admin",
           "disabled", "turned18")


def table(text: str) -> dict[str, dict[str, tuple]]:
    """Rows of a table written below: a route name, then one cell per caller in CALLERS order,
    columns separated by two or more spaces."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    header = re.split(r"\s{2,}", lines[0].strip())
    assert tuple(header[1:]) == CALLERS, f"table header {header}"
    rows = {}
    for line in lines[1:]:
        route, *cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(CALLERS), f"{route}: {len(cells)} cells"
        rows[route] = {caller: tuple(int(v) if v.isdigit() else v for v in cell.split("/"))
                       for caller, cell in zip(CALLERS, cells)}
    return rows


# ------------------------------------------------------------------------------------ the tables

PATIENT_RECORDS = table("""
route                anonymous  own      guardian2  other_family  staff_same  staff_other  admin    disabled  turned18
GET demographics     401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
PUT demographics     401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
GET additional-info  401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
PUT additional-info  401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
GET access-log       401/401    200/404  200/404    200/404       403/403     403/403      403/403  401/401   404/404
GET office audit     401/401    403/403  403/403    403/403       200/404     200/404      200/200  401/401   403/403
GET results          401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
GET result           401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
GET reports          401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
GET report           401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
GET immunizations    401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
GET fhir export      401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
""")

OFFICE = table("""
route                anonymous  own      guardian2  other_family  staff_same  staff_other  admin      disabled  turned18
link                 401/401    403/403  403/403    403/403       201/404     201/404      201/201    401/401   403/403
unlink               401/401    403/403  403/403    403/403       204/404     204/404      204/204    401/401   403/403
search               401/401    403/403  403/403    403/403       200+/200-   200+/200-    200+/200+  401/401   403/403
create patient       401/401    403/403  403/403    403/403       201/403     201/403      201/201    401/401   403/403
create account       401/401    403/403  403/403    403/403       201/404     201/404      201/201    401/401   403/403
find account         401/401    403/403  403/403    403/403       200/404     200/404      200/200    401/401   403/403
resend               401/401    403/403  403/403    403/403       202/404     202/404      202/202    401/401   403/403
username             401/401    403/403  403/403    403/403       200/404     200/404      200/200    401/401   403/403
disable              401/401    403/403  403/403    403/403       204/404     204/404      204/204    401/401   403/403
enable               401/401    403/403  403/403    403/403       204/404     204/404      204/204    401/401   403/403
two-step reset       401/401    403/403  403/403    403/403       204/404     204/404      204/204    401/401   403/403
create staff         401/401    403/403  403/403    403/403       403/403     403/403      201/201    401/401   403/403
""")

# Issue 12: the appointments function's routes of a patient. Families may ask (the POSTs);
# staff and admins read. Staff of another clinic get what an unknown patient gets (404) on
# the reads, as the "Done when" says. The family-only POSTs are never a route of the
# office: staff and admins get 403 there whatever the patient (the lead's convention, as for
# the access log); only families of another patient get the unknown's 404 there.
APPOINTMENTS = table("""
route                  anonymous  own      guardian2  other_family  staff_same  staff_other  admin    disabled  turned18
GET appointments       401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
GET calendar           401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
POST cancel-request    401/401    201/404  201/404    201/404       403/403     403/403      403/403  401/401   404/404
GET appt requests      401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
POST appt request      401/401    201/404  201/404    201/404       403/403     403/403      403/403  401/401   404/404
POST appt cancel       401/401    200/404  200/404    200/404       403/403     403/403      403/403  401/401   404/404
""")

# The office's appointment-request routes, on a request of the target patient (the queue: of
# the target's clinic, clinic=). Families get 403; staff of another clinic the unknown
# request's 404, and 403 for a queue of a clinic not theirs.
OFFICE_APPOINTMENTS = table("""
route                  anonymous  own      guardian2  other_family  staff_same  staff_other  admin    disabled  turned18
appt queue             401/401    403/403  403/403    403/403       200/403     200/403      200/200  401/401   403/403
appt office request    401/401    403/403  403/403    403/403       200/404     200/404      200/200  401/401   403/403
appt schedule          401/401    403/403  403/403    403/403       200/404     200/404      200/200  401/401   403/403
appt decline           401/401    403/403  403/403    403/403       200/404     200/404      200/200  401/401   403/403
appt confirm           401/401    403/403  403/403    403/403       200/404     200/404      200/200  401/401   403/403
appt note              401/401    403/403  403/403    403/403       201/404     201/404      201/201  401/401   403/403
""")

# Issue 13: the messages function's routes of a patient, and the medications of the records
# function. Families send messages and refill requests; staff of the clinic and admins read
# and reply. Staff of another clinic get what an unknown patient gets (404) on every route
# they could use for a patient of theirs; the family-only POSTs (a new conversation, a refill
# request) are never a route of the office: 403 for staff and admins whatever the patient.
MESSAGES = table("""
route                  anonymous  own      guardian2  other_family  staff_same  staff_other  admin    disabled  turned18
GET conversations      401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
POST conversation      401/401    201/404  201/404    201/404       403/403     403/403      403/403  401/401   404/404
GET conversation       401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
POST reply             401/401    201/404  201/404    201/404       201/404     201/404      201/201  401/401   404/404
GET medications        401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
GET refill requests    401/401    200/404  200/404    200/404       200/404     200/404      200/200  401/401   404/404
POST refill request    401/401    201/404  201/404    201/404       403/403     403/403      403/403  401/401   404/404
""")

# The office's inbox and menu counts, and its routes on a conversation or refill request of
# the target patient (the inbox: of the target's clinic, clinic=). Families get 403; staff of
# another clinic the unknown id's 404 (`No conversation with this id.`, `No refill request
# with this id.`), and 403 for an inbox of a clinic not theirs. The counts name no patient:
# the same for "own" and "other".
OFFICE_MESSAGES = table("""
route                  anonymous  own      guardian2  other_family  staff_same  staff_other  admin    disabled  turned18
inbox                  401/401    403/403  403/403    403/403       200/403     200/403      200/200  401/401   403/403
refill inbox           401/401    403/403  403/403    403/403       200/403     200/403      200/200  401/401   403/403
office counts          401/401    403/403  403/403    403/403       200/200     200/200      200/200  401/401   403/403
take                   401/401    403/403  403/403    403/403       200/404     200/404      200/200  401/401   403/403
close                  401/401    403/403  403/403    403/403       200/404     200/404      200/200  401/401   403/403
conversation note      401/401    403/403  403/403    403/403       201/404     201/404      201/201  401/401   403/403
answer refill          401/401    403/403  403/403    403/403       200/404     200/404      200/200  401/401   403/403
""")

# Routes of the caller's own account: no patient, one cell per caller. Logout goes last.
# Issue 15: families turn two-step sign-in on (setup, then verify) and off again; staff and
# admins have it on from their first sign-in (409) and may not turn it off (403).
OWN_ACCOUNT = table("""
route                    anonymous  own  guardian2  other_family  staff_same  staff_other  admin  disabled  turned18
GET account              401        200  200        200           200         200          200    401       200
GET security-questions   401        200  200        200           200         200          200    401       200
PUT security-questions   401        204  204        204           204         204          204    401       204
GET notifications        401        200  200        200           200         200          200    401       200
PUT notifications        401        200  200        200           200         200          200    401       200
two-step setup           401        200  200        200           409         409          409    401       200
two-step verify          401        204  204        204           409         409          409    401       204
two-step disable         401        204  204        204           403         403          403    401       204
change password          401        204  204        204           204         204          204    401       204
logout                   401        204  204        204           204         204          204    401       204
""")

# Public routes: the same answer for every caller, with or without a token.
PUBLIC = {
    "GET /api/clinics": 200,
    "GET /api/auth/security-questions": 200,
    "POST /api/auth/login (unknown username)": 401,
    "POST /api/auth/first-login (no challenge)": 401,
    "POST /api/auth/forgot-password": 202,
    "POST /api/auth/reset-question": 200,
    "POST /api/auth/reset-password (wrong code)": 400,
    "POST /api/auth/refresh (no cookie)": 401,
    "POST /api/auth/mfa-setup (no challenge)": 401,
    "POST /api/auth/mfa-verify (no challenge)": 401,
    "POST /api/auth/mfa (no challenge)": 401,
}


# Each row's route, so the tables can be held to the code's route list (`portal-local --routes`):
# a route added to `portal::routes` without a row here fails `test_every_route_has_a_row`.
ROUTE_OF = {
    "GET demographics": "GET /api/patients/{patient_id}/demographics",
    "PUT demographics": "PUT /api/patients/{patient_id}/demographics",
    "GET additional-info": "GET /api/patients/{patient_id}/additional-info",
    "PUT additional-info": "PUT /api/patients/{patient_id}/additional-info",
    "GET access-log": "GET /api/patients/{patient_id}/access-log",
    "GET office audit": "GET /api/admin/patients/{patient_id}/audit",
    "GET results": "GET /api/patients/{patient_id}/results",
    "GET result": "GET /api/patients/{patient_id}/results/{result_id}",
    "GET reports": "GET /api/patients/{patient_id}/reports",
    "GET report": "GET /api/patients/{patient_id}/reports/{report_id}",
    "GET immunizations": "GET /api/patients/{patient_id}/immunizations",
    "GET fhir export": "GET /api/patients/{patient_id}/immunizations/fhir",
    "link": "POST /api/admin/accounts/{username}/patients",
    "unlink": "DELETE /api/admin/accounts/{username}/patients/{patient_id}",
    "search": "POST /api/admin/patients/search",
    "create patient": "POST /api/admin/patients",
    "create account": "POST /api/admin/accounts",
    "find account": "GET /api/admin/accounts/{username}",
    "resend": "POST /api/admin/accounts/{username}/resend-credentials",
    "username": "PUT /api/admin/accounts/{username}/username",
    "disable": "POST /api/admin/accounts/{username}/disable",
    "enable": "POST /api/admin/accounts/{username}/enable",
    "two-step reset": "POST /api/admin/accounts/{username}/mfa-reset",
    "create staff": "POST /api/admin/staff",
    "GET appointments": "GET /api/patients/{patient_id}/appointments",
    "GET calendar": "GET /api/patients/{patient_id}/appointments/{appointment_id}/calendar",
    "POST cancel-request": "POST /api/patients/{patient_id}/appointments/{appointment_id}/cancel-request",
    "GET appt requests": "GET /api/patients/{patient_id}/appointment-requests",
    "POST appt request": "POST /api/patients/{patient_id}/appointment-requests",
    "POST appt cancel": "POST /api/patients/{patient_id}/appointment-requests/{request_id}/cancel",
    "appt queue": "GET /api/office/appointment-requests",
    "appt office request": "GET /api/office/appointment-requests/{request_id}",
    "appt schedule": "POST /api/office/appointment-requests/{request_id}/schedule",
    "appt decline": "POST /api/office/appointment-requests/{request_id}/decline",
    "appt confirm": "POST /api/office/appointment-requests/{request_id}/confirm",
    "appt note": "POST /api/office/appointment-requests/{request_id}/notes",
    "GET conversations": "GET /api/patients/{patient_id}/conversations",
    "POST conversation": "POST /api/patients/{patient_id}/conversations",
    "GET conversation": "GET /api/patients/{patient_id}/conversations/{conversation_id}",
    "POST reply": "POST /api/patients/{patient_id}/conversations/{conversation_id}/messages",
    "GET medications": "GET /api/patients/{patient_id}/medications",
    "GET refill requests": "GET /api/patients/{patient_id}/refill-requests",
    "POST refill request": "POST /api/patients/{patient_id}/refill-requests",
    "inbox": "GET /api/office/inbox",
    "refill inbox": "GET /api/office/inbox",
    "office counts": "GET /api/office/counts",
    "take": "POST /api/office/conversations/{conversation_id}/take",
    "close": "POST /api/office/conversations/{conversation_id}/close",
    "conversation note": "POST /api/office/conversations/{conversation_id}/notes",
    "answer refill": "POST /api/office/refill-requests/{request_id}/answer",
    "GET account": "GET /api/account",
    "GET security-questions": "GET /api/account/security-questions",
    "PUT security-questions": "PUT /api/account/security-questions",
    "GET notifications": "GET /api/account/notifications",
    "PUT notifications": "PUT /api/account/notifications",
    "two-step setup": "POST /api/account/mfa/setup",
    "two-step verify": "POST /api/account/mfa/verify",
    "two-step disable": "POST /api/account/mfa/disable",
    "change password": "POST /api/account/password",
    "logout": "POST /api/auth/logout",
}
# Routes whose matrix lives elsewhere, with where.
ELSEWHERE = {
    "GET /api/admin/security-events": "test_security_events.py: admins only, every other caller 403 or 401",
    "GET /api/admin/imports": "test_imports.py: admins only, every other caller 403 or 401",
}


def test_every_route_has_a_row():
    """The tables cover every route the code serves, and name none it does not."""
    out = subprocess.run([str(PORTAL_BIN), "--routes"], capture_output=True, text=True, check=True, timeout=60)
    served = {f"{r['method']} {r['path']}" for r in json.loads(out.stdout)}
    rows = {**PATIENT_RECORDS, **OFFICE, **APPOINTMENTS, **OFFICE_APPOINTMENTS, **MESSAGES, **OFFICE_MESSAGES,
            **OWN_ACCOUNT}
    assert set(ROUTE_OF) == set(rows), "ROUTE_OF must name every row of the tables, and only those"
    covered = set(ROUTE_OF.values()) | {re.sub(r" \(.*\)$", "", route) for route in PUBLIC} | set(ELSEWHERE)
    assert served - covered == set(), "routes without a row in the authorization matrix"
    assert covered - served == set(), "matrix rows for routes the code does not serve"


# ------------------------------------------------------------------------------------ the world

TOKEN_RENEW_S = 480  # access tokens live 15 minutes


@dataclass
class Target:
    """A patient, and throwaway family accounts to aim the account routes at."""
    patient: dict
    finder: Account | None  # holds the patient: find, resend, rename, disable, enable
    linkee: Account | None  # of the patient's clinic, not linked to it: link, unlink
    relationship: str  # what the office may link to this patient
    unknown: bool = False
    result_id: str | None = None  # the patient's lab result
    report_id: str | None = None  # the patient's lab report
    appointment_id: str | None = None  # the patient's booked visit ahead
    request_id: str | None = None  # the patient's open appointment request
    request_version: int | None = None
    helper: str | None = None  # a caller that may make requests for the patient (a fresh one per cell)
    medication_id: str | None = None  # the patient's active prescription
    conversation_id: str | None = None  # the patient's open conversation
    refill_id: str | None = None  # the patient's open refill request
    refill_version: int | None = None

    @property
    def id(self) -> str:
        return self.patient["id"]

    def as_unknown(self) -> "Target":
        """The same request aimed at a patient (or account) that does not exist."""
        nobody = Account(new_username("nobody"), new_email("nobody"))
        return replace(self, patient={**self.patient, "id": str(uuid.uuid4())}, finder=nobody, unknown=True)


@dataclass
class Caller:
    name: str
    account: Account | None
    own: Target | None = None
    other: Target | None = None
    signed_at: float = 0.0  # when its token was issued (no later than this)


class World:
    def __init__(self, portal):
        self.portal = portal
        self.callers: dict[str, Caller] = {}
        self.base: dict[str, Target] = {}  # the real target a cell's unknown twin stands for

    def admin(self) -> str:
        """The bootstrap admin, for preparing and restoring (the matrix's admin is another)."""
        return self.portal.admin_token()

    def token(self, c: Caller) -> str | None:
        if c.account is None:
            return None
        if time.monotonic() - c.signed_at > TOKEN_RENEW_S:
            if c.name == "disabled":
                self._post_admin(c.account.username, "enable")
            c.account.access_token, c.account.refresh = self.portal.sign_in(c.account.username, c.account.password)
            c.signed_at = time.monotonic()
            if c.name == "disabled":
                self._post_admin(c.account.username, "disable")
        return c.account.access_token

    def _post_admin(self, username: str, action: str) -> None:
        r = self.portal.post(self.portal.account_path(username, action), token=self.admin())
        assert r.status_code == 204, describe(r)

    def current(self, t: Target, what: str) -> dict:
        """The patient's record as it is now (read by the admin), for a PUT to change."""
        real = self.base.get(t.id, t)
        body = self.portal.patient_data(self.admin(), real.id, what)
        return {**body, "id": t.id} if what == "demographics" else body


def give_lab_report(portal, patient_id: str) -> tuple[str, str]:
    """One lab result in one lab report for the patient, through POST /dev/fhir; their ids, as
    the bootstrap admin reads them back."""
    subject = fhir.literal(patient_id)
    obs = fhir.observation(subject, fhir.HEMOGLOBIN, 13.2, effective=fhir.moment(30))
    sent = fhir.bundle(obs, fhir.diagnostic_report(subject, fhir.CBC, [obs], effective=fhir.moment(30)))
    r = portal.post_fhir(sent)
    assert fhir.statuses(r, sent) == ["201", "201"], describe(r)
    admin = portal.admin_token()
    results, reports = (portal.patient_data(admin, patient_id, what)["items"] for what in ("results", "reports"))
    assert len(results) == 1 and len(reports) == 1, f"the matrix patient's records: {results} {reports}"
    return results[0]["id"], reports[0]["id"]


_VISITS = iter(range(10_000))


def give_visit(portal, patient_id: str) -> str:
    """A booked visit ahead for the patient, through POST /dev/fhir, at a minute of its own; its
    id, as the bootstrap admin reads it back."""
    n = next(_VISITS)
    start = (dt.datetime.now(dt.timezone.utc).replace(hour=13, minute=0, second=0, microsecond=0)
             + dt.timedelta(days=20 + n // 60, minutes=n % 60))
    sent = fhir.appointment(fhir.literal(patient_id), start=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            provider="Rosa Alvarez, MD")
    b = fhir.bundle(sent)
    r = portal.post_fhir(b)
    assert fhir.statuses(r, b) == ["201"], describe(r)
    found = [v["id"] for v in portal.patient_data(portal.admin_token(), patient_id, "appointments?limit=100")["items"]
             if fhir.instant(v["start"]) == start]
    assert len(found) == 1, f"the matrix patient's visit: {found}"
    return found[0]


def give_medication(portal, patient_id: str) -> str:
    """An active prescription for the patient, through POST /dev/fhir; its id, as the bootstrap
    admin reads it back."""
    sent = fhir.medication_request(fhir.literal(patient_id), fhir.AMOXICILLIN, authored=fhir.moment(3),
                                   dosage="Take 1 capsule by mouth three times a day.", refills=2)
    b = fhir.bundle(sent)
    r = portal.post_fhir(b)
    assert fhir.statuses(r, b) == ["201"], describe(r)
    items = portal.patient_data(portal.admin_token(), patient_id, "medications")["items"]
    assert len(items) == 1, f"the matrix patient's medications: {items}"
    return items[0]["id"]


def conversation_body(t: "Target") -> dict:
    return {"clinic": t.patient["clinic"], "subject": "A question about the inhaler",
            "body": "Does the inhaler need a new prescription before camp?"}


def post_conversation(portal, token: str | None, t: "Target"):
    return portal.post(patient_path(t.id, "conversations"), token=token, json=conversation_body(t),
                       headers={"Idempotency-Key": str(uuid.uuid4())})


def post_refill_request(portal, token: str | None, t: "Target"):
    return portal.post(patient_path(t.id, "refill-requests"), token=token,
                       json={"medication_ids": [t.medication_id], "pharmacy": new_pharmacy()},
                       headers={"Idempotency-Key": str(uuid.uuid4())})


def appointment_request_body(t: "Target") -> dict:
    return {"clinic": t.patient["clinic"], "kind": "other", "reason": "A check-up before camp.",
            "days": ["tue", "thu"], "times": ["afternoon"],
            "earliest": (today_utc() + dt.timedelta(days=3)).isoformat(), "phone": new_phone()}


def post_appointment_request(portal, token: str | None, t: "Target"):
    return portal.post(patient_path(t.id, "appointment-requests"), token=token, json=appointment_request_body(t),
                       headers={"Idempotency-Key": str(uuid.uuid4())})


def give_request(portal, token: str, t: "Target") -> tuple[str, int]:
    r = post_appointment_request(portal, token, t)
    assert r.status_code == 201, describe(r)
    return r.json()["id"], r.json()["version"]


@pytest.fixture(scope="module")
def world(portal) -> World:
    w = World(portal)
    p = portal
    started = time.monotonic()  # every token below was issued after this
    staff_same = p.make_staff(clinics=(CARDIOLOGY,))
    staff_other = p.make_staff(clinics=(ENDOCRINE,))
    admin = p.make_staff(role="admin", clinics=())
    P = p.make_patient_born(years_before(14), staff_same.auth, CARDIOLOGY)
    R = p.make_patient_born(years_before(10), staff_other.auth, ENDOCRINE)
    A = p.make_patient_born(years_before(17), staff_same.auth, CARDIOLOGY)
    second_child = p.make_patient_born(years_before(8), staff_same.auth, CARDIOLOGY)

    own = p.make_holder(P, "self", staff_same.auth)
    guardian2 = p.make_holder(P, "guardian", staff_same.auth)
    r = p.link(staff_same.auth, guardian2.username, second_child["id"], "guardian")
    assert r.status_code == 201, describe(r)
    other_family = p.make_holder(R, "parent", staff_other.auth)
    disabled = p.make_holder(P, "parent", staff_same.auth)
    turned18 = p.make_holder(A, "guardian", staff_same.auth)

    targets = {
        "P": Target(P, p.make_holder(P, "parent", staff_same.auth, sign_in=False),
                    p.make_family(staff_same.auth, CARDIOLOGY, sign_in=False), "guardian"),
        "R": Target(R, p.make_holder(R, "parent", staff_other.auth, sign_in=False),
                    p.make_family(staff_other.auth, ENDOCRINE, sign_in=False), "guardian"),
        "A": Target(A, p.make_holder(A, "guardian", staff_same.auth, sign_in=False),
                    p.make_family(staff_same.auth, CARDIOLOGY, sign_in=False), "self"),
    }
    for t in targets.values():
        t.result_id, t.report_id = give_lab_report(p, t.id)
        t.appointment_id = give_visit(p, t.id)
    # Issue 12: an open request of each, made by a family account of theirs (A's before the
    # birthday below); the fresh ones of the cells are made by P's guardian2 and R's other_family.
    for name, account in (("P", guardian2), ("R", other_family), ("A", turned18)):
        t = targets[name]
        t.request_id, t.request_version = give_request(p, account.auth, t)
    targets["P"].helper, targets["R"].helper = "guardian2", "other_family"
    # Issue 13: a prescription, an open conversation and an open refill request of each.
    for name, account in (("P", guardian2), ("R", other_family), ("A", turned18)):
        t = targets[name]
        t.medication_id = give_medication(p, t.id)
        r = post_conversation(p, account.auth, t)
        assert r.status_code == 201, describe(r)
        t.conversation_id = r.json()["id"]
        r = post_refill_request(p, account.auth, t)
        assert r.status_code == 201, describe(r)
        t.refill_id, t.refill_version = r.json()["id"], r.json()["version"]
    # Before the changes below, each of these callers acts for their child (so that the
    # table's 401s and 404s come from the disable and the birthday, not from bad set-up).
    for account, child in ((disabled, P), (turned18, A), (guardian2, P), (guardian2, second_child)):
        p.patient_data(account.auth, child["id"])
    # A turns 18: the clinic corrects the birth date.
    body = p.patient_data(staff_same.auth, A["id"])
    r = p.put(patient_path(A["id"]), token=staff_same.auth,
              json={**body, "address": new_address(), "birth_date": years_before(18).isoformat()})
    assert r.status_code == 200, describe(r)
    # The admin disables an account that is signed in.
    w._post_admin(disabled.username, "disable")

    plan = {
        "anonymous": (None, "P", "R"), "own": (own, "P", "R"), "guardian2": (guardian2, "P", "R"),
        "other_family": (other_family, "R", "P"), "staff_same": (staff_same, "P", "R"),
        "staff_other": (staff_other, "R", "P"), "admin": (admin, "P", "R"), "disabled": (disabled, "P", "R"),
        "turned18": (turned18, "A", "P"),
    }
    for name, (account, mine, theirs) in plan.items():
        w.callers[name] = Caller(name, account, targets[mine], targets[theirs], signed_at=started)
    return w


# ------------------------------------------------------------------------------------ the cells
# Each makes its request fresh, returns the answer, and undoes what it changed.


def _patient_get(what):
    def call(w: World, c: Caller, t: Target):
        return w.portal.get(patient_path(t.id, what), token=w.token(c))
    return call


def put_demographics(w, c, t):
    body = {**w.current(t, "demographics"), "address": new_address()}
    return w.portal.put(patient_path(t.id), token=w.token(c), json=body)


def put_additional_info(w, c, t):
    body = {**w.current(t, "additional-info"), "pharmacy": new_pharmacy()}
    return w.portal.put(patient_path(t.id, "additional-info"), token=w.token(c), json=body)


def result(w, c, t):
    return w.portal.get(patient_path(t.id, f"results/{t.result_id}"), token=w.token(c))


def lab_report(w, c, t):
    return w.portal.get(patient_path(t.id, f"reports/{t.report_id}"), token=w.token(c))


def office_audit(w, c, t):
    return w.portal.get(f"/api/admin/patients/{t.id}/audit", token=w.token(c))


def link(w, c, t):
    r = w.portal.link(w.token(c), t.linkee.username, t.id, t.relationship)
    if not t.unknown:
        assert w.portal.unlink(w.admin(), t.linkee.username, t.id).status_code == 204
    return r


def unlink(w, c, t):
    if not t.unknown:
        r = w.portal.link(w.admin(), t.linkee.username, t.id, t.relationship)
        assert r.status_code == 201, describe(r)
    r = w.portal.unlink(w.token(c), t.linkee.username, t.id)
    if not t.unknown:
        assert w.portal.unlink(w.admin(), t.linkee.username, t.id).status_code == 204
    return r


def search(w, c, t):
    p = t.patient
    return w.portal.search(w.token(c), f"{p['family_name']}, {p['given_name']}")


def create_patient(w, c, t):
    return w.portal.create_patient(w.token(c), new_patient_body(t.patient["clinic"]))


def create_account(w, c, t):
    return w.portal.create_account(w.token(c), new_username("fam"), new_email("fam"), t.id, t.relationship)


def find_account(w, c, t):
    return w.portal.get(f"/api/admin/accounts/{quote(t.finder.username, safe='')}", token=w.token(c))


def resend(w, c, t):
    return w.portal.post(w.portal.account_path(t.finder.username, "resend-credentials"), token=w.token(c))


def rename(w, c, t):
    path = w.portal.account_path
    r = w.portal.put(path(t.finder.username, "username"), token=w.token(c), json={"new_username": new_username("renamed")})
    if r.status_code == 200:
        back = w.portal.put(path(r.json()["username"], "username"), token=w.admin(),
                            json={"new_username": t.finder.username})
        assert back.status_code == 200, describe(back)
    return r


def disable(w, c, t):
    r = w.portal.post(w.portal.account_path(t.finder.username, "disable"), token=w.token(c))
    if not t.unknown:
        w._post_admin(t.finder.username, "enable")
    return r


def enable(w, c, t):
    return w.portal.post(w.portal.account_path(t.finder.username, "enable"), token=w.token(c))


def reset_two_step(w, c, t):
    return w.portal.post(w.portal.account_path(t.finder.username, "mfa-reset"), token=w.token(c))


def create_staff(w, c, t):
    # Not Portal.create_staff: that one falls back to the admin's token.
    return w.portal.post("/api/admin/staff", token=w.token(c), json={
        "username": new_username("staff"), "email": new_email("staff"), "given_name": "Sam",
        "family_name": "Office", "role": "staff", "clinics": [t.patient["clinic"]]})


CELLS = {
    "GET demographics": _patient_get("demographics"), "PUT demographics": put_demographics,
    "GET additional-info": _patient_get("additional-info"), "PUT additional-info": put_additional_info,
    "GET access-log": _patient_get("access-log"), "GET office audit": office_audit,
    "GET results": _patient_get("results"), "GET result": result,
    "GET reports": _patient_get("reports"), "GET report": lab_report,
    "GET immunizations": _patient_get("immunizations"), "GET fhir export": _patient_get("immunizations/fhir"),
    "link": link, "unlink": unlink, "search": search, "create patient": create_patient,
    "create account": create_account, "find account": find_account, "resend": resend, "username": rename,
    "disable": disable, "enable": enable, "two-step reset": reset_two_step, "create staff": create_staff,
}


# Issue 12's cells.


def _cancel_own_request(w: World, token: str | None, t: Target, rid: str) -> None:
    r = w.portal.post(patient_path(t.id, f"appointment-requests/{rid}/cancel"), token=token, json={})
    assert r.status_code == 200, f"undoing a request the cell made: {describe(r)}"


def appt_calendar(w, c, t):
    return w.portal.get(patient_path(t.id, f"appointments/{t.appointment_id}/calendar"), token=w.token(c))


def appt_cancel_visit(w, c, t):
    token = w.token(c)
    r = w.portal.post(patient_path(t.id, f"appointments/{t.appointment_id}/cancel-request"), token=token, json={},
                      headers={"Idempotency-Key": str(uuid.uuid4())})
    if r.status_code == 201:
        _cancel_own_request(w, token, t, r.json()["id"])
    return r


def appt_new_request(w, c, t):
    token = w.token(c)
    r = post_appointment_request(w.portal, token, t)
    if r.status_code == 201:
        _cancel_own_request(w, token, t, r.json()["id"])
    return r


def appt_cancel_request(w, c, t):
    """The caller cancels a request it made itself for the target, when it may make one; else
    the target's open request."""
    token = w.token(c)
    rid = t.request_id
    if not t.unknown:
        made = post_appointment_request(w.portal, token, t)
        if made.status_code == 201:
            rid = made.json()["id"]
    return w.portal.post(patient_path(t.id, f"appointment-requests/{rid}/cancel"), token=token, json={})


def _fresh_request(w: World, t: Target, kind: str = "new") -> tuple[str, int, str | None]:
    """(request id, version, the helper's token) of a request to act on: a fresh one of the
    target made by its helper (for kind "cancel": a cancellation request of a fresh visit), else
    the target's open one, or an unknown id for an unknown target."""
    if t.unknown:
        return str(uuid.uuid4()), t.request_version or 0, None
    if t.helper is None:
        return t.request_id, t.request_version, None
    token = w.token(w.callers[t.helper])
    if kind == "cancel":
        vid = give_visit(w.portal, t.id)
        r = w.portal.post(patient_path(t.id, f"appointments/{vid}/cancel-request"), token=token, json={},
                          headers={"Idempotency-Key": str(uuid.uuid4())})
    else:
        r = post_appointment_request(w.portal, token, t)
    assert r.status_code == 201, describe(r)
    return r.json()["id"], r.json()["version"], token


def _office_act(action: str, body, kind: str = "new"):
    def call(w: World, c: Caller, t: Target):
        rid, version, helper = _fresh_request(w, t, kind)
        r = w.portal.post(f"/api/office/appointment-requests/{rid}/{action}", token=w.token(c), json=body(version))
        if helper is not None and r.status_code != 200:
            _cancel_own_request(w, helper, t, rid)
        return r
    return call


def appt_queue(w, c, t):
    return w.portal.get(f"/api/office/appointment-requests?clinic={t.patient['clinic']}&limit=1", token=w.token(c))


def appt_office_request(w, c, t):
    rid = str(uuid.uuid4()) if t.unknown else t.request_id
    return w.portal.get(f"/api/office/appointment-requests/{rid}", token=w.token(c))


def appt_note(w, c, t):
    rid = str(uuid.uuid4()) if t.unknown else t.request_id
    return w.portal.post(f"/api/office/appointment-requests/{rid}/notes", token=w.token(c),
                         json={"text": "Called back, no answer."})


def _in_a_week(version: int) -> dict:
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)).replace(microsecond=0)
    return {"start": start.isoformat(), "end": (start + dt.timedelta(minutes=30)).isoformat(), "version": version}


CELLS.update({
    "GET appointments": _patient_get("appointments"), "GET calendar": appt_calendar,
    "POST cancel-request": appt_cancel_visit, "GET appt requests": _patient_get("appointment-requests"),
    "POST appt request": appt_new_request, "POST appt cancel": appt_cancel_request,
    "appt queue": appt_queue, "appt office request": appt_office_request,
    "appt schedule": _office_act("schedule", _in_a_week),
    "appt decline": _office_act("decline", lambda v: {"reason": "Please call the office.", "version": v}),
    "appt confirm": _office_act("confirm", lambda v: {"version": v}, kind="cancel"),
    "appt note": appt_note,
})


# Issue 13's cells.


def msg_conversation(w, c, t):
    return w.portal.get(patient_path(t.id, f"conversations/{t.conversation_id}"), token=w.token(c))


def msg_new_conversation(w, c, t):
    return post_conversation(w.portal, w.token(c), t)


def msg_reply(w, c, t):
    return w.portal.post(patient_path(t.id, f"conversations/{t.conversation_id}/messages"), token=w.token(c),
                         json={"body": "Thank you, that helps."}, headers={"Idempotency-Key": str(uuid.uuid4())})


def msg_new_refill(w, c, t):
    return post_refill_request(w.portal, w.token(c), t)


def _fresh(w: World, t: Target, what: str) -> tuple[str, int]:
    """(id, version) of a conversation (`what` "conversation") or refill request ("refill") to
    act on: a fresh one of the target made by its helper, else the target's own, or an unknown
    id for an unknown target."""
    if t.unknown:
        return str(uuid.uuid4()), 1
    if t.helper is None:
        if what == "conversation":
            return t.conversation_id, 1
        return t.refill_id, t.refill_version
    token = w.token(w.callers[t.helper])
    r = (post_conversation if what == "conversation" else post_refill_request)(w.portal, token, t)
    assert r.status_code == 201, describe(r)
    return r.json()["id"], r.json()["version"]


def _conversation_act(action: str):
    def call(w: World, c: Caller, t: Target):
        cid, version = _fresh(w, t, "conversation")
        return w.portal.post(f"/api/office/conversations/{cid}/{action}", token=w.token(c), json={"version": version})
    return call


def msg_note(w, c, t):
    cid = str(uuid.uuid4()) if t.unknown else t.conversation_id
    return w.portal.post(f"/api/office/conversations/{cid}/notes", token=w.token(c),
                         json={"text": "Called back, no answer."})


def msg_answer(w, c, t):
    rid, version = _fresh(w, t, "refill")
    return w.portal.post(f"/api/office/refill-requests/{rid}/answer", token=w.token(c), json={
        "answers": [{"medication_id": t.medication_id, "status": "approved"}], "version": version})


def _inbox(kind: str):
    def call(w: World, c: Caller, t: Target):
        return w.portal.get(f"/api/office/inbox?kind={kind}&clinic={t.patient['clinic']}&limit=1", token=w.token(c))
    return call


def msg_counts(w, c, t):
    return w.portal.get("/api/office/counts", token=w.token(c))


CELLS.update({
    "GET conversations": _patient_get("conversations"), "POST conversation": msg_new_conversation,
    "GET conversation": msg_conversation, "POST reply": msg_reply,
    "GET medications": _patient_get("medications"), "GET refill requests": _patient_get("refill-requests"),
    "POST refill request": msg_new_refill,
    "inbox": _inbox("conversation"), "refill inbox": _inbox("refill"), "office counts": msg_counts,
    "take": _conversation_act("take"), "close": _conversation_act("close"), "conversation note": msg_note,
    "answer refill": msg_answer,
})


def observed(route: str, r, t: Target):
    if route == "search" and r.status_code == 200:
        return "200+" if t.id in {i["id"] for i in r.json()["items"]} else "200-"
    return r.status_code


def run_targeted(w: World, rows: dict) -> list[str]:
    wrong = []
    for route, cells in rows.items():
        call = CELLS[route]
        for name in CALLERS:
            c = w.callers[name]
            for which, target, expected in (("own", c.own, cells[name][0]), ("other", c.other, cells[name][1])):
                r = call(w, c, target)
                got = observed(route, r, target)
                if got != expected:
                    wrong.append(f"{route:20} {name:13} on {which:5}: expected {expected}, got {got}: {describe(r)}")
                elif which == "other" and expected == 404:
                    twin = target.as_unknown()
                    w.base[twin.id] = target
                    u = call(w, c, twin)
                    if u.status_code != 404 or u.json() != r.json():
                        wrong.append(f"{route:20} {name:13} on other: the denial differs from an unknown "
                                     f"patient's answer: {describe(r)} vs {describe(u)}")
    return wrong


def report(wrong: list[str], what: str) -> None:
    assert not wrong, f"{len(wrong)} {what} cell(s) differ from the table:\n" + "\n".join(wrong)


def test_patient_records(world):
    report(run_targeted(world, PATIENT_RECORDS), "patient record")


def test_office_routes(world):
    report(run_targeted(world, OFFICE), "office")


def test_appointment_routes(world):
    report(run_targeted(world, APPOINTMENTS), "appointments")


def test_appointment_office_routes(world):
    report(run_targeted(world, OFFICE_APPOINTMENTS), "appointment office")


def test_message_routes(world):
    report(run_targeted(world, MESSAGES), "messages")


def test_message_office_routes(world):
    report(run_targeted(world, OFFICE_MESSAGES), "messages office")


def _public_call(w: World, route: str, token: str | None):
    p = w.portal
    headers = {"Authorization": f"Bearer {token}"} if token else None
    nobody = new_username("nobody")
    qid = [q for q in p.question_ids()][:3]
    bodies = {
        "POST /api/auth/login (unknown username)": {"username": nobody, "password": new_password()},
        "POST /api/auth/first-login (no challenge)": {
            "username": nobody, "session": "x" * 40, "new_password": new_password(),
            "security_questions": [{"question_id": q, "answer": new_answer()} for q in qid]},
        "POST /api/auth/forgot-password": {"username": nobody},
        "POST /api/auth/reset-question": {"username": nobody, "code": "123456"},
        "POST /api/auth/reset-password (wrong code)": {
            "username": nobody, "code": "123456", "question_id": qid[0], "answer": new_answer(),
            "new_password": new_password()},
        "POST /api/auth/refresh (no cookie)": None,
        "POST /api/auth/mfa-setup (no challenge)": {"session": "x" * 40},
        "POST /api/auth/mfa-verify (no challenge)": {"session": "x" * 40, "code": "123456"},
        "POST /api/auth/mfa (no challenge)": {"session": "x" * 40, "code": "123456"},
    }
    method, path = route.split(" (")[0].split(" ", 1)
    return p.request(method, path, json=bodies.get(route), headers=headers)


def test_public_routes(world):
    wrong = []
    for route, expected in PUBLIC.items():
        for name in CALLERS:
            r = _public_call(world, route, world.token(world.callers[name]))
            if r.status_code != expected:
                wrong.append(f"{route:45} {name:13}: expected {expected}, got {describe(r)}")
    report(wrong, "public route")


def _own_account_call(w: World, route: str, c: Caller):
    p, token = w.portal, w.token(c)
    acct = c.account
    password = acct.password if acct else new_password()
    if route == "GET account":
        return p.get("/api/account", token=token)
    if route == "GET security-questions":
        return p.get("/api/account/security-questions", token=token)
    if route == "PUT security-questions":
        answers = {q: new_answer() for q in p.question_ids()[3:6]}
        r = p.put("/api/account/security-questions", token=token, json={
            "security_questions": [{"question_id": q, "answer": a} for q, a in answers.items()],
            "current_password": password})
        if r.status_code == 204:
            acct.answers = answers
        return r
    if route == "GET notifications":
        return p.get("/api/account/notifications", token=token)
    if route == "PUT notifications":
        return p.put("/api/account/notifications", token=token, json={"email_on_new_information": True})
    if route == "two-step setup":
        r = p.post("/api/account/mfa/setup", token=token, json={"current_password": password})
        if r.status_code == 200:
            p.totp_keys[acct.username.lower()] = r.json()["secret"]
        return r
    if route == "two-step verify":
        code = p.next_code(acct.username) if acct and acct.username.lower() in p.totp_keys else "123456"
        return p.post("/api/account/mfa/verify", token=token, json={"code": code})
    if route == "two-step disable":
        code = p.next_code(acct.username) if acct and acct.username.lower() in p.totp_keys else "123456"
        return p.post("/api/account/mfa/disable", token=token, json={"current_password": password, "code": code})
    if route == "change password":
        new = new_password()
        r = p.post("/api/account/password", token=token, json={"current_password": password, "new_password": new})
        if r.status_code == 204:
            acct.password = new
        return r
    if route == "logout":
        return p.post("/api/auth/logout", token=token)
    raise AssertionError(route)


def test_own_account_routes(world):
    """Last: it changes the callers' passwords and signs them out."""
    wrong = []
    for route, cells in OWN_ACCOUNT.items():
        for name in CALLERS:
            c = world.callers[name]
            (expected,) = cells[name]
            r = _own_account_call(world, route, c)
            if r.status_code != expected:
                wrong.append(f"{route:24} {name:13}: expected {expected}, got {describe(r)}")
            if route == "change password" and r.status_code == 204 and name != "disabled":
                # A new session, so that the next route is asked with a token surely valid.
                c.account.access_token, c.account.refresh = world.portal.sign_in(c.account.username, c.account.password)
                c.signed_at = time.monotonic()
    report(wrong, "own-account")


# Issue 15: no token reaches a staff member or admin before the code step, on any path. Each
# row is a path to tokens; the cell is what a staff member and an admin get there: a challenge
# (its name), or a refusal (its status). Setting up or giving the code is the only way on.
BEFORE_THE_CODE = {
    "first login (new password and questions)": "MFA_SETUP",
    "login before setting it up": "MFA_SETUP",
    "the setup session at the code step": 401,
    "login once it is set up": "SOFTWARE_TOKEN_MFA",
    "the code session at the setup step": 401,
    "refresh after an admin's reset": 401,
    "login after an admin's reset": "MFA_SETUP",
}


def _before_the_code(p, role: str) -> dict[str, object]:
    def seen(r):
        if r.status_code != 200:
            return r.status_code
        body = r.json()
        assert "access_token" not in body and "set-cookie" not in {k.lower() for k in r.headers}, describe(r)
        return body.get("challenge")
    got = {}
    account = p.make_staff(role=role, clinics=(CARDIOLOGY,) if role == "staff" else (), sign_in=False)
    session = p.challenge(account.username, account.temp_password)
    account.password = new_password()
    r = p.first_login_request(account.username, session, account.password,
                              [(q, new_answer()) for q in p.question_ids()[:3]])
    got["first login (new password and questions)"] = seen(r)
    r = p.login(account.username, account.password)
    got["login before setting it up"] = seen(r)
    setup_session = r.json()["session"]
    got["the setup session at the code step"] = seen(p.post("/api/auth/mfa", json={"session": setup_session, "code": "123456"}))
    account.access_token, account.refresh = p.sign_in(account.username, account.password)  # sets it up
    r = p.login(account.username, account.password)
    got["login once it is set up"] = seen(r)
    got["the code session at the setup step"] = seen(p.mfa_setup(r.json()["session"]))
    reset = p.post(p.account_path(account.username, "mfa-reset"), token=p.admin_token())
    assert reset.status_code == 204, describe(reset)
    got["refresh after an admin's reset"] = seen(p.post("/api/auth/refresh", cookie=account.refresh))
    got["login after an admin's reset"] = seen(p.login(account.username, account.password))
    return got


def test_no_token_reaches_staff_or_admins_before_the_code_step(portal):
    wrong = []
    for role in ("staff", "admin"):
        got = _before_the_code(portal, role)
        wrong += [f"{path:45} {role:6}: expected {expected}, got {got[path]}"
                  for path, expected in BEFORE_THE_CODE.items() if got[path] != expected]
    report(wrong, "path to tokens")
