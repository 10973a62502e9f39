"""Person names in free text, from bundled name lists plus shape and context.

No model: a run of capitalized words is a name when its first word is a known given
name and its last a known surname (or one of them with a title/greeting/label in
front), unless the words are ordinary English ("Data Science", "Spring Sale"), an
organisation ("... Labs", "... LLC"), a street ("Jackson Street") or a place.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property, lru_cache

import numpy as np
import polars as pl

from . import lexicon
from .recognizers import Recognizer
from .types import Finding

#: Latin (with Vietnamese's Extended Additional), Greek and Cyrillic letters: names in those scripts fold to
#: the Latin spellings the name lists hold (``lexicon.fold`` romanises Greek and Cyrillic).
_NAME_SCRIPTS = [*range(0x41, 0x250), *range(0x370, 0x530), *range(0x1E00, 0x1F00)]
_UP = "".join(chr(c) for c in _NAME_SCRIPTS if chr(c).isupper() and chr(c).isalpha())
_LO = "".join(chr(c) for c in _NAME_SCRIPTS if chr(c).islower() and chr(c).isalpha())
_CAPWORD = rf"(?:[{_UP}]['’])?[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?(?:-[{_UP}][{_LO}]+)?"
_INITIAL = rf"[{_UP}]\.?(?=\s)"
_PARTICLE = "|".join(sorted(lexicon.PARTICLES, key=len, reverse=True))
#: Runs of capitalized words (with particles/initials as glue): "Anna van der Berg".
SEQUENCE = re.compile(  # the uppercase lookahead first: cheap rejection at most positions
    rf"(?=[{_UP}])(?<![\w@.#/-])(?:{_CAPWORD}|{_INITIAL})"
    rf"(?:[ \t]+(?:(?:{_PARTICLE})[ \t]+)*(?:{_CAPWORD}|{_INITIAL})){{0,4}}(?![\w@])"
)

#: Titles and honorifics before a name, in the languages of the key words (Indian Shri/Smt., Dutch mevr./dhr.,
#: Polish pan/pani, Turkish bay/bayan, Indonesian Bapak/Ibu, Italian sig./sig.ra, Iberian don/doña/dona).
_TITLES = (
    "mr|mrs|ms|miss|mx|dr|prof|sir|dame|herr|frau|mme|mlle|sr|sra|srta|rev|madame|monsieur|fru|shri|sri|smt|"
    "shrimati|kumari|mevr|mevrouw|dhr|pan|pani|bay|bayan|sayın|bapak|pak|ibu|sig|signor|signora|don|doña|dona"
)
_GREETINGS = "hi|hello|hey|dear|thanks|thank you|cheers|regards|sincerely|best|bye|welcome|congrats"
_LABELS = (
    "name|contact|attn|attention|cc|bcc|from|to|signed|customer|patient|client|owner|assignee|by|rep|lead|applicant"
)
#: Verbs only a person does in a note ("Jutta asked for the invoice", "Begoña pidió el día"): a known first name
#: that is not an ordinary word, alone before one, is a name. Not "is", "was", "said", "reported", "has": a
#: brand that is also a first name does those ("Zara has extended returns", "Chanel said").
_SUBJECT_VERBS = (
    "asked|told|emailed|replied|complained|phoned|texted|called|wants|prefers|needs|agreed|declined|refused|"
    "mentioned|explained|arrived|visited|lives|requested|fragte|bat|rief|möchte|pidió|llamó|quiere|pediu|ligou|"
    "quer|chiede|vuole|demande|veut|vroeg|belde|frågade|ringde"
)
#: First names that start a sentence as another word more often ("May was busy", "Will is ..." is rare, "Hope is").
_NOT_SUBJECTS = frozenset(["may", "april", "june", "august", "will", "hope"])
#: What a subject cannot follow: the end of a firm's list of partners ("Johnson & Johnson", "Smith, Butcher
#: and Anderson"), a preposition ("our manager at Becker sent": a firm), or a word it is glued to ("O'Brien").
_LIST_END = re.compile(
    r"(?:&|[A-Z][\w'’-]*,?[ \t]+and|(?<![\w])(?i:at|from|with|for|of|by|to|in|on|via|von|bei|de|chez))[ \t]*$"
    r"|[^\s(\x22“]$"
)
_SUBJECT = re.compile(rf"[ \t]+(?:{_SUBJECT_VERBS})(?![\w'’-])")
# Same alternatives for the Rust prefilter: any strong context followed by a capital.
# The keyword starts after a non-letter, as ``_context_strength`` reads it (and not ``\b``,
# which the engine's DFA cannot run on non-ASCII text).
_RUST_CONTEXT = (
    rf"(?i:(?:^|\P{{L}})(?:(?:{_TITLES})\.?|(?:{_GREETINGS})[,!]?|(?:{_LABELS})[ \t]*[:=-]))\s*\p{{Lu}}"
    rf"|\p{{Lu}}\p{{Ll}}+[ \t]+(?:{_SUBJECT_VERBS})(?:$|[^\p{{L}}\p{{N}}_'’-])"
)
_RUST_PAIR = r"\p{Lu}[\p{Ll}'’\-]*\p{Ll}[ \t]+(?:\p{Ll}{1,4}[ \t]+)*\p{Lu}"
_RUST_WORD = r"\p{Lu}[\p{Ll}'’]*\p{Ll}"
_HASH_SEED = 7

# Role cues introduce people by what they do or are to the writer ("staff such as", "primary
# contact is", "escalated by"): a name right after one needs no list entry when
# capitalized, and may be written in lower case when its words are in the lists. "Meeting with"
# and "call with" are not cues: they take companies as often as people; bare nouns ("customer",
# "patient") were, but they are so frequent that scanning every text holding one cost ~4% of
# the frame path for little recall.
# A self-introduction, in the languages of the key words: what follows is the writer's name, even in
# lower case and with a surname the lists lack ("my name is priya raghunathan").
_INTRO_WORDS = (
    r"my\s+name\s+is|call\s+me|ich\s+hei(?:ß|ss)e|je\s+m'appelle|me\s+llamo|mi\s+chiamo|meu\s+nome\s+[ée]"
    r"|mijn\s+naam\s+is|nazywam\s+si[ęe]|benim\s+ad[ıi]m|nama\s+saya|t[êe]n\s+t[ôo]i\s+l[àa]"
)
_INTRO = re.compile(rf"(?i){_INTRO_WORDS}")
_LOWER_WORD = re.compile(r"([^\W\d_A-Z][\w'’-]*)(?![\w@])[ \t]*")
_CUE_WORDS = (
    r"(?:staff|team|colleagues?|people|members?|attendees|testers?|users)\s+(?:such\s+as|like|including)"
    r"|(?:primary|main|secondary|billing|technical|emergency|key)\s+contact(?:\s+(?:is|was)|\s*[:-])?"
    r"|contact\s+person(?:\s+is|\s*[:-])?|(?:loop|looped)\s+in|cc'?d"
    r"|(?:escalated|requested|approved|signed|submitted|reported|entered|referred|handled|reviewed|raised)\s+by"
    r"|(?:opened|created|closed|completed|updated|verified|prepared|logged|booked|witnessed|translated|inspected)"
    r"\s+by|(?:spoke|speaking|spoken|talked|talking)\s+(?:with|to)|on\s+behalf\s+of"
    r"|assigned\s+to|" + _INTRO_WORDS
)
ROLE_CUE = re.compile(rf"(?i)(?=[stapmkebclrhuijnovw])(?<![\w])(?:{_CUE_WORDS})[ \t]+")
_RUST_CUE = rf"(?i:(?:^|[^\p{{L}}\p{{N}}_])(?:{_CUE_WORDS})[ \t]+\p{{L}})"
# "Ana Ruiz (Practice Manager)": a job title in brackets right after a capitalized pair.
_ROLE_WORDS = (
    r"manager|lead|director|nurse|coordinator|specialist|monitor|officer|assistant|administrator|admin|head|"
    r"chief|supervisor|founder|ceo|cto|cfo|coo|vp|president|engineer|analyst|consultant|receptionist|physician|"
    r"doctor|dentist|therapist|pharmacist|technician|secretary|accountant|recruiter|partner|associate|intern|"
    r"representative|rep|agent|clerk|buyer|owner"
)
_ROLE_SUFFIX = re.compile(rf"(?i)[ \t]*\((?:[\w.&/-]+[ \t]+){{0,3}}(?:{_ROLE_WORDS})\)")
_RUST_ROLE_SUFFIX = rf"\p{{Lu}}\p{{Ll}}+[ \t]*\((?i:[\w.&/ -]{{0,40}}(?:{_ROLE_WORDS})\))"
_LOWER_PAIR = re.compile(r"([^\W\d_A-Z][\w'’-]*)[ \t]+([^\W\d_A-Z][\w'’-]*)(?![\w@])")
_NAME_JOIN = re.compile(r"(?:[ \t]*,[ \t]*|[ \t]+(?:and|&)[ \t]+)")

THRESHOLD = 0.5
_UNSEEN = object()
_SHAPE_CACHE_LIMIT = 100_000


class PersonNameRecognizer(Recognizer):
    name = "person_name_lexicon"
    pii_type = "name"
    prefilter = r"\p{Lu}\p{Ll}+"

    @cached_property
    def _first(self) -> frozenset[str]:
        return lexicon.first_names()

    @cached_property
    def _last(self) -> frozenset[str]:
        return lexicon.last_names()

    @cached_property
    def _common(self) -> frozenset[str]:
        return lexicon.common_words()

    @cached_property
    def _places(self) -> frozenset[str]:
        return lexicon.places()

    @property
    def strong_names(self) -> pl.Series:
        """Names that are not common English words: the vectorized trigger set."""
        return _strong_names()

    @property
    def _strong_hashes(self) -> np.ndarray:
        return _strong_hashes()

    def candidate_expr(self, column: pl.Expr) -> pl.Expr:
        """Cheap expression part (the lexicon part is in ``candidate_mask``)."""
        return column.str.contains(_RUST_CONTEXT)

    def candidate_mask(self, values: pl.Series) -> np.ndarray:
        """Rows with strong context, or a capitalized pair containing a known non-common name."""
        frame = pl.DataFrame({"v": values}).with_row_index("r")
        flags = frame.select(
            pl.col("v").str.contains(_RUST_CONTEXT).fill_null(False).alias("ctx"),
            pl.col("v").str.contains(_RUST_PAIR).fill_null(False).alias("pair"),
        )
        out = flags["ctx"].to_numpy().copy()
        words = (
            frame.filter(flags["pair"])
            .select("r", pl.col("v").str.extract_all(_RUST_WORD).alias("w"))
            .explode("w")
            .drop_nulls("w")
        )
        if words.height:
            folded = words["w"].str.to_lowercase()
            # The lexicon is folded (accents stripped, `lexicon.fold`): fold the few non-ASCII words the same way.
            accented = np.flatnonzero(words["w"].str.contains(r"[^\x00-\x7f]").to_numpy())
            if len(accented):
                refolded = [lexicon.fold(word) for word in words["w"].gather(accented).to_list()]
                folded = folded.scatter(accented, pl.Series(refolded, dtype=pl.String))
            hashes = folded.hash(seed=_HASH_SEED).to_numpy()
            table = self._strong_hashes
            # Sorted queries walk the 200k-entry table in order: ~2.5x faster than random probes.
            order = np.argsort(hashes)
            queries = hashes[order]
            found = table[np.minimum(np.searchsorted(table, queries), len(table) - 1)] == queries
            out[words["r"].to_numpy()[order[found]]] = True
        return out

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found = []
        score = self._score
        for match in SEQUENCE.finditer(text):
            sequence = match.group(0)
            if " " not in sequence and "\t" not in sequence:
                start = match.start()
                # A lone capitalized word needs a title/greeting/label before it (never at the start), or to be
                # a known first name doing something ("Jutta asked ...").
                if not start or _context_strength(text, start) != 2:
                    subject = self._subject(text, match)
                    if subject is not None:
                        found.append(subject)
                    continue
            finding = score(text, match)
            if finding is not None:
                found.append(finding)
        return found

    def _subject(self, text: str, match: re.Match[str]) -> Finding | None:
        """A lone known first name (not an ordinary word or a place) as the subject of a person's verb."""
        start = match.start()
        if _SUBJECT.match(text, match.end()) is None or _LIST_END.search(text[max(0, start - 40) : start]):
            return None
        word = lexicon.fold(match.group(0))
        if word not in self._first or word in self._common or word in self._places or word in _NOT_SUBJECTS:
            return None
        return Finding("name", match.start(), match.end(), 0.6, self.name)

    def _cued_name(self, text: str, position: int) -> Finding | None:
        match = SEQUENCE.match(text, position)
        if match is not None:
            scored = self._score(text, match)
            return scored if scored is not None else self._cued_capitalized(match)
        pair = _LOWER_PAIR.match(text, position)
        if pair is None:
            return None
        first, last = lexicon.fold(pair.group(1)), lexicon.fold(pair.group(2))
        common = self._common
        in_first = first in self._first or first in self._last
        in_last = last in self._last or last in self._first
        if not (in_first and in_last) or (first in common and last in common):
            return None
        if first in common and first not in self._first or last in common and last not in self._last:
            return None
        return Finding("name", pair.start(), pair.end(), 0.7, self.name)

    def _introduced_lowercase(self, text: str, position: int) -> Finding | None:
        """After "my name is": a known first name that is not an ordinary word, and the next one or two
        words that are not ordinary words either (a surname the lists lack is still the surname)."""
        common, cursor, end, words = self._common, position, position, 0
        while words < 3 and (word := _LOWER_WORD.match(text, cursor)):
            folded = lexicon.fold(word.group(1))
            known = folded in self._first or folded in self._last
            if words == 0 and not (folded in self._first and folded not in common):
                return None
            if words and (folded in common and not known):
                break
            cursor, end, words = word.end(), word.end(1), words + 1
            if cursor == end:  # no space after it: the name ends here
                break
        return Finding("name", position, end, 0.7, self.name) if words else None

    def _cued_capitalized(self, match: re.Match[str]) -> Finding | None:
        """A capitalized run of 2-4 words after a role cue or before a job title: a name
        unless its words are ordinary English, an organisation or a place."""
        words = [lexicon.fold(w) for w in match.group(0).split()]
        if not 2 <= len(words) <= 4 or words[-1] in lexicon.ORG_SUFFIXES:
            return None
        if any(w in self._common and w not in self._first and w not in self._last or w in self._places for w in words):
            return None
        return Finding("name", match.start(), match.end(), 0.7, self.name)

    def _score(self, text: str, match: re.Match[str], group: int = 0) -> Finding | None:
        """A lexicon-scored finding for a capitalized run, or None."""
        sequence = match.group(group)
        shapes = self._shapes
        shape = shapes.get(sequence, _UNSEEN)
        if shape is _UNSEEN:
            if len(shapes) >= _SHAPE_CACHE_LIMIT:
                shapes.clear()
            shape = shapes[sequence] = self._shape(sequence)
        if shape is None:
            return None
        offset = match.start(group)
        start, end = offset + shape[0], offset + shape[1]
        after = text[end : end + 24].lstrip()
        if after:
            if after[0] == "&":
                return None
            next_word = after.split(None, 1)[0].strip(".,;:!?)")
            if next_word[:1].isupper() and lexicon.fold(next_word) in lexicon.ORG_SUFFIXES:
                return None
        if text[max(0, start - 2) : start].strip() == "&":
            return None
        context = _context_strength(text, start)
        score = shape[2] if context == 2 else shape[3]
        if score is None:
            return None
        score += 0.2 if context == 2 else 0.05 if context == 1 else 0.0
        if score < THRESHOLD:
            return None
        return Finding("name", start, end, round(min(score, 0.95), 3), self.name)

    @cached_property
    def _shapes(self) -> dict[str, tuple[int, int, float | None, float | None] | None]:
        """Per-sequence memo of ``_shape``: the same capitalized runs recur across rows."""
        return {}

    def _shape(self, sequence: str) -> tuple[int, int, float | None, float | None] | None:
        """What depends on the capitalized run alone (not on the text around it).

        ``(start, end, score with strong context, score without)`` relative to the run,
        or None when the run can never be a person name.
        """
        first_names, last_names, common = self._first, self._last, self._common
        # Token spans inside the sequence; particles and initials are glue.
        tokens = _tokens(sequence, 0)
        particles, fold = lexicon.PARTICLES, lexicon.fold
        core = []
        words = []
        for t in tokens:
            word = t[2]
            if len(word) > 1 and word[-1] != "." and word.lower() not in particles:
                core.append(t)
                words.append(fold(word))
        # Trim capitalized ordinary words around the name ("Meeting Jane Doe Today").
        lo, hi = 0, len(words)
        while hi - lo > 1 and words[lo] in _LEAD_IN:
            lo += 1  # "Hi Chad", "Contact Jane Doe", "Met Ana Silva"
        while hi - lo > 1 and words[lo] in common and words[lo] not in first_names and words[lo + 1] in first_names:
            lo += 1
        while hi > lo and words[lo] in common and words[lo] not in first_names:
            lo += 1
        while hi - lo > 1 and words[hi - 1] in common and words[hi - 1] not in last_names:
            hi -= 1
        if hi == lo:
            return None
        words = words[lo:hi]
        start, end = core[lo][0], core[hi - 1][1]
        # Keep a leading initial ("J. Smith").
        for t in tokens:
            if t[1] <= start and len(t[2].rstrip(".")) == 1 and start - t[1] <= 2:
                start = t[0]
                break
        if (
            words[-1] in lexicon.ORG_SUFFIXES
            or words[0] in lexicon.BRANDS
            or (len(words) > 1 and " ".join(words) in lexicon.NOT_PERSON_PHRASES)
        ):
            return None
        strong, weak = self._lexicon_score(words, True), self._lexicon_score(words, False)
        if strong is None and weak is None:
            return None
        return start, end, strong, weak

    def _lexicon_score(self, words: list[str], strong_context: bool) -> float | None:
        first, last, common = self._first, self._last, self._common
        if len(words) == 1:
            word = words[0]
            if not strong_context or word in common:
                return None
            if word in first or word in last:
                return 0.55
            return 0.25 if word in self._places else 0.4
        f, l_ = words[0], words[-1]
        f_in, l_in = f in first, l_ in last
        f_common, l_common = f in common, l_ in common
        if l_ in self._places and not l_in:
            return None
        if f_in and l_in:
            score = 0.85
        elif f_in and not l_common:
            score = 0.65  # known given name, unknown surname
        elif l_in and not f_common and f not in self._places:
            score = 0.55  # unknown given name, known surname
        elif strong_context:
            score = 0.4
        else:
            return None
        score -= 0.25 * f_common + 0.25 * l_common
        score -= 0.2 * sum(1 for w in words[1:-1] if w in common and w not in first and w not in last)
        return score


