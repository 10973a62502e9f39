"""Which rows belong together, derived from the catalogue (no hand-kept list of tables).

* a row's *record id* is its key columns joined with "/" (as the PII choke point writes it into the
  subject index and audit trail, `osa.privacy`);
* a silver or quarantine row links back to the bronze row it came from through the bronze table's key or
  identity columns that it also carries (`bronze_link`).
"""

from __future__ import annotations

from osa import catalog
from osa.catalog.model import Table

SUBJECT_TABLES = tuple(t.name for t in catalog.tables(layer="pii") if t.name.startswith("pii_subjects_"))


def record_id_sql(table: Table, alias: str = "") -> str:
    """SQL for the record id of a row of `table` (both dialects)."""
    prefix = f"{alias}." if alias else ""
    parts = ", ".join(f"CAST({prefix}{k} AS VARCHAR)" for k in table.key)
    return f"concat_ws('/', {parts})"


def bronze_link(table: Table) -> tuple[Table, tuple[str, ...]] | None:
    """(bronze table, columns both carry) for a table computed from bronze; None for any other."""
    for bronze in catalog.tables(layer="bronze"):
        if bronze.name in table.depends_on:
            for candidate in (bronze.key, *bronze.indexes):
                if candidate and all(c in table.column_names for c in candidate):
                    return bronze, tuple(candidate)
    return None


def linked_tables(bronze: Table) -> list[tuple[Table, tuple[str, ...]]]:
    """Tables whose rows link back to rows of `bronze`, with the linking columns."""
    found = []
    for table in catalog.TABLES:
        link = bronze_link(table) if table.layer in ("silver", "quarantine") else None
        if link and link[0].name == bronze.name:
            found.append((table, link[1]))
    return found
