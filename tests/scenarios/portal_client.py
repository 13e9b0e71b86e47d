"""`Portal`, the handle every test uses: HTTP calls with the checks that hold for every
answer (never a 5xx, every 4xx a well-formed problem+json), sign-in, and the small flows (first
login, make staff, make a patient, make a family). Its mail look-ups come from
`mail.MailReading`, its reading of the audit store and the log from `records.RecordReading`.
`Account` is what the flows hand back."""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pyotp
import pytest
import requests

from http_checks import assert_token_answer, check_problem_shape, describe, media_type, refresh_cookie, set_cookies
from leaks import SECRETS, Kind
from made_up import letters, new_answer, new_email, new_password, new_patient_body, new_username
from mail import MailReading
from records import RecordReading
from settings import CARDIOLOGY, REFRESH_COOKIE, REQUEST_TIMEOUT_S


# Two-step codes the suite had to wait for: [number of waits, seconds waited].
CODE_WAITS = [0, 0.0]


def _wait_until(epoch: float) -> None:
    seconds = max(0.0, epoch - time.time()) + 0.05
    CODE_WAITS[0] += 1
    CODE_WAITS[1] += seconds
    time.sleep(seconds)


@dataclass
class Account:
    username: str
    email: str
    password: str | None = None  # the password chosen at first login (or changed since)
    temp_password: str | None = None
    access_token: str | None = None
    refresh: str | None = None  # value of the portal_refresh cookie
    answers: dict = field(default_factory=dict)  # question id -> answer
    patient: dict | None = None  # the patient body sent, plus "id"
    name: str | None = None  # staff and admins: "Given Family", as the office and audit show it

    @property
    def auth(self) -> str:
        assert self.access_token, "account is not signed in"
        return self.access_token


def patient_path(patient_id: str, what: str = "demographics") -> str:
    return f"/api/patients/{patient_id}/{what}"