class RoleCueNameRecognizer(PersonNameRecognizer):
    """Names introduced by a role cue ("staff such as A B and C D", "primary contact is ...",
    "escalated by ...", "customer ...") or followed by a job title in brackets ("A B (Practice
    Manager)"): capitalized names need no list entry, lower-case ones need both words in the lists.

    Its own registry entry (and prefilter), so the plain name rule pays nothing for it.
    """

    name = "person_name_role_cue"
    # Its own pass (~5 ms per 47k distinct values): inside the engine's keyword union gate the
    # cue alternation made the union 2.4x slower (6 -> 15 ms). A job title is matched by its
    # last word and the bracket ("Manager)"), a superset of the Python rule.
    prefilter = f"{_RUST_CUE}|(?i:(?:{_ROLE_WORDS})\\))"
    candidate_mask = None
    candidate_expr = Recognizer.candidate_expr  # the plain keyword form, not the lexicon one

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found: list[Finding] = []
        for cue in ROLE_CUE.finditer(text):
            position = cue.end()
            if _INTRO.fullmatch(cue.group(0).rstrip()):
                finding = self._cued_name(text, position) or self._introduced_lowercase(text, position)
                if finding is not None:
                    found.append(finding)
                continue
            while True:
                finding = self._cued_name(text, position)
                if finding is None:
                    break
                found.append(finding)
                join = _NAME_JOIN.match(text, finding.end)
                if join is None:
                    break
                position = join.end()
        if "(" in text:
            for suffix in _ROLE_SUFFIX.finditer(text):
                # The capitalized run that ends right before the bracket.
                window_start = max(0, suffix.start() - 80)
                for match in SEQUENCE.finditer(text, window_start, suffix.start()):
                    if match.end() == suffix.start():
                        finding = self._score(text, match) or self._cued_capitalized(match)
                        if finding is not None:
                            found.append(finding)
        return found


