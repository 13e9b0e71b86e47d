"""Issue 9, item 14: the local run's files that hold keys, PHI or mail are its owner's only,
and the outbox of every email sent is listed only to this machine. These are properties
of the embedded backend's files and of the local server, so they are tested there (the
AWS backend keeps no such files)."""

import os
import stat
import subprocess
import tempfile
from pathlib import Path

import requests

from conftest import PORTAL_BIN, REQUEST_TIMEOUT_S, _stop, _wait_until_answers, free_port


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_embedded_backends_files_are_private(servers):
    portal = servers.get("embedded")
    family = portal.make_family()  # writes the table, the audit, and a mail
    portal.patient_data(family.auth, family.patient["id"])
    data = portal.data_dir
    assert mode(data) == 0o700, oct(mode(data))
    for name in ("table.json", "audit.json", "idp-signing-key.der"):
        assert mode(data / name) == 0o600, f"{name}: {oct(mode(data / name))}"
    mails = sorted((data / "outbox").glob("*.eml"))
    assert mails, "no mail in the outbox"
    for mail in mails:
        assert mode(mail) == 0o600, f"{mail.name}: {oct(mode(mail))}"


def run_local(addr_host: str, workdir: Path) -> tuple[subprocess.Popen, str, Path]:
    workdir.mkdir(parents=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORTAL_"))}
    env.update({"PORTAL_ADDR": f"{addr_host}:{port}", "PORTAL_DATA_DIR": str(workdir / "data"),
                "PORTAL_ADMIN_PASSWORD": "violet kettle marching uphill slowly", "RUST_LOG": "warn"})
    log = workdir / "portal.log"
    with open(log, "wb") as f:
        proc = subprocess.Popen([str(PORTAL_BIN)], env=env, cwd=str(workdir), stdout=f, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    _wait_until_answers(base + "/api/clinics", proc, log, f"portal-local on {addr_host}")
    return proc, base, log


def test_the_outbox_is_listed_only_when_the_server_listens_on_loopback():
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for host, listed in (("127.0.0.1", True), ("0.0.0.0", False)):
            proc, base, _ = run_local(host, workdir / host)
            try:
                r = requests.get(base + "/dev/outbox", timeout=REQUEST_TIMEOUT_S)
                if listed:
                    assert r.status_code == 200 and isinstance(r.json(), list), r.text[:200]
                else:
                    # Not served: the path is no page either, so the pages' 404.
                    assert r.status_code == 404, r.text[:200]
                    assert "@example" not in r.text and not r.headers["content-type"].startswith("application/json")
            finally:
                _stop(proc)
