"""Warehouse benchmark: bulk loads into PostgreSQL (COPY BINARY into a TimescaleDB hypertable) and DuckDB,
and the full seed run on each backend.

Usage: .venv/bin/python bench/warehouse.py [--database-url URL] [--rows 500000] [--days 10] [--no-seed]

URL: a PostgreSQL server with timescaledb + vector (default $OSA_TEST_PG_URL or $OSA_DATABASE_URL, e.g.
`URL=$(bash scripts/pg.sh start)`). Everything is written into throw-away schemas/databases that are dropped
afterwards. Prints one table:

* loads: `rows` synthetic `silver_agent_executions` rows (the metrics hypertable: 20 columns incl. dates,
  timestamptz, text[], numeric) built in Arrow, written with `Warehouse.replace_window` over `days` daily
  partitions: once into an empty window, once replacing it (DELETE + COPY in one transaction);
* seed runs: the committed seed data through the lakehouse job exactly as `osa run` does it (one ranged
  in-process run with the local SQLite Dagster instance), with the DuckDB and with the Postgres warehouse,
  and once more in the production configuration (Postgres warehouse + Dagster storage on Postgres from
  dagster.prod.yaml), counting the event-log rows that run wrote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import numpy as np
import psycopg
import pyarrow as pa
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from osa.warehouse.duckdb_warehouse import DuckDBWarehouse  # noqa: E402
from osa.warehouse.postgres_warehouse import PostgresWarehouse, redact_url  # noqa: E402

TABLE = "silver_agent_executions"
START = dt.date(2026, 7, 1)


def agent_executions(n: int, days: int, seed: int = 7) -> pa.Table:
    """`n` realistic silver_agent_executions rows spread evenly over `days` days, built column-wise."""
    rng = np.random.default_rng(seed)
    day_index = np.arange(n) * days // n
    seconds = day_index * 86_400 + rng.integers(0, 86_400, n)
    at = pa.array(
        (np.datetime64("2026-07-01T00:00:00", "s") + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
    ).cast(pa.timestamp("us", tz="UTC"))
    agents = np.array(
        [
            "content_review",
            "geo_audit",
            "audience_suggester",
            "experiment_blueprinter",
            "personalization_idea_generator",
            "roadmap_generator",
            "integration_health",
            "cmp_organizer",
            "customer_journey",
        ]
    )
    ids = np.char.add("exec-", np.arange(n).astype(str))
    return pa.table(
        {
            "event_date": pa.array([START + dt.timedelta(days=d) for d in range(days)], pa.date32()).take(
                pa.array(day_index)
            ),
            "delivery_id": pa.array(np.char.add("d", np.char.zfill(np.arange(n).astype(str), 63))),
            "execution_id": pa.array(ids),
            "workflow_id": pa.array(np.char.add("wf-", (np.arange(n) // 9).astype(str))),
            "agent_id": pa.array(agents[np.arange(n) % 9]),
            "execution_status": pa.array(np.where(rng.random(n) < 0.93, "completed", "failed")),
            "correlation_id": pa.array(np.char.add("corr-", np.arange(n).astype(str))),
            "agent_timestamp": at,
            "received_at": at,
            "execution_duration_ms": pa.array(rng.integers(200, 120_000, n)),
            "confidence_score": pa.array(rng.random(n)),
            "data_sources": pa.array(
                [["odp", "ga4"], ["cms"], [], ["odp", "cmp", "web"]] * (n // 4) + [["odp"]] * (n % 4),
                pa.list_(pa.string()),
            ),
            "sla_max_execution_ms": pa.array(np.full(n, 60_000, np.int32)),
            "sla_confidence_threshold": pa.array([decimal.Decimal("0.70")] * n, pa.decimal128(3, 2)),
            "source_file": pa.array(np.char.add("opal_deliveries/dt=", (day_index % 31).astype(str))),
            "source_line": pa.array(np.arange(n, dtype=np.int32)),
            "is_final": pa.array(np.ones(n, bool)),
            "is_timeout": pa.array(rng.random(n) < 0.03),
            "is_low_confidence": pa.array(rng.random(n) < 0.1),
            "sla_status": pa.array(np.where(rng.random(n) < 0.85, "met", "breached")),
        }
    )


def with_schema(url: str, schema: str) -> str:
    """The URL with a search_path option, so the warehouse lives in its own schema of that database."""
    parts = urlsplit(url)
    option = quote(f"-csearch_path={schema},public")
    query = f"{parts.query}&options={option}" if parts.query else f"options={option}"
    return urlunsplit(parts._replace(query=query))


def timed_load(store, rows: pa.Table, days: int) -> float:
    started = time.perf_counter()
    store.replace_window(TABLE, rows, START, START + dt.timedelta(days=days))
    return time.perf_counter() - started


def bench_loads(url: str, n: int, days: int) -> list[tuple[str, str]]:
    rows = agent_executions(n, days)
    out = []
    schema = f"osa_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        postgres = PostgresWarehouse(with_schema(url, schema))
        postgres.apply_schema()
        first = timed_load(postgres, rows, days)
        again = timed_load(postgres, rows, days)
        chunks = postgres.scalar(
            "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = ? AND hypertable_name = ?",
            [schema, TABLE],
        )
        assert postgres.scalar(f"SELECT count(*) FROM {TABLE}") == n
        out += [
            (
                f"Postgres COPY BINARY -> {TABLE} hypertable ({n:,} rows, {chunks} daily chunks), empty window",
                f"{n / first:,.0f} rows/s ({first:.2f} s)",
            ),
            (
                f"Postgres same rows replacing the window (DELETE {n:,} + COPY, one transaction)",
                f"{n / again:,.0f} rows/s ({again:.2f} s)",
            ),
        ]
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    work = Path(tempfile.mkdtemp(prefix="osa-bench-wh-"))
    try:
        duck = DuckDBWarehouse(work / "bench.duckdb")
        duck.apply_schema()
        first = timed_load(duck, rows, days)
        again = timed_load(duck, rows, days)
        out += [
            (
                f"DuckDB replace_window -> {TABLE} ({n:,} rows), empty window",
                f"{n / first:,.0f} rows/s ({first:.2f} s)",
            ),
            ("DuckDB same rows replacing the window", f"{n / again:,.0f} rows/s ({again:.2f} s)"),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


# ------------------------------------------------------------------ seed runs (each in a fresh process)
def seed_child(backend: str, location: str, home: str) -> None:
    """What `osa run` does (osa.cli._materialize_days): one ranged in-process run with the instance in
    DAGSTER_HOME. Prints a JSON line with the run's wall time and id."""
    import warnings

    warnings.filterwarnings("ignore")
    os.environ.update(
        {
            "DAGSTER_HOME": home,
            "OSA_WAREHOUSE": backend,
            "OSA_LANDING_DIR": str(PROJECT_ROOT / "seed-data"),
            "DAGSTER_DISABLE_TELEMETRY": "1",
        }
    )
    os.environ["OSA_DATABASE_URL" if backend == "postgres" else "OSA_DUCKDB_PATH"] = location
    import dagster as dg

    from osa.ingest.landing import days_with_data
    from pipelines.definitions import defs
    from pipelines.lakehouse import range_tags

    days = days_with_data(PROJECT_ROOT / "seed-data")
    job = defs.resolve_job_def("lakehouse_job")
    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            tags=range_tags(days[0].isoformat(), days[-1].isoformat()),
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "success": result.success,
                "run_id": result.run_id,
                "partitions": (days[-1] - days[0]).days + 1,
            }
        )
    )


