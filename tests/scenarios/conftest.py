"""Black-box scenario suite: every test runs against the running `portal-local` binary,
once on the embedded backend and once on the AWS adapters against moto's server.

Nothing here builds the binary: set PORTAL_BIN or build target/debug/portal-local first.

What lives here:
- `Servers` starts each backend at most once per session (lazily) and keeps its
  stdout+stderr in a log file for the whole session; `test_logs.py` reads those logs.
- `portal` (session scope, params embedded/aws) is the handle every test uses: HTTP
  calls with global checks (never a 5xx, every 4xx is a well-formed problem), mail
  look-ups, and the small flows (login, first login, make staff, make family).
- `SECRETS` records every secret the suite uses, by kind, for the log test.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import html
import json as jsonlib
import os
import random
import re
import secrets
import socket
import string
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
PORTAL_BIN = Path(os.environ.get("PORTAL_BIN", REPO / "target" / "debug" / "portal-local"))
MOTO_SERVER = Path(os.environ.get("MOTO_SERVER", REPO / ".venv" / "bin" / "moto_server"))

BACKENDS = ["embedded", "aws"]
# The browser tests' second embedded portal, whose pages sign out after IDLE_SECONDS.
IDLE = "embedded-idle"
# The same on the AWS adapters (sharing the aws portal's moto servers), for the server's
# idle limit of sessions.
AWS_IDLE = "aws-idle"
IDLE_SECONDS = 10
START_DEADLINE_S = 60
MAIL_DEADLINE_S = 10
REQUEST_TIMEOUT_S = 60
POLL_INTERVAL_S = 0.1

CREDENTIAL_SUBJECT = "Portal login information"
REFRESH_COOKIE = "__Host-portal_refresh"

# The 18 clinics of the FAQ, in the FAQ's order, names exactly as written there.
FAQ_CLINICS = [
    "Pediatric Cardiology",
    "Pediatric Endocrine",
    "Pediatric ENT, Audiology, SLP",
    "Pediatric Genetics Metabolism",
    "Pediatric GI",
    "Pediatric Infectious Disease",
    "Pediatric Nephrology",
    "Pediatric Neurology",
    "Pediatric Orthopedics",
    "Pediatric Physical Med & Rehab",
    "Pediatric Primary Care",
    "Pediatric Pulmonary",
    "Pediatric Rheumatology",
    "Pediatric Specialty Center - Chelmsford",
    "Pediatric Specialty Center - Lawrence",
    "Pediatric Specialty Center - Woburn",
    "Pediatric Surgery",
    "Pediatric Urology",
]
CARDIOLOGY = "pediatric-cardiology"
ENDOCRINE = "pediatric-endocrine"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


CLINIC_NAMES = {slug(n): n for n in FAQ_CLINICS}


# --------------------------------------------------------------------------- secrets


class Kind:
    PASSWORD = "password"
    TEMP_PASSWORD = "temporary password"
    RESET_CODE = "reset code"
    ACCESS_TOKEN = "access token"
    REFRESH_COOKIE = "refresh cookie value"
    CHALLENGE_SESSION = "sign-in challenge session"
    EMAIL = "email address"
    PATIENT_NAME = "patient given/family name"
    MRN = "MRN"
    BIRTH_DATE = "patient birth date"
    SECURITY_ANSWER = "security answer"


class SecretRegistry:
    """Every secret the suite used, by kind. Values are never printed."""

    def __init__(self) -> None:
        self._by_kind: dict[str, set[str]] = {}

    def add(self, kind: str, value):
        if value is not None and str(value) != "":
            self._by_kind.setdefault(kind, set()).add(str(value))
        return value

    def kinds(self) -> dict[str, int]:
        return {k: len(v) for k, v in self._by_kind.items()}

    def leaked_kinds(self, text: str) -> dict[str, int]:
        """Kinds of secrets found in `text` (with how many distinct values), never the values."""
        leaks: dict[str, int] = {}
        lowered = text.lower()
        for kind, values in self._by_kind.items():
            for value in values:
                if _occurs(value, text, lowered):
                    leaks[kind] = leaks.get(kind, 0) + 1
        return leaks


def _occurs(secret: str, text: str, lowered: str) -> bool:
    forms = {secret, quote(secret, safe=""), jsonlib.dumps(secret)[1:-1]}
    for form in forms:
        if len(form) >= 12:
            if form in text or form.lower() in lowered:
                return True
        else:
            # Short values (e.g. a six-digit code) only count as a whole token, so that
            # the microseconds of a log timestamp are not taken for a leak.
            pattern = r"(?<![0-9A-Za-z])" + re.escape(form) + r"(?![0-9A-Za-z])"
            if re.search(pattern, text, re.IGNORECASE):
                return True
    return False


SECRETS = SecretRegistry()


def letters(n: int = 8) -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(n))


def new_username(prefix: str = "fam") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_email(prefix: str = "fam") -> str:
    return SECRETS.add(Kind.EMAIL, f"{prefix}.{uuid.uuid4().hex[:16]}@example.com")


def new_password() -> str:
    return SECRETS.add(Kind.PASSWORD, "Pw-" + secrets.token_urlsafe(18))


def new_answer() -> str:
    # Lower case words with single spaces: the canonical form of the answer.
    return SECRETS.add(Kind.SECURITY_ANSWER, f"rex the dog {letters(10)}")


def new_patient_body(clinic: str = CARDIOLOGY, with_mrn: bool = True) -> dict:
    given = SECRETS.add(Kind.PATIENT_NAME, "Ava" + letters(9))
    family = SECRETS.add(Kind.PATIENT_NAME, "Lopez" + letters(9))
    # A child of 1 to 16, counted back from today: a parent's or guardian's access ends on the
    # 18th birthday, so a fixed range of years would age into adults.
    today = dt.datetime.now(dt.timezone.utc).date()
    birth = today - dt.timedelta(days=random.randrange(366, 17 * 365))
    body = {
        "given_name": given,
        "family_name": family,
        "birth_date": SECRETS.add(Kind.BIRTH_DATE, birth.isoformat()),
        "clinic": clinic,
    }
    if with_mrn:
        body["mrn"] = SECRETS.add(Kind.MRN, str(random.randrange(10_000_000, 99_999_999)))
    return body


# --------------------------------------------------------------------------- HTTP checks


def media_type(r: requests.Response) -> str:
    return r.headers.get("Content-Type", "").split(";")[0].strip().lower()


def describe(r: requests.Response) -> str:
    return f"{r.request.method} {urlsplit(r.url).path} -> {r.status_code} {r.text[:500]!r}"


def check_problem_shape(r: requests.Response) -> dict:
    assert media_type(r) == "application/problem+json", (
        f"error answer is not problem+json: {describe(r)} (Content-Type {r.headers.get('Content-Type')!r})"
    )
    body = r.json()
    assert isinstance(body, dict), describe(r)
    for key in ("type", "title", "status", "detail"):
        assert key in body, f"problem lacks {key!r}: {describe(r)}"
    assert body["status"] == r.status_code, describe(r)
    assert isinstance(body["title"], str) and body["title"], describe(r)
    assert isinstance(body["detail"], str) and body["detail"], describe(r)
    return body


def assert_problem(r: requests.Response, status: int, field_name: str | None = None) -> dict:
    """`r` is a problem+json answer with `status`; when `field_name` is given, the problem
    names that field (in "field", or failing that in "detail")."""
    assert r.status_code == status, f"expected {status}: {describe(r)}"
    body = check_problem_shape(r)
    if field_name is not None:
        named = str(body.get("field") or "")
        assert field_name in named or field_name in body["detail"], (
            f"problem does not name field {field_name!r}: {body}"
        )
    return body


def assert_4xx_problem(r: requests.Response) -> dict:
    assert 400 <= r.status_code < 500, f"expected a 4xx: {describe(r)}"
    return check_problem_shape(r)


def set_cookies(r: requests.Response) -> list[dict]:
    """Every Set-Cookie of the answer as {"name","value","attrs"}; attribute names lower-cased."""
    raw = r.raw.headers.getlist("Set-Cookie") if r.raw is not None else []
    cookies = []
    for header in raw:
        parts = [p.strip() for p in header.split(";")]
        name, _, value = parts[0].partition("=")
        attrs: dict[str, object] = {}
        for p in parts[1:]:
            if not p:
                continue
            k, eq, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip() if eq else True
        cookies.append({"name": name.strip(), "value": value.strip(), "attrs": attrs, "raw": header})
    return cookies


def refresh_cookie(r: requests.Response) -> dict | None:
    found = [c for c in set_cookies(r) if c["name"] == REFRESH_COOKIE]
    assert len(found) <= 1, f"more than one {REFRESH_COOKIE} cookie set"
    return found[0] if found else None


def assert_refresh_cookie_attrs(cookie: dict) -> None:
    attrs = cookie["attrs"]
    assert cookie["value"], "empty refresh cookie"
    assert attrs.get("httponly") is True, f"refresh cookie not HttpOnly: {sorted(attrs)}"
    assert attrs.get("secure") is True, f"refresh cookie not Secure: {sorted(attrs)}"
    assert str(attrs.get("samesite", "")).lower() == "strict", f"refresh cookie SameSite: {attrs.get('samesite')!r}"
    # `__Host-`: Path=/ and no Domain; a session cookie: no Max-Age, no Expires.
    assert attrs.get("path") == "/", f"refresh cookie Path: {attrs.get('path')!r}"
    assert "domain" not in attrs, f"refresh cookie Domain: {attrs.get('domain')!r}"
    assert "max-age" not in attrs and "expires" not in attrs, f"refresh cookie outlives the browser: {sorted(attrs)}"


def assert_token_answer(r: requests.Response) -> dict:
    """A sign-in answer: 200 {"access_token","expires_in"} + a proper refresh cookie, and the
    refresh token never in the body."""
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert isinstance(body.get("access_token"), str) and body["access_token"].count(".") == 2, body.keys()
    assert isinstance(body.get("expires_in"), int) and 0 < body["expires_in"] <= 3600, body.get("expires_in")
    assert "refresh_token" not in body, "refresh token in the body"
    assert "challenge" not in body
    cookie = refresh_cookie(r)
    assert cookie is not None, f"no {REFRESH_COOKIE} cookie on a sign-in answer"
    assert_refresh_cookie_attrs(cookie)
    assert cookie["value"] not in r.text, "refresh token value appears in the body"
    return body


def assert_no_store(r: requests.Response) -> None:
    cc = r.headers.get("Cache-Control", "")
    assert "no-store" in cc.lower(), f"patient data without Cache-Control: no-store ({cc!r}): {describe(r)}"


def comparable_headers(r: requests.Response) -> dict:
    """Headers that must not differ between two answers (date and request ids may)."""
    out = {}
    for k, v in r.headers.items():
        lk = k.lower()
        if lk == "date" or "request" in lk or "trace" in lk or lk.startswith("x-amz"):
            continue
        out[lk] = v
    return out


def tamper_signature(token: str) -> str:
    head, payload, sig = token.split(".")
    i = len(sig) // 2
    swapped = "A" if sig[i] != "A" else "B"
    return f"{head}.{payload}.{sig[:i]}{swapped}{sig[i + 1:]}"


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge_claims(token: str, **claims) -> str:
    """The token with its claims changed and the original signature kept."""
    head, payload, sig = token.split(".")
    body = jsonlib.loads(_b64url_decode(payload))
    body.update(claims)
    return f"{head}.{_b64url_encode(jsonlib.dumps(body).encode())}.{sig}"


def unsigned_token(token: str) -> str:
    """The token's claims under an alg=none header and no signature."""
    _, payload, _ = token.split(".")
    head = _b64url_encode(jsonlib.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{payload}."


# --------------------------------------------------------------------------- mail


def _html_to_text(body: str) -> str:
    body = re.sub(r"(?is)<(script|style).*?</\1>", "", body)
    body = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d)>", "\n", body)
    body = re.sub(r"(?s)<a\s[^>]*href=\"([^\"]*)\"[^>]*>", r" \1 ", body)
    body = re.sub(r"(?s)<[^>]+>", "", body)
    return html.unescape(body)


