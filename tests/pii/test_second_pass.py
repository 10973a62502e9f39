"""Issue 13, second pass: identifiers introduced by context in other shapes, other countries'
phone formats, names after role cues or in lower case, and rows pasted into notes."""

from __future__ import annotations

import datetime as dt

import pytest

from osa.pii import PiiEngine
from osa.pii import validators as v
from osa.pii.normalize import normalize_phone

from .conftest import assert_prefilters_cover, spans

POSITIVES = [
    # (pii_type, text, expected span)
    ("tax_id", "EIN 123456789 verified for vendor payout", "123456789"),
    ("tax_id", "FEIN: 12 3456789 - invoice paid", "12 3456789"),
    ("tax_id", "Applicant SSN 123-45-6789, employer ID 351234567.", "351234567"),
    ("ssn", "my personal 123456789 is on the form", "123456789"),
    ("drivers_license", "DL# D123 4567 8901 checked", "D123 4567 8901"),
    ("drivers_license", "drivers license number 123 456 789 expires", "123 456 789"),
    ("drivers_license", "DL# A12-345-678 at the desk", "A12-345-678"),
    ("passport", "passport # AB1234567 scanned", "AB1234567"),
    ("passport", "travel document no. X12345678 verified", "X12345678"),
    ("dob", "DOB: 4 March 1986; follow-up booked", "4 March 1986"),
    ("dob", "Newborn registration: b. 12 Jan 2019, parents notified", "12 Jan 2019"),
    ("dob", "DOB 12-Mar-1986 on file", "12-Mar-1986"),
    ("biometric", "facial geometry 3f9a1c2b4d5e6f708192a3b4c5d6e7f8 stored", "3f9a1c2b4d5e6f708192a3b4c5d6e7f8"),
    (
        "biometric",
        "palm-vein template QmFzZTY0VGVtcGxhdGUxMjM0NTY3ODkw== on file",
        "QmFzZTY0VGVtcGxhdGUxMjM0NTY3ODkw==",
    ),
    ("biometric", "minutiae 0a1b2c3d4e5f60718293a4b5c6d7e8f9", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
    (
        "biometric",
        "Enrolled template 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
    ("phone", "ligar (11) 96123-4567 hoje", "(11) 96123-4567"),
    ("phone", "móvil 612 34 56 78", "612 34 56 78"),
    ("phone", "cel 55 1234 5678", "55 1234 5678"),
    ("phone", "mobile 0412 345 678", "0412 345 678"),
    ("phone", "mobil 070-123 45 67", "070-123 45 67"),
    ("name", "reported by marisol okonkwo, who asked to move the appointment", "marisol okonkwo"),
    ("name", "Escalated by tobias nguyen - call back later", "tobias nguyen"),
    ("name", "staff such as Tobias Quispe and Ngozi Oyelaran attended", "Ngozi Oyelaran"),
    ("name", "Primary contact is Kwame Oyelaran, reach her later", "Kwame Oyelaran"),
    ("name", "Please loop in Yerlan Obi (Office Lead) before shipping", "Yerlan Obi"),
    ("name", "Zorvath Quellin (Practice Manager) approved the invoice", "Zorvath Quellin"),
]

HARD_NEGATIVES = [
    "order 550e8400-e29b-41d4-a716-446655440000 shipped on 2024-03-05 at 10:00",
    "commit 3f9a1c2b4d5e6f708192a3b4c5d6e7f8 merged, template updated",
    "email template 550e8400e29b41d4a716446655440000 published",
    "order 123 456 789 shipped, invoice 2024-05-01 10:00:00",
    "ISBN 978-3-16-148410-0 and build 4.11.2.1033",
    "3 100 200 300 units in 12 450 boxes",
    "EIN lookup pending, reference 123456789 in the queue. Order 88123456.",
    "Ein Termin am 12.03.2024 um 10:00",
    "customer service team called about order ORD-55123",
    "Meeting with Acme Analytics on 2024-06-12",
    "Approved by Finance Team on 2025-01-02",
    "Item b. 12 units, see https://app.example.com/c/12345",
    "Restocked SKU-88213-BLK x 40, batch 2f1c0a6e-6a1b-4b8e-9d2a-1c3e5f7a9b0d",
    "order,status,sku\n12345,shipped,SKU-1\n12346,pending,SKU-2",
]


@pytest.mark.parametrize(
    ("pii_type", "text", "expected"), POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)]
)
def test_second_pass_positive(engine: PiiEngine, pii_type: str, text: str, expected: str) -> None:
    assert (pii_type, expected) in spans(engine, text)


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_second_pass_hard_negative(engine: PiiEngine, text: str) -> None:
    assert spans(engine, text) == []


def test_prefilters_cover_second_pass_positives(engine: PiiEngine) -> None:
    assert_prefilters_cover(engine, [text for _, text, _ in POSITIVES] + HARD_NEGATIVES)


