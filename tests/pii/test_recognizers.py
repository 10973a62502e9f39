"""Per type and format: positives are found with the right type and span, hard negatives survive."""

from __future__ import annotations

import pytest

from osa.pii import PiiEngine

from .conftest import assert_prefilters_cover, spans

POSITIVES = [
    # (pii_type, text, expected span)
    ("email", "Send it to Jane.Doe+news@Example.co.uk today", "Jane.Doe+news@Example.co.uk"),
    ("email", "reply: o'brien_x@mail-server.io.", "o'brien_x@mail-server.io"),  # an apostrophe is RFC 5322 atext
    ("email", "Contact Hans-H. Schaaf at hans-h..schaaf@northwind.io now", "hans-h..schaaf@northwind.io"),
    ("email", "Contact them at rené.hoffmann@northwind.io for access.", "rené.hoffmann@northwind.io"),  # RFC 6531
    ("phone", "Call Claus-Dieter Mentzel on +49(0)0098 19632 to schedule.", "+49(0)0098 19632"),
    # names outside the lists, between a contact verb and how to reach them (found at 10k workflows)
    ("name", "Call Claus-Dieter Mentzel on +49(0)0098 19632 to schedule.", "Claus-Dieter Mentzel"),
    ("name", "Contact Kunibert van Dussen at k@contoso.de for access.", "Kunibert van Dussen"),
    ("name", "please ring Rotraut Kaul on her mobile", "Rotraut Kaul"),
    ("phone", "Call NAME_cd22f69d45f784a4 on 00804 63364 to schedule.", "00804 63364"),
    (
        "address",
        "Ship to Studio 93, Walsh Junctions, O'Sullivanmouth, N7 4UG.",
        "Studio 93, Walsh Junctions, O'Sullivanmouth, N7 4UG",
    ),
    # Glued into identifiers: "-" or "_" after the top-level domain ends the address.
    ("email", "exec-wf-jane.doe@example.com-geo_audit-completed", "exec-wf-jane.doe@example.com"),
    ("email", "corr_jane.doe@example.com_2", "corr_jane.doe@example.com"),
    ("credit_card", "wf-4111 1111 1111 1111-x", "4111 1111 1111 1111"),
    ("credit_card", "corr_4111111111111111_2", "4111111111111111"),
    ("ssn", "wf_329-34-7960_b", "329-34-7960"),
    ("phone", "corr_+44 7700 900123", "+44 7700 900123"),
    ("bank_account", "corr_DE89370400440532013000", "DE89370400440532013000"),
    ("phone", "Call +1 (415) 555-0132 now", "+1 (415) 555-0132"),
    ("phone", "E.164 +14155550132", "+14155550132"),
    ("phone", "office 415-555-0132 ext. 12", "415-555-0132 ext. 12"),
    ("phone", "cell (212) 555-0199", "(212) 555-0199"),
    ("phone", "UK 020 7946 0958 please", "020 7946 0958"),
    ("phone", "UK mobile +44 7700 900123", "+44 7700 900123"),
    ("phone", "Büro +49 (0)30 1234567", "+49 (0)30 1234567"),
    ("phone", "Tel. 030 12345678", "030 12345678"),
    ("phone", "FR 01 23 45 67 89", "01 23 45 67 89"),
    ("phone", "international 0044 20 7946 0958", "0044 20 7946 0958"),
    ("phone", "text me on 4155550132", "4155550132"),
    ("phone", "Best number: 5729697521 after 5pm", "5729697521"),
    ("phone", "UK (0141)4960530 works", "(0141)4960530"),
    ("phone", "US 883-237-8876x232 desk", "883-237-8876x232"),
    ("ssn", "SSN 123-45-6789 on file", "123-45-6789"),
    ("ssn", "social security number: 123456789", "123456789"),
    ("credit_card", "card 4111 1111 1111 1111 exp 09/27", "4111 1111 1111 1111"),
    ("credit_card", "mc 5555-5555-5555-4444", "5555-5555-5555-4444"),
    ("credit_card", "amex 378282246310005", "378282246310005"),
    ("credit_card", "amex 3782 822463 10005", "3782 822463 10005"),
    ("passport", "passport no. X12345678 issued", "X12345678"),
    ("passport", "Reisepass C01X00T47", "C01X00T47"),
    ("drivers_license", "driver's license D1234567 (CA)", "D1234567"),
    ("drivers_license", "UK licence MORGA657054SM9IJ", "MORGA657054SM9IJ"),
    (
        "address",
        "ship to 1600 Pennsylvania Ave NW, Washington, DC 20500.",
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
    ),
    ("address", "at 221B Baker Street, London NW1 6XE", "221B Baker Street, London NW1 6XE"),
    ("address", "Wohnt in der Hauptstraße 12a, 10115 Berlin.", "Hauptstraße 12a, 10115 Berlin"),
    ("address", "mail to P.O. Box 4410, Austin, TX 78701", "P.O. Box 4410, Austin, TX 78701"),
    ("address", "Flat 4, Chelsea Lane, West Annstad, EX4 4GX", "Flat 4, Chelsea Lane, West Annstad, EX4 4GX"),
    ("name", "Spoke with Jane Doe about pricing", "Jane Doe"),
    ("name", "Meeting notes: Dr. Okafor joined late", "Okafor"),
    ("name", "Thanks, Marco", "Marco"),
    ("name", "cc Anna van der Berg on the thread", "Anna van der Berg"),
    ("name", "Escalated by José García-López today", "José García-López"),
    ("name", "Assigned to Sean O'Brien", "Sean O'Brien"),
    ("dob", "Date of birth: 1985-03-04", "1985-03-04"),
    ("dob", "born on March 4, 1985 in Ohio", "March 4, 1985"),
    ("dob", "DOB 04/03/1985", "04/03/1985"),
    ("dob", "geboren am 04.03.1985", "04.03.1985"),
    ("dob", "Geburtsdatum: 04.03.1985", "04.03.1985"),
    ("dob", "nacida el 4 de marzo de 1967 en Sevilla", "4 de marzo de 1967"),
    ("dob", "née le 1er mars 1980 à Lyon", "1er mars 1980"),
    ("dob", "nascido em 22 de setembro de 1990", "22 de setembro de 1990"),
    ("dob", "Geburtsdatum 26. Oktober 1985", "26. Oktober 1985"),
    ("dob", "DOB: 1979/05/22", "1979/05/22"),
    ("dob", "DOB 19790522 per chart", "19790522"),
    ("medical_record", "Medicare MBI 1EG4-TE5-MK73 on file", "1EG4-TE5-MK73"),
    ("medical_record", "medicare number 1EG4TE5MK73", "1EG4TE5MK73"),
    ("tax_id", "su NIE es X1234567L", "X1234567L"),
    ("tax_id", "CPF 123.456.789-09 cadastrado", "123.456.789-09"),
    ("tax_id", "PAN: ABCDE1234F", "ABCDE1234F"),
    ("tax_id", "fiscaal nummer 123456782", "123456782"),
    ("medical_record", "Patientennummer 00123456", "00123456"),
    ("medical_record", "historia clínica 4455667", "4455667"),
    ("drivers_license", "CNH 01234567890 válida", "01234567890"),
    ("passport", "Reisepass-Nr C01X00T47", "C01X00T47"),
    ("passport", "SSR DOCS KL HK1 P/DEU/C01X00T47/DEU/04MAR86/F/12AUG31/MUELLER/ANNA", "C01X00T47"),
    ("ip_address", "login from 203.0.113.7 at noon", "203.0.113.7"),
    ("ip_address", "v6 2001:db8:85a3::8a2e:370:7334 seen", "2001:db8:85a3::8a2e:370:7334"),
    ("ip_address", "link-local fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a"),
    ("bank_account", "IBAN DE89 3704 0044 0532 0130 00 please", "DE89 3704 0044 0532 0130 00"),
    ("bank_account", "to GB82WEST12345698765432.", "GB82WEST12345698765432"),
    ("bank_account", "routing number 021000021", "021000021"),
    ("bank_account", "account number: 12345678", "12345678"),
    ("tax_id", "EIN 12-3456789 for the W-9", "12-3456789"),
    ("tax_id", "ITIN 912-70-1234", "912-70-1234"),
    ("tax_id", "NINO QQ 12 34 56 C", "QQ 12 34 56 C"),
    ("tax_id", "Steuer-ID 65929970489", "65929970489"),
    ("medical_record", "patient MRN: 00123456 admitted", "00123456"),
    ("medical_record", "medical record number MRN-4455667", "MRN-4455667"),
    ("medical_record", "patient MRN-4455667 admitted", "MRN-4455667"),
    ("medical_record", "MRN-4455667. Order 88123456 shipped.", "MRN-4455667"),
    ("medical_record", "NHS number 943 476 5919", "943 476 5919"),
    ("biometric", "fingerprint template: 3f9a1c2b4d5e6f708192a3b4c5d6e7f8", "3f9a1c2b4d5e6f708192a3b4c5d6e7f8"),
]

