"""DynamoDB round trips are a contract (issue 14, item 4): every route has a limit of DynamoDB
reads and writes per request, written once in LIMITS below, and every answer of the AWS
backend in the whole scenario run keeps to it.

- Family pages (a GET a family makes about its patient, /api/patients/...): at most 2 reads
  and 1 write, the audit record. Office pages (a GET of /api/office/... or /api/admin/...):
  at most 3 reads and 1 write. These are the issue's numbers, the same for every row.
- Every other route (sign-in, creates, changes, posts) is held to what its work needs, with
  the reason in its row: nothing read twice, nothing read again that the request already
  holds, and one write per change that must be atomic on its own (audit records and security
  events live in a table of their own, so they are writes of their own).

A read is a GetItem, a BatchGetItem or a Query round trip (each page of one); a write a
PutItem, a DeleteItem or a TransactWriteItems (see functions/portal/src/calls.rs). Each
"answered" log line of the AWS backend counts its request's (`dynamodb_reads`,
`dynamodb_writes`); the embedded backend counts none.

The check reads the AWS portals' whole logs, so conftest runs this module after test_iam.py
(WHOLE_RUN_READERS), and fails at once for every route over its limit (2xx and 4xx answers
alike: a refusal must not cost more than the work), every route that never got a 2xx answer
on the AWS backend in the run, and every route the log shows that LIMITS lacks. Run alone, or
with a few modules, it reports the routes those did not reach as not covered."""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from typing import NamedTuple

import pytest

from conftest import AWS_IDLE, BACKENDS, PORTAL_BIN, after_the_aws_run, parse_log_lines


class Limit(NamedTuple):
    reads: int
    writes: int
    kind: str
    why: str


FAMILY, OFFICE, OTHER = "family page", "office page", "other"
FAMILY_PAGE = Limit(2, 1, FAMILY, "issue 14: a family page costs at most 2 reads and the audit write")
OFFICE_PAGE = Limit(3, 1, OFFICE, "issue 14: an office page costs at most 3 reads and the audit write")


def other(reads: int, writes: int, why: str) -> Limit:
    return Limit(reads, writes, OTHER, why)


# What the rows below are made of.
ACCESS = 1  # access::patient: the caller's account, its link to the patient, the patient and any one more
#             item of the patient's, in one BatchGetItem
TELL = 2  # records::notify, telling the family of the office's answer: the patient's holders (Query),
#           then their accounts with their email settings (one BatchGetItem)
HOLDERS = 12  # email claims a telling writes, one per account told: the most family accounts the suite
#               links to one patient (the matrix's P has 9), with room for a few more
TARGET = 3  # access::office::target_account: the caller's account with the username record (one
#             BatchGetItem), then that account with its links, and for staff its patients (whose clinics decide)
IDEM = ("an Idempotency-Key's pending and final records", "a retried key's first answer")
SECRET = "the server secret (read once per cold start, created once per table)"

