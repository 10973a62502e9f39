"""Retention, orchestrated by Dagster on both backends: whole partitions of every partitioned table go (chunks
on Postgres, days on DuckDB), views and bookkeeping tables are left alone, and the scheduled job is off
until OSA_WAREHOUSE_RETENTION_DAYS is set."""

import datetime as dt

import pyarrow as pa

from pipelines import maintenance
from tests.backends import PARTITIONED_TABLES, location_of, with_required_columns
from tests.conftest import warehouse_resource

TABLES = ("quarantine_intake_forms", "quarantine_opal_deliveries")


def _fill(warehouse, days: list[dt.date]) -> None:
    for table in TABLES:
        for day in days:
            rows = pa.table({"event_date": pa.array([day] * 2, pa.date32()), "source_file": ["f", "f"]})
            rows = with_required_columns(table, rows)
            warehouse.replace_window(table, rows, day, day + dt.timedelta(days=1))


def _days(warehouse, table: str) -> list[dt.date]:
    return warehouse.query(f"SELECT DISTINCT event_date FROM {table} ORDER BY 1").column(0).to_pylist()


def test_retention_drops_old_partitions_of_every_partitioned_table(warehouse):
    days = [dt.date(2026, 7, 1) + dt.timedelta(days=i) for i in range(4)]
    _fill(warehouse, days)
    partitioned = set(warehouse.partitioned_tables())
    assert partitioned >= PARTITIONED_TABLES | {"knowledge_items", "embedding_cache"}
    assert not partitioned & {"quarantine_records", "schema_migrations"}  # a view, a bookkeeping table
    removed = warehouse.apply_retention(days[2])
    assert {table: n for table, n in removed.items() if n} == {table: 4 for table in TABLES}
    for table in TABLES:
        assert _days(warehouse, table) == days[2:]
    assert warehouse.scalar("SELECT count(*) FROM quarantine_records") == 8  # the view sees what is left


def test_the_scheduled_retention_job_is_off_until_configured(warehouse, monkeypatch):
    today = dt.datetime.now(dt.UTC).date()
    days = [today - dt.timedelta(days=10), today - dt.timedelta(days=5), today]
    _fill(warehouse, days)
    resources = {"warehouse": warehouse_resource(location_of(warehouse))}
    monkeypatch.delenv("OSA_WAREHOUSE_RETENTION_DAYS", raising=False)
    assert maintenance.warehouse_retention.execute_in_process(resources=resources).success
    assert _days(warehouse, TABLES[0]) == days  # off: nothing dropped
    monkeypatch.setenv("OSA_WAREHOUSE_RETENTION_DAYS", "7")
    assert maintenance.warehouse_retention.execute_in_process(resources=resources).success
    for table in TABLES:
        assert _days(warehouse, table) == days[1:]
    schedules = {s.job_name: s for s in maintenance.defs.schedules}
    assert set(schedules) == {"warehouse_retention", "dagster_history_retention"}
