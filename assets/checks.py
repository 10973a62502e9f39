"""Asset checks that sit beside the assets they guard."""

import datetime as dt
from typing import NamedTuple

import dagster as dg
import polars as pl

from assets.partitions import DAILY, days_in
from osa import catalog, leakscan
from osa.catalog.ddl import drift
from osa.ingest.landing import landing_files
from osa.ledger import accounting_by_day
from osa.privacy import engine_names, json_columns
from osa.quality.schemas import validate
from resources import LandingZoneResource, PrivacyResource, WarehouseResource


def window_of_run(context: dg.AssetCheckExecutionContext) -> tuple[dt.date, dt.date] | None:
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
        run_window = window_of_run(context)
        days = days_in(*run_window) if run_window is not None else None  # only the files of the run's days
        report = accounting_by_day(store, source, landing_files(landing.root, source, days))
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


LEAK_CHECKED_TABLES = tuple(t.name for t in catalog.protected_tables())
LEAK_DESCRIPTION = (
    "Scans the run's days of this table for detectable raw personal data with two scanners, the PII engine and an "
    "independent pattern scanner (osa.leakscan; protection tokens are ignored by both); fails on any finding, "
    "reporting where (column, row key, type), never values. Blocking: nothing downstream reads a table with a leak."
)


LEAK_LOCATIONS = 20  # locations named in a failing leak check's message


#: Catalogue categories of columns that hold one kind of personal data as a whole value: anything there that is
#: not a protection token is a leak to the second scanner, whatever its shape.
DECLARED_TYPES = {"user.name": "name", "user.contact.email": "email", "user.contact.phone_number": "phone"}


class LeakReport(NamedTuple):
    """What the two scanners found in one table: the engine's counts per (column, type) and the independent
    scanner's locations. Never values."""

    table: str
    rows_scanned: int
    engine: pl.DataFrame  # column, pii_type, count (count > 0)
    second: list[leakscan.Leak]

    @property
    def passed(self) -> bool:
        return self.engine.height == 0 and not self.second

    def message(self) -> str:
        if self.passed:
            return f"no raw personal data in {self.rows_scanned} rows"
        engine = self.engine.select("column", "pii_type", "count").iter_rows()
        where = [f"{self.table}.{c}: {t} in {n} row(s) (PII engine)" for c, t, n in engine]
        where += [str(leak) for leak in self.second[:LEAK_LOCATIONS]]
        more = len(self.second) - LEAK_LOCATIONS
        return "raw personal data at " + "; ".join(where) + (f"; and {more} more" if more > 0 else "")


def leak_report(store, engine, table: str, run_window: tuple[dt.date, dt.date] | None = None) -> LeakReport:
    """The leak check as a plain function: the PII engine's scan and the independent `osa.leakscan` scan of
    `table`'s rows in `run_window` (every row when None)."""
    rows = _window_rows(store, table, run_window)
    real_names = {alias: name for name, alias in engine_names(table).items()}
    findings = engine.scan_frame(pl.from_arrow(rows).rename(engine_names(table)), json_columns=json_columns(table))
    findings = findings.with_columns(pl.col("column").replace(real_names)).filter(pl.col("count") > 0)
    spec = catalog.table(table)
    declared = {c.name: DECLARED_TYPES[c.privacy] for c in spec.columns if c.privacy in DECLARED_TYPES}
    # rows are named by their key, unless the engine found personal data in a key column (then by row number)
    key = () if set(spec.key) & set(findings["column"].to_list()) else spec.key
    second = leakscan.scan_rows(table, rows, key=key, declared=declared, json_columns=json_columns(table))
    return LeakReport(table, rows.num_rows, findings, second)


def _leak_results(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, privacy: PrivacyResource):
    """The leak check: one scan per table by each scanner, reporting locations and counts, never values."""
    store, engine = warehouse.get(), privacy.scanner()
    run_window = window_of_run(context)
    for key in context.selected_asset_check_keys:
        report = leak_report(store, engine, key.asset_key.path[-1], run_window)
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=report.passed,
            description=report.message(),
            metadata={
                "rows_scanned": report.rows_scanned,
                "findings": int(report.engine["count"].sum() or 0),
                "columns_with_findings": ", ".join(sorted(set(report.engine["column"].to_list()))) or "none",
                "second_scanner_findings": len(report.second),
                "second_scanner_columns": ", ".join(sorted({leak.column for leak in report.second})) or "none",
            },
        )


