"""The analyzer: registry of recognizers + field awareness + overlap resolution.

Pure Python, one string at a time. The frame path (engine.py) decides *which*
strings reach it and which recognizers to run on each, using polars prefilters.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Sequence
from itertools import pairwise
from operator import attrgetter

from . import lexicon
from .fields import NO_HINT, ORGANISATION, PERSON, FieldHint, classify_field
from .names import ROLE_CUE, looks_like_person_name
from .operators import ENC_PREFIX, HASH_PREFIX, TOKEN_GATE_PATTERN, TOKEN_MARK_PATTERN, TOKEN_RE
from .recognizers import (
    DateOfBirthRecognizer,
    EmailRecognizer,
    InternationalPhoneRecognizer,
    NanpPhoneRecognizer,
    NationalPhoneRecognizer,
    Recognizer,
    enabled_recognizers,
)
from .types import Finding
from .validators import plausible_birth_match

_START = attrgetter("start")
FIELD_DETECTOR = "field_name"
FIELD_CONFIDENCE = 0.99
_HAS_DIGIT = re.compile(r"\d")
#: Two digits in a row: no person's name has them, many product, room and dosage names do. A value under a
#: name key holding them is read as text (here and on the engine's column-wise whole-value path).
NOT_A_NAME = r"\d\d"
_NOT_A_NAME = re.compile(NOT_A_NAME)
# A mask, or any token-shaped marker (looser than TOKEN_RE and much faster to search).
_PROTECTED_MARK = re.compile(r"\*|" + TOKEN_MARK_PATTERN)
_HASH_MARK, _ENC_MARK = HASH_PREFIX + ":", ENC_PREFIX + ":"
EMPTY_LIKE = frozenset({"", "-", "--", "n/a", "na", "none", "null", "nil", "unknown", "tbd", "?"})


def resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the most confident (then longest) finding wherever spans overlap."""
    if len(findings) < 2:
        return findings
    by_start = sorted(findings, key=_START)
    if all(a.end <= b.start for a, b in pairwise(by_start)):
        return by_start  # no overlaps, the usual case: what the full rule would keep
    return _resolve_clashes(findings)


def _resolve_clashes(findings: list[Finding]) -> list[Finding]:
    """The full rule of ``resolve_overlaps`` (quadratic, for the few texts with clashes)."""
    chosen: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (-f.confidence, -f.length, f.start)):
        clashes = [c for c in chosen if finding.overlaps(c)]
        if not clashes:
            chosen.append(finding)
        elif all(finding.start <= c.start and c.end <= finding.end and finding.length > c.length for c in clashes):
            # A larger entity swallowing a smaller one ("Flat 4, Robson Dale" vs the
            # name "Robson Dale"): the container describes the value better.
            for c in clashes:
                chosen.remove(c)
            chosen.append(finding)
    chosen.sort(key=_START)
    return chosen


_TOKEN_GATE = re.compile(TOKEN_GATE_PATTERN)  # every TOKEN_RE match contains one of these


#: What a protection token is read as: spaces, then a lowercase word no recognizer matches.
#: The word keeps sentence structure ("Passport: <token>. Project 1234" still ends the
#: passport sentence at the period, as "Passport: W4313. Project 1234" did); blank space
#: there would join the sentences and make the project id look like a passport number.
TOKEN_STAND_IN = "xxxx"


def blank_tokens(text: str) -> str:
    """Replace protection tokens by a same-length stand-in so they are never re-detected."""
    if _TOKEN_GATE.search(text) is None:
        return text  # no token can match (TOKEN_RE's alternation is slow to scan)
    return TOKEN_RE.sub(_stand_in, text)


def _stand_in(match: re.Match[str]) -> str:
    size = len(match.group(0))  # every token is longer than the stand-in word
    return " " * (size - len(TOKEN_STAND_IN)) + TOKEN_STAND_IN


def is_protected_or_empty(value: str) -> bool:
    """True for values a field-aware rule must not re-protect: tokens, masks, blanks."""
    stripped = value.strip()
    if len(stripped) <= 7 and stripped.lower() in EMPTY_LIKE:
        return True
    if "*" in stripped:
        return True
    if "_" not in stripped and ":" not in stripped and "<" not in stripped:
        return False  # every token format contains one of these
    return bool(_PROTECTED_MARK.search(stripped))


