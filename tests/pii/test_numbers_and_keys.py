"""Issue 13: PII outside string values. An identifier under a PII key is often an integer (``"ssn": 123456789``,
``"card_number": 4111111111111111``), a biometric template a list of numbers (a face embedding), and a map may be
keyed by e-mail, phone or name (``{"recipients": {"anna@example.com": "sent"}}``). The engine used to read only
string values, so all three passed through raw (and a raw key reached the findings' paths)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osa.pii import PiiEngine
from osa.pii.cli import EXIT_OK, main
from osa.pii.engine import MIN_NUMBER_DIGITS, MIN_VECTOR_LENGTH
from osa.pii.fields import classify_field
from osa.pii.policy import PolicyContext

from .test_fourth_pass import _redact

STORAGE = PolicyContext()  # the default: storage

EMBEDDING = [0.0132, -0.2281, 0.0917, 0.3305, -0.1188, 0.0042, 0.2719, -0.0655]


@pytest.mark.parametrize(
    ("record", "path", "prefix"),
    [
        ({"ssn": 123456789}, ["ssn"], "SSN_"),
        ({"card_number": 4111111111111111}, ["card_number"], "CREDIT_CARD_"),
        ({"phone": 4915112345678}, ["phone"], "PHONE_"),
        ({"patient": {"mrn": 4471182}}, ["patient", "mrn"], "MEDICAL_RECORD_"),
        ({"dob": 19870412}, ["dob"], "DOB_"),
        ({"dob": {"year": 1987, "month": 4, "day": 12}}, ["dob", "day"], "DOB_"),  # every part of a birth date
        ({"phones": [4915112345678, 4930901820]}, ["phones", 1], "PHONE_"),
        ({"home_address": {"zip": 10115}}, ["home_address", "zip"], "ADDRESS_"),  # inherits as a string would
        ({"face_embedding": EMBEDDING}, ["face_embedding"], "BIOMETRIC_"),
        ({"voiceprints": [EMBEDDING, EMBEDDING[::-1]]}, ["voiceprints", 1], "BIOMETRIC_"),
        ({"face_template": {"model": "arcface", "values": EMBEDDING}}, ["face_template", "values"], "BIOMETRIC_"),
    ],
)
def test_pii_written_as_numbers_is_protected(engine: PiiEngine, storage: PolicyContext, record, path, prefix) -> None:
    out = engine.protect_value(record, context=storage)
    leaf = out
    for step in path:
        leaf = leaf[step]
    assert isinstance(leaf, str) and leaf.startswith(prefix), out


@pytest.mark.parametrize(
    "record",
    [
        {"order": {"number": 12345678, "total": 99.5}},  # not a PII key
        {"age": 44, "scores": [1, 2, 3, 4, 5, 6], "flag": True},
        {"face_match_score": 0.98, "liveness": {"score": 0.861}},  # a score under a biometric word is a measure
        {"home_address": {"house_number": 5}},  # too short to identify anyone
        {"passport": {"number": "X1234567", "issued": 2015}},  # the issue year is not the number
        {"biometrics": {"face": {"bbox": [10, 20, 30]}}},  # shorter than a vector
        {"embedding": EMBEDDING},  # a vector, but nothing says it is a person's biometric
    ],
)
def test_numbers_that_are_not_pii_survive(engine: PiiEngine, storage: PolicyContext, record) -> None:
    out = engine.protect_value(record, context=storage)
    kept = {k: v for k, v in out.items() if not (isinstance(v, dict) and "number" in v and k == "passport")}
    expected = {k: v for k, v in record.items() if not (isinstance(v, dict) and "number" in v and k == "passport")}
    assert kept == expected
    if "passport" in record:
        assert out["passport"]["issued"] == 2015


@settings(max_examples=150, deadline=None)
@given(
    key=st.sampled_from(["ssn", "card_number", "phone", "account_number", "passport_number", "tax_id", "mrn"]),
    number=st.integers(min_value=10 ** (MIN_NUMBER_DIGITS - 1), max_value=10**18),
    other=st.integers(min_value=-(10**12), max_value=10**12) | st.floats(allow_nan=False, allow_infinity=False),
)
def test_an_integer_under_a_pii_key_never_survives_and_other_numbers_always_do(
    engine: PiiEngine, key: str, number: int, other
) -> None:
    """Oracle: the key table alone (``classify_field``), not the engine's walk: every integer of at least
    MIN_NUMBER_DIGITS digits under a key with a whole-value type is gone, and numbers under other keys
    (amounts, counts, scores) come back equal."""
    assert classify_field(key).whole_value_type is not None
    record = {key: number, "nested": {key: [number]}, "amount": other, "count": [other]}
    out = engine.protect_value(record, context=STORAGE)
    for leaf in (out[key], out["nested"][key][0]):
        assert isinstance(leaf, str) and str(number) not in leaf, out
    assert out["amount"] == other and out["count"] == [other]


@settings(max_examples=60, deadline=None)
@given(
    vector=st.lists(
        st.floats(min_value=-1, max_value=1, allow_nan=False) | st.integers(0, 255),
        min_size=MIN_VECTOR_LENGTH,
        max_size=64,
    )
)
def test_a_biometric_vector_is_one_token(engine: PiiEngine, vector: list) -> None:
    out = engine.protect_value({"user": {"face_embedding": vector, "embedding_model": "arcface"}}, context=STORAGE)
    assert out["user"]["face_embedding"].startswith("BIOMETRIC_")
    assert out["user"]["embedding_model"] == "arcface"


def test_the_cli_protects_numbers_and_vectors(tmp_path: Path) -> None:
    """Through `osa redact`, as a user runs it: numbers become tokens, the line stays one JSON object."""
    records = [
        {"ssn": 123456789, "face_embedding": EMBEDDING, "age": 44, "total": 99.5},
        {"employee": {"id": 44812, "bank": {"account_number": 12345678}}},
    ]
    first, second = _redact(tmp_path, records)
    assert first["ssn"].startswith("SSN_") and first["face_embedding"].startswith("BIOMETRIC_")
    assert first["age"] == 44 and first["total"] == 99.5
    assert second["employee"]["id"] == 44812
    assert second["employee"]["bank"]["account_number"].startswith("BANK_ACCOUNT_")


# ---------------------------------------------------------------------------------------------- keys holding PII
def test_keys_holding_pii_are_renamed_and_no_path_keeps_them(tmp_path: Path) -> None:
    """A map keyed by e-mail, phone or name (``{"recipients": {"anna@example.com": "sent"}}``): through
    `osa redact`, the key becomes its token, values under it are protected as before, and the findings file's
    paths name the token, never the raw key. Keys written like identifiers stay as they are."""
    source = tmp_path / "in.jsonl"
    record = {
        "recipients": {"anna.berg@example.com": {"name": "Anna Berg", "status": "sent"}, "+49 151 12345678": "failed"},
        "scores_by_user": {"Marloes Jansen": 4},
        "by_campaign": {"Spring Sale": 3, "2026-11-01": 7},
        "hours_by_role": {"Senior Backend Engineer": 19.7, "Kepala Cabang": 7.1},  # names only in a map of people
        "Content-Type": "application/json",
        "answers": {"Full name": "Pieter de Vries", "How did you hear about us?": "a podcast"},
    }
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out, findings = tmp_path / "out.jsonl", tmp_path / "findings.jsonl"
    argv = ["redact", "--input", str(source), "--output", str(out), "--findings", str(findings)]
    assert main([*argv, "--allow-dev-keys", "--workers", "1"]) == EXIT_OK
    written = out.read_text(encoding="utf-8") + findings.read_text(encoding="utf-8")
    for raw in ("anna.berg", "12345678", "Marloes", "Anna Berg", "Pieter"):
        assert raw not in written
    protected = json.loads(out.read_text(encoding="utf-8"))
    recipients = list(protected["recipients"])
    assert recipients[0].startswith("EMAIL_") and recipients[1].startswith("PHONE_")  # order kept
    assert protected["recipients"][recipients[0]]["status"] == "sent"
    assert list(protected["scores_by_user"])[0].startswith("NAME_")
    assert protected["by_campaign"] == {"Spring Sale": 3, "2026-11-01": 7}
    assert protected["hours_by_role"] == record["hours_by_role"]
    assert protected["Content-Type"] == "application/json"
    assert list(protected["answers"]) == ["Full name", "How did you hear about us?"]
    paths = {json.loads(line)["field_path"] for line in findings.read_text(encoding="utf-8").splitlines()}
    assert f"recipients.{recipients[0]}.name" in paths and f"recipients.{recipients[0]}" in paths


def test_finding_and_report_paths_show_a_pii_key_by_its_type(engine: PiiEngine) -> None:
    """`analyze_frame` and `locate_frame` (what a compliance report shows) never print a raw key either."""
    document = json.dumps({"byEmail": {"anna.berg@example.com": {"mobile": "+49 151 12345678"}}})
    frame = pl.DataFrame({"id": ["1"], "payload": [document]})
    for found in (
        engine.analyze_frame(frame, json_columns=["payload"]),
        engine.locate_frame(frame, json_columns=["payload"]),
    ):
        paths = set(found["field_path"])
        assert paths == {"payload.byEmail.<email>", "payload.byEmail.<email>.mobile"}, paths


@settings(max_examples=100, deadline=None)
@given(
    keys=st.lists(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True), min_size=1, max_size=6, unique=True)
)
def test_identifier_keys_are_never_renamed(engine: PiiEngine, keys: list[str]) -> None:
    """Oracle: the shape of the key alone. A key written like an identifier is never read as a value."""
    out = engine.protect_value({"m": {key: 1 for key in keys}}, context=STORAGE)
    assert list(out["m"]) == keys
