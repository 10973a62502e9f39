"""Hourly and daily rollups of metric_events, computed by the warehouse itself, and their completeness.

Postgres uses TimescaleDB's `time_bucket` and `percentile_cont`; DuckDB its own `time_bucket` and
`quantile_cont`. Both percentiles are the continuous (linearly interpolated) definition, so the backends
agree to floating-point rounding (tests/test_metrics.py holds them to 1e-9 relative). Daily percentiles come
from the raw observations, never from hourly ones (percentiles do not merge).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from osa import catalog
from osa.warehouse.base import Warehouse

HOURLY = "metric_rollups_hourly"
DAILY = "metric_rollups_daily"
PERCENTILES = {HOURLY: ("p50", "p95", "p99"), DAILY: ("p50", "p95")}


def _percentile(backend: str, name: str) -> str:
    fraction = int(name[1:]) / 100
    if backend == "postgres":
        return f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY value) AS {name}"
    return f"quantile_cont(value, {fraction}) AS {name}"


def rollup_sql(backend: str, table: str) -> str:
    """The SELECT that rolls one window (`?` start, `?` end) of metric_events up into `table`."""
    hourly = table == HOURLY
    if hourly:
        bucket = (
            "time_bucket(INTERVAL '1 hour', time)"
            if backend == "postgres"
            else "timezone('UTC', time_bucket(INTERVAL '1 hour', timezone('UTC', time)))"
        )
        keys = f"event_date, {bucket} AS bucket, metric_name, metric_type, tags"
        group = "event_date, bucket, metric_name, metric_type, tags"
    else:
        keys = "event_date, metric_name, metric_type, tags"
        group = keys
    percentiles = ", ".join(_percentile(backend, p) for p in PERCENTILES[table])
    return (
        f"SELECT {keys}, count(*) AS count, sum(value) AS sum, avg(value) AS avg, min(value) AS min, "
        f"max(value) AS max, {percentiles} FROM metric_events WHERE event_date >= ? AND event_date < ? "
        f"GROUP BY {group} ORDER BY {group}"
    )


def compute_rollups(store: Warehouse, start: dt.date, end: dt.date) -> dict[str, pa.Table]:
    """Both rollups of [start, end) as Arrow tables in their catalogue schemas (the caller writes them)."""
    out = {}
    for table in (HOURLY, DAILY):
        rows = store.query(rollup_sql(store.backend, table), [start, end])
        schema = catalog.table(table).arrow_schema
        out[table] = rows.select(schema.names).cast(schema)
    return out


COVERAGE_SQL = """
WITH raw AS (SELECT event_date, count(*) AS n FROM metric_events WHERE event_date >= ? AND event_date < ?
             GROUP BY event_date),
     hourly AS (SELECT event_date, sum(count) AS n FROM metric_rollups_hourly WHERE event_date >= ? AND event_date < ?
                GROUP BY event_date),
     daily AS (SELECT event_date, sum(count) AS n FROM metric_rollups_daily WHERE event_date >= ? AND event_date < ?
               GROUP BY event_date)
SELECT raw.event_date, raw.n AS raw_rows, coalesce(hourly.n, 0) AS hourly_count, coalesce(daily.n, 0) AS daily_count
FROM raw LEFT JOIN hourly USING (event_date) LEFT JOIN daily USING (event_date)
WHERE coalesce(hourly.n, 0) <> raw.n OR coalesce(daily.n, 0) <> raw.n
ORDER BY raw.event_date
"""


def uncovered_days(store: Warehouse, start: dt.date, end: dt.date) -> list[dict]:
    """Days in [start, end) whose raw observations are not all counted in both rollups (empty: complete).

    This is what must hold before a day's raw observations may expire: the asset check on the rollups and
    `expire_metrics` both ask it."""
    return store.query(COVERAGE_SQL, [start, end] * 3).to_pylist()