HARD_NEGATIVES = [
    "order placed 2024/05/22, invoice 20240522 paid",
    "promo code 1EG4-TE5-MK73 applied",
    "the pan is 12345 degrees, TIN 2024 filed",
    "order 550e8400-e29b-41d4-a716-446655440000 shipped",
    "ran at 2024-05-01T10:00:00Z and 2024-05-01 10:00:00+00:00",
    "project 48213377 is 86.4% complete",
    "SKU-8841-BLK-XL and AB-12345 in stock",
    "upgraded to v2.14.3 then 1.2.3-rc1, build 4.11.2.1033",
    "version 1.2.3.4 is out",
    "total $1,299.00 or €49,90 or USD 12500",
    "conversion 12.5%, score 0.873, rating 4.6/5, NPS 42",
    "took 3h 20m (PT15M) or 00:45:12 or 250 ms",
    "see https://www.acme.com/pricing?utm_source=linkedin&utm_medium=cpc",
    "Our partners Acme Analytics and Blue Harbor Labs GmbH",
    "Data Science team at the Spring Sale for Black Friday",
    "The Q3 Growth Summit event is on June 3, 2025",
    "Meeting on 2024-06-12 at Jackson Street office",
    "commit 3f9a1c2b4d5e6f708192a3b4c5d6e7f8 merged",
    "model gpt-4o-2024-08-06 or claude-3-5-sonnet-20241022",
    "ISBN 978-3-16-148410-0, ticket JIRA-4412, invoice INV-004512",
    "ZIP 94107 in the report, 12,450 impressions",
    "icon logo@2x.png and std::vector<int>",
    "asset logo@2x.png-dark.svg",
    "serial 1234-4111-1111-1111-1111 and 4111-1111-1111-1111-22 continue a longer number",
    "order number 1234567890123456 is not a card",
    "localhost 127.0.0.1 and 0.0.0.0 listen",
    "order number 1234567890 shipped, tracking no 5551234567",
    "EMAIL_3f9a1c2b4d5e6f70 and <PHONE> are already tokens",
    "Contact Customer Success at the help desk",
    "Call Acme Corp on Monday",
    "call Berlin Office on the hour",
    "Ask Google Analytics at the end of the quarter",
    "version +49(0)0088 80874 build",
]