def _leak_specs(layers: tuple[str, ...]) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec("no_raw_pii", asset=t.name, blocking=True, description=LEAK_DESCRIPTION)
        for t in catalog.protected_tables()
        if t.layer in layers
    ]


@dg.multi_asset_check(specs=_leak_specs(("silver", "quarantine")), can_subset=True)
def no_raw_pii(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, privacy: PrivacyResource):
    """The leak check on silver and quarantine; blocking, so gold never aggregates a table with a leak."""
    yield from _leak_results(context, warehouse, privacy)


@dg.multi_asset_check(specs=_leak_specs(("gold",)), can_subset=True)
def no_raw_pii_gold(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, privacy: PrivacyResource):
    """The leak check on the gold tables dashboards read."""
    yield from _leak_results(context, warehouse, privacy)


def _window_rows(store, table: str, run_window: tuple[dt.date, dt.date] | None):
    if run_window is None:
        return store.query(f"SELECT * FROM {table}")
    return store.query(f"SELECT * FROM {table} WHERE event_date >= ? AND event_date < ?", list(run_window))


def _markdown(header: tuple[str, str], rows: list[tuple]) -> dg.MetadataValue:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|", *(f"| {a} | {b} |" for a, b in rows)]
    return dg.MetadataValue.md("\n".join(lines))


# ------------------------------------------------------------------------------------------ data quality
RULES_CHECK = "meets_catalogue_rules"
SCHEMA_CHECK = "schema_matches_catalogue"
VOLUME_CHECK = "row_volume"
# A day whose row count falls below this share of the median of the previous week is flagged (WARN); only
# for tables with at least VOLUME_MIN_MEDIAN rows a day, where a drop is a signal rather than noise.
VOLUME_DROP_SHARE = 0.2
VOLUME_MIN_MEDIAN = 20


def _quality_specs(tables: list[catalog.Table], *, blocking: bool) -> list[dg.AssetCheckSpec]:
    consequence = " Blocks downstream assets when it fails." if blocking else ""
    specs = []
    for table in tables:
        specs += [
            dg.AssetCheckSpec(
                RULES_CHECK,
                asset=table.name,
                blocking=blocking,
                description="Every row of the run's days meets the catalogue: declared types, no nulls where a "
                "column is NOT NULL, only allowed values, numbers within range, the key unique. Reports "
                "failures per rule and per day, never values." + consequence,
            ),
            dg.AssetCheckSpec(
                SCHEMA_CHECK,
                asset=table.name,
                blocking=blocking,
                description="The warehouse table has exactly the catalogue's columns, in order, with the "
                "declared types and nullability (catches a migration that drifted or a hand-made change)."
                + consequence,
            ),
            dg.AssetCheckSpec(
                VOLUME_CHECK,
                asset=table.name,
                description=(
                    f"Each day has at least {table.min_rows_per_day} row(s) when its input has data"
                    if table.min_rows_per_day
                    else "Flags (warning) a day whose row count drops below "
                    f"{VOLUME_DROP_SHARE:.0%} of the previous week's median"
                )
                + ". Reports each day's count.",
            ),
        ]
    return specs


