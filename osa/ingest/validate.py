"""Compile declarative contracts into one vectorized DuckDB validation query.

Every JSON document is parsed once by `from_json` into a struct whose leaves stay raw JSON (so a wrong
type is visible instead of silently becoming NULL), plus one multi-path `json_type` call for the
container types. Each rule becomes a SQL expression that yields a reason code such as
``missing:business_context.company_name`` or ``out_of_range:agent_data.content_quality_score``. A
record is valid when its list of reason codes is empty. No per-record Python runs here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson
import pyarrow as pa

from osa.contracts.spec import Contract, Field

# An RFC 3339 timestamp (ISO 8601 profile): date, `T`, time, optional fraction, and an explicit zone (`Z` or
# `+hh:mm`/`-hh:mm`). DuckDB's cast alone also takes `2026-10-03 12:00:00 UTC`, zone names, no zone at all and
# five-digit years, so the text must match this before it is cast (and the cast must then succeed: 02-30 fails).
RFC3339_PATTERN = (
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?"
    r"([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)"
)

# Strict JSON shapes computed by `json_shapes`.
JSON_INVALID, JSON_NOT_OBJECT, JSON_OBJECT = 0, 1, 2

_TYPE_NAMES = {
    "string": ("VARCHAR",),
    "timestamp": ("VARCHAR",),
    "number": ("BIGINT", "UBIGINT", "DOUBLE"),
    "integer": ("BIGINT", "UBIGINT"),
    "boolean": ("BOOLEAN",),
    "object": ("OBJECT",),
    "string_list": ("ARRAY",),
    "object_list": ("ARRAY",),
}


def sql_str(value: str) -> str:
    """Quote a Python string as a SQL literal."""
    return "'" + value.replace("'", "''") + "'"


def timestamp_sql(text: str) -> str:
    """SQL: the TIMESTAMPTZ that the string expression `text` denotes if it is an RFC 3339 timestamp, else NULL."""
    return f"CASE WHEN regexp_full_match({text}, {sql_str(RFC3339_PATTERN)}) THEN TRY_CAST({text} AS TIMESTAMPTZ) END"


def json_shapes(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Per text, `JSON_OBJECT`, `JSON_NOT_OBJECT` (another JSON value) or `JSON_INVALID` (int8; NULL is invalid).

    JSON here is RFC 8259, as `orjson` parses it: DuckDB's `json_valid`/`from_json` also accept `NaN`,
    `Infinity`, `inf` and trailing commas, and DuckDB has no strict mode. orjson rejects those, and numbers that
    overflow a double (`1e999`), so no non-finite number gets through; whitespace around the value is the
    JSON whitespace (space, tab, CR, LF), leading or trailing. There is no columnar strict JSON parser, so this
    is one Python pass over the column. Measured with bench/ingest.py (98k deliveries, each line and each body
    parsed once here): about 1.1-1.8 s more for verify+validate+silver, ~15% fewer deliveries/s.
    """
    loads, error = orjson.loads, orjson.JSONDecodeError
    shapes = []
    # chunk by chunk, so that only one chunk's Python strings exist at a time
    for chunk in texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]:
        for text in chunk.to_pylist():
            if text is None:
                shapes.append(JSON_INVALID)
                continue
            try:
                document = loads(text)
            except error:
                shapes.append(JSON_INVALID)
                continue
            shapes.append(JSON_OBJECT if isinstance(document, dict) else JSON_NOT_OBJECT)
    return pa.array(shapes, pa.int8())


def with_line_checks(lines: pa.Table) -> pa.Table:
    """`lines` plus `utf8_valid` (as `read_lines` found it; true when absent) and `json_shape` (`json_shapes`)."""
    if "utf8_valid" not in lines.column_names:
        lines = lines.append_column("utf8_valid", pa.repeat(pa.scalar(True), lines.num_rows))
    return lines.append_column("json_shape", json_shapes(lines["line"]))


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(sql_str(v) for v in values) + ")"


def _type_ok(type_expr: str, kind: str) -> str:
    return f"{type_expr} IN {_in_list(_TYPE_NAMES[kind])}"


