"""The one choke point every string bound for silver, gold or quarantine passes through.

`protect_rows` is the only function that produces `ProtectedRows`, and `write_protected` (the only
way assets write silver/gold/quarantine tables) accepts nothing else, so no table can reach the
warehouse around it. The protector that does the work is pluggable: the PII engine (`osa.pii`) in
production; a pass-through exists only so the pipeline can run before an engine is configured.
"""

from __future__ import annotations

import datetime as dt
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


def write_protected(warehouse: Warehouse, protected: list[ProtectedRows], start: dt.date, end: dt.date, *,
                    restricted: dict[str, pa.Table] | None = None) -> int:
    """Replace the [start, end) window of every protected table in one transaction.

    `restricted` tables (bronze: the raw zone, which by design keeps source payloads) are written in
    the same transaction; they are the only tables accepted without protection.
    """
    for item in protected:
        if not isinstance(item, ProtectedRows):
            raise TypeError("silver, gold and quarantine tables are written only from protect_rows() output")
    tables = dict(restricted or {})
    for item in protected:
        tables[item.table] = item.rows
    return warehouse.replace_windows(tables, start, end)
