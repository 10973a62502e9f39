"""The whole Dagster pipeline on both backends.

* Parity: the committed seed data materialized into DuckDB and into PostgreSQL gives identical gold tables
  (every row and aggregate), identical row counts per table and day, identical silver aggregates and the
  same asset-check outcomes.
* Concurrency: three Dagster runs, each in its own process and configured only by environment variables,
  write three different partitions of the same tables at the same moment, on data with a record replayed on
  a later day, and end up where a sequential order of the same runs ends up: no deadlock, no record accepted
  twice, no line lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from osa import catalog
from osa.config import PROJECT_ROOT, SEED_DATA_DIR
from osa.ingest.landing import days_with_data, split_lines
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET
from osa.warehouse.base import Warehouse
from pipelines.definitions import defs
from pipelines.lakehouse import range_tags
from resources import LandingZoneResource, PrivacyResource, WebhookSecretResource
from tests.backends import assert_accepted_once, line_homes, open_warehouse
from tests.conftest import SMALL_FIRST, SMALL_LAST, warehouse_resource

GOLD_TABLES = tuple(t.name for t in catalog.tables(layer="gold"))
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def run_lakehouse(location: str, landing: Path, first: str, last: str) -> dg.ExecuteInProcessResult:
    """One ranged run of the lakehouse job into the warehouse at `location` (path or Postgres URL)."""
    resources = {
        "warehouse": warehouse_resource(location),
        "landing": LandingZoneResource(path=str(landing)),
        "webhook": WebhookSecretResource(secret=DEVELOPMENT_WEBHOOK_SECRET),
        "privacy": PrivacyResource(),
    }
    return defs.resolve_job_def("lakehouse_job").execute_in_process(
        resources=resources, tags=range_tags(first, last), run_config=QUIET, raise_on_error=False
    )


def data_tables(store: Warehouse) -> list[str]:
    """The pipeline's tables (not the audit log: it records each run's own windows, see tests/test_retention.py)."""
    own_record = {"schema_migrations", *(t.name for t in catalog.tables(layer="compliance"))}
    return [t for t in store.table_names(views=False) if t not in own_record]


def counts_by_day(store: Warehouse, table: str) -> list[dict]:
    return store.query(f"SELECT event_date, count(*) AS n FROM {table} GROUP BY 1 ORDER BY 1").to_pylist()


def sorted_frame(store: Warehouse, table: str) -> pl.DataFrame:
    frame = pl.from_arrow(store.query(f"SELECT * FROM {table}"))
    return frame.sort(frame.columns, nulls_last=True)


# ------------------------------------------------------------------ parity on the seed data
def lakehouse_env(backend: str, location: str, landing: Path, state: Path) -> dict[str, str]:
    """The environment a deployed code location would get: backend, warehouse location, landing zone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OSA_", "DAGSTER_"))}
    env.update(
        {
            "OSA_WAREHOUSE": backend,
            "OSA_LANDING_DIR": str(landing),
            "OSA_STATE_DIR": str(state),
            "DAGSTER_DISABLE_TELEMETRY": "1",
        }
    )
    env["OSA_DATABASE_URL" if backend == "postgres" else "OSA_DUCKDB_PATH"] = location
    return env


