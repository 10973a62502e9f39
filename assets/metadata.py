"""Per-partition asset metadata: each day's own figures, never the window's, never raw values.

A ranged run (one run over many daily partitions) records one materialization per partition. Everything
here is attached per partition with `context.add_asset_metadata(..., partition_key=day)`, so a day shows
its own row count, counts by category and business figures (the UI plots them over partitions), and a day
without rows says so instead of showing the window's total.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import polars as pl
import pyarrow as pa

from assets.partitions import partition_keys
from osa.catalog import Table

NO_ROWS = "no rows that day"


def _markdown(frame: pl.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)


def daily_metadata(table: Table, rows: pa.Table, *, preview: bool = False) -> dict[str, dict[str, dg.MetadataValue]]:
    """Per partition key with rows: row count, counts by `table.count_by`, `table.figures`, optional preview.

    Previews are for gold tables only: they hold aggregates, no personal data."""
    if not rows.num_rows:
        return {}
    day_column = table.partition_column
    figures = ", ".join(f"CAST({sql} AS DOUBLE) AS {name}" for name, sql in table.figures.items())
    con = duckdb.connect()
    try:
        con.register("day_rows", rows)
        per_day = con.sql(
            f"SELECT CAST({day_column} AS VARCHAR) AS day, count(*) AS n{', ' + figures if figures else ''} "
            f"FROM day_rows GROUP BY ALL"
        ).pl()
    finally:
        con.close()
    out: dict[str, dict[str, dg.MetadataValue]] = {}
    for record in per_day.iter_rows(named=True):
        metadata: dict[str, dg.MetadataValue] = {"dagster/row_count": dg.MetadataValue.int(record["n"])}
        for name in table.figures:
            if record[name] is not None:
                metadata[name] = dg.MetadataValue.float(record[name])
        out[record["day"]] = metadata
    frame = pl.from_arrow(rows)
    if table.count_by:
        counts = (
            frame.group_by(pl.col(day_column).cast(pl.String).alias("day"), table.count_by)
            .len()
            .sort(["day", "len", table.count_by], descending=[False, True, False])
        )
        for (day,), group in counts.partition_by("day", as_dict=True).items():
            out[day][f"rows_by_{table.count_by}"] = dg.MetadataValue.md(
                _markdown(group.select(table.count_by, pl.col("len").alias("rows")))
            )
    if preview:
        for (day,), group in frame.partition_by(day_column, as_dict=True).items():
            out[day.isoformat()]["preview"] = dg.MetadataValue.md(_markdown(group.head(10)))
    return out


def report_partitions(
    context: dg.AssetExecutionContext,
    asset_key: str,
    start: dt.date,
    end: dt.date,
    per_day: dict[str, dict[str, dg.MetadataValue]],
    *,
    empty: dict[str, dg.MetadataValue] | None = None,
) -> None:
    """Attach each day's metadata to its own partition; days without rows get `empty` and say so."""
    for key in partition_keys(start, end):
        metadata = per_day.get(key)
        if metadata is None:
            metadata = {"dagster/row_count": dg.MetadataValue.int(0), "note": dg.MetadataValue.text(NO_ROWS)}
            metadata.update(empty or {})
        context.add_asset_metadata(metadata, asset_key=asset_key, partition_key=key)


def counts_by_day(rows: pa.Table, *, flag: str | None = None, column: str = "event_date") -> dict[str, int]:
    """Rows per day (ISO date) of an Arrow table; with `flag`, only rows where that boolean column is true."""
    frame = pl.from_arrow(rows.select([column] + ([flag] if flag else [])))
    if flag:
        frame = frame.filter(pl.col(flag))
    return {d.isoformat(): n for d, n in frame.group_by(column).len().iter_rows()}
