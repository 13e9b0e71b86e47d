"""The people most office tests start from (issues 12 and 13): the `office` fixture (two staff
of cardiology, staff of endocrine, an admin), `register` (a patient the admin registers with a
fresh MRN) and `family` (such a patient with one signed-in family account)."""

from __future__ import annotations

import datetime as dt

import pytest

import fhir_bundles as fhir
from http_checks import describe
from leaks import SECRETS, Kind
from made_up import new_patient_body, years_before
from settings import CARDIOLOGY, ENDOCRINE


@pytest.fixture(scope="module")
def office(portal):
    """Two staff of cardiology (the clinic of most tests' patients), staff of endocrine and an
    admin."""
    return {"staff": portal.make_staff(clinics=(CARDIOLOGY,)), "staff2": portal.make_staff(clinics=(CARDIOLOGY,)),
            "other": portal.make_staff(clinics=(ENDOCRINE,)), "admin": portal.make_staff(role="admin", clinics=())}


def register(portal, clinic: str = CARDIOLOGY, birth: dt.date | None = None) -> dict:
    """A patient registered by the admin, with a fresh MRN, aged 6 unless born on `birth`."""
    body = new_patient_body(clinic, with_mrn=False)
    body["mrn"] = fhir.new_mrn()
    body["birth_date"] = SECRETS.add(Kind.BIRTH_DATE, (birth or years_before(6, -40)).isoformat())
    r = portal.create_patient(portal.admin_token(), body)
    assert r.status_code == 201, describe(r)
    return {**body, "id": r.json()["id"]}


def family(portal, clinic: str = CARDIOLOGY, birth: dt.date | None = None, relationship: str = "parent"):
    """A new patient and one signed-in family account of theirs: (patient, account)."""
    patient = register(portal, clinic, birth)
    return patient, portal.make_holder(patient, relationship)
