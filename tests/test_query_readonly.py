"""`osa query` is read-only by construction: every known attack on the old path fails on a real DuckDB file
and a real PostgreSQL database, and leaves the warehouse, the file system and the environment untouched."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
import pytest

from osa.warehouse.base import SQL_DIR, migration_files
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from osa.warehouse.postgres_warehouse import PostgresWarehouse
from osa.warehouse.readonly import ReadOnlyQueryRefused, check_pg_readonly
from tests.conftest import osa_env

OSA = str(Path(sys.executable).with_name("osa"))
REPO = Path(__file__).resolve().parents[1]
SECRET = "s3cr3t-value-from-the-environment-4711"
DAY = dt.date(2024, 3, 5)


def _rows() -> pa.Table:
    return pa.table(
        {
            "event_date": pa.array([DAY, DAY], pa.date32()),
            "table_name": ["t", "t"],
            "record_id": ["r1", "r2"],
            "field_path": ["a", "b"],
            "pii_type": ["email", "email"],
            "mode": ["mask", "mask"],
            "confidence": [0.9, 0.8],
            "detector": ["d", "d"],
            "fingerprint": ["f1", "f2"],
        }
    )


TABLE = "pii_audit_intake_forms"


def _count(store) -> tuple[int, int]:
    return store.scalar(f"SELECT count(*) FROM {TABLE}"), store.scalar("SELECT count(*) FROM schema_migrations")


def _osa(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([OSA, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def _one_line_refusal(completed: subprocess.CompletedProcess) -> None:
    assert completed.returncode != 0
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("osa query: error:"), completed.stderr
    assert "Traceback" not in completed.stderr


# ---------------------------------------------------------------------------------------------- DuckDB
@pytest.fixture
def duck(tmp_path: Path) -> DuckDBWarehouse:
    store = DuckDBWarehouse(tmp_path / "w.duckdb")
    store.prepare()
    store.replace_window(TABLE, _rows(), DAY, DAY + dt.timedelta(days=1))
    return store


def _duck_attacks(sentinel: Path, path: Path) -> list[str]:
    return [
        "SELECT * FROM read_text('/proc/self/environ')",
        "SELECT * FROM read_csv('/etc/passwd')",
        f"SELECT * FROM read_text('{path}')",
        f"COPY {TABLE} TO '{sentinel}'",
        f"COPY (SELECT 1) TO '{sentinel}'",
        f"ATTACH '{path}' AS rw (READ_ONLY false)",
        f"ATTACH '{sentinel}' AS fresh",
        f"ATTACH '{path}' AS rw (READ_ONLY false); USE rw; DELETE FROM {TABLE}; DETACH rw",
        f"DELETE FROM {TABLE}",
        f"SELECT 1; DELETE FROM {TABLE}",
        "SET enable_external_access = true",
        "RESET lock_configuration",
        "PRAGMA enable_profiling",
        "SET threads = 1",
        f"EXPORT DATABASE '{sentinel}'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "CHECKPOINT",
        "CREATE TEMP TABLE x AS SELECT 1",
        "SELECT * FROM glob('/*')",
        "",
        "   ;  ",
    ]


def test_duckdb_attacks_fail_and_change_nothing(duck: DuckDBWarehouse, tmp_path: Path):
    sentinel = tmp_path / "sentinel.out"
    before = _count(duck)
    file_before = duck.path.read_bytes()
    files_before = {p.name for p in tmp_path.iterdir()}  # the warehouse and its lock files, nothing else
    for attack in _duck_attacks(sentinel, duck.path):
        with pytest.raises((ReadOnlyQueryRefused, duckdb.Error)):
            duck.query_readonly(attack, 5)
        assert not sentinel.exists(), attack
        assert _count(duck) == before, attack
    assert duck.path.read_bytes() == file_before
    assert {p.name for p in tmp_path.iterdir()} == files_before


def test_duckdb_select_like_statements_work(duck: DuckDBWarehouse):
    assert duck.query_readonly(f"SELECT count(*) AS n FROM {TABLE}", 5).to_pylist() == [{"n": 2}]
    assert duck.query_readonly(f"WITH x AS (SELECT record_id FROM {TABLE}) SELECT max(record_id) AS m FROM x;", 5)[
        "m"
    ].to_pylist() == ["r2"]
    assert duck.query_readonly(f"FROM {TABLE} SELECT count(*) AS n", 5).to_pylist() == [{"n": 2}]
    assert duck.query_readonly(f"DESCRIBE {TABLE}", 5).num_rows == 9
    assert duck.query_readonly("SELECT current_setting('TimeZone') AS tz", 5).to_pylist() == [{"tz": "UTC"}]


def test_duckdb_long_query_is_interrupted_near_the_timeout(duck: DuckDBWarehouse):
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="longer than 1s"):
        duck.query_readonly("SELECT count(*) FROM range(1000000000000) a", 1)
    assert 0.9 < time.monotonic() - started < 5
    assert duck.query_readonly("SELECT 1 AS one", 5).to_pylist() == [{"one": 1}]  # the lock was released


def test_cli_duckdb_file_read_is_refused_and_select_prints_rows(duck: DuckDBWarehouse, tmp_path: Path):
    env = osa_env(tmp_path) | {"OSA_DUCKDB_PATH": str(duck.path), "OSA_TEST_SECRET": SECRET}
    for attack in (
        "SELECT * FROM read_text('/proc/self/environ')",
        f"COPY {TABLE} TO '{tmp_path / 'sentinel.csv'}'",
        f"ATTACH '{duck.path}' AS rw (READ_ONLY false)",
    ):
        completed = _osa("query", attack, env=env)
        _one_line_refusal(completed)
        assert SECRET not in completed.stdout + completed.stderr
    assert not (tmp_path / "sentinel.csv").exists()
    completed = _osa("query", f"SELECT record_id FROM {TABLE} ORDER BY record_id", env=env)
    assert completed.returncode == 0, completed.stderr
    assert "r1" in completed.stdout and "r2" in completed.stdout
    started = time.monotonic()
    completed = _osa("query", "SELECT count(*) FROM range(1000000000000) a", "--timeout", "1", env=env)
    _one_line_refusal(completed)
    assert "interrupted" in completed.stderr and time.monotonic() - started < 30
    _one_line_refusal(_osa("query", "SELECT 1", "--timeout", "0", env=env))
    assert _count(duck) == (2, len(migration_files("duckdb")))  # no row and no migration record added


# ---------------------------------------------------------------------------------------------- PostgreSQL
def _superuser(database: str, statement: str) -> None:
    """Run `statement` as the cluster's superuser (scripts/pg.sh, over its private socket)."""
    subprocess.run(
        ["bash", str(REPO / "scripts/pg.sh"), "psql", "-d", database, "-v", "ON_ERROR_STOP=1", "-qc", statement],
        env=os.environ | {"OSA_PG_SUPERUSER": "1"},
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
def pg(pg_database: str) -> PostgresWarehouse:
    store = PostgresWarehouse(pg_database)
    store.prepare()
    store.replace_window(TABLE, _rows(), DAY, DAY + dt.timedelta(days=1))
    return store


@pytest.fixture
def pg_with_reader(pg: PostgresWarehouse):
    """`pg` where the reader role exists: created by the superuser as V005 tells an administrator to (the
    test cluster's role may not create roles), then V005 itself run by the warehouse role grants it."""
    database = pg.url.rsplit("/", 1)[1]
    reader = f"{database}_reader"
    _superuser(database, f'CREATE ROLE "{reader}" NOLOGIN; GRANT "{reader}" TO osa')
    try:
        pg.execute([(SQL_DIR / "postgres" / "V005__readonly_role.sql").read_text()])
        yield pg, reader
    finally:
        _superuser(database, f'DROP OWNED BY "{reader}"; DROP ROLE "{reader}"')


def _pg_attacks(victim_pid: int) -> list[str]:
    insert = "INSERT INTO schema_migrations (version, name) VALUES ('V999', 'x')"
    return [
        f"set transaction read write; {insert}; commit",
        f"begin read write; {insert}; commit",
        f"commit; begin read write; {insert}; commit",
        "set transaction read write",
        "SELECT set_config('transaction_read_only', 'off', false)",
        f"SELECT pg_terminate_backend({victim_pid})",
        f'SELECT pg_catalog."pg_terminate_backend"({victim_pid})',
        f"SELECT pg_cancel_backend({victim_pid})",
        f"SELECT set_config('role', 'none', true), pg_terminate_backend({victim_pid})",
        f"SELECT query_to_xml('DELETE FROM {TABLE} RETURNING 1', true, true, '')",
        f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE",
        f"WITH gone AS (DELETE FROM {TABLE} RETURNING *) SELECT count(*) FROM gone",
        f"SELECT * INTO stolen FROM {TABLE}",
        f"EXPLAIN ANALYZE DELETE FROM {TABLE}",
        f"SELECT * FROM {TABLE} FOR UPDATE",
        f"DELETE FROM {TABLE}",
        "SELECT pg_advisory_lock(1)",
        "CALL run_job(1)",
        "SELECT U&\"\\0073et_config\"('role', 'none', true)",
        f"SELECT E'\\';' ; DELETE FROM {TABLE}",
        "",
    ]


@pytest.mark.parametrize("with_reader", [False, True], ids=["no-reader-role", "reader-role"])
def test_postgres_attacks_fail_and_change_nothing(with_reader: bool, request: pytest.FixtureRequest):
    store = request.getfixturevalue("pg_with_reader")[0] if with_reader else request.getfixturevalue("pg")
    before = _count(store)
    with psycopg.connect(store.url, autocommit=True) as victim:
        victim_pid = victim.info.backend_pid
        for attack in _pg_attacks(victim_pid):
            with pytest.raises((ReadOnlyQueryRefused, psycopg.Error)):
                store.query_readonly(attack, 5)
            assert _count(store) == before, attack
            assert victim.execute("SELECT 1").fetchone() == (1,), attack  # never terminated
        # large objects are not read-only-checked; the rollback undoes them
        store.query_readonly("SELECT lo_create(0)", 5)
        assert victim.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone() == (0,)
        assert store.scalar("SELECT to_regclass('stolen')::text") is None


def test_postgres_runs_as_the_reader_role(pg_with_reader):
    store, reader = pg_with_reader
    assert store.reader_role() == reader
    got = store.query_readonly(
        f"SELECT current_user AS who, has_table_privilege('{TABLE}', 'INSERT') AS can_insert, "
        f"(SELECT count(*) FROM {TABLE}) AS n",
        5,
    ).to_pylist()
    assert got == [{"who": reader, "can_insert": False, "n": 2}]
    with pytest.raises(psycopg.Error):  # TimescaleDB's own write functions
        store.query_readonly(f"SELECT drop_chunks('{TABLE}', older_than => DATE '2100-01-01')", 5)
    assert _count(store)[0] == 2


def test_postgres_select_like_statements_work(pg: PostgresWarehouse):
    assert pg.query_readonly(f"SELECT count(*) AS n FROM {TABLE}", 5).to_pylist() == [{"n": 2}]
    assert pg.query_readonly(f"WITH x AS (SELECT record_id FROM {TABLE}) SELECT max(record_id) AS m FROM x;", 5)[
        "m"
    ].to_pylist() == ["r2"]
    assert pg.query_readonly("VALUES (1, 'set_config; DELETE')", 5).to_pylist() == [
        {"column1": 1, "column2": "set_config; DELETE"}
    ]
    assert pg.query_readonly("/* c */ (SELECT 100 % 7 AS r) -- done", 5).to_pylist() == [{"r": 2}]


def test_postgres_long_query_is_cancelled_near_the_timeout(pg: PostgresWarehouse):
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="longer than 1s"):
        pg.query_readonly("SELECT pg_sleep(600)", 1)
    assert 0.9 < time.monotonic() - started < 5