def start_run(env: dict[str, str], first: str, last: str, *barrier: str) -> subprocess.Popen:
    """`tests.partition_run` in its own process (a separate Dagster run, as the daemon would launch)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.partition_run", first, last, *barrier],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_runs(*runs: subprocess.Popen) -> list[dict]:
    """Wait for every run before judging any, so a failure shows each process's own error (one that died
    early leaves the others waiting at the barrier, and their timeout alone would hide the cause)."""
    outputs = [run.communicate(timeout=300) for run in runs]  # a deadlock would end here, as a failure
    errors = [
        f"run {i}: {err[-2000:]}" for i, (run, (_, err)) in enumerate(zip(runs, outputs, strict=True)) if run.returncode
    ]
    assert not errors, "\n".join(errors)
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


@pytest.fixture(scope="module")
def seed_runs(tmp_path_factory, pg_server):
    """The committed seed data materialized once into each backend (one ranged run each, side by side: the
    DuckDB one in a child process, the Postgres one here)."""
    days = days_with_data(SEED_DATA_DIR)
    first, last = days[0].isoformat(), days[-1].isoformat()
    root = tmp_path_factory.mktemp("seed")
    pg_url = pg_server.create_database(with_schema=False)  # the run applies the schema itself
    try:
        duck = start_run(lakehouse_env("duckdb", str(root / "seed.duckdb"), SEED_DATA_DIR, root / "state"), first, last)
        postgres = run_lakehouse(pg_url, SEED_DATA_DIR, first, last)
        (duck_report,) = finish_runs(duck)
        assert postgres.success, [e.message for e in postgres.all_events if e.is_failure][:3]
        outcomes = {
            "duckdb": duck_report["checks"],
            "postgres": {
                f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed
                for e in postgres.get_asset_check_evaluations()
            },
        }
        yield outcomes, {"duckdb": open_warehouse(str(root / "seed.duckdb")), "postgres": open_warehouse(pg_url)}
    finally:
        pg_server.drop_database(pg_url)


def test_seed_run_succeeds_on_both_backends_with_the_same_check_outcomes(seed_runs):
    outcomes, _ = seed_runs
    assert outcomes["postgres"] == outcomes["duckdb"]
    accounting = {
        key: passed for key, passed in outcomes["postgres"].items() if key.endswith(":every_record_accounted_for")
    }
    assert len(accounting) == 2 and all(accounting.values())


def test_seed_gold_tables_are_identical(seed_runs):
    _, stores = seed_runs
    for table in GOLD_TABLES:
        duck, postgres = sorted_frame(stores["duckdb"], table), sorted_frame(stores["postgres"], table)
        assert duck.height > 0, table
        assert_frame_equal(postgres, duck, check_exact=True)


def test_seed_row_counts_per_table_and_day_are_identical(seed_runs):
    _, stores = seed_runs
    tables = data_tables(stores["duckdb"])
    assert tables == data_tables(stores["postgres"])
    assert {t for t in tables if t.startswith("silver_")} and all(
        stores["duckdb"].scalar(f"SELECT count(*) FROM {t}") > 0 for t in tables if t.startswith("silver_")
    )
    for table in tables:
        assert counts_by_day(stores["postgres"], table) == counts_by_day(stores["duckdb"], table), table


def test_seed_silver_aggregates_are_identical(seed_runs):
    """Per silver table: the sum of every numeric column and the distinct count of every text column."""
    _, stores = seed_runs
    for table in (t for t in data_tables(stores["duckdb"]) if t.startswith("silver_")):
        schema = stores["duckdb"].query(f"SELECT * FROM {table} LIMIT 0").schema
        parts = [
            f"sum({f.name}) AS sum_{f.name}"
            for f in schema
            if str(f.type) in ("int32", "int64", "double", "decimal128(3, 2)")
        ]
        parts += [f"count(DISTINCT {f.name}) AS distinct_{f.name}" for f in schema if str(f.type) == "string"]
        sql = f"SELECT count(*) AS n, {', '.join(parts)} FROM {table}"
        duck, postgres = (stores[b].query(sql).to_pylist()[0] for b in ("duckdb", "postgres"))
        assert postgres.keys() == duck.keys()
        for name, value in duck.items():  # sum(DECIMAL) is DECIMAL on DuckDB, unconstrained NUMERIC (double) here
            expected = None if value is None else float(value)
            assert postgres[name] == pytest.approx(expected, rel=1e-12), (table, name)


# ------------------------------------------------------------------ concurrent runs of different partitions
def _record_key(source: str, line: str) -> str | None:
    """What makes two lines one record: the form line itself, the delivery's body (None: no envelope)."""
    if source == "intake_forms":
        return line
    try:
        body = json.loads(line).get("body")
    except (ValueError, AttributeError):
        return None
    return body if isinstance(body, str) else None


def _days_with_cross_day_replays(landing: Path) -> set[dt.date]:
    """The days holding a copy of a record that another day holds too (counted from the landing lines)."""
    days_of: dict[tuple[str, str], set[dt.date]] = {}
    for source in ("intake_forms", "opal_deliveries"):
        for day_dir in sorted((landing / source).glob("dt=*")):
            day = dt.date.fromisoformat(day_dir.name.removeprefix("dt="))
            for file in sorted(day_dir.glob("*.jsonl")):
                for line in file.read_text().splitlines():
                    key = _record_key(source, line)
                    if key is not None and key.strip():
                        days_of.setdefault((source, hashlib.sha256(key.encode()).hexdigest()), set()).add(day)
    return {day for days in days_of.values() if len(days) > 1 for day in days}


