"""Issue 4's cost rule, on the AWS backend: reading a patient's demographics costs at most two
DynamoDB reads (the access check included) plus the one audit write; issue 14 made the access
check one read (the caller's account and link and the patient in one BatchGetItem), so issue
11's lab results (their page, or a result's chart), issue 12's visits and requests, and issue
13's conversations, medications and refill requests are two reads and the audit write too; the office's queue and
inbox one Query per clinic (the counts three), never a Scan. Each answer's "answered" log line
counts the DynamoDB calls of its request."""

import datetime as dt
import uuid

import pytest

import fhir_bundles as fhir

from conftest import CARDIOLOGY, FAQ_CLINICS, describe, patient_path

ROUTE = "/api/patients/{patient_id}/demographics"


def answered_line(portal, since: int, method: str, route: str) -> dict:
    """The one "answered" log line of `method route` written since the offset."""
    lines = [line for line in portal.log_lines(since=since)
             if line.get("message") == "answered" and line.get("method") == method and line.get("route") == route]
    assert len(lines) == 1, f"{len(lines)} 'answered' lines for {method} {route}: {lines}"
    return lines[0]


def test_reading_demographics_costs_two_reads_and_the_audit_write(portal):
    if portal.backend != "aws":
        pytest.skip("counts DynamoDB calls: the AWS backend only")
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    family = portal.make_family(staff.auth)
    pid = family.patient["id"]
    for who, token in (("family", family.auth), ("staff", staff.auth), ("admin", portal.admin_token())):
        since = portal.log_offset()
        r = portal.get(patient_path(pid), token=token)
        assert r.status_code == 200, describe(r)
        line = answered_line(portal, since, "GET", ROUTE)
        assert line["status"] == 200, line
        assert isinstance(line.get("dynamodb_reads"), int) and isinstance(line.get("dynamodb_writes"), int), line
        assert line["dynamodb_reads"] <= 2, f"{who}: {line['dynamodb_reads']} DynamoDB reads"
        assert line["dynamodb_writes"] == 1, f"{who}: {line['dynamodb_writes']} DynamoDB writes"
        assert str(pid) not in str(line), "the patient id is in the log line's route"


def test_the_counts_count(portal):
    """The counter is not stuck at zero: a create (reserve the username, store the account and
    link, mark done: several writes) shows writes, and a refused read shows no audit write."""
    if portal.backend != "aws":
        pytest.skip("counts DynamoDB calls: the AWS backend only")
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    since = portal.log_offset()
    patient = portal.make_patient(staff.auth)
    line = answered_line(portal, since, "POST", "/api/admin/patients")
    assert line["dynamodb_writes"] >= 1, line

    since = portal.log_offset()
    r = portal.get(patient_path(str(uuid.uuid4())), token=staff.auth)
    assert r.status_code == 404, describe(r)
    line = answered_line(portal, since, "GET", ROUTE)
    assert line["dynamodb_writes"] == 0 and 1 <= line["dynamodb_reads"] <= 2, line
    assert patient["id"]


def test_reading_lab_results_costs_the_access_check_one_query_and_the_audit_write(portal):
    """Issue 11: a results page is the access check's one read and one Query; a result is the
    access check with the result in the same BatchGetItem, and one Query for its chart."""
    if portal.backend != "aws":
        pytest.skip("counts DynamoDB calls: the AWS backend only")
    family = portal.make_family()
    pid = family.patient["id"]
    sent = fhir.bundle(*(fhir.observation(fhir.literal(pid), fhir.HEMOGLOBIN, 12 + i / 10, effective=fhir.moment(i + 1))
                         for i in range(3)))
    assert fhir.statuses(portal.post_fhir(sent), sent) == ["201"] * 3
    since = portal.log_offset()
    r = portal.get(patient_path(pid, "results"), token=family.auth)
    assert r.status_code == 200, describe(r)
    line = answered_line(portal, since, "GET", "/api/patients/{patient_id}/results")
    assert (line["dynamodb_reads"], line["dynamodb_writes"]) == (2, 1), line
    result_id = r.json()["items"][0]["id"]
    since = portal.log_offset()
    r = portal.get(patient_path(pid, f"results/{result_id}"), token=family.auth)
    assert r.status_code == 200 and len(r.json()["history"]) == 3, describe(r)
    line = answered_line(portal, since, "GET", "/api/patients/{patient_id}/results/{result_id}")
    assert (line["dynamodb_reads"], line["dynamodb_writes"]) == (2, 1), line