def run_seed(backend: str, location: str, home: Path, env: dict[str, str] | None = None) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--seed-child", backend, location, str(home)],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"seed run on {backend} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def bench_seed(url: str) -> list[tuple[str, str]]:
    out = []
    work = Path(tempfile.mkdtemp(prefix="osa-bench-seed-"))
    schemas = [f"osa_bench_seed_{os.getpid()}_{i}" for i in range(2)]
    dagster_db = f"osa_bench_dagster_{os.getpid()}"
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    try:
        with psycopg.connect(url, autocommit=True) as con:
            for schema in schemas:
                con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(dagster_db)))
        for name in ("local_duck", "local_pg", "prod"):
            (work / name).mkdir()
        for name in ("local_duck", "local_pg"):
            shutil.copyfile(PROJECT_ROOT / "dagster.yaml", work / name / "dagster.yaml")
        shutil.copyfile(PROJECT_ROOT / "dagster.prod.yaml", work / "prod" / "dagster.yaml")

        duck = run_seed("duckdb", str(work / "seed.duckdb"), work / "local_duck")
        out.append(
            (
                f"seed run ({duck['partitions']} daily partitions), DuckDB warehouse, SQLite Dagster instance "
                "(= osa run)",
                f"{duck['seconds']:.1f} s",
            )
        )
        local_pg = run_seed("postgres", with_schema(url, schemas[0]), work / "local_pg")
        out.append(
            (
                "seed run, Postgres warehouse (OSA_WAREHOUSE=postgres), SQLite Dagster instance",
                f"{local_pg['seconds']:.1f} s",
            )
        )
        parts = urlsplit(url)
        prod_env = {
            "DAGSTER_PG_HOST": parts.hostname or "127.0.0.1",
            "DAGSTER_PG_PORT": str(parts.port or 5432),
            "DAGSTER_PG_USER": parts.username or "",
            "DAGSTER_PG_PASSWORD": parts.password or "",
            "DAGSTER_PG_DB": dagster_db,
            "DAGSTER_MAX_CONCURRENT_RUNS": "4",
        }
        prod = run_seed("postgres", with_schema(url, schemas[1]), work / "prod", prod_env)
        out.append(
            (
                "seed run, production config: Postgres warehouse + Dagster storage on Postgres (dagster.prod.yaml)",
                f"{prod['seconds']:.1f} s",
            )
        )
        with psycopg.connect(urlunsplit(parts._replace(path="/" + dagster_db))) as con:
            by_type = dict(
                con.execute(
                    "SELECT coalesce(dagster_event_type, 'log message'), count(*) FROM event_logs "
                    "WHERE run_id = %s GROUP BY 1",
                    (prod["run_id"],),
                ).fetchall()
            )
            size = con.execute(
                "SELECT pg_total_relation_size('event_logs') + pg_total_relation_size('asset_event_tags')"
            ).fetchone()[0]
        total = sum(by_type.values())
        planned = by_type.get("ASSET_MATERIALIZATION_PLANNED", 0)
        materialized = by_type.get("ASSET_MATERIALIZATION", 0)
        out.append(
            (
                "event-log rows written by that one seed run",
                f"{total:,} ({planned:,} planned + {materialized:,} materialized + "
                f"{total - planned - materialized:,} other); event_logs + asset_event_tags = {size / 1e6:.1f} MB",
            )
        )
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            for schema in schemas:
                con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dagster_db)))
        shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--seed-child":
        seed_child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        "--url",
        dest="url",
        default=os.environ.get("OSA_TEST_PG_URL") or os.environ.get("OSA_DATABASE_URL"),
    )
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--no-seed", action="store_true", help="only the load benchmark")
    args = parser.parse_args()
    if not args.url:
        parser.error("a PostgreSQL URL is needed: --url, or URL=$(bash scripts/pg.sh start) and OSA_TEST_PG_URL")
    load = os.getloadavg()[0]
    results = bench_loads(args.url, args.rows, args.days)
    if not args.no_seed:
        results += bench_seed(args.url)
    width = max(len(name) for name, _ in results)
    print(f"\nserver {redact_url(args.url)}; {os.cpu_count()} cores; load average at start {load:.2f}\n")
    print(f"| {'measure':<{width}} | result |\n|{'-' * (width + 2)}|--------|")
    for name, value in results:
        print(f"| {name:<{width}} | {value} |")


if __name__ == "__main__":
    main()
