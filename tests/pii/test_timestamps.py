"""Issue 13: a date or timestamp beside PII says when, not who. Under a PII parent it does not inherit the parent's
type (a date of birth's parts excepted), and a date and time in text is not a bare phone number."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osa.pii import PiiEngine
from osa.pii.fields import classify_field
from osa.pii.policy import PolicyContext

STORAGE = PolicyContext()

STAMPS = [
    "2026-11-28",
    "2026-11-28T14:22:05Z",
    "2026-11-28T14:22:05.123456+01:00",
    "2026-11-28 14:22:05 +0100",
    "28.11.2026 14:22",
    "11/28/2026 2:22:05 PM",
    "Sat, 28 Nov 2026 14:22:05 GMT",
    "Nov 28, 2026 2:22 PM",
    "20261128T142205Z",
    "14:22:05 28.11.2026",
]


@pytest.mark.parametrize("stamp", STAMPS)
def test_a_timestamp_under_a_pii_parent_stays(engine: PiiEngine, stamp: str) -> None:
    record = {
        "bank_account": {"iban": "DE89370400440532013000", "opened": stamp},
        "home_address": {"line1": "Hauptstr. 5", "since": stamp},
        "biometrics": {"face_hash": "ab12cd34ef56ab12cd34ef56ab12cd34", "enrolled": stamp},
        "phone": {"number": "+49 151 12345678", "last_call": stamp},
        "dob": {"date": stamp},  # under a date of birth, the date is the PII
    }
    out = engine.protect_value(record, context=STORAGE)
    assert out["bank_account"]["opened"] == stamp and out["bank_account"]["iban"].startswith("BANK_ACCOUNT_")
    assert out["home_address"]["since"] == stamp and out["home_address"]["line1"].startswith("ADDRESS_")
    assert out["biometrics"]["enrolled"] == stamp and out["biometrics"]["face_hash"].startswith("BIOMETRIC_")
    assert out["phone"]["last_call"] == stamp
    assert out["dob"]["date"].startswith("DOB_")


@pytest.mark.parametrize("stamp", STAMPS[:6])
def test_a_date_and_time_after_a_phone_word_is_not_a_phone(engine: PiiEngine, stamp: str) -> None:
    text = f"Call logged {stamp} by the agent; callback number 0151 12345678."
    out = engine.protect_value({"note": text}, context=STORAGE)["note"]
    assert stamp in out and "12345678" not in out


@settings(max_examples=150, deadline=None)
@given(
    moment=st.datetimes(),
    style=st.sampled_from(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M", "%d-%m-%Y %H:%M:%S"]),
)
def test_no_generated_timestamp_reads_as_a_phone(engine: PiiEngine, moment, style: str) -> None:
    """Oracle: the text contains no phone at all, only a date and time after phone words."""
    stamp = moment.strftime(style)
    text = f"Phone call at {stamp}; SMS sent {stamp}."
    assert engine.protect_value({"note": text}, context=STORAGE)["note"] == text


def test_a_bare_address_key_takes_its_parent_kind() -> None:
    assert classify_field("address", "email").kind == "email"
    assert classify_field("address", "ip").kind == "ip_address"
    assert classify_field("address", "wallet").kind is None
    assert classify_field("address", "home").kind == "address"