LIMITS: dict[str, Limit] = {
    # auth: signing in and out, forgot password, My Account
    "GET /api/auth/security-questions": other(0, 0, "a fixed list"),
    "POST /api/auth/login": other(
        3, 3, "the name's failed sign-ins and its username record, then (the password right) the account, whose role "
              "decides on two-step sign-in; the session (or the two-step challenge), the security event, and the "
              "failures cleared (or counted: then no session)"),
    "POST /api/auth/mfa-setup": other(1, 0, "the challenge (the key is Cognito's)"),
    "POST /api/auth/mfa-verify": other(
        3, 6, "the challenge, the name's failed sign-ins, the account; the challenge finished, the account marked, two "
              "security events (two-step on, signed in), the session, the failures cleared (refused: counted, and "
              "the security event)"),
    "POST /api/auth/mfa": other(
        2, 4, "the challenge, the name's failed sign-ins; the challenge finished, the security event, the session, "
              "the failures cleared (refused: counted, and the security event)"),
    "POST /api/auth/first-login": other(
        2, 3, "the username record, then the account; the account with its answers, the security event, the session"),
    "POST /api/auth/forgot-password": other(
        4, 3, f"the name's reset-mail counter, {SECRET}, the username record, then the account; the counter, the code "
              "(and the secret's creation)"),
    "POST /api/auth/reset-question": other(3, 1, f"the username record, then the account; {SECRET}"),
    "POST /api/auth/reset-password": other(
        5, 4, f"the username record, then the account, its reset failures and code, {SECRET}; the code spent, both "
              "failure counters cleared, the security event (refused: the counter and the security event)"),
    "POST /api/auth/refresh": other(1, 1, "the session; its rotation (one transaction), or its end"),
    "POST /api/auth/logout": other(1, 1, "the caller's account (a disabled one is refused); the session's end"),
    "GET /api/account": other(
        3, 5, "the caller's account with its links, then their patients, 100 to a BatchGetItem; an audit write per 25 "
              "patients listed: 3 and 5 for test_guardians' 101 patients"),
    "POST /api/account/password": other(
        2, 2, "the caller's account, its failed sign-ins; the security event, and the failures cleared or counted"),
    "GET /api/account/security-questions": other(1, 0, "the caller's account"),
    "PUT /api/account/security-questions": other(
        2, 2, "the caller's account, its failed sign-ins; the account, and the failures cleared or counted"),
    "GET /api/account/notifications": other(1, 0, "the caller's account with its email settings (one BatchGetItem)"),
    "PUT /api/account/notifications": other(
        1, 1, "the caller's account with its email settings (one BatchGetItem); the settings"),
    "POST /api/account/mfa/setup": other(
        2, 1, "the caller's account, its failed sign-ins; the failures cleared or counted (the key is Cognito's)"),
    "POST /api/account/mfa/verify": other(
        2, 3, "the caller's account, its failed sign-ins; the failures cleared or counted, the security event, the "
              "account marked"),
    "POST /api/account/mfa/disable": other(
        3, 4, "the caller's account, its failed sign-ins for the password, then for the code; the failures cleared "
              "or counted (each), the security event, the account marked"),
    # accounts: what the admins and the clinic offices do
    "POST /api/admin/staff": other(
        2, 6, f"the caller's account, the username record (or {IDEM[1]}); {IDEM[0]}, the username reserved, the "
              "account (one transaction), the username record completed, the security event"),
    "POST /api/admin/patients": other(
        2, 4, f"the caller's account ({IDEM[1]}); {IDEM[0]}, the patient with its search entries (one transaction), "
              "the audit record"),
    "POST /api/admin/accounts": other(
        ACCESS + 2, 7, f"the access check, the patient's holders (for an own account), the username record (or "
                       f"{IDEM[1]}); {IDEM[0]}, the username reserved, the account with its link (one transaction), "
                       "the username completed, the security event, the audit record"),
    "GET /api/admin/accounts/{username}": OFFICE_PAGE,
    "POST /api/admin/accounts/{username}/resend-credentials": other(
        TARGET, 1, "the account as the office may manage it; the security event"),
    "PUT /api/admin/accounts/{username}/username": other(
        TARGET, 3, "the account as the office may manage it; the rename (one transaction), the security event, and "
                   "the rename undone if Cognito refuses"),
    "POST /api/admin/accounts/{username}/disable": other(
        TARGET, 2, "the account as the office may manage it; the account, the security event"),
    "POST /api/admin/accounts/{username}/enable": other(
        TARGET, 2, "the account as the office may manage it; the account, the security event"),
    "POST /api/admin/accounts/{username}/mfa-reset": other(
        TARGET, 2, "the account as the office may manage it; the account marked, the security event"),
    "POST /api/admin/accounts/{username}/patients": other(
        TARGET + 2, 2, "the account as the office may manage it, the patient, its holders (for an own account); the "
                       "link (one transaction), the audit record"),
    "DELETE /api/admin/accounts/{username}/patients/{patient_id}": other(
        TARGET + 1, 2, "the account as the office may manage it, the patient; the unlink (one transaction), the audit "
                       "record"),
    "POST /api/admin/patients/search": other(
        19, 2, "the caller's account, one Query per clinic of the caller's (18 for admins); an audit write per 25 "
               "patients listed (at most 50)"),
    "GET /api/admin/patients/{patient_id}/audit": OFFICE_PAGE,
    "GET /api/admin/security-events": OFFICE_PAGE,
    "GET /api/admin/imports": OFFICE_PAGE,
    # clinics
    "GET /api/clinics": other(0, 0, "a fixed list"),
    # profile: Pt Demographics, Additional information, the access log
    "GET /api/patients/{patient_id}/demographics": FAMILY_PAGE,
    "PUT /api/patients/{patient_id}/demographics": other(
        ACCESS, 2, "the access check; the patient with its search entries (one transaction), the audit record"),
    "GET /api/patients/{patient_id}/additional-info": FAMILY_PAGE,
    "PUT /api/patients/{patient_id}/additional-info": other(
        ACCESS, 2, "the access check, the information read with the patient; the information, the audit record"),
    "GET /api/patients/{patient_id}/access-log": FAMILY_PAGE,
    # records: the Medical Record
    "GET /api/patients/{patient_id}/results": FAMILY_PAGE,
    "GET /api/patients/{patient_id}/results/{result_id}": FAMILY_PAGE,
    "GET /api/patients/{patient_id}/reports": FAMILY_PAGE,
    "GET /api/patients/{patient_id}/reports/{report_id}": FAMILY_PAGE,
    "GET /api/patients/{patient_id}/immunizations": FAMILY_PAGE,
    "GET /api/patients/{patient_id}/immunizations/fhir": FAMILY_PAGE,
    "GET /api/patients/{patient_id}/medications": FAMILY_PAGE,
    # appointments: visits, the family's requests, the office's queue
    "GET /api/patients/{patient_id}/appointments": FAMILY_PAGE,
    "GET /api/patients/{patient_id}/appointments/{appointment_id}/calendar": FAMILY_PAGE,
    "POST /api/patients/{patient_id}/appointments/{appointment_id}/cancel-request": other(
        ACCESS + 1, 4, f"the access check with the visit, the patient's requests (or {IDEM[1]}); {IDEM[0]}, the "
                       "request (one transaction), the audit record"),
    "GET /api/patients/{patient_id}/appointment-requests": FAMILY_PAGE,
    "POST /api/patients/{patient_id}/appointment-requests": other(
        ACCESS + 1, 4, f"the access check ({IDEM[1]}); {IDEM[0]}, the request (one transaction), the audit record"),
    "POST /api/patients/{patient_id}/appointment-requests/{request_id}/cancel": other(
        ACCESS + 1, 2, "the access check, the request; the request (one transaction), the audit record"),
    "GET /api/office/appointment-requests": OFFICE_PAGE,
    "GET /api/office/appointment-requests/{request_id}": OFFICE_PAGE,
    "POST /api/office/appointment-requests/{request_id}/schedule": other(
        1 + ACCESS + TELL, 2 + HOLDERS, "the request, the access check, telling the family; the request with the visit "
                                        "(one transaction), the audit record, an email claim per account told"),
    "POST /api/office/appointment-requests/{request_id}/decline": other(
        1 + ACCESS + TELL, 2 + HOLDERS, "the request, the access check, telling the family; the request (one "
                                        "transaction), the audit record, an email claim per account told"),
    "POST /api/office/appointment-requests/{request_id}/confirm": other(
        1 + ACCESS + TELL, 2 + HOLDERS, "the request, the access check with the visit, telling the family; the request "
                                        "with the visit (one transaction), the audit record, an email claim per "
                                        "account told"),
    "POST /api/office/appointment-requests/{request_id}/notes": other(
        1 + ACCESS, 2, "the request, the access check; the note, the audit record"),
    # messages: conversations, refill requests, the office's inbox
    "GET /api/patients/{patient_id}/conversations": FAMILY_PAGE,
    "POST /api/patients/{patient_id}/conversations": other(
        ACCESS + 1, 4, f"the access check ({IDEM[1]}); {IDEM[0]}, the conversation with its first message (one "
                       "transaction), the audit record"),
    "GET /api/patients/{patient_id}/conversations/{conversation_id}": FAMILY_PAGE,
    "POST /api/patients/{patient_id}/conversations/{conversation_id}/messages": other(
        ACCESS + 3 + TELL, 6 + HOLDERS, f"the access check, the conversation on each of up to three tries (another "
                                        f"message may win the race; or {IDEM[1]}), telling the family of the office's "
                                        f"reply; {IDEM[0]}, the message (one transaction a try), the audit record, an "
                                        "email claim per account told"),
    "GET /api/patients/{patient_id}/refill-requests": FAMILY_PAGE,
    "POST /api/patients/{patient_id}/refill-requests": other(
        ACCESS + 2, 4, f"the access check with the saved pharmacy, the medications asked for ({IDEM[1]}); {IDEM[0]}, "
                       "the request (one transaction), the audit record"),
    "GET /api/office/inbox": OFFICE_PAGE,
    "GET /api/office/counts": OFFICE_PAGE,
    "POST /api/office/conversations/{conversation_id}/take": other(
        1 + ACCESS, 2, "the conversation, the access check; the conversation (one transaction), the audit record"),
    "POST /api/office/conversations/{conversation_id}/close": other(
        1 + ACCESS, 2, "the conversation, the access check; the conversation (one transaction), the audit record"),
    "POST /api/office/conversations/{conversation_id}/notes": other(
        1 + ACCESS, 2, "the conversation, the access check; the note, the audit record"),
    "POST /api/office/refill-requests/{request_id}/answer": other(
        1 + ACCESS + TELL, 2 + HOLDERS, "the request, the access check, telling the family; the request (one "
                                        "transaction), the audit record, an email claim per account told"),
}