_CONTACT_VERBS = r"call|contact|ring|phone|text|e-?mail|message|ask|ping"
_UPPER = r"[A-ZÀ-ÖØ-Þ]"
_PARTICLES = r"van|von|de|der|den|da|di|du|la|le|ten|ter|zu|al|el|bin|ibn"
CONTACT_SANDWICH = re.compile(
    rf"(?<![\w])(?i:{_CONTACT_VERBS})[ \t]+"
    rf"(?P<name>{_UPPER}[\w'’.-]*(?:[ \t]+(?:(?:{_PARTICLES})[ \t]+)*{_UPPER}[\w'’.-]*){{1,3}})"
    r"[ \t]+(?:on|at|via)\b"
)


class ContactVerbNameRecognizer(PersonNameRecognizer):
    """A capitalized run between a contact verb and how to reach it: "Call Rotraut Kaul on ...",
    "contact Selma Schottin at ...". The verb before and "on/at/via" after stand in for a list entry
    (names outside the bundled lists); organisations, places and ordinary words are still refused."""

    name = "person_name_contact_verb"
    prefilter = rf"(?i:{_CONTACT_VERBS})[ \t]+\p{{Lu}}[^\n]{{0,80}}?[ \t](?:on|at|via)[ \t]"
    candidate_mask = None
    candidate_expr = Recognizer.candidate_expr

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found: list[Finding] = []
        for match in CONTACT_SANDWICH.finditer(text):
            name = SPAN.match(text, match.start("name"), match.end("name"))
            finding = self._cued_capitalized(name) if name is not None else None
            if finding is not None:
                found.append(finding)
        return found


