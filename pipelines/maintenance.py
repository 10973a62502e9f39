"""Housekeeping of Dagster's own storage (the warehouse's retention by data category is `retention_job`,
pipelines/compliance.py):

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


defs = dg.Definitions(jobs=[dagster_history_retention], schedules=[retention_schedule])
