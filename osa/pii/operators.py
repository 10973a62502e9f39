"""Operators: what happens to a detected value. Separate from detection on purpose.

Token formats (docs/pii.md, "Tokens") are designed to be recognisable by the leak
scanner and never to look like the PII they replace:

========== ======================================== =================================
mode       example                                  property
========== ======================================== =================================
anonymize  ``<EMAIL>``                              type only
pseudonym  ``EMAIL_3f9a1c2b5d6e7f80``               keyed, stable, joinable
hash       ``HASH:EMAIL:9f86d081884c7d659a2feaa0``  keyed, irreversible, not joinable
                                                    with pseudonyms
encrypt    ``ENC:EMAIL:k2025:<base64url>``          AES-256-GCM, reversible, kid
mask       ``****.***@*******.***``                 shape only
partial    ``***@example.com``, ``***-**-6789``     last 4 / domain / year / initials
remove     empty string
========== ======================================== =================================
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import PiiKeyError, PiiKeys
from .normalize import normalize
from .types import ALL_TYPES

PSEUDONYM_HEX = 16
#: Values whose token and fingerprint are kept in memory per engine (never persisted; cleared when full). Repeats
#: are mostly within one chunk of work; at 200,000 the 100,000-workflow ingest step peaked ~45 MB higher (issue 13).
_CACHE_LIMIT = 50_000
HASH_HEX = 32
_TYPE_ALT = "|".join(sorted((t.upper() for t in ALL_TYPES), key=len, reverse=True))

# ------------------------------------------------------------------ the token format
# Defined here once: the builders below write tokens, and every pattern that reads them derives
# from the same pieces (TOKEN_PATTERN / TOKEN_RE / ENC_RE here, the analyzer's marker and gate,
# the engine's polars passes). `osa.leakscan` keeps its own copy on purpose (it imports nothing from
# osa.pii); tests/pii/test_tokens.py checks that copy is `token_pattern` with its type word.
HASH_PREFIX = "HASH"
ENC_PREFIX = "ENC"
_KID = r"[A-Za-z0-9_-]{1,32}"
_PAYLOAD = r"[A-Za-z0-9_-]{16,}"


def pseudonym_token(pii_type: str, hex_digest: str) -> str:
    return f"{pii_type.upper()}_{hex_digest}"


def hash_token(pii_type: str, hex_digest: str) -> str:
    return f"{HASH_PREFIX}:{pii_type.upper()}:{hex_digest}"


def enc_token(pii_type: str, kid: str, payload: str) -> str:
    return f"{ENC_PREFIX}:{pii_type.upper()}:{kid}:{payload}"


def placeholder_token(pii_type: str) -> str:
    return f"<{pii_type.upper()}>"


def token_pattern(type_word: str) -> str:
    """The four token shapes (pseudonym, hash, ciphertext, placeholder) for a type-name regex."""
    return (
        rf"\b{type_word}_[0-9a-f]{{8,64}}\b"
        rf"|\b{HASH_PREFIX}:{type_word}:[0-9a-f]{{16,64}}\b"
        rf"|\b{ENC_PREFIX}:{type_word}:{_KID}:{_PAYLOAD}"
        rf"|<{type_word}>"
    )


# Python regexes for tokens (Rust-compatible too: no lookaround).
TOKEN_PATTERN = f"(?:{token_pattern(f'(?:{_TYPE_ALT})')})"
TOKEN_RE = re.compile(TOKEN_PATTERN)
ENC_RE = re.compile(rf"\b{ENC_PREFIX}:({_TYPE_ALT}):({_KID}):({_PAYLOAD})")
#: Looser than TOKEN_RE (any token-shaped marker, any type word) and much faster to search.
TOKEN_MARK_PATTERN = rf"\b[A-Z]{{2}}[A-Z_]*_[0-9a-f]{{8}}|{HASH_PREFIX}:[A-Z_]+:|{ENC_PREFIX}:[A-Z_]+:|<[A-Z_]{{2,}}>"
#: Every TOKEN_RE match contains one of these (a type name ends in a capital before "_hex",
#: "<TYPE>" starts with "<" and a capital, or the prefixes): a cheap exact gate.
TOKEN_GATE_PATTERN = rf"[A-Z]_[0-9a-f]|<[A-Z]|{HASH_PREFIX}:|{ENC_PREFIX}:"
_ALNUM = re.compile(r"[^\W_]")
_DIGIT_TYPES = frozenset(
    {"phone", "ssn", "credit_card", "bank_account", "tax_id", "passport", "drivers_license", "medical_record"}
)


class DecryptionError(ValueError):
    """The token is malformed, was tampered with, or its key id is not configured."""


class Operators:
    """All protection modes, bound to one key set. ``apply(mode, value, type)``."""

    def __init__(self, keys: PiiKeys) -> None:
        self._digest_key = keys.subkey("digest-v1")
        # HMAC-SHA512 (RFC 2104) with the key pads absorbed once: each digest then costs two
        # hash-state copies instead of a full HMAC set-up (~3x faster, byte-identical output).
        self._inner, self._outer = _hmac_states(self._digest_key)
        self._keys = keys
        self._digests: dict[tuple[str, str], bytes] = {}
        self._pairs: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._aead = {kid: AESGCM(key) for kid, key in keys.encryption_keys.items()}
        self._dispatch = {
            "mask": self.mask,
            "hash": self.hash,
            "encrypt": self.encrypt,
            "anonymize": self.anonymize,
            "pseudonymize": self.pseudonymize,
            "partial": self.partial,
            "remove": self.remove,
        }

    def __repr__(self) -> str:
        return f"Operators({self._keys!r})"

    def apply(self, mode: str, value: str, pii_type: str) -> str:
        """The protected form of `value` (the token half of `apply_with_fingerprint`)."""
        return self.apply_with_fingerprint(mode, value, pii_type)[0]

    def apply_with_fingerprint(self, mode: str, value: str, pii_type: str) -> tuple[str, str]:
        """``(apply(mode, value, pii_type), fingerprint(value, pii_type))`` with one cache lookup.

        The frame path needs both for every finding; repeated values (the same email in
        many rows) cost a single dict hit.
        """
        if mode == "encrypt":
            return self.encrypt(value, pii_type), self.fingerprint(value, pii_type)  # random nonce: never cached
        cache = self._pairs
        key = (mode, pii_type, value)
        pair = cache.get(key)
        if pair is None:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            # Straight to the HMAC: a miss here is almost always a miss in ``_digests`` too.
            digest = self._digest(value, pii_type)
            if mode == "pseudonymize":
                token = _pseudonym(digest, pii_type)
            elif mode == "hash":
                token = _hash_token(digest, pii_type)
            else:
                token = self._dispatch[mode](value, pii_type)
            pair = cache[key] = (token, digest[:32].hex())
        return pair

    # -- keyed digests -------------------------------------------------------------
    def _digest(self, value: str, pii_type: str) -> bytes:
        """One keyed HMAC-SHA512 of the normalized, type-separated value.

        Its output is split into independent parts: bytes 0-31 fingerprint, 32-39
        pseudonym, 40-55 hash — one HMAC instead of three per value.
        """
        inner = self._inner.copy()
        inner.update(f"{pii_type}\x1f{normalize(value, pii_type)}".encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def _prf(self, value: str, pii_type: str) -> bytes:
        """``_digest``, memoized per engine (single-value calls: fingerprint, hash, pseudonymize)."""
        cache = self._digests
        key = (pii_type, value)
        digest = cache.get(key)
        if digest is None:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            digest = cache[key] = self._digest(value, pii_type)
        return digest

    def fingerprint(self, value: str, pii_type: str) -> str:
        """Full 64-hex keyed fingerprint of the normalized value (subject index, audit)."""
        return self._prf(value, pii_type)[:32].hex()

    def pseudonymize(self, value: str, pii_type: str) -> str:
        return _pseudonym(self._prf(value, pii_type), pii_type)

    def hash(self, value: str, pii_type: str) -> str:
        return _hash_token(self._prf(value, pii_type), pii_type)

    # -- reversible -------------------------------------------------------------
    def encrypt(self, value: str, pii_type: str) -> str:
        kid = self._keys.active_key_id
        nonce = os.urandom(12)
        aad = f"osa-pii:{pii_type.upper()}:{kid}".encode()
        sealed = self._aead[kid].encrypt(nonce, value.encode(), aad)
        payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
        return enc_token(pii_type, kid, payload)

    def decrypt(self, token: str) -> str:
        match = ENC_RE.fullmatch(token.strip())
        if not match:
            raise DecryptionError("not an ENC token")
        type_name, kid, payload = match.groups()
        aead = self._aead.get(kid)
        if aead is None:
            raise DecryptionError(f"encryption key id {kid!r} is not configured (rotated out?)")
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            plain = aead.decrypt(raw[:12], raw[12:], f"osa-pii:{type_name}:{kid}".encode())
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("token failed authentication (tampered or wrong key)") from exc
        return plain.decode()

    def reveal(self, text: str) -> str:
        """Decrypt every ENC token inside a text (authorized re-identification only)."""
        return ENC_RE.sub(lambda m: self.decrypt(m.group(0)), text)

    # -- lossy, keyless ------------------------------------------------------------
    @staticmethod
    def anonymize(value: str, pii_type: str) -> str:
        return placeholder_token(pii_type)

    @staticmethod
    def mask(value: str, pii_type: str) -> str:
        return _ALNUM.sub("*", value)

    @staticmethod
    def remove(value: str, pii_type: str) -> str:
        return ""

    @staticmethod
    def partial(value: str, pii_type: str) -> str:
        if pii_type == "email" and "@" in value:
            return "***@" + value.rsplit("@", 1)[1]
        if pii_type in _DIGIT_TYPES:
            return _keep_last_alnum(value, 4)
        if pii_type == "name":
            return " ".join(w[0] + "*" * (len(w) - 1) if w[:1].isalpha() else "*" for w in value.split()) or "*"
        if pii_type == "dob":
            year = re.search(r"(?<!\d)(?:19|20)\d{2}(?!\d)", value)
            if year:
                return (
                    re.sub(r"\d", "*", value[: year.start()]) + year.group(0) + re.sub(r"\d", "*", value[year.end() :])
                )
            return re.sub(r"\d", "*", value)
        if pii_type == "ip_address":
            if ":" in value:
                groups = value.split(":")
                return ":".join(groups[:2]) + ":*"
            octets = value.split(".")
            return ".".join(octets[:2] + ["*"] * (len(octets) - 2))
        if pii_type == "address" and "," in value:
            # Keep the town (or US state) word of the last part, mask numbers and postcodes.
            head, _, tail = value.rpartition(",")
            words = tail.split()
            if words and words[0].isalpha():
                kept = " ".join([words[0], *(_ALNUM.sub("*", w) for w in words[1:])])
                return _ALNUM.sub("*", head) + ", " + kept
        return _ALNUM.sub("*", value)


def _pseudonym(digest: bytes, pii_type: str) -> str:
    return pseudonym_token(pii_type, digest[32 : 32 + PSEUDONYM_HEX // 2].hex())


def _hash_token(digest: bytes, pii_type: str) -> str:
    return hash_token(pii_type, digest[40 : 40 + HASH_HEX // 2].hex())


def _hmac_states(key: bytes) -> tuple[Any, Any]:
    """SHA-512 states that have absorbed ``key XOR ipad`` and ``key XOR opad`` (RFC 2104)."""
    block = hashlib.sha512().block_size
    if len(key) > block:
        key = hashlib.sha512(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha512(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha512(bytes(b ^ 0x5C for b in key))
    return inner, outer


def _keep_last_alnum(value: str, keep: int) -> str:
    total = sum(1 for c in value if c.isalnum())
    if total <= keep:
        return _ALNUM.sub("*", value)
    out, seen = [], 0
    for char in value:
        if char.isalnum():
            seen += 1
            out.append(char if seen > total - keep else "*")
        else:
            out.append(char)
    return "".join(out)


__all__ = ["Operators", "DecryptionError", "TOKEN_RE", "TOKEN_PATTERN", "PiiKeyError"]
