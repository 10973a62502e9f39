"""The hot-path shortcuts give exactly what the straightforward code gives."""

from __future__ import annotations

import hashlib
import hmac
import re

import numpy as np
import polars as pl
import pytest

from osa.pii import PiiEngine, PiiKeys, PolicyContext
from osa.pii.analyzer import blank_tokens
from osa.pii.engine import _without_word_boundaries
from osa.pii.operators import TOKEN_RE, Operators, _hmac_states
from osa.pii.recognizers import _SENTENCE_BREAK, CONTEXT_WINDOW, BankAccountRecognizer, context_before
from osa.pii.validators import digits_of

from .conftest import assert_prefilters_cover

TEXTS = [
    "Call Jane Doe at +1 415 555 0132 or jane.doe@example.com",
    "Passport: C01X00T47, born 1985-03-04, SSN 123-45-6789",
    "Please call 4155550132 today. Account number: 12345678",
    "NHS number 943 476 5919; routing 021000021; tax id 12-3456789",
    "fingerprint template 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "Kontonummer 1234567890, sort code 12-34-56, DL D1234567, MRN-4455667 patient id",
    "Adopt the <region>_<channel>_<quarter> naming scheme. EMAIL_3f9a1c2b5d6e7f80 <NAME>",
    "HASH:SSN:9f86d081884c7d659a2feaa0 and ENC:EMAIL:k2025:AAAAAAAAAAAAAAAAAAAAAAAA here",
    "Résumé of José García-López, né 1970; Führerschein B072RRE2I55; ſsn 123456789",
    "version 1.2.3.4, build 7.5.5.2590, no phone here, call me maybe",
    "",
    "plain lower case text without anything",
    "conto corrente 000012345678, rekeningnummer 123456789, Hesap no: 12345678, 口座番号 1234567",
    "CLABE 002010077777777771",
    "계좌번호 110-123-456789 / número de conta 12345678 / nomor rekening 1234567890",
]


@pytest.mark.parametrize("key", [b"k" * 32, b"short", b"x" * 128, b"long key " * 40])
def test_hmac_pads_match_hmac_digest(key: bytes) -> None:
    inner, outer = _hmac_states(key)
    for message in (b"", b"email\x1fjane@example.com", "name\x1fjosé".encode() * 50):
        i = inner.copy()
        i.update(message)
        o = outer.copy()
        o.update(i.digest())
        assert o.digest() == hmac.digest(key, message, hashlib.sha512)


@pytest.mark.parametrize("mode", ["pseudonymize", "hash", "anonymize", "partial", "mask", "remove"])
def test_apply_with_fingerprint_matches_apply_and_fingerprint(mode: str) -> None:
    fast, slow = Operators(PiiKeys.development()), Operators(PiiKeys.development())
    for value, pii_type in [("Jane.Doe@Example.com", "email"), ("+1 415 555 0132", "phone"), ("Doe, Jane", "name")]:
        for _ in range(2):  # cold, then cached
            assert fast.apply_with_fingerprint(mode, value, pii_type) == (
                slow.apply(mode, value, pii_type),
                slow.fingerprint(value, pii_type),
            )


def test_apply_with_fingerprint_encrypts_afresh_every_time() -> None:
    ops = Operators(PiiKeys.development())
    first, fingerprint = ops.apply_with_fingerprint("encrypt", "123-45-6789", "ssn")
    second, _ = ops.apply_with_fingerprint("encrypt", "123-45-6789", "ssn")
    assert first != second and ops.decrypt(first) == ops.decrypt(second) == "123-45-6789"
    assert fingerprint == ops.fingerprint("123-45-6789", "ssn")


def test_blank_tokens_gate_changes_nothing() -> None:
    for text in TEXTS:
        assert blank_tokens(text) == TOKEN_RE.sub(lambda m: " " * (len(m.group(0)) - 4) + "xxxx", text)


def test_context_before_shortcut_matches_regex() -> None:
    def slow(text: str, start: int) -> str:
        chunk = text[max(0, start - CONTEXT_WINDOW) : start]
        breaks = list(_SENTENCE_BREAK.finditer(chunk))
        return (chunk[breaks[-1].end() :] if breaks else chunk).lower()

    for text in TEXTS:
        for start in range(len(text) + 1):
            assert context_before(text, start) == slow(text, start)


