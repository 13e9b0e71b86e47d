"""Black-box scenario suite: every test runs against the running `portal-local` binary,
once on the embedded backend and once on the AWS adapters against moto's server.

Nothing here builds the binary: set PORTAL_BIN or build target/debug/portal-local first.

This file holds the suite's fixtures and hooks:
- `servers` (session scope) is the `Servers` of processes.py; `test_logs.py` reads its logs.
- `portal` (session scope, params embedded/aws) is the `Portal` every test uses.
- `site` (module scope, params embedded/aws) and `browser` (a headless Chromium on it) for
  the browser journeys.
- `pytest_collection_modifyitems` runs the tests that read the whole run's logs last
  (WHOLE_RUN_READERS).

The helpers live beside it, each in a module named for what it holds; this file imports
their public names so that the tests' `from conftest import (...)` keeps working:
- settings.py: paths (REPO, PORTAL_BIN, MOTO_SERVER), backends (BACKENDS, IDLE, AWS_IDLE),
  timeouts, the portal's fixed names (REFRESH_COOKIE, CREDENTIAL_SUBJECT, AUDIT_TABLE) and
  the FAQ's clinics (FAQ_CLINICS, CARDIOLOGY, ENDOCRINE, CLINIC_NAMES, slug).
- leaks.py: `SECRETS` records every secret the suite uses, by `Kind`, for the log test.
- made_up.py: made-up usernames, emails, passwords, answers, patients, phones, addresses,
  contacts, pharmacies and dates (`years_before`).
- http_checks.py: checks of answers (never a 5xx, every 4xx a well-formed problem; the
  refresh cookie, token answers, no-store) and `describe`.
- tokens.py: access tokens tampered with, forged or unsigned.
- mail.py: `Mail`, reading the outbox or moto's sent mail, the reset link and the credential
  email.
- portal_client.py: `Portal` (HTTP calls with the global checks, mail look-ups, sign-in, and
  the small flows: first login, make staff, make family) and `Account`.
- records.py: what a portal wrote outside its API (data dir, audit store, log lines).
- processes.py: `Servers` starts each backend at most once per session (lazily) and keeps
  its stdout+stderr in a log file for the whole session; free ports, waiting for a server.
- fhir_bundles.py (imported by the tests that send FHIR themselves, not re-exported): FHIR R4
  resources and bundles for `Portal.post_fhir` (POST /dev/fhir), reading its batch-response,
  and validating an exported Bundle with fhir.resources' R4B models.
"""

from __future__ import annotations

import pytest

from browser import Browser

# Re-exported for the tests' `from conftest import (...)`.
from http_checks import (  # noqa: F401
    assert_4xx_problem, assert_no_store, assert_problem, assert_refresh_cookie_attrs, assert_token_answer,
    check_problem_shape, comparable_headers, describe, media_type, refresh_cookie, set_cookies,
)
from leaks import SECRETS, Kind, SecretRegistry, _occurs  # noqa: F401
from made_up import (  # noqa: F401
    letters, new_address, new_answer, new_contact, new_email, new_password, new_patient_body, new_pharmacy,
    new_phone, new_username, today_utc, years_before,
)
from mail import Mail, check_credential_email, credentials_in, dates_in, reset_link_in  # noqa: F401
from portal_client import Account, Portal, patient_path  # noqa: F401
from processes import Servers, _stop, _wait_until_answers, free_port  # noqa: F401
from records import parse_log_lines  # noqa: F401
from settings import (  # noqa: F401
    AUDIT_TABLE, AWS_IDLE, BACKENDS, CARDIOLOGY, CLINIC_NAMES, CREDENTIAL_SUBJECT, ENDOCRINE, FAQ_CLINICS, IDLE,
    IDLE_SECONDS, MAIL_DEADLINE_S, MOTO_SERVER, POLL_INTERVAL_S, PORTAL_BIN, REFRESH_COOKIE, REPO,
    REQUEST_TIMEOUT_S, START_DEADLINE_S, slug,
)
from tokens import forge_claims, tamper_signature, unsigned_token  # noqa: F401


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    s = Servers(tmp_path_factory.mktemp("portal"))
    yield s
    s.close()


@pytest.fixture(scope="session", params=BACKENDS)
def portal(request, servers) -> Portal:
    return servers.get(request.param)


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, servers) -> Portal:
    """The local run a module's browser journeys open, on each backend in turn (module scope:
    a journey's module runs on the embedded backend, then on the AWS adapters)."""
    return servers.get(request.param)


@pytest.fixture
def browser(site):
    """A headless Chromium on `site`, closed after the test (test_pages.py sizes its own)."""
    b = Browser(site)
    yield b
    b.close()


# The tests that read the logs of the whole run, in the order they run after every other test:
# test_logs.py stops the portals (their logs are complete then), test_iam.py and
# test_round_trips.py read the AWS backend's.
WHOLE_RUN_READERS = ("test_logs.py", "test_iam.py", "test_round_trips.py")


def after_the_aws_run(servers, request, reads: str) -> None:
    """For a test of WHOLE_RUN_READERS: fails when a scenario test runs after it (its `reads`
    would miss theirs) or the AWS backend failed to start; skips when the AWS backend did not
    run in this session."""
    name = request.node.path.name
    later = [i.nodeid for i in request.session.items[request.session.items.index(request.node) + 1:]
             if i.path.name not in WHOLE_RUN_READERS]
    assert not later, (f"{name} must run after the scenario tests, whose {reads} it reads ({len(later)} run later, "
                       f"e.g. {later[0]}): conftest's pytest_collection_modifyitems moves it to the end")
    if "aws" in servers.failures:
        pytest.fail(servers.failures["aws"], pytrace=False)
    if "aws" not in servers.logs:
        pytest.skip(f"the aws backend did not run in this session: there are no {reads} to check")


@pytest.hookimpl(trylast=True)  # after pytest's own reordering, which groups items by `portal` param
def pytest_collection_modifyitems(config, items):
    """The tests that read the logs of the whole run go last, in WHOLE_RUN_READERS' order."""
    last = WHOLE_RUN_READERS
    items[:] = [i for i in items if i.path.name not in last] + [i for n in last for i in items if i.path.name == n]


def pytest_terminal_summary(terminalreporter):
    """How long the run waited for two-step codes (`Portal.next_code`), to keep it small."""
    from portal_client import CODE_WAITS
    if CODE_WAITS[0]:
        terminalreporter.write_line(f"two-step codes: waited {CODE_WAITS[1]:.0f} s in {CODE_WAITS[0]} waits")
