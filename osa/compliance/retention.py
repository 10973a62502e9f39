"""The nightly retention job: every catalogue table's category policy applied as of one day.

For each table: rows before the category's cutoff that no legal hold covers are archived to Parquet (where
the policy archives), then removed — whole TimescaleDB chunks / DuckDB days when nothing in the range is
held, a filtered DELETE otherwise — or anonymized. Landing files of expired raw days go too, unless a held
bronze row came from them. The metric store expires by its own windows (`osa.metrics.retention`). One audit
record holds the counts per table and category. Re-running for the same day finds nothing left to do.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from osa import catalog
from osa.catalog.model import Table
from osa.compliance import archive, audit
from osa.compliance.holds import Holds, active_holds, held
from osa.compliance.policies import RetentionPolicy, policies_from_env
from osa.ingest.landing import SOURCES, landing_files
from osa.warehouse.base import Warehouse

ACTOR = "retention_job"


@dataclass
class TableOutcome:
    table: str
    category: str
    action: str
    cutoff: str | None
    expired: int = 0  # rows before the cutoff no hold covers: what goes
    held: int = 0  # rows before the cutoff a legal hold keeps
    archived_files: int = 0
    removed: int = 0
    anonymized: int = 0


@dataclass
class RetentionReport:
    as_of: dt.date
    dry_run: bool
    holds: tuple[str, ...]
    tables: list[TableOutcome] = field(default_factory=list)
    landing: dict[str, int] = field(default_factory=dict)
    metric_raw_days_blocked: int = 0
    audit_seq: int | None = None

    def by_category(self) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        for outcome in self.tables:
            slot = totals.setdefault(outcome.category, {"expired": 0, "held": 0, "removed": 0, "anonymized": 0})
            for name in slot:
                slot[name] += getattr(outcome, name)
        return totals

    def details(self) -> dict:
        """What the audit record and the run's metadata hold: counts only."""
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "legal_holds": list(self.holds),
            "categories": self.by_category(),
            "tables": {
                o.table: {k: v for k, v in asdict(o).items() if k not in ("table",) and v not in (0, None)}
                for o in self.tables
                if o.expired or o.held or o.removed
            },
            "landing": self.landing,
            "metric_raw_days_blocked": self.metric_raw_days_blocked,
        }

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        out = [f"retention as of {self.as_of}{' (dry run: nothing changed)' if self.dry_run else ''}"]
        for o in self.tables:
            if o.expired or o.held:
                what = "anonymize" if o.action == "anonymize" else verb
                kept = f", {o.held} kept under legal hold" if o.held else ""
                out.append(f"  {o.table} [{o.category}, before {o.cutoff}]: {what} {o.expired} rows{kept}")
        if self.landing.get("expired") or self.landing.get("held"):
            out.append(
                f"  landing files: {verb} {self.landing.get('expired', 0)}"
                + (f", {self.landing['held']} kept under legal hold" if self.landing.get("held") else "")
            )
        if self.holds:
            out.append(f"  legal holds in force: {', '.join(self.holds)}")
        if len(out) == 1:
            out.append("  nothing has expired")
        return out


def _count(warehouse: Warehouse, table: Table, cutoff: dt.date, holds: Holds) -> tuple[int, int]:
    condition = held(table, holds)
    row = warehouse.query(
        f"SELECT count(*) AS total, coalesce(sum(CASE WHEN {condition.sql} THEN 1 ELSE 0 END), 0) AS held "
        f"FROM {table.name} WHERE {table.partition_column} < ?",
        [*condition.params, cutoff],
    ).to_pylist()[0]
    return int(row["total"]) - int(row["held"]), int(row["held"])


def _archive(warehouse: Warehouse, table: Table, cutoff: dt.date, holds: Holds, root: Path) -> int:
    keep = held(table, holds).negated()
    rows = warehouse.query(
        f"SELECT * FROM {table.name} WHERE {table.partition_column} < ? AND {keep.sql}", [cutoff, *keep.params]
    )
    days = pc.unique(rows.column(table.partition_column)).to_pylist()
    for day in days:
        day_rows = rows.filter(
            pc.equal(
                rows.column(table.partition_column), pa.scalar(day, rows.schema.field(table.partition_column).type)
            )
        )
        archive.write_part(root, table.name, day, day_rows.cast(table.arrow_schema))
    return len(days)


