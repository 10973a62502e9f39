"""HMAC-SHA256 webhook signatures: ``X-OSA-Signature: t=<unix seconds>[,kid=<key id>],v1=<64 lowercase hex>``.

The signed message is the exact bytes ``"<t>.<body>"``. Verification compares in constant time.

Secrets form a keyring (`WebhookKeyring`) so a rotation loses no delivery: every key has an id and an
optional validity window, and a delivery is verified by any key valid at its signature time `t` (or only by
the key its ``kid=`` names). Configuration: ``OSA_WEBHOOK_SECRETS`` (`parse_keyring` documents the format)
and/or ``OSA_WEBHOOK_SECRET`` (one key, id ``default``, no window).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

# Documented development secret: signs the committed seed data. Never valid in production.
DEVELOPMENT_WEBHOOK_SECRET = "osa-dev-webhook-secret-not-for-production"
SECRET_ENV = "OSA_WEBHOOK_SECRET"
KEYRING_ENV = "OSA_WEBHOOK_SECRETS"
DEFAULT_KEY_ID = "default"
KEY_ID_PATTERN = r"[A-Za-z0-9._-]{1,64}"
KEYRING_FORMAT = "'<key id>:<secret>[;not_before=<RFC 3339 time>][;not_after=<RFC 3339 time>]', comma-separated"
WINDOW_FIELDS = ("not_before", "not_after")


class MissingSecretError(RuntimeError):
    """Raised when the webhook secret configuration is missing or refused (messages never hold a secret)."""


class KeyringError(MissingSecretError):
    """Raised when ``OSA_WEBHOOK_SECRETS`` is malformed: one line naming the variable and the entry's position."""


@dataclass(frozen=True)
class WebhookKey:
    """One signing secret: its id and validity window in unix seconds, both ends inclusive (None: open)."""

    key_id: str
    secret: str = field(repr=False)
    not_before: int | None = None
    not_after: int | None = None

    def valid_at(self, timestamp: int) -> bool:
        return (self.not_before is None or timestamp >= self.not_before) and (
            self.not_after is None or timestamp <= self.not_after
        )


