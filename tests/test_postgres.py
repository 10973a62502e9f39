"""What only the PostgreSQL warehouse has: TimescaleDB hypertables, pgvector's HNSW index, the advisory lock
around migrations, the backend chosen by configuration, and a password that never leaks. Real server only
(a fresh database per test); see test_warehouse.py for the contract both backends share."""

from __future__ import annotations

import datetime as dt
import multiprocessing

import numpy as np
import psycopg
import pyarrow as pa
import pytest

from osa import catalog
from osa.warehouse import WarehouseNotReady, configured_warehouse
from osa.warehouse.base import migration_files
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from osa.warehouse.postgres_warehouse import PostgresWarehouse, redact_url, to_pg_placeholders
from pipelines.definitions import build_resources
from resources import WarehouseResource
from tests.backends import PARTITIONED_TABLES, apply_schema_and_report, with_required_columns

DAY1, DAY2 = dt.date(2026, 7, 1), dt.date(2026, 7, 2)
DIM = 1536


def test_lakehouse_tables_are_hypertables_with_their_declared_chunks(pg_database):
    store = PostgresWarehouse(pg_database)
    dimensions = {
        d["t"]: (d["c"], d["i"])
        for d in store.query("""
        SELECT hypertable_name AS t, column_name AS c, time_interval AS i FROM timescaledb_information.dimensions
        WHERE hypertable_schema = current_schema()""").to_pylist()
    }
    # every partitioned lakehouse table; the embeddings table stays plain for one global HNSW index
    assert {t: dimensions[t] for t in PARTITIONED_TABLES} == {
        t: ("event_date", dt.timedelta(days=catalog.table(t).chunk_days)) for t in PARTITIONED_TABLES
    }
    assert dimensions["metric_rollups_daily"][1] == dt.timedelta(days=30)  # V010
    assert "knowledge_items" not in dimensions
    assert store.is_hypertable("silver_agent_executions") and not store.is_hypertable("knowledge_items")