@pytest.mark.parametrize(
    ("pii_type", "text", "expected"), POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)]
)
def test_positive_is_found_with_type_and_span(engine: PiiEngine, pii_type: str, text: str, expected: str) -> None:
    assert (pii_type, expected) in spans(engine, text)


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negative_survives(engine: PiiEngine, text: str) -> None:
    assert spans(engine, text) == []


def test_checksums_reject_lookalikes(engine: PiiEngine) -> None:
    assert spans(engine, "card 4111 1111 1111 1112") == []  # Luhn fails
    assert spans(engine, "IBAN DE89 3704 0044 0532 0130 01") == []  # mod-97 fails
    assert spans(engine, "ssn 000-12-3456 and 666-12-3456 and 123-00-4567") == []  # SSA rules
    assert spans(engine, "routing number 021000022") == []  # ABA checksum fails
    assert ("medical_record", "943 476 5918") not in spans(engine, "NHS number 943 476 5918")  # mod-11 fails


def test_context_words_decide_ambiguous_numbers(engine: PiiEngine) -> None:
    assert spans(engine, "reference 00123456") == []
    assert spans(engine, "MRN 00123456") == [("medical_record", "00123456")]
    assert spans(engine, "meeting on 1985-03-04") == []
    assert spans(engine, "born 1985-03-04") == [("dob", "1985-03-04")]
    # Context does not leak across sentences.
    assert ("passport", "11016585") not in spans(engine, "Passport: W43131164. Project 11016585 is late")


def test_every_finding_carries_type_span_confidence_detector(engine: PiiEngine) -> None:
    text = "Jane Doe <jane@example.com>, +1 415 555 0132"
    findings = engine.analyze(text)
    assert findings
    for f in findings:
        assert f.pii_type and f.detector
        assert 0 < f.confidence <= 1
        assert 0 <= f.start < f.end <= len(text)


def test_prefilters_are_supersets_of_python_matches(engine: PiiEngine) -> None:
    """The frame path only runs a recognizer on rows its polars prefilter selects."""
    assert_prefilters_cover(engine, [text for _, text, _ in POSITIVES])
