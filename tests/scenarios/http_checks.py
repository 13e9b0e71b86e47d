"""Checks of the portal's answers: problem+json errors, the refresh cookie's attributes, a
sign-in's token answer, Cache-Control on patient data, and `describe` for failure messages."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from settings import REFRESH_COOKIE


def media_type(r: requests.Response) -> str:
    return r.headers.get("Content-Type", "").split(";")[0].strip().lower()


def describe(r: requests.Response) -> str:
    return f"{r.request.method} {urlsplit(r.url).path} -> {r.status_code} {r.text[:500]!r}"


def check_problem_shape(r: requests.Response) -> dict:
    assert media_type(r) == "application/problem+json", (
        f"error answer is not problem+json: {describe(r)} (Content-Type {r.headers.get('Content-Type')!r})"
    )
    body = r.json()
    assert isinstance(body, dict), describe(r)
    for key in ("type", "title", "status", "detail"):
        assert key in body, f"problem lacks {key!r}: {describe(r)}"
    assert body["status"] == r.status_code, describe(r)
    assert isinstance(body["title"], str) and body["title"], describe(r)
    assert isinstance(body["detail"], str) and body["detail"], describe(r)
    return body


def assert_problem(r: requests.Response, status: int, field_name: str | None = None) -> dict:
    """`r` is a problem+json answer with `status`; when `field_name` is given, the problem
    names that field (in "field", or failing that in "detail")."""
    assert r.status_code == status, f"expected {status}: {describe(r)}"
    body = check_problem_shape(r)
    if field_name is not None:
        named = str(body.get("field") or "")
        assert field_name in named or field_name in body["detail"], (
            f"problem does not name field {field_name!r}: {body}"
        )
    return body


def assert_4xx_problem(r: requests.Response) -> dict:
    assert 400 <= r.status_code < 500, f"expected a 4xx: {describe(r)}"
    return check_problem_shape(r)


def set_cookies(r: requests.Response) -> list[dict]:
    """Every Set-Cookie of the answer as {"name","value","attrs"}; attribute names lower-cased."""
    raw = r.raw.headers.getlist("Set-Cookie") if r.raw is not None else []
    cookies = []
    for header in raw:
        parts = [p.strip() for p in header.split(";")]
        name, _, value = parts[0].partition("=")
        attrs: dict[str, object] = {}
        for p in parts[1:]:
            if not p:
                continue
            k, eq, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip() if eq else True
        cookies.append({"name": name.strip(), "value": value.strip(), "attrs": attrs, "raw": header})
    return cookies


def refresh_cookie(r: requests.Response) -> dict | None:
    found = [c for c in set_cookies(r) if c["name"] == REFRESH_COOKIE]
    assert len(found) <= 1, f"more than one {REFRESH_COOKIE} cookie set"
    return found[0] if found else None


def assert_refresh_cookie_attrs(cookie: dict) -> None:
    attrs = cookie["attrs"]
    assert cookie["value"], "empty refresh cookie"
    assert attrs.get("httponly") is True, f"refresh cookie not HttpOnly: {sorted(attrs)}"
    assert attrs.get("secure") is True, f"refresh cookie not Secure: {sorted(attrs)}"
    assert str(attrs.get("samesite", "")).lower() == "strict", f"refresh cookie SameSite: {attrs.get('samesite')!r}"
    # `__Host-`: Path=/ and no Domain; a session cookie: no Max-Age, no Expires.
    assert attrs.get("path") == "/", f"refresh cookie Path: {attrs.get('path')!r}"
    assert "domain" not in attrs, f"refresh cookie Domain: {attrs.get('domain')!r}"
    assert "max-age" not in attrs and "expires" not in attrs, f"refresh cookie outlives the browser: {sorted(attrs)}"


def assert_token_answer(r: requests.Response) -> dict:
    """A sign-in answer: 200 {"access_token","expires_in"} + a proper refresh cookie, and the
    refresh token never in the body."""
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert isinstance(body.get("access_token"), str) and body["access_token"].count(".") == 2, body.keys()
    assert isinstance(body.get("expires_in"), int) and 0 < body["expires_in"] <= 3600, body.get("expires_in")
    assert "refresh_token" not in body, "refresh token in the body"
    assert "challenge" not in body
    cookie = refresh_cookie(r)
    assert cookie is not None, f"no {REFRESH_COOKIE} cookie on a sign-in answer"
    assert_refresh_cookie_attrs(cookie)
    assert cookie["value"] not in r.text, "refresh token value appears in the body"
    return body


def assert_no_store(r: requests.Response) -> None:
    cc = r.headers.get("Cache-Control", "")
    assert "no-store" in cc.lower(), f"patient data without Cache-Control: no-store ({cc!r}): {describe(r)}"


def comparable_headers(r: requests.Response) -> dict:
    """Headers that must not differ between two answers (date and request ids may)."""
    out = {}
    for k, v in r.headers.items():
        lk = k.lower()
        if lk == "date" or "request" in lk or "trace" in lk or lk.startswith("x-amz"):
            continue
        out[lk] = v
    return out
