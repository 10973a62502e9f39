r"""Single-purpose recognizers, Presidio style: pattern -> validation -> context.

Context words are written once, as ``keywords``: they become the context rule and, for a
recognizer that needs context, its prefilter too. ``enabled_recognizers`` is the registry a
deployment configures (``OSA_PII_DISABLED_RECOGNIZERS``).

Each recognizer carries two regexes:

* ``prefilter`` — a cheap Rust-regex (polars) *superset* of what it can find. The
  frame path runs it over whole columns so rows without any candidate never reach
  Python. Tests assert every positive example also passes the prefilter.
  Word boundaries are written ``WORD_START`` / ``WORD_END`` (a character outside
  letters, numbers and "_", or the text's edge) rather than ``\b``: Rust's lazy DFA cannot
  evaluate a Unicode ``\b`` and falls back to a much slower engine on non-ASCII text (2x
  on the corpus), and letters/numbers/"_" are a subset of Python's ``\w``, so the class
  form stays a superset of the pattern's ``(?<!\w)`` / ``\b``.
* ``pattern`` — the Python regex that yields candidate spans, which ``validate``
  turns into a confidence (or rejects: checksums, calendar rules, context words).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import numpy as np
import polars as pl

from . import national_ids
from . import validators as v
from .fields import classify_field
from .types import Finding

CONTEXT_WINDOW = 48
#: A Rust character-class body for letters, numbers and "_": a subset of Python's ``\w``,
#: so ``[^NOT_BOUNDARY]`` in a prefilter accepts every character a ``(?<![\w...])`` in the
#: Python pattern accepts (the prefilter stays a superset).
NOT_BOUNDARY = r"\p{L}\p{N}_"


def word_start(also: str = "") -> str:
    """Prefilter form of the pattern's ``(?<![\\w...])``: text start, or a character that is
    not a letter, number, "_" or one of ``also`` (put "-" last so it stays literal)."""
    return rf"(?:^|[^{NOT_BOUNDARY}{also}])"


def word_end(also: str = "") -> str:
    """Prefilter form of the pattern's ``(?![\\w...])`` / ``\\b``, like ``word_start``."""
    return rf"(?:$|[^{NOT_BOUNDARY}{also}])"


WORD_START = word_start()
WORD_END = word_end()


_GLOBAL_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))*")
# A period ends a sentence after a 4+ character token, or after a gap where a value was
# removed ("Passport: . Project 1234" is what "remove" leaves of "Passport: W4313. ...").
_SENTENCE_BREAK = re.compile(r"(?:[;!?\n]|(?<=[\w)\]][\w)\]][\w)\]][\w)\]])\.|(?<=[\s:])\.)\s+")


def context_before(text: str, start: int, window: int = CONTEXT_WINDOW) -> str:
    """Lower-cased text just before ``start``, cut at the last sentence break.

    "Passport: W4313. Project 11016585" must not make the project id a passport.
    A period only ends a sentence after a 4+ character token, so "passport no. X12"
    and "Dr. Smith" keep their context.
    """
    chunk = text[max(0, start - window) : start]
    # Every break contains one of ;!?\n or "." (substring tests are much cheaper than the regex).
    if "." in chunk or ";" in chunk or "!" in chunk or "?" in chunk or "\n" in chunk:
        breaks = list(_SENTENCE_BREAK.finditer(chunk))
        if breaks:
            chunk = chunk[breaks[-1].end() :]
    return chunk.lower()


def context_after(text: str, end: int, window: int = 24) -> str:
    return text[end : end + window].lower()


class Recognizer:
    """Base class: subclasses set the class attributes and override ``validate``."""

    name: str = ""
    pii_type: str = ""
    prefilter: str = ""
    pattern: re.Pattern[str]
    span_group: int = 0
    confidence: float = 0.8
    #: Keywords (regex, searched in the text just before the span) that make an
    #: ambiguous number personal data. ``context_required`` = useless without them.
    context: re.Pattern[str] | None = None
    context_required: bool = False
    context_boost: float = 0.15
    #: Context words written once (regex alternatives). They become the ``context`` rule and, for a
    #: context-required recognizer, its ``prefilter`` too (a text without one cannot hold its PII), unless
    #: the class writes those itself.
    keywords: tuple[str, ...] = ()

    #: Character class every match starts with. Prepended as a lookahead so Python's
    #: regex engine can skip ahead instead of trying the leading lookbehinds at every
    #: position (20-45% faster scans).
    first_chars: str | None = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("keywords"):
            words = "|".join(cls.keywords)
            if "context" not in cls.__dict__:
                cls.context = re.compile(words)
            if cls.context_required and "prefilter" not in cls.__dict__:
                cls.prefilter = f"(?i){words}"
        if cls.__dict__.get("context") is not None:  # context words match in any case
            cls.context = re.compile(cls.context.pattern, cls.context.flags | re.IGNORECASE)
        if cls.__dict__.get("first_chars") and "pattern" in cls.__dict__:
            # After any leading global flags such as "(?i)", which must stay first.
            flags = _GLOBAL_FLAGS.match(cls.pattern.pattern).group(0)  # type: ignore[union-attr]
            source = f"{flags}(?={cls.first_chars})" + cls.pattern.pattern[len(flags) :]
            cls.pattern = re.compile(source, cls.pattern.flags)

    def candidate_expr(self, column: pl.Expr) -> pl.Expr:
        """Vectorized: which rows may contain this recognizer's PII."""
        return column.str.contains(self.prefilter)

    #: Recognizers with the same group share one vectorized prefilter (the union of
    #: their prefilters): fewer regex passes over the column, a few more Python calls.
    prefilter_group: str | None = None
    #: Set by recognizers that need more than one expression (see names.py):
    #: ``candidate_mask(values) -> numpy bool array`` is OR-ed into the expression result.
    candidate_mask = None

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        """Findings in ``text``. ``prefiltered``: the vectorized prefilter (which for
        context-required recognizers is the keyword list) already matched this text."""
        found: list[Finding] = []
        if self.context_required and not prefiltered and self.context is not None and not self.context.search(text):
            return found
        for match in self.pattern.finditer(text):
            start, end = match.span(self.span_group)
            score = self.validate(match, text)
            if score is None:
                continue
            if self.context is not None:
                distance = self.context_distance(text, start)
                if distance is not None:
                    # A keyword right before the value counts fully, a far one half.
                    boost = self.context_boost if distance <= 16 else self.context_boost / 2
                    score = min(1.0, score + boost)
                elif self.context_required:
                    continue
            found.append(Finding(self.pii_type, start, end, round(score, 3), self.name))
        return found

    def validate(self, match: re.Match[str], text: str) -> float | None:
        return self.confidence

    def context_distance(self, text: str, start: int) -> int | None:
        """Characters between the nearest context keyword and the span, or None."""
        window = context_before(text, start)
        matches = list(self.context.finditer(window))  # type: ignore[union-attr]
        return len(window) - matches[-1].end() if matches else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}:{self.pii_type}>"


# --------------------------------------------------------------------------- contact


