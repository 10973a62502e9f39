"""The embedded DuckDB warehouse: migrations, atomic window replacement, cross-process safety."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
from pathlib import Path

import pyarrow as pa
import pytest

from osa.warehouse.base import migration_files
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse

TABLE = "quarantine_intake_forms"
DAY1, DAY2, DAY3 = dt.date(2026, 7, 1), dt.date(2026, 7, 2), dt.date(2026, 7, 3)


def _rows(day: dt.date, n: int, tag: str) -> pa.Table:
    return pa.table({
        "event_date": pa.array([day] * n, pa.date32()),
        "source_file": pa.array([tag] * n),
        "source_line": pa.array(list(range(1, n + 1)), pa.int32()),
        "stage": pa.array(["contract"] * n),
        "reason_codes": pa.array([["x"]] * n, pa.list_(pa.string())),
        "primary_reason": pa.array(["x"] * n),
    })


def _state(warehouse: DuckDBWarehouse) -> list[tuple]:
    return [tuple(r.values()) for r in warehouse.query(
        f"SELECT event_date, source_file, count(*) AS n FROM {TABLE} GROUP BY ALL ORDER BY ALL").to_pylist()]


@pytest.fixture
def warehouse(tmp_path: Path) -> DuckDBWarehouse:
    store = DuckDBWarehouse(tmp_path / "w.duckdb")
    store.apply_schema()
    return store


def test_apply_schema_is_idempotent(tmp_path):
    store = DuckDBWarehouse(tmp_path / "w.duckdb")
    versions = [version for version, _ in migration_files("duckdb")]
    assert versions and versions[0] == "V001"
    assert store.apply_schema() == versions
    assert store.apply_schema() == []
    assert DuckDBWarehouse(tmp_path / "w.duckdb").apply_schema() == []  # a fresh handle too
    migrations = store.query("SELECT version, name FROM schema_migrations ORDER BY version").to_pylist()
    assert [m["version"] for m in migrations] == versions
    assert migrations[0]["name"].startswith("V001__")
    tables = set(store.table_names())
    for expected in ("bronze_intake_forms", "silver_intake_forms", "quarantine_intake_forms",
                     "bronze_opal_deliveries", "quarantine_opal_deliveries", "silver_agent_executions",
                     "silver_workflow_executions", "silver_recommendations", "gold_agent_performance_daily",
                     "gold_workflow_completion_daily", "gold_recommendation_mix_daily", "schema_migrations"):
        assert expected in tables


def test_replace_window_replaces_only_its_window(warehouse):
    for day in (DAY1, DAY2, DAY3):
        assert warehouse.replace_window(TABLE, _rows(day, 3, "old"), day, day + dt.timedelta(days=1)) == 3
    assert warehouse.replace_window(TABLE, _rows(DAY2, 5, "new"), DAY2, DAY3) == 5
    assert _state(warehouse) == [(DAY1, "old", 3), (DAY2, "new", 5), (DAY3, "old", 3)]
    # a multi-day window clears every day in it, even those the new rows do not cover
    warehouse.replace_window(TABLE, _rows(DAY1, 2, "range"), DAY1, DAY3)
    assert _state(warehouse) == [(DAY1, "range", 2), (DAY3, "old", 3)]
    # replacing with nothing empties the window
    warehouse.replace_window(TABLE, _rows(DAY3, 0, "none"), DAY3, DAY3 + dt.timedelta(days=1))
    assert _state(warehouse) == [(DAY1, "range", 2)]


def test_replace_window_is_idempotent(warehouse):
    for _ in range(3):
        warehouse.replace_window(TABLE, _rows(DAY1, 4, "same"), DAY1, DAY2)
    assert _state(warehouse) == [(DAY1, "same", 4)]


@pytest.mark.parametrize("bad_rows", [
    pytest.param(_rows(DAY1, 2, "bad").append_column("no_such_column", pa.array([1, 2])), id="unknown_column"),
    pytest.param(pa.table({"event_date": pa.array(["not a date", "x"]), "source_file": ["bad", "bad"]}),
                 id="unconvertible_type"),
    pytest.param(pa.table({"event_date": pa.array([None, None], pa.date32()), "source_file": ["bad", "bad"]}),
                 id="not_null_violation"),
])
def test_failing_insert_rolls_back_and_keeps_old_rows(warehouse, bad_rows):
    warehouse.replace_window(TABLE, _rows(DAY1, 3, "old"), DAY1, DAY2)
    with pytest.raises(Exception):  # noqa: B017  (any DuckDB error; the point is what remains)
        warehouse.replace_window(TABLE, bad_rows, DAY1, DAY2)
    assert _state(warehouse) == [(DAY1, "old", 3)]
    # the warehouse is usable afterwards (no dangling transaction, lock released)
    warehouse.replace_window(TABLE, _rows(DAY1, 1, "after"), DAY1, DAY2)
    assert _state(warehouse) == [(DAY1, "after", 1)]


def test_identifiers_are_checked(warehouse):
    with pytest.raises(ValueError):
        warehouse.replace_window("quarantine_intake_forms; DROP TABLE x", _rows(DAY1, 1, "x"), DAY1, DAY2)
    with pytest.raises(ValueError):
        warehouse.drop_before(TABLE, DAY1, date_column="event_date OR 1=1")


def test_drop_before_removes_whole_old_partitions(warehouse):
    for day in (DAY1, DAY2, DAY3):
        warehouse.replace_window(TABLE, _rows(day, 2, "r"), day, day + dt.timedelta(days=1))
    assert warehouse.drop_before(TABLE, DAY3) == 4
    assert _state(warehouse) == [(DAY3, "r", 2)]


def test_query_on_a_missing_file_raises_file_not_found(tmp_path):
    path = tmp_path / "nowhere" / "w.duckdb"
    with pytest.raises(FileNotFoundError, match="osa run"):
        DuckDBWarehouse(path).query("SELECT 1")
    assert not path.exists()  # a read never creates a warehouse


def test_query_is_read_only(warehouse):
    with pytest.raises(Exception, match="(?i)read.only"):
        warehouse.query(f"DELETE FROM {TABLE}")


def test_lock_wait_times_out_with_a_clear_error(tmp_path):
    holder = DuckDBWarehouse(tmp_path / "w.duckdb")
    holder.apply_schema()
    waiter = DuckDBWarehouse(tmp_path / "w.duckdb", lock_timeout_s=0.3)
    with holder.connect():
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="lock"):
            waiter.query("SELECT 1")
        assert time.monotonic() - started >= 0.3
    assert waiter.scalar("SELECT 1") == 1  # free again once the holder is done


# ------------------------------------------------------------------ several processes at once
ITERATIONS = 15


def _writer(path: str, day_offset: int, iterations: int) -> None:
    """Replace one day of the table over and over (runs in a spawned process)."""
    store = DuckDBWarehouse(path, lock_timeout_s=120)
    store.apply_schema()  # every step of a Dagster run does this too
    day = DAY1 + dt.timedelta(days=day_offset)
    for iteration in range(iterations):
        rows = _rows(day, 10 + day_offset, f"worker{day_offset}-it{iteration}")
        store.replace_window(TABLE, rows, day, day + dt.timedelta(days=1))


def _crash_mid_write(path: str) -> None:
    """Delete a partition and insert half of a new one inside a transaction, then die without committing."""
    store = DuckDBWarehouse(path)
    with store.connect() as con:
        con.execute("BEGIN")
        con.execute(f"DELETE FROM {TABLE} WHERE event_date = ?", [DAY1])
        con.execute(f"INSERT INTO {TABLE} (event_date, source_file) VALUES (?, 'half')", [DAY1])
        os._exit(17)


def test_concurrent_writers_from_several_processes(tmp_path):
    path = str(tmp_path / "w.duckdb")  # not created yet: the writers race to apply the schema too
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(path, offset, ITERATIONS)) for offset in range(4)]
    for worker in workers:
        worker.start()
    # read while they write: every day is either absent or complete, never half-replaced
    reader = DuckDBWarehouse(path, lock_timeout_s=120)
    observations = 0
    while any(w.is_alive() for w in workers):
        if Path(path).exists():
            try:
                counts = reader.query(f"SELECT event_date, count(*) AS n FROM {TABLE} GROUP BY ALL").to_pylist()
            except Exception as error:  # the schema may not be applied yet on the very first reads
                assert "does not exist" in str(error), error
                continue
            for row in counts:
                assert row["n"] == 10 + (row["event_date"] - DAY1).days, row
            observations += 1
        time.sleep(0.01)
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    store = DuckDBWarehouse(path)
    final = store.query(f"SELECT event_date, source_file, count(*) AS n, count(DISTINCT source_line) AS lines "
                        f"FROM {TABLE} GROUP BY ALL ORDER BY ALL").to_pylist()
    assert [(r["event_date"], r["source_file"], r["n"], r["lines"]) for r in final] == [
        (DAY1 + dt.timedelta(days=k), f"worker{k}-it{ITERATIONS - 1}", 10 + k, 10 + k) for k in range(4)]
    assert store.scalar("SELECT count(*) FROM schema_migrations") == len(migration_files("duckdb"))
    assert observations > 0


def test_crash_mid_write_leaves_the_old_partition_and_frees_the_lock(warehouse):
    warehouse.replace_window(TABLE, _rows(DAY1, 3, "old"), DAY1, DAY2)
    ctx = multiprocessing.get_context("spawn")
    crasher = ctx.Process(target=_crash_mid_write, args=(str(warehouse.path),))
    crasher.start()
    crasher.join(timeout=60)
    assert crasher.exitcode == 17
    assert _state(DuckDBWarehouse(warehouse.path, lock_timeout_s=5)) == [(DAY1, "old", 3)]