def test_digits_of_matches_isdigit() -> None:
    for text in [*TEXTS, "١٢٣ 45² ⑦", "+49 (0)30 1234567"]:
        assert digits_of(text) == "".join(c for c in text if c.isdigit())


def test_first_chars_lookahead_keeps_matches() -> None:
    pattern, lookahead = BankAccountRecognizer.pattern, f"(?i)(?={BankAccountRecognizer.first_chars})"
    assert pattern.pattern.startswith(lookahead)
    plain = re.compile("(?i)" + pattern.pattern[len(lookahead) :])
    for text in TEXTS:
        assert [m.span(1) for m in pattern.finditer(text)] == [m.span(1) for m in plain.finditer(text)]


def test_word_boundaries_removed_only_where_asserted() -> None:
    assert _without_word_boundaries(r"(?i)\bdob\b|d\.o\.b") == r"(?i)dob|d\.o\.b"
    assert _without_word_boundaries(r"a\\b") == r"a\\b"  # an escaped backslash, then "b"


def test_masks_equal_one_expression_per_recognizer(engine: PiiEngine) -> None:
    """The keyword gate and the two-stage phone mask select exactly the same rows."""
    values = pl.Series("v", [*TEXTS, None], dtype=pl.String)
    expected = np.zeros(len(values), dtype=np.int64)
    for index, recognizer in enumerate(engine.recognizers):
        if recognizer.candidate_mask is not None:  # its expression is only half of the prefilter
            hits = np.asarray(recognizer.candidate_mask(values))
        else:
            hits = pl.select(recognizer.candidate_expr(pl.lit(values)).fill_null(False)).to_series().to_numpy()
        expected[hits] |= 1 << index
    assert engine._masks(values).tolist() == expected.tolist()


def test_list_element_indices(engine: PiiEngine) -> None:
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "to": [["x", "jane@example.com"], [], None, ["bob@example.org", "n/a", "amy@example.net"]],
        },
        schema_overrides={"to": pl.List(pl.String)},
    )
    result = engine.protect_frame(frame, table="t", record_id_column="id", context=PolicyContext())
    assert result.audit.select("record_id", "field_path").rows() == [("a", "to[1]"), ("d", "to[0]"), ("d", "to[2]")]
    out = result.frame["to"].to_list()
    assert out[0][0] == "x" and out[0][1].startswith("EMAIL_")
    assert out[1] == [] and out[2] is None
    assert out[3][1] == "n/a" and out[3][0].startswith("EMAIL_") and out[3][2].startswith("EMAIL_")


@pytest.mark.parametrize(
    "names", [["passport_context"], ["passport_context", "email_regex"], ["phone_context", "person_name_lexicon"]]
)
def test_masks_with_custom_recognizer_sets(names: list[str]) -> None:
    from osa.pii.recognizers import all_recognizers

    engine = PiiEngine(PiiKeys.development(), recognizers=[r for r in all_recognizers() if r.name in names])
    assert_prefilters_cover(engine, TEXTS)


def test_name_candidate_mask_matches_ungated_rule() -> None:
    from osa.pii import names

    recognizer = names.PersonNameRecognizer()
    texts = [*TEXTS, "Hi Chad, thanks", "items Apple", "Dear Dr. Okafor", "Contact: Jane", "into London", "mr Smith"]
    values = pl.Series("v", [*texts, None], dtype=pl.String)
    context = values.str.contains(names._RUST_CONTEXT).fill_null(False).to_numpy()
    pairs = values.str.contains(names._RUST_PAIR).fill_null(False).to_numpy()
    lexicon = np.zeros(len(values), dtype=bool)
    strong = set(names._strong_names().to_list())
    for row, text in enumerate(values.to_list()):
        if pairs[row]:
            words = pl.Series([text]).str.extract_all(names._RUST_WORD).explode().drop_nulls().to_list()
            lexicon[row] = any(w.lower() in strong for w in words)
    assert recognizer.candidate_mask(values).tolist() == (context | lexicon).tolist()


