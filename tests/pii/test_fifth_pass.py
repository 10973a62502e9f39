"""Issue 13, fifth pass: identity, health and tax numbers named by their scheme or card (``iqama``, ``ohip``,
``tfn``) and the short words left out because they are as often something else; names after more cues ("spoke
with", "opened by") and in a register's "SURNAME, Given" order; a journey's ``to`` is a place."""

from __future__ import annotations

import pytest

from osa.pii import PiiEngine
from osa.pii.fields import classify_field
from osa.pii.policy import PolicyContext

from .conftest import assert_prefilters_cover, spans


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
        ("nr_dowodu", "ssn"),  # identity cards by their own word
        ("ausweis_nr", "ssn"),
        ("carta_identita", "ssn"),
        ("cartao_de_cidadao", "ssn"),
        ("identiteitskaart", "ssn"),
        ("cedula_ciudadania", "ssn"),
        ("residencePermitNo", "passport"),  # residence permits are held like passports
        ("brp_number", "passport"),
        ("residence_address", "address"),
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


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Spoke with maria gonzalez about the refund.", "maria gonzalez"),  # lower case after a cue: both listed
        ("Ticket opened by Kwame Mensah via the portal", "Kwame Mensah"),
        ("Logged by Ingrid Johansson at the front desk.", "Ingrid Johansson"),
        ("Called on behalf of Dimitrios Papadopoulos.", "Dimitrios Papadopoulos"),
        ("OKAFOR, Chukwuemeka - renewal pending", "OKAFOR, Chukwuemeka"),
        ("Register: GARCÍA, María José (U12)", "GARCÍA, María José"),
    ],
)
def test_names_after_more_cues_and_in_register_order(engine: PiiEngine, text: str, name: str) -> None:
    assert ("name", name) in spans(engine, text)
    assert_prefilters_cover(engine, [text])  # the frame path (osa redact, the lakehouse) sees it too


@pytest.mark.parametrize(
    "text",
    [
        "USA, Texas office",
        "PARIS, France",
        "NOTE, Please reply",
        "ACME, Inc",
        "Delivered by Royal Mail",
        "Issued by Deutsche Bank AG",
        "Spoke with Vodafone support",
        "Opened by System",
        "Created by Admin User",
        "on behalf of Acme Corp",
    ],
)
def test_places_companies_and_systems_after_those_cues_stay(engine: PiiEngine, text: str) -> None:
    assert [s for s in spans(engine, text) if s[0] == "name"] == []


def test_a_journeys_to_is_a_place() -> None:
    assert classify_field("to", "trip").kind is None
    assert classify_field("to", "flight").kind is None
    assert classify_field("to", "message").kind == "person"
    assert classify_field("to").kind == "person"


# ICAO 9303's own specimens (Part 4 and Part 5): an oracle the code's check-digit function did not produce.
TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")


@pytest.mark.parametrize("separator", ["\n", " ", "\r\n"])
def test_a_machine_readable_zone_is_a_name_and_a_document(engine: PiiEngine, separator: str) -> None:
    text = f"OCR of passport scan:{separator}{separator.join(TD3)}{separator}end"
    assert ("name", TD3[0]) in spans(engine, text) and ("passport", TD3[1]) in spans(engine, text)
    card = separator.join(TD1)
    assert {("ssn", TD1[0]), ("dob", TD1[1]), ("name", TD1[2])} <= set(spans(engine, card))
    assert_prefilters_cover(engine, [text, card])


def test_a_data_line_needs_a_check_digit_that_holds(engine: PiiEngine) -> None:
    broken = TD3[1][:9] + "0" + TD3[1][10:19] + "0" + TD3[1][20:]  # both the number's and the birth date's wrong
    assert [s for s in spans(engine, broken) if s[0] == "passport"] == []
    assert spans(engine, "ORDER<<REF<<A1 and 1234567890ABC") == []


@pytest.mark.parametrize(
    "text",
    [
        "Invoice from Fischer Immobilien received.",
        "Kowalski Auto Serwis confirmed the booking.",
        "Walsh Mortgages sent the offer.",
        "Order placed with Yamamoto Shoten.",
        "Customer's Dacia Sandero booked in for its MOT.",  # a make before a model
        "Replaced the brake pads on the Škoda Octavia.",
    ],
)
def test_a_family_name_before_a_business_word_is_a_business(engine: PiiEngine, text: str) -> None:
    assert [s for s in spans(engine, text) if s[0] == "name"] == []


@pytest.mark.parametrize("key", ["dealer_name", "agency_name", "branch_name", "team_name", "lender_name"])
def test_a_business_or_club_name_key_is_an_organisation(key: str) -> None:
    assert classify_field(key).kind == "organisation"
    assert classify_field("provider_name").kind != "organisation"  # a doctor as often as a practice


def test_a_brand_does_not_hide_a_person_in_a_people_field(engine: PiiEngine) -> None:
    """The make rule is for text; a people key (``customer``) holding "Ford Kiernan" still holds a person."""
    out = engine.protect_value({"customer": "Ford Kiernan"}, context=PolicyContext())
    assert out["customer"].startswith("NAME_")