def _looks_html(body: str) -> bool:
    return bool(re.search(r"(?i)<(html|body|p|div|br|a)\b", body))


def _raw_to_mail(raw: str) -> dict:
    msg = email.message_from_string(raw, policy=policy.default)
    part = msg.get_body(preferencelist=("plain", "html"))
    text = part.get_content() if part is not None else ""
    if part is not None and part.get_content_type() == "text/html":
        text = _html_to_text(text)
    return {"to": str(msg.get("To", "")), "subject": str(msg.get("Subject", "")), "text": text}


@dataclass
class Mail:
    to: str
    subject: str
    text: str

    def __post_init__(self):
        self.text = self.text.replace("\r\n", "\n")


def credentials_in(mail: Mail) -> tuple[str, str]:
    """(username, temporary password) from the lines of a credential email."""
    user = re.findall(r"^[ \t]*Username:[ \t]*(\S+)[ \t]*$", mail.text, re.M)
    temp = re.findall(r"^[ \t]*Temporary password:[ \t]*(\S+)[ \t]*$", mail.text, re.M)
    assert len(user) == 1, f"no single 'Username: ...' line in the credential email"
    assert len(temp) == 1, f"no single 'Temporary password: ...' line in the credential email"
    SECRETS.add(Kind.TEMP_PASSWORD, temp[0])
    return user[0], temp[0]


