"""Query results as JSON-safe rows: what the page inlines, `/chart/<name>.json` returns and vl-convert reads."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

Frame = Any  # a pyarrow.Table, a polars.DataFrame, or already a list of row dicts


def _utc_iso(value: dt.datetime) -> str:
    # Naive timestamps in the warehouse are UTC (the project stores UTC); aware ones are converted. The trailing Z
    # makes every browser parse them the same way, whatever its time zone.
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


def json_safe(value: Any) -> Any:
    """One value as JSON can carry it: ISO strings for dates and times, floats for decimals, None for NaN/inf."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime):
        return _utc_iso(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, Iterable):
        return [json_safe(item) for item in value]
    if hasattr(value, "item"):  # numpy scalars
        return json_safe(value.item())
    return str(value)


def as_arrow(frame: Frame) -> pa.Table | None:
    """A pyarrow Table for a pyarrow Table or a polars DataFrame (anything with .to_arrow()); None otherwise."""
    if isinstance(frame, pa.Table):
        return frame
    if hasattr(frame, "to_arrow"):
        return frame.to_arrow()
    return None


def frame_columns(frame: Frame) -> list[str] | None:
    """The column names of `frame`; None for rows without a schema and no rows (nothing to tell)."""
    table = as_arrow(frame)
    if table is not None:
        return list(table.column_names)
    rows = list(frame or [])
    return list(dict.fromkeys(key for row in rows for key in row)) if rows else None


def json_safe_rows(frame: Frame) -> list[dict[str, Any]]:
    """The rows of `frame` as a list of JSON-safe dicts."""
    table = as_arrow(frame)
    rows = table.to_pylist() if table is not None else list(frame or [])
    return [{str(key): json_safe(value) for key, value in row.items()} for row in rows]
