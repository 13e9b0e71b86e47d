"""`SECRETS`, the one registry of every secret and piece of PHI the suite sends or receives,
by `Kind`, so that test_logs.py can check that no server log holds any of them."""

from __future__ import annotations

import json as jsonlib
import re
from urllib.parse import quote


class Kind:
    PASSWORD = "password"
    TEMP_PASSWORD = "temporary password"
    RESET_CODE = "reset code"
    ACCESS_TOKEN = "access token"
    REFRESH_COOKIE = "refresh cookie value"
    CHALLENGE_SESSION = "sign-in challenge session"
    TOTP_KEY = "two-step sign-in key"
    EMAIL = "email address"
    PATIENT_NAME = "patient given/family name"
    MRN = "MRN"
    BIRTH_DATE = "patient birth date"
    SECURITY_ANSWER = "security answer"
    # PHI the issue 4 tests send, so that the log test also looks for it.
    ADDRESS = "patient address line or city"
    PHONE = "phone number"
    CONTACT = "emergency contact or pharmacy name"
    SEARCH = "patient search query"
    # What issue 12's tests write about a visit: a request's reason, the office's notes and
    # decline reasons, a visit's instructions and the reason or comment of an Appointment.
    APPOINTMENT_TEXT = "appointment reason, note or instructions"
    # Issue 13: what families and the office write in Messages (a conversation's subject and
    # messages, the office's notes, a refill request's note and the office's reasons), and the
    # prescriptions (a medication's name and dosage text).
    MESSAGE_TEXT = "message subject, body or note"
    MEDICATION = "medication name or dosage"


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
