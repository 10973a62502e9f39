"""The daily partitioning shared by every lakehouse asset."""

from __future__ import annotations

import datetime as dt

import dagster as dg

DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC", end_offset=1)
SINGLE_RUN = dg.BackfillPolicy.single_run()  # a backfill of N days is one step, not N runs


def window(context: dg.AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The [start, end) days this run covers (one partition or a ranged single-run backfill)."""
    time_window = context.partition_time_window
    return time_window.start.date(), time_window.end.date()


def days_in(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]