def _inert_examples() -> list[str]:
    """UUIDs, ISO timestamps and amounts in many spellings (seeded, so the test is stable)."""
    import random
    import uuid

    rng = random.Random(11)
    values: list[str] = []
    for _ in range(400):
        u = str(uuid.UUID(int=rng.getrandbits(128)))
        values += [u, u.upper()]
        y, mo, d, h, mi, s = (
            rng.randint(1900, 2099),
            rng.randint(1, 12),
            rng.randint(1, 28),
            rng.randint(0, 23),
            rng.randint(0, 59),
            rng.randint(0, 59),
        )
        values += [
            f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z",
            f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}",
            f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{rng.randint(0, 999999)}+0{rng.randint(0, 9)}:00",
        ]
        amount = rng.randint(0, 10**9)
        values += [
            f"${amount:,}.{rng.randint(0, 99):02d}",
            f"{amount % 10**6}",
            f"-{amount % 1000}.{amount % 97}%",
            f"0.{amount % 10**5}",
            f"€{amount:,}",
            f"{amount:,}",
        ]
    return values


def test_inert_values_hold_nothing_any_recognizer_finds(engine: PiiEngine) -> None:
    """The frame path skips values matching INERT_VALUE: no recognizer may flag one."""
    from osa.pii.engine import INERT_VALUE

    values = _inert_examples()
    assert pl.Series(values).str.contains(INERT_VALUE).all()
    flagged = [v for v in values if engine.analyze(v)]
    assert flagged == []
    # ... while PII-shaped numbers and bare dates stay outside the pattern.
    for value in ("4111111111111111", "4111 1111 1111 1111", "123-45-6789", "123456789", "2024-01-31", "+14155550132"):
        assert not pl.Series([value]).str.contains(INERT_VALUE).item(), value


def test_inert_values_are_skipped_but_kept(engine: PiiEngine) -> None:
    values = pl.Series("v", ["2024-01-31T10:00:00Z", "call 4155550132", None, "$38,167.72", "SSN 123-45-6789"])
    mask = engine._masks(values)
    assert mask[0] == 0 and mask[2] == 0 and mask[3] == 0
    assert mask[1] != 0 and mask[4] != 0


def test_overlap_fast_path_matches_full_rule() -> None:
    import random

    from osa.pii.analyzer import _resolve_clashes, resolve_overlaps
    from osa.pii.types import Finding

    rng = random.Random(5)
    for _ in range(3000):
        findings = []
        for _ in range(rng.randint(0, 5)):
            start = rng.randint(0, 60)
            findings.append(
                Finding(
                    rng.choice(["email", "phone", "name"]),
                    start,
                    start + rng.randint(1, 15),
                    rng.choice([0.6, 0.8, 0.95]),
                    "t",
                )
            )
        expected = _resolve_clashes(findings) if len(findings) > 1 else findings
        assert resolve_overlaps(findings) == expected


WHOLE_VALUE_CASES = [
    "jane@example.com",
    " jane@example.com",
    "jane@example.com\t",
    "jane@example.com\x1c",
    "\xa0jane@x.io",
    "N/A",
    "n/a",
    "null",
    "NULL",
    "unknown",
    "UNKNOWN",
    "-",
    "?",
    "tbd",
    "***",
    "j***@example.com",
    "EMAIL_0123456789abcdef",
    "<EMAIL>",
    "HASH:EMAIL:0123456789abcdef0123",
    "ENC:EMAIL:k1:AAAAAAAAAAAAAAAAAAAA",
    "José García",
    "x",
    "jane_doe@example.com",
    "mailto:jane@example.com",
    "a" * 300,
    "\x1f",
    " ",
    "",
]


@pytest.mark.parametrize("column", ["contact_email", "ssn", "home_address", "date_of_birth"])
def test_whole_value_fast_path_matches_analyzer(engine: PiiEngine, column: str) -> None:
    frame = pl.DataFrame({column: [*WHOLE_VALUE_CASES, None]})
    found = engine.analyze_frame(frame)
    got: dict[int, list[tuple]] = {}
    for row, _path, pii_type, start, end, confidence, detector in found.iter_rows():
        got.setdefault(row, []).append((pii_type, start, end, confidence, detector))
    for row, value in enumerate(WHOLE_VALUE_CASES):
        expected = [tuple(f) for f in engine.analyze(value, column)] if value.strip() else []
        assert got.get(row, []) == expected, repr(value)


