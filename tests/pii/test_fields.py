"""Field-aware detection: key names decide whether a whole value is PII."""

from __future__ import annotations

import json

import polars as pl
import pytest

from osa.pii import PiiEngine, PolicyContext, classify_field
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
    assert spans(engine, "CDG", "to") == []  # an airport code, not a person


def test_organisation_fields_never_yield_person_names(engine: PiiEngine) -> None:
    assert spans(engine, "Morgan Stanley", "company") == []
    assert spans(engine, "Jane Doe", "notes") == [("name", "Jane Doe")]


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        # camelCase / PascalCase / abbreviations
        ("fname", "name"),
        ("lName", "name"),
        ("givenNm", "name"),
        ("displayNm", "name"),
        ("emailAddr", "email"),
        ("EMail", "email"),
        ("telNo", "phone"),
        ("mobNo", "phone"),
        ("ssnValue", "ssn"),
        ("SsnNo", "ssn"),
        ("FEIN", "tax_id"),
        ("EmployerIdNumber", "tax_id"),
        ("taxIdNumber", "tax_id"),
        ("DLNo", "drivers_license"),
        ("driverLicNum", "drivers_license"),
        ("travelDocumentNumber", "passport"),
        ("TravelDocId", "passport"),
        ("mrnId", "medical_record"),
        ("MedRecNum", "medical_record"),
        ("birthDt", "dob"),
        ("dobDate", "dob"),
        ("ibanCode", "bank_account"),
        ("addr1", "address"),
        ("faceHash", "biometric"),
        ("minutiae", "biometric"),
        # parent path
        ("testers[0].first", "name"),
        ("contactPerson.last", "name"),
        ("members[2].full", "name"),
        ("biometrics.TemplateData", "biometric"),
        ("bioCapture.hash", "biometric"),
        # hard negatives
        ("first", None),
        ("pagination.first", None),
        ("phone_id", None),
        ("country_code", None),
        ("campaign_id", None),
        ("order_no", None),
        ("email_hash", None),
        ("contactPerson.role", None),
        ("biometrics.capturedAt", None),
        ("commit.hash", None),
        # keys in German, Spanish, French, Portuguese, Italian, Dutch; accented or not
        ("geburtsdatum", "dob"),
        ("fecha_de_nacimiento", "dob"),
        ("dateNaissance", "dob"),
        ("data_nascimento", "dob"),
        ("vorname", "name"),
        ("guarantors[0].apellido", "name"),
        ("primeiro_nome", "name"),
        ("dirección", "address"),
        ("Anschrift", "address"),
        ("endereço", "address"),
        ("Straße", "address"),
        ("teléfono", "phone"),
        ("handyNummer", "phone"),
        ("numero_de_pasaporte", "passport"),
        ("führerschein_nr", "drivers_license"),
        ("permis_de_conduire", "drivers_license"),
        ("nif", "tax_id"),
        ("numero_cuenta", "bank_account"),
        # health-plan member ids
        ("medicare_id", "medical_record"),
        ("insurance.medicareBeneficiaryId", "medical_record"),
        ("patient.subscriberId", "medical_record"),
        ("insurance.member_id", "medical_record"),
        ("patient.health_plan_id", "medical_record"),
        ("hospitalNumber", "medical_record"),
        # hard negatives
        ("data", None),
        ("biometric_data", "biometric"),
        ("fecha_pedido", None),
        ("member_id", None),
        ("loyalty.member_id", None),
        ("health_check_id", None),
        ("retention.policy_id", None),
        ("sent_via", None),
        ("health_plan", None),
        # names of things and organisations: by the modifier, or by the parent holding them
        ("order.items[0].name", None),
        ("product.name", None),
        ("bank.name", ORGANISATION),
        ("direct_deposit.bankName", ORGANISATION),
        ("contacts[0].name", "name"),
        # abbreviations and account kinds
        ("employee.social_sec_no", "ssn"),
        ("ssn_full", "ssn"),
        ("patient.mr_no", "medical_record"),
        ("numero_fiscal", "tax_id"),
        ("direct_deposit.acct", "bank_account"),
        ("dda_account", "bank_account"),
        ("customer.account", ORGANISATION),
        ("insurer", ORGANISATION),
        ("entity.legalName", ORGANISATION),
        ("applicant.legal_name", "name"),
        ("entity.contact_name", "name"),
        ("school", ORGANISATION),
        ("passport.expiry", None),  # when the document expires, not the document number
        ("insurance.policy_number", None),  # a travel or car insurance policy is not a health plan
    ],
)
def test_key_paths_are_tokenized_and_read_with_their_parent(key: str, kind: str | None) -> None:
    assert classify_field(key).kind == kind


def test_frame_json_leaves_use_the_parent_key(engine: PiiEngine, storage: PolicyContext) -> None:
    doc = {
        "testers": [{"first": "Xq", "last": "Zz", "role": "Office Lead", "id": "2f1c0a6e-6a1b-4b8e-9d2a-1c3e5f7a9b0d"}],
        "bioCapture": {
            "minutiae": "ab12cd34ef56ab12cd34ef56ab12",
            "capturedAt": "2025-01-02T03:04:05Z",
            "device": "FP-300",
        },
        "pagination": {"first": "cursor-1"},
    }
    frame = pl.DataFrame({"id": [1], "doc": [json.dumps(doc)]})
    found = engine.analyze_frame(frame, json_columns=["doc"], passthrough_columns=["id"])
    assert sorted(zip(found["field_path"], found["pii_type"], strict=True)) == [
        ("doc.bioCapture.minutiae", "biometric"),
        ("doc.testers[0].first", "name"),
        ("doc.testers[0].last", "name"),
    ]
    protected = engine.protect_value(doc, context=storage)
    assert protected["testers"][0]["role"] == "Office Lead"
    assert protected["testers"][0]["first"] != "Xq"
    assert protected["bioCapture"]["device"] == "FP-300"


def test_a_type_key_names_the_identifier_beside_it(engine: PiiEngine, storage: PolicyContext) -> None:
    docs = [
        {"document": {"type": "passport", "document_number": "X1234567", "country": "DE"}},
        {"document": {"documentNumber": "B7124567", "DocumentType": "Driver's License"}},
        {"order": {"type": "refund", "id": "R-88812"}, "doc": {"kind": "invoice", "number": "INV-2024-0007"}},
    ]
    result = engine.protect_documents([json.dumps(d) for d in docs], context=storage)
    out = [json.loads(d) for d in result.frame["document"].to_list()]
    assert out[0]["document"]["document_number"].startswith("PASSPORT_")
    assert out[0]["document"]["country"] == "DE"
    assert out[1]["document"]["documentNumber"].startswith("DRIVERS_LICENSE_")
    assert out[2] == docs[2]  # other kinds of things keep their ids
