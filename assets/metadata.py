"""Asset metadata that helps analysts without ever exposing raw values."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pyarrow as pa


def table_metadata(rows: pa.Table, *, count_by: str | None = None) -> dict[str, dg.MetadataValue]:
    """Row count, schema and (optionally) counts per category: figures, never record contents."""
    metadata: dict[str, dg.MetadataValue] = {
        "dagster/row_count": dg.MetadataValue.int(rows.num_rows),
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in rows.schema]),
    }
    if count_by and rows.num_rows:
        counts = pl.from_arrow(rows.select([count_by])).group_by(count_by).len().sort("len", descending=True)
        metadata[f"rows_by_{count_by}"] = dg.MetadataValue.md(
            "\n".join([f"| {count_by} | rows |", "|---|---|"] + [f"| {k} | {n} |" for k, n in counts.iter_rows()])
        )
    return metadata


def preview(rows: pa.Table, limit: int = 10) -> dg.MetadataValue:
    """A markdown preview; only for gold tables, which hold aggregates and no personal data."""
    if not rows.num_rows:
        return dg.MetadataValue.md("(no rows)")
    frame = pl.from_arrow(rows.slice(0, limit))
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.iter_rows()]
    return dg.MetadataValue.md("\n".join(lines))
