"""National identification and tax numbers of other countries (``osa.pii.national_ids``): every scheme's
example is found after its label, in text and in the CLI's output; the distinctive written forms without one;
numbers inside longer ones, and failed checksums without a label, are left alone. Keys in the languages the
schemes come from name their values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from osa.pii import PiiEngine
from osa.pii.cli import EXIT_OK, main
from osa.pii.fields import classify_field
from osa.pii.national_ids import KEY_TYPES, SCHEMES, STANDALONE_PREFILTER, Scheme

from .conftest import assert_prefilters_cover, spans


def _written_label(scheme: Scheme) -> str:
    """A label of the scheme as a person writes it: its first one that is plain text (not a pattern)."""
    for label in scheme.labels:
        plain = re.sub(r"\\s[+*?]", " ", label.replace(r"\b", ""))
        if re.fullmatch(label, plain, re.IGNORECASE):
            return plain
    raise AssertionError(f"{scheme.module_name} has no plain-text label")


def _text_after_label(scheme: Scheme) -> str:
    return f"Checked the {_written_label(scheme)}: {scheme.example} at the desk."


@pytest.mark.parametrize("scheme", SCHEMES, ids=[s.module_name for s in SCHEMES])
def test_each_example_is_valid_and_found_after_its_label(engine: PiiEngine, scheme: Scheme) -> None:
    assert scheme.valid(scheme.example)
    text = _text_after_label(scheme)
    assert (scheme.pii_type, scheme.example) in spans(engine, text) or any(
        found == scheme.example for _, found in spans(engine, text)
    ), spans(engine, text)


@pytest.mark.parametrize(
    "scheme", [s for s in SCHEMES if s.standalone], ids=[s.module_name for s in SCHEMES if s.standalone]
)
def test_distinctive_forms_are_found_without_a_label(engine: PiiEngine, scheme: Scheme) -> None:
    text = f"Ref {scheme.example} attached"
    assert (scheme.pii_type, scheme.example) in spans(engine, text)
    assert pl.Series([scheme.example]).str.contains(STANDALONE_PREFILTER).item()


def test_prefilters_cover_every_example(engine: PiiEngine) -> None:
    assert_prefilters_cover(
        engine, [_text_after_label(s) for s in SCHEMES] + [f"Ref {s.example} ok" for s in SCHEMES if s.standalone]
    )


def test_a_mistyped_number_after_its_label_is_still_protected(engine: PiiEngine) -> None:
    assert ("ssn", "44051401358") in spans(engine, "PESEL: 44051401358 (typo)")  # check digit off by one


def test_two_numbers_after_two_labels(engine: PiiEngine) -> None:
    assert spans(engine, "PESEL 44051401359 NIP 8567346215") == [("ssn", "44051401359"), ("tax_id", "8567346215")]


@pytest.mark.parametrize(
    "text",
    [
        "Charge card 5302 7501 4289 0114 please",  # Aadhaar-shaped groups inside a card number
        "Refund to GB72 RVLX 3145 6830 5659 87",  # ... and inside an IBAN
        "ref 390.533.447-06 on the old form",  # a CPF's shape, but its check digits fail and no label says CPF
        "build 20231104-1234 shipped",
        "we run 123456789 rows nightly",
        "SKU ABCDE1234F restocked",
    ],
)
def test_lookalikes_are_left_alone(engine: PiiEngine, text: str) -> None:
    assert [found for found in spans(engine, text) if found[0] in ("ssn", "tax_id")] == []


@pytest.mark.parametrize(("key", "pii_type"), sorted(KEY_TYPES.items()))
def test_the_schemes_key_words_name_their_values(key: str, pii_type: str) -> None:
    assert classify_field(key).kind == pii_type
    assert classify_field(f"{key}_number").kind == pii_type


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("födelsedatum", "dob"),
        ("fødselsdato", "dob"),
        ("doğum_tarihi", "dob"),
        ("data_urodzenia", "dob"),
        ("tanggal_lahir", "dob"),
        ("ngay_sinh", "dob"),
        ("syntymäaika", "dob"),
        ("passnummer", "passport"),
        ("paszport", "passport"),
        ("pasaport_no", "passport"),
        ("prawo_jazdy", "drivers_license"),
        ("numer_prawa_jazdy", "drivers_license"),
        ("ehliyet_no", "drivers_license"),
        ("korkortsnummer", "drivers_license"),
        ("imię", "name"),
        ("nazwisko", "name"),
        ("soyadı", "name"),
        ("efternamn", "name"),
        ("ho_ten", "name"),
        ("dia_chi", "address"),
        ("alamat", "address"),
        ("so_dien_thoai", "phone"),
        ("número_seguro_social", "ssn"),
        ("numéro_de_sécurité_sociale", "ssn"),
        ("vergi_no", "tax_id"),
        ("order_number", None),
        ("campaign_name", None),
    ],
)
def test_keys_in_other_languages(key: str, kind: str | None) -> None:
    assert classify_field(key).kind == kind


def test_the_cli_leaves_no_national_number_behind(tmp_path: Path) -> None:
    """The user's entry point, on a file: numbers under keys, after labels in notes, and standalone."""
    records = [{"pesel": "44051401359", "notes": f"Also {_text_after_label(scheme)}"} for scheme in SCHEMES] + [
        {"ref": scheme.example} for scheme in SCHEMES if scheme.standalone
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert (
        main(["redact", "--input", str(source), "--output", str(out), "--allow-dev-keys", "--workers", "1"]) == EXIT_OK
    )
    written = out.read_text(encoding="utf-8")
    assert len(written.splitlines()) == len(records)
    left = [s.example for s in SCHEMES if s.example in written or s.module.compact(s.example) in written]
    assert left == []
