#!/usr/bin/env python3
"""schemathesis against the local run: `schemathesis run infra/openapi.yaml --checks all`,
once each as admin, office staff, a family and without a token, with a fixed seed and a
bounded number of examples. Exits non-zero if any of the four runs reports a failure.

It starts `portal-local` (PORTAL_BIN, default target/debug/portal-local) on the embedded
backend, on a free loopback port, with a data directory and admin password of its own; signs
in the bootstrap admin; creates a staff member of one clinic, a patient of that clinic with a
parent's family account and a patient of another clinic; takes each account through its first
sign-in (reading the credential email from GET /dev/outbox, as tests/scenarios do); gives the
family's patient two active medications (FHIR MedicationRequests through POST /dev/fhir) and a
preferred pharmacy, so that refill requests can succeed, and a conversation and a refill request
for the office's routes to find; then runs schemathesis with
tests/fuzz/schemathesis.toml plus dictionaries of the ids it just created (`write_config`).

The order of the runs matters: the office runs may rename, disable, unlink or re-credential
the family account, so the family goes first and admin, who may do all of it, last. The runs
go in two lanes side by side, each on a portal and accounts of its own (family then staff;
none then admin), so no office run changes what another lane's family uses. Each run signs in
afresh right before it starts.

Environment: PORTAL_BIN; FUZZ_SEED, FUZZ_MAX_EXAMPLES (the defaults are what tests/run uses);
FUZZ_ROLES (e.g. "family,admin") to run only some; FUZZ_OPERATIONS (operation ids, e.g.
"createConversation,listOfficeInbox") to run only those operations (tests/run runs them all);
FUZZ_LANES (default 2; 1 runs the roles one after another on one portal);
FUZZ_KEEP=1 keeps the work directory (server log, reports) and prints its path.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
import requests

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PORTAL_BIN = Path(os.environ.get("PORTAL_BIN", ROOT / "target" / "debug" / "portal-local"))
SCHEMATHESIS = ROOT / ".venv" / "bin" / "schemathesis"
OPENAPI = ROOT / "infra" / "openapi.yaml"
POLICY = HERE / "schemathesis.toml"

SEED = int(os.environ.get("FUZZ_SEED", "20250917"))
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "50"))
ROLES = ["family", "none", "staff", "admin"]

CARDIOLOGY = "pediatric-cardiology"
ENDOCRINE = "pediatric-endocrine"
TIMEOUT_S = 30
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def log(msg: str) -> None:
    print(f"[fuzz] {msg}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def strong_password() -> str:
    return "Pw-" + secrets.token_urlsafe(18)


def years_ago(years: int, days: int = 0) -> dt.date:
    today = dt.datetime.now(dt.timezone.utc).date()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return day + dt.timedelta(days=days)


class Portal:
    """A portal-local of its own, on the embedded backend."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.admin_password = strong_password()
        self.keys: dict[str, str] = {}  # username -> two-step key
        self.last_step: dict[str, int] = {}  # username -> step of the last code given
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "PORTAL_")) and k != "RUST_LOG"}
        env.update({
            "PORTAL_ADDR": f"127.0.0.1:{port}",
            "PORTAL_DATA_DIR": str(workdir / "data"),
            "PORTAL_ADMIN_PASSWORD": self.admin_password,
            "PORTAL_URL": self.base,
            "RUST_LOG": "info",
        })
        self.log_path = workdir / "portal.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(PORTAL_BIN)], env=env, cwd=str(workdir), stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"portal-local exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if requests.get(self.base + "/api/clinics", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"portal-local did not answer within 60 s:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self, n: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-n:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()

    def call(self, method: str, path: str, expect: int, token: str | None = None, body=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = requests.request(method, self.base + path, json=body, headers=headers, timeout=TIMEOUT_S)
        if r.status_code != expect:
            raise SystemExit(f"set-up: {method} {path} answered {r.status_code}, not {expect}: {r.text[:300]}")
        return r.json() if r.content else None

    def sign_in(self, username: str, password: str) -> str:
        answer = self.call("POST", "/api/auth/login", 200, body={"username": username, "password": password})
        return self.two_step(answer, username)["access_token"]

    def two_step(self, answer: dict, username: str) -> dict:
        """A sign-in answer through its two-step challenge (staff and admins, issue 15): the key
        set up and kept, or the code given. Each code once: a step already used is waited out."""
        challenge = answer.get("challenge")
        if challenge not in ("MFA_SETUP", "SOFTWARE_TOKEN_MFA"):
            return answer
        if challenge == "MFA_SETUP":
            self.keys[username] = self.call("POST", "/api/auth/mfa-setup", 200, body={"session": answer["session"]})["secret"]
            self.last_step.pop(username, None)
        while (step := int(time.time() // 30)) <= self.last_step.get(username, -1) or time.time() % 30 > 28.5:
            time.sleep(30 - time.time() % 30 + 0.05)
        self.last_step[username] = step
        path = "/api/auth/mfa-verify" if challenge == "MFA_SETUP" else "/api/auth/mfa"
        return self.call("POST", path, 200, body={"session": answer["session"], "code": pyotp.TOTP(self.keys[username]).at(step * 30)})

    def temporary_password(self, email: str) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for mail in requests.get(self.base + "/dev/outbox", timeout=TIMEOUT_S).json():
                to = mail.get("to")
                if email in (to if isinstance(to, list) else [to]):
                    found = re.findall(r"^[ \t]*Temporary password:[ \t]*(\S+)[ \t]*$", mail["text"], re.M)
                    if found:
                        return found[0]
            time.sleep(0.1)
        raise SystemExit("set-up: no credential email arrived")

    def first_sign_in(self, username: str, email: str) -> str:
        """The account's password, chosen through the first sign-in."""
        temp = self.temporary_password(email)
        session = self.call("POST", "/api/auth/login", 200, body={"username": username, "password": temp})["session"]
        password = strong_password()
        answers = [{"question_id": q, "answer": f"answer {secrets.token_hex(6)}"}
                   for q in ("first-pet", "birth-city", "first-school")]
        answer = self.call("POST", "/api/auth/first-login", 200, body={
            "username": username, "session": session, "new_password": password, "security_questions": answers})
        self.two_step(answer, username)
        return password


def medication_bundle(patient_id: str) -> dict:
    """A FHIR R4 collection Bundle of two active MedicationRequests (one with no refills left,
    which can still be asked for) for the portal patient `patient_id`."""
    written = dt.datetime.now(dt.timezone.utc).date().isoformat()
    drugs = [("Albuterol 90 mcg/actuation inhaler", "745679", 2), ("Cetirizine 1 mg/mL oral solution", "1014678", 0)]
    entries = []
    for name, code, refills in drugs:
        rid = str(uuid.uuid4())
        entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": {
            "resourceType": "MedicationRequest", "id": rid, "status": "active", "intent": "order",
            "subject": {"reference": f"Patient/{patient_id}"}, "authoredOn": written,
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code, "display": name}], "text": name},
            "requester": {"display": "Rosa Alvarez, MD"},
            "dosageInstruction": [{"sequence": 1, "text": "As directed"}],
            "dispenseRequest": {"numberOfRepeatsAllowed": refills},
        }})
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection", "entry": entries}


