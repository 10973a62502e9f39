"""The daily partitioning shared by every lakehouse asset."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from osa.config import partitions_start

# The first day of data (the seed set starts 2026-07-01): a day before it has nothing to show, so it is no
# partition at all rather than a "missing" one. A deployment with older data sets OSA_PARTITIONS_START.
FIRST_DAY = partitions_start().isoformat()
DAILY = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, timezone="UTC", end_offset=1)
SINGLE_RUN = dg.BackfillPolicy.single_run()  # a backfill of N days is one step, not N runs


def window(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The [start, end) days this run covers (one partition or a ranged single-run backfill)."""
    time_window = context.partition_time_window
    return time_window.start.date(), time_window.end.date()


def partition_keys(start: dt.date, end: dt.date) -> list[str]:
    """The partition keys of the [start, end) window."""
    return [day.isoformat() for day in days_in(start, end)]


def days_in(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]