# The routes that do not keep to their LIMITS row yet, each held to today's worst count in the
# suite (a regression still fails) with what it would take: a change of the data model (a count
# kept on the report, per-clinic lists and counters for the office) or a transaction across the
# two tables. A route that keeps to its LIMITS row again is reported, to be taken off.
OPEN: dict[str, tuple[Limit, str]] = {
    "GET /api/patients/{patient_id}/reports": (other(3, 1, "today"), "each report's results are counted by a read "
                                               "of their own: ingest should keep the count on the report"),
    "GET /api/patients/{patient_id}/conversations/{conversation_id}": (
        other(2, 2, "today"), "marking the conversation read is a write beside the audit record, in another table: "
                              "one transaction would need the Table port to span both"),
    "GET /api/office/appointment-requests": (other(20, 1, "today"), "one Query per clinic (18 for admins)"),
    "GET /api/office/inbox": (other(20, 1, "today"), "one Query per clinic (18 for admins)"),
    "GET /api/office/counts": (other(55, 0, "today"), "three counting Queries per clinic (18 for admins): counters "
                               "kept per clinic would be one BatchGetItem"),
}

# "Answered" lines of the local run that are no API route, and why they have no limit.
OUTSIDE_THE_API = {
    "POST /dev/fhir": "the local run's way in to records-ingest (one SQS message): its cost grows with the bundle's "
                      "entries, and no family or office waits on it",
}


