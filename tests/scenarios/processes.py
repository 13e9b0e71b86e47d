"""The processes the suite runs: `Servers` starts each backend's `portal-local` (and, for
the AWS adapters, moto's servers) at most once per session, keeping each one's stdout+stderr
in a log file for the whole session; `free_port`, `_wait_until_answers` and `_stop` serve it
and test_local_run.py."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from leaks import SECRETS, Kind
from portal_client import Portal
from settings import AWS_IDLE, IDLE, IDLE_SECONDS, MOTO_SERVER, POLL_INTERVAL_S, PORTAL_BIN, START_DEADLINE_S


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
        so that each serves its requests without waiting on the other's."""
        if name not in self.moto_urls:
            if not MOTO_SERVER.exists():
                raise RuntimeError(f"moto_server not found at {MOTO_SERVER} (pip install 'moto[server]' into .venv)")
            port = free_port()
            log = self.workdir / f"moto-{name}.log"
            f = open(log, "wb")
            self._files.append(f)
            # DynamoDB's emulator answers one request at a time (moto_serial.py); Cognito and
            # SES's lists what SES sent without rendering all it holds (moto_mail.py).
            script = "moto_serial.py" if name == "dynamodb" else "moto_mail.py"
            command = [str(MOTO_SERVER.parent / "python"), str(Path(__file__).with_name(script)), "127.0.0.1", str(port)]
            # moto checks two-step codes only so, against one fixed key for every user, which
            # AssociateSoftwareToken returns (issue 15).
            env = {**os.environ, "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true"}
            proc = subprocess.Popen(command, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
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
