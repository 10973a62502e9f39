"""Pseudonyms and fingerprints are stable across runs and processes (joins and erasure rely on it)."""

from __future__ import annotations

import json
import subprocess
import sys

from osa.pii import PiiEngine, PiiKeys, PolicyContext

SCRIPT = """
import json, sys
from osa.pii import PiiEngine, PiiKeys, PolicyContext
engine = PiiEngine(PiiKeys.from_env(allow_dev_keys=True))
out = engine.protect_value({"email": "Jane.Doe@Example.com", "note": "call +1 415 555 0132"},
                           context=PolicyContext())
print(json.dumps([out, engine.fingerprint("jane.doe@example.com", "email")]))
"""


def test_pseudonyms_are_identical_in_a_fresh_process() -> None:
    engine = PiiEngine(PiiKeys.development())
    here = [
        engine.protect_value(
            {"email": "Jane.Doe@Example.com", "note": "call +1 415 555 0132"}, context=PolicyContext()
        ),
        engine.fingerprint("jane.doe@example.com", "email"),
    ]
    env = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "12345"}  # no OSA_PII_* keys: dev keys allowed
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
    )
    assert json.loads(run.stdout) == here
    assert here[0]["email"].startswith("EMAIL_")


def test_different_keys_give_different_pseudonyms() -> None:
    dev = PiiEngine(PiiKeys.development())
    other_keys = PiiKeys(hmac_key=b"k" * 32, encryption_keys={"x": b"x" * 32}, active_key_id="x")
    other = PiiEngine(other_keys)
    context = PolicyContext()
    assert dev.protect_value("jane@example.com", field_path="email", context=context) != other.protect_value(
        "jane@example.com", field_path="email", context=context
    )
