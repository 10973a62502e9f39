"""PiiEngine: detection + policy + operators + audit, for values and polars frames.

The frame path is the hot path. For every string column it evaluates each
recognizer's Rust-regex prefilter over the whole column in one ``select`` (polars
runs these in parallel, in native code), packs the results into a bitmask per row,
and sends only rows with a non-zero mask to Python, where just the flagged
recognizers run. Values with no candidate never enter a Python loop.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import orjson
import polars as pl

from .analyzer import EMPTY_LIKE, FIELD_CONFIDENCE, FIELD_DETECTOR, NOT_A_NAME, TOKEN_STAND_IN, Analyzer
from .fields import (
    ANSWER_KEYS,
    LABEL_KEYS,
    NO_HINT,
    ORGANISATION,
    PERSON,
    FieldHint,
    answer_hint,
    classify_field,
    document_type,
    inherits,
    is_number_key,
    is_type_key,
    label_hint,
)
from .keys import PiiKeys
from .operators import TOKEN_PATTERN, Operators
from .policy import Policy, PolicyContext
from .recognizers import Recognizer
from .types import SUBJECT_TYPES, Finding

AUDIT_SCHEMA = {
    "table": pl.String,
    "record_id": pl.String,
    "field_path": pl.String,
    "pii_type": pl.String,
    "mode": pl.String,
    "confidence": pl.Float64,
    "detector": pl.String,
    "fingerprint": pl.String,
}
SUBJECT_SCHEMA = {
    "fingerprint": pl.String,
    "pii_type": pl.String,
    "table": pl.String,
    "record_id": pl.String,
    "field_path": pl.String,
}
FINDINGS_SCHEMA = {
    "row": pl.Int64,
    "field_path": pl.String,
    "pii_type": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "confidence": pl.Float64,
    "detector": pl.String,
}
#: The columns of `PiiEngine.protect_documents`' frame: one JSON document per row, and its record id.
DOCUMENT_COLUMN = "document"
RECORD_ID_COLUMN = "record_id"
SCAN_SCHEMA = {"column": pl.String, "pii_type": pl.String, "count": pl.Int64}
_MARKER_PATTERN = r"\*|" + TOKEN_PATTERN
#: Field values that need the Python whole-value rule: surrounding whitespace (Python's
#: ``str.isspace`` set: Unicode White_Space plus \x1c-\x1f), a character of a protection
#: marker (``*``, ``_``, ``:``, ``<``) or non-ASCII text (case rules differ across engines).
_NOT_PLAIN_WHOLE_VALUE = r"^[\s\x1c-\x1f]|[\s\x1c-\x1f]$|[*_:<]|[^\x00-\x7f]"
#: Whole values no recognizer can flag (tests/pii check this against the analyzer): UUIDs,
#: ISO timestamps with a time of day, and plain amounts/scores such as "$38,167.72" or "0.76".
INERT_VALUE = (
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"|[$€£]?-?\d{1,6}(?:,\d{3})*(?:\.\d+)?%?)$"
)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a batch.

    The hot loop allocates many short-lived tuples and lists but creates no reference
    cycles, so refcounting frees everything; without the pause, generation-0 collections
    repeatedly walk the growing audit lists (~10% of the frame path).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class ProtectionResult:
    """Protected frame plus the audit trail and subject index rows it produced."""

    frame: pl.DataFrame
    audit: pl.DataFrame
    subjects: pl.DataFrame


class PiiEngine:
    """Detect and protect PII in strings, JSON-like values and polars frames.

    Construct with keys and a policy; ``PiiEngine.from_env(allow_dev_keys=...)``
    is the usual entry point.
    """

    def __init__(
        self, keys: PiiKeys, policy: Policy | None = None, recognizers: Sequence[Recognizer] | None = None
    ) -> None:
        self.policy = policy or Policy.default()
        self.analyzer = Analyzer(recognizers, min_confidence=self.policy.min_confidence)
        self.operators = Operators(keys)
        self.keys = keys
        self._mask_cache: dict[int, list[Recognizer]] = {}

    @classmethod
    def from_env(cls, allow_dev_keys: bool = False, policy: Policy | None = None) -> PiiEngine:
        return cls(PiiKeys.from_env(allow_dev_keys=allow_dev_keys), policy)

    def __repr__(self) -> str:
        return f"PiiEngine(keys={self.keys!r}, recognizers={len(self.analyzer.recognizers)})"

    @property
    def recognizers(self) -> list[Recognizer]:
        return self.analyzer.recognizers

    # ------------------------------------------------------------------ single values
    def analyze(self, text: str, field_name: str | None = None) -> list[Finding]:
        """Findings in one string; ``field_name`` enables field-aware detection."""
        return self.analyzer.analyze(text, field_name)

    def fingerprint(self, value: str, pii_type: str) -> str:
        """Keyed, normalized fingerprint: the subject-index key for ``value``."""
        return self.operators.fingerprint(value, pii_type)

    def decrypt(self, token: str) -> str:
        return self.operators.decrypt(token)

    def reveal(self, text: str) -> str:
        return self.operators.reveal(text)

    def protect_text(self, text: str, *, context: PolicyContext, field_name: str | None = None) -> str:
        """One string, protected as the frame path protects it (``field_name`` gives the field hint)."""
        return self.protect_texts([text], context=context, field_name=field_name)[0]

    def protect_texts(
        self, texts: Sequence[str], *, context: PolicyContext, field_name: str | None = None
    ) -> list[str]:
        """Many strings in one frame-path call: a batch adapter (each text is a JSON string document)."""
        if not texts:
            return []
        documents = [orjson.dumps(text).decode() for text in texts]
        result = self.protect_documents(documents, context=context, root_path=field_name or "")
        return [orjson.loads(document) for document in result.frame[DOCUMENT_COLUMN].to_list()]

    def protect_value(
        self, value: Any, *, field_path: str = "", context: PolicyContext, record_id: str | None = None
    ) -> Any:
        """Protect a JSON value recursively (strings; integers and biometric vectors under PII keys; keys
        that hold PII are renamed). A thin adapter over
        `protect_frame`: the value is one JSON document whose root is ``field_path``."""
        return self.protect_value_with_audit(value, context=context, record_id=record_id, field_path=field_path)[0]

    def protect_value_with_audit(
        self, value: Any, *, context: PolicyContext, table: str = "", record_id: str | None = None, field_path: str = ""
    ) -> tuple[Any, pl.DataFrame]:
        """`protect_value` plus its audit rows (field paths start at ``field_path``).

        ``value`` is JSON data (dicts, lists, strings, numbers, booleans, None); a tuple comes back as a
        list, and a value JSON has no type for (a datetime, a dataclass) raises ``TypeError`` rather
        than coming back as a protected string.
        """
        if not isinstance(value, str | dict | list | tuple):
            return value, pl.DataFrame(schema=AUDIT_SCHEMA)  # numbers, booleans, null: nothing to protect
        options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
        document = orjson.dumps(value, option=options).decode()
        result = self.protect_documents(
            [document], context=context, table=table, record_ids=[record_id], root_path=field_path
        )
        return orjson.loads(result.frame[DOCUMENT_COLUMN][0]), result.audit

    def protect_documents(
        self,
        documents: Sequence[str] | pl.Series,
        *,
        context: PolicyContext,
        table: str = "",
        record_ids: Sequence[str | None] | pl.Series | None = None,
        root_path: str = "",
    ) -> ProtectionResult:
        """JSON documents (strings) through `protect_frame` as one JSON column whose documents are the
        root of their field paths (``contact.email``, ``people[0].name``; ``root_path`` is put in front).

        The returned frame has the protected documents in ``DOCUMENT_COLUMN``, in input order, and the
        record ids in ``RECORD_ID_COLUMN``. Unchanged documents are returned as given, changed ones
        as orjson writes them.
        """
        ids = record_ids if record_ids is not None else [None] * len(documents)
        frame = pl.DataFrame(
            {
                RECORD_ID_COLUMN: pl.Series(RECORD_ID_COLUMN, ids, dtype=pl.String),
                DOCUMENT_COLUMN: pl.Series(DOCUMENT_COLUMN, documents, dtype=pl.String),
            }
        )
        return self.protect_frame(
            frame,
            table=table,
            record_id_column=RECORD_ID_COLUMN,
            context=context,
            json_columns=[DOCUMENT_COLUMN],
            json_roots={DOCUMENT_COLUMN: root_path},
        )

    # ------------------------------------------------------------------ frames
    def _units(
        self,
        frame: pl.DataFrame,
        json_columns: Sequence[str],
        skip: set[str],
        json_roots: Mapping[str, str] | None = None,
    ) -> list[_Unit]:
        """Every string to look at, grouped in units (a column, list elements, JSON leaves).

        A JSON column's field paths start at its name, or at ``json_roots[name]`` when given
        (``""``: the document is the root, so paths are the document's own, ``contact.email``).
        """
        roots = json_roots or {}
        units: list[_Unit] = []
        for name, kind in self._string_columns(frame, json_columns, skip):
            series = frame[name]
            hint = classify_field(name)
            if kind == "string":
                values = series.cast(pl.String) if series.dtype != pl.String else series
                units.append(_Unit(name, "string", hint, values.rename("v")))
            elif kind == "list":
                exploded = pl.DataFrame({"v": series}).with_row_index("row").explode("v")
                rows = exploded["row"].to_numpy()
                # Element index inside its list: exploded rows are in row order, so it is the
                # distance to the row's first exploded position (a window `over` is ~20x slower).
                indices = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
                units.append(_Unit(name, "list", hint, exploded["v"], rows=rows, indices=indices))
            else:
                units.extend(self._json_units(series.cast(pl.String), name, roots.get(name)))
        return units

    def _json_units(self, series: pl.Series, name: str, root: str | None) -> list[_Unit]:
        """Parse each document once and flatten its string leaves, grouped by key hint.

        ``root`` is the path of the document itself (``None``: the column name); the document's
        hint, and the parent key of its top-level keys, come from the last key of that path.
        """
        path, root_key = (name, name) if root is None else (root, _last_key(root))
        hint = classify_field(root_key)
        docs: dict[int, Any] = {}
        # Leaves grouped by hint kind (hints are equal when their kinds are; a str hashes in C).
        by_kind: dict[str | None, tuple[FieldHint, list[tuple[int, Any, Any, str, str]]]] = {}
        raw_rows: list[int] = []
        raw_values: list[str] = []
        picked = pl.DataFrame({"v": series}).with_row_index("row").filter(pl.col("v").is_not_null())
        for row, text in picked.iter_rows():
            try:
                doc = orjson.loads(text)
            except orjson.JSONDecodeError:
                raw_rows.append(row)  # not JSON: protect as plain text
                raw_values.append(text)
                continue
            holder = [doc]
            try:
                found = _collect_leaves(holder, 0, path, hint, root_key, row)
            except _TooDeep:  # deeper than a JSON writer can write back: protect the document as text
                raw_rows.append(row)
                raw_values.append(text)
                continue
            docs[row] = holder
            for leaf_hint, leaf in found:
                entry = by_kind.get(leaf_hint.kind)
                if entry is None:
                    entry = by_kind[leaf_hint.kind] = (leaf_hint, [])
                entry[1].append(leaf)
        units = []
        for leaf_hint, leaves in by_kind.values():
            units.append(
                _Unit(
                    name,
                    "json",
                    leaf_hint,
                    pl.Series("v", [leaf[4] for leaf in leaves], dtype=pl.String),
                    leaves=leaves,
                    docs=docs,
                    root=root,
                )
            )
        if raw_rows:
            units.append(
                _Unit(
                    name,
                    "json_raw",
                    hint,
                    pl.Series("v", raw_values, dtype=pl.String),
                    rows=np.asarray(raw_rows),
                    docs=docs,
                    root=root,
                )
            )
        if not units:
            units.append(
                _Unit(name, "json", hint, pl.Series("v", [], dtype=pl.String), leaves=[], docs=docs, root=root)
            )
        return units

    def _detect(self, units: list[_Unit], *, scanning: bool = False) -> None:
        """Fill ``unit.found`` = [(position, value, findings)] for every unit.

        Plain units (no field hint) are concatenated into one column and prefiltered
        in a single polars pass; only rows with candidate bits reach Python.
        (Overlapping the polars pass with Python validation in a worker thread was
        tried twice, the second time chunked so Python could start on the first rows:
        no gain on 2 cores, polars already keeps both busy while it runs.)
        """
        analyze_with = self.analyzer.analyze_with
        recognizers = self.analyzer.recognizers
        plain: list[tuple[_Unit, pl.Series, np.ndarray | None]] = []
        for unit in units:
            unit.found = []
            if unit.hint.whole_value_type is None and unit.hint.kind in (None, ORGANISATION):
                plain.append((unit, unit.values, None))
                continue
            values = unit.values
            if scanning:
                # Values carrying a protection marker are checked like free text instead.
                marked = values.str.contains(_MARKER_PATTERN).fill_null(False)
                marked_positions = np.flatnonzero(marked.to_numpy())
                if len(marked_positions):
                    plain.append((unit, values.gather(marked_positions), marked_positions))
                values = values.set(marked, None)
            picked = (
                pl.DataFrame({"v": values})
                .with_row_index("p")
                .filter(pl.col("v").is_not_null() & (pl.col("v").str.strip_chars() != ""))
            )
            hint = unit.hint
            if hint.whole_value_type is not None and not scanning:
                self._whole_values(unit, picked)
                continue
            if hint.kind == PERSON and not scanning:
                self._person_values(unit, picked, plain)
                continue
            seen: dict[str, list[Finding]] = {}  # repeated values (the same owner on many rows)
            append = unit.found.append
            for position, value in zip(picked.get_column("p").to_list(), picked.get_column("v").to_list(), strict=True):
                found = seen.get(value)
                if found is None:
                    found = seen[value] = analyze_with(value, hint, recognizers)
                if found:
                    append((position, value, found))
        if not plain:
            return
        self._detect_plain(plain, scanning)
        _drop_names_in_keys(units)

    def _detect_plain(self, plain: list[tuple[_Unit, pl.Series, np.ndarray | None]], scanning: bool) -> None:
        """`_detect` for the values with no field hint (and a people field's free text): one prefiltered batch."""
        analyze_with = self.analyzer.analyze_with
        batch = pl.concat([values for _, values, _ in plain], how="vertical", rechunk=True).rename("v")
        if scanning:
            batch = batch.str.replace_all(TOKEN_PATTERN, " " + TOKEN_STAND_IN, literal=False)
        masks = self._masks(batch)
        offset = 0
        name_bit = self._name_bits
        # Repeated values (company, title, ...) are analyzed once per hint; one memo per hint
        # keeps the (Python-level) FieldHint hash out of the per-value lookups.
        memos: dict[FieldHint, dict[tuple[str, int], list[Finding]]] = {}
        recognizers_for = self._recognizers_for
        prefiltered = not scanning
        for unit, values, positions in plain:
            size = len(values)
            segment = masks[offset : offset + size]
            if unit.hint.kind == ORGANISATION:
                segment &= ~name_bit  # company names are not people
            hits = np.flatnonzero(segment)
            if len(hits):
                texts = batch.gather(hits + offset).to_list()
                hint = FieldHint(None) if positions is not None else unit.hint
                memo = memos.setdefault(hint, {})
                append = unit.found.append
                for local, text, mask in zip(hits.tolist(), texts, segment[hits].tolist(), strict=True):
                    key = (text, mask)
                    found = memo.get(key)
                    if found is None:
                        found = memo[key] = analyze_with(text, hint, recognizers_for(mask), prefiltered)
                    if found:
                        append((int(positions[local]) if positions is not None else local, text, found))
            offset += size

    def _person_values(
        self, unit: _Unit, picked: pl.DataFrame, plain: list[tuple[_Unit, pl.Series, np.ndarray | None]]
    ) -> None:
        """A people field (``recipients``, ``owner``, ``name``): values shaped like an e-mail, a
        phone or a name are found here; the others are free text and join the prefiltered batch
        (running every recognizer on each of them cost more than all the new recognizers together)."""
        person_value = self.analyzer.person_value
        seen: dict[str, Finding | None] = {}
        append = unit.found.append
        rest_positions: list[int] = []
        rest_values: list[str] = []
        for position, value in zip(picked.get_column("p").to_list(), picked.get_column("v").to_list(), strict=True):
            if value in seen:
                person = seen[value]
            else:
                person = seen[value] = person_value(value)
            if person is not None:
                append((position, value, [person]))
            else:
                rest_positions.append(position)
                rest_values.append(value)
        if rest_values:
            plain.append((unit, pl.Series("v", rest_values, dtype=pl.String), np.asarray(rest_positions)))

    def _whole_values(self, unit: _Unit, picked: pl.DataFrame) -> None:
        """``unit.found`` for a field whose whole value is PII (``contact_email``, ``ssn``...).

        What ``Analyzer.analyze_with`` gives, without a Python call per value: a value with
        no surrounding whitespace, no protection-marker character and not blank-like is one
        finding spanning all of it. Every other value takes the Python path.
        """
        pii_type, hint = unit.hint.whole_value_type, unit.hint
        analyze_with, recognizers = self.analyzer.analyze_with, self.analyzer.recognizers
        flags = picked.select(
            "p",
            "v",
            pl.col("v").str.len_chars().alias("n"),
            (
                ~pl.col("v").str.contains(_NOT_PLAIN_WHOLE_VALUE)
                & ~pl.col("v").str.to_lowercase().is_in(sorted(EMPTY_LIKE))
                & (pl.lit(pii_type != "name") | ~pl.col("v").str.contains(NOT_A_NAME))  # analyze_with reads it
            ).alias("plain"),
        )
        spans: dict[int, list[Finding]] = {}  # one shared findings list per value length
        append = unit.found.append
        for position, value, size, plain in flags.iter_rows():
            if plain:
                found = spans.get(size)
                if found is None:
                    found = spans[size] = [Finding(pii_type, 0, size, FIELD_CONFIDENCE, FIELD_DETECTOR)]
            else:
                found = analyze_with(value, hint, recognizers)
            if found:
                append((position, value, found))

    @cached_property
    def _name_bits(self) -> int:
        return sum(1 << i for i, r in enumerate(self.analyzer.recognizers) if r.pii_type == "name")

    def _masks(self, values: pl.Series) -> np.ndarray:
        """Bitmask per value: bit i set when recognizer i's prefilter matches."""
        # Short structured values repeat a lot (campaign, city, model, stage...): evaluate the
        # prefilters once per distinct value, then map back by position.
        frame = pl.DataFrame({"v": values}).with_row_index("i")
        distinct = frame.select(pl.col("v").unique()).with_row_index("u")
        codes = frame.join(distinct, on="v", how="left", nulls_equal=True, maintain_order="left")["u"].to_numpy()
        unique_values = distinct["v"]
        # Ids, timestamps and plain numbers are often half the distinct values of a batch and
        # can hold no PII: one anchored pass drops them before the ~20 prefilter passes.
        live = np.flatnonzero(~unique_values.str.contains(INERT_VALUE).fill_null(False).to_numpy())
        mask = np.zeros(len(unique_values), dtype=np.int64)
        mask[live] = self._prefilter_masks(unique_values.gather(live))
        return mask[codes]

    def _prefilter_masks(self, unique_values: pl.Series) -> np.ndarray:
        """``_masks`` for distinct values."""
        column = pl.col("v")
        plan = self._prefilter_plan
        keywords = self._keyword_plan
        exprs = [expr_for(column).fill_null(False).alias(str(k)) for k, (expr_for, _) in enumerate(plan)]
        if keywords:
            # Keyword prefilters (passport, MRN, DOB, ...) rarely match: one pass of their union
            # finds the few values any of them can match, and only those get the individual
            # passes. Exact: contains(A|B) <=> contains(A) or contains(B), and dropping ``\b``
            # only widens the gate (it keeps the union on the fast DFA path of the Rust engine).
            union = "|".join(f"(?:{_without_word_boundaries(pattern)})" for pattern, _ in keywords)
            exprs.append(column.str.contains(union).fill_null(False).alias("keyword_gate"))
        flags = pl.DataFrame({"v": unique_values}).select(exprs)
        mask = np.zeros(len(unique_values), dtype=np.int64)
        if plan:
            columns = flags.select([str(k) for k in range(len(plan))]).to_numpy().astype(np.int64)
            mask |= columns @ np.array([bits for _, bits in plan], dtype=np.int64)
        if keywords:
            gate = flags.get_column("keyword_gate").to_numpy()
            gated = np.flatnonzero(gate)
            if len(gated):
                hits = pl.DataFrame({"v": unique_values.gather(gated)}).select(
                    [column.str.contains(p).fill_null(False).alias(str(k)) for k, (p, _) in enumerate(keywords)]
                )
                mask[gated] |= hits.to_numpy().astype(np.int64) @ np.array([b for _, b in keywords], dtype=np.int64)
        for i, recognizer in enumerate(self.analyzer.recognizers):
            if recognizer.candidate_mask is not None:
                mask[recognizer.candidate_mask(unique_values)] |= 1 << i
        return mask

    @cached_property
    def _keyword_plan(self) -> list[tuple[str, int]]:
        """(prefilter, bit) of case-insensitive keyword prefilters, evaluated behind one union gate."""
        return [(r.prefilter, 1 << i) for i, r in enumerate(self.analyzer.recognizers) if _is_keyword_prefilter(r)]

    @cached_property
    def _prefilter_plan(self) -> list[tuple[Any, int]]:
        """(expression builder, bits) pairs: grouped recognizers share one union regex."""
        plan: list[tuple[Any, int]] = []
        groups: dict[str, list[tuple[int, Recognizer]]] = {}
        for i, recognizer in enumerate(self.analyzer.recognizers):
            if recognizer.candidate_mask is not None:
                continue  # computed by candidate_mask alone
            if _is_keyword_prefilter(recognizer):
                continue  # in _keyword_plan
            if recognizer.prefilter_group and type(recognizer).candidate_expr is Recognizer.candidate_expr:
                groups.setdefault(recognizer.prefilter_group, []).append((i, recognizer))
            else:
                plan.append((recognizer.candidate_expr, 1 << i))
        for members in groups.values():
            union = "|".join(f"(?:{r.prefilter})" for _, r in members)
            plan.append((lambda column, union=union: column.str.contains(union), sum(1 << i for i, _ in members)))
        return plan

    def _recognizers_for(self, mask: int) -> list[Recognizer]:
        chosen = self._mask_cache.get(mask)
        if chosen is None:
            chosen = [r for i, r in enumerate(self.analyzer.recognizers) if mask >> i & 1]
            self._mask_cache[mask] = chosen
        return chosen

    def analyze_frame(
        self, frame: pl.DataFrame, *, json_columns: Sequence[str] = (), passthrough_columns: Sequence[str] = ()
    ) -> pl.DataFrame:
        """All findings in a frame: row, field_path, pii_type, start, end, confidence, detector.

        Spans are relative to the string at ``field_path`` (a JSON leaf for json
        columns). Uses exactly the detection path of ``protect_frame``.
        """
        units = self._units(frame, json_columns, set(passthrough_columns))
        with _gc_paused():
            self._detect(units)
        rows: dict[str, list] = {k: [] for k in FINDINGS_SCHEMA}
        settled = _key_placeholders(units)
        for unit in units:
            for position, _value, findings in unit.found:
                row, path = unit.locate(position)
                path = _renamed_path(path, settled)
                for f in findings:
                    rows["row"].append(row)
                    rows["field_path"].append(path)
                    rows["pii_type"].append(f.pii_type)
                    rows["start"].append(f.start)
                    rows["end"].append(f.end)
                    rows["confidence"].append(f.confidence)
                    rows["detector"].append(f.detector)
        return pl.DataFrame(rows, schema=FINDINGS_SCHEMA)

    def protect_frame(
        self,
        frame: pl.DataFrame,
        *,
        table: str,
        record_id_column: str,
        context: PolicyContext,
        json_columns: Sequence[str] = (),
        passthrough_columns: Sequence[str] = (),
        json_roots: Mapping[str, str] | None = None,
    ) -> ProtectionResult:
        """Protect every String / List(String) column (and JSON documents in ``json_columns``).

        Shape, column order and dtypes are preserved. The record id column and
        ``passthrough_columns`` are copied unchanged. Field paths of a JSON column start
        at its name, or at ``json_roots[column]`` (``""``: at the document itself).
        """
        if record_id_column not in frame.columns:
            raise KeyError(f"record id column {record_id_column!r} not in frame")
        with _gc_paused():
            return self._protect_frame(
                frame, table, record_id_column, context, json_columns, passthrough_columns, json_roots
            )

    def _protect_frame(
        self,
        frame: pl.DataFrame,
        table: str,
        record_id_column: str,
        context: PolicyContext,
        json_columns: Sequence[str],
        passthrough_columns: Sequence[str],
        json_roots: Mapping[str, str] | None,
    ) -> ProtectionResult:
        units = self._units(frame, json_columns, {record_id_column, *passthrough_columns}, json_roots)
        self._detect(units)
        located = [[unit.locate(p) for p, _, _ in unit.found] for unit in units]  # (row, path) per found
        needed = sorted({row for places in located for row, _ in places})
        id_values = frame[record_id_column].cast(pl.String).gather(needed).to_list() if needed else []
        ids = dict(zip(needed, id_values, strict=True))
        # Findings are applied in one pass with per-call lookups: the mode per type is
        # resolved once, token + fingerprint come from one operator cache hit, and audit
        # rows are collected as tuples and turned into columns at the end.
        mode_for = self.policy.mode_for
        modes: dict[str, str] = {}
        token_for = self.operators.apply_with_fingerprint
        audit_rows: list[tuple[str | None, str, str, str, float, str, str]] = []
        add_row = audit_rows.append
        changed: dict[str, dict] = {}
        key_renames: dict[int, tuple[dict, dict[str, str]]] = {}  # keys holding PII, by container
        path_renames: dict[str | None, list[tuple[str, str, str]]] = {}  # by record id
        for unit, places in zip(units, located, strict=True):
            if not unit.found:
                continue
            column_changes = changed.setdefault(unit.name, {})
            kind = unit.kind
            for (position, text, findings), (row, path) in zip(unit.found, places, strict=True):
                record_id = ids[row]
                parts: list[str] = []
                cursor = 0
                for pii_type, start, end, confidence, detector in findings:  # Finding fields
                    mode = modes.get(pii_type)
                    if mode is None:
                        mode = modes[pii_type] = mode_for(context, pii_type)
                    token, fingerprint = token_for(mode, text[start:end], pii_type)
                    parts.append(text[cursor:start])
                    parts.append(token)
                    cursor = end
                    add_row((record_id, path, pii_type, mode, confidence, detector, fingerprint))
                parts.append(text[cursor:])
                protected = "".join(parts)
                if kind == "string":
                    column_changes[row] = protected
                elif kind == "list":
                    column_changes.setdefault(row, {})[int(unit.indices[position])] = protected
                elif kind == "json":
                    _, container, key, key_path, _ = unit.leaves[position]
                    if type(key) is _Key:
                        key_renames.setdefault(id(container), (container, {}))[1][key.key] = protected
                        path_renames.setdefault(record_id, []).append((key_path, key.key, protected))
                    else:
                        container[key] = protected
                    column_changes[row] = unit.docs[row]
                else:  # json_raw
                    column_changes[row] = _NotJson(protected)
        if path_renames:
            # Keys are renamed after every value under them is written back; no audit path keeps a raw key.
            for container, new_keys in key_renames.values():
                _rename_keys(container, new_keys)
            settled = {record_id: _settled(renames) for record_id, renames in path_renames.items()}
            audit_rows = [(r[0], _renamed_path(r[1], settled.get(r[0], {})), *r[2:]) for r in audit_rows]
        replacements = [self._rebuilt(frame[name], changes) for name, changes in changed.items() if changes]
        out = frame.with_columns(replacements) if replacements else frame
        audit, subjects = _audit_frames(table, audit_rows)
        return ProtectionResult(out, audit, subjects)

    @staticmethod
    def _rebuilt(series: pl.Series, changes: dict[int, Any]) -> pl.Series:
        rows = sorted(changes)
        if series.dtype == pl.List(pl.String):
            new_lists = series.gather(rows).to_list()  # one conversion, not one per row
            for row, items in zip(rows, new_lists, strict=True):
                for index, value in changes[row].items():
                    items[index] = value
            # Series.scatter does not support list dtypes: left-join the new rows instead.
            updates = pl.DataFrame(
                {"row": pl.Series(rows, dtype=pl.UInt32), "new": pl.Series(new_lists, dtype=series.dtype)}
            )
            return (
                pl.DataFrame({"old": series})
                .with_row_index("row")
                .join(updates, on="row", how="left", maintain_order="left")
                .select(
                    pl.when(pl.col("new").is_not_null()).then(pl.col("new")).otherwise(pl.col("old")).alias(series.name)
                )
                .to_series()
            )
        new_values = []
        for row in rows:
            value = changes[row]
            if isinstance(value, _NotJson):
                new_values.append(value.text)
            elif isinstance(value, list):  # a JSON document holder
                new_values.append(orjson.dumps(value[0]).decode())
            else:
                new_values.append(value)
        original = series.dtype
        base = series.cast(pl.String) if original != pl.String else series.clone()
        out = base.scatter(rows, pl.Series(new_values, dtype=pl.String))
        return out.cast(original) if original != pl.String else out

    @staticmethod
    def _string_columns(frame: pl.DataFrame, json_columns: Sequence[str], skip: set[str]) -> Iterator[tuple[str, str]]:
        json_set = set(json_columns)
        missing = json_set - set(frame.columns)
        if missing:
            raise KeyError(f"json columns not in frame: {sorted(missing)}")
        for name, dtype in frame.schema.items():
            if name in skip:
                continue
            if name in json_set:
                yield name, "json"
            elif dtype == pl.String or dtype == pl.Categorical:
                yield name, "string"
            elif dtype == pl.List(pl.String):
                yield name, "list"

    # ------------------------------------------------------------------ leak scanner
    def scan_frame(self, frame: pl.DataFrame, *, json_columns: Sequence[str] = ()) -> pl.DataFrame:
        """Raw PII still present: one row per (column, pii_type) with a count. No values.

        Protection tokens (pseudonyms, hashes, ENC tokens, placeholders) are blanked
        first, and field-aware columns only count values without any protection
        marker, so an already-protected table reports nothing.
        """
        units = self._units(frame, json_columns, set())
        with _gc_paused():
            self._detect(units, scanning=True)
        counts: dict[tuple[str, str], int] = {}
        for unit in units:
            for _position, _value, findings in unit.found:
                for f in findings:
                    counts[(unit.name, f.pii_type)] = counts.get((unit.name, f.pii_type), 0) + 1
        data = [(c, t, n) for (c, t), n in sorted(counts.items())]
        return pl.DataFrame(data, schema=SCAN_SCHEMA, orient="row")

    def locate_frame(self, frame: pl.DataFrame, *, json_columns: Sequence[str] = ()) -> pl.DataFrame:
        """Like `scan_frame`, one row per finding with where it is: (row position, field path, pii_type).
        No values: what a compliance report may show."""
        units = self._units(frame, json_columns, set())
        with _gc_paused():
            self._detect(units, scanning=True)
        settled = _key_placeholders(units)
        data = [
            (row, _renamed_path(path, settled), f.pii_type)
            for unit in units
            for position, _value, found in unit.found
            for row, path in (unit.locate(position),)
            for f in found
        ]
        return pl.DataFrame(
            data, schema={"row": pl.Int64, "field_path": pl.String, "pii_type": pl.String}, orient="row"
        )


def _is_keyword_prefilter(recognizer: Recognizer) -> bool:
    """A plain ``(?i)`` keyword prefilter (the context-required recognizers)."""
    return (
        recognizer.candidate_mask is None
        and recognizer.prefilter_group is None
        and type(recognizer).candidate_expr is Recognizer.candidate_expr
        and recognizer.prefilter.startswith("(?i)")
    )


def _without_word_boundaries(pattern: str) -> str:
    r"""``pattern`` with every ``\b`` assertion removed: matches a superset of ``pattern``."""
    return re.sub(r"(?<!\\)((?:\\\\)*)\\b", r"\1", pattern)


# orjson writes at most 255 levels of nesting; a deeper document is protected as plain text instead.
MAX_JSON_DEPTH = 250


#: Keys written like identifiers (``first_name``, ``@type``, ``og:title``, ``x-request-id``) hold no PII and are
#: never read as values; any other key (with a space, an ``@`` inside, a ``+``, digits first, another script) is
#: read like a string leaf with no hint, and renamed when it holds PII (``{"anna@example.com": "sent"}``).
_PLAIN_KEY = re.compile(r"[A-Za-z_$#@][A-Za-z0-9_$#.:/\-]*").fullmatch
_PLAIN_KEYS: dict[str, bool] = {}  # the answer per key seen: a walk meets the same few hundred keys again and again


def _plain_key(key: str) -> bool:
    if len(_PLAIN_KEYS) >= 100_000:
        _PLAIN_KEYS.clear()
    plain = _PLAIN_KEYS[key] = _PLAIN_KEY(key) is not None
    return plain


#: A date or timestamp as a whole value (``2026-11-28``, ``2026-11-28T14:22:05Z``, ``28.11.2026 14:22``): under a
#: PII parent it says when (``{"phone": {"verified": ...}}``, ``{"bank_account": {"opened": ...}}``), so it
#: does not inherit the parent's type; under a date of birth it is the date.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[ap]\.?m\.?)?(?:\s*(?:z|utc|gmt|[+-]\d{2}:?\d{2}))?"
_DATE_TIME = re.compile(
    rf"""\s*(?:[a-z]{{3,9}},?\s+)?                       # a weekday
    (?:{_TIME}\s+)?                                      # a time first: 14:22 28.11.2026
    (?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}               # 2026-11-28
      |\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{4}}               # 28.11.2026, 11/28/2026
      |\d{{1,2}}[\s-]{_MONTH}[\s,-]+\d{{4}}              # 28 Nov 2026
      |{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}  # Nov 28, 2026
      |\d{{8}}T\d{{4,6}}(?:z|[+-]\d{{4}})?               # 20261128T142205Z
    )
    (?:(?:[t\s]|,\s*){_TIME})?\s*""",
    re.IGNORECASE | re.VERBOSE,
).fullmatch


class _Key:
    """Marks a leaf that is a dict key (``leaf[2]``), not the value under one. ``of_people``: the map's own key
    names people (``{"recipients": {"Anna Berg": ...}}``), the one place a key may be read as a person's name;
    elsewhere capitalised keys are titles, roles and products (``{"hours_by_role": {"Senior Backend Engineer": ...}}``).
    """

    __slots__ = ("key", "of_people")

    def __init__(self, key: str, of_people: bool) -> None:
        self.key = key
        self.of_people = of_people


def _drop_names_in_keys(units: list[_Unit]) -> None:
    """Name findings in keys count only in a map of people (see `_Key`)."""
    for unit in units:
        if unit.kind != "json" or unit.hint.kind is not None or not unit.found:
            continue
        leaves = unit.leaves
        kept = []
        for entry in unit.found:
            key = leaves[entry[0]][2]  # type: ignore[index]
            if type(key) is _Key and not key.of_people and any(f.pii_type == "name" for f in entry[2]):
                findings = [f for f in entry[2] if f.pii_type != "name"]
                if not findings:
                    continue
                entry = (entry[0], entry[1], findings)
            kept.append(entry)
        unit.found = kept


def _settled(renames: list[tuple[str, str, str]]) -> dict[str, str]:
    """``old path -> new path`` for keys renamed as ``(old path, old key, new key)``; a new path also carries
    the renames of the keys above it (a PII key under a PII key), so one lookup rewrites any path."""
    settled: dict[str, str] = {}
    for old, key, new_key in sorted(renames, key=lambda rename: len(rename[0])):
        parent = old[: len(old) - len(key) - 1] if len(old) > len(key) else ""
        settled[old] = f"{_renamed_path(parent, settled)}.{new_key}" if parent else new_key
    return settled


def _key_placeholders(units: list[_Unit]) -> dict[str, str]:
    """Settled path renames that show a key holding PII by its types (``recipients.<email>``): what a
    findings list or a compliance report may show instead of the raw key."""
    renames = []
    for unit in units:
        if unit.kind == "json" and unit.hint.kind is None:
            for position, _text, findings in unit.found:
                _, _, key, key_path, _ = unit.leaves[position]  # type: ignore[index]
                if type(key) is _Key:
                    types = "+".join(sorted({f.pii_type for f in findings}))
                    renames.append((key_path, key.key, f"<{types}>"))
    return _settled(renames)


def _renamed_path(path: str, settled: Mapping[str, str]) -> str:
    """``path`` with its longest renamed prefix (ending at a ``.``/``[`` boundary or at its end) replaced."""
    if not settled or not path:
        return path
    for end in range(len(path), 0, -1):
        if (end == len(path) or path[end] in ".[") and (new := settled.get(path[:end])) is not None:
            return new + path[end:]
    return path


def _rename_keys(container: dict, new_keys: Mapping[str, str]) -> None:
    """Rename ``container``'s keys in place, keeping their order (other leaves still point at the container)."""
    items = list(container.items())
    container.clear()
    for key, item in items:
        new = new_keys.get(key, key)
        while new in container:  # two keys that became the same text: keep both values
            new += "~"
        container[new] = item


class _TooDeep(Exception):
    """A JSON document nests deeper than MAX_JSON_DEPTH."""


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a parsed JSON value nests deeper than `limit` (checked iteratively, never recursing)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _collect_leaves(
    container: Any,
    key: Any,
    path: str,
    hint: FieldHint,
    parent_key: str | None,
    row: int,
) -> list[tuple[FieldHint, tuple[int, Any, Any, str, str]]]:
    """``(leaf hint, (row, container, key, path, leaf))`` for every string leaf under ``container[key]``,
    in document order. ``path`` is the path of ``container[key]`` (``""``
    for a document root: its keys' paths are then the bare keys), ``hint`` its field hint and
    ``parent_key`` the key that classifies its children (``None`` at a document root).

    The one place the JSON rules live: a child key is classified with its parent key
    (``testers[0].first`` is a name), and an unclassified scalar child inherits a personal
    parent's hint (``{"home_address": {"line1": ...}}``). Non-string leaves are never touched.
    Raises `_TooDeep` past MAX_JSON_DEPTH (the recursion stays far below Python's limit), where
    the caller falls back to protecting the whole document as text. String children are handled
    in their parent's loop: most leaves never become a call or a stack entry."""
    value = container[key]
    if isinstance(value, str):
        return [(hint, (row, container, key, path, value))]
    found: list[tuple[FieldHint, tuple[int, Any, Any, str, str]]] = []
    _walk(value, path, hint, parent_key, row, 0, found)
    return found


def _walk(value: Any, here: str, here_hint: FieldHint, here_key: str | None, row: int, depth: int, found: list) -> None:
    """`_collect_leaves` below one container (a dict or list at ``here``), in document order."""
    if depth > MAX_JSON_DEPTH:
        raise _TooDeep(here)
    add = found.append
    if isinstance(value, dict):
        here_kind = here_hint.kind
        inherit = here_kind not in (None, ORGANISATION)
        start, sibling_type, label = len(found), None, None
        for child_key, item in value.items():
            plain = _PLAIN_KEYS.get(child_key)
            if plain is None:
                plain = _plain_key(child_key)
            if not plain:  # a key that may itself be PII: {"anna@example.com": "sent"}
                key = _Key(child_key, here_kind in (PERSON, "name"))
                add((NO_HINT, (row, value, key, f"{here}.{child_key}" if here else child_key, child_key)))
            if isinstance(item, str):
                name = str(child_key)
                child_hint = classify_field(name, here_key)
                if name in LABEL_KEYS:
                    label = item
                if child_hint.kind is None:
                    if inherit and inherits(name, here_kind) and (here_kind == "dob" or _DATE_TIME(item) is None):
                        child_hint = here_hint
                    elif is_type_key(name):
                        sibling_type = document_type(item) or sibling_type
                add((child_hint, (row, value, child_key, f"{here}.{name}" if here else name, item)))
            elif isinstance(item, dict | list):
                name = str(child_key)
                child_path = f"{here}.{name}" if here else name
                child_hint = classify_field(name, here_key)
                if type(item) is list:
                    inherited = child_hint.kind is None and inherit and inherits(name, here_kind)
                    vector_hint = here_hint if inherited else child_hint
                    if (text := _vector_text(item, vector_hint)) is not None:
                        add((vector_hint, (row, value, child_key, child_path, text)))
                        continue
                _walk(item, child_path, child_hint, name, row, depth + 1, found)
            elif type(item) is int and (here_kind == "dob" or not -1000 < item < 1000):  # not bool; see _number_text
                name = str(child_key)
                child_hint = classify_field(name, here_key)
                if child_hint.kind is None and inherit and inherits(name, here_kind):
                    child_hint = here_hint
                if (text := _number_text(item, child_hint)) is not None:
                    add((child_hint, (row, value, child_key, f"{here}.{name}" if here else name, text)))
        if sibling_type is not None:
            _give_sibling_type(found, start, value, sibling_type)
        if label is not None:
            _give_answer_type(found, start, value, label)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                add((here_hint, (row, value, index, f"{here}[{index}]", item)))
            elif isinstance(item, dict | list):
                if type(item) is list and (text := _vector_text(item, here_hint)) is not None:
                    add((here_hint, (row, value, index, f"{here}[{index}]", text)))
                else:
                    _walk(item, f"{here}[{index}]", here_hint, here_key, row, depth + 1, found)
            elif type(item) is int and here_hint.whole_value_type and (text := _number_text(item, here_hint)):
                add((here_hint, (row, value, index, f"{here}[{index}]", text)))


#: An integer under a key whose whole value is PII (``"ssn": 123456789``, ``"card_number": 4111…``,
#: ``"phone": 4915112345678``) is PII written as a JSON number; below this many digits it is a part
#: (a house number, a count) that identifies nobody. Dates of birth are protected whatever their parts.
MIN_NUMBER_DIGITS = 4
#: A list of at least this many numbers under a biometric key is one vector (a face embedding,
#: a voiceprint, minutiae coordinates): it is protected as a whole, written as one token.
MIN_VECTOR_LENGTH = 4


def _number_text(number: int | float, hint: FieldHint) -> str | None:
    """The JSON text of a number that is PII by its key, or None. Only integers: a float under a PII
    key is a score or a measure (``face_match_score: 0.98``), never the identifier itself."""
    pii_type = hint.whole_value_type
    if pii_type is None or type(number) is not int:
        return None
    text = str(number)
    if pii_type != "dob" and len(text.lstrip("-")) < MIN_NUMBER_DIGITS:
        return None
    return text


def _vector_text(items: list, hint: FieldHint) -> str | None:
    """The compact JSON text of a list of numbers under a biometric key (``face_embedding``, or a key
    that inherits a biometric parent: ``{"face_template": {"values": [...]}}``), or None."""
    if hint.whole_value_type != "biometric":
        return None
    if len(items) < MIN_VECTOR_LENGTH or not all(type(x) is int or type(x) is float for x in items):
        return None
    return orjson.dumps(items).decode()


def _give_sibling_type(found: list, start: int, container: dict, pii_type: str) -> None:
    """``{"type": "passport", "number": ...}``: the container's unclassified number-like string leaves
    hold the identifier type its type key names."""
    hint = FieldHint(pii_type)
    _retype_leaves(found, start, container, lambda key: is_number_key(str(key)), lambda value: hint)


def _give_answer_type(found: list, start: int, container: dict, label: str) -> None:
    """``{"q": "Date of birth", "a": ...}``, ``{"field": "ssn", "value": ...}``: the container's unclassified
    answer leaves hold what the question or field label names."""
    hint = label_hint(label)
    if hint.kind is not None:
        _retype_leaves(found, start, container, ANSWER_KEYS.__contains__, lambda value: answer_hint(hint, value))


def _retype_leaves(found: list, start: int, container: dict, key_test, hint_for) -> None:
    """Give the container's own unclassified string leaves (found after ``start``) whose key passes
    ``key_test`` the hint ``hint_for(value)``: the one rule behind the sibling-type and label rules."""
    for i in range(start, len(found)):
        leaf_hint, leaf = found[i]
        if leaf[1] is container and leaf_hint.kind is None and type(leaf[2]) is not _Key and key_test(leaf[2]):
            found[i] = (hint_for(leaf[4]), leaf)


@dataclass(eq=False)
class _Unit:
    """A group of strings sharing a field hint, with a way back to (row, field_path)."""

    name: str
    kind: str  # string | list | json | json_raw
    hint: FieldHint
    values: pl.Series
    rows: np.ndarray | None = None
    indices: np.ndarray | None = None
    leaves: list | None = None
    docs: dict | None = None
    found: list = field(default_factory=list)
    root: str | None = None  # json units: the path of the document itself (None: the column name)

    def locate(self, position: int) -> tuple[int, str]:
        if self.kind == "string":
            return position, self.name
        if self.kind == "list":
            return int(self.rows[position]), f"{self.name}[{int(self.indices[position])}]"  # type: ignore[index]
        if self.kind == "json":
            row, _, _, path, _ = self.leaves[position]  # type: ignore[index]
            return row, path
        return int(self.rows[position]), self.name if self.root is None else self.root  # type: ignore[index]


def _audit_frames(
    table: str, rows: list[tuple[str | None, str, str, str, float, str, str]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Audit and subject frames from ``(record_id, path, pii_type, mode, confidence,
    detector, fingerprint)`` rows.

    Subjects: audit rows of subject types, de-duplicated keeping first occurrences; ``zip(*rows)`` transposes the rows
    into columns in one C-level pass.
    """
    names = [k for k in AUDIT_SCHEMA if k != "table"]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    audit = pl.DataFrame(
        {
            "table": pl.repeat(table, len(rows), dtype=pl.String, eager=True),
            **{name: list(column) for name, column in zip(names, columns, strict=True)},
        },
        schema=AUDIT_SCHEMA,
    )
    subjects = (
        audit.lazy()
        .filter(pl.col("pii_type").is_in(sorted(SUBJECT_TYPES)))
        .select(list(SUBJECT_SCHEMA))
        .unique(maintain_order=True)
        .collect()
    )
    return audit, subjects


@dataclass(frozen=True, slots=True)
class _NotJson:
    text: str


def _last_key(path: str) -> str | None:
    if not path:
        return None
    tail = path.rsplit(".", 1)[-1]
    return tail.split("[", 1)[0] or None