_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"


def dates_in(text: str) -> list[dt.date]:
    """Calendar dates written in the text: 2025-11-28, 28 November 2025 or November 28, 2025."""
    found = []
    for y, m, d in re.findall(r"(\d{4})-(\d{2})-(\d{2})", text):
        try:
            found.append(dt.date(int(y), int(m), int(d)))
        except ValueError:
            pass
    months = _MONTHS.split("|")
    for d, mon, y in re.findall(rf"(\d{{1,2}})\s+({_MONTHS})\s+(\d{{4}})", text, re.I):
        found.append(dt.date(int(y), months.index(mon.lower()) + 1, int(d)))
    for mon, d, y in re.findall(rf"({_MONTHS})\s+(\d{{1,2}}),?\s+(\d{{4}})", text, re.I):
        found.append(dt.date(int(y), months.index(mon.lower()) + 1, int(d)))
    return found


def reset_link_in(mail: Mail, portal_url: str) -> tuple[str, str]:
    """(username, code) from the reset link `<PORTAL_URL>/reset-password?username=..&code=..`."""
    links = re.findall(r"https?://[^\s<>\"')\]]+/reset-password\?[^\s<>\"')\]]+", mail.text)
    assert links, "no reset-password link in the email"
    link = urlsplit(links[0])
    base = urlsplit(portal_url)
    assert (link.scheme, link.netloc) == (base.scheme, base.netloc), "reset link not on the portal address"
    assert link.path == base.path.rstrip("/") + "/reset-password"
    query = parse_qs(link.query, keep_blank_values=True, strict_parsing=True)
    assert set(query) == {"username", "code"}, f"reset link parameters: {sorted(query)}"
    assert len(query["username"]) == 1 and len(query["code"]) == 1
    code = query["code"][0]
    assert code, "empty reset code"
    SECRETS.add(Kind.RESET_CODE, code)
    return query["username"][0], code