def test_dfa_friendly_word_boundaries_match_like_unicode_boundaries(engine: PiiEngine) -> None:
    """Class-based boundaries written for ``\\b``: the same rows on ordinary text (next to
    marks or other numbers they accept more, which keeps them supersets of the Python rules)."""
    from osa.pii import names

    texts = [
        *TEXTS,
        *_inert_examples()[:50],
        "Hi Chad, thanks",
        "Dear Dr. Okafor",
        "Contact: Jane",
        "mr Smith",
        "ThéoDr. Smith",
        "éDr Smith",
        "Dr Éloise",
        "café Street 12",
        "12 Baker Street",
        "12 Baker Streets",
        "QQ 12 34 56 C",
        "AQQ123456C",
        "éQQ123456C",
        "SW1A 1AA",
        "SW1A 1AAé",
        "APO AE 09012",
        "éAPO AE 09012",
        "12-3456789",
        "é12-3456789",
        "12-34567890",
        "call 0049 30 1234567",
        "é0049301234567",
        "ſir Jones",
    ]
    values = pl.Series("v", [*texts, None], dtype=pl.String)
    pairs = [
        (
            names._RUST_CONTEXT,
            rf"(?i:\b(?:{names._TITLES})\.?|\b(?:{names._GREETINGS})[,!]?|"
            rf"\b(?:{names._LABELS})[ \t]*[:=-])\s*\p{{Lu}}",
        ),
        (
            next(r for r in engine.recognizers if r.name == "uk_nino").prefilter,
            r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Z]\b",
        ),
        (
            next(r for r in engine.recognizers if r.name == "uk_postcode").prefilter,
            r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b",
        ),
        (
            next(r for r in engine.recognizers if r.name == "us_military_address").prefilter,
            r"\b(?:APO|FPO|DPO) (?:AA|AE|AP) \d{5}",
        ),
        (next(r for r in engine.recognizers if r.name == "ein_prefix").prefilter, r"\b\d{2}-\d{7}\b"),
        (
            next(r for r in engine.recognizers if r.name == "phone_international").prefilter,
            r"(?:\+|\b00)\d{1,3}(?:[ .\-()]{0,3}\d){5,}",
        ),
    ]
    for fast, reference in pairs:
        assert values.str.contains(fast).to_list() == values.str.contains(reference).to_list(), reference


def test_bounded_prefilters_keep_every_python_match(engine: PiiEngine) -> None:
    """ipv4, card and bare-phone prefilters are bounded like their patterns: still supersets."""
    texts = [
        "10.0.0.1",
        "ip 192.168.1.10.",
        "(8.8.8.8)",
        "x=1.2.3.4;",
        "addr 127.0.0.1\u0301",
        "a\u0301 10.1.1.1",
        "build 2.10.3.7236",
        "1.2.3.4.5",
        "v1.2.3.4",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "card:4111111111111111.",
        "(4111111111111111)",
        "GB39FBDV01134060929870",
        "é4111111111111111",
        "call 4155550132",
        "Tel:4155550132",
        "best number 4155550132",
        "work no 4155550132",
        "WhatsApp 4155550132",
        "account number 0360214722",
        "x²10.0.0.1",
        "_4111111111111111",
        "020 7946 0958",
        "(030) 12345678",
        "(0 30) 1234 5678",
        "01 23 45 67 89",
        "tel 0301234567",
        "a\u0301 020 7946 0958",
        "call 030 1234 5678 ext 12",
        "5 030 12345678",
        "x: 030-1234-5678.",
        "exp 09/27",
        "on 07/25/2024",
        "030/1234567",
        "12 Baker Street",
        "221B Baker Street, London NW1 6XE",
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
        "Flat 4, Robson Dale",
        "Apt 5b, 3 Main St.",
        "12\nBaker\nStreet",
        "12 Baker Street\u0301 is",
        "Summit Studio",
        "2dr Smith",
        "x_Dr Smith",
        "hello\u0301 Jane",
        "Contact: Jane",
        "thank you Jane",
        "ΩDr Smith",
        "SSN 123-45-6789.",
        "(123 45 6789)",
        "a\u0301123-45-6789",
        "ITIN 912-70-1234",
        "9127012345",
        "ITIN 912 70 1234",
        "IBAN GB82WEST12345698765432",
        "to:DE89 3704 0044 0532 0130 00",
        "a\u0301GB82WEST12345698765432",
        "PRD954537",
    ]
    masks = assert_prefilters_cover(engine, texts)
    bits = {r.name: 1 << i for i, r in enumerate(engine.recognizers)}
    assert not masks[texts.index("build 2.10.3.7236")] & bits["ipv4"]
    assert not masks[texts.index("GB39FBDV01134060929870")] & bits["credit_card_luhn"]
    assert not masks[texts.index("account number 0360214722")] & bits["phone_context"]
    assert not masks[texts.index("on 07/25/2024")] & bits["phone_national"]
    assert not masks[texts.index("Summit Studio")] & bits["street_address"]
    assert not masks[texts.index("PRD954537")] & bits["iban_mod97"]
    assert masks[texts.index("12 Baker Street")] & bits["street_address"]


