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

from osa import catalog
from osa.catalog.tables import ORGANIZATION
from osa.warehouse.base import Warehouse


class Protector(Protocol):
    """Anything that can protect the string values of a table."""

    def protect_table(self, table: str, rows: pa.Table) -> tuple[pa.Table, pa.Table | None, pa.Table | None]:
        """Return (protected rows, audit rows or None, subject-index rows or None)."""


class PassThroughProtector:
    """Leaves values unchanged. Only for running the pipeline before a PII engine is configured."""

    def protect_table(self, table: str, rows: pa.Table) -> tuple[pa.Table, None, None]:
        return rows, None, None


RECORD_ID = "_record_id"
# The audit trail and subject index have the same columns whatever the source (see the catalogue).
AUDIT_COLUMNS = catalog.table("pii_audit_intake_forms").column_names
SUBJECT_COLUMNS = catalog.table("pii_subjects_intake_forms").column_names


def record_keys(table: str) -> tuple[str, ...]:
    """The columns that identify a row of `table` in the audit trail and subject index: its catalogue key."""
    return catalog.table(table).key


def passthrough_columns(table: str) -> tuple[str, ...]:
    """Columns copied without scanning: values the pipeline generates (privacy category ``system.*``) and the
    record key. Every other text column is scanned (see `osa.catalog.model.Column.scanned`)."""
    return catalog.table(table).passthrough_columns


def engine_names(table: str) -> dict[str, str]:
    """The names under which the PII engine sees columns the catalogue declares to name an organisation.

    The engine reads key names, and ``client_name`` alone reads as a person's name; by the contract (the
    specification's "name of the client organization") it is the client organisation. Such a column
    (category ``user.contact.organization``, a name ending in ``name``, not part of the key) is shown to the
    engine as ``<column>_organization_name``: scanned for personal data inside it like any text, never
    pseudonymized as a person's name. The audit trail and subject index keep the real column name.
    """
    spec = catalog.table(table)
    return {
        c.name: f"{c.name}_organization_name"
        for c in spec.columns
        if c.privacy == ORGANIZATION and c.name.endswith("name") and c.name not in spec.key
    }


def json_columns(table: str) -> tuple[str, ...]:
    """Columns holding JSON documents, which the engine walks as JSON."""
    return catalog.table(table).json_columns


class PiiProtector:
    """The PII engine at the choke point: storage policy (pseudonymize by default), audit and subjects."""

    def __init__(self, engine, context) -> None:  # osa.pii.PiiEngine, osa.pii.PolicyContext
        self.engine = engine
        self.context = context

    def __repr__(self) -> str:
        return f"PiiProtector(context={self.context!r})"

    def protect_table(self, table: str, rows: pa.Table) -> tuple[pa.Table, pa.Table | None, pa.Table | None]:
        """Every text column passes the engine, keys included. Keys go first, on their own: the record id of
        the audit trail and subject index is built from the *protected* key values, so a sender who puts
        personal data into an id gets a stable pseudonym there and nowhere a raw value (ids without personal
        data, such as digests, come back unchanged and so do their record ids)."""
        import polars as pl

        frame = pl.from_arrow(rows)
        if not isinstance(frame, pl.DataFrame) or frame.height == 0:
            return rows, None, None
        aliases = engine_names(table)
        frame = frame.rename(aliases)
        real_names = {alias: name for name, alias in aliases.items()}
        keys = record_keys(table)
        text_keys = [k for k in keys if frame.schema[k] in (pl.String, pl.List(pl.String))]
        key_result = None
        if text_keys:
            provisional = (
                frame.select(text_keys).with_row_index(RECORD_ID).with_columns(pl.col(RECORD_ID).cast(pl.String))
            )
            key_result = self.engine.protect_frame(
                provisional, table=table, record_id_column=RECORD_ID, context=self.context
            )
            frame = frame.with_columns(key_result.frame.select(text_keys))
        frame = frame.with_columns(
            pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="/", ignore_nulls=True).alias(RECORD_ID)
        )
        result = self.engine.protect_frame(
            frame,
            table=table,
            record_id_column=RECORD_ID,
            context=self.context,
            json_columns=[c for c in json_columns(table) if c in frame.columns],
            passthrough_columns=[c for c in (*passthrough_columns(table), *keys) if c in frame.columns],
        )
        audit_parts, subject_parts = [result.audit], [result.subjects]
        if key_result is not None and key_result.audit.height:
            # findings in key columns: their provisional record id (the row number) becomes the real one
            row_ids = frame.select(pl.int_range(pl.len()).cast(pl.String).alias("row"), pl.col(RECORD_ID))
            for part, parts in ((key_result.audit, audit_parts), (key_result.subjects, subject_parts)):
                parts.insert(
                    0,
                    part.join(row_ids, left_on="record_id", right_on="row", how="left")
                    .with_columns(pl.col(RECORD_ID).alias("record_id"))
                    .drop(RECORD_ID)
                    .select(part.columns),
                )
        dates = frame.select(RECORD_ID, "event_date").unique(RECORD_ID, keep="first")
        audit = (
            pl.concat(audit_parts, how="vertical_relaxed")
            .rename({"table": "table_name"})
            .with_columns(pl.col("field_path").replace(real_names))
            .join(dates, left_on="record_id", right_on=RECORD_ID, how="left")
            .select(AUDIT_COLUMNS)
        )
        subjects = (
            pl.concat(subject_parts, how="vertical_relaxed")
            .rename({"table": "table_name"})
            .with_columns(pl.col("field_path").replace(real_names))
            .join(dates, left_on="record_id", right_on=RECORD_ID, how="left")
            .select(SUBJECT_COLUMNS)
        )
        protected = result.frame.drop(RECORD_ID).rename(real_names).to_arrow().cast(rows.schema)
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


def text_redactor(protector: PiiProtector | None = None):
    """The choke point in front of an external API (embeddings, chat): each text as the storage policy
    protects it, so what leaves the machine is what the warehouse would store."""
    chosen = protector or default_protector()
    engine, context = chosen.engine, chosen.context
    return lambda texts: engine.protect_texts(list(texts), context=context)


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
        tables[f"pii_audit_{audit_source}"] = _concat(audits, f"pii_audit_{audit_source}")
        tables[f"pii_subjects_{audit_source}"] = _concat(subjects, f"pii_subjects_{audit_source}")
    return warehouse.replace_windows(tables, start, end)


def _concat(parts: list[pa.Table], table: str) -> pa.Table:
    if parts:
        return pa.concat_tables(parts, promote_options="permissive")
    return catalog.table(table).arrow_schema.empty_table()