def check_credential_email(portal, mail, username, patient=None):
    """The credential email of flow 2; returns the temporary password."""
    assert mail.subject == CREDENTIAL_SUBJECT
    user, temp = credentials_in(mail)
    assert user.lower() == username.lower()
    assert len(temp) >= 16, "temporary password shorter than 16 characters"
    assert portal.portal_url in mail.text, "the portal's address is not in the email"
    assert re.search(r"\bexpires\b", mail.text, re.I), "the email does not say when the password expires"
    today = dt.datetime.now(dt.timezone.utc).date()
    expiry = [d for d in dates_in(mail.text) if today + dt.timedelta(days=2) <= d <= today + dt.timedelta(days=4)]
    assert expiry, "no expiry date about 3 days ahead in the email"
    assert re.search(r"(?<!\d)\d{1,2}:\d{2}(?!\d)", mail.text), "no expiry time of day in the email"
    if patient is not None:
        lowered = mail.text.lower() + mail.subject.lower()
        for what, value in [("given name", patient["given_name"]), ("family name", patient["family_name"]),
                            ("MRN", patient.get("mrn")), ("birth date", patient["birth_date"]),
                            ("clinic name", CLINIC_NAMES[patient["clinic"]]), ("clinic id", patient["clinic"])]:
            if value:
                assert value.lower() not in lowered, f"the credential email holds the patient's {what}"
        y, m, d = patient["birth_date"].split("-")
        for form in (f"{m}/{d}/{y}", f"{int(m)}/{int(d)}/{y}"):
            assert form not in mail.text, "the credential email holds the birth date"
    return temp


