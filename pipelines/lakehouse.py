"""Lakehouse definitions: landing sources, ingest, gold, their checks, the job, its nightly schedule and the
landing sensor. Assets and checks are collected from their area modules, never listed by hand."""

import datetime as dt
import json

import dagster as dg

from assets import checks, gold, ingest, knowledge, metrics, specs
from assets.partitions import DAILY
from osa.ingest.landing import SOURCES, landing_files
from resources import LandingZoneResource

lakehouse_job = dg.define_asset_job(
    "lakehouse_job",
    selection=dg.AssetSelection.groups("bronze", "silver", "quarantine", "gold", "pii", "knowledge", "metrics"),
    partitions_def=DAILY,
    description="Ingest landing files into bronze/silver/quarantine/PII tables, check them, refresh gold and "
    "the knowledge base (items and their embeddings), then the metric store and its rollups.",
)


def range_tags(first: str, last: str) -> dict[str, str]:
    """Tags that make one run cover a range of daily partitions (single-run backfill)."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


@dg.schedule(
    job=lakehouse_job,
    cron_schedule="0 1 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Nightly at 01:00 UTC: re-run the two previous days in one run, so late landing files are "
    "picked up and yesterday's gold is final by the 04:00 freshness deadline.",
)
def nightly_lakehouse(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    yesterday = context.scheduled_execution_time.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    first, last = (yesterday - dt.timedelta(days=1)).isoformat(), yesterday.isoformat()
    return dg.RunRequest(run_key=f"nightly:{last}", tags=range_tags(first, last))


def stamp(files: list) -> list[tuple]:
    """(file, change time in ns, identity) per file; the identity (path, inode, size) tells a file replaced
    within the same clock tick from the one that was there (staging replaces files: a new inode)."""
    stamped = []
    for landing_file in files:
        stat = landing_file.path.stat()
        stamped.append((landing_file, stat.st_ctime_ns, f"{landing_file.path}|{stat.st_ino}|{stat.st_size}"))
    return stamped


def changed_since(cursor: dict, stamped: list[tuple]) -> tuple[list, dict]:
    """Files whose change time is after the cursor's high-water mark, or at it with an identity not seen there.

    The cursor is bounded: the highest change time seen and the identities at exactly that time, never every
    file ever seen. st_ctime moves whenever a file is created, replaced or copied (unlike mtime, which a copy
    may preserve), so a staged or re-staged file is never older than the mark."""
    mark, at_mark = cursor.get("ns", 0), set(cursor.get("at", []))
    changed = [f for f, ns, ident in stamped if ns > mark or (ns == mark and ident not in at_mark)]
    if not stamped:
        return changed, cursor
    new_mark = max(mark, max(ns for _, ns, _ in stamped))
    at = {ident for _, ns, ident in stamped if ns == new_mark}
    return changed, {"ns": new_mark, "at": sorted(at)}


def _instance(context: dg.SensorEvaluationContext) -> dg.DagsterInstance | None:
    try:
        return context.instance
    except dg.DagsterInvariantViolationError:  # evaluated without an instance (unit tests)
        return None


def _initial_cursor(instance: dg.DagsterInstance | None) -> dict:
    """A sensor that never ran starts from the last ingest (`osa run`, `osa ingest`, an earlier deployment):
    files changed before both sources' bronze assets were last materialized are already in the warehouse."""
    if instance is None:
        return {}
    stamps = []
    for source in SOURCES:
        event = instance.get_latest_materialization_event(dg.AssetKey(f"bronze_{source}"))
        if event is None:
            return {}  # a source never ingested: every file of it is new
        stamps.append(int(event.timestamp * 1e9))
    return {"ns": min(stamps), "at": []}


@dg.sensor(
    job=lakehouse_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts one ranged run covering the days of new or changed landing files.",
)
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingZoneResource):
    cursor = json.loads(context.cursor) if context.cursor else _initial_cursor(_instance(context))
    files = [f for source in SOURCES for f in landing_files(landing.root, source)]
    changed, new_cursor = changed_since(cursor, stamp(files))
    if not changed:
        return dg.SkipReason(f"no new files in {landing.root}")
    days = sorted({f.day for f in changed})
    first, last = days[0].isoformat(), days[-1].isoformat()
    context.update_cursor(json.dumps(new_cursor))
    return dg.RunRequest(run_key=f"landing:{first}:{last}:{new_cursor['ns']}", tags=range_tags(first, last))


defs = dg.Definitions(
    assets=[*specs.landing_specs(), *dg.load_assets_from_modules([ingest, gold, knowledge, metrics])],
    asset_checks=dg.load_asset_checks_from_modules([checks, metrics]),
    jobs=[lakehouse_job],
    schedules=[nightly_lakehouse],
    sensors=[landing_sensor],
)
