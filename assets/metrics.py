"""The metrics step: metric observations from the window's data, then the warehouse's hourly and daily rollups.

Logic lives in `osa.metrics`; this module reads the window, adds what only Dagster knows (the run's step
times), writes delete-then-insert per window (idempotent backfills) and reports per partition. The check
beside it is what lets raw observations expire: both rollups must count every raw observation of a day.
"""

import datetime as dt

import dagster as dg

from assets.metadata import daily_metadata, report_partitions
from assets.partitions import DAILY, SINGLE_RUN, days_in, partition_keys, window
from assets.specs import step_specs
from osa import catalog
from osa.metrics import DAILY as DAILY_ROLLUP
from osa.metrics import HOURLY as HOURLY_ROLLUP
from osa.metrics import SOURCE_TABLES, compute_events, compute_rollups, uncovered_days
from osa.metrics.charts import CHARTS
from resources import WarehouseResource


def _row_counts(store, start: dt.date, end: dt.date) -> dict[str, dict[dt.date, int]]:
    """Rows per day of every table the pipeline writes (one UNION ALL query)."""
    # the pipeline's tables (the audit log is dated by when something was recorded, not by partition)
    tables = [t.name for t in catalog.tables() if t.layer not in ("metrics", "compliance")]
    union = " UNION ALL ".join(
        f"SELECT '{name}' AS table_name, event_date, count(*) AS n FROM {name} "
        f"WHERE event_date >= ? AND event_date < ? GROUP BY event_date"
        for name in tables
    )
    counts: dict[str, dict[dt.date, int]] = {}
    for row in store.query(union, [start, end] * len(tables)).to_pylist():
        counts.setdefault(row["table_name"], {})[row["event_date"]] = int(row["n"])
    return counts


def _step_seconds(context: dg.AssetExecutionContext) -> dict[str, float]:
    """Wall time of each step this run has finished so far (all upstream steps: this one runs last)."""
    stats = context.instance.get_run_step_stats(context.run_id)
    return {s.step_key: round(s.end_time - s.start_time, 3) for s in stats if s.end_time and s.start_time}


def _embedding_usage(context: dg.AssetExecutionContext, start: dt.date, end: dt.date) -> dict[dt.date, dict]:
    """Each day's embedding figures (provider, model, requests, input tokens, cost) from the latest
    materialization of its `knowledge_items` partition: what only the embedding step's run knows."""
    keys = partition_keys(start, end)
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("knowledge_items"), asset_partitions=keys), limit=4 * len(keys)
    ).records  # newest first
    usage: dict[dt.date, dict] = {}
    for record in records:
        materialization = record.asset_materialization
        if materialization is None or materialization.partition is None:
            continue
        day = dt.date.fromisoformat(materialization.partition)
        if day in usage:
            continue
        usage[day] = {
            name: materialization.metadata[f"embedding/{name}"].value
            for name in ("provider", "model", "requests", "input_tokens", "cost_usd")
            if f"embedding/{name}" in materialization.metadata
        }
    return {day: figures for day, figures in usage.items() if figures}


@dg.multi_asset(
    specs=step_specs("metrics", compute_events, compute_rollups),
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    can_subset=False,
)
def metrics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    start, end = window(context)
    store = warehouse.get()
    inputs = {
        name: store.query(f"SELECT * FROM {name} WHERE event_date >= ? AND event_date < ?", [start, end])
        for name in SOURCE_TABLES
    }
    events = compute_events(
        inputs,
        row_counts=_row_counts(store, start, end),
        step_seconds=_step_seconds(context),
        window_days=days_in(start, end),
        run_id=context.run_id,
        embedding_usage=_embedding_usage(context, start, end),
    )
    store.replace_windows({"metric_events": events}, start, end)
    rollups = compute_rollups(store, start, end)  # by the warehouse itself, from what was just written
    store.replace_windows(rollups, start, end)
    for name, rows in {"metric_events": events, **rollups}.items():
        report_partitions(context, name, start, end, daily_metadata(catalog.table(name), rows))
        yield dg.MaterializeResult(asset_key=name)


def _run_days(context: dg.AssetCheckExecutionContext) -> tuple[dt.date, dt.date]:
    from assets.checks import window_of_run

    days = window_of_run(context)
    return days if days is not None else (dt.date(1970, 1, 1), dt.date(9999, 1, 1))


@dg.asset_check(
    asset=DAILY_ROLLUP,
    name="rollups_cover_raw",
    blocking=True,
    additional_deps=[HOURLY_ROLLUP, "metric_events"],
    description="For every day the run covers: the hourly and the daily rollups together count every raw "
    "metric observation. Raw observations of a day may expire only when this holds (osa.metrics.retention "
    "asks the same question before dropping anything).",
)
def rollups_cover_raw(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    start, end = _run_days(context)
    short = uncovered_days(warehouse.get(), start, end)
    return dg.AssetCheckResult(
        passed=not short,
        metadata={
            "days_not_covered": len(short),
            "first_days": ", ".join(str(r["event_date"]) for r in short[:10]) or "none",
        },
    )


@dg.asset(
    name="dashboard_report",
    deps=[DAILY_ROLLUP, "workflow_recommendations", "knowledge_items"],  # what the dashboard views read
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    group_name="metrics",
    owners=["team:analytics"],
    kinds={"html", "vega-lite"},
    description="The dashboard's charts (osa.metrics.charts over the dashboard views) rendered after each run to a "
    "static HTML page and a PNG and an SVG per chart, under <state>/reports/dashboard/. Open the `report` path in "
    "this asset's metadata; `osa dashboard` serves the same charts live.",
)
def dashboard_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from osa.dashboard import build_report

    start, end = window(context)
    out = _report_dir()
    result = build_report(CHARTS, warehouse.get().query, out, title="OSA Lakehouse report")
    rows = "\n".join(f"| {name} | {n} |" for name, n in result.row_counts.items())
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(str(result.html_path)),
            "report_url": dg.MetadataValue.url(result.html_path.resolve().as_uri()),
            "charts": len(CHARTS),
            "images": len(result.images),
            "rows_per_chart": dg.MetadataValue.md("| chart | rows |\n|---|---|\n" + rows),
            **{f"seconds/{step}": round(t, 2) for step, t in result.seconds.items()},
            "window": f"{start}..{end}",
        },
    )


def _report_dir():
    from osa.config import STATE_DIR

    return STATE_DIR / "reports" / "dashboard"


@dg.asset_check(
    asset="dashboard_report",
    name="every_chart_renders",
    description="Reads the written report: every declared chart has its section, none carries an error, and every "
    "chart with rows has its PNG and SVG (a chart may be empty, not broken).",
)
def every_chart_renders() -> dg.AssetCheckResult:
    import re

    out = _report_dir()
    page = (out / "index.html").read_text(encoding="utf-8") if (out / "index.html").exists() else ""
    sections = dict(re.findall(r'<section data-chart="([^"]+)" data-rows="(\d+)"', page))
    broken = set(re.findall(r'<section data-chart="([^"]+)" data-rows="\d+" data-error=', page))
    missing = [c.name for c in CHARTS if c.name not in sections]
    no_image = [
        name
        for name, rows in sections.items()
        if int(rows) > 0 and not ((out / f"{name}.png").exists() and (out / f"{name}.svg").exists())
    ]
    return dg.AssetCheckResult(
        passed=not (missing or broken or no_image),
        metadata={
            "charts": len(sections),
            "missing": ", ".join(missing) or "none",
            "broken": ", ".join(sorted(broken)) or "none",
            "without_image": ", ".join(no_image) or "none",
        },
    )
