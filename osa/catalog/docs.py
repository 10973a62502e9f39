"""Generated documents: `docs/catalog.md` and the fideslang dataset annotation (`docs/fides-dataset.yml`).

python -m osa.catalog.docs          # rewrite both files from the catalogue
python -m osa.catalog.docs --check  # exit 1 when either differs (CI runs the test that does this)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from osa.catalog.model import RETENTION_CATEGORIES, Column, Table
from osa.catalog.tables import TABLES

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
CATALOG_MD = DOCS_DIR / "catalog.md"
FIDES_YAML = DOCS_DIR / "fides-dataset.yml"
LAYER_ORDER = ("bronze", "silver", "quarantine", "pii", "gold", "knowledge", "metrics", "compliance")


def _rule(column: Column) -> str:
    parts = []
    if column.allowed:
        parts.append("one of " + ", ".join(f"`{v}`" for v in column.allowed))
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else f"{column.minimum:g}"
        high = "" if column.maximum is None else f"{column.maximum:g}"
        parts.append(f"in [{low}, {high}]")
    if column.scanned:
        parts.append("PII-scanned")
    return "; ".join(parts)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _table_section(table: Table) -> list[str]:
    lines = [
        f"### `{table.name}`",
        "",
        _escape(table.description),
        "",
        f"- **grain:** {table.grain}",
        f"- **key:** {', '.join(f'`{k}`' for k in table.key) or 'none (an event log)'}",
        f"- **owner:** {table.owner} · **written by:** the `{table.step}` step · "
        f"**partition:** `{table.partition_column}` (daily)",
        f"- **retention:** `{table.retention}` ({RETENTION_CATEGORIES[table.retention]})",
    ]
    if table.depends_on:
        lines.append(f"- **reads:** {', '.join(f'`{d}`' for d in table.depends_on)}")
    if table.figures:
        lines.append(f"- **daily figures in the UI:** {', '.join(f'`{f}`' for f in table.figures)}")
    lines += [
        "",
        "| column | type | null | privacy | rule | description |",
        "|---|---|---|---|---|---|",
    ]
    for c in table.columns:
        lines.append(
            f"| `{c.name}` | {c.type.label} | {'yes' if c.nullable else 'no'} | `{c.privacy}` | "
            f"{_escape(_rule(c))} | {_escape(c.description)} |"
        )
    return lines + [""]


def render_markdown() -> str:
    lines = [
        "# Table catalogue",
        "",
        "<!-- Generated from osa/catalog/tables.py by `python -m osa.catalog.docs`; do not edit by hand. -->",
        "",
        "Every warehouse table, declared once in `osa/catalog/tables.py`. The DDL of both dialects (checked "
        "against the committed migrations), the Dagster asset specs and column schemas, the warehouse's column "
        "comments, the PII choke point's settings, the data-quality checks and this page derive from it. "
        "Privacy categories are [fideslang](https://ethyca.github.io/fideslang/) data categories; the whole "
        "catalogue is exported for privacy tools in `docs/fides-dataset.yml`.",
        "",
        "`system.*` categories are values the pipeline generates or identifiers, `user.*` personal data. In "
        "silver, quarantine and gold every text column, keys included, passes through the PII engine "
        '("PII-scanned"); a key holding personal data is stored as its stable pseudonym.',
        "",
        "| layer | table | grain | rows written by |",
        "|---|---|---|---|",
    ]
    ordered = sorted(TABLES, key=lambda t: LAYER_ORDER.index(t.layer))
    lines += [f"| {t.layer} | [`{t.name}`](#{t.name}) | {t.grain} | `{t.step}` |" for t in ordered]
    lines.append("")
    for layer in LAYER_ORDER:
        members = [t for t in ordered if t.layer == layer]
        if members:
            lines += [f"## {layer}", ""]
            for table in members:
                lines += _table_section(table)
    return "\n".join(lines).rstrip() + "\n"


def fides_dataset() -> dict:
    """The catalogue as a fideslang Dataset (collections = tables, fields = columns, data_categories)."""
    return {
        "dataset": [
            {
                "fides_key": "osa_lakehouse",
                "name": "OSA Lakehouse warehouse",
                "description": "Tables of the OSA Lakehouse (generated from osa/catalog/tables.py).",
                "collections": [
                    {
                        "name": t.name,
                        "description": t.description,
                        "fields": [
                            {"name": c.name, "description": c.description, "data_categories": [c.privacy]}
                            for c in t.columns
                        ],
                    }
                    for t in TABLES
                ],
            }
        ]
    }


def render_fides() -> str:
    header = "# Generated from osa/catalog/tables.py by `python -m osa.catalog.docs`; do not edit by hand.\n"
    return header + yaml.safe_dump(fides_dataset(), sort_keys=False, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m osa.catalog.docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when a generated file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in ((CATALOG_MD, render_markdown()), (FIDES_YAML, render_fides())):
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path)
        else:
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("out of date: " + ", ".join(map(str, stale)) + " (run: python -m osa.catalog.docs)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