class EmailRecognizer(Recognizer):
    name = "email_regex"
    pii_type = "email"
    prefilter = r"[\w.%+-]@[A-Za-z0-9]"
    pattern = re.compile(
        # RFC 5322 allows an apostrophe ("francesca.o'brien@..."): without it the part before it stayed raw
        # (RFC 6531 allows any letter: "rené.hoffmann@...")
        r"(?<![\w.%+-])\w[\w.%+'-]{0,63}@"
        r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
        # An address glued into an identifier ("exec-jane@example.com-geo_audit") ends at
        # "-" or "_"; only a letter or digit means the top-level domain goes on.
        r"(?![A-Za-z0-9]|-[A-Za-z0-9-]*\.[A-Za-z])"
    )
    confidence = 0.95
    FILE_EXTENSIONS = frozenset(
        [
            "png",
            "jpg",
            "jpeg",
            "gif",
            "svg",
            "webp",
            "bmp",
            "ico",
            "pdf",
            "js",
            "mjs",
            "ts",
            "css",
            "scss",
            "html",
            "htm",
            "json",
            "xml",
            "yaml",
            "yml",
            "py",
            "rb",
            "go",
            "rs",
            "java",
            "kt",
            "txt",
            "csv",
            "md",
            "zip",
            "gz",
            "tar",
        ]
    )

    def validate(self, match: re.Match[str], text: str) -> float | None:
        value = match.group(0)
        local, _, domain = value.partition("@")
        if local.endswith("."):
            return None
        if ".." in local:  # not valid RFC 5322, but people write it ("hans-h..schaaf@"): still an address
            return self.confidence - 0.1
        if domain.rsplit(".", 1)[-1].lower() in self.FILE_EXTENSIONS:
            return None  # logo@2x.png
        if _MACHINE_SENDER.fullmatch(local):
            return None  # noreply@shop.example: a system's address, no person reads or owns it
        return self.confidence


#: Local parts of addresses that only machines send from (no-reply senders, bounce handlers).
_MACHINE_SENDER = re.compile(r"(?i)(?:no|do[-_.]?not)[-_.]?reply|mailer[-_.]?daemon|postmaster")


_EXTENSION = re.compile(r"\s?(?:x|ext\.?)\s?\d{1,6}$")
_PHONE_CONTEXT = re.compile(
    r"phone|tel\b|tel\.|telephone|mobile|mob\b|cell|call|text|sms|whatsapp|fax|"
    r"reach|ring|dial|handy|telefon|(?:best|contact|direct|office|home|work)\s+(?:number|no\b)"
)


class InternationalPhoneRecognizer(Recognizer):
    """E.164 style numbers: +CC then groups (also 00CC)."""

    first_chars = r"[+0]"
    name = "phone_international"
    pii_type = "phone"
    prefilter = rf"(?:\+|{word_start().replace('_', '')}00)\d{{1,3}}(?:[ .\-()]{{0,3}}\d){{5,}}"
    # "_" is a separator here: an id with a number glued on ("corr_+44 7700 900123") holds a phone.
    pattern = re.compile(
        r"(?<![^\W_]|\+)(?:\+|00)\d{1,3}(?:[ .-]?\(0\))?(?:[ .-]?(?:\(\d{1,5}\)|\d{1,6})){1,6}"
        r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![^\W_])"
    )
    confidence = 0.9
    context = _PHONE_CONTEXT
    context_boost = 0.05

    def validate(self, match: re.Match[str], text: str) -> float | None:
        value = _EXTENSION.sub("", match.group(0)).replace("(0)", "")
        digits = v.digits_of(value)
        if value.startswith("00"):
            digits = digits[2:]
        if not 8 <= len(digits) <= 15:
            return None
        code = next((digits[:n] for n in (1, 2, 3) if digits[:n] in v.CALLING_CODES), None)
        if code is None:
            return None
        if digits[len(code)] == "0" and code != "39":
            # The trunk 0 is dropped after a country code (Italy keeps it); "+1 0xx" is
            # not a dialable NANP number but is still written as a phone, and so is any such
            # number right after a phone word ("Call Jane on +49(0)0088 80874").
            if code == "1":
                return 0.6
            distance = self.context_distance(text, match.start())
            return 0.5 if distance is not None and distance <= 40 else None  # "Call <a name> on +49.."
        if digits.startswith("1") and len(digits) != 11:
            return None  # NANP is exactly +1 and ten digits
        return self.confidence


class NanpPhoneRecognizer(Recognizer):
    """US/Canada national format: (415) 555-0132, 415-555-0132, 415.555.0132, 1-415-..."""

    first_chars = r"[(\d]"
    name = "phone_nanp"
    pii_type = "phone"
    prefilter = r"\(\d{3}\)|\d{3}[ .\-]\d{3}[ .\-]\d{4}"
    pattern = re.compile(
        r"(?<![\w+\-.$€£/])(?<!\d )(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}"
        r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w-]|\.\d)"
    )
    confidence = 0.85
    context = _PHONE_CONTEXT
    context_boost = 0.1

    def validate(self, match: re.Match[str], text: str) -> float | None:
        digits = v.digits_of(_EXTENSION.sub("", match.group(0)))
        if len(digits) == 11:
            digits = digits[1:]
        if digits[0] in "01" or digits[3] in "01":
            return 0.6  # not a dialable NANP number, but 3-3-4 is still phone-shaped
        return self.confidence


class NationalPhoneRecognizer(Recognizer):
    """Trunk-prefix national formats: UK 020 7946 0958, DE 030 12345678, FR 01 23 45 67 89."""

    first_chars = r"[(0]"
    name = "phone_national"
    pii_type = "phone"
    # Where the pattern may start, and at least the 9 digits ``validate`` asks for (separators
    # between digits are at most ")" plus one of " /-"), so dates such as 07/25 stay out.
    prefilter = rf"(?:{word_start('+./: -')}|(?:^|\D) )\(?0[1-9](?:[ /\-)]{{0,2}}\d){{7}}"
    pattern = re.compile(
        r"(?<![\w+\-./:])(?<!\d )(?:\(0[1-9]\d{0,4}\)|0[1-9]\d{0,4})(?:[ /-]?\d{2,8}){1,4}"
        r"(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?![\w-]|[.:/]\d)"
    )
    confidence = 0.75
    context = _PHONE_CONTEXT
    context_boost = 0.15

    def validate(self, match: re.Match[str], text: str) -> float | None:
        value = _EXTENSION.sub("", match.group(0))
        digits = v.digits_of(value)
        if not 9 <= len(digits) <= 12:
            return None
        has_separator = any(c in value for c in " /-(")
        if not has_separator and not self.context.search(context_before(text, match.start())):  # type: ignore[union-attr]
            return None  # a bare 0-prefixed id is only a phone when someone says so
        return self.confidence


class LibPhoneRecognizer(Recognizer):
    """National formats of other countries ("(11) 96123-4567", "612 34 56 78", "55 1234 5678"),
    validated with libphonenumber over ``validators.PHONE_REGIONS``.

    Accepted when the number is valid in a region *and* written in that region's own layout
    (what separates a phone number from a date or an id with the same digits), or valid and
    next to a phone word.
    """

    first_chars = r"[(\d]"
    name = "phone_libphonenumber"
    pii_type = "phone"
    # Layouts that dates and times never have: a bracketed area code; three groups whose last two
    # have 3+ digits ("612 345 678", "55 1234 5678"); four or more groups with one separator
    # ("612 34 56 78", "06 12 34 56 78"); "070-123 45 67".
    prefilter = (
        rf"{word_start('+./:-')}(?:\(\d{{1,5}}\)[ \-]?\d{{2,5}}[ \-]\d{{3,5}}|\d{{1,5}}[ .\-]\d{{3,5}}[ .\-]\d{{3,5}}|"
        rf"\d{{1,5}}(?: \d{{2,5}}){{3}}|\d{{1,5}}(?:-\d{{2,5}}){{3}}|\d{{2,5}}-\d{{2,5}}(?: \d{{2,5}}){{2}})"
    )
    pattern = re.compile(
        r"(?<![\w+\-./:])(?:\(\d{1,5}\)[ -]?\d{2,5}[ -]\d{3,5}|\d{1,5}[ .-]\d{3,5}[ .-]\d{3,5}|"
        r"\d{1,5}(?: \d{2,5}){3,5}|\d{1,5}(?:-\d{2,5}){3,5}|\d{2,5}-\d{2,5}(?: \d{2,5}){2,4})"
        r"(?![\w-]|[.:/]\d)"
    )
    confidence = 0.8
    context = _PHONE_CONTEXT
    context_boost = 0.1

    #: US/Canada layouts: phone_nanp's (its own rules, and the +1 normalization stored data uses).
    NANP_LAYOUT = re.compile(r"\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}([ .-])\d{3}\1\d{4}")

    #: The rest of an international number ("+44 20 7946 0958" seen from "20"): phone_international's.
    AFTER_CALLING_CODE = re.compile(r"(?:\+|\b00)\d{1,3}[ .-]?(?:\(0\)[ .-]?)?$")

    def validate(self, match: re.Match[str], text: str) -> float | None:
        start = match.start()
        if self.NANP_LAYOUT.fullmatch(match.group(0)) or (
            start and self.AFTER_CALLING_CODE.search(text, max(0, start - 10), start)
        ):
            return None  # parsing it for 34 regions would cost ~0.3 ms per distinct number
        national = v.national_phone(match.group(0))
        if national is None:
            return None
        if national[1]:
            return self.confidence
        return 0.65 if self.context.search(context_before(text, match.start())) else None  # type: ignore[union-attr]


