"""Issue 13, fourth pass: keys that take their meaning from the structure around them (the parent key, a sibling
question or document type), people named by their role, transliterated Hindi, romanised Japanese,
Indonesian and Vietnamese keys, and company legal forms that keep a value from reading as a person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osa.pii import PiiEngine
from osa.pii.cli import EXIT_OK, main
from osa.pii.fields import PERSON_ROLES, classify_field, label_hint
from osa.pii.names import looks_like_person_name

from .conftest import assert_prefilters_cover, spans


@pytest.mark.parametrize(
    ("key", "parent", "kind"),
    [
        ("date", "birth", "dob"),  # a bare head takes its meaning from the parent
        ("place", "birth", None),
        ("no", "passport", "passport"),
        ("value", "dob", "dob"),
        ("number", "phone", "phone"),
        ("number", "account", None),  # an organisation's: the customer account's number
        ("number", "order", None),
        ("id", "user", None),
        ("date", "event", None),
        ("code", "country", None),
        ("id_doc", "verification", "ssn"),  # an identity document's number
        ("id_number", "employee", "ssn"),
        ("id_number", "invoice", None),  # only a person's ID number is their identity number
        ("primaryIdentifier", "nameIdentifier", "name"),  # IVMS101 travel rule
        ("secondaryIdentifier", "nameIdentifier", "name"),
        ("tpl", "liveness", "biometric"),
        ("tpl", "email", None),
        ("kao_tokucho", "face_checkin", "biometric"),
        ("holder", "card", None),  # a holder may be a company (a policy, an account); the value's shape decides
        ("badge_name", "attendee", "person"),
        ("status", "claimant", None),
    ],
)
def test_keys_read_with_their_parent(key: str, parent: str, kind: str | None) -> None:
    assert classify_field(key, parent).kind == kind


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("janmdin", "dob"),  # transliterated Hindi
        ("ghar_ka_pata", "address"),
        ("pata", "address"),
        ("bank_khata", "bank_account"),
        ("khata_sankhya", "bank_account"),
        ("aadhaar_sankhya", "ssn"),
        ("ungli_chhap", "biometric"),
        ("pehla_naam", "name"),
        ("koza_bango", "bank_account"),  # romanised Japanese
        ("menkyosho_bango", "drivers_license"),
        ("kojin_bango", "ssn"),
        ("my_number", "ssn"),
        ("nama_depan", "name"),  # Indonesian, noun first
        ("nama_belakang", "name"),
        ("no_rek", "bank_account"),
        ("nomor_sim", "drivers_license"),
        ("so_tai_khoan", "bank_account"),  # Vietnamese
        ("ma_so_thue", "tax_id"),
        ("ho_ten", "name"),
        ("du_lieu_khuon_mat", "biometric"),
        ("van_tay", "biometric"),
        ("apelido", "name"),
        ("adresse_postale", "address"),
        ("tax_ref", "tax_id"),
        ("ni_number", "tax_id"),
        ("kvnr", "medical_record"),
        ("rvnr", "ssn"),
        ("ani", "phone"),
        ("claimant", "person"),
        ("interviewers", "person"),
        ("timekeeper", "person"),
        ("client", None),  # as often a company as a person
        ("sim_number", None),  # a SIM card, not Indonesia's SIM licence
        ("postal_code", None),
    ],
)
def test_keys_in_more_languages_and_roles(key: str, kind: str | None) -> None:
    assert classify_field(key).kind == kind


def test_every_role_is_a_person_key_and_modifier() -> None:
    for role in PERSON_ROLES:
        assert classify_field(role).kind == "person", role
        if role != "parents":
            assert classify_field(f"{role}_name").kind == "name", role


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Date of birth", "dob"),
        ("What is your date of birth? (DD/MM/YYYY)", "dob"),
        ("Please enter your bank account number", "bank_account"),
        ("Social security number", "ssn"),
        ("Full legal name", "person"),  # people and contacts: the answer's shape decides
        ("Email", "person"),
        ("Company name", "organisation"),
        ("Favourite colour", None),
        ("How did you hear about us?", None),
    ],
)
def test_question_labels(label: str, kind: str | None) -> None:
    assert label_hint(label).kind == kind


@pytest.mark.parametrize(
    ("value", "is_name"),
    [
        ("Công ty TNHH Vinasoft", False),
        ("PT Maju Jaya Tbk", False),
        ("ООО Ромашка", False),
        ("Müller GmbH", False),
        ("Anna Berg", True),
        ("CONNOR GAGNON", True),
        ("J. Smith", True),
    ],
)
def test_company_legal_forms_anywhere_in_a_value(value: str, is_name: bool) -> None:
    assert looks_like_person_name(value) is is_name


def _redact(tmp_path: Path, records: list[dict]) -> list[dict]:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["redact", "--input", str(source), "--output", str(out), "--allow-dev-keys", "--workers", "1"]
    assert main(argv) == EXIT_OK
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_the_cli_reads_structure(tmp_path: Path) -> None:
    """Through `osa redact`: the parent, a sibling question and a sibling document type give a vague key
    its meaning, and what they do not name survives."""
    hexed = "569eebff87c5d483e57ab53910985678d43e74cad85bdbf0fe6e5116d742ea66e14d5d1dff8c472865b30001f63d3b4c64"
    records = [
        {"birth": {"date": "10 October 1853", "place": "Köln"}},
        {"right_to_work": {"document": "passport", "number": "SQY224620", "expiry": "02/11/2030"}},
        {
            "answers": [
                {"q": "Date of birth", "a": "12/03/1984"},
                {"q": "Bank account number", "a": "31926819"},
                {"q": "Do you have a passport?", "a": "Yes"},
                {"q": "Favourite colour", "a": "blue"},
                {"field": "Full name", "value": "Marloes Jansen"},
            ]
        },
        {"nameIdentifier": [{"primaryIdentifier": "Jansen", "secondaryIdentifier": "Marloes", "type": "LEGL"}]},
        {"liveness": {"tpl": hexed, "score": "0.861"}, "timekeeper": "J. Smith", "client": "Morgan Stanley"},
    ]
    birth, work, form, ivms, rest = _redact(tmp_path, records)
    assert birth["birth"]["date"].startswith("DOB_") and birth["birth"]["place"] == "Köln"
    assert work["right_to_work"]["number"].startswith("PASSPORT_") and work["right_to_work"]["expiry"] == "02/11/2030"
    answers = [item.get("a", item.get("value")) for item in form["answers"]]
    assert answers[0].startswith("DOB_") and answers[1].startswith("BANK_ACCOUNT_")
    assert answers[2:4] == ["Yes", "blue"]
    assert answers[4].startswith("NAME_")
    assert [item["q"] for item in form["answers"][:4]] == [r["q"] for r in records[2]["answers"][:4]]
    person = ivms["nameIdentifier"][0]
    assert person["primaryIdentifier"].startswith("NAME_") and person["secondaryIdentifier"].startswith("NAME_")
    assert person["type"] == "LEGL"
    assert rest["liveness"]["tpl"].startswith("BIOMETRIC_") and rest["liveness"]["score"] == "0.861"
    assert rest["timekeeper"].startswith("NAME_") and rest["client"] == "Morgan Stanley"


_TEMPLATE = "Rk1SACAyMAA3TvgA8JV8XGUtUoa/LFEX7Ij9olvcU11GP0yCnA3HhscC0zW93gkWyeEU"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            f"2023-01-01 00:09:24 door=D3 member=M-312639 finger_tpl={_TEMPLATE} result=GRANTED",
            [("biometric", _TEMPLATE)],
        ),
        ('physio kvnr="A133640617" ok', [("medical_record", "A133640617")]),
        ("CNH: S 691 748 029 411\n\nExperience", [("drivers_license", "S 691 748 029 411")]),
        ("aadhaar_sankhya: 2345 6789 0123 and more", [("ssn", "2345 6789 0123")]),
        ("tax_ref: 1234567890.", [("tax_id", "1234567890")]),  # the sentence's period is not the value's
    ],
)
def test_values_after_their_label_in_text(engine: PiiEngine, text: str, found: list) -> None:
    assert spans(engine, text) == found
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize(
    "text",
    [
        "order_id=ORD-12345 total=99.50 ts=1700000000",
        "Date: 2023-01-01 10:30",
        "Ticket: INC-123456",
        "https://x.example/a?id=12345&account=99887766",
        "biometric_vendor=IDEMIA version=4.2",
        "ran at 2024-05-01T10:00:00Z",
    ],
)
def test_labels_that_name_no_identifier(engine: PiiEngine, text: str) -> None:
    assert spans(engine, text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Henrike explained the gap in her CV.", "Henrike"),  # a first name doing what a person does
        ("Annual booster for Rocky. Jutta asked for the invoice.", "Jutta"),
        ("Horas extra: Begoña pidió el día libre.", "Begoña"),
        ("Customer Smt. Raghunathan reports an outage.", "Raghunathan"),  # honorifics in more languages
        ("mevr. Kuipers on the way; callback later", "Kuipers"),
        ("ED visit: Shri Venkataraman presented with neck pain", "Venkataraman"),
        ("Pak Budi datang jam 10.", "Budi"),
    ],
)
def test_lone_names_in_text(engine: PiiEngine, text: str, name: str) -> None:
    assert ("name", name) in spans(engine, text)
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize(
    "text",
    [
        "Paris is lovely",
        "Monday was busy",
        "May was a slow month",
        "Order was shipped",
        "Bay Area office",
        "Pan Am",
        "Zara has extended the return window",  # a brand that is a first name: only a person's verbs count
        "Chanel said the line is discontinued",
        "Our account manager at Becker sent invoice INV-44282.",  # after a preposition: a firm
        "Our account manager at Johnson & Johnson sent invoice",
        "at Smith, Butcher and Anderson sent invoice",
        "at Miller-O'Brien sent invoice",
    ],
)
def test_lone_words_that_are_not_names(engine: PiiEngine, text: str) -> None:
    assert spans(engine, text) == []


def test_gedcom_records(engine: PiiEngine) -> None:
    text = (
        "0 @I670@ INDI\n1 NAME Martina /Russo/\n1 SEX F\n1 BIRT\n2 DATE 21 AUG 1890\n2 PLAC Lyon\n"
        "1 FAMS @F103@\n0 @I1023@ INDI\n1 NAME Lorenzo /De Luca/\n1 BIRT\n2 PLAC Cork\n2 DATE ABT 1905\n"
        "1 DEAT\n2 DATE 3 MAR 1970\n"
    )
    assert spans(engine, text) == [
        ("name", "Martina /Russo/"),
        ("dob", "21 AUG 1890"),
        ("name", "Lorenzo /De Luca/"),
        ("dob", "ABT 1905"),  # the death date is not a birth date; places stay
    ]
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize(
    "address",
    [
        "Sveavägen 195, lgh 1355, 411 06 Göteborg",
        "Hauptstr. 36a, Hinterhaus, 50667 Köln",
        "Bağdat Cd. No:110/2, Maltepe, 34487 İstanbul",
    ],
)
def test_addresses_with_a_unit_or_district_before_the_postcode(engine: PiiEngine, address: str) -> None:
    text = f"Tenant of {address} since May."
    assert spans(engine, text) == [("address", address)]
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("ED visit: ليلى منصور presented with neck pain.", "ليلى منصور"),  # another script in Latin text
        ("Our best clients are राहुल शर्मा and others.", "राहुल शर्मा"),
        ("anyone with an open complaint such as 김민준 (ticket TCK-34790).", "김민준"),
        ("Invoice to Hugo Boss AG, attn 中村 結衣, send by post.", "中村 結衣"),
        ("Wife/husband: GRZEGORZ KOWALSKI. Residence: Warszawa", "GRZEGORZ KOWALSKI"),  # capitals
        ("HOFFMANN Henrike requested a whitelist change", "HOFFMANN Henrike"),
        ("PLEASE CALL JOHN SMITH NOW", "JOHN SMITH"),
    ],
)
def test_names_in_other_scripts_and_in_capitals_inside_text(engine: PiiEngine, text: str, name: str) -> None:
    assert ("name", name) in spans(engine, text)
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize(
    "text",
    [
        "Visited the 東京 office and ate 김치 today",  # a lone Han word, a two-syllable Hangul word
        "ليلى منصور تعاني من ألم في الرقبة بعد حادث",  # text in that script: the other rules read it
        "URGENT NOTICE FROM THE BANK",
        "BLACK FRIDAY SALE",
        "TERMS AND CONDITIONS APPLY",
        "NEW YORK CITY OFFICE",
    ],
)
def test_script_runs_and_capitals_that_are_not_names(engine: PiiEngine, text: str) -> None:
    assert [found for found in spans(engine, text) if found[0] == "name"] == []
