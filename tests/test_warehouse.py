"""The warehouse contract, run against BOTH backends: an embedded DuckDB file and a real PostgreSQL +
TimescaleDB + pgvector database (a fresh one per test). Migrations, atomic window replacement, retention
by whole partitions, read-only queries, several writer processes, a writer dying mid-transaction, and
identical Arrow types for identical data."""

from __future__ import annotations

import datetime as dt
import decimal
import multiprocessing
import os
import time

import pyarrow as pa
import pytest

from osa.warehouse.base import Warehouse, migration_files
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from osa.warehouse.postgres_warehouse import PostgresWarehouse
from tests.backends import LAKEHOUSE_TABLES, location_of, open_warehouse, with_required_columns

TABLE = "quarantine_intake_forms"
DAY1, DAY2, DAY3 = dt.date(2026, 7, 1), dt.date(2026, 7, 2), dt.date(2026, 7, 3)


def _rows(day: dt.date, n: int, tag: str) -> pa.Table:
    return pa.table(
        {
            "event_date": pa.array([day] * n, pa.date32()),
            "source_file": pa.array([tag] * n),
            "source_line": pa.array(list(range(1, n + 1)), pa.int32()),
            "stage": pa.array(["contract"] * n),
            "reason_codes": pa.array([["x"]] * n, pa.list_(pa.string())),
            "primary_reason": pa.array(["x"] * n),
        }
    )


def _state(warehouse: Warehouse, table: str = TABLE) -> list[tuple]:
    return [
        tuple(r.values())
        for r in warehouse.query(
            f"SELECT event_date, source_file, count(*) AS n FROM {table} GROUP BY 1, 2 ORDER BY 1, 2"
        ).to_pylist()
    ]


