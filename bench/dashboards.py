"""Dashboard benchmark (issue 11): N raw metric observations over D days on DuckDB and Postgres.

Usage::

    URL=$(bash scripts/pg.sh url)
    .venv/bin/python bench/dashboards.py --database-url "$URL"            # 10,000,000 rows over 120 days
    .venv/bin/python bench/dashboards.py --rows 500000 --days 30 --skip postgres   # quick run

Everything goes through the project's code: `prepare()` (migrations and the dashboard views), `replace_windows()`
for the raw observations, `osa.metrics.compute_rollups()` + `replace_windows()` for each day's rollups (what the
metrics step does), and each chart's SQL from `osa.metrics.charts` (what `osa dashboard`, the report asset and
Grafana run) against the views. Reported: load time, the time to roll up one day's partition (p50/p95 over the
days), each chart query's p50/p95 over `--repeat` runs, and storage per day raw vs rolled up.

The observations are synthetic with the pipeline's metric names and tag shapes (9 agents x statuses, categories,
PII types, quarantine reasons, tables, steps), values log-normal, times uniform over the day, fixed seed.
A scratch Postgres database is created (and dropped) for the run; the DuckDB file lives in a temporary directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from vector_search import create_scratch, drop_scratch, load_average  # noqa: E402

from osa import catalog  # noqa: E402
from osa.metrics import DAILY, HOURLY, compute_rollups  # noqa: E402
from osa.metrics.charts import CHARTS  # noqa: E402
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse  # noqa: E402
from osa.warehouse.postgres_warehouse import PostgresWarehouse, redact_url  # noqa: E402

AGENTS = [
    "content_review", "geo_audit", "audience_suggester", "experiment_blueprinter", "personalization_idea_generator",
    "roadmap_generator", "integration_health", "cmp_organizer", "customer_journey",
]  # fmt: skip
FIRST_DAY = dt.date(2026, 1, 1)


def _tag_sets() -> list[tuple[str, str, str, list[str]]]:
    """(metric, type, distribution, tag JSON strings) with the pipeline's shapes."""

    def tags(**values) -> str:
        return json.dumps(dict(sorted(values.items())), separators=(",", ":"))

    flows = [("success", "met"), ("success", "low_confidence"), ("failure", "failed"), ("timeout", "timeout")]
    outcomes = ("completed", "failed", "degraded")
    return [
        (
            "agent.executions",
            "counter",
            "one",
            [tags(agent_id=a, status=s, sla=v) for a in AGENTS for s, v in flows],
        ),
        ("agent.execution.duration_ms", "histogram", "duration", [tags(agent_id=a) for a in AGENTS]),
        ("agent.execution.confidence", "histogram", "score", [tags(agent_id=a) for a in AGENTS]),
        ("workflow.executions", "counter", "one", [tags(status=s) for s in outcomes]),
        (
            "workflow.duration_ms",
            "histogram",
            "duration",
            [tags(status=s) for s in outcomes],
        ),
        (
            "recommendations.received",
            "counter",
            "one",
            [
                tags(agent_id=a, category=c, confidence_band=b, impact=i)
                for a in AGENTS
                for c in ("content", "experimentation", "personalization", "audience", "technical")
                for b in ("high", "medium", "low")
                for i in ("high", "medium", "low")
            ],
        ),
        (
            "pii.operations",
            "counter",
            "count",
            [
                tags(mode=m, pii_type=t, source=s)
                for m in ("pseudonymize", "encrypt")
                for t in ("email", "phone", "name", "address", "ssn")
                for s in ("intake_forms", "opal_deliveries")
            ],
        ),
        (
            "quarantine.records",
            "counter",
            "count",
            [
                tags(reason=r, source=s, stage=g)
                for r in ("missing:correlation_id", "bad_signature", "wrong_type:x", "stale_signature")
                for s in ("intake_forms", "opal_deliveries")
                for g in ("envelope", "contract")
            ],
        ),
        ("embedding.texts_embedded", "counter", "count", [tags(dimensions="1536", model="osa-lexical-hash-v1")]),
        ("pipeline.rows", "gauge", "count", [tags(table=t.name) for t in catalog.tables() if t.layer != "metrics"]),
        ("pipeline.step_seconds", "gauge", "seconds", [tags(step=s) for s in ("ingest", "gold", "knowledge")]),
    ]