@dataclass
class CompiledContract:
    """What a contract contributes to the validation query."""

    structure: dict = field(default_factory=dict)
    # JSONPath of every top-level field; '$' first, so t[1] is the document's own type
    type_paths: list[str] = field(default_factory=lambda: ["$"])
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (condition SQL, reason code)
    # rules on the elements of each object list, as (array SQL, [(condition on `e`, reason code)])
    element_rules: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    element_leaves: dict[str, dict[str, str]] = field(default_factory=dict)  # leaf -> kind, per object list

    def type_index(self, path: str) -> int:
        return self.type_paths.index(path) + 1  # DuckDB lists are 1-based


def _insert(structure: dict, parts: list[str], leaf: object) -> None:
    node = structure
    for part in parts[:-1]:
        if node.get(part) == "JSON":  # a free-form object refined by a nested contract (agent_data)
            node[part] = {}
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"path conflict at {part!r}")
    existing = node.get(parts[-1])
    if existing is not None and existing != leaf and not (isinstance(existing, dict) and leaf == {}):
        raise ValueError(f"conflicting shapes for {'.'.join(parts)!r}")
    if existing is None:
        node[parts[-1]] = leaf


def _value_reasons(
    field_: Field, value: str, type_expr: str, code_path: str, *, text: str | None = None, number: str | None = None
) -> list[tuple[str, str]]:
    """Constraint checks on one raw-JSON leaf `value` whose json_type is `type_expr`.

    `text` / `number` may be precomputed expressions for the leaf's string / numeric value so that a
    leaf is parsed once however many rules look at it.
    """
    reasons: list[tuple[str, str]] = []
    text = text or f"json_extract_string({value}, '$')"
    if field_.kind in ("string", "timestamp"):
        if field_.min_length is not None:
            reasons.append((f"length(trim({text})) < {field_.min_length}", f"too_short:{code_path}"))
        if field_.enum is not None:
            reasons.append((f"{text} NOT IN {_in_list(field_.enum)}", f"not_allowed:{code_path}"))
        if field_.pattern is not None:
            reasons.append((f"NOT regexp_full_match({text}, {sql_str(field_.pattern)})", f"bad_format:{code_path}"))
        if field_.kind == "timestamp":
            reasons.append((f"({timestamp_sql(text)}) IS NULL", f"invalid_timestamp:{code_path}"))
    elif field_.kind in ("number", "integer"):
        number = number or f"TRY_CAST({value} AS DOUBLE)"
        if field_.minimum is not None:
            reasons.append((f"{number} < {field_.minimum}", f"out_of_range:{code_path}"))
        if field_.maximum is not None:
            reasons.append((f"{number} > {field_.maximum}", f"out_of_range:{code_path}"))
    elif field_.kind == "string_list":
        element_types = f"json_type({value}, '$[*]')"
        reasons.append(
            (f"list_bool_or(list_transform({element_types}, lambda x: x <> 'VARCHAR'))", f"wrong_type:{code_path}[]")
        )
        elements = f"from_json({value}, '[\"VARCHAR\"]')"
        if field_.min_length is not None:
            reasons.append((f"json_array_length({value}) < {field_.min_length}", f"too_short:{code_path}"))
        if field_.enum is not None:
            reasons.append(
                (
                    f"list_bool_or(list_transform({elements}, lambda x: x NOT IN {_in_list(field_.enum)}))",
                    f"not_allowed:{code_path}[]",
                )
            )
        if field_.pattern is not None:
            check = f"NOT regexp_full_match(x, {sql_str(field_.pattern)})"
            reasons.append(
                (f"list_bool_or(list_transform({elements}, lambda x: {check}))", f"bad_format:{code_path}[]")
            )
    # constraints only run once the type matched
    return [(f"({_type_ok(type_expr, field_.kind)}) AND coalesce({cond}, false)", code) for cond, code in reasons]


