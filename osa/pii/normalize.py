"""Canonical forms per PII type, so the same identifier written two ways matches.

"Jane.Doe@Example.com" and "jane.doe@example.com", "+1 (415) 555-0132" and
"415.555.0132", "Doe, Jane" and "jane doe" must give the same fingerprint and the
same pseudonym, or joins and data-subject requests silently miss rows.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re

from . import validators as v
from .lexicon import TITLES, fold

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_NAME_JUNK = re.compile(r"[^\w\s'-]+")
_SPACES = re.compile(r"\s+")
_ADDRESS_WORDS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "lane": "ln",
    "drive": "dr",
    "court": "ct",
    "place": "pl",
    "strasse": "str",
    "straße": "str",
}


def normalize_email(value: str) -> str:
    return value.strip().lower()


def normalize_phone(value: str, *, nanp_default: bool = True) -> str:
    """E.164: '+' and digits. 10-digit NANP numbers get +1 (configurable); other national
    formats are read with libphonenumber (``validators.national_phone``)."""
    text = value.strip()
    digits = v.digits_of(text.replace("(0)", ""))
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if nanp_default and len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01":
        return "+1" + digits
    if nanp_default and len(digits) == 11 and digits[0] == "1" and digits[1] not in "01" and digits[4] not in "01":
        return "+" + digits
    if nanp_default and len(digits) == 10 and text[:1] == "(" and text[4:5] == ")":
        return digits  # "(055) 123-4567": NANP-shaped but not dialable; its digits, as before
    # Other national formats: E.164 when libphonenumber reads the number in one of the configured
    # regions, so "020 7946 0958" and "+44 20 7946 0958" meet (one fingerprint).
    national = v.national_phone(text)
    if national is not None:
        return national[0]
    return digits  # national number of unknown country: keep as written (digits)


def normalize_name(value: str) -> str:
    text = value.strip()
    if text.count(",") == 1:  # "Doe, Jane" -> "Jane Doe"
        last, first = (p.strip() for p in text.split(","))
        if last and first:
            text = f"{first} {last}"
    words = [w for w in _SPACES.split(_NAME_JUNK.sub(" ", fold(text))) if w]
    while words and words[0].rstrip(".") in TITLES and len(words) > 1:
        words.pop(0)
    return " ".join(words)


def normalize_address(value: str) -> str:
    words = _SPACES.split(_NON_ALNUM.sub(" ", fold(value)).strip())
    return " ".join(_ADDRESS_WORDS.get(w, w) for w in words if w)


def normalize_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return value.strip().lower()


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})")
_TEXT_DATE = re.compile(
    r"(?:(\d{1,2})(?:st|nd|rd|th)?\.?\s+([A-Za-zäé]+)\.?,?\s+(\d{4})|([A-Za-zäé]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))"
)


def normalize_date(value: str) -> str:
    """ISO date when the value parses (US m/d/Y for '/', d.m.Y for '.'), else its digits."""
    text = value.strip()
    year = month = day = 0
    if m := _ISO_DATE.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _NUMERIC_DATE.fullmatch(text):
        first, second, year = int(m[1]), int(m[3]), int(m[4])
        month, day = (first, second) if m[2] == "/" and first <= 12 else (second, first)
        if year < 100:
            year += 1900 if year > _dt.date.today().year % 100 else 2000
    elif m := _TEXT_DATE.fullmatch(text):
        if m[1]:
            day, month, year = int(m[1]), v.MONTHS.get(m[2].lower()[:3], v.MONTHS.get(m[2].lower(), 0)), int(m[3])
        else:
            month, day, year = v.MONTHS.get(m[4].lower()[:3], v.MONTHS.get(m[4].lower(), 0)), int(m[5]), int(m[6])
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return v.digits_of(value)


def normalize_identifier(value: str) -> str:
    return _NON_ALNUM.sub("", value).upper()


def normalize(value: str, pii_type: str) -> str:
    """Canonical form used for fingerprints and pseudonyms (never stored)."""
    if pii_type == "email":
        return normalize_email(value)
    if pii_type == "phone":
        return normalize_phone(value)
    if pii_type == "name":
        return normalize_name(value)
    if pii_type == "address":
        return normalize_address(value)
    if pii_type == "ip_address":
        return normalize_ip(value)
    if pii_type == "dob":
        return normalize_date(value)
    if pii_type == "biometric":
        return value.strip()
    return normalize_identifier(value)
