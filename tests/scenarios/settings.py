"""Where things are, the suite's timing limits and the portal's fixed names: one definition
each, imported by the other helper modules and re-exported by conftest.py. A leaf module: it
imports nothing of the suite's."""

from __future__ import annotations

import os
import re
from pathlib import Path

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
AUDIT_TABLE = "portal-audit"  # PORTAL_AUDIT_TABLE's default; the suite never sets it

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
