"""Dagster asset specs derived from the table catalogue (never retyped here).

Each catalogue table becomes one asset with its description, group (the layer), owner, kinds of the
configured backend, tags, the column schema with descriptions and constraints in the *definition* (so the
UI shows it before any run), and code references to its declaration and the code that computes it.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import dagster as dg

from assets.partitions import DAILY
from osa.catalog import Table
from osa.catalog import tables as catalog_tables
from osa.catalog.model import RETENTION_CATEGORIES, Column
from osa.warehouse import configured_backend

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_FILE = PROJECT_ROOT / "osa" / "catalog" / "tables.py"
PARTITIONS_NOTE = (
    "Daily partitions by receiving day (UTC) from the first day of data; a day with no landing files is "
    'materialized with 0 rows ("no rows that day"); a day no run has covered yet (after the last run, or '
    "today) shows as missing until the landing sensor or the nightly run reaches it."
)
# The landing zone: raw files, outside the warehouse, shown as external assets at the top of the lineage.
LANDING_ASSETS = {"intake_forms": "landing_intake_forms", "opal_deliveries": "landing_opal_deliveries"}


def _constraints(column: Column) -> dg.TableColumnConstraints:
    other = []
    if column.allowed:
        other.append("one of: " + ", ".join(column.allowed))
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else f"{column.minimum:g}"
        high = "" if column.maximum is None else f"{column.maximum:g}"
        other.append(f"range [{low}, {high}]")
    other.append(f"privacy: {column.privacy}")
    return dg.TableColumnConstraints(nullable=column.nullable, other=other)


def table_schema(table: Table) -> dg.TableSchema:
    """The column schema as analysts read it: readable types, descriptions, nullability, allowed values."""
    key = f"unique key: ({', '.join(table.key)})" if table.key else "no unique key (an event log)"
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.type.label, description=c.description, constraints=_constraints(c))
            for c in table.columns
        ],
        constraints=dg.TableConstraints(other=[key, f"partitioned by {table.partition_column} (daily)"]),
    )


def _declaration_line(table: Table) -> int:
    """The line declaring the table in the catalogue (tables built by a helper: the helper's name line)."""
    lines = CATALOGUE_FILE.read_text().splitlines()
    for needle in (f'"{table.name}"', 'f"' + table.name.rsplit("_", 2)[0] + "_{"):
        for number, line in enumerate(lines, start=1):
            if needle in line:
                return number
    return 1


def code_references(table: Table, *computed_by: object) -> dg.CodeReferencesMetadataValue:
    references = [
        dg.LocalFileCodeReference(
            file_path=str(CATALOGUE_FILE), line_number=_declaration_line(table), label="declaration"
        )
    ]
    for obj in computed_by:
        source = inspect.getsourcefile(obj)  # type: ignore[arg-type]
        if source:
            line = inspect.getsourcelines(obj)[1]  # type: ignore[arg-type]
            references.append(dg.LocalFileCodeReference(file_path=source, line_number=line, label="computed by"))
    return dg.CodeReferencesMetadataValue(code_references=references)


def asset_spec(table: Table, *computed_by: object, extra_deps: tuple[str, ...] = ()) -> dg.AssetSpec:
    """The asset for one catalogue table."""
    backend = configured_backend()
    personal = any(c.personal for c in table.columns)
    return dg.AssetSpec(
        table.name,
        description=f"{table.description}\n\nOne row = {table.grain}. {PARTITIONS_NOTE}",
        group_name=table.layer,
        owners=[table.owner],
        partitions_def=DAILY,
        deps=[*table.depends_on, *extra_deps],
        kinds={backend.kind, "polars"} if table.step != "embeddings" else {backend.kind},
        tags={"layer": table.layer, "retention": table.retention, **({"privacy": "personal"} if personal else {})},
        metadata={
            "dagster/column_schema": table_schema(table),
            "dagster/table_name": table.name,
            "grain": table.grain,
            "retention": f"{table.retention}: {RETENTION_CATEGORIES[table.retention]}",
            "partition_column": table.partition_column,
            "dagster/code_references": code_references(table, *computed_by),
        },
    )


def step_specs(step: str, *computed_by: object) -> list[dg.AssetSpec]:
    """Specs of every table a pipeline step writes, in catalogue order; bronze depends on its landing files."""
    landing = LANDING_ASSETS.get(step)
    return [
        asset_spec(t, *computed_by, extra_deps=(landing,) if landing and t.layer == "bronze" else ())
        for t in catalog_tables(step=step)
    ]


def landing_specs() -> list[dg.AssetSpec]:
    """The landing zone's files as external assets (written by senders, not by Dagster)."""
    from osa.config import default_landing_dir

    return [
        dg.AssetSpec(
            key,
            description=f"Raw {source.replace('_', ' ')} as received: JSONL files under "
            f"<landing>/{source}/dt=<day>/ (day = receiving day). Written by the senders and `osa ingest`; "
            "the landing sensor starts a run when files arrive or change.",
            group_name="landing",
            owners=["team:data-platform"],
            kinds={"file", "json"},
            tags={"layer": "landing", "retention": "pii_data", "privacy": "personal"},
            metadata={"path": dg.MetadataValue.path(str(default_landing_dir() / source))},
        )
        for source, key in LANDING_ASSETS.items()
    ]
