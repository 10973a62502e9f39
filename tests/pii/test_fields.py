"""Field-aware detection: key names decide whether a whole value is PII."""

from __future__ import annotations

import pytest

from osa.pii import PiiEngine, classify_field
from osa.pii.fields import ORGANISATION, PERSON

from .conftest import spans


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("email", "email"),
        ("contact_email", "email"),
        ("emailAddress", "email"),
        ("e-mail", "email"),
        ("email_id", "email"),
        ("phone", "phone"),
        ("phone_number", "phone"),
        ("mobile", "phone"),
        ("contactPhone", "phone"),
        ("first_name", "name"),
        ("lastName", "name"),
        ("contact_name", "name"),
        ("owner_name", "name"),
        ("full_name", "name"),
        ("home_address", "address"),
        ("billing_address", "address"),
        ("address_line_1", "address"),
        ("date_of_birth", "dob"),
        ("birth_date", "dob"),
        ("dob", "dob"),
        ("ssn", "ssn"),
        ("social_security_number", "ssn"),
        ("passport_number", "passport"),
        ("drivers_license", "drivers_license"),
        ("iban", "bank_account"),
        ("account_number", "bank_account"),
        ("tax_id", "tax_id"),
        ("ein", "tax_id"),
        ("mrn", "medical_record"),
        ("patient_id", "medical_record"),
        ("biometric_template", "biometric"),
        ("face_embedding", "biometric"),
        ("client_ip", "ip_address"),
        ("ip_address", "ip_address"),
        ("card_number", "credit_card"),
        ("recipients", PERSON),
        ("to", PERSON),
        ("owner", PERSON),
        ("name", PERSON),
        ("assignee", PERSON),
        ("company", ORGANISATION),
        ("company_name", ORGANISATION),
        ("email_opt_in", None),
        ("email_subject", None),
        ("is_email_verified", None),
        ("phone_type", None),
        ("campaign_name", None),
        ("tool_name", None),
        ("user_id", None),
        ("ssn_last4", None),
        ("fingerprint", None),
        ("mac_address", None),
        ("city", None),
        ("notes", None),
        ("project_id", None),
    ],
)
def test_key_classification(key: str, kind: str | None) -> None:
    assert classify_field(key).kind == kind


def test_whole_value_under_pii_key(engine: PiiEngine) -> None:
    # Nothing in the value itself says "name": the key does.
    assert spans(engine, "xq zz", "contact_name") == [("name", "xq zz")]
    assert spans(engine, "  Jane  ", "first_name") == [("name", "Jane")]
    assert spans(engine, "see notes", "phone_number") == [("phone", "see notes")]


def test_empty_and_already_protected_values_are_left_alone(engine: PiiEngine) -> None:
    for value in ("", "   ", "n/a", "EMAIL_3f9a1c2b4d5e6f70", "<EMAIL>", "***@example.com"):
        assert spans(engine, value, "email") == []


def test_person_keys_infer_the_type_from_the_value(engine: PiiEngine) -> None:
    assert spans(engine, "bob@example.org", "recipients") == [("email", "bob@example.org")]
    assert spans(engine, "+44 20 7946 0958", "to") == [("phone", "+44 20 7946 0958")]
    assert spans(engine, "Karen Lane", "owner") == [("name", "Karen Lane")]
    assert spans(engine, "send_email", "name") == []  # a tool name, not a person
    assert spans(engine, "2024-01-01", "to") == []  # a date range bound


def test_organisation_fields_never_yield_person_names(engine: PiiEngine) -> None:
    assert spans(engine, "Morgan Stanley", "company") == []
    assert spans(engine, "Jane Doe", "notes") == [("name", "Jane Doe")]