def test_concurrent_appliers_apply_each_migration_once(new_pg_database):
    url = new_pg_database(with_schema=False)
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    workers = [ctx.Process(target=apply_schema_and_report, args=(url, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    versions = [version for version, _ in migration_files("postgres")]
    assert outcomes == [[], [], [], versions]
    assert PostgresWarehouse(url).scalar("SELECT count(*) FROM schema_migrations") == len(versions)


def test_a_missing_vector_extension_is_a_clear_error_and_nothing_half_applied(new_pg_database):
    url = new_pg_database(empty=True)  # no extensions; role osa may not create `vector`
    store = PostgresWarehouse(url)
    with pytest.raises(PermissionError, match="CREATE EXTENSION vector"):
        store.apply_schema()
    assert store.scalar("SELECT to_regclass('bronze_intake_forms')::text") is None  # V001 rolled back whole
    assert store.scalar("SELECT count(*) FROM schema_migrations") == 0


# ------------------------------------------------------------------ pgvector
def _vector_literal(values: np.ndarray) -> str:
    return "[" + ",".join(f"{v:.7g}" for v in values) + "]"


def _embeddings(rng: np.random.Generator) -> tuple[pa.Table, np.ndarray, list[str]]:
    """1,200 vectors in 8 well-separated clusters, plus 5 planted at increasing distance from a query.
    The planted ones are the exact 5 nearest, in order."""
    centers = rng.standard_normal((8, DIM)).astype(np.float32)
    background = np.repeat(centers, 150, axis=0) + rng.standard_normal((1200, DIM)).astype(np.float32) * 0.6
    query = centers[0] + rng.standard_normal(DIM).astype(np.float32) * 0.05
    planted = np.stack(
        [query + rng.standard_normal(DIM).astype(np.float32) * eps for eps in (0.01, 0.02, 0.04, 0.08, 0.16)]
    )
    vectors = np.concatenate([background, planted]).astype(np.float32)
    ids = [f"bg-{i}" for i in range(1200)] + [f"near-{k}" for k in range(5)]
    days = [DAY1 if i % 2 else DAY2 for i in range(len(ids))]
    table = with_required_columns(
        "knowledge_items",
        pa.table(
            {
                "event_date": pa.array(days, pa.date32()),
                "item_id": ids,
                "embedding_model": ["text-embedding-3-small"] * len(ids),
                "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), DIM),
            }
        ),
    )
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    exact = np.argsort(1 - unit @ (query / np.linalg.norm(query)))[:5]
    assert [ids[i] for i in exact] == [f"near-{k}" for k in range(5)]  # the fixture means what it says
    return table, query, ids


NEAREST_SQL = (
    "SELECT item_id, embedding <=> ?::vector AS distance FROM knowledge_items ORDER BY embedding <=> ?::vector LIMIT 5"
)


def test_hnsw_nearest_neighbours_are_the_right_ones_and_use_the_index(pg_database, tmp_path):
    store = PostgresWarehouse(pg_database)
    table, query, _ = _embeddings(np.random.default_rng(42))
    assert store.replace_window("knowledge_items", table, DAY1, DAY2 + dt.timedelta(days=1)) == 1205
    with store.connect(autocommit=True) as con:
        con.execute("ANALYZE knowledge_items")
        literal = _vector_literal(query)
        plan = "\n".join(
            r[0] for r in con.execute("EXPLAIN " + to_pg_placeholders(NEAREST_SQL), [literal, literal]).fetchall()
        )
    assert "Index Scan using knowledge_items_embedding_hnsw_idx" in plan, plan
    nearest = store.query(NEAREST_SQL, [literal, literal]).to_pylist()
    assert [r["item_id"] for r in nearest] == [f"near-{k}" for k in range(5)]
    assert all(a["distance"] < b["distance"] for a, b in zip(nearest, nearest[1:], strict=False))
    # the same question on DuckDB (an exact scan) gives the same answer
    duck = DuckDBWarehouse(tmp_path / "w.duckdb")
    duck.apply_schema()
    duck.replace_window("knowledge_items", table, DAY1, DAY2 + dt.timedelta(days=1))
    exact = duck.query(
        f"SELECT item_id FROM knowledge_items ORDER BY array_cosine_distance(embedding, ?::FLOAT[{DIM}]) LIMIT 5",
        [query.tolist()],
    )
    assert exact.column(0).to_pylist() == [r["item_id"] for r in nearest]
    # vectors come back bit-identical
    back = store.query("SELECT embedding FROM knowledge_items WHERE item_id = 'near-0'")
    assert np.array_equal(
        np.asarray(back.column(0)[0].as_py(), np.float32),
        table.filter(pa.compute.equal(table["item_id"], "near-0"))["embedding"][0].values.to_numpy(),
    )


def test_a_wrong_dimension_is_rejected(pg_database):
    store = PostgresWarehouse(pg_database)
    bad = with_required_columns(
        "knowledge_items",
        pa.table(
            {
                "event_date": pa.array([DAY1], pa.date32()),
                "item_id": ["r"],
                "embedding_model": ["m"],
                "embedding": pa.FixedSizeListArray.from_arrays(pa.array(np.zeros(3, np.float32)), 3),
            }
        ),
    )
    with pytest.raises(psycopg.errors.DataException, match="1536"):
        store.replace_window("knowledge_items", bad, DAY1, DAY2)


def test_retention_on_the_plain_embeddings_table_deletes_old_days(pg_database):
    store = PostgresWarehouse(pg_database)
    days = [DAY1, DAY1, DAY1, DAY2, DAY2]
    table = with_required_columns(
        "knowledge_items",
        pa.table(
            {
                "event_date": pa.array(days, pa.date32()),
                "item_id": [f"r{i}" for i in range(5)],
                "embedding_model": ["m"] * 5,
                "embedding": pa.FixedSizeListArray.from_arrays(pa.array(np.ones(5 * DIM, np.float32)), DIM),
            }
        ),
    )
    store.replace_window("knowledge_items", table, DAY1, DAY2 + dt.timedelta(days=1))
    assert store.drop_before("knowledge_items", DAY2) == 3
    assert store.query("SELECT DISTINCT event_date FROM knowledge_items").column(0).to_pylist() == [DAY2]


# ------------------------------------------------------------------ configuration and secrets
def test_resource_builds_the_backend_from_configuration(pg_database, monkeypatch, tmp_path):
    resource = WarehouseResource(backend="postgres", database_url=pg_database)
    store = resource.get()
    assert isinstance(store, PostgresWarehouse)
    assert store.scalar("SELECT count(*) FROM schema_migrations") == len(migration_files("postgres"))
    with pytest.raises(ValueError, match="OSA_DATABASE_URL"):
        WarehouseResource(backend="postgres").get()
    with pytest.raises(ValueError, match="unknown warehouse backend"):
        WarehouseResource(backend="oracle").get()
    # through the environment, as Dagster's code location reads it (EnvVar, resolved at run time)
    monkeypatch.setenv("OSA_WAREHOUSE", "postgres")
    monkeypatch.setenv("OSA_DATABASE_URL", pg_database)
    built = build_resources()["warehouse"]
    resolved = built.process_config_and_initialize()
    assert isinstance(resolved.get(), PostgresWarehouse) and resolved.get().url == pg_database
    assert configured_warehouse().url == pg_database  # the same choice outside Dagster (the CLI)
    monkeypatch.setenv("OSA_DATABASE_URL", "")  # declared but empty, as build_resources() leaves an absent one
    with pytest.raises(ValueError, match="OSA_DATABASE_URL"):
        build_resources()["warehouse"].process_config_and_initialize().get()
    with pytest.raises(ValueError, match="OSA_DATABASE_URL"):
        configured_warehouse()
    monkeypatch.delenv("OSA_WAREHOUSE")  # the default stays the embedded DuckDB file
    monkeypatch.setenv("OSA_DUCKDB_PATH", str(tmp_path / "default.duckdb"))
    with pytest.raises(WarehouseNotReady, match="osa migrate"):  # get() never migrates: the startup step does
        build_resources()["warehouse"].process_config_and_initialize().get()
    configured_warehouse().prepare()
    assert isinstance(build_resources()["warehouse"].process_config_and_initialize().get(), DuckDBWarehouse)
    assert isinstance(configured_warehouse(), DuckDBWarehouse)


def test_the_password_never_appears_in_reprs_or_connection_errors():
    url = "postgresql://osa:Sup3r-S3cret@127.0.0.1:1/osa"  # nothing listens on port 1
    store = PostgresWarehouse(url, connect_timeout_s=2)
    assert "Sup3r-S3cret" not in repr(store) and "***" in repr(store)
    with pytest.raises(psycopg.OperationalError) as failure:
        store.query("SELECT 1")
    assert "Sup3r-S3cret" not in str(failure.value) and "127.0.0.1" in str(failure.value)
    assert redact_url("host=h user=u password=Sup3r-S3cret dbname=d") == "host=h user=u password=*** dbname=d"


def test_placeholders_are_translated_outside_literals_only():
    assert (
        to_pg_placeholders("SELECT ?, '?', \"a?\", $$ ? $$, 5 % 2 -- ?\n, ?")
        == "SELECT %s, '?', \"a?\", $$ ? $$, 5 %% 2 -- ?\n, %s"
    )


def test_copy_handles_column_types_beyond_the_lakehouse_schema(pg_database):
    """Unconstrained NUMERIC, VARCHAR[] and BIGINT[] (later migrations may use them) take the other COPY paths."""
    store = PostgresWarehouse(pg_database)
    with store.connect(autocommit=True) as con:
        con.execute(
            "CREATE TABLE extra_types (event_date DATE NOT NULL, amount NUMERIC, tags VARCHAR[], "
            "counts BIGINT[], at TIMESTAMP)"
        )
    rows = pa.table(
        {
            "event_date": pa.array([DAY1, DAY1, DAY1], pa.date32()),
            "amount": pa.array([0.1, None, -12345.678]),
            "tags": pa.array([["a", "b"], [], None], pa.list_(pa.string())),
            "counts": pa.array([[1, 2**40], None, []], pa.list_(pa.int64())),
            "at": pa.array([dt.datetime(2026, 7, 1, 12, 30), None, dt.datetime(1999, 1, 1)], pa.timestamp("us")),
        }
    )
    assert store.replace_window("extra_types", rows, DAY1, DAY2) == 3
    back = store.query("SELECT amount, tags, counts, at FROM extra_types ORDER BY at NULLS LAST").to_pylist()
    assert back == [
        {"amount": -12345.678, "tags": None, "counts": [], "at": dt.datetime(1999, 1, 1)},
        {"amount": 0.1, "tags": ["a", "b"], "counts": [1, 2**40], "at": dt.datetime(2026, 7, 1, 12, 30)},
        {"amount": None, "tags": [], "counts": None, "at": None},
    ]
