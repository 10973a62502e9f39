"""Retention windows of the metric store: raw 90 days, hourly rollups 1 year, daily rollups 2 years.

A day's raw observations expire only once both rollups count every one of them (`uncovered_days`), so the
history survives the raw deletion; the first day that is not covered stops the raw expiry there and is
reported. Whole partitions go (TimescaleDB chunks on Postgres, days on DuckDB), never rows one by one.
The convention is the warehouse retention's: with N days kept, `as_of - N` is the first day kept.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from osa.metrics.rollups import DAILY, HOURLY, uncovered_days
from osa.warehouse.base import Warehouse

RAW = "metric_events"
METRIC_TABLES = (RAW, HOURLY, DAILY)


@dataclass(frozen=True)
class MetricRetention:
    raw_days: int = 90
    hourly_days: int = 365
    daily_days: int = 730

    @classmethod
    def from_env(cls) -> MetricRetention:
        """`OSA_METRICS_RAW_DAYS`, `OSA_METRICS_HOURLY_DAYS`, `OSA_METRICS_DAILY_DAYS` override the defaults."""
        defaults = cls()
        values = {}
        for name in ("raw_days", "hourly_days", "daily_days"):
            variable = f"OSA_METRICS_{name.upper()}"
            raw = os.environ.get(variable)
            if raw:
                if not raw.isdigit() or int(raw) < 1:
                    raise ValueError(f"{variable} must be a whole number of days >= 1, got {raw!r}")
                values[name] = int(raw)
        return cls(**{**defaults.__dict__, **values})


@dataclass
class MetricExpiry:
    as_of: dt.date
    cutoffs: dict[str, dt.date]
    removed: dict[str, int] = field(default_factory=dict)
    blocked_days: list[dt.date] = field(default_factory=list)  # raw days kept because their rollups are short


def expire_metrics(store: Warehouse, as_of: dt.date, policy: MetricRetention | None = None) -> MetricExpiry:
    policy = policy or MetricRetention()
    cutoffs = {
        RAW: as_of - dt.timedelta(days=policy.raw_days),
        HOURLY: as_of - dt.timedelta(days=policy.hourly_days),
        DAILY: as_of - dt.timedelta(days=policy.daily_days),
    }
    result = MetricExpiry(as_of, dict(cutoffs))
    first = store.query(f"SELECT min(event_date) AS first FROM {RAW}").column("first")[0].as_py()
    if first is not None and first < cutoffs[RAW]:
        blocked = uncovered_days(store, first, cutoffs[RAW])
        result.blocked_days = [row["event_date"] for row in blocked]
        if blocked:
            cutoffs[RAW] = result.blocked_days[0]  # expire only the covered days before the first gap
    for table in METRIC_TABLES:
        result.removed[table] = store.drop_before(table, cutoffs[table])
    result.cutoffs = cutoffs
    return result