SPAN = re.compile(r".+", re.DOTALL)


_TITLE_SET = frozenset(_TITLES.split("|"))
_GREETING_SET = frozenset(_GREETINGS.split("|")) | {"you"}
_LABEL_SET = frozenset(_LABELS.split("|"))
#: Capitalized words that introduce a name but are never part of it.
_LEAD_IN = (_TITLE_SET | _GREETING_SET | _LABEL_SET | lexicon.PERSON_CONTEXT) - {"lead", "rep"}


@lru_cache(maxsize=1)
def _strong_names() -> pl.Series:
    strong = (lexicon.first_names() | lexicon.last_names()) - lexicon.common_words()
    return pl.Series("names", sorted(strong), dtype=pl.String)


@lru_cache(maxsize=1)
def _strong_hashes() -> np.ndarray:
    # polars hashes are stable within a process; a sorted u64 array makes the
    # membership test a searchsorted instead of a 200k-entry hash-set build per call.
    return np.unique(_strong_names().hash(seed=_HASH_SEED).to_numpy())


def _context_strength(text: str, start: int) -> int:
    """2 = title/greeting/label right before (same rule as the Rust prefilter), 1 = weak cue, 0 = none."""
    chunk = text[max(0, start - 24) : start].rstrip()
    if not chunk:
        return 0
    punct = ""
    if chunk[-1] in ",!:=-.":
        punct = chunk[-1]
        chunk = chunk[:-1].rstrip()
    index = len(chunk)
    while index > 0 and chunk[index - 1].isalpha():
        index -= 1
    word = chunk[index:].lower()
    if not word:
        return 0
    if punct in (":", "=", "-") and word in _LABEL_SET:
        return 2
    if punct in ("", ".") and word in _TITLE_SET:
        return 2
    if (
        punct in ("", ",", "!")
        and word in _GREETING_SET
        and (word != "you" or chunk[:index].rstrip().lower().endswith("thank"))
    ):
        return 2
    return 1 if word in lexicon.PERSON_CONTEXT else 0


