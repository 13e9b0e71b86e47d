"""Access tokens made bad on purpose: a changed signature, changed claims under the original
signature, or no signature at all (alg=none)."""

from __future__ import annotations

import base64
import json as jsonlib


def tamper_signature(token: str) -> str:
    head, payload, sig = token.split(".")
    i = len(sig) // 2
    swapped = "A" if sig[i] != "A" else "B"
    return f"{head}.{payload}.{sig[:i]}{swapped}{sig[i + 1:]}"


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge_claims(token: str, **claims) -> str:
    """The token with its claims changed and the original signature kept."""
    head, payload, sig = token.split(".")
    body = jsonlib.loads(_b64url_decode(payload))
    body.update(claims)
    return f"{head}.{_b64url_encode(jsonlib.dumps(body).encode())}.{sig}"


def unsigned_token(token: str) -> str:
    """The token's claims under an alg=none header and no signature."""
    _, payload, _ = token.split(".")
    head = _b64url_encode(jsonlib.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{payload}."