def test_pasted_rows_take_types_from_their_neighbours(engine: PiiEngine) -> None:
    note = (
        "Pasted from the sign-up sheet:\n"
        "First Name;Last Name;E-mail;Phone;Birth Date\n"
        "ana;souza;ana.souza@example.com;+55 11 96123-4567;1987-02-03\n"
        "Jo;Lee;jo@example.org;+61 412 345 678;03/04/1990"
    )
    found = spans(engine, note)
    for expected in (("name", "ana"), ("name", "souza"), ("name", "Jo"), ("name", "Lee"), ("dob", "1987-02-03")):
        assert expected in found
    assert ("dob", "03/04/1990") in found
    # Without a header, names are read from their shape; a date in the row is a birth date with birth
    # wording, or when it lies at least 13 years back (a recent one is a sign-up or order date).
    bare = "Import:\nmarisol|okonkwo|m.okonkwo@example.com|+34 612 34 56 78|2001-05-06"
    assert ("name", "marisol") in spans(engine, bare)
    assert ("dob", "2001-05-06") in spans(engine, bare)
    assert ("dob", "7/27/1953") in spans(engine, "ana;lee;ana@example.org;+61 412 345 678;7/27/1953")
    recent = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    assert ("dob", recent) not in spans(engine, bare.replace("2001-05-06", recent))
    # Birth wording anywhere in the note (the date-of-birth recognizer's own context words) makes it one.
    for wording in ("Geburtsdaten", "DOB list"):
        assert ("dob", recent) in spans(engine, bare.replace("2001-05-06", recent).replace("Import", wording))
    assert ("dob", "31/02/1980") not in spans(engine, bare.replace("2001-05-06", "31/02/1980"))
    # Cells that are not names survive.
    assert spans(engine, "order;status;email\nORD-5512;shipped;ops@example.com") == [("email", "ops@example.com")]


def test_national_and_international_forms_normalize_to_one_e164() -> None:
    assert normalize_phone("(11) 96123-4567") == normalize_phone("+55 11 96123-4567") == "+5511961234567"
    assert normalize_phone("612 34 56 78") == normalize_phone("+34 612 34 56 78")
    assert normalize_phone("020 7946 0958") == normalize_phone("+44 20 7946 0958")
    # NANP keeps its earlier normalization (stored fingerprints join on it).
    assert normalize_phone("(415) 555-0132") == normalize_phone("+1 415 555 0132") == "+14155550132"


def test_phone_fingerprint_is_shared_by_national_and_e164_forms(engine: PiiEngine) -> None:
    assert engine.fingerprint("612 34 56 78", "phone") == engine.fingerprint("+34612345678", "phone")


def test_an_airline_document_remark_gives_a_finding_per_personal_field(engine: PiiEngine) -> None:
    remark = "PNR X7K2QD SSR DOCS KL HK1 P/DEU/C01X00T47/DEU/04MAR86/F/12AUG31/MUELLER/ANNA/MARIA-1.1 booked"
    assert spans(engine, remark) == [
        ("passport", "C01X00T47"),
        ("dob", "04MAR86"),
        ("name", "MUELLER"),
        ("name", "ANNA"),
        ("name", "MARIA"),
    ]  # the booking code, countries, gender and the expiry (12AUG31) stay


def test_one_reading_of_a_birth_date_match() -> None:
    today = dt.date(2026, 11, 28)
    assert v.plausible_birth_match({"iy": "1986", "im": "3", "id": "4"}, today=today)
    # Numeric dates are read day-first or month-first, whichever is a real date.
    assert v.plausible_birth_match({"a": "27", "b": "7", "y": "1953"}, today=today)
    assert v.plausible_birth_match({"a": "7", "b": "27", "y": "1953"}, today=today)
    assert not v.plausible_birth_match({"a": "31", "b": "31", "y": "1953"}, today=today)
    assert v.plausible_birth_match({"td": "4", "tm": "Mar", "ty": "1986"}, today=today)
    assert v.plausible_birth_match({"mm": "March", "md": "4", "my": "1986"}, today=today)
    assert not v.plausible_birth_match({"mm": "Smarch", "md": "4", "my": "1986"}, today=today)
    assert not v.plausible_birth_match({"a": "4", "b": "3", "y": "198"}, today=today)  # a 3-digit year
    assert not v.plausible_birth_match({"iy": "2027", "im": "1", "id": "1"}, today=today)  # the future
    assert not v.plausible_birth_match({}, today=today)


def test_dates_are_never_read_as_national_phones() -> None:
    for text in ("2024-03-05", "05.03.2024", "10:00:00"):
        assert v.national_phone(text) is None


def test_checksums_come_from_stdnum_where_it_is_right() -> None:
    assert v.IBAN_LENGTHS["DE"] == 22 and v.IBAN_LENGTHS["GB"] == 22 and v.IBAN_LENGTHS["NO"] == 15
    assert v.iban_ok("DE89370400440532013000") and not v.iban_ok("DE89370400440532013001")
    assert v.luhn_ok("4111111111111111") and not v.luhn_ok("4111111111111112")
    assert v.ssn_ok("123", "45", "6789") and not v.ssn_ok("078", "05", "1120") and not v.ssn_ok("457", "55", "5462")
    assert v.ein_ok("123456789") and not v.ein_ok("073456789")  # 07 was never assigned
    assert v.steuer_id_ok("65929970489") and not v.steuer_id_ok("65929970488")
    # stdnum 2.2's us.itin misses the 50-65 groups the IRS added in 2011: kept by hand.
    assert v.itin_ok("912541234") and v.itin_ok("912701234")
    assert "44" in v.CALLING_CODES and "55" in v.CALLING_CODES