def _tokens(sequence: str, offset: int) -> list[tuple[int, int, str]]:
    out = []
    position = 0
    for word in sequence.split():
        start = sequence.index(word, position)
        position = start + len(word)
        out.append((offset + start, offset + position, word))
    return out


def looks_like_person_name(value: str) -> bool:
    """Whole-value check for fields such as ``name`` or ``recipients``."""
    parts = value.replace(",", " ").split()
    if not 1 <= len(parts) <= 5 or len(value) > 80:
        return False
    if lexicon.has_legal_form(parts):
        return False
    if not value.isascii() and (script := _script_of(value)) not in (None, "CYRILLIC", "GREEK"):
        return _looks_like_name_in(script, value, parts)  # Cyrillic and Greek: lexicon.fold romanises them
    if not all(p.replace(".", "").replace("-", "").replace("'", "").replace("’", "").isalpha() for p in parts):
        return False
    if len(parts) == 1 and len(value) <= 3 and value.isupper():
        return False  # a code (airport, currency, country: "CDG", "EUR"), not someone's whole name
    folded = [lexicon.fold(p.strip(".")) for p in parts]
    if folded[-1] in lexicon.ORG_SUFFIXES:
        return False
    first, last, common = lexicon.first_names(), lexicon.last_names(), lexicon.common_words()
    known = sum(1 for w in folded if w in first or w in last)
    uncommon = sum(1 for w in folded if w not in common)
    return known >= 1 and uncommon >= 1 or (known >= 2)


