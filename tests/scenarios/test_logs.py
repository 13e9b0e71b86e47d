"""The logs of the whole scenario run hold no secret and no patient data: no password,
temporary password, reset code, token, refresh cookie, sign-in session, security answer, email
address, patient name, MRN or birth date that the suite used; nor what families and the office
write (a visit's reason, a message's subject or body, a note; issues 12 and 13), a medication's
name or dosage, or a pharmacy's name (every one the suite sent is in `SECRETS`, by `Kind`).

conftest moves this module to the end of the run; each backend's portal is stopped first so that
its log is complete."""

import pytest

from conftest import BACKENDS, IDLE, SECRETS, Kind


@pytest.mark.parametrize("backend", BACKENDS + [IDLE])
def test_server_logs_hold_no_secrets(servers, backend):
    servers.get(backend)  # starts it if this run used no other test of the backend
    log_path = servers.stop(backend)
    text = log_path.read_text(errors="replace")
    assert text.strip(), f"the {backend} portal wrote no log at all ({log_path})"
    registered = SECRETS.kinds()
    assert registered.get(Kind.PASSWORD, 0) >= 1, "the suite registered no secrets to look for"
    leaks = SECRETS.leaked_kinds(text)
    assert not leaks, (
        f"the {backend} portal's log ({log_path}) leaks: "
        + ", ".join(f"{kind} ({n} value{'s' if n > 1 else ''})" for kind, n in sorted(leaks.items()))
    )


def test_the_leak_finder_finds_what_it_should():
    from conftest import SecretRegistry

    reg = SecretRegistry()
    reg.add(Kind.RESET_CODE, "123456")
    reg.add(Kind.EMAIL, "Parent.X@example.com")
    reg.add(Kind.ACCESS_TOKEN, "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl")
    assert reg.leaked_kinds("2025-11-25T15:09:01.123456Z INFO started") == {}
    assert reg.leaked_kinds("code=123456 sent") == {Kind.RESET_CODE: 1}
    assert reg.leaked_kinds("to parent.x@example.com") == {Kind.EMAIL: 1}
    assert reg.leaked_kinds("to Parent.X%40example.com") == {Kind.EMAIL: 1}
    assert reg.leaked_kinds("auth Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl") == {Kind.ACCESS_TOKEN: 1}