def set_up(portal: Portal) -> dict:
    """The accounts and patients the runs use: {role: (username, password)}, and the ids."""
    admin = portal.sign_in("admin", portal.admin_password)
    staff = "fuzz-staff"
    staff_email = f"{staff}@example.com"
    portal.call("POST", "/api/admin/staff", 201, admin, {
        "username": staff, "email": staff_email, "given_name": "Sam", "family_name": "Office",
        "role": "staff", "clinics": [CARDIOLOGY]})
    staff_password = portal.first_sign_in(staff, staff_email)

    born = years_ago(9).isoformat()
    ours = portal.call("POST", "/api/admin/patients", 201, admin, {
        "given_name": "Ava", "family_name": "Lopez", "birth_date": born, "clinic": CARDIOLOGY, "mrn": "FZ1001"})["id"]
    theirs = portal.call("POST", "/api/admin/patients", 201, admin, {
        "given_name": "Ben", "family_name": "Okafor", "birth_date": years_ago(7).isoformat(), "clinic": ENDOCRINE})["id"]
    family = "fuzz-family"
    family_email = f"{family}@example.com"
    portal.call("POST", "/api/admin/accounts", 201, admin, {
        "username": family, "email": family_email, "patient_id": ours, "relationship": "parent"})
    family_password = portal.first_sign_in(family, family_email)
    # A few audit records, so that the access log and the audit have a second page.
    family_token = portal.sign_in(family, family_password)
    for _ in range(3):
        portal.call("GET", f"/api/patients/{ours}/demographics", 200, family_token)
    cursors = [
        portal.call("GET", f"/api/patients/{ours}/access-log?limit=1", 200, family_token)["cursor"],
        portal.call("GET", f"/api/admin/patients/{ours}/audit?limit=2", 200, admin)["cursor"],
    ]
    # "Refill medications" (issue 13): active medications of the family's patient to ask for,
    # and a preferred pharmacy under Additional information for `"pharmacy": "preferred"`.
    r = requests.post(portal.base + "/dev/fhir", data=json.dumps(medication_bundle(ours)),
                      headers={"Content-Type": "application/fhir+json"}, timeout=TIMEOUT_S)
    filed = [e.get("response", {}).get("status", "") for e in r.json().get("entry", [])] if r.ok else []
    if r.status_code != 200 or not filed or not all(s.startswith("201") for s in filed):
        raise SystemExit(f"set-up: POST /dev/fhir answered {r.status_code}: {r.text[:300]}")
    medications = [m["id"] for m in portal.call("GET", f"/api/patients/{ours}/medications", 200, admin)["items"]]
    if len(medications) != 2:
        raise SystemExit(f"set-up: the family's patient has {len(medications)} medications, not 2")
    portal.call("PUT", f"/api/patients/{ours}/additional-info", 200, admin, {
        "emergency_contacts": [],
        "pharmacy": {"name": "Main Street Pharmacy", "address": "12 Main Street, Lexington, MA 02421",
                     "phone": "(781) 555-0199"},
        "version": 0})
    # A conversation and a refill request of the family's, for the office's routes to find.
    conversation = portal.call("POST", f"/api/patients/{ours}/conversations", 201, family_token, {
        "clinic": CARDIOLOGY, "subject": "A question", "body": "When should Ava come back?"})["id"]
    refill = portal.call("POST", f"/api/patients/{ours}/refill-requests", 201, family_token, {
        "medication_ids": medications, "pharmacy": "preferred"})["id"]
    return {
        "accounts": {"admin": ("admin", portal.admin_password), "staff": (staff, staff_password),
                     "family": (family, family_password)},
        "patients": [ours, theirs],
        "usernames": [family, staff, "admin"],
        "birth_dates": [born, years_ago(3).isoformat(), years_ago(11, 2).isoformat()],
        "cursors": [c for c in cursors if c],
        # A New Appointment's earliest date: today or later, at most a year ahead.
        "earliest_dates": [(dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=d)).isoformat() for d in (7, 30)],
        "clinics": [CARDIOLOGY],
        "medications": medications,
        "conversations": [conversation],
        "refill_requests": [refill],
    }


