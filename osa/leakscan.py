"""A second, independent leak scanner: plain regular expressions and a few checksums, high recall on purpose.

The `no_raw_pii` check used to scan with the engine that protected the data, so it could only find what that
engine already finds. This scanner is written apart from `osa.pii` and imports nothing from it: a value the
engine misses is still caught here if it has the shape of personal data. Precision matters less than recall
(a finding fails the check), so the patterns are simple and broad; free-text types that have no shape of their
own (names, passports, medical records, ...) are found by the label in front of them ("Name: ...", "MRN ...").

Protected values are tolerated by their *shape* only (docs/pii.md, "Tokens"): pseudonyms ``EMAIL_3f9a1c2b...``,
hashes ``HASH:EMAIL:9f86...``, ciphertexts ``ENC:EMAIL:k2025:...`` and placeholders ``<EMAIL>`` are blanked
before scanning; masks (``****``) and partial forms (``***@example.com``, ``***-**-6789``) have no digits or
local parts left to match.

A finding is a location — table, column, row key, type — never the value.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import pyarrow as pa

#: The 14 types of personal data, spelled as the PII engine spells them (a test keeps the two lists equal).
PII_TYPES: tuple[str, ...] = (
    "email",
    "phone",
    "ssn",
    "credit_card",
    "passport",
    "drivers_license",
    "address",
    "name",
    "dob",
    "ip_address",
    "bank_account",
    "tax_id",
    "medical_record",
    "biometric",
)

_TYPE_WORD = r"[A-Z][A-Z_]{1,19}"
#: Protection tokens, by shape: pseudonym, keyed hash, ciphertext, placeholder.
PROTECTED = re.compile(
    rf"\b{_TYPE_WORD}_[0-9a-f]{{8,64}}\b"
    rf"|\bHASH:{_TYPE_WORD}:[0-9a-f]{{16,64}}\b"
    rf"|\bENC:{_TYPE_WORD}:[A-Za-z0-9_-]{{1,32}}:[A-Za-z0-9_-]{{16,}}"
    rf"|<{_TYPE_WORD}>"
)

_SEP = r"[ .\-]?"
_LABEL_GAP = r"\s*(?:no\.?|num(?:ber)?|#|id)?\s*[:=#\-]?\s*"
_STREET = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|close|"
    r"crescent|square|sq|highway|hwy|parkway|pkwy)"
)
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}"
    r"|\d{1,2}\s+[A-Za-z]{3,9}\.?,?\s+\d{4}|[A-Za-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})"
)

#: (type, pattern, validator or None). Each pattern is tried over the whole text; a match that its validator
#: rejects is no finding.
_PATTERNS: list[tuple[str, re.Pattern[str], object]] = [
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"), None),
    ("ssn", re.compile(r"(?<![\d\-])(\d{3})-(\d{2})-(\d{4})(?![\d\-])"), "ssn"),
    (
        "ssn",
        re.compile(r"(?i)\b(?:ssn|social security(?: number)?)" + _LABEL_GAP + r"\d{3}[ \-]?\d{2}[ \-]?\d{4}\b"),
        None,
    ),
    ("credit_card", re.compile(r"(?<![\w\-])\d(?:[ \-]?\d){12,18}(?![\w\-])"), "luhn"),
    (
        "phone",
        re.compile(
            r"(?<![\w.+\-:/])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,5}\)[ .\-]?)?\d{2,5}(?:[ .\-]\d{2,5}){1,4}(?![\w\-:/]|\.\d)"
        ),
        "phone",
    ),
    ("phone", re.compile(r"(?<![\w+])\+\d{8,15}\b"), None),
    ("passport", re.compile(r"(?i)\bpassport" + _LABEL_GAP + r"[A-Z0-9]{6,12}\b"), None),
    (
        "drivers_license",
        re.compile(r"(?i)(?:\bdriver'?s?[ \-]?licen[cs]e|\bDL\b|\bDLN\b)" + _LABEL_GAP + r"[A-Z0-9][A-Z0-9\-]{4,16}\b"),
        None,
    ),
    (
        "address",
        re.compile(r"(?i)\b\d{1,6}[A-Z]?\s+(?:[A-Za-z][A-Za-z'\-]*\.?\s+){1,4}" + _STREET + r"\b"),
        None,
    ),
    ("address", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b"), None),  # UK postcode
    (
        "name",
        re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame)\.?\s+[A-Z][a-z'\-]+"),
        None,
    ),
    (
        "name",
        re.compile(
            r"(?i:\b(?:(?:full |first |last |contact |patient |customer )?name|attn|contact)\s*[:=]\s*)"
            r"[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+)*"
        ),
        None,
    ),
    ("dob", re.compile(r"(?i)\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?)\s*[:=\-]?\s*" + _DATE), None),
    ("ip_address", re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"), "ipv4"),
    ("ip_address", re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])"), "ipv6"),
    ("bank_account", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"), "iban"),
    (
        "bank_account",
        re.compile(r"(?i)\b(?:bank )?(?:account|acct|routing)" + _LABEL_GAP + r"\d{6,17}\b"),
        None,
    ),
    ("tax_id", re.compile(r"(?<![\d\-])\d{2}-\d{7}(?![\d\-])"), None),  # US EIN
    ("tax_id", re.compile(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"), None),  # UK NINO
    (
        "tax_id",
        re.compile(
            r"(?i)\b(?:tax ?id|tin|ein|itin|vat(?: no| number)?|utr)" + _LABEL_GAP + r"[A-Z]{0,2}\d[\d \-]{6,14}\d"
        ),
        None,
    ),
    (
        "medical_record",
        re.compile(
            r"(?i)\b(?:mrn|medical record(?: number)?|patient id|health record|nhs(?: number)?)"
            + _LABEL_GAP
            + r"[A-Z0-9][A-Z0-9\-]{3,15}\b"
        ),
        None,
    ),
    (
        "biometric",
        re.compile(
            r"(?i)\b(?:biometric|fingerprint|retina|iris|face ?id|facial|voice ?print|palm ?print)"
            r"(?: scan| template| hash| data| id| print| signature)?\s*[:=#]\s*\S{6,}"
        ),
        None,
    ),
]


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid(kind: object, match: re.Match[str]) -> bool:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if kind == "ssn":
        area, group, serial = match.groups()
        return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
    if kind == "luhn":
        return 13 <= len(digits) <= 19 and _luhn(digits) and len(set(digits)) > 1
    if kind == "phone":
        # 9..15 digits (E.164), not a date or a time, not all the same digit
        if not 9 <= len(digits) <= 15 or len(set(digits)) == 1:
            return False
        return not re.fullmatch(r"\d{4}[.\-]\d{2}[.\-]\d{2}(?:[ T]\d{2}[.:]\d{2}.*)?", text)
    if kind == "ipv4":
        return all(int(part) <= 255 for part in text.split("."))
    if kind == "ipv6":
        if "::" not in text and text.count(":") != 7:
            return False
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            return False
        return sum(1 for group in text.split(":") if group) >= 2
    if kind == "iban":
        compact = text.replace(" ", "")
        number = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
        return int(number) % 97 == 1
    return True


def blank_protected(text: str) -> str:
    """`text` with every protection token replaced by a space (tokens never count, nor join neighbours)."""
    return PROTECTED.sub(" ", text)


def scan_text(text: str) -> list[str]:
    """The types of personal data found in `text` (sorted, each once), ignoring protection tokens."""
    rest = blank_protected(text)
    found = set()
    for pii_type, pattern, validator in _PATTERNS:
        if pii_type in found:
            continue
        for match in pattern.finditer(rest):
            if validator is None or _valid(validator, match):
                found.add(pii_type)
                break
    return sorted(found)


def unprotected(text: str) -> bool:
    """Whether a value of a column declared to hold personal data keeps any letter or digit outside tokens
    (a mask or a partial form keeps only its last four characters or its domain, so those are allowed)."""
    rest = blank_protected(text)
    if re.fullmatch(r"[\W_]*", rest):
        return False
    partial = r"[*\W_]*[A-Za-z0-9]{0,4}|\*+@[\w.\-]+|(?:[A-Z]\*+\s*)+"
    return not re.fullmatch(partial, rest.strip())


class Leak(NamedTuple):
    """Where raw personal data was found: never the value."""

    table: str
    column: str
    row_key: str
    pii_type: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column} @ {self.row_key}: {self.pii_type}"


def _strings(value: object) -> Iterable[str]:
    if value is None:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _texts(value: object, is_json: bool) -> Iterable[str]:
    """The strings to scan in a cell; a JSON document is read and each string leaf scanned (and its keys'
    values joined with their key, so a label such as ``"ssn": "..."`` is seen)."""
    for text in _strings(value):
        if not is_json:
            yield text
            continue
        try:
            document = json.loads(text)
        except ValueError:
            yield text
            continue
        yield from _json_texts(document)


def _json_texts(document: object, key: str = "") -> Iterable[str]:
    if isinstance(document, dict):
        for k, v in document.items():
            yield from _json_texts(v, str(k))
    elif isinstance(document, list):
        for item in document:
            yield from _json_texts(item, key)
    elif isinstance(document, str):
        yield f"{key.replace('_', ' ')}: {document}" if key else document


def scan_rows(
    table: str,
    rows: pa.Table,
    *,
    key: Sequence[str] = (),
    declared: Mapping[str, str] | None = None,
    json_columns: Sequence[str] = (),
) -> list[Leak]:
    """Every (column, row, type) of `rows` holding raw personal data.

    `declared` maps columns declared to hold one type of personal data as a whole value (a contact name, an
    e-mail list) to that type: any value there that is not protected is a leak, whatever its shape. The row key
    is `key`'s values joined with "/", or ``row <n>`` when a key column itself holds a finding (the key would
    show the value).
    """
    declared = declared or {}
    text_columns = [
        name
        for name, field in zip(rows.column_names, rows.schema, strict=True)
        if pa.types.is_string(field.type)
        or pa.types.is_large_string(field.type)
        or (pa.types.is_list(field.type) and pa.types.is_string(field.type.value_type))
    ]
    found: list[tuple[int, str, str]] = []
    for name in text_columns:
        is_json = name in json_columns
        for row, value in enumerate(rows.column(name).to_pylist()):
            types: set[str] = set()
            for text in _texts(value, is_json):
                types.update(scan_text(text))
                if name in declared and unprotected(text):
                    types.add(declared[name])
            found.extend((row, name, t) for t in sorted(types))
    if not found:
        return []
    leaky_keys = {row for row, column, _ in found if column in key}
    keys = [rows.column(k).to_pylist() for k in key if k in rows.column_names]
    leaks = []
    for row, column, pii_type in found:
        if row in leaky_keys or not keys:
            row_key = f"row {row}"
        else:
            row_key = "/".join("" if values[row] is None else str(values[row]) for values in keys)
        leaks.append(Leak(table, column, row_key, pii_type))
    return leaks


__all__ = ["PII_TYPES", "PROTECTED", "Leak", "blank_protected", "scan_rows", "scan_text", "unprotected"]
