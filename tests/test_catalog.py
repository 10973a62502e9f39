"""The table catalogue is the one declaration: migrations, comments, docs, Dagster specs and PII settings agree
with it, on both backends, checked through real databases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from osa import catalog
from osa.catalog import ddl, docs
from osa.catalog.model import RETENTION_CATEGORIES
from osa.warehouse.base import Warehouse
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from osa.warehouse.postgres_warehouse import PostgresWarehouse


def _open(backend: str, location: str) -> Warehouse:
    return DuckDBWarehouse(location) if backend == "duckdb" else PostgresWarehouse(location)


def test_committed_migrations_build_exactly_the_catalogue(warehouse: Warehouse):
    """Applying sql/<backend>/V*.sql to a new warehouse gives the catalogue's tables, columns (order, type,
    nullability) and nothing else; a drift in either fails here."""
    assert ddl.drift(warehouse.live_columns(), warehouse.backend) == []
    assert set(warehouse.table_comments()) == set(catalog.CATALOG)


def test_catalogue_ddl_builds_the_same_schema_as_the_migrations(backend: str, warehouse_location: str):
    """The DDL rendered from the catalogue (what `python -m osa.catalog.ddl new` writes from) builds a schema
    the live-schema comparison accepts: renderer and comparison agree with each other."""
    store = _open(backend, warehouse_location)
    store.execute([s for s in ddl.schema_sql(backend).split(";\n") if s.strip()])
    assert ddl.drift(store.live_columns(), backend) == []


def test_prepare_syncs_comments_from_the_catalogue_and_is_idempotent(backend: str, warehouse_location: str):
    store = _open(backend, warehouse_location)
    first = store.prepare()
    assert first["migrations_applied"] and first["comments_updated"] > 0 and first["views_created"] > 0
    assert store.prepare() == {"migrations_applied": [], "comments_updated": 0, "views_created": 0}
    comments = {(c.table, c.name): c.comment for c in store.live_columns()}
    for table in catalog.TABLES:
        assert store.table_comments()[table.name] == ddl.table_comment(table)
        for column in table.columns:
            assert comments[(table.name, column.name)] == ddl.column_comment(column)
    assert comments[("silver_intake_forms", "contact_name")].endswith("[privacy: user.name]")


_PREPARE_AT_ONCE = """
import json, os, sys, time
from pathlib import Path
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from osa.warehouse.postgres_warehouse import PostgresWarehouse
backend, location, ready, runs = sys.argv[1:5]
store = DuckDBWarehouse(location) if backend == "duckdb" else PostgresWarehouse(location)
Path(ready, str(os.getpid())).touch()
while len(list(Path(ready).iterdir())) < int(runs):
    time.sleep(0.005)
print(json.dumps(store.prepare()))
"""


def test_startups_at_the_same_moment_serialize(backend: str, warehouse_location: str, tmp_path: Path):
    """Runs launched together each run the startup step on a new warehouse at once: every one succeeds, the
    first does all the work and the others find it done (unserialized, two saw a view missing and the second
    CREATE failed, which is how three concurrent runs once ended in CI)."""
    ready = tmp_path / "ready"
    ready.mkdir()
    runs = 3
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PREPARE_AT_ONCE, backend, warehouse_location, str(ready), str(runs)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(runs)
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    did_work = [o for o in outcomes if o["migrations_applied"]]
    assert len(did_work) == 1 and did_work[0]["comments_updated"] > 0 and did_work[0]["views_created"] > 0
    nothing_left = {"migrations_applied": [], "comments_updated": 0, "views_created": 0}
    assert [o for o in outcomes if o is not did_work[0]] == [nothing_left] * (runs - 1), outcomes


def test_a_hand_made_change_is_drift_and_a_new_column_becomes_a_migration(tmp_path: Path):
    store = DuckDBWarehouse(tmp_path / "w.duckdb")
    store.prepare()
    store.execute(
        [
            "ALTER TABLE silver_recommendations ADD COLUMN surprise VARCHAR",
            "ALTER TABLE gold_workflow_completion_daily ALTER COLUMN workflows DROP NOT NULL",
            "ALTER TABLE silver_cmp_issues DROP COLUMN suggestion",
        ]
    )
    problems = ddl.drift(store.live_columns(), "duckdb")
    assert any(p.startswith("silver_recommendations: columns") for p in problems)
    assert "gold_workflow_completion_daily.workflows: nullable in the warehouse, NOT NULL in the catalogue" in problems
    assert any(p.startswith("silver_cmp_issues: columns") for p in problems)
    fresh = DuckDBWarehouse(tmp_path / "old.duckdb")
    fresh.execute(["CREATE TABLE silver_cmp_issues (event_date DATE NOT NULL)"])
    statements = ddl.migration_statements(fresh.live_columns(), "duckdb")
    assert "ALTER TABLE silver_cmp_issues ADD COLUMN suggestion VARCHAR;" in statements
    assert "ALTER TABLE silver_cmp_issues ALTER COLUMN delivery_id SET NOT NULL;" in statements
    assert any(s.startswith("CREATE TABLE IF NOT EXISTS gold_agent_performance_daily") for s in statements)


def test_generated_docs_are_current():
    result = subprocess.run([sys.executable, "-m", "osa.catalog.docs", "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + " -- run: python -m osa.catalog.docs"
    text = docs.CATALOG_MD.read_text()
    for table in catalog.TABLES:
        assert f"### `{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text


def test_every_table_declares_retention_owner_and_descriptions():
    for table in catalog.TABLES:
        assert table.retention in RETENTION_CATEGORIES, table.name
        assert table.owner.startswith("team:") and table.description and table.grain, table.name
        assert table.columns[0].name == table.partition_column, table.name
        assert set(table.key) <= set(table.column_names), table.name
        assert set(table.depends_on) <= set(catalog.CATALOG), table.name
        for column in table.columns:
            assert column.description.strip(), f"{table.name}.{column.name} has no description"


def test_privacy_categories_are_fideslang_and_the_export_validates():
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY
    from fideslang.models import Dataset

    known = {category.fides_key for category in DEFAULT_TAXONOMY.data_category}
    for table in catalog.TABLES:
        for column in table.columns:
            assert column.privacy in known, f"{table.name}.{column.name}: {column.privacy}"
    dataset = Dataset.model_validate(yaml.safe_load(docs.FIDES_YAML.read_text())["dataset"][0])
    assert sorted(c.name for c in dataset.collections) == sorted(catalog.CATALOG)


def test_every_text_column_is_scanned_at_the_choke_point():
    """Every text column of a table written through the choke point is scanned, keys and ids included (issue 9:
    a sender can put an e-mail into an id); only non-text columns are copied. Derived, so a new column is
    covered."""
    from osa.privacy import passthrough_columns

    for table in catalog.protected_tables():
        unscanned = set(passthrough_columns(table.name))
        for column in table.columns:
            assert (column.name in unscanned) == (not column.type.is_text), f"{table.name}.{column.name}"


@pytest.mark.parametrize("name", ["", "nope"])
def test_unknown_tables_name_the_catalogue(name: str):
    with pytest.raises(KeyError, match="osa/catalog/tables.py"):
        catalog.table(name)