def _next(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


# ------------------------------------------------------------------ migrations
def test_apply_schema_is_idempotent(warehouse_location, backend):
    store = open_warehouse(warehouse_location)
    versions = [version for version, _ in migration_files(backend)]
    assert versions[:2] == ["V001", "V002"]
    assert store.apply_schema() == versions
    assert store.apply_schema() == []
    assert open_warehouse(warehouse_location).apply_schema() == []  # a fresh handle too
    migrations = store.query("SELECT version, name FROM schema_migrations ORDER BY version").to_pylist()
    assert [m["version"] for m in migrations] == versions
    assert migrations[0]["name"].startswith("V001__") and migrations[1]["name"].startswith("V002__")
    assert set(store.table_names()) >= LAKEHOUSE_TABLES


def test_both_backends_have_the_same_migrations():
    names = {backend: [path.name for _, path in migration_files(backend)] for backend in ("duckdb", "postgres")}
    assert names["duckdb"] == names["postgres"]


# ------------------------------------------------------------------ window replacement
def test_replace_window_replaces_only_its_window(warehouse):
    for day in (DAY1, DAY2, DAY3):
        assert warehouse.replace_window(TABLE, _rows(day, 3, "old"), day, _next(day)) == 3
    assert warehouse.replace_window(TABLE, _rows(DAY2, 5, "new"), DAY2, DAY3) == 5
    assert _state(warehouse) == [(DAY1, "old", 3), (DAY2, "new", 5), (DAY3, "old", 3)]
    # a multi-day window clears every day in it, even those the new rows do not cover
    warehouse.replace_window(TABLE, _rows(DAY1, 2, "range"), DAY1, DAY3)
    assert _state(warehouse) == [(DAY1, "range", 2), (DAY3, "old", 3)]
    # replacing with nothing empties the window
    warehouse.replace_window(TABLE, _rows(DAY3, 0, "none"), DAY3, _next(DAY3))
    assert _state(warehouse) == [(DAY1, "range", 2)]


def test_replace_window_is_idempotent(warehouse):
    for _ in range(3):
        warehouse.replace_window(TABLE, _rows(DAY1, 4, "same"), DAY1, DAY2)
    assert _state(warehouse) == [(DAY1, "same", 4)]


def test_a_wide_window_replaces_every_day_in_it(warehouse):
    """Backfill-sized windows (beyond the per-day locks on Postgres) behave exactly the same."""
    days = [DAY1 + dt.timedelta(days=i) for i in range(40)]
    for day in days:
        warehouse.replace_window(TABLE, _rows(day, 1, "daily"), day, _next(day))
    wide = pa.concat_tables([_rows(day, 2, "backfill") for day in days[::2]])
    assert warehouse.replace_window(TABLE, wide, days[0], _next(days[-1])) == 40
    assert _state(warehouse) == [(day, "backfill", 2) for day in days[::2]]


@pytest.mark.parametrize(
    "bad_rows",
    [
        pytest.param(_rows(DAY1, 2, "bad").append_column("no_such_column", pa.array([1, 2])), id="unknown_column"),
        pytest.param(
            pa.table({"event_date": pa.array(["not a date", "x"]), "source_file": ["bad", "bad"]}),
            id="unconvertible_type",
        ),
        pytest.param(
            pa.table({"event_date": pa.array([None, None], pa.date32()), "source_file": ["bad", "bad"]}),
            id="not_null_violation",
        ),
    ],
)
def test_failing_insert_rolls_back_and_keeps_old_rows(warehouse, bad_rows):
    warehouse.replace_window(TABLE, _rows(DAY1, 3, "old"), DAY1, DAY2)
    with pytest.raises(Exception):  # noqa: B017  (any backend error; the point is what remains)
        warehouse.replace_window(TABLE, bad_rows, DAY1, DAY2)
    assert _state(warehouse) == [(DAY1, "old", 3)]
    # the warehouse is usable afterwards (no dangling transaction, no lock left behind)
    warehouse.replace_window(TABLE, _rows(DAY1, 1, "after"), DAY1, DAY2)
    assert _state(warehouse) == [(DAY1, "after", 1)]


def test_replace_windows_is_one_transaction_across_tables(warehouse):
    """A step's tables become visible together or not at all: the second table failing undoes the first."""
    other = "quarantine_opal_deliveries"
    for table in (TABLE, other):
        warehouse.replace_window(table, _rows(DAY1, 3, "old"), DAY1, DAY2)
    bad = pa.table({"event_date": pa.array([None], pa.date32()), "source_file": ["bad"]})
    # the failing table sorts last on purpose: the good one has already been deleted and re-inserted
    with pytest.raises(Exception):  # noqa: B017
        warehouse.replace_windows({TABLE: _rows(DAY1, 7, "new"), other: bad}, DAY1, DAY2)
    assert _state(warehouse, TABLE) == [(DAY1, "old", 3)]
    assert _state(warehouse, other) == [(DAY1, "old", 3)]
    assert warehouse.replace_windows({TABLE: _rows(DAY1, 7, "new"), other: _rows(DAY1, 2, "new")}, DAY1, DAY2) == 9
    assert _state(warehouse, TABLE) == [(DAY1, "new", 7)]
    assert _state(warehouse, other) == [(DAY1, "new", 2)]


def test_identifiers_are_checked(warehouse):
    with pytest.raises(ValueError):
        warehouse.replace_window("quarantine_intake_forms; DROP TABLE x", _rows(DAY1, 1, "x"), DAY1, DAY2)
    with pytest.raises(ValueError):
        warehouse.drop_before(TABLE, DAY1, date_column="event_date OR 1=1")
    assert TABLE in warehouse.table_names()


# ------------------------------------------------------------------ retention
def _partitions(warehouse: Warehouse, table: str) -> list[tuple[dt.date, dt.date]]:
    """The physical partitions of `table`: TimescaleDB chunks on Postgres, event_date days on DuckDB."""
    if isinstance(warehouse, PostgresWarehouse):
        return [
            tuple(r.values())
            for r in warehouse.query(
                "SELECT range_start::date AS s, range_end::date AS e FROM timescaledb_information.chunks "
                "WHERE hypertable_name = ? ORDER BY 1",
                [table],
            ).to_pylist()
        ]
    return [
        (r["d"], _next(r["d"]))
        for r in warehouse.query(f"SELECT DISTINCT event_date AS d FROM {table} ORDER BY 1").to_pylist()
    ]


def test_drop_before_removes_whole_old_partitions(warehouse):
    days = [DAY1 + dt.timedelta(days=i) for i in range(5)]
    for day in days:
        warehouse.replace_window(TABLE, _rows(day, 2, "r"), day, _next(day))
    assert _partitions(warehouse, TABLE) == [(day, _next(day)) for day in days]  # one per day (1-day chunks)
    assert warehouse.drop_before(TABLE, days[3]) == 6
    assert _partitions(warehouse, TABLE) == [(day, _next(day)) for day in days[3:]]
    assert _state(warehouse) == [(days[3], "r", 2), (days[4], "r", 2)]
    assert warehouse.drop_before(TABLE, days[3]) == 0  # nothing older is left
    assert warehouse.drop_before(TABLE, days[0]) == 0


# ------------------------------------------------------------------ reads
def test_query_is_read_only(warehouse):
    warehouse.replace_window(TABLE, _rows(DAY1, 2, "kept"), DAY1, DAY2)
    with pytest.raises(Exception, match="(?i)read.only"):
        warehouse.query(f"DELETE FROM {TABLE}")
    assert _state(warehouse) == [(DAY1, "kept", 2)]


def test_question_mark_parameters_work_on_both_backends(warehouse):
    warehouse.replace_window(TABLE, _rows(DAY1, 3, "a?b%c"), DAY1, DAY2)
    result = warehouse.query(
        f"SELECT count(*) AS n, min(source_file) AS f, '?%' AS lit FROM {TABLE} "
        "WHERE event_date >= ? AND event_date < ? AND source_file = ? AND source_line > ?",
        [DAY1, DAY2, "a?b%c", 1],
    ).to_pylist()
    assert result == [{"n": 2, "f": "a?b%c", "lit": "?%"}]
    assert warehouse.scalar(f"SELECT count(*) FROM {TABLE}") == 3


def _typed_rows() -> pa.Table:
    """Every column type the lakehouse uses, with the awkward values: NULLs, empty and NULL-holding lists,
    non-ASCII text, quotes, extreme integers, dates and instants before 2000 (the Postgres epoch). NULLs only
    where the catalogue allows them (NOT NULL columns carry extremes instead)."""
    utc = dt.UTC
    return pa.table(
        {
            "event_date": pa.array([DAY1] * 5, pa.date32()),
            "delivery_id": ["a", "b", "\u00fc\u20ac\U0001f600", "", "x'\"%?\\"],
            "correlation_id": ["a", None, "\u00fc\u20ac\U0001f600", "", "x'\"%?\\"],
            "agent_timestamp": pa.array(
                [
                    dt.datetime(2026, 7, 1, 1, 2, 3, 456789, tzinfo=utc),
                    None,
                    dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=utc),
                    dt.datetime(1970, 1, 1, tzinfo=utc),
                    dt.datetime(2026, 7, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "execution_duration_ms": pa.array([1, None, -5, 2**62, 0], pa.int64()),
            "confidence_score": [0.5, None, float("inf"), -0.0, 1e-300],
            "data_sources": pa.array([["odp", "ga4"], None, [], ["x", None, "\u00fc"], [""]], pa.list_(pa.string())),
            "sla_max_execution_ms": pa.array([1, -(2**31), -1, 2**31 - 1, 0], pa.int32()),
            "sla_confidence_threshold": pa.array(
                [
                    decimal.Decimal("0.70"),
                    decimal.Decimal("9.99"),
                    decimal.Decimal("-9.99"),
                    decimal.Decimal("0.00"),
                    decimal.Decimal("1.50"),
                ],
                pa.decimal128(3, 2),
            ),
            "source_line": pa.array([1, 2, 3, 4, 5], pa.int32()),
            "is_final": [True, False, False, True, False],
            "is_low_confidence": [True, False, False, True, False],
        }
    )


def test_types_round_trip_identically_on_both_backends(tmp_path, pg_database):
    duck = DuckDBWarehouse(tmp_path / "w.duckdb")
    duck.apply_schema()
    postgres = PostgresWarehouse(pg_database)
    rows = _typed_rows()
    columns = ", ".join(rows.column_names)
    written = with_required_columns("silver_agent_executions", rows)
    results = {}
    for store in (duck, postgres):
        store.replace_window("silver_agent_executions", written, DAY1, DAY2)
        results[store.backend] = store.query(f"SELECT {columns} FROM silver_agent_executions ORDER BY source_line")
    assert results["postgres"].schema.equals(results["duckdb"].schema)
    assert results["postgres"].equals(results["duckdb"])
    expected = rows.cast(results["duckdb"].schema)
    assert results["postgres"].to_pylist() == expected.to_pylist()
    assert str(results["postgres"].schema.field("agent_timestamp").type) == "timestamp[us, tz=UTC]"
    assert str(results["postgres"].schema.field("data_sources").type) == "list<l: string>"


def test_every_table_has_the_same_columns_and_arrow_types_on_both_backends(tmp_path, pg_database):
    duck = DuckDBWarehouse(tmp_path / "w.duckdb")
    duck.apply_schema()
    postgres = PostgresWarehouse(pg_database)
    assert duck.table_names() == postgres.table_names()
    for table in duck.table_names():
        expected = duck.query(f"SELECT * FROM {table} LIMIT 0").schema
        assert postgres.query(f"SELECT * FROM {table} LIMIT 0").schema.equals(expected), table
    embedding = postgres.query("SELECT embedding FROM knowledge_items LIMIT 0").schema.field(0).type
    assert str(embedding) == "fixed_size_list<: float>[1536]"


# ------------------------------------------------------------------ several processes at once
ITERATIONS = 15


def _writer(location: str, day_offset: int, iterations: int) -> None:
    """Replace one day of the table over and over (runs in a spawned process)."""
    store = open_warehouse(location)
    if isinstance(store, DuckDBWarehouse):
        store.lock_timeout_s = 120
    store.apply_schema()  # every step of a Dagster run does this too
    day = DAY1 + dt.timedelta(days=day_offset)
    for iteration in range(iterations):
        rows = _rows(day, 10 + day_offset, f"worker{day_offset}-it{iteration}")
        store.replace_window(TABLE, rows, day, _next(day))


def _same_window_writer(location: str, worker: int, iterations: int, start) -> None:
    """Replace the SAME two-day window as other workers, each time with a different row count."""
    store = open_warehouse(location)
    store.apply_schema()
    start.wait(timeout=60)  # all workers write at once, not one after another as they finish importing
    for iteration in range(iterations):
        n = 500 + worker * 100 + iteration  # big enough that unserialized writes would overlap
        rows = pa.concat_tables([_rows(DAY1, n, f"w{worker}-{iteration}"), _rows(DAY2, n, f"w{worker}-{iteration}")])
        store.replace_window(TABLE, rows, DAY1, DAY3)
        # right after committing, before another writer can clean up: every day holds exactly one write
        for day in store.query(
            f"SELECT event_date, count(DISTINCT source_file) AS writes, count(*) AS n, "
            f"min(source_file) AS tag FROM {TABLE} GROUP BY 1"
        ).to_pylist():
            expected = 500 + int(day["tag"][1:].split("-")[0]) * 100 + int(day["tag"].split("-")[1])
            assert day["writes"] == 1 and day["n"] == expected, day


def _crash_mid_write(location: str) -> None:
    """Delete a partition and insert part of a new one inside a transaction, then die without committing."""
    store = open_warehouse(location)
    if isinstance(store, DuckDBWarehouse):
        with store.connect() as con:
            con.execute("BEGIN")
            con.execute(f"DELETE FROM {TABLE} WHERE event_date = ?", [DAY1])
            con.execute(
                f"INSERT INTO {TABLE} (event_date, source_file, source_line, stage, reason_codes, primary_reason) "
                "VALUES (?, 'half', 1, 'contract', ['x'], 'x')",
                [DAY1],
            )
            os._exit(17)
    with store.connect() as con:
        con.execute(f"DELETE FROM {TABLE} WHERE event_date = %s", [DAY1])
        columns = "event_date, source_file, source_line, stage, reason_codes, primary_reason"
        with con.cursor().copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:
            copy.write_row((DAY1, "half", 1, "contract", ["x"], "x"))
        os._exit(17)


def test_concurrent_writers_from_several_processes(warehouse_location):
    """Four processes (racing to apply the schema, too) each rewrite their own day; a reader never sees a
    half-replaced day, and the end state holds each day's last write exactly once."""
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(warehouse_location, offset, ITERATIONS)) for offset in range(4)]
    for worker in workers:
        worker.start()
    reader = open_warehouse(warehouse_location)
    observations = 0
    while any(w.is_alive() for w in workers):
        try:
            counts = reader.query(f"SELECT event_date, count(*) AS n FROM {TABLE} GROUP BY 1").to_pylist()
        except Exception as error:  # before the first writer creates the file / applies the schema
            assert "does not exist" in str(error) or "no warehouse" in str(error), error
            time.sleep(0.01)
            continue
        for row in counts:
            assert row["n"] == 10 + (row["event_date"] - DAY1).days, row
        observations += 1
        time.sleep(0.01)
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    store = open_warehouse(warehouse_location)
    final = store.query(
        f"SELECT event_date, source_file, count(*) AS n, count(DISTINCT source_line) AS lines "
        f"FROM {TABLE} GROUP BY 1, 2 ORDER BY 1, 2"
    ).to_pylist()
    assert [(r["event_date"], r["source_file"], r["n"], r["lines"]) for r in final] == [
        (DAY1 + dt.timedelta(days=k), f"worker{k}-it{ITERATIONS - 1}", 10 + k, 10 + k) for k in range(4)
    ]
    assert store.scalar("SELECT count(*) FROM schema_migrations") == len(migration_files(store.backend))
    assert observations > 0


def test_writers_of_the_same_window_never_duplicate_rows(warehouse):
    """Three processes replace the same window at once; each day always holds exactly one write (the writers
    check after every commit, exiting non-zero on a mixed or doubled day)."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(3)
    workers = [ctx.Process(target=_same_window_writer, args=(location_of(warehouse), w, 10, start)) for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    final = _state(warehouse)
    assert len(final) == 2 and final[0][1] == final[1][1], final  # both days from the same (last) write
    tag = final[0][1]
    worker, iteration = (int(x) for x in tag[1:].split("-"))
    assert final == [(DAY1, tag, 500 + worker * 100 + iteration), (DAY2, tag, 500 + worker * 100 + iteration)]


def test_crash_mid_write_leaves_the_old_partition(warehouse):
    warehouse.replace_window(TABLE, _rows(DAY1, 3, "old"), DAY1, DAY2)
    ctx = multiprocessing.get_context("spawn")
    crasher = ctx.Process(target=_crash_mid_write, args=(location_of(warehouse),))
    crasher.start()
    crasher.join(timeout=60)
    assert crasher.exitcode == 17
    assert _state(warehouse) == [(DAY1, "old", 3)]
    warehouse.replace_window(TABLE, _rows(DAY1, 1, "after"), DAY1, DAY2)  # nothing left locked
    assert _state(warehouse) == [(DAY1, "after", 1)]