def _remove(warehouse: Warehouse, table: Table, cutoff: dt.date, holds: Holds, held_rows: int) -> int:
    if not held_rows:
        return warehouse.drop_before(table.name, cutoff, table.partition_column)  # whole chunks / days
    keep = held(table, holds).negated()
    with warehouse.transaction() as tx:
        return tx.execute(
            f"DELETE FROM {table.name} WHERE {table.partition_column} < ? AND {keep.sql}", [cutoff, *keep.params]
        )


def _anonymize(warehouse: Warehouse, table: Table, cutoff: dt.date, holds: Holds) -> int:
    personal = [c for c in table.columns if c.personal and c.name not in table.key]
    if not personal:
        return 0
    keep = held(table, holds).negated()
    assignments = ", ".join(f"{c.name} = NULL" if c.nullable else f"{c.name} = '[anonymized]'" for c in personal)
    pending = " OR ".join(f"{c.name} IS NOT NULL" for c in personal if c.nullable) or "1 = 1"
    with warehouse.transaction() as tx:
        return tx.execute(
            f"UPDATE {table.name} SET {assignments} WHERE {table.partition_column} < ? AND {keep.sql} AND ({pending})",
            [cutoff, *keep.params],
        )


def _landing(warehouse: Warehouse, root: Path, cutoff: dt.date, holds: Holds, dry_run: bool) -> dict[str, int]:
    outcome = {"expired": 0, "held": 0, "removed": 0}
    for source in SOURCES:
        files = [f for f in landing_files(root, source) if f.day < cutoff]
        if not files:
            continue
        kept: set[str] = set()
        if holds:
            bronze = catalog.table(f"bronze_{source}")
            condition = held(bronze, holds)
            kept = set(
                warehouse.query(
                    f"SELECT DISTINCT source_file FROM {bronze.name} WHERE {condition.sql}", condition.params
                )
                .column(0)
                .to_pylist()
            )
        for landing_file in files:
            relative = str(landing_file.path.relative_to(root))
            if relative in kept:
                outcome["held"] += 1
                continue
            outcome["expired"] += 1
            if not dry_run:
                landing_file.path.unlink(missing_ok=True)
                outcome["removed"] += 1
                folder = landing_file.path.parent
                if folder.is_dir() and not any(folder.iterdir()):
                    shutil.rmtree(folder, ignore_errors=True)
    return outcome


def run_retention(
    warehouse: Warehouse,
    as_of: dt.date,
    *,
    dry_run: bool = False,
    policies: dict[str, RetentionPolicy] | None = None,
    archive_root: Path | None = None,
    landing_root: Path | None = None,
    actor: str = ACTOR,
) -> RetentionReport:
    """Apply every policy as of `as_of`; with `dry_run`, count what would go and change nothing."""
    from osa.config import default_landing_dir
    from osa.metrics import MetricRetention, expire_metrics

    policies = policies or policies_from_env()
    archive_root = archive_root or archive.default_archive_dir()
    holds = active_holds(warehouse)
    report = RetentionReport(as_of, dry_run, holds.hold_ids)
    pii_cutoff = policies["pii_data"].cutoff(as_of)
    if pii_cutoff is not None:
        report.landing = _landing(warehouse, landing_root or default_landing_dir(), pii_cutoff, holds, dry_run)
    for table in catalog.TABLES:
        policy = policies[table.retention]
        cutoff = policy.cutoff(as_of)
        outcome = TableOutcome(table.name, table.retention, policy.action, cutoff and cutoff.isoformat())
        report.tables.append(outcome)
        if cutoff is None or policy.action == "keep":
            continue
        outcome.expired, outcome.held = _count(warehouse, table, cutoff, holds)
        if dry_run or policy.action == "metric_windows" or not outcome.expired:
            continue
        if policy.action == "anonymize":
            outcome.anonymized = _anonymize(warehouse, table, cutoff, holds)
            continue
        if policy.action == "archive_then_delete":
            outcome.archived_files = _archive(warehouse, table, cutoff, holds, archive_root)
        outcome.removed = _remove(warehouse, table, cutoff, holds, outcome.held)
    if not dry_run:
        metrics = MetricRetention(
            raw_days=policies["metrics_raw"].keep_days or 0,
            hourly_days=policies["metrics_hourly"].keep_days or 0,
            daily_days=policies["metrics_daily"].keep_days or 0,
        )
        expiry = expire_metrics(warehouse, as_of, metrics)
        report.metric_raw_days_blocked = len(expiry.blocked_days)
        for outcome in report.tables:
            if outcome.table in expiry.removed:
                outcome.removed = expiry.removed[outcome.table]
        report.audit_seq = audit.record(
            warehouse,
            audit.AuditEntry("retention", actor, target="every table", details=report.details()),
            archive_root=archive_root,
        )[0]
    return report
