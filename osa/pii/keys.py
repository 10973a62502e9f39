"""Key material for keyed hashing, pseudonyms, fingerprints and encryption.

Keys come from the environment so they never live in code or config files:

* ``OSA_PII_HMAC_KEY`` — base64, at least 32 bytes; root of every keyed digest.
* ``OSA_PII_ENCRYPTION_KEYS`` — ``kid1:base64key,kid2:base64key`` (AES-256, 32 bytes each).
* ``OSA_PII_ACTIVE_KEY_ID`` — which kid encrypts new values (optional with one key).

Old kids stay in ``OSA_PII_ENCRYPTION_KEYS`` so older tokens still decrypt after a
rotation. A published DEVELOPMENT key set exists for tests and seed data and is only
used when the caller passes ``allow_dev_keys=True`` (never in production).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

ENV_HMAC_KEY = "OSA_PII_HMAC_KEY"
ENV_ENCRYPTION_KEYS = "OSA_PII_ENCRYPTION_KEYS"
ENV_ACTIVE_KEY_ID = "OSA_PII_ACTIVE_KEY_ID"
ENV_DEPLOYMENT = ("OSA_ENV", "OSA_ENVIRONMENT")
PRODUCTION_NAMES = frozenset({"prod", "production"})
DEVELOPMENT_NAME = "development"  # the only deployment (also the default when unset) that may use DEV keys
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class PiiKeyError(RuntimeError):
    """Keys are missing or malformed; the message says which variable to fix."""


def _dev_key(label: str) -> bytes:
    return hashlib.sha256(f"osa-pii DEVELOPMENT key {label} - public, not a secret".encode()).digest()


#: The documented development keys (docs/pii.md). They are public by design.
DEV_HMAC_KEY = _dev_key("hmac")
DEV_ENCRYPTION_KEYS = {"dev1": _dev_key("enc-dev1"), "dev2": _dev_key("enc-dev2")}
DEV_ACTIVE_KEY_ID = "dev1"


def _b64(value: str, what: str) -> bytes:
    text = value.strip()
    try:
        padded = text + "=" * (-len(text) % 4)
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PiiKeyError(f"{what} is not valid base64") from exc


@dataclass(frozen=True)
class PiiKeys:
    """Immutable key set. ``repr`` shows key ids only, never key bytes."""

    hmac_key: bytes = field(repr=False)
    encryption_keys: Mapping[str, bytes] = field(repr=False)
    active_key_id: str
    is_development: bool = False

    def __post_init__(self) -> None:
        if len(self.hmac_key) < 32:
            raise PiiKeyError(f"{ENV_HMAC_KEY} must decode to at least 32 bytes")
        if not self.encryption_keys:
            raise PiiKeyError(f"{ENV_ENCRYPTION_KEYS} holds no keys")
        for kid, key in self.encryption_keys.items():
            if not KEY_ID.match(kid):
                raise PiiKeyError(f"encryption key id {kid!r} must match {KEY_ID.pattern}")
            if len(key) != 32:
                raise PiiKeyError(f"encryption key {kid!r} must be 32 bytes (AES-256), got {len(key)}")
        if self.active_key_id not in self.encryption_keys:
            raise PiiKeyError(
                f"{ENV_ACTIVE_KEY_ID}={self.active_key_id!r} is not among the configured key ids "
                f"{sorted(self.encryption_keys)}"
            )
        object.__setattr__(self, "encryption_keys", dict(self.encryption_keys))

    def __repr__(self) -> str:
        return (
            f"PiiKeys(key_ids={sorted(self.encryption_keys)}, active_key_id={self.active_key_id!r}, "
            f"is_development={self.is_development})"
        )

    __str__ = __repr__

    @classmethod
    def development(cls) -> PiiKeys:
        """The published development keys: tests and seed data only."""
        return cls(DEV_HMAC_KEY, dict(DEV_ENCRYPTION_KEYS), DEV_ACTIVE_KEY_ID, is_development=True)

    @classmethod
    def from_env(cls, allow_dev_keys: bool = False, environ: Mapping[str, str] | None = None) -> PiiKeys:
        """Read keys from the environment.

        Without ``OSA_PII_HMAC_KEY`` this raises, unless ``allow_dev_keys`` is true and the
        deployment is development (``OSA_ENV`` unset or ``development``), in which case the public
        development keys are used. Outside development the development keys are refused by value
        even when set explicitly.
        """
        env = os.environ if environ is None else environ
        deployment = next((env[name].lower() for name in ENV_DEPLOYMENT if env.get(name)), DEVELOPMENT_NAME)
        development = deployment == DEVELOPMENT_NAME
        raw_hmac = env.get(ENV_HMAC_KEY, "").strip()
        raw_keys = env.get(ENV_ENCRYPTION_KEYS, "").strip()
        if not raw_hmac and not raw_keys:
            if not allow_dev_keys:
                raise PiiKeyError(
                    f"PII keys are not configured: set {ENV_HMAC_KEY} (base64, >= 32 bytes), "
                    f"{ENV_ENCRYPTION_KEYS} ('kid:base64key,...', 32-byte keys) and "
                    f"{ENV_ACTIVE_KEY_ID}. Refusing to protect data with made-up keys. "
                    "Tests and seed data may pass allow_dev_keys=True."
                )
            if not development:
                raise PiiKeyError(
                    f"{ENV_HMAC_KEY} is not set and the development PII keys are only for OSA_ENV=development; "
                    "configure real keys"
                )
            return cls.development()
        if not raw_hmac:
            raise PiiKeyError(f"{ENV_HMAC_KEY} is not set (while {ENV_ENCRYPTION_KEYS} is)")
        if not raw_keys:
            raise PiiKeyError(f"{ENV_ENCRYPTION_KEYS} is not set (while {ENV_HMAC_KEY} is)")
        keys: dict[str, bytes] = {}
        for item in raw_keys.split(","):
            item = item.strip()
            if not item:
                continue
            kid, sep, material = item.partition(":")
            if not sep:
                raise PiiKeyError(f"{ENV_ENCRYPTION_KEYS} entries must look like 'kid:base64key'")
            kid = kid.strip()
            if kid in keys:
                raise PiiKeyError(f"duplicate encryption key id {kid!r}")
            keys[kid] = _b64(material, f"encryption key {kid!r}")
        active = env.get(ENV_ACTIVE_KEY_ID, "").strip()
        if not active:
            if len(keys) != 1:
                raise PiiKeyError(f"{ENV_ACTIVE_KEY_ID} is required when several encryption keys are set")
            active = next(iter(keys))
        built = cls(_b64(raw_hmac, ENV_HMAC_KEY), keys, active)
        if not development:
            if hmac.compare_digest(built.hmac_key, DEV_HMAC_KEY):
                raise PiiKeyError(
                    f"{ENV_HMAC_KEY} holds the public development key, which only OSA_ENV=development accepts"
                )
            dev_material = set(DEV_ENCRYPTION_KEYS.values())
            if any(key in dev_material for key in built.encryption_keys.values()):
                raise PiiKeyError(
                    f"{ENV_ENCRYPTION_KEYS} holds a public development key, which only OSA_ENV=development accepts"
                )
        return built

    def with_active_key(self, kid: str) -> PiiKeys:
        """Same keys, another active id (rotation)."""
        return PiiKeys(self.hmac_key, self.encryption_keys, kid, self.is_development)

    def subkey(self, purpose: str) -> bytes:
        """Independent key per purpose, so a pseudonym never equals a fingerprint."""
        return hmac.new(self.hmac_key, f"osa-pii/{purpose}".encode(), hashlib.sha256).digest()


def generate_key() -> str:
    """A fresh base64 32-byte key, for operators setting up the environment."""
    return base64.b64encode(os.urandom(32)).decode()