def day_rows(day: dt.date, n: int, rng: np.random.Generator) -> pa.Table:
    """n observations of `day`, spread over the metrics like the pipeline's (executions and recommendations most)."""
    sets = _tag_sets()
    weights = np.array([8, 8, 8, 2, 2, 20, 6, 1, 1, 1, 1], dtype=float)
    metric_index = rng.choice(len(sets), size=n, p=weights / weights.sum())
    names = np.array([s[0] for s in sets], dtype=object)[metric_index]
    types = np.array([s[1] for s in sets], dtype=object)[metric_index]
    tags = np.empty(n, dtype=object)
    values = np.empty(n, dtype=np.float64)
    for i, (_, _, kind, tag_sets) in enumerate(sets):
        chosen = metric_index == i
        count = int(chosen.sum())
        tags[chosen] = np.array(tag_sets, dtype=object)[rng.integers(0, len(tag_sets), count)]
        if kind == "one":
            values[chosen] = 1.0
        elif kind == "duration":
            values[chosen] = np.round(rng.lognormal(10.5, 0.8, count))
        elif kind == "score":
            values[chosen] = np.round(rng.beta(8, 2, count), 3)
        elif kind == "seconds":
            values[chosen] = np.round(rng.lognormal(1, 0.5, count), 3)
        else:
            values[chosen] = rng.integers(1, 50, count).astype(float)
    midnight = dt.datetime.combine(day, dt.time(), dt.UTC)
    seconds = np.sort(rng.integers(0, 86_400_000_000, n))  # microseconds into the day
    times = pa.array(
        np.datetime64(midnight.replace(tzinfo=None), "us") + seconds.astype("timedelta64[us]"),
        pa.timestamp("us", tz="UTC"),
    )
    schema = catalog.table("metric_events").arrow_schema
    return pa.table(
        {
            "event_date": pa.array([day] * n, pa.date32()),
            "time": times,
            "metric_name": pa.array(names, pa.string()),
            "metric_type": pa.array(types, pa.string()),
            "value": pa.array(values, pa.float64()),
            "tags": pa.array(tags, pa.string()),
            "metadata": pa.nulls(n, pa.string()),
        }
    ).cast(schema)


def percentiles(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {load_average()}] {message}", flush=True)


def storage(store, backend: str, path: Path | None) -> dict[str, int]:
    if backend == "postgres":
        return {t: int(store.scalar(f"SELECT hypertable_size('{t}')") or 0) for t in ("metric_events", HOURLY, DAILY)}
    # DuckDB: blocks in use per table (estimated from its storage info)
    sizes = {}
    for t in ("metric_events", HOURLY, DAILY):
        info = store.query(
            f"SELECT count(DISTINCT block_id) AS blocks FROM pragma_storage_info('{t}') WHERE NOT persistent = false"
        )
        block_size = int(store.scalar("SELECT block_size FROM pragma_database_size()"))
        sizes[t] = int(info.column("blocks")[0].as_py() or 0) * block_size
    return sizes


def bench(store, backend: str, args, path: Path | None = None) -> None:
    store.prepare()
    rng = np.random.default_rng(7)
    per_day = args.rows // args.days
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range(args.days)]
    started = time.perf_counter()
    generated = 0.0
    for day in days:
        t = time.perf_counter()
        rows = day_rows(day, per_day, rng)
        generated += time.perf_counter() - t
        store.replace_windows({"metric_events": rows}, day, day + dt.timedelta(days=1))
    loaded = time.perf_counter() - started - generated
    log(f"{backend}: loaded {per_day * len(days):,} raw rows over {len(days)} days in {loaded:.1f} s "
        f"({per_day * len(days) / loaded:,.0f} rows/s; generating them took {generated:.1f} s)")  # fmt: skip
    rollup_times = []
    for day in days:
        t = time.perf_counter()
        store.replace_windows(compute_rollups(store, day, day + dt.timedelta(days=1)), day, day + dt.timedelta(days=1))
        rollup_times.append(time.perf_counter() - t)
    log(f"{backend}: roll up one day ({per_day:,} raw rows, hourly + daily, computed and written): "
        f"{percentiles(rollup_times)}, total {sum(rollup_times):.1f} s")  # fmt: skip
    if backend == "postgres":
        store.execute(["ANALYZE metric_events", f"ANALYZE {HOURLY}", f"ANALYZE {DAILY}"])
    else:
        store.execute(["CHECKPOINT"])
    sizes = storage(store, backend, path)
    counts = {t: int(store.scalar(f"SELECT count(*) FROM {t}")) for t in sizes}
    log(
        f"{backend}: storage per day: raw {sizes['metric_events'] / len(days) / 1e6:.2f} MB "
        f"({counts['metric_events'] / len(days):,.0f} rows), hourly {sizes[HOURLY] / len(days) / 1e6:.3f} MB "
        f"({counts[HOURLY] / len(days):,.0f} rows), daily {sizes[DAILY] / len(days) / 1e6:.3f} MB "
        f"({counts[DAILY] / len(days):,.0f} rows)"
    )
    for chart in CHARTS:
        store.query(chart.sql)  # warm up
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = store.query(chart.sql)
            times.append(time.perf_counter() - t)
        log(f"{backend}: chart {chart.name}: {result.num_rows} rows, {percentiles(times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("OSA_BENCH_PG_URL"))
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each chart query")
    parser.add_argument("--skip", default="", help="duckdb or postgres")
    parser.add_argument("--keep", action="store_true", help="keep the Postgres scratch database (for EXPLAIN)")
    args = parser.parse_args()
    log(f"{args.rows:,} raw observations over {args.days} days; cpus {os.cpu_count()}")
    if "duckdb" not in args.skip:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.duckdb"
            bench(DuckDBWarehouse(path), "duckdb", args, path)
            log(f"duckdb: file size {path.stat().st_size / 1e6:.0f} MB")
    if "postgres" not in args.skip:
        if not args.database_url:
            raise SystemExit("bench/dashboards.py: pass --database-url (or --skip postgres)")
        scratch = create_scratch(args.database_url)
        try:
            bench(PostgresWarehouse(scratch), "postgres", args)
        finally:
            if args.keep:
                log(f"postgres: kept the scratch database {redact_url(scratch)}")
            else:
                drop_scratch(args.database_url, scratch)


if __name__ == "__main__":
    main()
