"""Operators, token formats, policy selection, keys and rotation."""

from __future__ import annotations

import base64
import re

import pytest

from osa.pii import (
    DecryptionError,
    PiiEngine,
    PiiKeyError,
    PiiKeys,
    Policy,
    PolicyContext,
    PolicyError,
    Rule,
)
from osa.pii.operators import TOKEN_RE, Operators

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()
HMAC = base64.b64encode(b"h" * 32).decode()


def env(**extra: str) -> dict[str, str]:
    return {"OSA_PII_HMAC_KEY": HMAC, "OSA_PII_ENCRYPTION_KEYS": f"a:{KEY_A}", **extra}


@pytest.fixture(scope="module")
def ops() -> Operators:
    return Operators(PiiKeys.development())


def test_modes_produce_their_token_formats(ops: Operators) -> None:
    email = "Jane.Doe@Example.com"
    assert ops.apply("anonymize", email, "email") == "<EMAIL>"
    assert re.fullmatch(r"EMAIL_[0-9a-f]{16}", ops.apply("pseudonymize", email, "email"))
    assert re.fullmatch(r"HASH:EMAIL:[0-9a-f]{32}", ops.apply("hash", email, "email"))
    assert re.fullmatch(r"ENC:EMAIL:dev1:[A-Za-z0-9_-]+", ops.apply("encrypt", email, "email"))
    assert ops.apply("mask", email, "email") == "****.***@*******.***"
    assert ops.apply("partial", email, "email") == "***@Example.com"
    assert ops.apply("remove", email, "email") == ""
    for mode in ("anonymize", "pseudonymize", "hash", "encrypt"):
        assert TOKEN_RE.fullmatch(ops.apply(mode, email, "email")), mode


@pytest.mark.parametrize(
    ("value", "pii_type", "expected"),
    [
        ("123-45-6789", "ssn", "***-**-6789"),
        ("4111 1111 1111 1111", "credit_card", "**** **** **** 1111"),
        ("+1 (415) 555-0132", "phone", "+* (***) ***-0132"),
        ("Jane Doe", "name", "J*** D**"),
        ("1985-03-04", "dob", "1985-**-**"),
        ("203.0.113.7", "ip_address", "203.0.*.*"),
        ("221B Baker Street, London NW1 6XE", "address", "**** ***** ******, London *** ***"),
    ],
)
def test_partial_keeps_only_the_documented_part(ops: Operators, value: str, pii_type: str, expected: str) -> None:
    assert ops.partial(value, pii_type) == expected


def test_hash_and_pseudonym_are_keyed_normalized_and_distinct(ops: Operators) -> None:
    other = Operators(PiiKeys.from_env(environ=env()))
    assert ops.pseudonymize("Jane.Doe@Example.com", "email") == ops.pseudonymize(" jane.doe@example.com", "email")
    assert ops.pseudonymize("jane@example.com", "email") != other.pseudonymize("jane@example.com", "email")
    assert ops.hash("jane@example.com", "email")[-32:] != ops.pseudonymize("jane@example.com", "email")[-16:]
    assert "jane" not in ops.hash("jane@example.com", "email")


def test_fingerprint_normalizes_per_type(engine: PiiEngine) -> None:
    fp = engine.fingerprint
    assert fp("Jane.Doe@Example.com", "email") == fp("jane.doe@example.com ", "email")
    assert fp("+1 (415) 555-0132", "phone") == fp("415.555.0132", "phone") == fp("0014155550132", "phone")
    assert fp("Doe, Jane", "name") == fp("jane  doe", "name") == fp("Dr. Jane Doe", "name")
    assert fp("José García", "name") == fp("Jose Garcia", "name")
    assert fp("123-45-6789", "ssn") == fp("123 45 6789", "ssn")
    assert fp("March 4, 1985", "dob") == fp("1985-03-04", "dob")
    assert fp("jane@example.com", "email") != fp("jane@example.com", "name")  # type-separated
    assert re.fullmatch(r"[0-9a-f]{64}", fp("x@y.io", "email"))


def test_encrypt_round_trip_and_key_rotation() -> None:
    keys_a = PiiKeys.from_env(environ=env(OSA_PII_ENCRYPTION_KEYS=f"a:{KEY_A}"))
    old_token = Operators(keys_a).encrypt("123-45-6789", "ssn")
    assert ":a:" in old_token and "6789" not in old_token
    # Rotate: add key b, make it active. Old tokens still decrypt, new tokens use b.
    rotated = PiiKeys.from_env(environ=env(OSA_PII_ENCRYPTION_KEYS=f"a:{KEY_A},b:{KEY_B}", OSA_PII_ACTIVE_KEY_ID="b"))
    ops_b = Operators(rotated)
    new_token = ops_b.encrypt("123-45-6789", "ssn")
    assert new_token.startswith("ENC:SSN:b:")
    assert ops_b.decrypt(old_token) == "123-45-6789"
    assert ops_b.decrypt(new_token) == "123-45-6789"
    # Retire a: its tokens fail loudly instead of returning garbage.
    retired = Operators(PiiKeys.from_env(environ=env(OSA_PII_ENCRYPTION_KEYS=f"b:{KEY_B}")))
    with pytest.raises(DecryptionError, match="not configured"):
        retired.decrypt(old_token)
    assert retired.decrypt(new_token) == "123-45-6789"


