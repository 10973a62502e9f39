"""Housekeeping jobs, orchestrated by Dagster so nothing depends on TimescaleDB's (TSL-only) background jobs:

* `warehouse_retention`: drops warehouse partitions older than `OSA_WAREHOUSE_RETENTION_DAYS` (unset or 0:
  keep everything) from every partitioned table: whole TimescaleDB chunks on Postgres (`drop_chunks`), whole
  days on DuckDB;
* `dagster_history_retention`: keeps Dagster's own storage bounded by deleting old run history (below).

Every run writes events to Dagster's event log, and a ranged (backfill) run writes a planned and a
materialized event per asset per partition, so the event-log tables grow with every re-run. Sensor and
schedule ticks are pruned by the instance's `retention:` settings (dagster.yaml / dagster.prod.yaml); runs
and their event logs are not, so this job deletes runs that finished more than `OSA_RUN_RETENTION_DAYS`
(default 30) days ago, through Dagster's own `delete_run` (storage-agnostic, no SQL against Dagster's
schema). A run is kept while it holds the *latest* materialization of any asset partition, so the asset
catalog and partition status never lose what is currently materialized; only superseded history goes.
"""

import datetime as dt
import os

import dagster as dg
from pydantic import Field

from resources import WarehouseResource

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
DEFAULT_RETENTION_DAYS = 30


def runs_holding_latest_materializations(instance: dg.DagsterInstance) -> set[str]:
    """Run ids that produced the current (latest) materialization of some asset or asset partition."""
    keep: set[str] = set()
    for key in instance.get_asset_keys():
        storage_ids = list(
            instance.event_log_storage.get_latest_storage_id_by_partition(
                key, dg.DagsterEventType.ASSET_MATERIALIZATION
            ).values()
        )
        for start in range(0, len(storage_ids), 500):
            batch = storage_ids[start : start + 500]
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, storage_ids=batch), limit=len(batch)
            ).records
            keep.update(record.run_id for record in records)
        latest = instance.fetch_materializations(key, limit=1).records  # unpartitioned assets
        keep.update(record.run_id for record in latest)
    return keep


def purge_run_history(
    instance: dg.DagsterInstance, older_than: dt.timedelta, *, exclude_run_ids: set[str] | None = None
) -> dict[str, int]:
    """Delete finished runs (and their event logs) last updated before now - `older_than`, except runs
    holding a latest materialization and `exclude_run_ids`. Returns counts for the run's metadata."""
    cutoff = dt.datetime.now(dt.UTC) - older_than
    keep = runs_holding_latest_materializations(instance) | (exclude_run_ids or set())
    old = instance.get_run_records(filters=dg.RunsFilter(statuses=FINISHED, updated_before=cutoff))
    deleted = 0
    for record in old:
        if record.dagster_run.run_id not in keep:
            instance.delete_run(record.dagster_run.run_id)
            deleted += 1
    return {"runs_older_than_cutoff": len(old), "runs_deleted": deleted, "runs_kept_for_lineage": len(old) - deleted}