_ROW_DELIMITERS = (";", "|", "\t", ",")
_ROW_DATE = re.compile(
    r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})|(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{2,4})"
)
# A row's date is someone's birth date (not when they signed up or ordered) when it lies this far back.
BIRTH_ROW_MIN_AGE_YEARS = 13
_ROW_NAME = re.compile(r"[^\W\d_][\w'’.-]*(?:[ ][^\W\d_][\w'’.-]*){0,2}")
# The note speaks of birth in the words the date-of-birth recognizer takes as its context.
_BIRTH_WORDS = re.compile("(?i)" + "|".join(DateOfBirthRecognizer.keywords))
PASTED_ROW_DETECTOR = "pasted_row"


def _cells(line: str, delimiter: str, offset: int) -> list[tuple[int, int]]:
    """(start, end) of each cell's stripped text, relative to the whole text."""
    spans = []
    position = 0
    for part in line.split(delimiter):
        lead = len(part) - len(part.lstrip())
        spans.append((offset + position + lead, offset + position + len(part.rstrip())))
        position += len(part) + 1
    return spans


def pasted_row_findings(text: str, findings: list[Finding]) -> list[Finding]:
    """Cells of a delimited row (a CSV line pasted into a note) next to a detected e-mail or phone.

    The row's neighbours tell what the other cells are: a header line above names the columns
    (read like keys, ``First Name`` -> name); without one, name-shaped cells are names and a
    date is a date of birth when the note speaks of birth.
    """
    anchors = [f for f in findings if f.pii_type in ("email", "phone")]
    if not anchors:
        return []
    out: list[Finding] = []
    seen_lines: set[int] = set()
    lines: list[str] | None = None
    for anchor in anchors:
        line_start = text.rfind("\n", 0, anchor.start) + 1
        if line_start in seen_lines:
            continue
        seen_lines.add(line_start)
        line_end = text.find("\n", anchor.end)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        delimiter = max(_ROW_DELIMITERS, key=line.count)
        if line.count(delimiter) < (3 if delimiter == "," else 2):
            continue  # prose has commas; a pasted row has at least four cells
        cells = _cells(line, delimiter, line_start)
        if lines is None:
            lines = text.split("\n")
        header = _row_header(lines, text.count("\n", 0, line_start), len(cells))
        birth = bool(_BIRTH_WORDS.search(text))
        for column, (start, end) in enumerate(cells):
            if start >= end or any(f.start < end and start < f.end for f in findings):
                continue
            value = text[start:end]
            kind = header[column] if header else None
            if kind is not None and kind not in (PERSON, ORGANISATION):
                out.append(Finding(kind, start, end, 0.85, PASTED_ROW_DETECTOR))
            elif kind == ORGANISATION:
                continue
            elif date := _ROW_DATE.fullmatch(value):
                if header is None and (birth or _old_enough_for_birth(date)):
                    out.append(Finding("dob", start, end, 0.7, PASTED_ROW_DETECTOR))
            elif _ROW_NAME.fullmatch(value) and (kind == PERSON or header is None) and _name_cell(value):
                out.append(Finding("name", start, end, 0.75, PASTED_ROW_DETECTOR))
    return out


def _old_enough_for_birth(date: re.Match[str]) -> bool:
    """A real date at least `BIRTH_ROW_MIN_AGE_YEARS` back (day-first or month-first): in a row of someone's
    contact details that is a birth date; a recent one is more likely a sign-up or order date."""
    today = _dt.date.today()
    latest = today.replace(year=today.year - BIRTH_ROW_MIN_AGE_YEARS, day=min(today.day, 28))
    return plausible_birth_match(date.groupdict(), today=latest)