def test_tampered_token_or_swapped_type_fails_authentication(ops: Operators) -> None:
    token = ops.encrypt("Jane Doe", "name")
    with pytest.raises(DecryptionError):
        ops.decrypt(token.replace("ENC:NAME:", "ENC:EMAIL:"))
    with pytest.raises(DecryptionError):
        ops.decrypt(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_keys_come_from_the_environment_and_never_show() -> None:
    keys = PiiKeys.from_env(environ=env())
    assert keys.active_key_id == "a" and not keys.is_development
    text = repr(keys) + str(keys) + repr(PiiEngine(keys))
    assert KEY_A not in text and HMAC not in text and "AAAA" not in text


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "not configured"),
        ({"OSA_PII_HMAC_KEY": HMAC}, "OSA_PII_ENCRYPTION_KEYS is not set"),
        (
            {"OSA_PII_HMAC_KEY": base64.b64encode(b"short").decode(), "OSA_PII_ENCRYPTION_KEYS": f"a:{KEY_A}"},
            "32 bytes",
        ),
        ({"OSA_PII_HMAC_KEY": HMAC, "OSA_PII_ENCRYPTION_KEYS": f"a:{KEY_A},b:{KEY_B}"}, "ACTIVE_KEY_ID is required"),
        (
            {"OSA_PII_HMAC_KEY": HMAC, "OSA_PII_ENCRYPTION_KEYS": f"a:{KEY_A}", "OSA_PII_ACTIVE_KEY_ID": "z"},
            "not among",
        ),
        ({"OSA_PII_HMAC_KEY": HMAC, "OSA_PII_ENCRYPTION_KEYS": "a:not base64!"}, "base64"),
    ],
)
def test_production_config_refuses_missing_or_bad_keys(environ: dict[str, str], message: str) -> None:
    with pytest.raises(PiiKeyError, match=message):
        PiiKeys.from_env(allow_dev_keys=False, environ=environ)


def test_development_keys_only_when_allowed_and_not_in_production() -> None:
    assert PiiKeys.from_env(allow_dev_keys=True, environ={}).is_development
    with pytest.raises(PiiKeyError, match="OSA_ENV"):
        PiiKeys.from_env(allow_dev_keys=True, environ={"OSA_ENV": "production"})
    # Real keys in the environment win over the development fallback.
    assert not PiiKeys.from_env(allow_dev_keys=True, environ=env()).is_development


@pytest.mark.parametrize(
    ("context", "pii_type", "mode"),
    [
        (PolicyContext("storage", "internal", "admin"), "email", "pseudonymize"),
        (PolicyContext("storage", "internal", "admin"), "ssn", "pseudonymize"),
        (PolicyContext("storage", "restricted", "admin"), "ssn", "encrypt"),
        (PolicyContext("storage", "restricted", "admin"), "email", "pseudonymize"),
        (PolicyContext("storage", "public", "admin"), "email", "anonymize"),
        (PolicyContext("logging", "internal", "admin"), "credit_card", "hash"),
        (PolicyContext("logging", "internal", "admin"), "email", "pseudonymize"),
        (PolicyContext("display", "confidential", "admin"), "medical_record", "hash"),
        (PolicyContext("display", "internal", "user"), "phone", "partial"),
        (PolicyContext("display", "internal", "user"), "biometric", "hash"),
        (PolicyContext("display", "internal", "guest"), "email", "remove"),
        (PolicyContext("storage", "restricted", "guest"), "ssn", "remove"),
    ],
)
def test_default_policy_table(context: PolicyContext, pii_type: str, mode: str) -> None:
    assert Policy.default().mode_for(context, pii_type) == mode


def test_policy_overrides_and_validation() -> None:
    policy = Policy.with_overrides([Rule("mask", operation="display", pii_types=frozenset({"phone"}))])
    assert policy.mode_for(PolicyContext("display", "internal", "admin"), "phone") == "mask"
    assert policy.mode_for(PolicyContext("display", "internal", "admin"), "email") == "pseudonymize"
    with pytest.raises(PolicyError):
        PolicyContext(operation="archiving")
    with pytest.raises(PolicyError):
        Rule("shred")


def test_protect_value_applies_policy_per_context(engine: PiiEngine) -> None:
    value = {"ssn": "123-45-6789", "note": "call 415-555-0132"}
    guest = engine.protect_value(value, context=PolicyContext("display", "internal", "guest"))
    assert guest == {"ssn": "", "note": "call "}
    user = engine.protect_value(value, context=PolicyContext("display", "internal", "user"))
    assert user["ssn"].startswith("HASH:SSN:") and user["note"] == "call ***-***-0132"
    restricted = engine.protect_value(value, context=PolicyContext("storage", "restricted", "admin"))
    assert engine.decrypt(restricted["ssn"]) == "123-45-6789"
    assert engine.reveal(restricted["note"]) == restricted["note"]  # phone is pseudonymized, not encrypted