class BarePhoneRecognizer(Recognizer):
    """Unformatted 10-11 digit numbers, only next to phone words."""

    first_chars = r"\d"
    name = "phone_context"
    pii_type = "phone"
    # 10-11 digits, possibly in groups ("00804 63364"): a number no national format validates
    prefilter = r"\d(?:[ -]?\d){9,10}"

    # The context words, loosened (no ``\b``, any "tel"): "account number" is not a phone cue.
    KEYWORDS = (
        r"(?i)phone|tel|mobile|cell|call|text|sms|whatsapp|fax|dial|reach|"
        r"(?:best|contact|direct|office|home|work)\s+(?:number|no)"
    )

    def candidate_expr(self, column: pl.Expr) -> pl.Expr:
        return column.str.contains(self.prefilter) & column.str.contains(self.KEYWORDS)

    def candidate_mask(self, values: pl.Series) -> np.ndarray:
        """Same rows as ``candidate_expr``, but the keyword regex only runs on the few values
        that have a 10-11 digit run."""
        out = values.str.contains(self.prefilter).fill_null(False).to_numpy().copy()
        digits = np.flatnonzero(out)
        if len(digits):
            out[digits] = values.gather(digits).str.contains(self.KEYWORDS).fill_null(False).to_numpy()
        return out

    # Not a date and time ("2026-11-28 14:22" reads as ten digits): no time (":22") after it, no date shape.
    pattern = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){9,10}(?![\w-]|[.:]\d)")
    DATE_START = re.compile(r"\d{4}-\d{1,2}-\d{1,2}\b|\d{1,2}-\d{1,2}-\d{4}\b")
    confidence = 0.55

    def validate(self, match: re.Match[str], text: str) -> float | None:
        return None if self.DATE_START.match(match.group(0)) else self.confidence

    context = re.compile(
        r"phone|tel\b|tel\.|telephone|mobile|cell|call|text|sms|whatsapp|fax|dial|reach|"
        r"(?:best|contact|direct|office|home|work)\s+(?:number|no\b)"
    )
    context_required = True
    context_boost = 0.2


class Ipv4Recognizer(Recognizer):
    first_chars = r"\d"
    name = "ipv4"
    pii_type = "ip_address"
    # Bounded like the pattern (no word character or dot before, no word character after),
    # so version strings such as "build 2.10.3.7236" no longer reach Python.
    prefilter = rf"{word_start('.')}\d{{1,3}}\.\d{{1,3}}\.\d{{1,3}}\.\d{{1,3}}{WORD_END}"
    pattern = re.compile(
        r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
        r"(?![\w]|\.\d)"
    )
    confidence = 0.85
    VERSION_CONTEXT = re.compile(r"(?:version|release|build|\bv|\bver\.?)\s*$")

    def validate(self, match: re.Match[str], text: str) -> float | None:
        if not v.ip_ok(match.group(0)):
            return None
        if self.VERSION_CONTEXT.search(context_before(text, match.start(), 16)):
            return None
        return self.confidence


class Ipv6Recognizer(Recognizer):
    first_chars = r"[0-9A-Fa-f:]"
    name = "ipv6"
    pii_type = "ip_address"
    prefilter = r"[0-9A-Fa-f]::|::[0-9A-Fa-f]|(?:[0-9A-Fa-f]{1,4}:){7}"
    pattern = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
    confidence = 0.85

    def validate(self, match: re.Match[str], text: str) -> float | None:
        value = match.group(0)
        if "::" not in value and value.count(":") != 7:
            return None
        if not any(c.isdigit() for c in value) or len(value.replace(":", "")) < 4:
            return None  # std::map, a::b
        return self.confidence if v.ip_ok(value) else None


# --------------------------------------------------------------------------- financial


class CreditCardRecognizer(Recognizer):
    first_chars = r"\d"
    name = "credit_card_luhn"
    pii_type = "credit_card"
    # Starts where the pattern may start (not inside an IBAN or a longer number). A number glued into an
    # identifier by "-" or "_" ("wf-4111 1111 1111 1111-x") counts; one continuing a longer number does not.
    prefilter = r"(?:^|[^\p{L}\p{N}])(?:\d{4}[ \-]?\d{4}[ \-]?\d{4}|\d{4}[ \-]?\d{6}[ \-]?\d{4})"
    pattern = re.compile(
        r"(?<![^\W_])(?<!\d-)(?:\d{12,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{4,5})"
        r"(?![^\W_])(?!-\d)"
    )
    confidence = 0.95
    context = re.compile(r"card|visa|mastercard|amex|maestro|credit|debit|cc\b|payment|pan\b")
    context_boost = 0.05

    def validate(self, match: re.Match[str], text: str) -> float | None:
        digits = v.digits_of(match.group(0))
        if not 12 <= len(digits) <= 19 or not v.card_prefix_ok(digits) or not v.luhn_ok(digits):
            return None
        if len(digits) == 12:
            # 12-digit Maestro numbers look like any id: only next to card wording.
            return 0.75 if self.context_distance(text, match.start()) is not None else None
        return self.confidence


class IbanRecognizer(Recognizer):
    first_chars = r"[A-Z]"
    name = "iban_mod97"
    pii_type = "bank_account"
    prefilter = rf"{word_start().replace('_', '')}[A-Z]{{2}}\d{{2}} ?[A-Z0-9]{{4}}"
    # "_" is a separator: "corr_DE89370400440532013000" holds an IBAN (mod-97 keeps look-alikes out).
    pattern = re.compile(r"(?<![^\W_])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?")
    confidence = 0.95

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found = []
        for match in self.pattern.finditer(text):
            value = match.group(0)
            expected = v.IBAN_LENGTHS.get(value[:2])
            if expected is None:
                continue
            # Trim to the country's length: the regex may have swallowed a next word.
            kept = 0
            end = match.start()
            for index, char in enumerate(value):
                if char != " ":
                    kept += 1
                if kept == expected:
                    end = match.start() + index + 1
                    break
            if kept < expected:
                continue
            if end < len(text) and (text[end].isalnum()):
                continue
            if v.iban_ok(text[match.start() : end].replace(" ", "")):
                found.append(Finding(self.pii_type, match.start(), end, self.confidence, self.name))
        return found


class AbaRoutingRecognizer(Recognizer):
    first_chars = r"\d"
    name = "aba_routing"
    pii_type = "bank_account"
    keywords = ("routing", r"\baba\b", r"\brtn\b", "transit")
    pattern = re.compile(r"(?<![\w-])\d{9}(?![\w-])")
    confidence = 0.85  # checksum + keyword
    context_required = True

    def validate(self, match: re.Match[str], text: str) -> float | None:
        return self.confidence if v.aba_ok(match.group(0)) else None