class Portal(MailReading, RecordReading):
    def __init__(self, backend: str, base: str, admin_password: str, log_path: Path, moto_url: str | None,
                 dynamodb_url: str | None = None):
        self.backend = backend
        self.base = base
        self.portal_url = base  # PORTAL_URL given to the binary
        self.admin_password = admin_password
        self.log_path = log_path
        self.moto_url = moto_url
        self.dynamodb_url = dynamodb_url
        self._admin: tuple[str, float] | None = None
        self._questions: list[dict] | None = None
        self._seen: dict[int, tuple] = {}  # moto's sent messages: index -> (order sent, recipients, Mail)
        self.totp_keys: dict[str, str] = {}  # lower-case username -> two-step key (base32)
        self._last_step: dict[str, int] = {}  # lower-case username -> step of the last code sent

    # ---- HTTP (mail look-ups: mail.MailReading)

    def request(self, method: str, path: str, *, token: str | None = None, json=None, data=None,
                headers: dict | None = None, cookie: str | None = None) -> requests.Response:
        """One call, without a cookie jar (cookies are sent only when given). Checks what holds
        for every answer: never a 5xx, and every 4xx is a well-formed problem+json."""
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        if cookie is not None:
            hdrs["Cookie"] = f"{REFRESH_COOKIE}={cookie}"
        r = requests.request(method, self.base + path, json=json, data=data, headers=hdrs,
                             timeout=REQUEST_TIMEOUT_S, allow_redirects=False)
        assert r.status_code < 500, f"[{self.backend}] server error: {describe(r)}"
        if r.status_code >= 400:
            check_problem_shape(r)
        self._register_secrets(r)
        return r

    def _register_secrets(self, r: requests.Response) -> None:
        if media_type(r) == "application/json":
            try:
                body = r.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                SECRETS.add(Kind.ACCESS_TOKEN, body.get("access_token"))
                SECRETS.add(Kind.CHALLENGE_SESSION, body.get("session"))
        for c in set_cookies(r):
            if c["name"] == REFRESH_COOKIE:
                SECRETS.add(Kind.REFRESH_COOKIE, c["value"])

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # ---- sign-in

    def login(self, username: str, password: str) -> requests.Response:
        return self.post("/api/auth/login", json={"username": username, "password": password})

    def sign_in(self, username: str, password: str) -> tuple[str, str]:
        """(access token, refresh cookie value) of a sign-in that must succeed, through the
        two-step code when the account has it (or must set it up: staff and admins)."""
        r = self.two_step(self.login(username, password), username)
        body = assert_token_answer(r)
        return body["access_token"], refresh_cookie(r)["value"]

    # ---- two-step sign-in (issue 15)

    def next_code(self, username: str) -> str:
        """A code of the account's key that the portal has not seen: the embedded backend takes
        each code once, with a step of drift either way; moto takes the current step's only
        (and any code again). Waits out the end of a step, so the code is still good when
        the portal checks it. Every wait is added to CODE_WAITS (the run's summary shows it)."""
        name = username.lower()
        totp = pyotp.TOTP(self.totp_keys[name])
        while True:
            now = time.time()
            step = int(now // 30)
            if now - step * 30 > 28.5:
                _wait_until((step + 1) * 30)
                continue
            last = self._last_step.get(name, -1) if self.backend != "aws" else -1
            if last > step:
                _wait_until(last * 30)
                continue
            if last == step:
                step += 1  # the next step's code, within the drift the portal allows
            self._last_step[name] = step
            return totp.at(step * 30)

    def mfa_setup(self, session: str) -> requests.Response:
        return self.post("/api/auth/mfa-setup", json={"session": session})

    def two_step(self, r: requests.Response, username: str) -> requests.Response:
        """A sign-in answer carried through its two-step challenge, if it has one: MFA_SETUP
        (the key is kept in `totp_keys`) or SOFTWARE_TOKEN_MFA. Other answers as they are."""
        if r.status_code != 200 or "challenge" not in r.json():
            return r
        body = r.json()
        assert "access_token" not in body, "tokens handed out with a challenge"
        if body["challenge"] == "MFA_SETUP":
            setup = self.mfa_setup(body["session"])
            assert setup.status_code == 200, describe(setup)
            key = setup.json()
            SECRETS.add(Kind.TOTP_KEY, key["secret"])
            self.totp_keys[username.lower()] = key["secret"]
            self._last_step.pop(username.lower(), None)
            return self.post("/api/auth/mfa-verify", json={"session": body["session"], "code": self.next_code(username)})
        if body["challenge"] == "SOFTWARE_TOKEN_MFA":
            return self.post("/api/auth/mfa", json={"session": body["session"], "code": self.next_code(username)})
        return r

    def admin_token(self) -> str:
        """The bootstrap admin's access token, renewed well before it expires."""
        if self._admin is None or time.monotonic() - self._admin[1] > 300:
            token, _ = self.sign_in("admin", self.admin_password)
            self._admin = (token, time.monotonic())
        return self._admin[0]

    def questions(self) -> list[dict]:
        if self._questions is None:
            r = self.get("/api/auth/security-questions")
            assert r.status_code == 200, describe(r)
            self._questions = r.json()
        return self._questions

    def question_ids(self) -> list[str]:
        return [q["id"] for q in self.questions()]

    def challenge(self, username: str, temp_password: str) -> str:
        """The NEW_PASSWORD_REQUIRED session of a sign-in with a temporary password."""
        r = self.login(username, temp_password)
        assert r.status_code == 200, describe(r)
        body = r.json()
        assert body.get("challenge") == "NEW_PASSWORD_REQUIRED", body
        assert isinstance(body.get("session"), str) and body["session"]
        assert "access_token" not in body, "tokens handed out before the new password is set"
        return body["session"]

    def first_login_request(self, username: str, session: str, new_password: str, answers: list[tuple]):
        return self.post("/api/auth/first-login", json={
            "username": username,
            "session": session,
            "new_password": new_password,
            "security_questions": [{"question_id": q, "answer": a} for q, a in answers],
        })

    def first_login(self, account: Account, login_name: str | None = None) -> Account:
        """Temporary password -> challenge -> new password and three questions -> signed in."""
        name = login_name or account.username
        session = self.challenge(name, account.temp_password)
        password = new_password()
        qids = random.sample(self.question_ids(), 3)
        answers = {q: new_answer() for q in qids}
        r = self.two_step(self.first_login_request(name, session, password, list(answers.items())), name)
        body = assert_token_answer(r)
        account.password = password
        account.answers = answers
        account.access_token = body["access_token"]
        account.refresh = refresh_cookie(r)["value"]
        return account

    # ---- office work

    def create_staff(self, username: str, email_addr: str, role: str = "staff",
                     clinics=(CARDIOLOGY,), token: str | None = None,
                     name: tuple[str, str] | None = None) -> requests.Response:
        given, family = name or ("Sam" + letters(6), "Office" + letters(6))
        return self.post("/api/admin/staff", token=token or self.admin_token(), json={
            "username": username,
            "email": email_addr,
            "given_name": given,
            "family_name": family,
            "role": role,
            "clinics": list(clinics),
        })

    def make_staff(self, clinics=(CARDIOLOGY,), role: str = "staff", sign_in: bool = True) -> Account:
        """A staff member (or admin), signed in unless `sign_in` is False; `account.name` holds
        the name the office and the audit show."""
        account = Account(new_username(role), new_email(role))
        given, family = "Sam" + letters(6).capitalize(), "Office" + letters(6)
        account.name = f"{given} {family}"
        r = self.create_staff(account.username, account.email, role=role, clinics=clinics, name=(given, family))
        assert r.status_code == 201, describe(r)
        _, user, account.temp_password = self.credential_mail(account.email)
        assert user.lower() == account.username.lower()
        return self.first_login(account) if sign_in else account

    def create_patient(self, token: str, body: dict) -> requests.Response:
        return self.post("/api/admin/patients", token=token, json=body)

    def make_patient(self, token: str | None = None, clinic: str = CARDIOLOGY) -> dict:
        body = new_patient_body(clinic)
        r = self.create_patient(token or self.admin_token(), body)
        assert r.status_code == 201, describe(r)
        created = r.json()
        uuid.UUID(created["id"])
        return {**body, "id": created["id"]}

    def create_account(self, token: str, username: str, email_addr: str, patient_id: str,
                       relationship: str = "parent", headers: dict | None = None) -> requests.Response:
        return self.post("/api/admin/accounts", token=token, headers=headers, json={
            "username": username,
            "email": email_addr,
            "patient_id": patient_id,
            "relationship": relationship,
        })

    def make_family(self, token: str | None = None, clinic: str = CARDIOLOGY, sign_in: bool = True,
                    username: str | None = None, relationship: str = "parent") -> Account:
        """A patient and an account holder for them, created by `token` (default: admin);
        signed in through the first login unless `sign_in` is False."""
        token = token or self.admin_token()
        return self.make_holder(self.make_patient(token, clinic), relationship, token, sign_in, username)

    def account_path(self, username: str, action: str) -> str:
        return f"/api/admin/accounts/{quote(username, safe='')}/{action}"

    # ---- patients' data, links, search, FHIR in (the data dir, audit store and log: records.RecordReading)

    def make_patient_born(self, birth: dt.date, token: str | None = None, clinic: str = CARDIOLOGY) -> dict:
        """A patient born on `birth` (see `years_before`), registered by `token` (default: admin)."""
        body = new_patient_body(clinic)
        body["birth_date"] = SECRETS.add(Kind.BIRTH_DATE, birth.isoformat())
        r = self.create_patient(token or self.admin_token(), body)
        assert r.status_code == 201, describe(r)
        return {**body, "id": r.json()["id"]}

    def make_holder(self, patient: dict, relationship: str = "parent", token: str | None = None,
                    sign_in: bool = True, username: str | None = None) -> Account:
        """A family account for an existing patient, signed in unless `sign_in` is False."""
        account = Account(username or new_username("fam"), new_email("fam"), patient=patient)
        r = self.create_account(token or self.admin_token(), account.username, account.email, patient["id"],
                                relationship)
        assert r.status_code == 201, describe(r)
        _, user, account.temp_password = self.credential_mail(account.email)
        assert user.lower() == account.username.lower()
        return self.first_login(account) if sign_in else account

    def link(self, token: str | None, username: str, patient_id: str, relationship: str = "guardian"):
        return self.post(self.account_path(username, "patients"), token=token,
                         json={"patient_id": patient_id, "relationship": relationship})

    def unlink(self, token: str | None, username: str, patient_id: str):
        return self.delete(self.account_path(username, f"patients/{patient_id}"), token=token)

    def patient_data(self, token: str | None, patient_id: str, what: str = "demographics") -> dict:
        """GET /api/patients/{id}/{what} that must answer 200: its body."""
        r = self.get(patient_path(patient_id, what), token=token)
        assert r.status_code == 200, describe(r)
        return r.json()

    def post_fhir(self, bundle: dict | bytes | str, content_type: str = "application/fhir+json") -> requests.Response:
        """POST /dev/fhir: the local run's way in for the hospital's FHIR bundles (issue 11).
        `bundle` is a dict (sent as JSON) or the body as it is (bytes or str)."""
        if isinstance(bundle, dict):
            body = jsonlib.dumps(bundle).encode()
        elif isinstance(bundle, str):
            body = bundle.encode()
        else:
            body = bundle
        return self.post("/dev/fhir", data=body, headers={"Content-Type": content_type})

    def search(self, token: str | None, query: str, limit: int | None = None, cursor: str | None = None):
        body: dict = {"query": query}
        if limit is not None:
            body["limit"] = limit
        if cursor is not None:
            body["cursor"] = cursor
        return self.post("/api/admin/patients/search", token=token, json=body)

    def search_all(self, token: str, query: str, limit: int | None = None, max_pages: int = 50) -> list[dict]:
        """Every item of a search, following the cursor page by page."""
        items, cursor = [], None
        for _ in range(max_pages):
            r = self.search(token, query, limit, cursor)
            assert r.status_code == 200, describe(r)
            page = r.json()
            items += page["items"]
            cursor = page["cursor"]
            if cursor is None:
                return items
        pytest.fail(f"[{self.backend}] search still had a cursor after {max_pages} pages")
