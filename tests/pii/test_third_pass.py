"""Issue 13, third pass: keys and names in non-Latin scripts, biometric records known by their header and
keys in other languages, machine senders and things under name keys left alone."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from osa.pii import PiiEngine
from osa.pii.cli import EXIT_OK, main
from osa.pii.fields import classify_field
from osa.pii.names import looks_like_person_name

from .conftest import assert_prefilters_cover, spans


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("名前", "person"),
        ("氏名", "person"),
        ("customer_名前", "name"),
        ("фамилия", "name"),
        ("дата_рождения", "dob"),
        ("Дата рождения", "dob"),
        ("생년월일", "dob"),  # Hangul is looked up as written (NFKD would take it apart)
        ("전화번호", "phone"),
        ("이메일", "email"),
        ("住所", "address"),
        ("电话号码", "phone"),
        ("номер_паспорта", "passport"),
        ("تاريخ_الميلاد", "dob"),
        ("כתובת", "address"),
        ("注文番号", None),
        ("金額", None),
        ("huella_dactilar", "biometric"),
        ("empreinte_digitale", "biometric"),
        ("plantilla_huella", "biometric"),
        ("gesicht_vorlage", "biometric"),
        ("fecha_nac", "dob"),
        ("dt_nasc", "dob"),
        ("gebdat", "dob"),
        ("tgl_lahir", "dob"),
        ("d_o_b", "dob"),
        ("lieferadresse", "address"),  # German, Dutch, Nordic compounds read as two words
        ("hemadress", "address"),
        ("telefonnr", "phone"),
        ("handynummer", "phone"),
        ("reisepassnummer", "passport"),
        ("rijbewijsnummer", "drivers_license"),
        ("kontonr", "bank_account"),
        ("kundenname", "name"),
        ("kundennummer", None),
        ("seriennummer", None),
        ("username", None),  # an English compound is not split
        ("hostname", None),
        ("correo_electronico", "email"),
        ("posta_elettronica", "email"),
        ("e_post", "email"),
        ("national_id", "ssn"),
        ("cedula", "ssn"),
        ("conta_bancaria", "bank_account"),
        ("clabe", "bank_account"),
        ("email_template", None),
        ("template", None),
    ],
)
def test_keys_in_other_scripts_and_languages(key: str, kind: str | None) -> None:
    assert classify_field(key).kind == kind


@pytest.mark.parametrize(
    ("value", "is_name"),
    [
        ("김민준", True),
        ("이 서연", True),
        ("삼성전자", False),  # a company: no surname first
        ("田中 太郎", True),
        ("王小明", True),
        ("東京都", False),
        ("ホテル 東京", False),  # a katakana loanword first: not a surname
        ("Иван Петров", True),  # transliterated, then the name lexicon
        ("Γιώργος Παπαδόπουλος", True),
        ("محمد العلي", True),
        ("دواء", False),  # one word in a script without a lexicon could be anything
        ("דוד כהן", True),
        ("राहुल शर्मा", True),  # Devanagari vowel signs are marks, not letters
    ],
)
def test_whole_values_in_other_scripts_under_people_keys(value: str, is_name: bool) -> None:
    assert looks_like_person_name(value) is is_name


def test_biometric_records_are_known_by_their_header(engine: PiiEngine) -> None:
    record = base64.b64encode(b"FMR\x00 20\x00" + bytes(range(48))).decode()
    hex_record = (b"FAC\x00010\x00" + bytes(range(24))).hex()
    text = f"sync blob {record} then {hex_record} done"
    assert spans(engine, text) == [("biometric", record), ("biometric", hex_record)]
    assert spans(engine, "attachment Rk1SAb is short, 464d52 too") == []
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize(
    "value", ["noreply@shop.example.com", "no-reply@mailer.example.org", "MAILER-DAEMON@mx.example.net"]
)
def test_machine_senders_are_not_personal(engine: PiiEngine, value: str) -> None:
    assert spans(engine, f"From: {value}") == []
    assert spans(engine, value, "from") == []
    assert spans(engine, "reply to noreply.jane@example.com")  # a person's address that merely says it


@pytest.mark.parametrize("value", ["Ibuprofeno 400 mg", "Pro Plan 2024", "Room 101"])
def test_a_name_key_holding_a_thing_with_numbers(engine: PiiEngine, value: str) -> None:
    assert spans(engine, value, "nombre") == []
    assert spans(engine, "Jane Smith", "nombre") == [("name", "Jane Smith")]
    assert ("email", "jane@example.com") in spans(engine, "jane@example.com 2024", "full_name")


def test_the_cli_reads_the_same_way(tmp_path: Path) -> None:
    """The frame path (whole values decided column-wise) agrees with the text path above."""
    records = [
        {"nombre": "Ibuprofeno 400 mg", "from": "noreply@shop.example.com", "이름": "김민준"},
        {"nombre": "Jane Smith", "from": "jane@example.com", "이름": "삼성전자"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert (
        main(["redact", "--input", str(source), "--output", str(out), "--allow-dev-keys", "--workers", "1"]) == EXIT_OK
    )
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["nombre"] == "Ibuprofeno 400 mg" and first["from"] == "noreply@shop.example.com"
    assert first["이름"].startswith("NAME_") and second["이름"] == "삼성전자"
    assert second["nombre"].startswith("NAME_") and second["from"].startswith("EMAIL_")


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Födelsedatum: 1984-03-12", "1984-03-12"),
        ("født 12.03.1984", "12.03.1984"),
        ("urodzony 12 marca 1984", "12 marca 1984"),
        ("Doğum tarihi: 12 Mart 1984", "12 Mart 1984"),
        ("lahir 12 Maret 1984", "12 Maret 1984"),
        ("ngày sinh 12/03/1984", "12/03/1984"),
        ("生年月日 1984年3月12日", "1984年3月12日"),
        ("생년월일: 1984년 3월 12일", "1984년 3월 12일"),
        ("дата рождения 12.03.1984", "12.03.1984"),
        ("syntynyt 12.3.1984", "12.3.1984"),
    ],
)
def test_birth_dates_in_other_languages(engine: PiiEngine, text: str, date: str) -> None:
    assert spans(engine, text) == [("dob", date)]
    assert_prefilters_cover(engine, [text])


def test_a_month_word_without_birth_wording_is_a_date(engine: PiiEngine) -> None:
    assert spans(engine, "Meeting 12 Mart 2024, 12 marca 2025 and 1984年3月12日 release") == []


@pytest.mark.parametrize(
    ("text", "licence"),
    [
        ("licence D1234-56789-01234 on file", "D1234-56789-01234"),  # Ontario, right after "licence"
        ("my driving licence is MH14 20110062821", "MH14 20110062821"),  # India
        ("prawo jazdy nr 00123/15/1234", "00123/15/1234"),  # Poland
        ("Ehliyet no: 123456789", "123456789"),
        ("운전면허 11-12-345678-90", "11-12-345678-90"),
    ],
)
def test_driving_licences_of_more_countries(engine: PiiEngine, text: str, licence: str) -> None:
    assert ("drivers_license", licence) in spans(engine, text)
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize(
    "text", ["software license key ABCD-1234-EFGH-5678", "MIT license 2024 edition", "license 12 seats"]
)
def test_software_licences_are_not_driving_licences(engine: PiiEngine, text: str) -> None:
    assert spans(engine, text) == []


@pytest.mark.parametrize(
    "address",
    [
        "ul. Marszałkowska 12/4, 00-590 Warszawa",
        "Calle Mayor 5, 28013 Madrid",
        "Rua Augusta, 100, 1100-053 Lisboa",
        "Atatürk Cad. No:12, 34000 İstanbul",
        "12 rue de la Paix, 75002 Paris",
        "Kerkstraat 12, 1017 GC Amsterdam",
        "Drottninggatan 5, 111 51 Stockholm",
        "Via Roma 12, 00184 Roma",
        "Jl. Sudirman No. 45, Jakarta",
        "Mannerheimintie 3 B, 00100 Helsinki",
        "ул. Тверская 7, Москва",
        "Avenida Paulista 1578, São Paulo",
        "c/ Alcalá 45, 3º B, 28014 Madrid",
    ],
)
def test_addresses_written_the_european_way(engine: PiiEngine, address: str) -> None:
    text = f"Please ship to {address} by Friday"
    assert spans(engine, text) == [("address", address)]
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize(
    "text",
    [
        "Via Slack 3 times they asked",  # an ambiguous type word needs the postcode and town
        "Place your order 2 times",
        "Meet at Plaza Mayor 3 pm",
        "3 place settings",
        "Rue 12 release",
        "Version 2 of Calle app",
    ],
)
def test_street_words_in_other_sentences(engine: PiiEngine, text: str) -> None:
    assert [found for found in spans(engine, text) if found[0] == "address"] == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Меня зовут Дмитрий Соколов", ["Дмитрий Соколов"]),  # romanised, then the name lists
        ("Tên tôi là Nguyễn Văn An", ["Nguyễn Văn An"]),  # Vietnamese letters are Latin Extended Additional
        ("私の名前は佐藤健です", ["佐藤健"]),
        ("昨日田中太郎さんから電話がありました", ["田中太郎"]),
        ("제 이름은 박지훈입니다", ["박지훈"]),
        ("김민준 님께 연락", ["김민준"]),
        ("王伟女士和李娜小姐", ["王伟", "李娜"]),
        ("my name is priya raghunathan. thanks", ["priya raghunathan"]),  # lower case after a self-introduction
        ("hi my name is john and i need help", ["john"]),
    ],
)
def test_names_in_text_in_other_scripts_and_after_introductions(engine: PiiEngine, text: str, names: list) -> None:
    assert [value for kind, value in spans(engine, text) if kind == "name"] == names
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize(
    "text", ["担当者様へ", "お客様各位", "김치 씨앗", "my name is not important", "Объект Склад 5"]
)
def test_honorific_and_introduction_lookalikes(engine: PiiEngine, text: str) -> None:
    assert [found for found in spans(engine, text) if found[0] == "name"] == []


@pytest.mark.parametrize(
    "text",
    [
        "Historia clínica 4455667",
        "nº de prontuário 1234567",
        "UHID 20231234567",
        "カルテ番号 1234567",
        "환자번호 1234567",
        "rekam medis 00123456",
        "Hasta no: 1234567",
    ],
)
def test_medical_record_numbers_in_more_languages(engine: PiiEngine, text: str) -> None:
    assert [kind for kind, _ in spans(engine, text)] == ["medical_record"]
    assert_prefilters_cover(engine, [text])


@pytest.mark.parametrize("key", ["historia_clinica", "prontuario", "uhid", "rekam_medis", "cartella_clinica"])
def test_medical_record_keys_in_more_languages(key: str) -> None:
    assert classify_field(key).kind == "medical_record"


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("número de conta 12345678", "bank_account", "12345678"),
        ("conto corrente 000012345678", "bank_account", "000012345678"),
        ("Hesap no: 12345678", "bank_account", "12345678"),
        ("nomor rekening 1234567890", "bank_account", "1234567890"),
        ("계좌번호 110-123-456789", "bank_account", "110-123-456789"),
        ("CLABE 002010077777777771", "bank_account", "002010077777777771"),
        ("paszport AB1234567", "passport", "AB1234567"),
        ("护照 E12345678", "passport", "E12345678"),
        ("паспорт 4509 123456", "passport", "4509 123456"),  # series and number
    ],
)
def test_account_and_passport_wording_in_more_languages(engine: PiiEngine, text: str, kind: str, value: str) -> None:
    assert spans(engine, text) == [(kind, value)]
    assert_prefilters_cover(engine, [text])