def _reference_national_phone(text: str) -> tuple[str, bool] | None:
    """`validators.national_phone` written with libphonenumber's public API only (the code it replaced)."""
    import phonenumbers

    from osa.pii import validators as v

    digits = digits_of(text)
    if not 7 <= len(digits) <= 13 or v._DATE_LIKE.fullmatch(text.strip()):
        return None
    valid = None
    for region in v.PHONE_REGIONS:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        trunk = metadata.national_prefix or ""
        general = re.compile(metadata.general_desc.national_number_pattern)
        lengths = metadata.general_desc.possible_length
        stripped = digits[len(trunk) :] if trunk and digits.startswith(trunk) else None
        for significant in (stripped, digits):
            if significant is None or len(significant) not in lengths or not general.fullmatch(significant):
                continue
            number = phonenumbers.PhoneNumber(
                country_code=phonenumbers.country_code_for_region(region), national_number=int(significant)
            )
            if significant.startswith("0"):
                number.italian_leading_zero = True
                number.number_of_leading_zeros = len(significant) - len(significant.lstrip("0"))
            if not phonenumbers.is_valid_number_for_region(number, region):
                break  # as written only when the stripped form does not even match the general pattern
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            if v._same_layout(text, national):
                return e164, True
            valid = valid or e164
            break
    return (valid, False) if valid else None


def _phone_texts() -> list[str]:
    """Every region's example numbers in its own layout, digit-for-digit variants with other
    separators, and random digit runs written in common layouts (most invalid)."""
    import random

    import phonenumbers

    from osa.pii import validators as v

    rng = random.Random(13)
    texts: list[str] = []
    for region in v.PHONE_REGIONS:
        for number_type in phonenumbers.PhoneNumberType.values():
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is None:
                continue
            national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
            texts += [national, national.replace(" ", "-"), digits_of(national), national.replace(" ", "")]
            for _ in range(8):  # same layout, other digits
                texts.append(re.sub(r"\d", lambda m: str(rng.randrange(10)), national))
    for _ in range(3000):
        size = rng.randrange(7, 14)
        run = "".join(str(rng.randrange(10)) for _ in range(size))
        cut = sorted(rng.sample(range(1, size), 2))
        texts.append(
            rng.choice(["{} {} {}", "({}) {}-{}", "{}-{}-{}", "{}.{}.{}", "{}{}{}"]).format(
                run[: cut[0]], run[cut[0] : cut[1]], run[cut[1] :]
            )
        )
    return texts


def test_national_phone_matches_libphonenumber_public_api() -> None:
    """The compiled per-region rules (validity per number type, national layout) give what
    ``is_valid_number_for_region`` + ``format_number`` give, on valid and invalid numbers of every region."""
    from osa.pii import validators as v

    texts = _phone_texts()
    accepted = 0
    for text in texts:
        expected = _reference_national_phone(text)
        assert v.national_phone.__wrapped__(text) == expected, text
        accepted += expected is not None
    assert accepted > len(texts) // 4  # the oracle is not vacuous: many are real numbers


def test_region_rules_match_libphonenumber_on_random_numbers() -> None:
    import random

    import phonenumbers

    from osa.pii import validators as v

    rng = random.Random(7)
    checked = valid = 0
    for region, rules in v._REGION_RULES.items():
        assert phonenumbers.region_code_for_country_code(rules.country_code) == region  # format_number's metadata
        for size in sorted(rules.lengths):
            for _ in range(150):
                significant = "".join(str(rng.randrange(10)) for _ in range(size))
                number = phonenumbers.PhoneNumber(country_code=rules.country_code, national_number=int(significant))
                if significant.startswith("0"):
                    number.italian_leading_zero = True
                    number.number_of_leading_zeros = len(significant) - len(significant.lstrip("0"))
                expected = phonenumbers.is_valid_number_for_region(number, region)
                assert (rules.general.fullmatch(significant) is not None and rules.valid(significant)) == expected
                national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
                assert rules.national_format(significant) == national, (region, significant)
                checked += 1
                valid += expected
    assert valid > checked // 20