def _row_header(lines: list[str], index: int, size: int) -> list[str | None] | None:
    """Column kinds from the nearest header line above a data row (same number of cells, no digits or @)."""
    for above in range(index - 1, max(-1, index - 50), -1):
        line = lines[above]
        delimiter = max(_ROW_DELIMITERS, key=line.count)
        parts = line.split(delimiter)
        if len(parts) != size:
            return None
        if "@" in line or _HAS_DIGIT.search(line):
            continue  # another data row
        # Header cells are read like the keys of a contact record ("First" -> name, "Tel" -> phone).
        kinds = [classify_field(part.strip(), "contact").kind for part in parts]
        return kinds if any(kinds) else None
    return None


def _name_cell(value: str) -> bool:
    """A cell of one to three words that are not ordinary English (or are known names)."""
    first, last, common = lexicon.first_names(), lexicon.last_names(), lexicon.common_words()
    words = [lexicon.fold(w.strip(".")) for w in value.split()]
    return all(w in first or w in last or (w not in common and len(w) > 1) for w in words)


class Analyzer:
    """Runs the registry over a string; knows nothing about frames or operators."""

    def __init__(self, recognizers: Sequence[Recognizer] | None = None, min_confidence: float = 0.5) -> None:
        self.recognizers: list[Recognizer] = list(recognizers) if recognizers is not None else enabled_recognizers()
        self.min_confidence = min_confidence
        self._email = next((r for r in self.recognizers if isinstance(r, EmailRecognizer)), EmailRecognizer())
        self._phones = [
            r
            for r in self.recognizers
            if isinstance(r, InternationalPhoneRecognizer | NanpPhoneRecognizer | NationalPhoneRecognizer)
        ]

    def analyze(self, text: str, field_name: str | None = None) -> list[Finding]:
        return self.analyze_with(text, classify_field(field_name), self.recognizers)

    def analyze_with(
        self, text: str, hint: FieldHint, recognizers: Iterable[Recognizer], prefiltered: bool = False
    ) -> list[Finding]:
        if not text:
            return []
        whole = hint.whole_value_type
        if whole is not None:
            if whole != "name" or not _NOT_A_NAME.search(text):
                return self._whole_value(text, whole)
            hint = NO_HINT  # "Ibuprofeno 400 mg", "Room 101" under a name key: a thing; read it as text
        if hint.kind == PERSON:
            person = self.person_value(text)
            if person is not None:
                return [person]
        if not _HAS_DIGIT.search(text) and "@" not in text and text.islower() and not ROLE_CUE.search(text):
            return []  # nothing any recognizer can match: no digits, no @, no capitals, no role cue
        if "_" in text or "<" in text or _HASH_MARK in text or _ENC_MARK in text:
            text = blank_tokens(text)
        findings: list[Finding] = []
        skip_names = hint.kind == ORGANISATION
        for recognizer in recognizers:
            if skip_names and recognizer.pii_type == "name":
                continue
            findings.extend(recognizer.find(text, prefiltered))
        if not findings:
            return findings
        threshold = self.min_confidence
        kept = [f for f in findings if f.confidence >= threshold]
        if kept and ("\n" in text or text.count(";") >= 2 or text.count("|") >= 2 or text.count(",") >= 3):
            # Cheap gate: a pasted row needs delimiters (pasted_row_findings checks the anchor's line).
            kept.extend(pasted_row_findings(text, kept))
        return resolve_overlaps(kept)

    @staticmethod
    def _whole_value(text: str, pii_type: str) -> list[Finding]:
        if is_protected_or_empty(text):
            return []
        start = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        return [Finding(pii_type, start, end, FIELD_CONFIDENCE, FIELD_DETECTOR)]

    def person_value(self, text: str) -> Finding | None:
        """A value under a people key (recipients, owner, name): email, phone or name."""
        if is_protected_or_empty(text):
            return None
        start = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        core = text[start:end]
        email = self._email.pattern.fullmatch(core)
        if email and self._email.validate(email, core):
            return Finding("email", start, end, 0.97, FIELD_DETECTOR)
        for phone in self._phones:
            match = phone.pattern.fullmatch(core)
            if match and phone.validate(match, core):
                return Finding("phone", start, end, 0.95, FIELD_DETECTOR)
        if looks_like_person_name(core):
            return Finding("name", start, end, 0.9, FIELD_DETECTOR)
        return None