class BankAccountRecognizer(Recognizer):
    """Account numbers are just digits: only with explicit account wording."""

    first_chars = "[baknscrh口账帐계]"  # the first letters of the labels below
    name = "bank_account_context"
    pii_type = "bank_account"
    _labels = (
        r"bank\s+account|account\s*(?:number|no\.?|num|#)|acct\.?\s*(?:number|no\.?|#)?|a/c|kontonummer|"
        r"konto(?:nr\.?)?|sort\s+code|numéro\s+de\s+compte|número\s+de\s+cuenta|n[uú]mero\s+d[ae]\s+conta|"
        r"conto\s+corrente|rekeningnummer|rekening(?:nr\.?)?|numer\s+konta|hesap\s+(?:no|numaras[ıi])|"
        r"nomor\s+rekening|s[ốo]\s+t[àa]i\s+kho[ảa]n|口座番号|账号|帐号|계좌\s*번호|clabe|bsb|cbu"
    )
    prefilter = "(?i)" + _labels
    pattern = re.compile(
        r"(?i)(?:" + _labels + r")"
        r"\s*(?:is|:|#|=)?\s*(?:(?:number|no\.?)\s*)?[:#]?\s*(\d[\d -]{4,20}\d)(?![\w-])"
    )
    span_group = 1
    confidence = 0.8

    def validate(self, match: re.Match[str], text: str) -> float | None:
        digits = v.digits_of(match.group(1))
        return self.confidence if 6 <= len(digits) <= 20 else None


# --------------------------------------------------------------------------- government ids


class SsnRecognizer(Recognizer):
    first_chars = r"\d"
    name = "ssn_rules"
    pii_type = "ssn"
    # Standalone, or a part of an identifier after a letter ("wf-329-34-7960", "wf_329-34-7960-b"): a sender
    # who puts an SSN into an id field gets it found there too. Longer digit runs ("123-456-78-9012") still not.
    prefilter = rf"(?:{word_start('-')}|[A-Za-z][-_])\d{{3}}[ \-]\d{{2}}[ \-]\d{{4}}(?:{word_end('-')}|[-_][A-Za-z])"
    pattern = re.compile(r"(?:(?<![\w-])|(?<=[A-Za-z][-_]))(\d{3})([ -])(\d{2})\2(\d{4})(?:(?![\w-])|(?=[-_][A-Za-z]))")
    confidence = 0.85
    context = re.compile(r"ssn|social\s+security|ss#|\bss\s*no|sozialversicherung")

    def validate(self, match: re.Match[str], text: str) -> float | None:
        area, group, serial = match.group(1), match.group(3), match.group(4)
        if not v.ssn_ok(area, group, serial):
            return None
        return self.confidence if match.group(2) == "-" else 0.55


class BareSsnRecognizer(Recognizer):
    first_chars = r"\d"
    name = "ssn_context"
    pii_type = "ssn"
    keywords = ("ssn", r"social\s+security", "ss#", r"my\s+personal")
    pattern = re.compile(r"(?<![\w-])\d{9}(?![\w-])")
    confidence = 0.7
    # "my personal 123456789": people name the number by what it is to them.
    context_required = True

    def validate(self, match: re.Match[str], text: str) -> float | None:
        d = match.group(0)
        return self.confidence if v.ssn_ok(d[:3], d[3:5], d[5:]) else None


class ItinRecognizer(Recognizer):
    first_chars = r"9"
    name = "itin_rules"
    pii_type = "tax_id"
    prefilter = rf"{word_start('-')}9\d{{2}}[ \-]?[5-9]\d[ \-]?\d{{4}}{word_end('-')}"
    pattern = re.compile(r"(?<![\w-])9\d{2}([ -]?)\d{2}\1\d{4}(?![\w-])")
    confidence = 0.8
    context = re.compile(r"itin|tax|tin\b|irs")

    def validate(self, match: re.Match[str], text: str) -> float | None:
        digits = v.digits_of(match.group(0))
        if not v.itin_ok(digits):
            return None
        if not match.group(1) and not self.context.search(context_before(text, match.start())):  # type: ignore[union-attr]
            return None
        return self.confidence


class EinRecognizer(Recognizer):
    first_chars = r"\d"
    name = "ein_prefix"
    pii_type = "tax_id"
    prefilter = rf"{WORD_START}\d{{2}}-\d{{7}}{WORD_END}"
    pattern = re.compile(r"(?<![\w-])(\d{2})-\d{7}(?![\w-])")
    confidence = 0.6
    context = re.compile(r"\bein\b|employer\s+id|tax\s*id|\btin\b|fein|federal\s+tax|irs")
    context_boost = 0.3

    def validate(self, match: re.Match[str], text: str) -> float | None:
        return self.confidence if v.ein_ok(v.digits_of(match.group(0))) else None


class EinContextRecognizer(Recognizer):
    """An EIN written without its dash ("EIN 123456789", "FEIN: 12 3456789"): only after EIN wording."""

    first_chars = r"\d"
    name = "ein_context"
    pii_type = "tax_id"
    keywords = (r"\bf?ein\b", r"employer\s+(?:id|identification)")
    pattern = re.compile(r"(?<![\w-])(\d{2})[ ]?\d{7}(?![\w-])")
    confidence = 0.7
    context_required = True
    context_boost = 0.15

    def validate(self, match: re.Match[str], text: str) -> float | None:
        if not v.ein_ok(v.digits_of(match.group(0))):
            return None
        # Right after the keyword ("EIN 123456789"): "EIN lookup pending, reference 123456789" is not one.
        distance = self.context_distance(text, match.start())
        return self.confidence if distance is not None and distance <= 16 else None


class UkNinoRecognizer(Recognizer):
    """UK National Insurance number; malformed ones (admin "ZZ" prefixes) only with context."""

    first_chars = r"[A-Z]"
    name = "uk_nino"
    pii_type = "tax_id"
    prefilter = rf"{WORD_START}[A-Z]{{2}} ?\d{{2}} ?\d{{2}} ?\d{{2}} ?[A-Z]{WORD_END}"
    pattern = re.compile(r"(?<![\w])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Z](?![\w])")
    STRICT = re.compile(r"(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]")
    confidence = 0.85
    context = re.compile(r"\bni\b|national\s+insurance|nino|\bnin\b")

    def validate(self, match: re.Match[str], text: str) -> float | None:
        if self.STRICT.fullmatch(match.group(0)):
            return self.confidence
        return 0.5 if self.context_distance(text, match.start()) is not None else None


class GermanTaxIdRecognizer(Recognizer):
    first_chars = r"\d"
    name = "de_steuer_id"
    pii_type = "tax_id"
    keywords = ("steuer", "idnr", "identifikationsnummer", "tax")
    pattern = re.compile(r"(?<![\w-])\d{2} ?\d{3} ?\d{3} ?\d{3}(?![\w-])")
    confidence = 0.7
    context_required = True

    def validate(self, match: re.Match[str], text: str) -> float | None:
        return self.confidence if v.steuer_id_ok(v.digits_of(match.group(0))) else None


# Labels that introduce a tax or national identification number, in English and the languages of `fields`
# (NIF/NIE/DNI in Spain, CPF in Brazil, BSN in the Netherlands, PAN in India, Steuer-ID in Germany).
_TAX_ID_LABELS = (
    r"tax\s*(?:id|identification)(?:\s*(?:number|no\.?|#))?|tax\s*(?:number|no\.?)|\btin|vat\s*(?:id|no\.?|number)?"
    r"|\bnif|\bnie|\bdni|\bcpf|\bbsn|\bpan\s*(?:no\.?|number|card)?|steuer-?\s*(?:id|nummer)|steuerliche\s+id\w*"
    r"|fiscaa?l\s+nummer|n[uú]mero\s+(?:de\s+identificaci[oó]n\s+)?fiscal|identifiant\s+fiscal|num[ée]ro\s+fiscal"
)


