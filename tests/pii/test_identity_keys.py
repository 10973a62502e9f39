"""Issue 13: identity, health and tax numbers named by their scheme or card (``iqama``, ``ohip``, ``tfn``), and the
short words left out because they are as often something else."""

from __future__ import annotations

import pytest

from osa.pii.fields import classify_field


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("iqama_number", "ssn"),
        ("emiratesId", "ssn"),
        ("teudat_zehut", "ssn"),
        ("civil_id", "ssn"),
        ("GovernmentId", "ssn"),
        ("gov_issued_id", "ssn"),
        ("id_card", "ssn"),
        ("national_id_card", "ssn"),
        ("ic_no", "ssn"),
        ("jmbg", "ssn"),
        ("hkid", "ssn"),
        ("birth_number", "ssn"),  # rodné číslo; a date of birth is a birth *date*
        ("birth_date", "dob"),
        ("personal_code", "ssn"),
        ("cedula_de_identidad", "ssn"),
        ("carte_identite", "ssn"),
        ("ohip_number", "medical_record"),
        ("HealthCardNumber", "medical_record"),
        ("health_insurance_id", "medical_record"),
        ("personal_health_number", "medical_record"),
        ("tarjeta_sanitaria", "medical_record"),
        ("carte_vitale", "medical_record"),
        ("abha_id", "medical_record"),
        ("tfn", "tax_id"),
        ("ird_number", "tax_id"),
        ("steueridentifikationsnummer", "tax_id"),
        ("tax_code", "tax_id"),
        # left out: as often something else
        ("uid", None),
        ("fin", None),
        ("nic", None),
        ("state_id", None),
        ("doc_number", None),
        ("member_id", None),
        ("national_number", None),  # libphonenumber's name for a phone's national part
        ("id_card_type", None),
    ],
)
def test_identity_health_and_tax_keys(key: str, kind: str | None) -> None:
    assert classify_field(key).kind == kind
