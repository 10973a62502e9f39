"""Opening a warehouse from its location string, without importing Dagster: spawned writer processes in the
tests import this module, and each skipped Dagster import saves them about a second."""

from __future__ import annotations

import datetime as dt
import decimal

import polars as pl
import pyarrow as pa

from osa import catalog
from osa.catalog.model import Column
from osa.warehouse.base import Warehouse
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from osa.warehouse.postgres_warehouse import PostgresWarehouse

# Derived from the catalogue: TimescaleDB hypertables on Postgres (one row set per event_date partition), and
# every base table plus the views and the bookkeeping table.
PARTITIONED_TABLES = frozenset(t.name for t in catalog.TABLES if t.hypertable)
LAKEHOUSE_TABLES = frozenset(catalog.CATALOG) | {"quarantine_records", "schema_migrations"}


def _valid_value(column: Column):
    """A constant the catalogue accepts for `column` (its first allowed value, its minimum, or a plain value)."""
    if column.allowed:
        return [column.allowed[0]] if column.type.polars == pl.List(pl.String) else column.allowed[0]
    arrow = column.type.arrow
    if pa.types.is_date(arrow):
        return dt.date(2026, 7, 1)
    if pa.types.is_timestamp(arrow):
        return dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    if pa.types.is_decimal(arrow):
        return decimal.Decimal("0.50")
    if pa.types.is_boolean(arrow):
        return False
    if pa.types.is_integer(arrow):
        return int(column.minimum or 1)
    if pa.types.is_floating(arrow):
        return float(column.minimum or 0.0)
    if pa.types.is_fixed_size_list(arrow):
        return [0.0] * arrow.list_size
    if pa.types.is_list(arrow):
        return ["x"]
    return "x"


def with_required_columns(table: str, rows: pa.Table) -> pa.Table:
    """`rows` plus every NOT NULL column of the catalogue table that it lacks, filled with a valid constant, so a
    test can write just the columns it is about."""
    for column in catalog.table(table).columns:
        if column.name not in rows.column_names and not column.nullable:
            rows = rows.append_column(column.name, pa.array([_valid_value(column)] * rows.num_rows, column.type.arrow))
    return rows


def open_warehouse(location: str) -> Warehouse:
    """A warehouse handle from its location: a PostgreSQL URL or a DuckDB file path."""
    return PostgresWarehouse(location) if location.startswith("postgresql://") else DuckDBWarehouse(location)


def location_of(warehouse: Warehouse) -> str:
    """The inverse of `open_warehouse`."""
    return warehouse.url if isinstance(warehouse, PostgresWarehouse) else str(warehouse.path)  # type: ignore[attr-defined]


def apply_schema_and_report(location: str, results) -> None:
    """Process target: apply the schema and put the versions this process applied on `results`."""
    results.put(open_warehouse(location).apply_schema())


# What legitimately differs between two runs over the same data: the run's own step times (a metric).
VOLATILE_METRICS = ("pipeline.step_seconds",)


def stable_select(table: str) -> str:
    """`SELECT *` of a table without the rows that are a run's own measurements (metric tables) or its own
    record (the audit log: when and in which windows a run changed workflow states; tests/test_retention.py
    and tests/test_dsr.py test it)."""
    declared = catalog.CATALOG.get(table)
    if declared is not None and declared.layer == "compliance":
        return f"SELECT * FROM {table} WHERE 1 = 0"
    if declared is not None and declared.layer == "metrics":
        names = ", ".join(f"'{name}'" for name in VOLATILE_METRICS)
        return f"SELECT * FROM {table} WHERE metric_name NOT IN ({names})"
    return f"SELECT * FROM {table}"


RECORD_KEYS = {"intake_forms": "form_id", "opal_deliveries": "delivery_id"}
ACCEPTED_TABLES = {"intake_forms": "silver_intake_forms", "opal_deliveries": "silver_agent_executions"}
# An intake line that is no JSON (or no UTF-8) is no submission and never a duplicate: the same blank line on two
# days is two quarantined lines with non-duplicate bronze rows of one digest. (A delivery's envelope is checked
# first: a line that is no envelope never reaches bronze, and a verified body is deduplicated whatever it holds.)
_NO_RECORD = {
    "intake_forms": " AND form_id NOT IN (SELECT record_digest FROM quarantine_intake_forms"
    " WHERE record_digest IS NOT NULL AND primary_reason IN ('invalid_json', 'invalid_utf8'))",
    "opal_deliveries": "",
}


def assert_accepted_once(store: Warehouse, source: str) -> None:
    """Every record of `source` has one non-duplicate bronze row across all days (one copy holds it, every other
    is a duplicate), and is accepted into silver at most once."""
    key = RECORD_KEYS[source]
    held = f"SELECT count(*) - count(DISTINCT {key}) FROM bronze_{source} WHERE NOT is_duplicate{_NO_RECORD[source]}"
    assert store.scalar(held) == 0, f"a record of {source} is held by two bronze rows"
    accepted = f"SELECT count(*) - count(DISTINCT {key}) FROM {ACCEPTED_TABLES[source]}"
    assert store.scalar(accepted) == 0, f"a record of {source} is accepted twice"


def line_homes(store: Warehouse, source: str) -> list[tuple[str, object, str, int]]:
    """(home, event_date, source_file, source_line) of every landing line the warehouse holds a row for: its
    accepted record, its duplicate or its quarantined row. Each line should have exactly one."""
    key = RECORD_KEYS[source]
    return [
        tuple(row.values())
        for row in store.query(
            f"""SELECT 'accepted' AS home, b.event_date, b.source_file, b.source_line
                FROM {ACCEPTED_TABLES[source]} a JOIN bronze_{source} b USING (event_date, {key})
                WHERE NOT b.is_duplicate
                UNION ALL SELECT 'duplicate', event_date, source_file, source_line FROM bronze_{source}
                WHERE is_duplicate
                UNION ALL SELECT 'quarantined', event_date, source_file, source_line FROM quarantine_{source}"""
        ).to_pylist()
    ]