class TaxIdContextRecognizer(Recognizer):
    name = "tax_id_context"
    pii_type = "tax_id"
    prefilter = "(?i)" + _TAX_ID_LABELS
    # The value: digits with separators, optionally led by up to five letters and ended by a check letter
    # (``12345678Z``, ``X1234567L``, ``123.456.789-09``, ``ABCDE1234F``).
    pattern = re.compile(
        r"(?i)(?:" + _TAX_ID_LABELS + r")\s*(?:is|es|est|ist|é|:|#|no\.?|nr\.?|n[ºo°]\.?)?\s*"
        r"(?-i:(?=[A-Z\d][A-Z\d .\-/]{6})([A-Z]{0,5}\d[\d .\-/]{3,14}[\dA-Z]))(?![\w-])"
    )
    span_group = 1
    confidence = 0.7


class NationalIdContextRecognizer(Recognizer):
    """A national identification or tax number after its label ("PESEL 44051401359", "BSN: 111222333",
    "nº contribuinte 501964843"), for the countries of ``national_ids.SCHEMES``. Valid for the labelled
    scheme (python-stdnum): high confidence; the scheme's length but a failed checksum: lower (a mistyped
    number is still someone's)."""

    name = "national_id_context"
    pii_type = "ssn"
    _number_word = r"(?:(?:is|es|est|ist|é|no|nr|nro|number|numer|nummer|numero|número|n[ºo°])\.?[^\w\n]{0,3})?"
    # The label, then a value whose first digit comes within six characters (CURP, PAN and codice fiscale
    # start with letters): a label word alone ("sin", "nie", "pan" inside other words) passes no text.
    prefilter = (
        f"(?i:{WORD_START}(?:"
        + re.sub(r"\\b", "", national_ids.LABELS)
        + rf")[^{NOT_BOUNDARY}\n]{{0,3}}{_number_word.replace(chr(92) + 'w', NOT_BOUNDARY)}[A-Z0-9]{{0,6}}\d)"
    )
    pattern = re.compile(
        r"(?i)(?P<label>"
        + national_ids.LABELS
        + r")[^\w\n]{0,3}"
        + _number_word
        + r"(?-i:(?P<value>[A-Z0-9](?:[A-Z0-9k]|[ .\-/](?=[A-Z0-9])){5,24}))(?![\w-])"
    )
    confidence = 0.9

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found: list[Finding] = []
        position = 0
        while match := self.pattern.search(text, position):
            position = match.end("label")  # the next label may sit inside this value's run of words
            schemes = national_ids.schemes_for_label(match.group("label"))
            start, value = match.start("value"), match.group("value")
            # The value may run into the next words ("44051401359 NIP 8567346215"): try it cut at each separator.
            cuts = [len(value)] + [m.start() for m in re.finditer(r"[ .\-/]", value)][::-1]
            best: tuple[float, int, str] | None = None
            for cut in cuts:
                candidate = value[:cut]
                if sum(c.isdigit() for c in candidate) < 4:
                    continue
                for scheme in schemes:
                    if scheme.valid(candidate):
                        best = (self.confidence, cut, scheme.pii_type)
                    elif best is None and len(scheme.compact(candidate)) == scheme.length:
                        best = (0.6, cut, scheme.pii_type)
                    if best and best[0] == self.confidence:
                        break
                if best and best[0] == self.confidence:
                    break
            if best:
                found.append(Finding(best[2], start, start + best[1], best[0], self.name))
                position = start + best[1]
        return found


class NationalIdFormatRecognizer(Recognizer):
    """National numbers whose written form is distinctive (CPF ``390.533.447-05``, codice fiscale, NIE,
    HETU ``131052-308T``, CURP, AHV ``756.9217.0769.85``, ...): shape plus the scheme's checksum, no label
    needed (``national_ids.SCHEMES`` with a ``standalone`` form)."""

    name = "national_id_format"
    pii_type = "ssn"
    _schemes = [scheme for scheme in national_ids.SCHEMES if scheme.standalone]
    prefilter = national_ids.STANDALONE_PREFILTER
    pattern = re.compile(
        r"(?<![\w.\-/])(?:" + "|".join(f"(?:{scheme.standalone})" for scheme in _schemes) + r")(?![\w\-/]|\.\d)"
    )
    #: A group of a longer spaced number (card, IBAN) before or after: "5302 7501 4289 0114" holds no Aadhaar.
    _in_longer_run = re.compile(r"(?:^|\s)[A-Z0-9]{2,4} $")
    _continues = re.compile(r" [A-Z0-9]")
    confidence = 0.85

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found: list[Finding] = []
        for match in self.pattern.finditer(text):
            value = match.group(0)
            start, end = match.span()
            if " " in value and (self._continues.match(text, end) or self._in_longer_run.search(text, 0, start)):
                continue
            for scheme in self._schemes:
                if re.fullmatch(scheme.standalone, value) and scheme.valid(value):  # type: ignore[arg-type]
                    found.append(Finding(scheme.pii_type, *match.span(), self.confidence, self.name))
                    break
        return found


class PassportRecognizer(Recognizer):
    first_chars = r"[A-Z0-9]"
    name = "passport_context"
    pii_type = "passport"
    keywords = (
        "passport",
        "reisepass",
        "passeport",
        "pasaporte",
        "passaporto",
        "passaporte",
        "paspoort",
        "paszport",
        "pasaport",
        "paspor",
        r"\bpassi\b",
        r"h[ộo]\s+chi[ếe]u",
        "パスポート",
        "护照",
        "여권",
        "паспорт",
        "διαβατήριο",
        "جواز",
        "דרכון",
        "पासपोर्ट",
        r"\bpass-?(?:nr|nummer)",
        r"travel\s+doc(?:ument)?",
    )
    # 6-9 letters and digits; or a series and number in groups (Russian "4509 123456")
    pattern = re.compile(
        r"(?<![\w-])(?:(?=[A-Z0-9]{6,9}(?![\w-]))(?=(?:[A-Z]*\d){5})[A-Z0-9]{6,9}|\d{2} ?\d{2} \d{6})(?![\w-])"
    )
    confidence = 0.7
    # A travel document number is a passport number (or an ID card used as one).
    context_required = True
    context_boost = 0.15


class RecordFieldsRecognizer(Recognizer):
    """A record whose fields are fixed by position or tag: ``fields`` maps each named group of ``pattern`` to
    the PII type it holds; ``keeps`` may refuse a field (a check the shape cannot make)."""

    fields: dict[str, str] = {}

    def keeps(self, field: str, value: str) -> bool:
        return True

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found: list[Finding] = []
        for match in self.pattern.finditer(text):
            for field, pii_type in self.fields.items():
                value = match.group(field)
                if value and self.keeps(field, value):
                    found.append(Finding(pii_type, *match.span(field), self.confidence, self.name))
        return found


class GedcomRecognizer(RecordFieldsRecognizer):
    """A GEDCOM genealogy record (``0 @I1@ INDI`` / ``1 NAME Anna /Berg/`` / ``1 BIRT`` / ``2 DATE 21 AUG
    1890``): its fields are fixed by tag. Names (``NAME``, ``GIVN``, ``SURN``, ``NICK``, ``_MARNM``) and the
    date under a birth or christening event are personal data; places, sex and family links are not."""

    name = "gedcom"
    pii_type = "name"
    prefilter = r"(?:^|\n)[ \t]*\d{1,2} (?:NAME|GIVN|SURN|NICK|_MARNM|BIRT|CHR|BAPM)(?:$|\s)"
    pattern = re.compile(
        r"(?m)^[ \t]*\d{1,2} (?:NAME|GIVN|SURN|NICK|_MARNM)[ \t]+(?P<name>[^\n]*[^\s/]/?)[ \t]*$"
        r"|^[ \t]*\d{1,2} (?:BIRT|CHR|BAPM)[ \t]*\n(?:[ \t]*\d{1,2} (?!DATE)[^\n]*\n){0,4}"
        r"[ \t]*\d{1,2} DATE[ \t]+(?P<dob>[^\n]*\d[^\n]*?)[ \t]*$"
    )
    fields = {"name": "name", "dob": "dob"}
    confidence = 0.9


