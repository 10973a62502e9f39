"""Chart declarations and the one function that turns a declaration into a Vega-Lite spec.

A chart is declared once (its SQL, mark and encodings); the served page, the static report and the PNG/SVG
images all use the spec `vega_lite_spec` derives from it, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

Mark = Literal["line", "bar", "area", "point", "rule"]
FieldType = Literal["temporal", "quantitative", "nominal", "ordinal"]

MARKS: frozenset[str] = frozenset({"line", "bar", "area", "point", "rule"})
FIELD_TYPES: frozenset[str] = frozenset({"temporal", "quantitative", "nominal", "ordinal"})
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier only: never fetched
CHART_HEIGHT = 260
IMAGE_WIDTH = 640  # images have no container to fill: a fixed width


@dataclasses.dataclass(frozen=True)
class Chart:
    """One dashboard chart: what it answers, the SQL that feeds it and how its columns map to the picture.

    `tooltip` names columns to show on hover (default: x, y and color); a column may carry its type as
    `name:quantitative` when it is not one of the encoded columns (otherwise it is shown as text).
    """

    name: str
    title: str
    question: str
    sql: str
    mark: Mark
    x: str
    y: str
    color: str | None = None
    x_type: FieldType = "temporal"
    y_type: FieldType = "quantitative"
    y_format: str | None = None
    tooltip: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        problems = []
        if not SLUG.match(self.name):
            problems.append(f"name {self.name!r} is not a slug (lower-case letters, digits, '-' and '_')")
        if self.mark not in MARKS:
            problems.append(f"mark {self.mark!r} is not one of {sorted(MARKS)}")
        for label, kind in (("x_type", self.x_type), ("y_type", self.y_type)):
            if kind not in FIELD_TYPES:
                problems.append(f"{label} {kind!r} is not one of {sorted(FIELD_TYPES)}")
        for label, text in (("title", self.title), ("question", self.question), ("sql", self.sql)):
            if not text.strip():
                problems.append(f"{label} is empty")
        for label, column in (("x", self.x), ("y", self.y)):
            if not column:
                problems.append(f"{label} names no column")
        if isinstance(self.tooltip, str):
            problems.append("tooltip must be a tuple of column names, not one string")
        for entry in self.tooltip or ():
            _column, _, kind = entry.partition(":")
            if kind and kind not in FIELD_TYPES:
                problems.append(f"tooltip {entry!r}: type {kind!r} is not one of {sorted(FIELD_TYPES)}")
        if problems:
            raise ValueError(f"chart {self.name!r}: " + "; ".join(problems))

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the chart reads (encodings and tooltip), in order, once each."""
        named = [self.x, self.y, self.color or "", *(entry.partition(":")[0] for entry in self.tooltip or ())]
        return tuple(dict.fromkeys(column for column in named if column))


def check_unique(charts: Sequence[Chart]) -> None:
    """Chart names address sections, files and URLs: two charts with one name would overwrite each other."""
    duplicates = sorted(name for name, count in Counter(chart.name for chart in charts).items() if count > 1)
    if duplicates:
        raise ValueError(f"chart names must be unique; repeated: {duplicates}")


def column_error(chart: Chart, columns: Sequence[str] | None) -> str | None:
    """Why a result cannot feed `chart` (a column it reads is missing), or None; `columns` None: not known.

    Without this a renamed view column gives an empty-looking chart instead of an error naming the column."""
    if columns is None:
        return None
    missing = [column for column in chart.columns if column not in columns]
    if not missing:
        return None
    return f"the query returns no column {', '.join(map(repr, missing))} (it returns {', '.join(columns) or 'none'})"


def _encoding(
    field: str,
    kind: str,
    *,
    number_format: str | None = None,
    axis_labels_slanted: bool = False,
) -> dict:
    encoded: dict[str, Any] = {"field": field, "type": kind}
    if kind == "temporal":
        # Values are ISO strings in UTC (see records.json_safe_rows); a UTC scale shows them as such on any machine.
        encoded["scale"] = {"type": "utc"}
    if number_format and kind == "quantitative":
        encoded["axis"] = {"format": number_format}
    if axis_labels_slanted and kind in ("nominal", "ordinal"):
        encoded["axis"] = {"labelAngle": -30, "labelLimit": 160}  # readable, and long names cut, not overlapping
    return encoded


def _tooltip(chart: Chart) -> list[dict]:
    known = {chart.x: chart.x_type, chart.y: chart.y_type}
    if chart.color:
        known.setdefault(chart.color, "nominal")
    entries = chart.tooltip if chart.tooltip is not None else tuple(known)
    tooltip = []
    for entry in entries:
        column, _, kind = entry.partition(":")
        kind = kind or known.get(column, "nominal")
        # A temporal value is shown as the ISO string it arrived as: exact, and no time of day invented for a date.
        item: dict[str, Any] = {"field": column, "type": "nominal" if kind == "temporal" else kind}
        if column == chart.y and chart.y_format:
            item["format"] = chart.y_format
        tooltip.append(item)
    return tooltip


def vega_lite_spec(chart: Chart, rows: list[dict] | None = None, *, width: int | str = "container") -> dict:
    """The Vega-Lite spec of `chart` with `rows` inline (JSON-safe dicts); `width` a pixel count for images."""
    encoding: dict[str, Any] = {
        "x": _encoding(chart.x, chart.x_type, axis_labels_slanted=True),
        "y": _encoding(chart.y, chart.y_type, number_format=chart.y_format),
        "tooltip": _tooltip(chart),
    }
    if chart.color:
        encoding["color"] = {"field": chart.color, "type": "nominal"}
    mark: dict[str, Any] = {"type": chart.mark}
    if chart.mark == "line":
        mark["point"] = False
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": chart.question,
        "width": width,
        "height": CHART_HEIGHT,
        "autosize": {"type": "fit-x", "contains": "padding"} if width == "container" else {"type": "pad"},
        "data": {"values": rows or []},
        "mark": mark,
        "encoding": encoding,
    }
