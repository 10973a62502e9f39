"""Retention policies, one per data category of the catalogue (spec: GDPR policies).

Each catalogue table declares its category next to its schema (`Table.retention`); this module says what
each category means: how many days are kept and what happens after. The convention is the metric store's:
with N days kept, `as_of - N` is the first day kept and every earlier day goes.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from typing import Literal

from osa.catalog.model import RETENTION_CATEGORIES
from osa.metrics.retention import MetricRetention

Action = Literal["delete", "archive_then_delete", "anonymize", "metric_windows", "keep"]


@dataclass(frozen=True)
class RetentionPolicy:
    category: str
    keep_days: int | None  # None: never expired by age
    action: Action
    then: str  # the action in words, for the report and docs

    @property
    def variable(self) -> str:
        """The environment variable that overrides `keep_days`."""
        return f"OSA_RETENTION_{self.category.upper()}_DAYS"

    def cutoff(self, as_of: dt.date) -> dt.date | None:
        """The first day kept (None: everything is kept)."""
        return None if self.keep_days is None else as_of - dt.timedelta(days=self.keep_days)


_METRICS = MetricRetention()
POLICIES: tuple[RetentionPolicy, ...] = (
    RetentionPolicy("user_analytics", 90, "anonymize", "personal columns set to null"),
    RetentionPolicy("strategy_workflow", 365, "archive_then_delete", "archived to Parquet, then removed"),
    RetentionPolicy("audit_log", 2555, "archive_then_delete", "archived to Parquet (the chain stays verifiable)"),
    RetentionPolicy("pii_data", 30, "delete", "deleted (warehouse rows and landing files)"),
    RetentionPolicy("metrics_raw", _METRICS.raw_days, "metric_windows", "dropped once its rollups are complete"),
    RetentionPolicy("metrics_hourly", _METRICS.hourly_days, "metric_windows", "dropped"),
    RetentionPolicy("metrics_daily", _METRICS.daily_days, "metric_windows", "dropped"),
    RetentionPolicy("legal_hold", None, "keep", "kept"),
)
assert {p.category for p in POLICIES} == set(RETENTION_CATEGORIES), "every retention category needs a policy"

_METRIC_VARIABLES = {
    "metrics_raw": "OSA_METRICS_RAW_DAYS",
    "metrics_hourly": "OSA_METRICS_HOURLY_DAYS",
    "metrics_daily": "OSA_METRICS_DAILY_DAYS",
}


def policies_from_env() -> dict[str, RetentionPolicy]:
    """The policies with `OSA_RETENTION_<CATEGORY>_DAYS` overrides (the metric windows keep their own
    `OSA_METRICS_*_DAYS` variables). A bad value is a ValueError naming the variable."""
    metrics = MetricRetention.from_env()
    metric_days = {
        "metrics_raw": metrics.raw_days,
        "metrics_hourly": metrics.hourly_days,
        "metrics_daily": metrics.daily_days,
    }
    chosen = {}
    for policy in POLICIES:
        if policy.category in metric_days:
            chosen[policy.category] = replace(policy, keep_days=metric_days[policy.category])
            continue
        raw = os.environ.get(policy.variable)
        if raw and policy.keep_days is not None:
            if not raw.isdigit() or int(raw) < 1:
                raise ValueError(f"{policy.variable} must be a whole number of days >= 1")
            policy = replace(policy, keep_days=int(raw))
        chosen[policy.category] = policy
    return chosen


def policy_variable(policy: RetentionPolicy) -> str:
    return _METRIC_VARIABLES.get(policy.category, policy.variable)