_HAN = "\u4e00-\u9fff"
#: Role nouns that take an honorific like a name does (担当者様 "the person in charge"): not names.
_HONORIFIC_ROLES = frozenset(
    ["担当者", "関係者", "利用者", "責任者", "代表者", "管理者", "会員", "顧客", "各位", "先生"]
)


class HonorificNameRecognizer(Recognizer):
    """Names in Japanese, Chinese and Korean text, which has no capitals: the name is what an honorific
    follows (田中太郎さん, 佐藤様, 王伟先生, 김민준 님) or what a self-introduction names (名前は佐藤健です,
    我叫王伟, 제 이름은 박지훈입니다). Chinese and Korean names must start with a common surname."""

    name = "person_name_honorific"
    pii_type = "name"
    prefilter = r"さん|様|さま|氏|くん|ちゃん|先生|女士|小姐|老师|님|씨|이름은|名前は|我叫|名字是|姓名"
    pattern = re.compile(
        rf"(?P<ja>[{_HAN}]{{2,4}})(?=さん|様|さま|氏|くん|ちゃん|先生)"
        rf"|(?P<zh>[{_HAN}]{{1,3}})(?=先生|女士|小姐|老师)"
        r"|(?P<ko>[가-힣]{2,4})(?=\s?(?:님|씨(?=$|[\s,.는가께의를도]|에게)))"
        rf"|(?<=名前は)(?P<ja_intro>[{_HAN}]{{2,4}})(?=です|と申します|\s|$)"
        rf"|(?<=我叫)(?P<zh_intro>[{_HAN}]{{2,3}})|(?<=名字是)(?P<zh_intro2>[{_HAN}]{{2,3}})"
        r"|(?<=이름은\s)(?P<ko_intro>[가-힣]{2,4})(?=입니다|이에요|예요|\s|$|[.,])"
    )
    confidence = 0.8

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found: list[Finding] = []
        position = 0
        while match := self.pattern.search(text, position):
            kind, value = match.lastgroup, match.group(match.lastgroup or 0)
            if value in _HONORIFIC_ROLES:  # 担当者様: a role, and no name inside it either
                position = match.end()
                continue
            if (
                kind in ("zh", "zh_intro", "zh_intro2")
                and value[0] not in _CHINESE_SURNAMES
                or (kind in ("ko", "ko_intro") and value[0] not in _KOREAN_SURNAMES)
            ):  # a word before the name ("和李娜小姐"): try from the next character
                position = match.start() + 1
                continue
            found.append(Finding("name", *match.span(kind), self.confidence, self.name))
            position = match.end()
        return found