def _mrz_check_digit(field: str) -> str:
    """ICAO 9303 check digit: weights 7, 3, 1 over digits, letters (A = 10) and fillers (< = 0)."""
    total = 0
    for position, char in enumerate(field):
        value = int(char) if char.isdigit() else ord(char) - 55 if char.isalpha() else 0
        total += value * (7, 3, 1)[position % 3]
    return str(total % 10)


class MrzRecognizer(RecordFieldsRecognizer):
    """The machine-readable zone of a passport, visa or identity card (ICAO 9303), as OCR of a document scan
    gives it: the name line (``P<NGAOKAFOR<<CHUKWUEMEKA<<<…``) is a name, the data line of a passport or visa
    (document number, nationality, birth date, sex, expiry, with check digits) a passport number, and an
    identity card's document line its identity number and its data line a date of birth. Data lines count only
    when a check digit holds (the document number's or the birth date's)."""

    name = "mrz"
    pii_type = "passport"
    prefilter = r"[A-Z]<<[A-Z<]|[A-Z0-9<]{9}\d[A-Z<]{3}\d{7}[MFX<]\d{7}|\d{7}[MFX<]\d{7}[A-Z<]{3}"
    pattern = re.compile(
        r"(?<![A-Z0-9<])(?:"
        r"(?P<td3_name>[PV][A-Z<][A-Z<]{3}(?=[A-Z<]{39}(?![A-Z0-9<]))[A-Z]+<<[A-Z<]+)"  # passport, visa: 44
        r"|(?P<td3_data>[A-Z0-9<]{9}\d[A-Z<]{3}\d{6}\d[MFX<]\d{6}\d[A-Z0-9<]{14}[\d<]\d)"
        r"|(?P<td2_name>[IACPV][A-Z<][A-Z<]{3}(?=[A-Z<]{31}(?![A-Z0-9<]))[A-Z]+<<[A-Z<]+)"  # TD2 and visas: 36
        r"|(?P<td2_data>[A-Z0-9<]{9}\d[A-Z<]{3}\d{6}\d[MFX<]\d{6}\d[A-Z0-9<]{7}\d)"
        r"|(?P<td1_doc>[IAC][A-Z<][A-Z<]{3}[A-Z0-9<]{9}\d[A-Z0-9<]{15})"  # identity card: 30
        r"|(?P<td1_data>\d{6}\d[MFX<]\d{6}\d[A-Z<]{3}[A-Z0-9<]{11}\d)"
        r"|(?P<td1_name>(?=[A-Z<]{30}(?![A-Z0-9<]))[A-Z]+<<[A-Z<]+)"
        r")(?![A-Z0-9<])"
    )
    fields = {
        "td3_name": "name",
        "td3_data": "passport",
        "td2_name": "name",
        "td2_data": "passport",
        "td1_doc": "ssn",
        "td1_data": "dob",
        "td1_name": "name",
    }
    confidence = 0.9

    def keeps(self, field: str, value: str) -> bool:
        if field in ("td3_data", "td2_data"):
            return _mrz_check_digit(value[:9]) == value[9] or _mrz_check_digit(value[13:19]) == value[19]
        if field == "td1_doc":
            return _mrz_check_digit(value[5:14]) == value[14]
        if field == "td1_data":
            return _mrz_check_digit(value[:6]) == value[6]
        return True


class LabelledValueRecognizer(Recognizer):
    """A value written after its label inside text, as a log line or a pasted form writes it:
    ``door=D3 finger_tpl=Rk1S...``, ``kvnr="A123456780"``, ``CNH: S 691 748 029 411``. The label is read with
    the same key vocabulary as a JSON key (`fields.classify_field`: languages, abbreviations, compounds), so
    a label is declared once for both; only identifier types are taken, and only values that look like one
    (digits; a biometric template's length)."""

    name = "labelled_value"
    pii_type = "ssn"  # one of several: the label decides each finding's type
    # A label's last letter, "=" or ":", then a value holding a digit: a quoted one, one token, or after ":" a
    # first token starting with a letter or digit and further tokens in capitals and digits (the pattern's value
    # shapes; a superset of both).
    prefilter = (
        r"[\p{L}_'’.-](?:=(?:\x22[^\x22\n]*\d|[^\s,;|&\x22]*\d)"
        r"| ?: ?(?:\d|[A-Za-z][A-Za-z0-9/+=.-]*(?:\d|(?: [A-Z0-9-]+)* [A-Z-]*\d)))"  # not "https://"
    )
    # A word ending in a letter ("10:30" is a time); possessive, so a failed label is not retried letter by letter.
    _label = r"[^\W\d][\w'’.-]{0,38}+(?<![\d'’.-])"
    first_chars = r"[^\W\d]"
    pattern = re.compile(
        rf"(?<![\w'’.-])(?P<key>{_label})=(?:\x22(?P<quoted>[^\x22\n]{{4,200}})\x22|(?P<bare>[^\s,;|&\x22]{{3,599}}[^\s,;|&\x22.:)\]]))"
        rf"|(?<![\w'’.-])(?P<label>{_label}(?: {_label}){{0,3}}+) ?: ?"
        r"(?P<value>[A-Za-z0-9](?:[A-Za-z0-9/+=.-]*[A-Za-z0-9=])?(?: (?=[A-Z0-9-]*\d)[A-Z0-9-]*[A-Z0-9]){0,6})"
        r"(?![\w/+=-]|\.\w)"
    )
    confidence = 0.85
    _TYPES = frozenset(["ssn", "passport", "drivers_license", "tax_id", "medical_record", "bank_account", "biometric"])

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found: list[Finding] = []
        for match in self.pattern.finditer(text):
            group = "quoted" if match.group("quoted") else "bare" if match.group("bare") else "value"
            label = match.group("key") or match.group("label")
            value = match.group(group)
            pii_type = classify_field(label).whole_value_type
            if pii_type not in self._TYPES:
                continue
            digits = sum(c.isdigit() for c in value)
            if (len(value) < 16 or digits < 2) if pii_type == "biometric" else digits < 4:
                continue
            found.append(Finding(pii_type, *match.span(group), self.confidence, self.name))
        return found


class SsrDocsRecognizer(RecordFieldsRecognizer):
    """An airline booking's passenger document remark (IATA ``SSR DOCS``): ``SSR DOCS KL HK1
    P/DEU/C01X00T47/DEU/04MAR86/F/12AUG31/MUELLER/ANNA/MARIA``. Its fields are fixed by position: the
    document number, the date of birth and the names are personal data; the document type, countries,
    gender and expiry are not. One match gives a finding per personal field."""

    name = "ssr_docs"
    pii_type = "passport"
    prefilter = r"(?i)\bssr\s+docs\b"
    _name = r"[A-Z][A-Z' -]*[A-Z]|[A-Z]"
    pattern = re.compile(
        r"(?i)\bSSR\s+DOCS\s+\w{2}\s+[A-Z]{2}\d{1,2}\s+[A-Z]{1,2}/[A-Z]{2,3}/(?P<number>[A-Z0-9]{4,20})/[A-Z]{2,3}/"
        r"(?P<dob>\d{2}[A-Z]{3}\d{2,4})/[MFXU]I?/(?:\d{2}[A-Z]{3}\d{2,4})?/"
        rf"(?P<surname>{_name})(?:/(?P<given>{_name}))?(?:/(?P<middle>{_name}))?(?=$|[\s\"]|-\d)"
    )
    fields = {"number": "passport", "dob": "dob", "surname": "name", "given": "name", "middle": "name"}
    confidence = 0.9

    def keeps(self, field: str, value: str) -> bool:
        # 04MAR86: a two-digit year is read as plausible_birth_date reads one
        return field != "dob" or bool(v.plausible_birth_match({"td": value[:2], "tm": value[2:5], "ty": value[5:]}))


