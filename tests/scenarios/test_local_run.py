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
    for name in ("table.json", "audit.json", "idp-signing-key.der", "idp-sealing-key"):
        assert mode(data / name) == 0o600, f"{name}: {oct(mode(data / name))}"
    mails = sorted((data / "outbox").glob("*.eml"))
    assert mails, "no mail in the outbox"
    for mail in mails:
        assert mode(mail) == 0o600, f"{mail.name}: {oct(mode(mail))}"


ADMIN_PASSWORD = "violet kettle marching uphill slowly"


def run_local(addr_host: str, workdir: Path, **more_env: str) -> tuple[subprocess.Popen, str, Path]:
    workdir.mkdir(parents=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORTAL_"))}
    env.update({"PORTAL_ADDR": f"{addr_host}:{port}", "PORTAL_DATA_DIR": str(workdir / "data"),
                "PORTAL_ADMIN_PASSWORD": ADMIN_PASSWORD, "RUST_LOG": "warn", **more_env})
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


def test_staff_two_step_sign_in_is_relaxed_only_by_the_switch_and_then_with_a_warning():
    """Issue 15: the local run requires two-step sign-in of staff and admins unless started with
    PORTAL_STAFF_MFA=off (a laptop demo), which it then says at start; another value is refused."""
    login = {"username": "admin", "password": ADMIN_PASSWORD}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        proc, base, log = run_local("127.0.0.1", workdir / "on")
        try:
            r = requests.post(base + "/api/auth/login", json=login, timeout=REQUEST_TIMEOUT_S)
            assert r.status_code == 200 and r.json().get("challenge") == "MFA_SETUP", r.text[:200]
            assert "PORTAL_STAFF_MFA" not in log.read_text()
        finally:
            _stop(proc)
        proc, base, log = run_local("127.0.0.1", workdir / "off", PORTAL_STAFF_MFA="off")
        try:
            r = requests.post(base + "/api/auth/login", json=login, timeout=REQUEST_TIMEOUT_S)
            assert r.status_code == 200 and "access_token" in r.json(), r.text[:200]
            assert "PORTAL_STAFF_MFA=off: staff and admins sign in without two-step sign-in" in log.read_text()
        finally:
            _stop(proc)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PORTAL_"))}
        env.update({"PORTAL_DATA_DIR": str(workdir / "bad"), "PORTAL_ADDR": f"127.0.0.1:{free_port()}",
                    "PORTAL_STAFF_MFA": "no"})
        done = subprocess.run([str(PORTAL_BIN)], env=env, cwd=tmp, capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and "PORTAL_STAFF_MFA must be" in done.stderr, done.stderr[-300:]