def test_cli_postgres_read_write_attack_is_refused(pg: PostgresWarehouse, tmp_path: Path):
    env = osa_env(tmp_path) | {"OSA_WAREHOUSE": "postgres", "OSA_DATABASE_URL": pg.url}
    for attack in (
        "set transaction read write; INSERT INTO schema_migrations (version, name) VALUES ('V999', 'x'); commit",
        "begin read write; INSERT INTO schema_migrations (version, name) VALUES ('V999', 'x'); commit",
        f"WITH gone AS (DELETE FROM {TABLE} RETURNING *) SELECT count(*) FROM gone",
    ):
        _one_line_refusal(_osa("query", attack, env=env))
    assert _count(pg) == (2, len(migration_files("postgres")))
    completed = _osa("query", f"SELECT record_id FROM {TABLE} ORDER BY 1", env=env)
    assert completed.returncode == 0, completed.stderr
    assert "r1" in completed.stdout and "r2" in completed.stdout
    started = time.monotonic()
    completed = _osa("query", "SELECT pg_sleep(600)", "--timeout", "1", env=env)
    _one_line_refusal(completed)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "text",
    [
        "SELECT 1; SELECT 2",
        "SELECT set_config('role', 'none', true)",
        "SELECT \"set_config\"('role', 'none', true)",
        "SELECT pg_catalog.SET_CONFIG('role', 'none', true)",
        "SELECT E'\\'' || set_config('role', 'none', true)",
        "SELECT $$x$$, set_config('role', 'none', true)",
        "SELECT 1 /* */ ; DELETE FROM t",
        "COPY t TO STDOUT",
        "SHOW ALL",
        "RESET ROLE",
    ],
)
def test_pg_lexical_check_refuses(text: str):
    with pytest.raises(ReadOnlyQueryRefused):
        check_pg_readonly(text)


def test_pg_lexical_check_accepts_strings_and_comments_naming_refused_things():
    check_pg_readonly("SELECT 'set_config; DELETE', $tag$ ; pg_terminate_backend $tag$ -- ; set_config\n;")
    check_pg_readonly('( SELECT "my col" FROM t ) UNION TABLE u')


def test_migration_creates_no_table():
    """V005 must not touch tables (the catalogue drift test compares tables with the migrations); the DuckDB
    file is comment-only and lines the versions up."""
    text = (SQL_DIR / "postgres" / "V005__readonly_role.sql").read_text().upper()
    assert "CREATE TABLE" not in text and "ALTER TABLE" not in text
    duck = (SQL_DIR / "duckdb" / "V005__readonly_role.sql").read_text()
    assert all(line.startswith("--") for line in duck.splitlines() if line.strip())