def test_reading_visits_and_requests_costs_as_much_as_lab_results(portal):
    """Issue 12: a patient's visits, or their appointment requests, are the access check's read
    and one Query, and the audit write."""
    if portal.backend != "aws":
        pytest.skip("counts DynamoDB calls: the AWS backend only")
    family = portal.make_family()
    pid = family.patient["id"]
    sent = fhir.bundle(*(fhir.appointment(fhir.literal(pid), start=fhir.moment(-(i + 5))) for i in range(3)))
    assert fhir.statuses(portal.post_fhir(sent), sent) == ["201"] * 3
    r = portal.post(patient_path(pid, "appointment-requests"), token=family.auth, headers={"Idempotency-Key": str(uuid.uuid4())},
                    json={"clinic": CARDIOLOGY, "kind": "other", "reason": "A check-up before camp.", "days": ["tue"],
                          "times": ["morning"], "earliest": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
                          "phone": "617 555 0134"})
    assert r.status_code == 201, describe(r)
    for what in ("appointments", "appointment-requests"):
        since = portal.log_offset()
        r = portal.get(patient_path(pid, what), token=family.auth)
        assert r.status_code == 200 and len(r.json()["items"]) >= 1, describe(r)
        line = answered_line(portal, since, "GET", f"/api/patients/{{patient_id}}/{what}")
        assert line["dynamodb_reads"] <= 2 and line["dynamodb_writes"] == 1, line


def test_the_queue_reads_one_query_per_clinic_and_never_scans(portal):
    """Issue 12: "The queue reads one DynamoDB Query per clinic (a clinic-and-status index, no
    Scan)". Staff of one clinic with open requests, and staff of that clinic and one whose queue
    is empty: the second costs exactly one read more. The admins' queue of every clinic makes
    no Scan and at least one read per clinic."""
    if portal.backend != "aws":
        pytest.skip("counts DynamoDB calls: the AWS backend only")
    busy, empty = "pediatric-nephrology", "pediatric-physical-med-rehab"  # no other test asks at these clinics
    one = portal.make_staff(clinics=(busy,))
    two = portal.make_staff(clinics=(busy, empty))
    for _ in range(2):
        family = portal.make_family(one.auth, busy)
        r = portal.post(patient_path(family.patient["id"], "appointment-requests"), token=family.auth,
                        headers={"Idempotency-Key": str(uuid.uuid4())},
                        json={"clinic": busy, "kind": "follow-up", "reason": "Kidney follow-up.", "days": ["wed"],
                              "times": ["morning"], "earliest": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
                              "phone": "617 555 0134"})
        assert r.status_code == 201, describe(r)
    lines = {}
    for who, token in (("one", one.auth), ("two", two.auth), ("admin", portal.admin_token())):
        since = portal.log_offset()
        r = portal.get("/api/office/appointment-requests", token=token)
        assert r.status_code == 200, describe(r)
        lines[who] = answered_line(portal, since, "GET", "/api/office/appointment-requests")
        assert "dynamodb:Scan" not in str(lines[who].get("sdk_calls")), lines[who]
    assert [i["clinic"] for i in r.json()["items"]] != [], "the admins' queue is empty"
    assert lines["two"]["dynamodb_reads"] == lines["one"]["dynamodb_reads"] + 1, (lines["one"], lines["two"])
    assert lines["admin"]["dynamodb_reads"] >= len(FAQ_CLINICS), lines["admin"]


PHARMACY = {"name": "Corner Pharmacy", "address": "1 Main Street, Boston", "phone": "617 555 0134"}