# --------------------------------------------------------------------------- other scripts
#: Surnames that begin most Korean and Chinese names (the ~80 most common of each): a 2-4 syllable word
#: starting with one is read as a whole name. Japanese names are usually written with a space.
_KOREAN_SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용"
)
_CHINESE_SURNAMES = frozenset(
    "王李张張刘劉陈陳杨楊黄黃赵趙吴吳周徐孙孫马馬朱胡郭何高林罗羅郑鄭梁谢謝宋唐许許韩韓冯馮邓鄧曹彭曾肖田董袁潘于蒋蔣蔡余杜叶葉"
    "程苏蘇魏吕呂丁任沈姚卢盧姜崔钟鍾谭譚陆陸汪范金石廖贾賈夏韦韋付方白邹鄒孟熊秦邱江尹薛闫段雷侯龙龍史陶黎贺賀顾顧毛郝龚龔邵"
    "万萬钱錢严嚴覃武戴莫孔向汤湯"
)


def _script_of(value: str) -> str | None:
    """The non-Latin script of a value's letters (the first one found), or None."""
    for char in value:
        if char.isalpha() and not char.isascii():
            name = unicodedata.name(char, "")
            for script in ("HANGUL", "CJK", "HIRAGANA", "KATAKANA", "CYRILLIC", "GREEK", "ARABIC", "HEBREW"):
                if name.startswith(script):
                    return script
            if name.startswith(("DEVANAGARI", "THAI", "BENGALI", "TAMIL", "GEORGIAN", "ARMENIAN")):
                return "OTHER"
    return None


def _looks_like_name_in(script: str, value: str, parts: list[str]) -> bool:
    """A whole value in a script the name lists do not cover, under a people key: Korean and Chinese by
    surname and length; Japanese as two short parts; Arabic, Hebrew and other scripts as two to four words
    (one word could be anything)."""
    if not all(all(unicodedata.category(c)[0] in "LM" for c in p) for p in parts):  # letters and vowel signs
        return False
    if script == "HANGUL":
        joined = "".join(parts)
        return 2 <= len(joined) <= 4 and len(parts) <= 2 and joined[0] in _KOREAN_SURNAMES
    if script in ("CJK", "HIRAGANA", "KATAKANA"):
        if len(parts) == 1:
            return 2 <= len(value) <= 4 and value[0] in _CHINESE_SURNAMES
        # Two short parts, the surname in kanji (a katakana word first is a loanword: ホテル 東京)
        return len(parts) == 2 and all(1 <= len(p) <= 5 for p in parts) and _script_of(parts[0][0]) == "CJK"
    return 2 <= len(parts) <= 4 and all(2 <= len(p) <= 15 for p in parts)


#: Hebrew, Arabic, Devanagari, Thai, kana, Han and Hangul letters.
_SCRIPT_LETTERS = "\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af"
_SCRIPT_RUN = re.compile(rf"(?<![\w])[{_SCRIPT_LETTERS}]+(?:[ \u00a0][{_SCRIPT_LETTERS}]+){{0,3}}(?![\w])")


class ScriptNameRecognizer(Recognizer):
    """A name in another script inside text written in Latin letters ("ED visit: ليلى منصور presented ...",
    "such as 김민준 (ticket ...)", "attn 中村 結衣"): the run is read as a whole value under a people key is
    (`looks_like_person_name`); a lone Chinese or Japanese word and a two-syllable Korean one are left (words
    such as 東京 or 김치 start with a surname too). Text mostly in that script is left to the other rules."""

    name = "person_name_script"
    pii_type = "name"
    prefilter = (
        r"(?s)[\p{Hebrew}\p{Arabic}\p{Devanagari}\p{Thai}\p{Hiragana}\p{Katakana}\p{Han}\p{Hangul}].*[A-Za-z]{3}"
        r"|[A-Za-z]{3}.*[\p{Hebrew}\p{Arabic}\p{Devanagari}\p{Thai}\p{Hiragana}\p{Katakana}\p{Han}\p{Hangul}]"
    )
    pattern = _SCRIPT_RUN
    confidence = 0.6

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        runs = list(self.pattern.finditer(text))
        if not runs:
            return []
        latin = sum(1 for c in text if c.isascii() and c.isalpha())
        if latin < 2 * sum(len(run.group(0)) for run in runs):
            return []  # the text is in that script
        found: list[Finding] = []
        for run in runs:
            value = run.group(0)
            parts = value.split()
            script = _script_of(value)
            if script is None or len(parts) == 1 and (script != "HANGUL" or len(value) < 3):
                continue
            if _looks_like_name_in(script, value, parts):
                found.append(Finding("name", run.start(), run.end(), self.confidence, self.name))
        return found


