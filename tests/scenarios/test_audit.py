"""Flow 7 of issue 4: the access audit. Every read or write of a patient's data writes exactly
one audit record (who, their role, for which patient, what, when, outcome, request id; no PHI)
to the audit store. The family reads "who viewed or changed this record"
(GET /api/patients/{id}/access-log: staff by name and clinic, themselves as "you"); staff of
the patient's clinic and admins read the audit by patient (GET /api/admin/patients/{id}/audit).

The count test reads the audit store directly (`Portal.audit_records`), not through the API."""

import base64
import datetime as dt
import json
import re
import subprocess
import uuid

import pytest

import fhir_bundles as fhir

from conftest import (
    PORTAL_BIN, CARDIOLOGY, CLINIC_NAMES, ENDOCRINE, SECRETS, Kind, assert_no_store, assert_problem, describe,
    letters, new_address, new_contact, new_email, new_patient_body, new_pharmacy, new_phone, new_username,
    patient_path,
)

# The code's list (`portal::store::audit::Action`), not a copy of it.
ACTIONS = set(json.loads(subprocess.run([str(PORTAL_BIN), "--audit-ids"], capture_output=True, text=True,
                                        check=True, timeout=60).stdout)["actions"])
ROLES = {"admin", "staff", "self", "parent", "guardian", "family"}
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def access_log(portal, token, pid, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return portal.get(patient_path(pid, "access-log") + (f"?{qs}" if qs else ""), token=token)


def office_audit(portal, token, pid, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return portal.get(f"/api/admin/patients/{pid}/audit" + (f"?{qs}" if qs else ""), token=token)


def items_of(r) -> list[dict]:
    assert r.status_code == 200, describe(r)
    assert_no_store(r)
    body = r.json()
    assert set(body) == {"items", "cursor"}, body
    ats = [i["at"] for i in body["items"]]
    assert all(RFC3339_UTC.match(a) for a in ats), ats
    assert ats == sorted(ats, reverse=True), "not newest first"
    return body["items"]


def all_pages(call, limit: int) -> list[dict]:
    items, cursor = [], None
    for _ in range(200):
        r = call(limit=limit, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, describe(r)
        page = r.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["cursor"]
        if cursor is None:
            return items
    pytest.fail("paging never ended")


def brief(item) -> tuple:
    return (item["at"], item["action"], item["outcome"], json.dumps(item["who"], sort_keys=True))


@pytest.fixture(scope="module")
def clinic(portal):
    """Cardiology staff (with known names), endocrine staff, and a family of cardiology."""
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    other = portal.make_staff(clinics=(ENDOCRINE,))
    family = portal.make_family(staff.auth)
    return {"staff": staff, "other": other, "family": family}


# ---------------------------------------------------------------- (a) the family's access log


def test_the_family_sees_who_viewed_or_changed_the_record(portal, clinic):
    staff = clinic["staff"]
    family = portal.make_family(staff.auth)
    co_guardian = portal.make_holder(family.patient, "guardian", staff.auth)
    pid = family.patient["id"]

    portal.patient_data(staff.auth, pid)                                   # 1 staff reads
    info = portal.patient_data(staff.auth, pid, "additional-info")         # 2 staff reads
    r = portal.put(patient_path(pid, "additional-info"), token=staff.auth,  # 3 staff changes
                   json={**info, "emergency_contacts": [new_contact()]})
    assert r.status_code == 200, describe(r)
    portal.patient_data(co_guardian.auth, pid)                             # 4 the other guardian reads
    portal.patient_data(family.auth, pid)                                  # 5 the family reads
    items = items_of(access_log(portal, family.auth, pid))                 # 6 this read itself

    staff_who = {"kind": "staff", "name": staff.name, "clinic": CLINIC_NAMES[CARDIOLOGY]}
    expected = [("access-log.read", {"kind": "you"}), ("demographics.read", {"kind": "you"}),
                ("demographics.read", {"kind": "guardian"}), ("additional-info.update", staff_who),
                ("additional-info.read", staff_who), ("demographics.read", staff_who)]
    seen = [(i["action"], i["who"]) for i in items[:len(expected)]]
    assert seen == expected
    # The family learns who by name and clinic only (no staff username, no account id).
    assert all(set(i["who"]) <= {"kind", "name", "clinic"} for i in items), [i["who"] for i in items]
    assert all(i["outcome"] == "allowed" for i in items[:len(expected)])
    assert all("request_id" not in i for i in items), "the family's log shows request ids"
    # Older: the office registered the patient and created the account.
    assert len(items) > len(expected)

    # The other guardian sees the first family's reads as "parent", their own as "you".
    theirs = items_of(access_log(portal, co_guardian.auth, pid))
    assert [(i["action"], i["who"]["kind"]) for i in theirs[:4]] == [
        ("access-log.read", "you"), ("access-log.read", "parent"), ("demographics.read", "parent"),
        ("demographics.read", "you")]


def test_the_access_log_is_paged_newest_first(portal, clinic):
    family, staff = clinic["family"], clinic["staff"]
    pid = family.patient["id"]
    for _ in range(3):
        portal.patient_data(staff.auth, pid)
        portal.patient_data(family.auth, pid)
    full = items_of(access_log(portal, family.auth, pid, limit=100))
    assert len(full) >= 8
    paged = all_pages(lambda **q: access_log(portal, family.auth, pid, **q), limit=3)
    # Each page's call is recorded first: the first page starts with the paging's own read,
    # the later pages continue below the cursor.
    assert paged[0]["action"] == "access-log.read" and paged[0]["who"]["kind"] == "you"
    assert [brief(i) for i in paged[1:]] == [brief(i) for i in full]
    assert len({brief(i) for i in paged}) == len(paged), "an item was listed twice"
    for limit in (0, 101, "x"):
        assert_problem(access_log(portal, family.auth, pid, limit=limit), 400, "limit")


def test_staff_and_admins_do_not_read_the_family_access_log(portal, clinic):
    pid = clinic["family"].patient["id"]
    assert_problem(access_log(portal, clinic["staff"].auth, pid), 403)
    assert_problem(access_log(portal, portal.admin_token(), pid), 403)
    assert_problem(access_log(portal, None, pid), 401)
    other_family = portal.make_family()
    assert_problem(access_log(portal, other_family.auth, pid), 404)


# ---------------------------------------------------------------- (b) the office's audit by patient


def test_staff_of_the_clinic_and_admins_read_the_audit(portal, clinic):
    staff, other = clinic["staff"], clinic["other"]
    family = portal.make_family(staff.auth)
    pid = family.patient["id"]
    portal.patient_data(family.auth, pid)
    denied = portal.get(patient_path(pid), token=other.auth)
    assert_problem(denied, 404)

    items = items_of(office_audit(portal, staff.auth, pid))
    # The caller's own reads are "you" here too.
    assert (items[0]["action"], items[0]["who"]["kind"]) == ("audit.read", "you"), items[0]
    assert (items[1]["action"], items[1]["outcome"], items[1]["who"]["kind"]) == \
        ("demographics.read", "denied", "staff"), items[1]
    assert (items[2]["action"], items[2]["outcome"], items[2]["who"]["kind"]) == \
        ("demographics.read", "allowed", "parent"), items[2]
    for item in items:
        assert isinstance(item["request_id"], str) and item["request_id"], item
        assert item["outcome"] in ("allowed", "denied") and item["action"] in ACTIONS, item
    assert len({i["request_id"] for i in items}) == len(items)
    assert "patient.create" in {i["action"] for i in items}

    admin_items = items_of(office_audit(portal, portal.admin_token(), pid))
    assert (admin_items[0]["action"], admin_items[0]["who"]["kind"]) == ("audit.read", "you"), admin_items[0]
    # The admin sees the staff member's read by name and clinic.
    assert admin_items[1]["request_id"] == items[0]["request_id"]
    who = admin_items[1]["who"]
    assert {k: who.get(k) for k in ("kind", "name", "clinic")} == \
        {"kind": "staff", "name": staff.name, "clinic": CLINIC_NAMES[CARDIOLOGY]}, who
    assert [same(i) for i in admin_items[1:]] == [same(i) for i in items]

    paged = all_pages(lambda **q: office_audit(portal, staff.auth, pid, **q), limit=2)
    ids = [i["request_id"] for i in paged]
    assert len(ids) == len(set(ids)), "an item was listed twice"
    assert [same(i) for i in paged if i["request_id"] in set(ids) & {x["request_id"] for x in admin_items}] == \
        [same(i) for i in admin_items]
    for limit in (0, 101):
        assert_problem(office_audit(portal, staff.auth, pid, limit=limit), 400, "limit")


def same(item) -> tuple:
    """An office audit item, without who (seen from one caller or another)."""
    return (item["at"], item["action"], item["outcome"], item["request_id"])


def test_the_audit_is_the_office_of_the_clinics_only(portal, clinic):
    family = clinic["family"]
    pid = family.patient["id"]
    unknown = office_audit(portal, clinic["other"].auth, str(uuid.uuid4()))
    denied = office_audit(portal, clinic["other"].auth, pid)
    assert_problem(denied, 404)
    assert denied.json() == assert_problem(unknown, 404)
    assert_problem(office_audit(portal, family.auth, pid), 403)
    assert_problem(office_audit(portal, None, pid), 401)


# ---------------------------------------------------------------- (c) one record per operation


class Counter:
    """Runs one request at a time and checks the audit records it added, read from the store."""

    def __init__(self, portal, watched: list[str], phi: set[str]):
        self.portal = portal
        self.watched = list(watched)
        self.phi = phi
        self.problems: list[str] = []
        self.request_ids: set[str] = set()

    def snapshot(self) -> dict:
        return {pid: {r["sk"] for r in self.portal.audit_records(pid)} for pid in self.watched}

    def run(self, name: str, act, status: int, expect) -> "requests.Response":
        """`act()` makes one request answering `status`; `expect` (or `expect(r)`) maps each
        patient concerned to (records, action, role, outcome); other watched patients get none."""
        before = self.snapshot()
        r = act()
        if r.status_code != status:
            self.problems.append(f"{name}: expected {status}: {describe(r)}")
            return r
        expected = expect(r) if callable(expect) else expect
        for pid in expected:
            if pid not in self.watched:
                self.watched.append(pid)
                before[pid] = set()
        new_ids = set()
        for pid in self.watched:
            new = [rec for rec in self.portal.audit_records(pid) if rec["sk"] not in before[pid]]
            n, action, role, outcome = expected.get(pid, (0, None, None, None))
            if len(new) != n:
                self.problems.append(f"{name}: {len(new)} new audit records for a patient, expected {n}: "
                                     f"{[(x.get('action'), x.get('role'), x.get('outcome')) for x in new]}")
                continue
            for rec in new:
                self.problems += [f"{name}: {p}" for p in self.check(rec, pid, action, role, outcome)]
                new_ids.add(rec.get("request_id"))
        if len(new_ids) > 1:
            self.problems.append(f"{name}: one request wrote records with {len(new_ids)} request ids")
        if new_ids & self.request_ids:
            self.problems.append(f"{name}: request id reused from an earlier request")
        self.request_ids |= new_ids
        return r

    def check(self, rec: dict, pid: str, action, role, outcome) -> list[str]:
        out = []
        if rec.get("pk") != f"AUDIT#{pid}" or rec.get("patient_id") != pid:
            out.append(f"record under the wrong patient: pk {rec.get('pk')!r}")
        if action is not None and rec.get("action") != action:
            out.append(f"action {rec.get('action')!r}, expected {action!r}")
        if rec.get("action") not in ACTIONS:
            out.append(f"unknown action {rec.get('action')!r}")
        if rec.get("role") != role:
            out.append(f"role {rec.get('role')!r}, expected {role!r}")
        if rec.get("outcome") != outcome:
            out.append(f"outcome {rec.get('outcome')!r}, expected {outcome!r}")
        if not (isinstance(rec.get("request_id"), str) and rec["request_id"]):
            out.append("no request_id")
        if not (isinstance(rec.get("actor"), str) and rec["actor"]):
            out.append("no actor")
        # Staff are named in their records (the family's access log reads no account); account
        # holders never are. (The first admin's account has no name to give.)
        if rec.get("role") == "staff" and not (isinstance(rec.get("name"), str) and rec["name"]):
            out.append("a staff member's record without their name")
        if rec.get("role") not in ("staff", "admin") and "name" in rec:
            out.append("an account holder named in an audit record")
        if not RFC3339_UTC.match(str(rec.get("at"))):
            out.append(f"at {rec.get('at')!r} is not RFC 3339 UTC")
        text = json.dumps(rec, default=str).lower()
        leaked = [v for v in self.phi if v.lower() in text]
        if leaked:
            out.append(f"{len(leaked)} PHI value(s) in the audit record {sorted(rec)}")
        return out


def _phi_of(patient: dict) -> set[str]:
    y, m, d = patient["birth_date"].split("-")
    return {patient["given_name"], patient["family_name"], patient["birth_date"], f"{m}/{d}/{y}",
            patient.get("mrn") or patient["given_name"]}


def test_every_patient_data_operation_writes_exactly_one_audit_record(portal):
    staff = portal.make_staff(clinics=(CARDIOLOGY,))
    endocrine = portal.make_staff(clinics=(ENDOCRINE,))
    admin = portal.admin_token()
    family_name = SECRETS.add(Kind.PATIENT_NAME, "Audit" + letters(10))

    def patient(token, clinic):
        body = {**new_patient_body(clinic), "family_name": family_name}
        r = portal.create_patient(token, body)
        assert r.status_code == 201, describe(r)
        return {**body, "id": r.json()["id"]}

    x = patient(staff.auth, CARDIOLOGY)
    y = patient(staff.auth, CARDIOLOGY)
    z = patient(endocrine.auth, ENDOCRINE)
    parent = portal.make_holder(x, "parent", staff.auth)
    X, Y, Z = x["id"], y["id"], z["id"]
    address, phone, email = new_address(line2=True), new_phone(), new_email("pt")
    contact = new_contact()
    phi = set().union(_phi_of(x), _phi_of(y), _phi_of(z)) | {
        address["line1"], address["line2"], address["city"], phone, email, contact["name"],
        contact["phones"][0]["number"], parent.email}
    c = Counter(portal, [X, Y, Z], phi)
    get = portal.get

    c.run("GET demographics", lambda: get(patient_path(X), token=parent.auth), 200,
          {X: (1, "demographics.read", "parent", "allowed")})
    demo = portal.patient_data(parent.auth, X)
    c.run("PUT demographics", lambda: portal.put(patient_path(X), token=parent.auth, json={
        **demo, "address": address, "phones": [{"kind": "mobile", "number": phone}], "email": email}), 200,
        {X: (1, "demographics.update", "parent", "allowed")})
    c.run("GET additional-info", lambda: get(patient_path(X, "additional-info"), token=parent.auth), 200,
          {X: (1, "additional-info.read", "parent", "allowed")})
    info = portal.patient_data(parent.auth, X, "additional-info")
    c.run("PUT additional-info", lambda: portal.put(patient_path(X, "additional-info"), token=parent.auth,
                                                    json={**info, "emergency_contacts": [contact]}), 200,
          {X: (1, "additional-info.update", "parent", "allowed")})
    c.run("GET additional-info (staff)", lambda: get(patient_path(X, "additional-info"), token=staff.auth), 200,
          {X: (1, "additional-info.read", "staff", "allowed")})
    c.run("GET demographics (admin)", lambda: get(patient_path(Z), token=admin), 200,
          {Z: (1, "demographics.read", "admin", "allowed")})
    c.run("access-log", lambda: get(patient_path(X, "access-log"), token=parent.auth), 200,
          {X: (1, "access-log.read", "parent", "allowed")})
    c.run("office audit", lambda: get(f"/api/admin/patients/{X}/audit", token=staff.auth), 200,
          {X: (1, "audit.read", "staff", "allowed")})
    c.run("office audit (admin)", lambda: get(f"/api/admin/patients/{Z}/audit", token=admin), 200,
          {Z: (1, "audit.read", "admin", "allowed")})
    # The Medical Record (issue 11): one record for each read, whatever it lists.
    obs = fhir.observation(fhir.literal(X), fhir.HEMOGLOBIN, 12.5, effective=fhir.moment(5))
    sent = fhir.bundle(obs, fhir.diagnostic_report(fhir.literal(X), fhir.CBC, [obs], effective=fhir.moment(5)),
                       fhir.immunization(fhir.literal(X), fhir.DTAP, occurred=fhir.moment(400), dose=1))
    assert fhir.statuses(portal.post_fhir(sent), sent) == ["201", "201", "201"]
    [result] = get(patient_path(X, "results"), token=admin).json()["items"]
    [report] = get(patient_path(X, "reports"), token=admin).json()["items"]
    for what, action in (("results", "results.read"), (f"results/{result['id']}", "result.read"),
                         ("reports", "reports.read"), (f"reports/{report['id']}", "report.read"),
                         ("immunizations", "immunizations.read"), ("immunizations/fhir", "immunizations.export")):
        c.run(f"GET {what.split('/')[0]}", lambda what=what: get(patient_path(X, what), token=parent.auth), 200,
              {X: (1, action, "parent", "allowed")})
    c.run("GET results (staff)", lambda: get(patient_path(X, "results"), token=staff.auth), 200,
          {X: (1, "results.read", "staff", "allowed")})
    SECRETS.add(Kind.SEARCH, family_name)
    phi.add(family_name)
    c.run("search (staff: two listed)", lambda: portal.search(staff.auth, family_name), 200,
          {X: (1, "patient.search", "staff", "allowed"), Y: (1, "patient.search", "staff", "allowed")})
    c.run("search (admin: three listed)", lambda: portal.search(admin, family_name), 200,
          {p: (1, "patient.search", "admin", "allowed") for p in (X, Y, Z)})
    c.run("search (one listed per page)", lambda: portal.search(staff.auth, family_name, limit=1), 200,
          lambda r: {r.json()["items"][0]["id"]: (1, "patient.search", "staff", "allowed")})
    c.run("link", lambda: portal.link(staff.auth, parent.username, Y, "parent"), 201,
          {Y: (1, "account.link", "staff", "allowed")})
    c.run("link (admin, another clinic's patient)", lambda: portal.link(admin, parent.username, Z, "parent"), 201,
          {Z: (1, "account.link", "admin", "allowed")})
    c.run("GET /api/account (three listed)", lambda: get("/api/account", token=parent.auth), 200,
          {p: (1, "account.read", "parent", "allowed") for p in (X, Y, Z)})
    c.run("find account (staff: two of their clinic listed)",
          lambda: get(f"/api/admin/accounts/{parent.username}", token=staff.auth), 200,
          {X: (1, "account.read", "staff", "allowed"), Y: (1, "account.read", "staff", "allowed")})
    c.run("find account (other clinic's staff: one listed)",
          lambda: get(f"/api/admin/accounts/{parent.username}", token=endocrine.auth), 200,
          {Z: (1, "account.read", "staff", "allowed")})
    c.run("unlink", lambda: portal.unlink(staff.auth, parent.username, Y), 204,
          {Y: (1, "account.unlink", "staff", "allowed")})
    c.run("GET /api/account (two listed)", lambda: get("/api/account", token=parent.auth), 200,
          {p: (1, "account.read", "parent", "allowed") for p in (X, Z)})
    new_body = new_patient_body(CARDIOLOGY)
    phi |= _phi_of(new_body)
    c.run("create patient", lambda: portal.create_patient(staff.auth, new_body), 201,
          lambda r: {r.json()["id"]: (1, "patient.create", "staff", "allowed")})
    guardian_email = new_email("fam")
    phi.add(guardian_email)
    c.run("create account", lambda: portal.create_account(staff.auth, new_username("fam"), guardian_email, Y, "guardian"),
          201, {Y: (1, None, "staff", "allowed")})
    c.run("denied read (staff of another clinic)", lambda: get(patient_path(X), token=endocrine.auth), 404,
          {X: (1, "demographics.read", "staff", "denied")})
    c.run("denied read (a family not linked)", lambda: get(patient_path(Y), token=parent.auth), 404,
          {Y: (1, "demographics.read", "family", "denied")})
    c.run("unknown patient", lambda: get(patient_path(str(uuid.uuid4())), token=staff.auth), 404, {})
    c.run("GET /api/account (staff, no patients)", lambda: get("/api/account", token=staff.auth), 200, {})
    assert not c.problems, "\n".join(c.problems)


# ---------------------------------------------------------------- issue 9: crafted cursors


def test_a_crafted_cursor_is_400_never_a_server_error(portal, clinic):
    """A paging cursor of the access log or the office audit that is no audit record's sort key
    (base64 of "zzzz", of a blank, of another table's key) is a 400 naming `cursor`."""
    family, staff = clinic["family"], clinic["staff"]
    pid = family.patient["id"]
    calls = {"access log": lambda cursor: access_log(portal, family.auth, pid, cursor=cursor),
             "office audit": lambda cursor: office_audit(portal, staff.auth, pid, cursor=cursor),
             "office audit (admin)": lambda cursor: office_audit(portal, portal.admin_token(), pid, cursor=cursor)}
    crafted = ["zzzz", " ", "#", "NAME#a"]
    wrong = []
    for what, call in calls.items():
        for sk in crafted:
            cursor = base64.urlsafe_b64encode(sk.encode()).rstrip(b"=").decode()
            r = call(cursor)
            if r.status_code != 400 or "cursor" not in str(r.json().get("field") or r.json().get("detail")):
                wrong.append(f"{what}, {sk!r}: {describe(r)}")
    assert not wrong, "\n".join(wrong)
    # The cursors the portal gives out still page.
    r = access_log(portal, family.auth, pid, limit=1)
    assert r.status_code == 200 and r.json()["cursor"], describe(r)
    assert access_log(portal, family.auth, pid, limit=1, cursor=r.json()["cursor"]).status_code == 200
    r = office_audit(portal, staff.auth, pid, limit=1)
    assert r.status_code == 200 and r.json()["cursor"], describe(r)
    assert office_audit(portal, staff.auth, pid, limit=1, cursor=r.json()["cursor"]).status_code == 200


# ---------------------------------------------------------------- issue 9, item 7: real outcomes


def outcomes(portal, pid: str, action: str) -> list[tuple]:
    """(outcome, status) of the patient's audit records for `action`, oldest first."""
    return [(r["outcome"], r.get("status")) for r in portal.audit_records(pid) if r["action"] == action]


def test_the_audit_records_what_really_happened_to_a_change(portal):
    family = portal.make_family()
    pid = family.patient["id"]
    body = portal.patient_data(family.auth, pid)
    stale = {**body, "version": body["version"] + 7}
    assert_problem(portal.put(patient_path(pid), token=family.auth, json=stale), 409)
    forbidden = {**body, "given_name": body["given_name"] + "x"}
    assert_problem(portal.put(patient_path(pid), token=family.auth, json=forbidden), 403, "given_name")
    r = portal.put(patient_path(pid), token=family.auth, json=body)
    assert r.status_code == 200, describe(r)
    assert outcomes(portal, pid, "demographics.update") == [("failed", 409), ("failed", 403), ("allowed", None)]

    # Linking an account that does not exist links nothing, and records nothing as done.
    admin = portal.admin_token()
    assert_problem(portal.link(admin, new_username("nobody"), pid, "guardian"), 404)
    assert outcomes(portal, pid, "account.link") == [("allowed", None)]  # the family's own creation


def test_a_replayed_create_is_audited(portal):
    admin = portal.admin_token()
    body = new_patient_body()
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = portal.post("/api/admin/patients", token=admin, json=body, headers=headers)
    assert first.status_code == 201, describe(first)
    again = portal.post("/api/admin/patients", token=admin, json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first.json(), describe(again)
    assert again.headers.get("idempotent-replayed") == "true"
    assert outcomes(portal, first.json()["id"], "patient.create") == [("allowed", None), ("replayed", None)]


# ---------------------------------------------------------------- issue 12: appointments

APPOINTMENT_ACTIONS = {"appointments.read", "appointment.calendar", "appointment-requests.read",
                       "appointment-request.create", "appointment-request.cancel", "appointment-request.read",
                       "appointment-queue.read", "appointment-request.schedule", "appointment-request.decline",
                       "appointment-request.confirm", "appointment-request.note"}
RHEUMATOLOGY = "pediatric-rheumatology"  # the queue of this test's clinic lists its patients only


def test_the_appointment_actions_are_the_codes():
    """Each audit action of the appointments contract is one of the code's."""
    assert APPOINTMENT_ACTIONS - ACTIONS == set(), "appointment actions the code does not have"


def test_every_appointments_operation_writes_exactly_one_audit_record(portal):
    """Issue 12: each route of the appointments function writes one record of its action for
    the patient concerned (the queue: one for each patient it lists), with no PHI; a read
    denied to staff of another clinic is recorded as denied; an unknown request id records
    nothing."""
    from fhir_bundles import appointment

    staff = portal.make_staff(clinics=(RHEUMATOLOGY,))
    other = portal.make_staff(clinics=(ENDOCRINE,))
    admin = portal.admin_token()
    x = portal.make_patient(staff.auth, RHEUMATOLOGY)
    y = portal.make_patient(staff.auth, RHEUMATOLOGY)
    parent = portal.make_holder(x, "parent", staff.auth)
    parent_y = portal.make_holder(y, "parent", staff.auth)
    X, Y = x["id"], y["id"]
    reason = SECRETS.add(Kind.APPOINTMENT_TEXT, "Knee swelling " + letters(10))
    note = SECRETS.add(Kind.APPOINTMENT_TEXT, "Call the father " + letters(10))
    phone = new_phone()
    phi = _phi_of(x) | _phi_of(y) | {reason, note, phone, parent.email}
    c = Counter(portal, [X, Y], phi)
    get, post = portal.get, portal.post

    start = (fhir.instant(fhir.moment(-20))).replace(hour=14, minute=0, second=0)
    visit = appointment(fhir.literal(X), start=start.strftime("%Y-%m-%dT%H:%M:%SZ"), clinic=RHEUMATOLOGY,
                        provider="Rosa Alvarez, MD", reason=reason)
    b = fhir.bundle(visit)
    assert fhir.statuses(portal.post_fhir(b), b) == ["201"]
    [v] = get(patient_path(X, "appointments"), token=admin).json()["items"]

    def body(**changes):
        out = {"clinic": RHEUMATOLOGY, "kind": "new-problem", "reason": reason, "days": ["mon"], "times": ["morning"],
               "earliest": (dt.date.today() + dt.timedelta(days=3)).isoformat(), "phone": phone}
        out.update(changes)
        return out

    def create(account, pid):
        return post(patient_path(pid, "appointment-requests"), token=account.auth, json=body(),
                    headers={"Idempotency-Key": str(uuid.uuid4())})

    c.run("GET appointments", lambda: get(patient_path(X, "appointments"), token=parent.auth), 200,
          {X: (1, "appointments.read", "parent", "allowed")})
    c.run("GET appointments (staff)", lambda: get(patient_path(X, "appointments"), token=staff.auth), 200,
          {X: (1, "appointments.read", "staff", "allowed")})
    c.run("GET calendar", lambda: get(patient_path(X, f"appointments/{v['id']}/calendar"), token=parent.auth), 200,
          {X: (1, "appointment.calendar", "parent", "allowed")})
    c.run("GET appointment-requests", lambda: get(patient_path(X, "appointment-requests"), token=parent.auth), 200,
          {X: (1, "appointment-requests.read", "parent", "allowed")})
    first = c.run("POST appointment-requests", lambda: create(parent, X), 201,
                  {X: (1, "appointment-request.create", "parent", "allowed")}).json()
    c.run("cancel", lambda: post(patient_path(X, f"appointment-requests/{first['id']}/cancel"), token=parent.auth,
                                 json={}), 200, {X: (1, "appointment-request.cancel", "parent", "allowed")})
    second = c.run("POST appointment-requests (again)", lambda: create(parent, X), 201,
                   {X: (1, "appointment-request.create", "parent", "allowed")}).json()
    c.run("POST appointment-requests (Y)", lambda: create(parent_y, Y), 201,
          {Y: (1, "appointment-request.create", "parent", "allowed")})
    c.run("the queue (two patients listed)",
          lambda: get(f"/api/office/appointment-requests?clinic={RHEUMATOLOGY}", token=staff.auth), 200,
          {X: (1, "appointment-queue.read", "staff", "allowed"), Y: (1, "appointment-queue.read", "staff", "allowed")})
    c.run("the queue (admin, one clinic, one listed a page)",
          lambda: get(f"/api/office/appointment-requests?clinic={RHEUMATOLOGY}&limit=1", token=admin), 200,
          lambda r: {r.json()["items"][0]["patient"]["id"]: (1, "appointment-queue.read", "admin", "allowed")})
    c.run("office request", lambda: get(f"/api/office/appointment-requests/{second['id']}", token=staff.auth), 200,
          {X: (1, "appointment-request.read", "staff", "allowed")})
    c.run("note", lambda: post(f"/api/office/appointment-requests/{second['id']}/notes", token=staff.auth,
                               json={"text": note}), 201, {X: (1, "appointment-request.note", "staff", "allowed")})
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=9)).replace(microsecond=0)
    version = get(f"/api/office/appointment-requests/{second['id']}", token=admin).json()["version"]
    scheduled = c.run("schedule", lambda: post(f"/api/office/appointment-requests/{second['id']}/schedule",
                                               token=staff.auth, json={
                                                   "start": later.isoformat(),
                                                   "end": (later + dt.timedelta(minutes=30)).isoformat(),
                                                   "version": version}), 200,
                      {X: (1, "appointment-request.schedule", "staff", "allowed")}).json()
    third = create(parent, X).json()
    c.run("decline", lambda: post(f"/api/office/appointment-requests/{third['id']}/decline", token=admin,
                                  json={"reason": note, "version": third["version"]}), 200,
          {X: (1, "appointment-request.decline", "admin", "allowed")})
    asked = c.run("cancel-request", lambda: post(
        patient_path(X, f"appointments/{scheduled['appointment_id']}/cancel-request"), token=parent.auth, json={},
        headers={"Idempotency-Key": str(uuid.uuid4())}), 201, {X: (1, None, "parent", "allowed")}).json()
    c.run("confirm", lambda: post(f"/api/office/appointment-requests/{asked['id']}/confirm", token=staff.auth,
                                  json={"version": asked["version"]}), 200,
          {X: (1, "appointment-request.confirm", "staff", "allowed")})
    c.run("denied read (staff of another clinic)", lambda: get(patient_path(X, "appointments"), token=other.auth),
          404, {X: (1, "appointments.read", "staff", "denied")})
    c.run("unknown request id", lambda: get(f"/api/office/appointment-requests/{uuid.uuid4()}", token=staff.auth),
          404, {})
    assert not c.problems, "\n".join(c.problems)


def test_a_refused_cancel_and_a_replayed_create_of_a_request_are_audited_as_such(portal):
    """A request created twice with one Idempotency-Key: allowed, then replayed. A cancel of a
    request no longer requested (409): failed, with its status."""
    family = portal.make_family()
    pid = family.patient["id"]
    body = {"clinic": CARDIOLOGY, "kind": "other", "reason": "A check-up before camp.", "days": ["tue"],
            "times": ["afternoon"], "earliest": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
            "phone": new_phone()}
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = portal.post(patient_path(pid, "appointment-requests"), token=family.auth, json=body, headers=headers)
    assert first.status_code == 201, describe(first)
    again = portal.post(patient_path(pid, "appointment-requests"), token=family.auth, json=body, headers=headers)
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true", describe(again)
    assert outcomes(portal, pid, "appointment-request.create") == [("allowed", None), ("replayed", None)]
    cancel = patient_path(pid, f"appointment-requests/{first.json()['id']}/cancel")
    assert portal.post(cancel, token=family.auth, json={}).status_code == 200
    assert_problem(portal.post(cancel, token=family.auth, json={}), 409)
    assert outcomes(portal, pid, "appointment-request.cancel") == [("allowed", None), ("failed", 409)]


# ---------------------------------------------------------------- issue 13: messages and refills

MESSAGE_ACTIONS = {"conversations.read", "conversation.read", "conversation.create", "conversation.reply",
                   "conversation.take", "conversation.close", "conversation.note", "inbox.read", "medications.read",
                   "refill-requests.read", "refill-request.create", "refill-request.answer"}
CHELMSFORD = "pediatric-specialty-center-chelmsford"  # the inbox of this test's clinic lists its patients only


def test_the_message_actions_are_the_codes():
    """Each audit action of the messages contract is one of the code's."""
    assert MESSAGE_ACTIONS - ACTIONS == set(), "message actions the code does not have"


def test_every_messages_operation_writes_exactly_one_audit_record(portal):
    """Issue 13: each route of the messages function, and the medications, writes one record of
    its action for the patient concerned (the inbox: one for each patient it lists), with no PHI
    (no subject, message, note, medication or pharmacy); the counts name no patient and write
    none; a read denied to staff of another clinic is recorded as denied; an unknown
    conversation id records nothing; a replayed send is recorded as replayed."""
    from fhir_bundles import AMOXICILLIN, medication_request

    staff = portal.make_staff(clinics=(CHELMSFORD,))
    other = portal.make_staff(clinics=(ENDOCRINE,))
    admin = portal.admin_token()
    x = portal.make_patient(staff.auth, CHELMSFORD)
    y = portal.make_patient(staff.auth, CHELMSFORD)
    X, Y = x["id"], y["id"]
    dosage = SECRETS.add(Kind.MEDICATION, "Take 1 capsule by mouth, course " + letters(10))
    SECRETS.add(Kind.MEDICATION, AMOXICILLIN.name)
    for pid in (X, Y):
        b = fhir.bundle(medication_request(fhir.literal(pid), AMOXICILLIN, authored=fhir.moment(5), dosage=dosage,
                                           refills=1))
        assert fhir.statuses(portal.post_fhir(b), b) == ["201"]
    parent = portal.make_holder(x, "parent", staff.auth)
    parent_y = portal.make_holder(y, "parent", staff.auth)
    subject = SECRETS.add(Kind.MESSAGE_TEXT, "Question about " + letters(10))
    body = SECRETS.add(Kind.MESSAGE_TEXT, "Her stomach hurts after " + letters(10))
    note = SECRETS.add(Kind.MESSAGE_TEXT, "Call the father " + letters(10))
    pharmacy = new_pharmacy()
    phi = _phi_of(x) | _phi_of(y) | {subject, body, note, dosage, AMOXICILLIN.name, pharmacy["name"],
                                     pharmacy["address"], pharmacy["phone"], parent.email}
    c = Counter(portal, [X, Y], phi)
    get, post = portal.get, portal.post

    def keyed():
        return {"Idempotency-Key": str(uuid.uuid4())}

    [med] = get(patient_path(X, "medications"), token=admin).json()["items"]
    [med_y] = get(patient_path(Y, "medications"), token=admin).json()["items"]
    conversation = {"clinic": CHELMSFORD, "subject": subject, "body": body}
    c.run("GET medications", lambda: get(patient_path(X, "medications"), token=parent.auth), 200,
          {X: (1, "medications.read", "parent", "allowed")})
    c.run("GET medications (staff)", lambda: get(patient_path(X, "medications"), token=staff.auth), 200,
          {X: (1, "medications.read", "staff", "allowed")})
    headers = keyed()
    conv = c.run("POST conversations", lambda: post(patient_path(X, "conversations"), token=parent.auth,
                                                    json=conversation, headers=headers), 201,
                 {X: (1, "conversation.create", "parent", "allowed")}).json()
    c.run("POST conversations (replayed)", lambda: post(patient_path(X, "conversations"), token=parent.auth,
                                                        json=conversation, headers=headers), 201,
          {X: (1, "conversation.create", "parent", "replayed")})
    c.run("POST conversations (Y)", lambda: post(patient_path(Y, "conversations"), token=parent_y.auth,
                                                 json={**conversation, "subject": subject + " too"}, headers=keyed()),
          201, {Y: (1, "conversation.create", "parent", "allowed")})
    c.run("GET conversations", lambda: get(patient_path(X, "conversations"), token=parent.auth), 200,
          {X: (1, "conversations.read", "parent", "allowed")})
    c.run("GET conversation", lambda: get(patient_path(X, f"conversations/{conv['id']}"), token=parent.auth), 200,
          {X: (1, "conversation.read", "parent", "allowed")})
    c.run("GET conversation (staff, marks it read)",
          lambda: get(patient_path(X, f"conversations/{conv['id']}"), token=staff.auth), 200,
          {X: (1, "conversation.read", "staff", "allowed")})
    c.run("reply (staff)", lambda: post(patient_path(X, f"conversations/{conv['id']}/messages"), token=staff.auth,
                                        json={"body": body + " answered"}, headers=keyed()), 201,
          {X: (1, "conversation.reply", "staff", "allowed")})
    c.run("reply (family)", lambda: post(patient_path(X, f"conversations/{conv['id']}/messages"), token=parent.auth,
                                         json={"body": body + " again"}, headers=keyed()), 201,
          {X: (1, "conversation.reply", "parent", "allowed")})
    c.run("the inbox (two patients listed)",
          lambda: get(f"/api/office/inbox?clinic={CHELMSFORD}", token=staff.auth), 200,
          {X: (1, "inbox.read", "staff", "allowed"), Y: (1, "inbox.read", "staff", "allowed")})
    c.run("the inbox (admin, one listed a page)",
          lambda: get(f"/api/office/inbox?clinic={CHELMSFORD}&limit=1", token=admin), 200,
          lambda r: {r.json()["items"][0]["patient"]["id"]: (1, "inbox.read", "admin", "allowed")})
    c.run("the counts", lambda: get("/api/office/counts", token=staff.auth), 200, {})
    c.run("note", lambda: post(f"/api/office/conversations/{conv['id']}/notes", token=staff.auth,
                               json={"text": note}), 201, {X: (1, "conversation.note", "staff", "allowed")})
    version = [i for i in get(patient_path(X, "conversations"), token=admin).json()["items"]
               if i["id"] == conv["id"]][0]["version"]
    taken = c.run("take", lambda: post(f"/api/office/conversations/{conv['id']}/take", token=staff.auth,
                                       json={"version": version}), 200,
                  {X: (1, "conversation.take", "staff", "allowed")}).json()
    c.run("close", lambda: post(f"/api/office/conversations/{conv['id']}/close", token=admin,
                                json={"version": taken["version"]}), 200,
          {X: (1, "conversation.close", "admin", "allowed")})
    refill = {"medication_ids": [med["id"]], "pharmacy": pharmacy, "note": note}
    req = c.run("POST refill-requests", lambda: post(patient_path(X, "refill-requests"), token=parent.auth,
                                                     json=refill, headers=keyed()), 201,
                {X: (1, "refill-request.create", "parent", "allowed")}).json()
    c.run("POST refill-requests (Y)", lambda: post(patient_path(Y, "refill-requests"), token=parent_y.auth,
                                                   json={**refill, "medication_ids": [med_y["id"]]}, headers=keyed()),
          201, {Y: (1, "refill-request.create", "parent", "allowed")})
    c.run("GET refill-requests", lambda: get(patient_path(X, "refill-requests"), token=parent.auth), 200,
          {X: (1, "refill-requests.read", "parent", "allowed")})
    c.run("the refill inbox (two patients listed)",
          lambda: get(f"/api/office/inbox?kind=refill&clinic={CHELMSFORD}", token=staff.auth), 200,
          {X: (1, "inbox.read", "staff", "allowed"), Y: (1, "inbox.read", "staff", "allowed")})
    c.run("answer", lambda: post(f"/api/office/refill-requests/{req['id']}/answer", token=staff.auth, json={
        "answers": [{"medication_id": med["id"], "status": "denied", "reason": note}], "version": req["version"]}),
        200, {X: (1, "refill-request.answer", "staff", "allowed")})
    c.run("denied read (staff of another clinic)", lambda: get(patient_path(X, "conversations"), token=other.auth),
          404, {X: (1, "conversations.read", "staff", "denied")})
    c.run("denied medications (staff of another clinic)",
          lambda: get(patient_path(X, "medications"), token=other.auth), 404,
          {X: (1, "medications.read", "staff", "denied")})
    c.run("unknown conversation id", lambda: post(f"/api/office/conversations/{uuid.uuid4()}/notes", token=staff.auth,
                                                  json={"text": "A note"}), 404, {})
    assert not c.problems, "\n".join(c.problems)
