"""The one choke point every string bound for silver, gold or quarantine passes through.

`protect_rows` is the only function that produces `ProtectedRows`, and `write_protected` (the only
way assets write silver/gold/quarantine tables) accepts nothing else, so no table can reach the
warehouse around it. The protector that does the work is pluggable: the PII engine (`osa.pii`) in
production; a pass-through exists only so the pipeline can run before an engine is configured.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

from osa.warehouse.base import Warehouse


class Protector(Protocol):
    """Anything that can protect the string values of a table."""

    def protect_table(self, table: str, rows: pa.Table) -> tuple[pa.Table, pa.Table | None, pa.Table | None]:
        """Return (protected rows, audit rows or None, subject-index rows or None)."""


class PassThroughProtector:
    """Leaves values unchanged. Only for running the pipeline before a PII engine is configured."""

    def protect_table(self, table: str, rows: pa.Table) -> tuple[pa.Table, None, None]:
        return rows, None, None


# Columns the pipeline itself generates (digests, ids, enums, reason codes): never personal data, so the
# engine copies them without scanning. Anything not listed here is scanned.
SYSTEM_COLUMNS = frozenset(
    {
        "delivery_id",
        "execution_id",
        "correlation_id",
        "recommendation_id",
        "form_id",
        "record_digest",
        "source_file",
        "agent_id",
        "execution_status",
        "sla_status",
        "category",
        "impact_estimate",
        "effort_estimate",
        "stage",
        "primary_reason",
        "reason_codes",
        "data_sources",
        "credentials_supplied",
        "analysis_depth",
        "focus_areas",
        "timeline",
        "workflow_status",
        "severity",
        "issue_type",
        "status",
        "integration",
        "channel",
        "effort",
        "impact",
        "region",
    }
)
# How each table's rows are identified in the audit trail and subject index.
RECORD_KEYS: dict[str, tuple[str, ...]] = {
    "silver_intake_forms": ("form_id",),
    "silver_agent_executions": ("delivery_id",),
    "silver_workflow_executions": ("event_date", "workflow_id"),
    "silver_recommendations": ("recommendation_id",),
}
JSON_COLUMNS: dict[str, tuple[str, ...]] = {"silver_audience_segments": ("criteria_json",)}
RECORD_ID = "_record_id"
AUDIT_COLUMNS = (
    "event_date",
    "table_name",
    "record_id",
    "field_path",
    "pii_type",
    "mode",
    "confidence",
    "detector",
    "fingerprint",
)
SUBJECT_COLUMNS = ("event_date", "fingerprint", "pii_type", "table_name", "record_id", "field_path")


def record_keys(table: str, columns: list[str]) -> tuple[str, ...]:
    """The columns that identify a row of `table` (file/line for quarantine, delivery/item for insights)."""
    if table in RECORD_KEYS:
        return RECORD_KEYS[table]
    if "source_line" in columns:
        return ("source_file", "source_line")
    if "item_index" in columns:
        return ("delivery_id", "item_index")
    return tuple(c for c in columns if c == "event_date" or c.endswith("_id"))[:3] or (columns[0],)


class PiiProtector:
    """The PII engine at the choke point: storage policy (pseudonymize by default), audit and subjects."""

    def __init__(self, engine, context) -> None:  # osa.pii.PiiEngine, osa.pii.PolicyContext
        self.engine = engine
        self.context = context

    def __repr__(self) -> str:
        return f"PiiProtector(context={self.context!r})"

    def protect_table(self, table: str, rows: pa.Table) -> tuple[pa.Table, pa.Table | None, pa.Table | None]:
        import polars as pl

        frame = pl.from_arrow(rows)
        if not isinstance(frame, pl.DataFrame) or frame.height == 0:
            return rows, None, None
        keys = record_keys(table, frame.columns)
        frame = frame.with_columns(
            pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="/", ignore_nulls=True).alias(RECORD_ID)
        )
        result = self.engine.protect_frame(
            frame,
            table=table,
            record_id_column=RECORD_ID,
            context=self.context,
            json_columns=[c for c in JSON_COLUMNS.get(table, ()) if c in frame.columns],
            passthrough_columns=[c for c in frame.columns if c in SYSTEM_COLUMNS or c in keys],
        )
        dates = frame.select(RECORD_ID, "event_date").unique(RECORD_ID, keep="first")
        audit = (
            result.audit.rename({"table": "table_name"})
            .join(dates, left_on="record_id", right_on=RECORD_ID, how="left")
            .select(AUDIT_COLUMNS)
        )
        subjects = (
            result.subjects.rename({"table": "table_name"})
            .join(dates, left_on="record_id", right_on=RECORD_ID, how="left")
            .select(SUBJECT_COLUMNS)
        )
        protected = result.frame.drop(RECORD_ID).to_arrow().cast(rows.schema)
        return protected, audit.to_arrow(), subjects.to_arrow()


@functools.cache
def default_protector() -> PiiProtector:
    """The engine with keys from the environment and the storage context (built once per process)."""
    from osa.config import is_development
    from osa.pii import PiiEngine, PolicyContext

    return PiiProtector(
        PiiEngine.from_env(allow_dev_keys=is_development()),
        PolicyContext(operation="storage", classification="internal", role="admin"),
    )


@dataclass(frozen=True)
class ProtectedRows:
    """Rows that have been through `protect_rows`; the only thing `write_protected` accepts."""

    table: str
    rows: pa.Table
    audit: pa.Table | None
    subjects: pa.Table | None


def protect_rows(table: str, rows: pa.Table, protector: Protector) -> ProtectedRows:
    """Pass every string value of `rows` through `protector` (the single choke point)."""
    protected, audit, subjects = protector.protect_table(table, rows)
    if protected.num_rows != rows.num_rows or protected.schema.names != rows.schema.names:
        raise RuntimeError(f"the protector changed the shape of {table}; refusing to write it")
    return ProtectedRows(table, protected, audit, subjects)


def write_protected(
    warehouse: Warehouse,
    protected: list[ProtectedRows],
    start: dt.date,
    end: dt.date,
    *,
    audit_source: str | None,
    restricted: dict[str, pa.Table] | None = None,
) -> int:
    """Replace the [start, end) window of every protected table in one transaction.

    The audit trail and subject-index rows go to ``pii_audit_<audit_source>`` / ``pii_subjects_<audit_source>``
    in the same transaction. With ``audit_source=None`` (gold: aggregates only) any finding is an error,
    because a gold table holding personal data is a bug upstream. `restricted` tables (bronze: the raw zone,
    which by design keeps source payloads) are the only tables accepted without protection.
    """
    for item in protected:
        if not isinstance(item, ProtectedRows):
            raise TypeError("silver, gold and quarantine tables are written only from protect_rows() output")
    tables = dict(restricted or {})
    for item in protected:
        tables[item.table] = item.rows
    audits = [item.audit for item in protected if item.audit is not None and item.audit.num_rows]
    subjects = [item.subjects for item in protected if item.subjects is not None and item.subjects.num_rows]
    if audit_source is None:
        if audits:
            found = sorted({item.table for item in protected if item.audit is not None and item.audit.num_rows})
            raise RuntimeError(f"personal data found in {found}, which must hold aggregates only")
    else:
        tables[f"pii_audit_{audit_source}"] = _concat(audits, AUDIT_COLUMNS)
        tables[f"pii_subjects_{audit_source}"] = _concat(subjects, SUBJECT_COLUMNS)
    return warehouse.replace_windows(tables, start, end)


def _concat(parts: list[pa.Table], columns: tuple[str, ...]) -> pa.Table:
    if parts:
        return pa.concat_tables(parts, promote_options="permissive")
    return pa.table(
        {
            c: pa.array([], pa.date32() if c == "event_date" else pa.float64() if c == "confidence" else pa.string())
            for c in columns
        }
    )
