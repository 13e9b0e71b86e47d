"""Made-up values for the tests: usernames, email addresses, passwords, security answers,
patients, phones, addresses, emergency contacts, pharmacies, and birth dates counted back
from today. Every secret or piece of PHI is registered in `SECRETS` as it is made."""

from __future__ import annotations

import datetime as dt
import random
import secrets
import string
import uuid

from leaks import SECRETS, Kind
from settings import CARDIOLOGY


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