class RunHistoryRetention(dg.Config):
    """How much of Dagster's own run history to keep (editable in the launchpad)."""

    days: int | None = Field(
        default=None,
        description="Delete finished runs older than this many days; empty: OSA_RUN_RETENTION_DAYS "
        f"(default {DEFAULT_RETENTION_DAYS}), read when the run starts.",
    )

    def resolved_days(self) -> int:
        return (
            self.days
            if self.days is not None
            else int(os.environ.get("OSA_RUN_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)
        )


@dg.op(
    description="Deletes finished runs older than the configured days unless they hold the latest "
    "materialization of an asset partition.",
    tags={"osa/maintenance": "retention"},
)
def purge_old_runs(context: dg.OpExecutionContext, config: RunHistoryRetention) -> None:
    days = config.resolved_days()
    counts = purge_run_history(context.instance, dt.timedelta(days=days), exclude_run_ids={context.run_id})
    context.log.info(f"run history retention ({days} days): {counts}")


@dg.job(
    description="Keeps Dagster's run and event-log tables bounded (see pipelines/maintenance.py).",
    tags={"osa/maintenance": "retention"},
)
def dagster_history_retention() -> None:
    purge_old_runs()


retention_schedule = dg.ScheduleDefinition(
    job=dagster_history_retention,
    cron_schedule="17 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 03:17 UTC: delete superseded run history older than OSA_RUN_RETENTION_DAYS.",
)


class WarehouseRetention(dg.Config):
    """How many days of warehouse partitions to keep (editable in the launchpad)."""

    days: int | None = Field(
        default=None,
        description="Drop partitions older than this many days (0: keep everything); empty: "
        "OSA_WAREHOUSE_RETENTION_DAYS (unset: off), read when the run starts.",
    )
    as_of: str | None = Field(default=None, description="The day to count back from (ISO date); empty: today (UTC).")

    def resolved_days(self) -> int:
        return self.days if self.days is not None else int(os.environ.get("OSA_WAREHOUSE_RETENTION_DAYS") or 0)


@dg.op(
    description="Drops warehouse partitions older than the configured days (default off).",
    tags={"osa/maintenance": "retention"},
)
def drop_expired_partitions(
    context: dg.OpExecutionContext, config: WarehouseRetention, warehouse: WarehouseResource
) -> None:
    days = config.resolved_days()
    if days <= 0:
        context.log.info("warehouse retention is off (days 0; OSA_WAREHOUSE_RETENTION_DAYS unset or 0)")
        return
    today = dt.date.fromisoformat(config.as_of) if config.as_of else dt.datetime.now(dt.UTC).date()
    cutoff = today - dt.timedelta(days=days)
    removed = warehouse.get().apply_retention(cutoff)
    context.log.info(
        f"dropped partitions before {cutoff}: {sum(removed.values())} rows in "
        f"{sum(1 for n in removed.values() if n)} tables"
    )


class MetricRetentionConfig(dg.Config):
    """The metric store's retention windows (defaults: OSA_METRICS_*_DAYS, else 90 / 365 / 730 days)."""

    as_of: str | None = Field(default=None, description="The day to count back from (ISO date); empty: today (UTC).")


@dg.op(
    description="Expires the metric store by its own windows: raw observations after 90 days (only days both "
    "rollups fully count), hourly rollups after a year, daily after two.",
    tags={"osa/maintenance": "retention"},
)
def expire_metric_windows(
    context: dg.OpExecutionContext, config: MetricRetentionConfig, warehouse: WarehouseResource
) -> dg.Output[None]:
    from osa.metrics import MetricRetention, expire_metrics

    today = dt.date.fromisoformat(config.as_of) if config.as_of else dt.datetime.now(dt.UTC).date()
    result = expire_metrics(warehouse.get(), today, MetricRetention.from_env())
    blocked = ", ".join(str(d) for d in result.blocked_days[:10]) or "none"
    context.log.info(
        f"metric retention as of {today}: removed {result.removed}; raw days kept (rollups short): {blocked}"
    )
    return dg.Output(
        None,
        metadata={
            **{f"removed/{table}": n for table, n in result.removed.items()},
            **{f"cutoff/{table}": str(day) for table, day in result.cutoffs.items()},
            "raw_days_blocked": len(result.blocked_days),
        },
    )


@dg.job(
    description="Drops expired warehouse partitions (whole chunks/days, never row by row); the metric store "
    "expires by its own windows, raw observations only after their rollups are complete.",
    tags={"osa/maintenance": "retention"},
)
def warehouse_retention() -> None:
    drop_expired_partitions()
    expire_metric_windows()


warehouse_retention_schedule = dg.ScheduleDefinition(
    job=warehouse_retention,
    cron_schedule="47 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily at 02:47 UTC: drop partitions older than OSA_WAREHOUSE_RETENTION_DAYS (off when unset) "
    "and expire the metric store by its windows.",
)

defs = dg.Definitions(
    jobs=[dagster_history_retention, warehouse_retention], schedules=[retention_schedule, warehouse_retention_schedule]
)
