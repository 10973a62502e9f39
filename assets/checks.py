"""Asset checks that sit beside the assets they guard."""

import datetime as dt

import dagster as dg
import polars as pl

from assets.ingest import INSIGHT_TABLES
from assets.partitions import DAILY
from osa.ingest.landing import landing_files
from osa.ledger import accounting_by_day
from osa.privacy import JSON_COLUMNS
from resources import LandingZoneResource, PrivacyResource, WarehouseResource


def _run_window(context: dg.AssetCheckExecutionContext) -> tuple[dt.date, dt.date] | None:
    """The [start, end) days of a partitioned run, read from its tags so it also works when the check runs
    in a job of its own (no partitions definition); None for an unpartitioned run."""
    tags = context.run.tags
    first = tags.get("dagster/partition", tags.get("dagster/asset_partition_range_start"))
    last = tags.get("dagster/partition", tags.get("dagster/asset_partition_range_end"))
    if first is None or last is None:
        return None
    return (
        DAILY.time_window_for_partition_key(first).start.date(),
        DAILY.time_window_for_partition_key(last).end.date(),
    )


def _accounting_check(source: str, asset: str):
    @dg.asset_check(
        asset=asset,
        name="every_record_accounted_for",
        blocking=True,
        description="For every day the run covers (every landing day when unpartitioned): lines "
        "received = accepted + quarantined + duplicates, counted independently from "
        "the files and the warehouse.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, landing: LandingZoneResource
    ) -> dg.AssetCheckResult:
        store = warehouse.get()
        report = accounting_by_day(store, source, landing_files(landing.root, source))
        run_window = _run_window(context)
        if run_window is not None:  # only the days this run wrote
            start, end = run_window
            report = [row for row in report if start <= row["event_date"] < end]
        bad = [row for row in report if row["unaccounted"] != 0]
        return dg.AssetCheckResult(
            passed=not bad,
            metadata={
                "days_checked": len(report),
                "days_unbalanced": len(bad),
                "records_in": sum(r["records_in"] for r in report),
                "unbalanced_days": ", ".join(str(r["event_date"]) for r in bad[:20]) or "none",
            },
        )

    return _check


intake_accounting_check = _accounting_check("intake_forms", "bronze_intake_forms")
delivery_accounting_check = _accounting_check("opal_deliveries", "bronze_opal_deliveries")


LEAK_CHECKED_TABLES = (
    "silver_intake_forms",
    "silver_agent_executions",
    "silver_workflow_executions",
    "silver_recommendations",
    *INSIGHT_TABLES,
    "quarantine_intake_forms",
    "quarantine_opal_deliveries",
    "gold_agent_performance_daily",
    "gold_workflow_completion_daily",
    "gold_recommendation_mix_daily",
)


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "no_raw_pii",
            asset=table,
            blocking=False,
            description="Scans the run's days of this table for detectable raw personal data "
            "(protection tokens are ignored); fails on any finding.",
        )
        for table in LEAK_CHECKED_TABLES
    ],
    can_subset=True,
)
def no_raw_pii(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, privacy: PrivacyResource):
    """The leak check: one scan per table, reporting counts per column and type, never values."""
    store, engine = warehouse.get(), privacy.scanner()
    run_window = _run_window(context)
    for key in context.selected_asset_check_keys:
        table = key.asset_key.path[-1]
        where, params = ("WHERE event_date >= ? AND event_date < ?", list(run_window)) if run_window else ("", [])
        rows = store.query(f"SELECT * FROM {table} {where}", params)
        findings = engine.scan_frame(pl.from_arrow(rows), json_columns=JSON_COLUMNS.get(table, ()))
        findings = findings.filter(pl.col("count") > 0)
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=findings.height == 0,
            metadata={
                "rows_scanned": rows.num_rows,
                "findings": int(findings["count"].sum() or 0),
                "columns_with_findings": ", ".join(sorted(set(findings["column"].to_list()))) or "none",
            },
        )
