"""Checksums and structural rules that turn a regex candidate into a finding.

Regexes alone flag every 16-digit order id as a card and every 9-digit id as an
SSN; these validators are what keeps precision (and analytics) intact.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from functools import lru_cache

import phonenumbers

# ISO 13616 IBAN lengths per country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24,
    "AE": 23,
    "AL": 28,
    "AT": 20,
    "AZ": 28,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "BY": 28,
    "CH": 21,
    "CR": 22,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "DO": 28,
    "EE": 20,
    "EG": 29,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GE": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "GT": 28,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IQ": 23,
    "IS": 26,
    "IT": 27,
    "JO": 30,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LC": 32,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MD": 24,
    "ME": 22,
    "MK": 19,
    "MR": 27,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PS": 29,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SC": 31,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "ST": 25,
    "SV": 28,
    "TL": 23,
    "TN": 24,
    "TR": 26,
    "UA": 29,
    "VA": 22,
    "VG": 24,
    "XK": 20,
}

# E.164 country calling codes, from libphonenumber's metadata (kept up to date by the
# ``phonenumbers`` package instead of a hand-kept list).
CALLING_CODES: frozenset[str] = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)

#: Regions whose national formats (no country code) are recognised and normalized to E.164,
#: in order of preference when one digit string is valid in several.
PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "IE", "PT", "SE", "NO", "DK", "FI", "PL",
    "CZ", "BR", "MX", "AR", "CO", "CL", "PE", "AU", "NZ", "IN", "JP", "KR", "SG", "ZA", "NG", "KE", "TR",
)  # fmt: skip
_SEPARATORS = re.compile(r"[\s.\-/]+")
#: Dates and times share digit counts with phone numbers (and "2024-03-05" is a valid German number).
_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?")


def _national_lengths() -> dict[int, tuple[str, ...]]:
    """National-number lengths -> regions where that length is possible (a cheap pre-check)."""
    by_length: dict[int, list[str]] = {}
    for region in PHONE_REGIONS:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if metadata is None or metadata.general_desc is None:
            continue
        for length in metadata.general_desc.possible_length or ():
            by_length.setdefault(length, []).append(region)
    return {length: tuple(regions) for length, regions in by_length.items()}


_REGIONS_BY_LENGTH = _national_lengths()


def _same_layout(written: str, formatted: str) -> bool:
    return _SEPARATORS.sub(" ", written.strip()) == _SEPARATORS.sub(" ", formatted)


@lru_cache(maxsize=65536)
def national_phone(text: str) -> tuple[str, bool] | None:
    """``(E.164, written in the region's own layout)`` for a national-format number valid in one
    of PHONE_REGIONS, else None.

    A number is preferably read in a region whose national layout it follows exactly
    ("(11) 96123-4567" is Brazilian, "612 34 56 78" Spanish): layout is what tells a phone
    number from a date or an id with the same digits ("2024-03-05" is a valid German number).
    """
    digits = digits_of(text)
    if not 7 <= len(digits) <= 13 or _DATE_LIKE.fullmatch(text.strip()):
        return None
    candidates: list[str] = []
    for size in {len(digits), len(digits) - 1, len(digits) - 2}:  # minus a trunk prefix ("0", "01")
        candidates.extend(r for r in _REGIONS_BY_LENGTH.get(size, ()) if r not in candidates)
    valid: str | None = None
    for region in sorted(candidates, key=PHONE_REGIONS.index):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if number.country_code != phonenumbers.country_code_for_region(region):
            continue
        if not phonenumbers.is_valid_number_for_region(number, region):
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if _same_layout(text, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)):
            return e164, True
        valid = valid or e164
    return (valid, False) if valid else None


# IRS EIN campus prefixes (first two digits) that have been assigned.
EIN_PREFIXES: frozenset[str] = frozenset(
    [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "10",
        "11",
        "12",
        "13",
        "14",
        "15",
        "16",
        "20",
        "21",
        "22",
        "23",
        "24",
        "25",
        "26",
        "27",
        "30",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "38",
        "39",
        "40",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "47",
        "48",
        "50",
        "51",
        "52",
        "53",
        "54",
        "55",
        "56",
        "57",
        "58",
        "59",
        "60",
        "61",
        "62",
        "63",
        "64",
        "65",
        "66",
        "67",
        "68",
        "71",
        "72",
        "73",
        "74",
        "75",
        "76",
        "77",
        "80",
        "81",
        "82",
        "83",
        "84",
        "85",
        "86",
        "87",
        "88",
        "90",
        "91",
        "92",
        "93",
        "94",
        "95",
        "98",
        "99",
    ]
)


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")


def digits_of(text: str) -> str:
    if text.isascii():  # for ASCII, str.isdigit is exactly 0-9
        return _NOT_ASCII_DIGIT.sub("", text)
    return "".join(c for c in text if c.isdigit())


def luhn_ok(number: str) -> bool:
    """Luhn mod-10 check (payment cards)."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_prefix_ok(number: str) -> bool:
    """Issuer ranges of the major networks, so a Luhn-valid order id is not a card."""
    n = len(number)
    if number[0] == "4":
        return n in (13, 16, 19)  # Visa
    two, four = int(number[:2]), int(number[:4])
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16  # Mastercard
    if two in (34, 37):
        return n == 15  # Amex
    if number.startswith(("6011", "65")) or 644 <= int(number[:3]) <= 649:
        return 16 <= n <= 19  # Discover
    if two == 35:
        return 16 <= n <= 19  # JCB (3528-3589 issued; generators use all of 35xx)
    if two in (36, 38, 39) or 300 <= int(number[:3]) <= 305:
        return 14 <= n <= 19  # Diners
    if two == 62:
        return 16 <= n <= 19  # UnionPay
    if number[:4] in ("2131", "1800"):
        return n == 15  # JCB 15-digit
    if 56 <= two <= 58 or number[:4] in ("6390", "0604"):
        return 12 <= n <= 19  # Maestro
    if number[:4] in ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763"):
        return 12 <= n <= 19  # Maestro
    return False


def iban_ok(compact: str) -> bool:
    """IBAN country length and ISO 7064 mod-97 check."""
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def aba_ok(digits: str) -> bool:
    """ABA routing number checksum (3-7-1 weights) and valid Federal Reserve prefix."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    prefix = int(digits[:2])
    if not (0 <= prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """SSA rules: no 000/666/9xx area, no 00 group, no 0000 serial, no known ad SSNs."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return f"{area}{group}{serial}" not in {"078051120", "219099999"}


def itin_ok(digits: str) -> bool:
    """IRS ITIN: 9XX-[50-65,70-88,90-92,94-99]-XXXX."""
    if len(digits) != 9 or digits[0] != "9":
        return False
    group = int(digits[3:5])
    return 50 <= group <= 65 or 70 <= group <= 88 or 90 <= group <= 92 or 94 <= group <= 99


def ein_ok(digits: str) -> bool:
    """Nine digits with an assigned IRS campus prefix."""
    return len(digits) == 9 and digits[:2] in EIN_PREFIXES


def nhs_ok(digits: str) -> bool:
    """UK NHS number mod-11 check."""
    if len(digits) != 10:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def steuer_id_ok(digits: str) -> bool:
    """German tax identification number (IdNr): ISO 7064 MOD 11,10 check digit."""
    if len(digits) != 11 or digits[0] == "0":
        return False
    product = 10
    for char in digits[:10]:
        total = (int(char) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return (0 if check == 10 else check) == int(digits[10])


def ip_ok(text: str) -> bool:
    """A syntactically valid, non-trivial address (loopback/unspecified are not about a person)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return not (
        address.is_loopback or address.is_unspecified or address.is_multicast or str(address) == "255.255.255.255"
    )


MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("jan", "january", "januar", "janvier", "enero"),
        ("feb", "february", "februar", "fevrier", "février", "febrero"),
        ("mar", "march", "märz", "maerz", "mars", "marzo"),
        ("apr", "april", "avril", "abril"),
        ("may", "mai", "mayo"),
        ("jun", "june", "juni", "juin", "junio"),
        ("jul", "july", "juli", "juillet", "julio"),
        ("aug", "august", "aout", "août", "agosto"),
        ("sep", "sept", "september", "septembre", "septiembre"),
        ("oct", "october", "oktober", "octobre", "octubre"),
        ("nov", "november", "novembre", "noviembre"),
        ("dec", "december", "dezember", "décembre", "decembre", "diciembre"),
    ),
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number


def plausible_birth_date(year: int, month: int, day: int, *, today: _dt.date | None = None) -> bool:
    """A real calendar date between 1900 and today."""
    today = today or _dt.date.today()
    if year < 100:
        year += 1900 if year > today.year % 100 else 2000
    try:
        date = _dt.date(year, month, day)
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= date <= today
