"""Checksums and structural rules that turn a regex candidate into a finding.

Regexes alone flag every 16-digit order id as a card and every 9-digit id as an
SSN; these validators are what keeps precision (and analytics) intact.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
import string
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from stdnum import numdb
from stdnum.de import idnr as _idnr
from stdnum.gb import nhs as _nhs
from stdnum.us import ein as _ein
from stdnum.us import rtn as _rtn
from stdnum.us import ssn as _ssn


def _iban_lengths() -> dict[str, int]:
    """IBAN length per country from python-stdnum's copy of the SWIFT IBAN registry
    (``bban`` specs such as "8!n10!n"), instead of a hand-kept table."""
    db = numdb.get("iban")
    lengths: dict[str, int] = {}
    for first in string.ascii_uppercase:
        for second in string.ascii_uppercase:
            country = first + second
            info = db.info(country)
            spec = info[0][1].get("bban") if info and info[0][0] == country else None
            if spec:
                lengths[country] = 4 + sum(int(n) for n in re.findall(r"(\d+)!?[nace]", spec))
    return lengths


#: ISO 13616 IBAN length per country: the recognizer trims a match to it.
IBAN_LENGTHS: dict[str, int] = _iban_lengths()

# E.164 country calling codes, from libphonenumber's metadata (kept up to date by the
# ``phonenumbers`` package instead of a hand-kept list).
CALLING_CODES: frozenset[str] = frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)

#: Regions whose national formats (no country code) are recognised and normalized to E.164,
#: in order of preference when one digit string is valid in several.
PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "ES", "NL", "BE", "CH", "AT", "IE", "PT", "SE", "NO", "DK", "FI", "PL",
    "CZ", "BR", "MX", "AR", "CO", "CL", "PE", "AU", "NZ", "IN", "JP", "KR", "SG", "ZA", "NG", "KE", "TR",
    "IT",  # last: Italian numbers keep their leading 0, so its patterns accept many other countries' numbers
)  # fmt: skip
_SEPARATORS = re.compile(r"[\s.\-/]+")
#: Dates and times share digit counts with phone numbers (and "2024-03-05" is a valid German number).
_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?")


_TYPE_DESCS = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
    "fixed_line", "mobile",
)  # fmt: skip


@dataclass(frozen=True)
class _RegionRules:
    """One region's libphonenumber metadata, compiled once: the pattern for any national number,
    the trunk prefix, and per number type its possible lengths and pattern.

    ``phonenumbers.is_valid_number_for_region`` walks the same descriptions but looks every pattern
    up in a regex cache on each call (~60 us a region); `valid` gives the same answer in ~2 us
    (``tests/pii/test_fast_paths.py`` compares both, and `national_format` with ``format_number``,
    on random digit strings for every region).
    """

    country_code: int
    general: re.Pattern[str]
    trunk: str
    lengths: frozenset[int]
    types: tuple[tuple[frozenset[int], re.Pattern[str]], ...]
    formats: tuple[tuple[re.Pattern[str] | None, re.Pattern[str], str], ...]

    def valid(self, significant: str) -> bool:
        """libphonenumber's validity (a known number type) of a national significant number that
        matches ``general``."""
        size = len(significant)
        return any((not sizes or size in sizes) and pattern.fullmatch(significant) for sizes, pattern in self.types)

    def national_format(self, significant: str) -> str:
        """``format_number(..., NATIONAL)`` of the number: the first of the region's formats whose
        leading digits and pattern match, with the national prefix rule applied to the first group."""
        for leading, pattern, rule in self.formats:
            if (leading is None or leading.match(significant)) and pattern.fullmatch(significant):
                return pattern.sub(rule, significant)
        return significant


def _region_rules() -> dict[str, _RegionRules]:
    out: dict[str, _RegionRules] = {}
    for region in PHONE_REGIONS:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if metadata is None or metadata.general_desc is None:
            continue
        types = []
        for name in _TYPE_DESCS:
            desc = getattr(metadata, name)
            if desc is not None and desc.national_number_pattern:
                types.append((frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)))
        formats = []
        for number_format in metadata.number_format:  # what format_number(..., NATIONAL) chooses from
            rule = number_format.format
            if number_format.national_prefix_formatting_rule:  # as phonenumbers applies it
                rule = _FIRST_GROUP.sub(number_format.national_prefix_formatting_rule, rule, count=1)
            leading = number_format.leading_digits_pattern
            formats.append((re.compile(leading[-1]) if leading else None, re.compile(number_format.pattern), rule))
        out[region] = _RegionRules(
            country_code=phonenumbers.country_code_for_region(region),
            general=re.compile(metadata.general_desc.national_number_pattern or r"\d+"),
            trunk=metadata.national_prefix or "",
            lengths=frozenset(metadata.general_desc.possible_length or ()),
            types=tuple(types),
            formats=tuple(formats),
        )
    return out


_FIRST_GROUP = re.compile(r"(\\\d)")  # phonenumbers' _FIRST_GROUP_PATTERN: "\1" in a format rule
_REGION_RULES = _region_rules()
#: Digits as written (7-13) -> the regions, in preference order, where that many digits, or that many
#: minus a trunk prefix ("0", "01"), is a possible national number length (a cheap pre-check).
_CANDIDATES: dict[int, tuple[_RegionRules, ...]] = {
    size: tuple(r for r in _REGION_RULES.values() if r.lengths & {size, size - 1, size - 2}) for size in range(7, 14)
}


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
    valid: str | None = None
    for rules in _CANDIDATES[len(digits)]:
        # The national significant number: without the trunk prefix, or as written (Italy keeps its 0).
        trunk = rules.trunk
        stripped = digits[len(trunk) :] if trunk and digits.startswith(trunk) else None
        if stripped is not None and len(stripped) in rules.lengths and rules.general.fullmatch(stripped):
            significant = stripped
        elif len(digits) in rules.lengths and rules.general.fullmatch(digits):
            significant = digits
        else:
            continue
        if not rules.valid(significant):
            continue
        e164 = f"+{rules.country_code}{significant}"
        if _same_layout(text, rules.national_format(significant)):
            return e164, True
        valid = valid or e164
    return (valid, False) if valid else None


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")


def digits_of(text: str) -> str:
    if text.isascii():  # for ASCII, str.isdigit is exactly 0-9
        return _NOT_ASCII_DIGIT.sub("", text)
    return "".join(c for c in text if c.isdigit())


def luhn_ok(number: str) -> bool:
    """Luhn mod-10 check (payment cards).

    Not ``stdnum.luhn.is_valid``: same answers (checked on 200k random numbers) but ~4.5 us a
    call against ~1.6 us, on every card candidate of the frame path.
    """
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
    """IBAN country length (from stdnum's registry) and ISO 7064 mod-97 check.

    Not ``stdnum.iban.is_valid``: it also checks BBAN structure and some national check
    digits but costs ~29 us a call against ~6 us (+22 ms CPU per 6,000 benchmark records).
    """
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
    """ABA routing number checksum (python-stdnum ``us.rtn``) and a Federal Reserve prefix
    (stdnum checks only the 3-7-1 checksum)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    prefix = int(digits[:2])
    if not (0 <= prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    return _rtn.is_valid(digits)


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """SSA rules: no 000/666/9xx area, no 00 group, no 0000 serial, and none of the numbers
    python-stdnum lists as advertised or misused (its set, read once; ``stdnum.us.ssn.is_valid``
    itself costs ~7 us a call against ~0.3 us)."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return f"{area}{group}{serial}" not in _SSN_BLACKLIST


def itin_ok(digits: str) -> bool:
    """IRS ITIN: 9XX-[50-65,70-88,90-92,94-99]-XXXX.

    Kept by hand: python-stdnum's ``us.itin`` (2.2) lacks the 50-65 groups the IRS added in
    2011, so it rejects valid ITINs.
    """
    if len(digits) != 9 or digits[0] != "9":
        return False
    group = int(digits[3:5])
    return 50 <= group <= 65 or 70 <= group <= 88 or 90 <= group <= 92 or 94 <= group <= 99


#: Advertised and misused SSNs (python-stdnum's list, which includes 078-05-1120 and 219-09-9999).
_SSN_BLACKLIST: frozenset[str] = frozenset(
    number.replace("-", "") for number in getattr(_ssn, "_ssn_blacklist", ())
) | {"078051120", "219099999"}

#: IRS campus prefixes (first two digits) that have been assigned, read once from python-stdnum's
#: ``us.ein`` data (its ``is_valid`` looks them up per call: ~22 us against ~0.1 us for a set).
EIN_PREFIXES: frozenset[str] = frozenset(f"{p:02d}" for p in range(100) if _ein.is_valid(f"{p:02d}0000000"))


def ein_ok(digits: str) -> bool:
    """Nine digits with an assigned IRS campus prefix."""
    return len(digits) == 9 and digits.isdigit() and digits[:2] in EIN_PREFIXES


def nhs_ok(digits: str) -> bool:
    """UK NHS number mod-11 check (python-stdnum ``gb.nhs``)."""
    return len(digits) == 10 and _nhs.is_valid(digits)


def steuer_id_ok(digits: str) -> bool:
    """German tax identification number (IdNr), python-stdnum ``de.idnr``: ISO 7064 MOD 11,10
    check digit and the digit-distribution rule (one digit twice or thrice in the first ten)."""
    return len(digits) == 11 and _idnr.is_valid(digits)


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
        # English, German, French, Spanish, Portuguese, Italian, Dutch
        ("jan", "january", "januar", "janvier", "enero", "janeiro", "gennaio", "januari"),
        ("feb", "february", "februar", "fevrier", "février", "febrero", "fevereiro", "febbraio", "februari"),
        ("mar", "march", "märz", "maerz", "mrz", "mars", "marzo", "março", "marco", "maart"),
        ("apr", "april", "avril", "abril", "aprile"),
        ("may", "mai", "mayo", "maio", "maggio", "mei"),
        ("jun", "june", "juni", "juin", "junio", "junho", "giugno"),
        ("jul", "july", "juli", "juillet", "julio", "julho", "luglio"),
        ("aug", "august", "aout", "août", "agosto", "augustus"),
        ("sep", "sept", "september", "septembre", "septiembre", "setiembre", "setembro", "settembre"),
        ("oct", "october", "okt", "oktober", "octobre", "octubre", "outubro", "ottobre"),
        ("nov", "november", "novembre", "noviembre", "novembro"),
        ("dec", "december", "dez", "dezember", "décembre", "decembre", "diciembre", "dezembro", "dicembre"),
    ),
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number
#: Month names that also come first ("March 4, 1985", "Mai 4, 1985"); the languages added below write the
#: day first ("12 marca 1984"), and leaving them out of the month-first reading keeps that regex small.
MONTH_FIRST_NAMES = frozenset(MONTHS)
for _number, _names in enumerate(
    (
        # Swedish, Danish/Norwegian, Polish (nominative and genitive), Turkish, Indonesian, Finnish (partitive)
        ("stycznia", "styczeń", "styczen", "ocak", "tammikuuta"),
        ("lutego", "luty", "şubat", "subat", "helmikuuta"),
        ("marts", "marca", "marzec", "mart", "maret", "maaliskuuta"),
        ("kwietnia", "kwiecień", "kwiecien", "nisan", "huhtikuuta"),
        ("maj", "maja", "mayıs", "mayis", "toukokuuta"),
        ("czerwca", "czerwiec", "haziran", "kesäkuuta", "kesakuuta"),
        ("lipca", "lipiec", "temmuz", "heinäkuuta", "heinakuuta"),
        ("augusti", "sierpnia", "sierpień", "sierpien", "ağustos", "agustos", "agustus", "elokuuta"),
        ("września", "wrzesnia", "wrzesień", "wrzesien", "eylül", "eylul", "syyskuuta"),
        ("października", "pazdziernika", "październik", "pazdziernik", "ekim", "lokakuuta"),
        ("listopada", "listopad", "kasım", "kasim", "marraskuuta"),
        ("desember", "grudnia", "grudzień", "grudzien", "aralık", "aralik", "joulukuuta"),
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


def month_number(name: str) -> int:
    """1-12 for a month's name or abbreviation in `MONTHS` (``März``, ``Sept.``); KeyError otherwise."""
    word = name.lower().rstrip(".")
    number = MONTHS.get(word)
    return number if number is not None else MONTHS[word[:3]]


def plausible_birth_match(groups: dict[str, str | None], *, today: _dt.date | None = None) -> bool:
    """A matched date that is a plausible birth date (`plausible_birth_date`), read from named groups:
    ISO ``iy-im-id``; compact ``cy cm cd`` (19860304); numeric ``a/b/y`` day-first or month-first (either
    order may be meant); day and month name ``td tm ty``; month name and day ``mm md my``;
    Chinese, Japanese and Korean ``jy jm jd``. The one reading
    of a date match, shared by the date-of-birth recognizer and the pasted-row rule."""
    g = groups
    try:
        if g.get("iy"):
            return plausible_birth_date(int(g["iy"]), int(g["im"]), int(g["id"]), today=today)
        if g.get("cy"):
            return plausible_birth_date(int(g["cy"]), int(g["cm"]), int(g["cd"]), today=today)
        if g.get("y"):
            a, b, year = int(g["a"]), int(g["b"]), int(g["y"])
            return plausible_birth_date(year, b, a, today=today) or plausible_birth_date(year, a, b, today=today)
        if g.get("ty"):
            return plausible_birth_date(int(g["ty"]), month_number(g["tm"]), int(g["td"]), today=today)
        if g.get("my"):
            return plausible_birth_date(int(g["my"]), month_number(g["mm"]), int(g["md"]), today=today)
        if g.get("jy"):  # 1984年3月12日, 1984년 3월 12일
            return plausible_birth_date(int(g["jy"]), int(g["jm"]), int(g["jd"]), today=today)
    except (KeyError, ValueError):
        return False
    return False
