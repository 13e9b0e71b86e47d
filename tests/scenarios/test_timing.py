"""Issue 9, item 4: the time an answer takes does not tell known usernames from unknown ones.
For sign-in, forgot-password and reset-password, 30 tries with known names and 30 with
unknown ones (interleaved, each name tried once per route so that no lock-out or mail
throttle makes one side cheaper) have medians within 20 % of each other."""

import json
import statistics
import time

from conftest import REPO, describe, new_password, new_username

# The medians measured, for the record (the note quotes them).
FIGURES = REPO / "target" / "timing.json"

TRIES = 30
WITHIN = 0.20


def timed(call) -> float:
    started = time.perf_counter()
    r = call()
    elapsed = time.perf_counter() - started
    assert r.status_code < 500, describe(r)
    return elapsed


def compare(backend: str, what: str, known: list[float], unknown: list[float]) -> None:
    k, u = statistics.median(known), statistics.median(unknown)
    gap = abs(k - u) / max(k, u)
    figures = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    figures[f"{backend} {what}"] = {"known_ms": round(k * 1000, 1), "unknown_ms": round(u * 1000, 1), "gap": round(gap, 3)}
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2))
    assert gap <= WITHIN, f"{what}: median known {k * 1000:.0f} ms, unknown {u * 1000:.0f} ms ({gap:.0%} apart)"


def test_known_and_unknown_usernames_take_the_same_time(portal):
    families = [portal.make_family() for _ in range(TRIES)]
    strangers = [new_username("nobody") for _ in range(TRIES)]
    qid = portal.question_ids()[0]

    def login(name):
        return lambda: portal.login(name, "not the password " + name)

    def forgot(name):
        return lambda: portal.post("/api/auth/forgot-password", json={"username": name})

    def reset(name):
        return lambda: portal.post("/api/auth/reset-password", json={
            "username": name, "code": "123456", "question_id": qid, "answer": "not the answer",
            "new_password": new_password(),
        })

    for what, route in (("login", login), ("forgot-password", forgot), ("reset-password", reset)):
        known, unknown = [], []
        for family, stranger in zip(families, strangers):
            known.append(timed(route(family.username)))
            unknown.append(timed(route(stranger)))
        compare(portal.backend, what, known, unknown)