class DriversLicenseRecognizer(Recognizer):
    first_chars = r"[A-Z0-9]"
    name = "drivers_license_context"
    pii_type = "drivers_license"
    _other_languages = (
        r"prawo\s+jazdy|prawa\s+jazdy|ehliyet|k[öo]rkort|k[øo]rekort|f[øo]rerkort|ajokortti|運転免許|驾驶证|驾照|"
        r"운전면허|водительск|b[ằa]ng\s+l[áa]i|carnet\s+de\s+conducir|carta\s+de\s+condu[çc][ãa]o"
    )
    prefilter = (
        r"(?i)driv|licen[cs]e|\bdl\b|\bdln\b|führerschein|fuhrerschein|permis|\bcnh\b|motorista|rijbewijs|patente|"
        + _other_languages
    )
    # State shapes, also written in groups ("D123 4567 8901", "123 456 789", "A12-345-678"); Ontario
    # "D1234-56789-01234", India "MH14 20110062821", Poland "00123/15/1234", Korea "11-12-345678-90".
    pattern = re.compile(
        r"(?<![\w-])(?:[A-Z]{1,2}\d{4,14}|\d{7,12}|[A-Z]\d{3}([ -])\d{4}\1\d{4}|[A-Z]\d{2}-\d{2}-\d{4}|"
        r"\d{3}([ -])\d{3}\2\d{3}|[A-Z]\d{2}([ -])\d{3}\3\d{3}|[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}|"
        r"[A-Z]\d{2}[A-Z0-9]{6,9}|[A-Z]\d{4}-?\d{5}-?\d{5}|"
        r"[A-Z]{2}[- ]?\d{2}[- ]?\d{4}[- ]?\d{7}|\d{5}/\d{2}/\d{4}|\d{2}-\d{2}-\d{6}-\d{2})"
        r"(?![\w-]|/\d)"
    )
    confidence = 0.7
    context = re.compile(
        r"drivers?'?s?\s*licen[cs]e|driving\s+licen[cs]e|\bdl\b|\bdln\b|licen[cs]e\s*(?:no|number|#)|"
        r"führerschein|fuhrerschein|permis\s+de\s+conduire|\bcnh\b|carteira\s+de\s+motorista|"
        r"licencia\s+de\s+conduc(?:ir|ción)|permiso\s+de\s+conduc(?:ir|ción)|rijbewijs|patente\s+di\s+guida|"
        # "my licence D1234-..." right before the number (a licence far before could be software's)
        r"\blicen[cs]e(?:\s+(?:is|nr|no\.?))?\s*[:#]?\s*(?:$|(?=[A-Z]?\d))|" + _other_languages
    )
    context_required = True
    context_boost = 0.15


class UkDrivingLicenceRecognizer(Recognizer):
    """The 16-character UK licence number is specific enough without context."""

    first_chars = r"[A-Z9]"
    name = "uk_driving_licence"
    pii_type = "drivers_license"
    prefilter = r"[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}"
    pattern = re.compile(r"(?<![\w])[A-Z9]{5}\d[0156]\d[0-3]\d{2}[A-Z9]{2}\d[A-Z]{2}(?![\w])")
    confidence = 0.8


# --------------------------------------------------------------------------- health


class MedicalRecordRecognizer(Recognizer):
    first_chars = r"[A-Z0-9]"
    name = "mrn_context"
    pii_type = "medical_record"
    keywords = (
        r"\bmrn",
        r"medical\s+record",
        r"med\s*rec",
        r"patient\s*(?:id|no|number|#)",
        r"chart\s*(?:no|number|#)",
        r"health\s+record",
        r"hospital\s+(?:no|number)",
        r"patientennummer",
        r"pati[eë]ntnummer",
        r"historia\s+cl[ií]nica",
        r"dossier\s+m[ée]dical",
        r"prontu[aá]rio",
        r"cartella\s+clinica",
        r"dossier\s+patient",
        r"medisch\s+dossier",
        r"journalnummer",
        r"historii\s+choroby",
        r"rekam\s+medis",
        r"b[ệe]nh\s+[áa]n",
        r"\buhid\b",
        r"\b(?:ipd|opd)\s*(?:no|number|#)",
        r"カルテ",
        r"患者(?:id|番号)",
        r"病[历歷]号",
        r"환자\s*번호",
        r"\bhasta\s+(?:no|numarası)",
    )
    pattern = re.compile(r"(?<![\w-])(?:[A-Z]{1,4}[-]?)?\d{5,12}(?![\w-])")
    confidence = 0.75
    context_required = True
    context_boost = 0.1

    def context_distance(self, text: str, start: int) -> int | None:
        # "MRN-4455667": the keyword is the identifier's own prefix, inside the span.
        if self.context.match(text, start):  # type: ignore[union-attr]
            return 0
        return super().context_distance(text, start)


class NhsNumberRecognizer(Recognizer):
    first_chars = r"\d"
    name = "nhs_mod11"
    pii_type = "medical_record"
    keywords = ("nhs",)
    pattern = re.compile(r"(?<![\w-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\w-])")
    confidence = 0.9  # checksum + keyword: beats the phone reading of "943 476 5919"
    context_required = True

    def validate(self, match: re.Match[str], text: str) -> float | None:
        return self.confidence if v.nhs_ok(v.digits_of(match.group(0))) else None


# Medicare Beneficiary Identifier letters: A-Z without S, L, O, I, B, Z (CMS MBI format specification).
_MBI_ALPHA = "[AC-HJKMNP-RT-Y]"
_MBI_ALNUM = "[AC-HJKMNP-RT-Y0-9]"


class MedicareMbiRecognizer(Recognizer):
    """A Medicare Beneficiary Identifier (``1EG4-TE5-MK73``): 11 characters whose every position has its
    class (digit / letter / either, with the easily confused letters never used), written plain or 4-3-4.
    A health-plan id of the person, held like a medical record number."""

    first_chars = r"[1-9]"
    name = "medicare_mbi"
    pii_type = "medical_record"
    keywords = (r"\bmbi\b", "medicare", r"beneficiary\s+(?:id|identifier|number|no)")
    pattern = re.compile(
        rf"(?i)(?<![\w-])[1-9]{_MBI_ALPHA}{_MBI_ALNUM}\d-?{_MBI_ALPHA}{_MBI_ALNUM}\d-?{_MBI_ALPHA}{{2}}\d\d(?![\w-])"
    )
    confidence = 0.85
    context_required = True


class BiometricRecognizer(Recognizer):
    """Encoded templates (hex/base64 blobs) introduced by biometric wording."""

    name = "biometric_context"
    pii_type = "biometric"
    keywords = (
        "biometric",
        "fingerprint",
        r"finger\s*print",
        r"face\s*(?:print|template|embedding|id|scan)",
        "faceprint",
        "iris",
        "retina",
        r"voice\s*print",
        "voiceprint",
        r"palm\s*print",
        "template",
        "minutiae",
        r"facial\s+geometry",
        r"palm[\s-]*vein",
    )
    pattern = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{24,}={0,2}(?![\w+/=-])")
    confidence = 0.75
    context_required = True
    context_boost = 0.15
    #: Context words that are biometric on their own; "template" alone is also an email/document word.
    STRONG = re.compile(r"biometric|finger|face|facial|iris|retina|voice|palm|minutiae|vein", re.IGNORECASE)

    def validate(self, match: re.Match[str], text: str) -> float | None:
        value = match.group(0)
        if not any(c.isdigit() for c in value):
            return None  # a long word, not an encoding
        if len(value) < 40 and not self.STRONG.search(context_before(text, match.start())):
            return None  # "template" + a short id (a uuid, an md5) is not a biometric template
        return self.confidence