@dataclass(frozen=True)
class WebhookKeyring:
    """The active webhook keys, in configuration order (the first valid matching key is the one recorded)."""

    keys: tuple[WebhookKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise MissingSecretError("a webhook keyring needs at least one key")
        ids = [key.key_id for key in self.keys]
        if len(set(ids)) != len(ids):
            raise MissingSecretError("webhook key ids must be unique")

    @classmethod
    def single(cls, secret: str, key_id: str = DEFAULT_KEY_ID) -> WebhookKeyring:
        return cls((WebhookKey(key_id, secret),))

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(key.key_id for key in self.keys)

    def __repr__(self) -> str:  # ids and windows only, never a secret
        return f"WebhookKeyring({', '.join(repr(key) for key in self.keys)})"

    __str__ = __repr__


def _window_bound(value: str, name: str) -> int:
    """Unix seconds of an RFC 3339 time with `Z` or an offset (`not_before` rounds up, `not_after` down)."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        raise ValueError(f"{name} is not an RFC 3339 time with Z or ±hh:mm")
    try:
        seconds = dt.datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise ValueError(f"{name} is not a valid time") from None
    return math.ceil(seconds) if name == "not_before" else math.floor(seconds)


def _parse_entry(entry: str) -> WebhookKey:
    key_id, sep, rest = entry.partition(":")
    if not sep:
        raise ValueError("no ':' between key id and secret")
    key_id = key_id.strip()
    if not re.fullmatch(KEY_ID_PATTERN, key_id):
        raise ValueError("the key id is not 1-64 of A-Z a-z 0-9 . _ -")
    secret, *attributes = (part.strip() for part in rest.split(";"))
    if not secret:
        raise ValueError("the secret is empty")
    window: dict[str, int] = {}
    for attribute in attributes:
        name, sep, value = attribute.partition("=")
        name = name.strip()
        if not sep or name not in WINDOW_FIELDS:
            raise ValueError(f"an attribute is not one of {' / '.join(f'{n}=<time>' for n in WINDOW_FIELDS)}")
        if name in window:
            raise ValueError(f"{name} is given twice")
        window[name] = _window_bound(value.strip(), name)
    key = WebhookKey(key_id, secret, window.get("not_before"), window.get("not_after"))
    if key.not_before is not None and key.not_after is not None and key.not_before > key.not_after:
        raise ValueError("not_before is after not_after")
    return key


def parse_keyring(text: str, *, source: str = KEYRING_ENV) -> WebhookKeyring:
    """The keyring in `text`: comma-separated entries ``<key id>:<secret>[;not_before=<t>][;not_after=<t>]``.

    Key ids are 1-64 of ``A-Z a-z 0-9 . _ -``; a secret is everything after the first ``:`` up to ``;`` or ``,``
    (so it holds neither), surrounding whitespace ignored; times are RFC 3339 with ``Z`` or an offset, both
    ends of the window inclusive. A malformed value raises `KeyringError`: one line naming `source` and the
    entry's position, never any part of the value.
    """
    keys: list[WebhookKey] = []
    entries = [entry.strip() for entry in text.split(",")]
    for position, entry in enumerate(entries, start=1):
        if not entry:
            continue
        try:
            key = _parse_entry(entry)
            if key.key_id in {k.key_id for k in keys}:
                raise ValueError("the key id repeats an earlier entry's")
        except ValueError as problem:
            raise KeyringError(
                f"{source} is malformed: entry {position}: {problem}; expected {KEYRING_FORMAT}"
            ) from None
        keys.append(key)
    if not keys:
        raise KeyringError(f"{source} holds no key; expected {KEYRING_FORMAT}")
    return WebhookKeyring(tuple(keys))


def resolve_webhook_keyring(
    *, allow_development_secret: bool, secret: str | None = None, secrets: str | None = None
) -> WebhookKeyring:
    """The keyring from `secrets` (else ``OSA_WEBHOOK_SECRETS``) plus `secret` (else ``OSA_WEBHOOK_SECRET``) as
    key ``default``; with neither, the development secret where allowed (only ``OSA_ENV=development``). The
    development secret is refused by value outside development, whichever key holds it."""
    secret = os.environ.get(SECRET_ENV, "") if secret is None else secret
    secrets = os.environ.get(KEYRING_ENV, "") if secrets is None else secrets
    keys: list[WebhookKey] = []
    if secret:
        check_webhook_secret(secret, allow_development_secret=allow_development_secret, source=SECRET_ENV)
        keys.append(WebhookKey(DEFAULT_KEY_ID, secret))
    if secrets.strip():
        for key in parse_keyring(secrets).keys:
            if key.key_id == DEFAULT_KEY_ID and secret:
                raise KeyringError(f"{KEYRING_ENV} uses the key id {DEFAULT_KEY_ID!r}, which {SECRET_ENV} holds")
            source = f"{KEYRING_ENV} (key {key.key_id!r})"
            check_webhook_secret(key.secret, allow_development_secret=allow_development_secret, source=source)
            keys.append(key)
    if not keys:
        return WebhookKeyring.single(_without_secret(allow_development_secret=allow_development_secret))
    return WebhookKeyring(tuple(keys))


def resolve_webhook_secret(*, allow_development_secret: bool) -> str:
    """The secret from ``OSA_WEBHOOK_SECRET``; the development secret only where explicitly allowed (only
    ``OSA_ENV=development``), whether it comes by default or is set explicitly: refused by value."""
    secret = os.environ.get(SECRET_ENV, "")
    if secret:
        return check_webhook_secret(secret, allow_development_secret=allow_development_secret, source=SECRET_ENV)
    return _without_secret(allow_development_secret=allow_development_secret)


def _without_secret(*, allow_development_secret: bool) -> str:
    if allow_development_secret:
        return DEVELOPMENT_WEBHOOK_SECRET
    raise MissingSecretError(
        f"{SECRET_ENV} / {KEYRING_ENV} is not set. Outside OSA_ENV=development webhooks are never verified "
        "without a secret; set OSA_ENV=development to use the documented development secret for seed data."
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


def sign(body: str, timestamp: int, secret: str, key_id: str | None = None) -> str:
    """The header value a sender puts on `body` at unix time `timestamp` (with ``kid=`` when `key_id` is given)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    kid = "" if key_id is None else f"kid={key_id},"
    return f"t={timestamp},{kid}v1={digest}"


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


def verify_signatures(con: duckdb.DuckDBPyConnection, rows_sql: str, keyring: WebhookKeyring) -> pa.Table:
    """Verify the rows of `rows_sql` (columns rid, sig_t, sig_kid, sig_v1, body; `sig_kid` is '' when the header
    names no key) against `keyring`: a table (rid, key_id, signature_reason).

    `key_id` is the first key, in keyring order, that is valid at `t` and whose HMAC matches (NULL if none).
    `signature_reason` is NULL when there is one, else `unknown_key_id` (the header's `kid=` is not in the
    keyring), `key_outside_window` (a key matches, but `t` is outside its window) or `bad_signature`. Each
    key's HMAC is computed vectorized in DuckDB (one column per key, pads as bound parameters, only the named
    key when there is a `kid=`); each key's digests are compared in constant time.
    """
    params: dict[str, object] = {}
    digests = []
    for i, key in enumerate(keyring.keys):
        params[f"ipad{i}"], params[f"opad{i}"] = hmac_pads(key.secret)
        params[f"kid{i}"] = key.key_id
        digest = hmac_sql(f"$ipad{i}", f"$opad{i}", "sig_t", "body")
        digests.append(f"CASE WHEN sig_kid IN ('', $kid{i}) THEN {digest} END AS expected{i}")
    candidates = con.sql(f"SELECT rid, sig_t, sig_kid, sig_v1, {', '.join(digests)} FROM ({rows_sql})", params=params)
    candidates = candidates.to_arrow_table()
    provided = candidates["sig_v1"].to_pylist()
    matches = candidates.select(["rid", "sig_t", "sig_kid"])
    for i in range(len(keyring.keys)):
        matched = signatures_match(candidates[f"expected{i}"].to_pylist(), provided)
        matches = matches.append_column(f"match{i}", pa.array(matched, pa.bool_()))
    del candidates, provided, params
    t = "TRY_CAST(sig_t AS HUGEINT)"  # NULL: too many digits, so later than any window's end
    valid_match = []
    for i, key in enumerate(keyring.keys):
        conditions = [f"match{i}"]
        if key.not_before is not None:
            conditions.append(f"coalesce({t} >= {int(key.not_before)}, true)")
        if key.not_after is not None:
            conditions.append(f"coalesce({t} <= {int(key.not_after)}, false)")
        valid_match.append(f"WHEN {' AND '.join(conditions)} THEN $kid{i}")
    con.register("signature_matches", matches)
    try:
        return con.sql(
            f"""
            SELECT rid, key_id,
                CASE WHEN sig_kid <> '' AND NOT list_contains($kids, sig_kid) THEN 'unknown_key_id'
                     WHEN key_id IS NOT NULL THEN NULL
                     WHEN {" OR ".join(f"match{i}" for i in range(len(keyring.keys)))} THEN 'key_outside_window'
                     ELSE 'bad_signature' END AS signature_reason
            FROM (SELECT *, CASE {" ".join(valid_match)} END AS key_id FROM signature_matches)
            """,
            params={"kids": list(keyring.key_ids)} | {f"kid{i}": k for i, k in enumerate(keyring.key_ids)},
        ).to_arrow_table()
    finally:
        con.unregister("signature_matches")
