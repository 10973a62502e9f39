"""Lakehouse definitions: ingest, gold, checks, the job that runs them and the landing sensor."""

import json

import dagster as dg

from assets import checks, gold, ingest
from assets.partitions import DAILY
from osa.ingest.landing import SOURCES, landing_files
from resources import LandingZoneResource

lakehouse_job = dg.define_asset_job(
    "lakehouse_job",
    selection=dg.AssetSelection.groups("bronze", "silver", "quarantine", "gold", "pii"),
    partitions_def=DAILY,
    description="Ingest landing files into bronze/silver/quarantine and refresh gold.",
)


def range_tags(first: str, last: str) -> dict[str, str]:
    """Tags that make one run cover a range of daily partitions (single-run backfill)."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


@dg.sensor(
    job=lakehouse_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts one ranged run covering the days of new or changed landing files.",
)
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingZoneResource):
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    current = {str(f.path): f.path.stat().st_mtime_ns for s in SOURCES for f in landing_files(landing.root, s)}
    changed = sorted(path for path, mtime in current.items() if seen.get(path) != mtime)
    if not changed:
        return dg.SkipReason(f"no new files in {landing.root}")
    days = sorted({f.day for s in SOURCES for f in landing_files(landing.root, s) if str(f.path) in changed})
    first, last = days[0].isoformat(), days[-1].isoformat()
    context.update_cursor(json.dumps(current))
    return dg.RunRequest(
        run_key=f"landing:{first}:{last}:{len(current)}:{max(current.values())}", tags=range_tags(first, last)
    )


defs = dg.Definitions(
    assets=[
        ingest.intake_forms,
        ingest.opal_deliveries,
        gold.gold_agent_performance_daily,
        gold.gold_workflow_completion_daily,
        gold.gold_recommendation_mix_daily,
    ],
    asset_checks=[checks.intake_accounting_check, checks.delivery_accounting_check, checks.no_raw_pii],
    jobs=[lakehouse_job],
    sensors=[landing_sensor],
)