def kind_of(route: str) -> str:
    """The issue's kinds, from the route itself: which rows must carry its numbers."""
    method, path = route.split(" ", 1)
    if method == "GET" and path.startswith("/api/patients/"):
        return FAMILY
    if method == "GET" and path.startswith(("/api/office/", "/api/admin/")):
        return OFFICE
    return OTHER


def served_routes(tmp_path) -> set[str]:
    """"METHOD /route/{template}" of every route, from `portal-local --routes`."""
    env = dict(os.environ, PORTAL_DATA_DIR=str(tmp_path))
    proc = subprocess.run([str(PORTAL_BIN), "--routes"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"portal-local --routes failed:\n{proc.stderr}"
    return {f"{r['method'].upper()} {r['path']}" for r in json.loads(proc.stdout)}


def offences(lines: list[dict], limits: dict[str, Limit], outside: dict[str, str]) -> list[str]:
    """What the "answered" lines of a log break: each route over its limit with its worst
    counts, each route of `limits` never answered 2xx, and each route `limits` lacks."""
    answered = [line for line in lines if line.get("message") == "answered"]
    if not answered:
        return ["no 'answered' lines in the log"]
    uncounted = [line for line in answered if not isinstance(line.get("dynamodb_reads"), int)
                 or not isinstance(line.get("dynamodb_writes"), int)]
    if uncounted:
        return [f"{len(uncounted)} of {len(answered)} 'answered' lines lack dynamodb_reads/dynamodb_writes, "
                f"e.g. {uncounted[0]}"]
    by_route: dict[str, list[dict]] = {}
    for line in answered:
        by_route.setdefault(f"{line['method'].upper()} {line['route']}", []).append(line)
    out = [f"{route}: answered {len(by_route[route])} times, but LIMITS has no row for it"
           for route in sorted(by_route.keys() - limits.keys() - outside.keys())]
    for route, limit in limits.items():
        held = [line for line in by_route.get(route, []) if line["status"] < 500]
        over = [line for line in held if line["dynamodb_reads"] > limit.reads or line["dynamodb_writes"] > limit.writes]
        if over:
            reads = max(over, key=lambda line: line["dynamodb_reads"])
            writes = max(over, key=lambda line: line["dynamodb_writes"])
            statuses = sorted({line["status"] for line in over})
            out.append(f"{route} ({limit.kind}, at most {limit.reads} reads and {limit.writes} writes): {len(over)} of "
                       f"{len(held)} answers over (statuses {statuses}), worst {reads['dynamodb_reads']} reads (a "
                       f"{reads['status']}) and {writes['dynamodb_writes']} writes (a {writes['status']})")
        if not any(200 <= line["status"] < 300 for line in held):
            out.append(f"{route}: not covered, never answered 2xx on the AWS backend in this run")
    return out


def test_the_table_holds_every_route_once_with_the_issues_numbers(tmp_path):
    routes = served_routes(tmp_path)
    assert not routes & OUTSIDE_THE_API.keys(), f"OUTSIDE_THE_API names API routes: {routes & OUTSIDE_THE_API.keys()}"
    missing, gone = sorted(routes - LIMITS.keys()), sorted(LIMITS.keys() - routes)
    assert not missing and not gone, (f"LIMITS lacks {missing}, and names routes portal-local --routes does not "
                                      f"serve: {gone}")
    wrong = {route: limit.kind for route, limit in LIMITS.items()
             if limit.kind != kind_of(route) or (limit.kind != OTHER and limit not in (FAMILY_PAGE, OFFICE_PAGE))}
    assert not wrong, f"rows whose kind or numbers are not the issue's for their route: {wrong}"
    assert all(limit.why for limit in LIMITS.values())
    assert OPEN.keys() <= LIMITS.keys(), f"OPEN names routes LIMITS lacks: {OPEN.keys() - LIMITS.keys()}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_route_keeps_to_its_limit(servers, backend, request):
    if backend != "aws":
        pytest.skip("the embedded backend counts no DynamoDB calls")
    after_the_aws_run(servers, request, "DynamoDB counts")
    # Both AWS portals (the idle one of test_sessions.py too), each stopped first so that its
    # log is complete; nothing runs after this module.
    logs = [servers.stop(b) for b in ("aws", AWS_IDLE) if b in servers.logs]
    lines = [line for log in logs for line in parse_log_lines(log.read_text(errors="replace"))]
    problems = offences(lines, {**LIMITS, **{route: held for route, (held, _) in OPEN.items()}}, OUTSIDE_THE_API)
    for route in sorted(OPEN.keys() - {p.split(" (", 1)[0] for p in offences(lines, LIMITS, OUTSIDE_THE_API)}):
        warnings.warn(f"{route} keeps to its LIMITS row now: take it off OPEN")
    assert not problems, (f"DynamoDB round trips over their limits ({', '.join(map(str, logs))}):\n  "
                          + "\n  ".join(problems))


def test_the_check_finds_what_it_should():
    page, change = "GET /api/patients/{patient_id}/demographics", "PUT /api/patients/{patient_id}/demographics"
    limits = {page: FAMILY_PAGE, change: other(2, 2, "why")}

    def line(route: str, status: int, reads: int, writes: int) -> dict:
        method, path = route.split(" ", 1)
        return {"message": "answered", "method": method, "route": path, "status": status,
                "dynamodb_reads": reads, "dynamodb_writes": writes}

    fine = [line(page, 200, 2, 1), line(page, 404, 2, 0), line(change, 200, 2, 2), {"message": "started"}]
    assert offences(fine, limits, {}) == []
    assert offences(fine + [line(page, 503, 9, 9)], limits, {}) == [], "a 5xx is another test's failure"
    [over] = offences(fine + [line(page, 200, 3, 1), line(page, 404, 2, 2)], limits, {})
    assert over.startswith(page) and "2 of 4 answers over" in over
    assert "worst 3 reads (a 200) and 2 writes (a 404)" in over
    [uncovered] = offences([line(page, 200, 1, 1), line(change, 409, 1, 1)], limits, {})
    assert uncovered == f"{change}: not covered, never answered 2xx on the AWS backend in this run"
    [unknown] = offences(fine + [line("POST /dev/fhir", 200, 30, 30), line("GET /api/x", 200, 0, 0)], limits,
                         {"POST /dev/fhir": "why"})
    assert unknown.startswith("GET /api/x: answered 1 times")
    assert "lack dynamodb_reads" in offences([{"message": "answered", "method": "GET", "route": "/x", "status": 200}],
                                              limits, {})[0]
    assert kind_of(page) == FAMILY and kind_of("GET /api/office/inbox") == OFFICE and kind_of(change) == OTHER