@pytest.fixture(scope="module")
def concurrency_reference(_small_landing_master, tmp_path_factory) -> tuple[Path, dict[str, Warehouse]]:
    """The small landing set, replays across days included, and the two results a sequential order of its days
    can give (DuckDB; the seed parity tests above show the backends agree): in date order (one ranged run), and
    with the last day first (that run, then one ranged run of the others), where the later copy is kept."""
    root = tmp_path_factory.mktemp("concurrency")
    landing = root / "landing"
    shutil.copytree(_small_landing_master, landing)
    assert run_lakehouse(str(root / "in_order.duckdb"), landing, SMALL_FIRST, SMALL_LAST).success
    last_first = str(root / "last_first.duckdb")
    assert run_lakehouse(last_first, landing, SMALL_LAST, SMALL_LAST).success
    before_last = (dt.date.fromisoformat(SMALL_LAST) - dt.timedelta(days=1)).isoformat()
    assert run_lakehouse(last_first, landing, SMALL_FIRST, before_last).success
    return landing, {
        "in date order": open_warehouse(str(root / "in_order.duckdb")),
        "last first": open_warehouse(last_first),
    }


def _same_days(store: Warehouse, reference: Warehouse, days: set[dt.date]) -> list[str]:
    """The tables whose rows on `days` differ between the two warehouses (row counts per day, gold rows)."""
    differ = []
    for table in data_tables(reference):
        mine, theirs = ([r for r in counts_by_day(w, table) if r["event_date"] in days] for w in (store, reference))
        if mine != theirs:
            differ.append(table)
    for table in GOLD_TABLES:
        mine, theirs = (
            sorted_frame(w, table).filter(pl.col("event_date").is_in(sorted(days))) for w in (store, reference)
        )
        if not mine.equals(theirs):
            differ.append(table)
    return differ


def test_concurrent_runs_of_different_partitions(backend, warehouse_location, concurrency_reference, tmp_path):
    """Three runs, one day each, at the same moment, on data with a record replayed on a later day. Whatever
    order their steps take: every record is accepted once over all days, every landing line has one home,
    the days without cross-day replays are exactly as in a sequential run, and the whole result is one that a
    sequential order gives (the data's only cross-day replay is between the last two days, so which of them
    keeps the record is the only thing the order decides)."""
    landing, references = concurrency_reference
    ready = tmp_path / "ready"
    ready.mkdir()
    env = lakehouse_env(backend, warehouse_location, landing, tmp_path / "state")
    days = [dt.date(2026, 7, 1), dt.date(2026, 7, 2), dt.date(2026, 7, 3)]
    runs = [start_run(env, day.isoformat(), day.isoformat(), str(ready), str(len(days))) for day in days]
    reports = finish_runs(*runs)
    assert all(r["success"] for r in reports), reports
    assert max(r["start"] for r in reports) < min(r["end"] for r in reports), "the runs did not overlap"

    concurrent = open_warehouse(warehouse_location)
    for source in ("intake_forms", "opal_deliveries"):
        assert_accepted_once(concurrent, source)
        homes = line_homes(concurrent, source)
        written = sum(len(split_lines(file.read_bytes())) for file in (landing / source).glob("dt=*/*.jsonl"))
        assert len(homes) == written, source  # counted from the landing files, not from the pipeline's figures
        assert len({home[1:] for home in homes}) == len(homes), source  # none in two places
    replayed = _days_with_cross_day_replays(landing)
    assert replayed == set(days[1:]), "the data must hold a replay on a later day for this test to mean anything"
    clean = set(days) - replayed
    assert _same_days(concurrent, references["in date order"], clean) == []
    outcomes = {name: _same_days(concurrent, reference, set(days)) for name, reference in references.items()}
    assert [] in outcomes.values(), outcomes
    assert concurrent.scalar("SELECT count(*) FROM silver_agent_executions") > 0