def _volume_result(store, table: catalog.Table, run_window) -> tuple[bool, dg.AssetCheckSeverity, dict]:
    start, end = run_window or (dt.date(1, 1, 1), dt.date(9999, 1, 1))
    history_start = max(start - dt.timedelta(days=7), dt.date(1, 1, 1))
    counts = {
        row["d"]: row["n"]
        for row in store.query(
            f"SELECT event_date AS d, count(*) AS n FROM {table.name} WHERE event_date >= ? AND event_date < ? "
            "GROUP BY 1",
            [history_start, end],
        ).to_pylist()
    }
    flagged: list[tuple] = []
    severity = dg.AssetCheckSeverity.WARN
    if table.min_rows_per_day and table.depends_on:
        severity = dg.AssetCheckSeverity.ERROR
        upstream = store.query(
            f"SELECT DISTINCT event_date AS d FROM {table.depends_on[0]} WHERE event_date >= ? AND event_date < ?",
            [start, end],
        ).column(0)
        for day in upstream.to_pylist():
            if counts.get(day, 0) < table.min_rows_per_day:
                flagged.append((day, f"{counts.get(day, 0)} rows, input has data"))
    else:
        days = sorted(d for d in counts if d >= start)
        for day in days:
            previous = sorted(counts[d] for d in counts if day - dt.timedelta(days=7) <= d < day)
            median = previous[len(previous) // 2] if previous else 0
            if median >= VOLUME_MIN_MEDIAN and counts[day] < VOLUME_DROP_SHARE * median:
                flagged.append((day, f"{counts[day]} rows vs median {median}"))
    in_window = sorted((d, n) for d, n in counts.items() if d >= start)
    metadata = {
        "days_checked": len(in_window),
        "days_flagged": len(flagged),
        "flagged_days": _markdown(("day", "why"), flagged[:50]) if flagged else "none",
        "rows_per_day": _markdown(("day", "rows"), in_window[-60:]),
    }
    return not flagged, severity, metadata


def _quality_results(context: dg.AssetCheckExecutionContext, store):
    """Rules (pandera), schema (live warehouse vs catalogue) and volume results for the selected checks."""
    run_window = window_of_run(context)
    drift_by_table: dict[str, list[str]] = {}
    for line in drift(store.live_columns(), store.backend):
        drift_by_table.setdefault(line.split(":")[0].split(".")[0], []).append(line)
    for key in context.selected_asset_check_keys:
        table = catalog.table(key.asset_key.path[-1])
        if key.name == RULES_CHECK:
            report = validate(table, _window_rows(store, table.name, run_window))
            metadata = {"rows_checked": report.rows, "summary": report.summary()}
            if not report.passed:
                metadata["failures"] = _markdown(("rule (column)", "rows"), sorted(report.failures.items()))
                metadata["failing_days"] = _markdown(("day", "failing rows"), sorted(report.failures_by_day.items()))
            yield dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=report.passed, metadata=metadata
            )
        elif key.name == SCHEMA_CHECK:
            problems = drift_by_table.get(table.name, [])
            yield dg.AssetCheckResult(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=not problems,
                metadata={"differences": "\n".join(problems) or "none", "columns": len(table.columns)},
            )
        else:
            passed, severity, metadata = _volume_result(store, table, run_window)
            yield dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=passed, severity=severity, metadata=metadata
            )


SILVER_QUALITY_TABLES = [t for t in catalog.tables() if t.layer in ("silver", "quarantine", "pii")]


@dg.multi_asset_check(specs=_quality_specs(SILVER_QUALITY_TABLES, blocking=True), can_subset=True)
def silver_quality(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Data quality of silver, quarantine and PII tables; blocking, so gold never reads rows that break them."""
    yield from _quality_results(context, warehouse.get())


@dg.multi_asset_check(specs=_quality_specs(catalog.tables(layer="gold"), blocking=False), can_subset=True)
def gold_quality(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Data quality of the gold tables dashboards read."""
    yield from _quality_results(context, warehouse.get())


# ------------------------------------------------------------------------------------------ expectations
EXPECTATIONS_CHECK = "great_expectations_suite"


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            EXPECTATIONS_CHECK,
            asset=table.name,
            description="The table's Great Expectations suite (derived from the catalogue: columns in order, "
            "not-null, allowed values, ranges, unique key) on the run's days; the result is published as Data "
            "Docs (HTML), linked from this check's metadata.",
        )
        for table in catalog.tables(layer="gold")
    ],
    can_subset=True,
)
def gold_expectations(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Great Expectations suites for the gold tables dashboards read, with Data Docs for analysts."""
    from osa.config import default_data_docs_dir
    from osa.quality.expectations import validate as validate_suite

    store, run_window = warehouse.get(), window_of_run(context)
    for key in context.selected_asset_check_keys:
        table = catalog.table(key.asset_key.path[-1])
        report = validate_suite(
            table, _window_rows(store, table.name, run_window), default_data_docs_dir(), run_name=context.run.run_id
        )
        metadata = {
            "expectations_evaluated": report.evaluated,
            "expectations_failed": report.failed,
            "data_docs": dg.MetadataValue.url(report.docs_index.resolve().as_uri()),
            "data_docs_path": dg.MetadataValue.path(str(report.docs_index)),
        }
        if report.failures:
            metadata["failures"] = dg.MetadataValue.md("\n".join(f"- {line}" for line in report.failures))
            metadata["failing_days"] = _markdown(("day", "failing rows"), sorted(report.failed_by_day.items()))
        yield dg.AssetCheckResult(
            asset_key=key.asset_key, check_name=key.name, passed=report.success, metadata=metadata
        )