def toml_list(values) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def write_config(workdir: Path, data: dict) -> Path:
    """tests/fuzz/schemathesis.toml, plus the dictionaries of what set_up created."""
    extra = f"""
# ---- written by tests/fuzz/run.py: what set_up created
[dictionaries.patients]
values = {toml_list(data["patients"])}

[dictionaries.usernames]
values = {toml_list(data["usernames"])}

[dictionaries.birth_dates]
values = {toml_list(data["birth_dates"])}

[dictionaries.cursors]
values = {toml_list(data["cursors"])}

[dictionaries.earliest_dates]
values = {toml_list(data["earliest_dates"])}

[dictionaries.clinics]
values = {toml_list(data["clinics"])}

[dictionaries.medications]
values = {toml_list(data["medications"])}

[dictionaries.conversations]
values = {toml_list(data["conversations"])}

[dictionaries.refill_requests]
values = {toml_list(data["refill_requests"])}

[dictionaries.passwords]
values = {toml_list([strong_password() for _ in range(3)])}
"""
    path = workdir / "schemathesis.toml"
    path.write_text(POLICY.read_text() + extra)
    return path


def run_schemathesis(portal: Portal, config: Path, role: str, token: str | None, workdir: Path) -> tuple[int, float, str]:
    """One role's run; its output goes to a file, printed whole once it ends, so that lanes
    running side by side do not interleave their lines."""
    report_dir = workdir / f"report-{role}"
    cmd = [
        str(SCHEMATHESIS), "--config-file", str(config), "--no-color",
        "run", str(OPENAPI),
        "--url", portal.base,
        "--checks", "all",
        "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-database", "none",
        "--report", "junit",
        "--report-dir", str(report_dir),
    ]
    if token:
        cmd += ["--header", f"Authorization: Bearer {token}"]
    for operation in filter(None, os.environ.get("FUZZ_OPERATIONS", "").split(",")):
        cmd += ["--include-operation-id", operation.strip()]
    log(f"schemathesis as {role}: seed {SEED}, at most {MAX_EXAMPLES} examples per operation")
    started = time.monotonic()
    env = dict(os.environ, SCHEMATHESIS_HOOKS=str(HERE / "hooks.py"))
    output = workdir / f"schemathesis-{role}.txt"
    with open(output, "wb") as out:
        rc = subprocess.run(cmd, cwd=str(workdir), env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    return rc, time.monotonic() - started, output.read_text(errors="replace")


def run_lane(roles: list[str], workdir: Path) -> list[tuple[str, int, float]]:
    """Some of the roles, in order, on a portal of their own with its own accounts and data."""
    workdir.mkdir()
    portal = Portal(workdir)
    results: list[tuple[str, int, float]] = []
    try:
        data = set_up(portal)
        config = write_config(workdir, data)
        for role in roles:
            token = None if role == "none" else portal.sign_in(*data["accounts"][role])
            rc, took, output = run_schemathesis(portal, config, role, token, workdir)
            with PRINTING:
                print(f"[fuzz] ---- schemathesis as {role} ----\n{output}", flush=True)
            results.append((role, rc, took))
            if portal.proc.poll() is not None:
                log(f"portal-local died during the {role} run:\n{portal.tail()}")
                results.append(("portal-local", 1, 0.0))
                break
    finally:
        portal.close()
    return results


PRINTING = threading.Lock()


def main() -> int:
    if not PORTAL_BIN.exists():
        print(f"{PORTAL_BIN} does not exist: build it (cargo build --bin portal-local) or set PORTAL_BIN", file=sys.stderr)
        return 2
    roles = [r for r in os.environ.get("FUZZ_ROLES", ",".join(ROLES)).split(",") if r]
    # Two lanes side by side, each on its own portal: the family's lane runs staff after it
    # and the other admin after `none`, so no office run changes an account before the
    # family's run (see the module's docstring). Two cores keep two lanes busy.
    lanes = max(1, int(os.environ.get("FUZZ_LANES", "2")))
    workdir = Path(tempfile.mkdtemp(prefix="portal-fuzz-"))
    keep = os.environ.get("FUZZ_KEEP") == "1"
    results: list[tuple[str, int, float]] = []
    try:
        with ThreadPoolExecutor(max_workers=lanes) as pool:
            jobs = [pool.submit(run_lane, roles[i::lanes], workdir / f"lane-{i}") for i in range(lanes) if roles[i::lanes]]
            for job in jobs:
                results += job.result()
    finally:
        if keep:
            log(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    for role, rc, took in results:
        log(f"{role:8} {'passed' if rc == 0 else 'FAILED'} ({took:.0f} s)")
    failed = sum(1 for _, rc, _ in results if rc != 0)
    passed = len(results) - failed
    print(f"schemathesis: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
