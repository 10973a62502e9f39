"""The metric layer (issue 11): observations from the pipeline's own data, rollups, retention, dashboard views.

Plain Python over the warehouse interface, no Dagster: `assets/metrics.py` wires it in."""

from osa.metrics.events import METRIC_NAMES, METRICS, SOURCE_TABLES, Metric, compute_events
from osa.metrics.retention import METRIC_TABLES, MetricExpiry, MetricRetention, expire_metrics
from osa.metrics.rollups import DAILY, HOURLY, compute_rollups, rollup_sql, uncovered_days

__all__ = [
    "DAILY",
    "HOURLY",
    "METRICS",
    "METRIC_NAMES",
    "METRIC_TABLES",
    "SOURCE_TABLES",
    "Metric",
    "MetricExpiry",
    "MetricRetention",
    "compute_events",
    "compute_rollups",
    "expire_metrics",
    "rollup_sql",
    "uncovered_days",
]