def compile_contract(
    contract: Contract,
    *,
    root: list[str] | None = None,
    code_prefix: str = "",
    compiled: CompiledContract | None = None,
    struct_sql: str = "s",
    types_sql: str = "t",
) -> CompiledContract:
    """Add `contract`'s fields (rooted at `root` inside the document) to `compiled`."""
    root = root or []
    compiled = compiled or CompiledContract()
    object_lists = {f.path for f in contract.fields if f.kind == "object_list"}
    with_children = {f.path.rsplit(".", 1)[0] for f in contract.fields if "." in f.path and "[]" not in f.path}

    for f in contract.fields:
        code_path = code_prefix + f.path
        if f.array_path is None:
            parts = root + f.path.split(".")
            if f.kind == "object_list":
                leaf: object = [{}]
            elif f.kind == "object" and f.path in with_children:
                leaf = {}
            else:
                leaf = "JSON"
            _insert(compiled.structure, parts, leaf)
            json_path = "$." + ".".join(parts)
            compiled.type_paths.append(json_path)
            type_expr = f"{types_sql}[{compiled.type_index(json_path)}]"
            present = f"({type_expr} IS NOT NULL AND {type_expr} <> 'NULL')"
            if f.required:
                compiled.reasons.append((f"NOT {present}", f"missing:{code_path}"))
            compiled.reasons.append((f"{present} AND NOT ({_type_ok(type_expr, f.kind)})", f"wrong_type:{code_path}"))
            if leaf == "JSON":
                value = struct_sql + "".join(f".{p}" for p in parts)
                compiled.reasons.extend(_value_reasons(f, value, type_expr, code_path))
        else:
            if f.array_path not in object_lists:
                raise ValueError(f"{f.path}: declare {f.array_path} as object_list first")
            parts = root + f.array_path.split(".")
            node = compiled.structure
            for part in parts:
                node = node[part]
            node[0][f.leaf] = "JSON"
            elements = struct_sql + "".join(f".{p}" for p in parts)
            rules = compiled.element_rules.setdefault(elements, [])
            compiled.element_leaves.setdefault(elements, {})[f.leaf] = f.kind
            value, type_expr = f"e.{f.leaf}", f"e.{f.leaf}__type"
            if f.required:
                rules.append((f"{value} IS NULL", f"missing:{code_path}"))
            rules.append((f"{value} IS NOT NULL AND NOT ({_type_ok(type_expr, f.kind)})", f"wrong_type:{code_path}"))
            rules.extend(
                (f"{value} IS NOT NULL AND {cond}", code)
                for cond, code in _value_reasons(
                    f, value, type_expr, code_path, text=f"e.{f.leaf}__text", number=f"e.{f.leaf}__number"
                )
            )
    return compiled


def _codes(reasons: list[tuple[str, str]], var: str = "x") -> str:
    items = ", ".join(f"CASE WHEN coalesce({cond}, false) THEN {sql_str(code)} END" for cond, code in reasons)
    return f"list_filter([{items}], lambda {var}: {var} IS NOT NULL)"


def _typed_elements(elements: str, leaves: dict[str, str]) -> str:
    """Each element with its leaves' JSON type and (as the kind needs) text or number, computed once."""
    fields = []
    for leaf, kind in leaves.items():
        fields += [f"{leaf} := e.{leaf}", f"{leaf}__type := json_type(e.{leaf})"]
        if kind in ("string", "timestamp"):
            fields.append(f"{leaf}__text := json_extract_string(e.{leaf}, '$')")
        elif kind in ("number", "integer"):
            fields.append(f"{leaf}__number := TRY_CAST(e.{leaf} AS DOUBLE)")
    return f"list_transform({elements}, lambda e: struct_pack({', '.join(fields)}))"


def reasons_sql(reasons: list[tuple[str, str]], compiled: CompiledContract | None = None) -> str:
    """A SQL list of the reason codes whose condition holds (empty list when valid).

    Element rules run in one pass per array (one lambda over the elements evaluates all of that
    array's rules) rather than one pass per rule; their codes are de-duplicated and sorted.
    """
    parts = [_codes(reasons)] if reasons else []
    for elements, rules in (compiled.element_rules if compiled else {}).items():
        typed = _typed_elements(elements, compiled.element_leaves[elements])
        per_element = f"list_transform({typed}, lambda e: {_codes(rules, 'c')})"
        parts.append(f"coalesce(list_sort(list_distinct(flatten({per_element}))), []::VARCHAR[])")
    if not parts:
        return "[]::VARCHAR[]"
    return parts[0] if len(parts) == 1 else f"list_concat({', '.join(parts)})"


def structure_literal(structure: dict) -> str:
    return sql_str(json.dumps(structure, separators=(",", ":")))


def outside_partitions_sql(timestamp: str) -> str:
    """SQL true when the UTC day of `timestamp` (a TIMESTAMPTZ expression) lies before the first partition or
    after tomorrow: no daily partition can hold it (staging files such lines under today, to be quarantined)."""
    import datetime as dt

    from osa.config import partitions_start

    last = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    day = f"CAST(timezone('UTC', {timestamp}) AS DATE)"
    return f"coalesce({day} < DATE '{partitions_start()}' OR {day} > DATE '{last}', false)"