def test_reading_messages_medications_and_refills_costs_as_much_as_lab_results(portal):
    """Issue 13: a family's page of conversations, of medications or of refill requests, and a
    conversation with nothing unread, are the access check's read, the page's one Query,
    and the audit write; never a Scan."""
    if portal.backend != "aws":
        pytest.skip("counts DynamoDB calls: the AWS backend only")
    family = portal.make_family()
    pid = family.patient["id"]
    sent = fhir.bundle(*(fhir.medication_request(fhir.literal(pid), drug, authored=fhir.moment(i + 2), refills=1)
                         for i, drug in enumerate((fhir.AMOXICILLIN, fhir.ALBUTEROL))))
    assert fhir.statuses(portal.post_fhir(sent), sent) == ["201"] * 2
    [med, _] = portal.patient_data(family.auth, pid, "medications")["items"]
    r = portal.post(patient_path(pid, "conversations"), token=family.auth,
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                    json={"clinic": CARDIOLOGY, "subject": "A question", "body": "Is the new dose right?"})
    assert r.status_code == 201, describe(r)
    cid = r.json()["id"]
    r = portal.post(patient_path(pid, "refill-requests"), token=family.auth,
                    headers={"Idempotency-Key": str(uuid.uuid4())},
                    json={"medication_ids": [med["id"]], "pharmacy": PHARMACY})
    assert r.status_code == 201, describe(r)
    for path, route in (("conversations", "conversations"), ("medications", "medications"),
                        ("refill-requests", "refill-requests"),
                        (f"conversations/{cid}", "conversations/{conversation_id}")):
        since = portal.log_offset()
        r = portal.get(patient_path(pid, path), token=family.auth)
        assert r.status_code == 200, describe(r)
        line = answered_line(portal, since, "GET", f"/api/patients/{{patient_id}}/{route}")
        assert line["dynamodb_reads"] <= 2 and line["dynamodb_writes"] == 1, line
        assert "dynamodb:Scan" not in str(line.get("sdk_calls")), line


def test_the_inbox_and_counts_read_one_query_per_clinic_and_never_scan(portal):
    """Issue 13: the office's inbox (of conversations, of refill requests) reads one Query per
    clinic, like the appointment queue; the menu's counts three (appointment requests,
    conversations, refill requests), each a count of one partition. Staff of a clinic with
    waiting messages, and staff of that clinic and one where nothing waits: the second costs
    one read more for an inbox, three for the counts. Admins' make no Scan."""
    if portal.backend != "aws":
        pytest.skip("counts DynamoDB calls: the AWS backend only")
    busy, empty = "pediatric-specialty-center-woburn", "pediatric-specialty-center-lawrence"  # no other test's
    one = portal.make_staff(clinics=(busy,))
    two = portal.make_staff(clinics=(busy, empty))
    for _ in range(2):
        family = portal.make_family(one.auth, busy)
        pid = family.patient["id"]
        sent = fhir.bundle(fhir.medication_request(fhir.literal(pid), fhir.AMOXICILLIN, authored=fhir.moment(3)))
        assert fhir.statuses(portal.post_fhir(sent), sent) == ["201"]
        [med] = portal.patient_data(family.auth, pid, "medications")["items"]
        for what, body in (("conversations", {"clinic": busy, "subject": "A question", "body": "Is it time?"}),
                           ("refill-requests", {"medication_ids": [med["id"]], "pharmacy": PHARMACY})):
            r = portal.post(patient_path(pid, what), token=family.auth, json=body,
                            headers={"Idempotency-Key": str(uuid.uuid4())})
            assert r.status_code == 201, describe(r)
    for path, route in (("/api/office/inbox", "/api/office/inbox"),
                        ("/api/office/inbox?kind=refill", "/api/office/inbox"),
                        ("/api/office/counts", "/api/office/counts")):
        lines = {}
        for who, token in (("one", one.auth), ("two", two.auth), ("admin", portal.admin_token())):
            since = portal.log_offset()
            r = portal.get(path, token=token)
            assert r.status_code == 200, describe(r)
            lines[who] = answered_line(portal, since, "GET", route)
            assert "dynamodb:Scan" not in str(lines[who].get("sdk_calls")), lines[who]
        more = 3 if route.endswith("counts") else 1
        assert lines["two"]["dynamodb_reads"] == lines["one"]["dynamodb_reads"] + more, \
            (path, lines["one"], lines["two"])
        assert lines["admin"]["dynamodb_reads"] >= more * len(FAQ_CLINICS), (path, lines["admin"])
