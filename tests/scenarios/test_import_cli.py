"""Issue 11, item 1: `portal-local import FILE` (or `-` for standard input) hands a FHIR Bundle to
the running local run, prints the batch-response, and says by its exit status whether every
entry was taken (0), some were refused (1), or the bundle was not one (2)."""

from __future__ import annotations

import json
import subprocess
from urllib.parse import urlparse

import fhir_bundles as fhir
from conftest import PORTAL_BIN, years_before
from fhir_bundles import HEMOGLOBIN, by_mrn, literal, moment, observation


def run_import(portal, args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    addr = urlparse(portal.base).netloc
    return subprocess.run([str(PORTAL_BIN), "import", *args], input=stdin, capture_output=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PORTAL_ADDR": addr})


def test_import_files_a_bundle_and_says_what_became_of_it(portal, tmp_path):
    patient = portal.make_patient_born(years_before(5))
    good = fhir.bundle(observation(literal(patient["id"]), HEMOGLOBIN, 12.7, effective=moment(2)))
    path = tmp_path / "good.json"
    path.write_text(json.dumps(good))
    done = run_import(portal, [str(path)])
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["type"] == "batch-response" and [e["response"]["status"] for e in answer["entry"]] == ["201"]
    parent = portal.make_holder(patient, "parent")
    items = portal.get(f"/api/patients/{patient['id']}/results", token=parent.auth).json()["items"]
    assert [i["code"]["code"] for i in items] == [HEMOGLOBIN.code], items

    # From standard input, the same bundle again: taken (unchanged), exit 0.
    again = run_import(portal, ["-"], stdin=json.dumps(good).encode())
    assert again.returncode == 0 and [e["response"]["status"] for e in json.loads(again.stdout)["entry"]] == ["200"]

    refused = fhir.bundle(observation(by_mrn(fhir.new_mrn()), HEMOGLOBIN, 9.0, effective=moment(1)))
    done = run_import(portal, ["-"], stdin=json.dumps(refused).encode())
    assert done.returncode == 1 and [e["response"]["status"] for e in json.loads(done.stdout)["entry"]] == ["422"]

    bad = run_import(portal, ["-"], stdin=b"not json")
    assert bad.returncode == 2
    missing = run_import(portal, [str(tmp_path / "absent.json")])
    assert missing.returncode == 2 and "absent.json" in missing.stderr.decode()
