"""The mail the portal sends: `Mail`, reading it (`MailReading`: the embedded backend's
/dev/outbox, or moto's SES messages from moto_mail.py's /_suite/ses-sent), and taking apart the reset link
and the credential email."""

from __future__ import annotations

import datetime as dt
import email
import html
import re
import time
from dataclasses import dataclass
from email import policy
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from http_checks import describe
from leaks import SECRETS, Kind
from settings import CLINIC_NAMES, CREDENTIAL_SUBJECT, MAIL_DEADLINE_S, POLL_INTERVAL_S, REQUEST_TIMEOUT_S


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


class MailReading:
    """`Portal`'s mail look-ups. Uses the portal's `backend`, `base` and `moto_url`, and its
    `_seen` (moto's sent messages: index -> (order sent, recipients, Mail))."""

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
        # moto_mail.py lists what SES sent, in send order, from the first message not seen yet;
        # every test waits for each mail it triggers, so send order is the order seen.
        r = requests.get(f"{self.moto_url}/_suite/ses-sent?after={len(self._seen)}", timeout=REQUEST_TIMEOUT_S)
        assert r.status_code == 200, f"moto's sent mail: {r.status_code}"
        for m in r.json()["messages"]:
            if m["kind"] == "RawMessage":
                parsed = _raw_to_mail(m.get("raw_data") or "")
                tos = [a.strip().lower() for a in m.get("destinations") or []]
                tos += [a.strip().lower() for a in re.findall(r"[^\s<>,;\"]+@[^\s<>,;\"]+", parsed["to"])]
                mail = Mail(parsed["to"], parsed["subject"], parsed["text"])
            else:
                dest = m.get("destinations") or {}
                tos = [a for k in ("ToAddresses", "CcAddresses", "BccAddresses") for a in dest.get(k) or []]
                body = m.get("body") or ""
                mail = Mail(", ".join(tos), m.get("subject") or "", _html_to_text(body) if _looks_html(body) else body)
                tos = [a.strip().lower() for a in tos]
            self._seen[len(self._seen)] = (len(self._seen), tos, mail)
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
