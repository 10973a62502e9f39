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
    """The secret from ``OSA_WEBHOOK_SECRET``; the development secret only where explicitly allowed."""
    secret = os.environ.get(SECRET_ENV, "")
    if secret:
        return secret
    if allow_development_secret:
        return DEVELOPMENT_WEBHOOK_SECRET
    raise MissingSecretError(
        f"{SECRET_ENV} is not set. The production configuration refuses to verify webhooks without a secret; "
        "set OSA_ENV=development to use the documented development secret for seed data.")


def sign(body: str, timestamp: int, secret: str) -> str:
    """The header value a sender puts on `body` at unix time `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_many(timestamps: Sequence[str | None], signatures: Sequence[str | None],
                bodies: Sequence[str | None], secret: str) -> list[bool]:
    """Constant-time HMAC check for a batch of (already well-formed) headers.

    HMAC has no columnar kernel in DuckDB, polars or Arrow, so this is the one per-record step of the
    webhook path; each iteration is two C calls (HMAC and compare_digest).
    """
    key = secret.encode()
    new, compare, sha = hmac.new, hmac.compare_digest, hashlib.sha256
    return [
        t is not None and s is not None and b is not None
        and compare(new(key, f"{t}.{b}".encode(), sha).hexdigest(), s)
        for t, s, b in zip(timestamps, signatures, bodies, strict=True)
    ]
