"""The analyzer: registry of recognizers + field awareness + overlap resolution.

Pure Python, one string at a time. The frame path (engine.py) decides *which*
strings reach it and which recognizers to run on each, using polars prefilters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import pairwise
from operator import attrgetter

from .fields import ORGANISATION, PERSON, FieldHint, classify_field
from .names import looks_like_person_name
from .operators import TOKEN_RE
from .recognizers import (
    EmailRecognizer,
    InternationalPhoneRecognizer,
    NanpPhoneRecognizer,
    NationalPhoneRecognizer,
    Recognizer,
    all_recognizers,
)
from .types import Finding

_START = attrgetter("start")
FIELD_DETECTOR = "field_name"
FIELD_CONFIDENCE = 0.99
_HAS_DIGIT = re.compile(r"\d")
# Looser than TOKEN_RE (any token-shaped marker) and much faster to search.
_PROTECTED_MARK = re.compile(r"\*|\b[A-Z]{2}[A-Z_]*_[0-9a-f]{8}|HASH:[A-Z_]+:|ENC:[A-Z_]+:|<[A-Z_]{2,}>")
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


# Every TOKEN_RE match contains one of these (a type name ends in a capital before "_hex",
# "<TYPE>" starts with "<" and a capital, or the HASH:/ENC: prefixes): a cheap exact gate.
_TOKEN_GATE = re.compile(r"[A-Z]_[0-9a-f]|<[A-Z]|HASH:|ENC:")


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


class Analyzer:
    """Runs the registry over a string; knows nothing about frames or operators."""

    def __init__(self, recognizers: Sequence[Recognizer] | None = None, min_confidence: float = 0.5) -> None:
        self.recognizers: list[Recognizer] = list(recognizers) if recognizers is not None else all_recognizers()
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
            return self._whole_value(text, whole)
        if hint.kind == PERSON:
            person = self._person_value(text)
            if person is not None:
                return [person]
        if not _HAS_DIGIT.search(text) and "@" not in text and text.islower():
            return []  # nothing any recognizer can match: no digits, no @, no capitals
        if "_" in text or "<" in text or "HASH:" in text or "ENC:" in text:
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
        return resolve_overlaps([f for f in findings if f.confidence >= threshold])

    @staticmethod
    def _whole_value(text: str, pii_type: str) -> list[Finding]:
        if is_protected_or_empty(text):
            return []
        start = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        return [Finding(pii_type, start, end, FIELD_CONFIDENCE, FIELD_DETECTOR)]

    def _person_value(self, text: str) -> Finding | None:
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
