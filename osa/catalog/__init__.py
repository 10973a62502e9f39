"""The table catalogue: every warehouse table declared once (`osa.catalog.tables`), everything else derived.

from osa.catalog import CATALOG, table
table("silver_recommendations").columns
"""

from __future__ import annotations

from osa.catalog.model import RETENTION_CATEGORIES, Column, SqlType, Table
from osa.catalog.tables import EMBEDDING_DIMENSIONS, TABLES

CATALOG: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The declared table `name` (KeyError names the catalogue when it is not declared)."""
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"{name!r} is not in the table catalogue (osa/catalog/tables.py)") from None


def tables(*, layer: str | None = None, step: str | None = None) -> list[Table]:
    """Declared tables, optionally only one layer's or one pipeline step's, in catalogue order."""
    return [t for t in TABLES if (layer is None or t.layer == layer) and (step is None or t.step == step)]


def protected_tables() -> list[Table]:
    """Tables written through the PII choke point (silver, quarantine, gold): the leak check scans them."""
    return [t for t in TABLES if t.layer in ("silver", "quarantine", "gold")]


def insight_tables() -> list[Table]:
    """The agent-specific insight tables, one per OPAL agent."""
    return [t for t in TABLES if t.agent is not None]


__all__ = [
    "CATALOG",
    "EMBEDDING_DIMENSIONS",
    "RETENTION_CATEGORIES",
    "Column",
    "SqlType",
    "Table",
    "TABLES",
    "insight_tables",
    "protected_tables",
    "table",
    "tables",
]
