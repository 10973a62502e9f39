"""HMAC-SHA256 webhook signatures: ``X-OSA-Signature: t=<unix seconds>,v1=<64 lowercase hex>``.

The signed message is the exact bytes ``"<t>.<body>"``. Verification compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence

# Documented development secret: signs the committed seed data. Never valid in production.
DEVELOPMENT_WEBHOOK_SECRET = "osa-dev-webhook-secret-not-for-production"
SECRET_ENV = "OSA_WEBHOOK_SECRET"


class MissingSecretError(RuntimeError):
    """Raised when the production configuration has no webhook secret."""


def resolve_webhook_secret(*, allow_development_secret: bool) -> str:
    """The secret from ``OSA_WEBHOOK_SECRET``; the development secret only where explicitly allowed (only
    ``OSA_ENV=development``), whether it comes by default or is set explicitly: refused by value."""
    secret = os.environ.get(SECRET_ENV, "")
    if secret:
        return check_webhook_secret(secret, allow_development_secret=allow_development_secret, source=SECRET_ENV)
    if allow_development_secret:
        return DEVELOPMENT_WEBHOOK_SECRET
    raise MissingSecretError(
        f"{SECRET_ENV} is not set. Outside OSA_ENV=development webhooks are never verified without a secret; "
        "set OSA_ENV=development to use the documented development secret for seed data."
    )


def check_webhook_secret(secret: str, *, allow_development_secret: bool, source: str = SECRET_ENV) -> str:
    """`secret`, unless it is the documented development secret outside development (the message names
    `source`, never the value)."""
    if not allow_development_secret and hmac.compare_digest(secret.encode(), DEVELOPMENT_WEBHOOK_SECRET.encode()):
        raise MissingSecretError(
            f"{source} holds the documented development webhook secret, which only OSA_ENV=development accepts; "
            "set a real secret"
        )
    return secret


def sign(body: str, timestamp: int, secret: str) -> str:
    """The header value a sender puts on `body` at unix time `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def hmac_pads(secret: str) -> tuple[bytes, bytes]:
    """The inner and outer HMAC-SHA256 key pads (RFC 2104) for `secret`.

    HMAC(K, m) = SHA256((K ^ opad) || SHA256((K ^ ipad) || m)); with the pads, the hashing can run as two
    vectorized `sha256` calls in DuckDB (`HMAC_SQL`) instead of a Python loop over every delivery.
    """
    key = secret.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_sql(ipad_param: str, opad_param: str, timestamp_sql: str, body_sql: str) -> str:
    """SQL for the hex HMAC-SHA256 of ``"<t>.<body>"``; the pads are bound parameters, never SQL text."""
    inner = f"unhex(sha256({ipad_param}::BLOB || encode({timestamp_sql} || '.' || {body_sql})))"
    return f"sha256({opad_param}::BLOB || {inner})"


def signatures_match(expected: Sequence[str | None], provided: Sequence[str | None]) -> list[bool]:
    """Constant-time comparison of computed and provided hex signatures (`hmac.compare_digest`)."""
    compare = hmac.compare_digest
    return [e is not None and p is not None and compare(e, p) for e, p in zip(expected, provided, strict=True)]


def verify_many(
    timestamps: Sequence[str | None], signatures: Sequence[str | None], bodies: Sequence[str | None], secret: str
) -> list[bool]:
    """Reference implementation in plain Python (used to cross-check the DuckDB path in tests)."""
    key = secret.encode()
    new, sha = hmac.new, hashlib.sha256
    expected = [
        None if t is None or b is None else new(key, f"{t}.{b}".encode(), sha).hexdigest()
        for t, b in zip(timestamps, bodies, strict=True)
    ]
    return signatures_match(expected, signatures)