# --------------------------------------------------------------------------- accounts


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


class Portal:
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
        self._seen: dict[tuple, tuple] = {}  # moto messages: key -> (order seen, recipients, Mail)

    # ---- HTTP

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

    # ---- mail

    def mails_to(self, address: str) -> list[Mail]:
        """Every message sent to `address`, newest first."""
        address = address.lower()
        if self.moto_url is None:  # an embedded backend: the local run's outbox
            r = requests.get(self.base + "/dev/outbox", timeout=REQUEST_TIMEOUT_S)
            assert r.status_code == 200, describe(r)
            out = []
            for m in r.json():
                to = m.get("to")
                tos = to if isinstance(to, list) else [to]
                if any(address == str(t).strip().lower() for t in tos):
                    out.append(Mail(str(to), m.get("subject", ""), m.get("text", "")))
            return out
        r = requests.get(self.moto_url + "/moto-api/data.json", timeout=REQUEST_TIMEOUT_S)
        assert r.status_code == 200, f"moto data.json: {r.status_code}"
        ses = r.json().get("ses", {})
        # moto keeps SendEmail and SendRawEmail messages in two append-only lists. Each
        # message is keyed by (list, index) and ordered by when this suite first saw it,
        # which is send order because every test waits for each mail it triggers.
        for i, m in enumerate(ses.get("Message", [])):
            key = ("Message", i)
            if key not in self._seen:
                dest = m.get("destinations") or {}
                tos = [a for k in ("ToAddresses", "CcAddresses", "BccAddresses") for a in dest.get(k) or []]
                body = m.get("body") or ""
                text = _html_to_text(body) if _looks_html(body) else body
                self._seen[key] = (len(self._seen), [a.strip().lower() for a in tos],
                                   Mail(", ".join(tos), m.get("subject") or "", text))
        for i, m in enumerate(ses.get("RawMessage", [])):
            key = ("RawMessage", i)
            if key not in self._seen:
                parsed = _raw_to_mail(m.get("raw_data") or "")
                tos = [a.strip().lower() for a in m.get("destinations") or []]
                tos += [a.strip().lower() for a in re.findall(r"[^\s<>,;\"]+@[^\s<>,;\"]+", parsed["to"])]
                self._seen[key] = (len(self._seen), tos, Mail(parsed["to"], parsed["subject"], parsed["text"]))
        mine = sorted((v for v in self._seen.values() if address in v[1]), key=lambda v: v[0], reverse=True)
        return [v[2] for v in mine]

    def mail_to(self, address: str, after: int = 0) -> Mail:
        """The newest message to `address`, once more than `after` messages have reached it
        (bounded poll of MAIL_DEADLINE_S)."""
        deadline = time.monotonic() + MAIL_DEADLINE_S
        while True:
            mails = self.mails_to(address)
            if len(mails) > after:
                return mails[0]
            if time.monotonic() > deadline:
                pytest.fail(f"[{self.backend}] no mail #{after + 1} to a test address within {MAIL_DEADLINE_S} s")
            time.sleep(POLL_INTERVAL_S)

    def credential_mail(self, address: str, after: int = 0) -> tuple[Mail, str, str]:
        mail = self.mail_to(address, after)
        assert mail.subject == CREDENTIAL_SUBJECT, f"subject {mail.subject!r}"
        username, temp = credentials_in(mail)
        return mail, username, temp

    # ---- sign-in

    def login(self, username: str, password: str) -> requests.Response:
        return self.post("/api/auth/login", json={"username": username, "password": password})

    def sign_in(self, username: str, password: str) -> tuple[str, str]:
        """(access token, refresh cookie value) of a sign-in that must succeed."""
        r = self.login(username, password)
        body = assert_token_answer(r)
        return body["access_token"], refresh_cookie(r)["value"]

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
        r = self.first_login_request(name, session, password, list(answers.items()))
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

    # ---- issue 4 scenario helpers (patients' data, links, search, audit store, log lines)
    # (module-level helpers of the same block are at the end of this file)

    @property
    def data_dir(self) -> Path:
        """The portal's PORTAL_DATA_DIR (Servers puts it beside the log)."""
        return self.log_path.parent / f"data-{self.backend}"

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

    def audit_records(self, patient_id: str) -> list[dict]:
        """The patient's audit records read straight from the audit store (not through the API):
        embedded, <data dir>/audit.json; aws, the DynamoDB table portal-audit at moto."""
        pk = f"AUDIT#{patient_id}"
        if self.moto_url is None:
            path = self.data_dir / "audit.json"
            if not path.exists():
                return []
            items = jsonlib.loads(path.read_text())
            return sorted((i for i in items if i.get("pk") == pk), key=lambda i: i["sk"])
        import boto3
        from boto3.dynamodb.conditions import Key as DynamoKey

        if getattr(self, "_audit_table", None) is None:
            self._audit_table = boto3.resource(
                "dynamodb", endpoint_url=self.dynamodb_url, region_name="us-east-1",
                aws_access_key_id="test", aws_secret_access_key="test",
            ).Table(AUDIT_TABLE)
        items, start = [], None
        while True:
            kw = {"KeyConditionExpression": DynamoKey("pk").eq(pk), "ConsistentRead": True}
            if start:
                kw["ExclusiveStartKey"] = start
            page = self._audit_table.query(**kw)
            items += page["Items"]
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def log_offset(self) -> int:
        """Where the server log ends now; `log_lines(since=...)` reads what came after."""
        return self.log_path.stat().st_size

    def log_lines(self, since: int = 0) -> list[dict]:
        """The JSON log lines written since the offset, the fields of each flattened into it."""
        with open(self.log_path, "rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        return parse_log_lines(text)


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def _wait_until_answers(url: str, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before answering; log tail:\n{_tail(log)}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer 200 at {url} within {START_DEADLINE_S} s; log tail:\n{_tail(log)}")
        time.sleep(POLL_INTERVAL_S)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Servers:
    """Starts each backend at most once (on first use) and keeps it for the session."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.portals: dict[str, Portal] = {}
        self.procs: dict[str, subprocess.Popen] = {}
        self.failures: dict[str, str] = {}
        self.logs: dict[str, Path] = {}
        self.motos: dict[str, subprocess.Popen] = {}
        self.moto_urls: dict[str, str] = {}
        self._files = []

    def get(self, backend: str) -> Portal:
        if backend not in self.portals and backend not in self.failures:
            try:
                self.portals[backend] = self._start(backend)
            except RuntimeError as e:
                self.failures[backend] = f"[{backend}] {e}"
        if backend in self.failures:
            pytest.fail(self.failures[backend], pytrace=False)
        return self.portals[backend]

    def _start_moto(self, name: str) -> str:
        """A moto server of its own for `name`: DynamoDB gets one apart from Cognito and SES,
        because the tests read sent mail from /moto-api/data.json, which renders every item
        of every table and grows slow (a minute per call) as the audit table fills."""
        if name not in self.moto_urls:
            if not MOTO_SERVER.exists():
                raise RuntimeError(f"moto_server not found at {MOTO_SERVER} (pip install 'moto[server]' into .venv)")
            port = free_port()
            log = self.workdir / f"moto-{name}.log"
            f = open(log, "wb")
            self._files.append(f)
            # DynamoDB's emulator answers one request at a time (see moto_serial.py).
            command = ([str(MOTO_SERVER.parent / "python"), str(Path(__file__).with_name("moto_serial.py")), "127.0.0.1", str(port)]
                       if name == "dynamodb" else [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)])
            proc = subprocess.Popen(command, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            self.motos[name] = proc
            url = f"http://127.0.0.1:{port}"
            _wait_until_answers(url + "/moto-api/data.json", proc, log, f"moto_server ({name})")
            self.moto_urls[name] = url
        return self.moto_urls[name]

    def _start(self, backend: str) -> Portal:
        if not PORTAL_BIN.exists():
            raise RuntimeError(f"{PORTAL_BIN} does not exist: build it (cargo build --bin portal-local) or set PORTAL_BIN")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        data_dir = self.workdir / f"data-{backend}"
        data_dir.mkdir(parents=True, exist_ok=True)
        admin_password = SECRETS.add(Kind.PASSWORD, secrets.token_urlsafe(18))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and not k.startswith("PORTAL_") and k != "RUST_LOG"}
        env.update({
            "PORTAL_ADDR": f"127.0.0.1:{port}",
            "PORTAL_DATA_DIR": str(data_dir),
            "PORTAL_ADMIN_PASSWORD": admin_password,
            "PORTAL_URL": base,
            "RUST_LOG": "info",
        })
        moto_url = dynamodb_url = None
        if backend in (IDLE, AWS_IDLE):
            env["PORTAL_IDLE_SECONDS"] = str(IDLE_SECONDS)
        if backend in ("aws", AWS_IDLE):
            moto_url = self._start_moto("cognito-ses")
            dynamodb_url = self._start_moto("dynamodb")
            env.update({
                "PORTAL_BACKEND": "aws",
                "AWS_ENDPOINT_URL": moto_url,
                # The SDK's service-specific endpoint setting: DynamoDB on its own server.
                "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_url,
                "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_EC2_METADATA_DISABLED": "true",
            })
        log = self.workdir / f"portal-{backend}.log"
        f = open(log, "wb")
        self._files.append(f)
        proc = subprocess.Popen([str(PORTAL_BIN)], env=env, cwd=str(self.workdir),
                                stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs[backend] = proc
        self.logs[backend] = log
        _wait_until_answers(base + "/api/clinics", proc, log, f"portal-local ({backend})")
        return Portal(backend, base, admin_password, log, moto_url, dynamodb_url)

    def stop(self, backend: str) -> Path:
        """Stops the backend's portal (so its log is complete) and returns the log's path."""
        proc = self.procs.pop(backend, None)
        if proc is not None:
            _stop(proc)
        self.portals.pop(backend, None)
        return self.logs[backend]

    def close(self) -> None:
        for backend in list(self.procs):
            self.stop(backend)
        for proc in self.motos.values():
            _stop(proc)
        for f in self._files:
            f.close()


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    s = Servers(tmp_path_factory.mktemp("portal"))
    yield s
    s.close()


@pytest.fixture(scope="session", params=BACKENDS)
def portal(request, servers) -> Portal:
    return servers.get(request.param)


@pytest.hookimpl(trylast=True)  # after pytest's own reordering, which groups items by `portal` param
def pytest_collection_modifyitems(config, items):
    """The tests that read the logs of the whole run go last: test_logs.py, then test_iam.py."""
    last = ("test_logs.py", "test_iam.py")
    items[:] = [i for i in items if i.path.name not in last] + [i for n in last for i in items if i.path.name == n]



# --------------------------------------------------------------------------- issue 4 scenario helpers
# (module level; the Portal methods of this block follow `Portal.account_path`)

AUDIT_TABLE = "portal-audit"  # PORTAL_AUDIT_TABLE's default; conftest never sets it
# PHI the issue 4 tests send, so that the log test also looks for it.
Kind.ADDRESS = "patient address line or city"
Kind.PHONE = "phone number"
Kind.CONTACT = "emergency contact or pharmacy name"
Kind.SEARCH = "patient search query"


def today_utc() -> dt.date:
    """The server's today (it computes ages in UTC)."""
    return dt.datetime.now(dt.timezone.utc).date()


def years_before(years: int, days: int = 0) -> dt.date:
    """The date `years` years before today, plus `days` days: born on years_before(18) is 18
    today; born on years_before(18, 1) turns 18 tomorrow. (29 February, in a common year,
    counts as 28 February.)"""
    t = today_utc()
    try:
        day = t.replace(year=t.year - years)
    except ValueError:
        day = t.replace(year=t.year - years, day=28)
    return day + dt.timedelta(days=days)


def patient_path(patient_id: str, what: str = "demographics") -> str:
    return f"/api/patients/{patient_id}/{what}"


def new_phone() -> str:
    return SECRETS.add(Kind.PHONE, f"617 {random.randrange(200, 999)} {random.randrange(1000, 9999)}")


def new_address(line2: bool = False) -> dict:
    address = {
        "line1": SECRETS.add(Kind.ADDRESS, f"{random.randrange(1, 999)} {letters(10).capitalize()} Street"),
        "city": SECRETS.add(Kind.ADDRESS, letters(12).capitalize() + "ville"),
        "state": random.choice(["MA", "NH", "RI", "DC", "PR"]),
        "postal_code": f"{random.randrange(1000, 99999):05d}",
    }
    if line2:
        address["line2"] = SECRETS.add(Kind.ADDRESS, f"Apartment {letters(8).upper()}")
    return address


def new_contact(phones: int = 1) -> dict:
    return {
        "name": SECRETS.add(Kind.CONTACT, f"{letters(8).capitalize()} {letters(10).capitalize()}"),
        "relationship": random.choice(["Aunt", "Grandmother", "Neighbor", "Uncle"]),
        "phones": [{"kind": k, "number": new_phone()} for k in ["mobile", "home", "work"][:phones]],
    }


def new_pharmacy() -> dict:
    return {
        "name": SECRETS.add(Kind.CONTACT, f"{letters(10).capitalize()} Pharmacy"),
        "address": SECRETS.add(Kind.ADDRESS, f"{random.randrange(1, 999)} {letters(10).capitalize()} Road, Boston, MA 02115"),
        "phone": new_phone(),
    }


def parse_log_lines(text: str) -> list[dict]:
    """Each JSON line of a log as a dict, with tracing's "fields" merged into the top level."""
    out = []
    for line in text.splitlines():
        try:
            obj = jsonlib.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            fields = obj.pop("fields", None)
            if isinstance(fields, dict):
                obj.update(fields)
            out.append(obj)
    return out