_UPWORD = rf"[{_UP}][{_UP}'’-]*[{_UP}]"
_CAPS_RUN = re.compile(
    rf"(?<![\w@.#/-])(?:{_UPWORD}|{_CAPWORD})(?:[ \t]+(?:{_UPWORD}|{_CAPWORD}|(?i:{_PARTICLE}))){{1,7}}(?![\w@-])"
)


#: "OKAFOR, Chukwuemeka", "MÜLLER, Hans": a surname in capitals, a comma, a capitalised given name (a register's
#: or a form's order).
_SURNAME_COMMA_GIVEN = re.compile(
    r"(?<![\w@.#/-])([A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+),[ \t]+([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’-]+)(?![\w@-])"
    r"(?:[ \t]+([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’-]+)(?![\w@-]))?"
)


class CapitalsNameRecognizer(Recognizer):
    """Names written in capitals ("HENRIKE VON STETTEN", "HOFFMANN Henrike", "RESUME LINNÉA ÖBERG"): in a run of
    capitalised words with at least one in capitals, two or more words in a row from the name lists (and
    not ordinary words or places: the ordinary-word list leaves out popular names) are a name; particles
    glue them."""

    name = "person_name_capitals"
    pii_type = "name"
    # Two whole words side by side (no digits: "SKU PRD740035", "ETA PT58M" are codes), one of them in capitals.
    prefilter = (
        r"(?:^|[^\p{L}\p{N}_])(?:\p{Lu}[\p{Lu}'’-]*\p{Lu}[ \t]+\p{Lu}[\p{L}'’-]*\p{L}"
        r"|\p{Lu}[\p{L}'’-]*\p{Ll}[ \t]+\p{Lu}[\p{Lu}'’-]*\p{Lu})(?:$|[^\p{L}\p{N}_-])"
        r"|(?:^|[^\p{L}\p{N}_])\p{Lu}[\p{Lu}'’-]*\p{Lu},[ \t]+\p{Lu}\p{Ll}"  # SURNAME, Given
    )
    pattern = _CAPS_RUN
    confidence = 0.7

    def find(self, text: str, prefiltered: bool = False) -> list[Finding]:
        found: list[Finding] = []
        first, last, common, places = (
            lexicon.first_names(),
            lexicon.last_names(),
            lexicon.common_words(),
            lexicon.places(),
        )
        for run in self.pattern.finditer(text):
            if not any(len(w) > 1 and w.isupper() for w in run.group(0).split()):
                continue
            names: list[tuple[int, int, str]] = []  # the current stretch of name words (and particles)
            for start, end, word in [*_tokens(run.group(0), run.start()), (0, 0, "")]:
                folded = lexicon.fold(word)
                if folded in lexicon.PARTICLES and names:
                    names.append((start, end, word))
                    continue
                if (folded in first or folded in last) and folded not in common and folded not in places:
                    names.append((start, end, word))
                    continue
                while names and lexicon.fold(names[-1][2]) in lexicon.PARTICLES:
                    names.pop()
                cores = [w for _, _, w in names if lexicon.fold(w) not in lexicon.PARTICLES]
                if (
                    len(cores) >= 2
                    and any(len(w) > 1 and w.isupper() for w in cores)
                    and not lexicon.has_legal_form(cores)
                ):
                    found.append(Finding("name", names[0][0], names[-1][1], self.confidence, self.name))
                names = []
        for match in _SURNAME_COMMA_GIVEN.finditer(text):
            surname, given = lexicon.fold(match.group(1)), lexicon.fold(match.group(2))
            if (
                (surname in last or surname in first)
                and given in first
                and not {surname, given} & (common | places)
                and not lexicon.has_legal_form([match.group(1)])
            ):
                second = match.group(3) and lexicon.fold(match.group(3))
                end = match.end() if second and second in first and second not in common else match.end(2)
                found.append(Finding("name", match.start(), end, self.confidence, self.name))
        return found