class BiometricRecordRecognizer(Recognizer):
    """A biometric data record by its format's own header, wherever it appears: ISO/IEC 19794 and ANSI 378
    records begin with a magic ("FMR\\0" finger minutiae, "FIR\\0" finger image, "FAC\\0" face, "IIR\\0"
    iris), which survives base64 (``Rk1SACAy...``) and hex (``464d5200...``) encoding. No context needed."""

    name = "biometric_record_header"
    pii_type = "biometric"
    prefilter = r"Rk1SA|RklSA|RkFDA|SUlSA|(?i:464d5200|46495200|46414300|49495200)"
    pattern = re.compile(
        r"(?<![\w+/=-])(?:(?:Rk1SA|RklSA|RkFDA|SUlSA)[A-Za-z0-9+/]{14,}={0,2}"
        r"|(?i:(?:464d52|464952|464143|494952)00[0-9a-f]{16,}))(?![\w+/=-])"
    )
    confidence = 0.9


# Every month name and abbreviation the validators know (`validators.MONTHS`), longest first.
_MONTH_WORDS = "(?:" + "|".join(re.escape(m) for m in sorted(v.MONTHS, key=len, reverse=True)) + ")"
_MONTH_FIRST_WORDS = "(?:" + "|".join(re.escape(m) for m in sorted(v.MONTH_FIRST_NAMES, key=len, reverse=True)) + ")"


class DateOfBirthRecognizer(Recognizer):
    """Dates are everywhere; only birth wording (or a dob field) makes one personal."""

    # "b. 4 Mar 1986": the prefilter takes any "b." before a digit (a boundary class in front made
    # the keyword union 4x slower on the benchmark); the context rule wants it to start a word.
    name = "dob_context"
    pii_type = "dob"
    keywords = (
        "born",
        "birth",
        r"\bdob\b",
        r"d\.o\.b",
        r"\bb-?day",
        r"geb\.",
        "geboren",
        "geburt",
        r"\bnée?\b",
        "nacimiento",
        "naissance",
        "nascimento",
        "nascita",
        "geboorte",
        r"\bnacid[oa]\b",
        r"\bnascid[oa]\b",
        r"\bnat[oa] il\b",
        r"f[öo]d(?:d|else)",
        r"f[øo]d(?:t|sel)",
        "urodz",
        r"do[ğg]um",
        r"\blahir\b",
        r"\bsinh\b",
        "syntym",
        "syntyn",
        r"\bjanam?\b",
        "生年月日",
        "出生",
        "誕生",
        "생년월일",
        "태어",
        "рожд",
        "родил",
        "γενν",
    )
    prefilter = "(?i)" + "|".join(keywords) + r"|b\.\s?\d"
    pattern = re.compile(
        r"(?i)(?<![\w/.-])(?:"
        r"(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"
        r"|(?P<cy>(?:19|20)\d\d)(?P<cm>0[1-9]|1[0-2])(?P<cd>0[1-9]|[12]\d|3[01])"
        r"|(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d{2})"
        r"|(?P<td>\d{1,2})(?:st|nd|rd|th|er|º|°)?(?:\.?\s+(?:de\s+|of\s+)?|-)(?P<tm>" + _MONTH_WORDS + r")"
        r"(?:\.?,?\s+(?:de\s+)?|-)(?P<ty>\d{4})"
        r"|(?P<mm>" + _MONTH_FIRST_WORDS + r")\.?\s+(?P<md>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<my>\d{4})"
        r"|(?P<jy>(?:19|20)\d\d)\s?[年년]\s?(?P<jm>\d{1,2})\s?[月월]\s?(?P<jd>\d{1,2})\s?[日일]?"
        r")(?![\w]|[/.-]\d)"
    )
    confidence = 0.7
    # "b. 4 Mar 1986" (genealogy/registration shorthand) only right before the date.
    context = re.compile("|".join(keywords) + r"|(?<![\w.])b\.\s?$")
    context_required = True
    context_boost = 0.2

    def validate(self, match: re.Match[str], text: str) -> float | None:
        return self.confidence if v.plausible_birth_match(match.groupdict()) else None


def all_recognizers() -> list[Recognizer]:
    """The default registry order; names and addresses live in their own modules."""
    from .address import AddressRecognizers
    from .names import (
        CapitalsNameRecognizer,
        ContactVerbNameRecognizer,
        HonorificNameRecognizer,
        PersonNameRecognizer,
        RoleCueNameRecognizer,
        ScriptNameRecognizer,
    )

    recognizers: list[Recognizer] = [
        EmailRecognizer(),
        InternationalPhoneRecognizer(),
        NanpPhoneRecognizer(),
        NationalPhoneRecognizer(),
        LibPhoneRecognizer(),
        BarePhoneRecognizer(),
        Ipv4Recognizer(),
        Ipv6Recognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        AbaRoutingRecognizer(),
        BankAccountRecognizer(),
        SsnRecognizer(),
        BareSsnRecognizer(),
        ItinRecognizer(),
        EinRecognizer(),
        EinContextRecognizer(),
        UkNinoRecognizer(),
        GermanTaxIdRecognizer(),
        TaxIdContextRecognizer(),
        NationalIdContextRecognizer(),
        NationalIdFormatRecognizer(),
        PassportRecognizer(),
        DriversLicenseRecognizer(),
        UkDrivingLicenceRecognizer(),
        MedicalRecordRecognizer(),
        NhsNumberRecognizer(),
        MedicareMbiRecognizer(),
        SsrDocsRecognizer(),
        GedcomRecognizer(),
        MrzRecognizer(),
        LabelledValueRecognizer(),
        BiometricRecognizer(),
        BiometricRecordRecognizer(),
        DateOfBirthRecognizer(),
    ]
    recognizers.extend(AddressRecognizers())
    recognizers.append(PersonNameRecognizer())
    recognizers.append(RoleCueNameRecognizer())
    recognizers.append(ContactVerbNameRecognizer())
    recognizers.append(HonorificNameRecognizer())
    recognizers.append(ScriptNameRecognizer())
    recognizers.append(CapitalsNameRecognizer())
    return recognizers


def names_of(recognizers: Iterable[Recognizer]) -> list[str]:
    return [r.name for r in recognizers]


#: Comma-separated recognizer names a deployment switches off (like Presidio's registry configuration).
DISABLED_ENV = "OSA_PII_DISABLED_RECOGNIZERS"


def enabled_recognizers(disabled: Iterable[str] | None = None) -> list[Recognizer]:
    """The registry without the recognizers named in `disabled` (default: those in OSA_PII_DISABLED_RECOGNIZERS).

    An unknown name is an error, not a silent no-op: a typo would otherwise leave the recognizer on."""
    if disabled is None:
        disabled = [name.strip() for name in os.environ.get(DISABLED_ENV, "").split(",") if name.strip()]
    off = set(disabled)
    registry = all_recognizers()
    unknown = sorted(off - set(names_of(registry)))
    if unknown:
        raise ValueError(
            f"{DISABLED_ENV} names unknown recognizers: {', '.join(unknown)} (known: {', '.join(names_of(registry))})"
        )
    return [r for r in registry if r.name not in off]
