"""The embedded DuckDB warehouse.

DuckDB allows one writing process per database file, and a process holding it read-write blocks every
other process from opening it (Dagster issue 16248). Dagster's multiprocess executor runs steps in
separate processes, so each operation here takes an exclusive `fcntl` lock on ``<file>.lock``, opens
the file, works and closes it. Computation happens outside the lock (in the step's own in-memory
DuckDB/polars), so the lock is held only for the actual write.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from osa.catalog.ddl import LiveColumn
from osa.warehouse.base import (
    NEAREST_COLUMNS,
    Transaction,
    VectorSearch,
    Warehouse,
    WarehouseDamaged,
    check_identifier,
    migration_files,
)
from osa.warehouse.readonly import ReadOnlyQueryRefused

WAREHOUSE_MEMORY_LIMIT = os.environ.get("OSA_DUCKDB_MEMORY_LIMIT", "512MB")  # per connection; spills beyond
#: A window replacement only loads Arrow tables already in memory: it needs no large buffer pool of its own,
#: and whatever DuckDB takes adds to the step's peak (issue 13: the 30,000-workflow ingest step peaked at
#: 1,150 MB with 512MB here, 868 MB with 128MB, in the same time). Never above WAREHOUSE_MEMORY_LIMIT.
LOAD_MEMORY_LIMIT = "128MB"


class DuckDBWarehouse(Warehouse):
    backend = "duckdb"

    def __init__(self, path: str | Path, *, lock_timeout_s: float = 600.0) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.lock_timeout_s = lock_timeout_s

    def __repr__(self) -> str:
        return f"DuckDBWarehouse({str(self.path)!r})"

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False, sandboxed: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection under the cross-process lock. `sandboxed` (read-only only): no file,
        network or extension access, and the configuration locked once the time zone is set."""
        read_only = read_only or sandboxed
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _flocked(self.lock_path, self.lock_timeout_s, "the warehouse lock"):
            if read_only and not self.path.exists():
                raise FileNotFoundError(f"no warehouse at {self.path}; run `osa run` first")
            config: dict[str, object] = {"memory_limit": WAREHOUSE_MEMORY_LIMIT}
            if sandboxed:
                config.update(enable_external_access=False, autoload_known_extensions=False)
            try:
                con = duckdb.connect(str(self.path), read_only=read_only, config=config)
            except duckdb.Error as error:
                if _is_damage(error):
                    raise self._damaged(error) from error
                raise
            try:
                # TIMESTAMPTZ then comes back as timestamp[us, tz=UTC] on every machine, the same Arrow
                # type the Postgres backend returns (a config key at connect time can't load ICU).
                con.execute("SET TimeZone = 'UTC'")
                if sandboxed:  # from here on no SET/RESET/PRAGMA can change any setting
                    con.execute("SET lock_configuration = true")
                yield con
            finally:
                con.close()

    @contextlib.contextmanager
    def serialized(self, name: str) -> Iterator[None]:
        """An exclusive `flock` on ``<file>.<name>.lock``, a file of its own: holding it never keeps anyone
        from the warehouse file, whose lock each operation takes and releases as usual."""
        check_identifier(name)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _flocked(self.path.with_name(f"{self.path.name}.{name}.lock"), self.lock_timeout_s, f"the {name} lock"):
            yield

    def verify(self) -> None:
        """Read every block of every table, so a partly overwritten file fails here, with the way to recover,
        instead of in the middle of a run after writes went into it. DuckDB checks each block's checksum as it
        reads it (a truncated file already fails to open); about 0.1 s per 36 MB on this machine."""
        if not self.path.exists():
            return
        with self.connect(read_only=True) as con:
            tables = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
            for table in tables:
                try:
                    con.execute(f'SELECT sum(hash(COLUMNS(*))) FROM "{table}"').fetchall()
                except duckdb.Error as error:
                    if _is_damage(error):
                        raise self._damaged(error) from error
                    raise

    def _damaged(self, error: Exception) -> WarehouseDamaged:
        cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return WarehouseDamaged(
            f"the DuckDB file {self.path} is damaged ({cause}); move it aside and run `osa run` to rebuild it "
            "from the landing zone, or restore it from a backup"
        )

    def apply_schema(self) -> list[str]:
        applied: list[str] = []
        with self.connect() as con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY, "
                "name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
            for version, path in migration_files(self.backend):
                if version in done:
                    continue
                with _transaction(con):
                    con.execute(path.read_text())
                    con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, path.name])
                applied.append(version)
        return applied

    def replace_windows(
        self, tables: dict[str, pa.Table], start: dt.date, end: dt.date, date_column: str = "event_date"
    ) -> int:
        check_identifier(date_column)
        for table in tables:
            check_identifier(table)
        written = 0
        with self.connect() as con, _transaction(con):
            con.execute("SET memory_limit = ?", [min(LOAD_MEMORY_LIMIT, WAREHOUSE_MEMORY_LIMIT, key=_size_bytes)])
            for table, rows in tables.items():
                con.register("incoming_rows", rows)
                con.execute(f"DELETE FROM {table} WHERE {date_column} >= ? AND {date_column} < ?", [start, end])
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")
                con.unregister("incoming_rows")
                written += rows.num_rows
        return written

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self.connect() as con, _transaction(con):  # the file lock already serializes every writer
            yield _DuckDBTransaction(con)

    def execute(self, statements: list[str]) -> None:
        with self.connect() as con, _transaction(con):
            for statement in statements:
                con.execute(statement)

    def live_columns(self) -> list[LiveColumn]:
        rows = self.query(
            "SELECT c.table_name, c.column_name, c.column_index, c.data_type, c.is_nullable, c.comment "
            "FROM duckdb_columns() c JOIN duckdb_tables() t ON t.table_oid = c.table_oid "
            "WHERE c.schema_name = current_schema() AND c.database_name = current_database() "
            "AND t.table_name <> 'schema_migrations'"
        )
        return [LiveColumn(*row.values()) for row in rows.to_pylist()]

    def table_comments(self) -> dict[str, str | None]:
        rows = self.query(
            "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = current_schema() "
            "AND database_name = current_database() AND table_name <> 'schema_migrations'"
        )
        return {r["table_name"]: r["comment"] for r in rows.to_pylist()}

    def view_comments(self) -> dict[str, str | None]:
        rows = self.query(
            "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND schema_name = current_schema() "
            "AND database_name = current_database()"
        )
        return {r["view_name"]: r["comment"] for r in rows.to_pylist()}

    def applied_migrations(self) -> set[str]:
        if not self.path.exists():
            return set()
        with self.connect(read_only=True) as con:  # one connection: every step's readiness check calls this
            exists = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations' "
                "AND schema_name = current_schema()"
            ).fetchone()[0]
            return (
                {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()} if exists else set()
            )

    def query(self, sql: str, params: list | None = None) -> pa.Table:
        with self.connect(read_only=True) as con:
            return con.sql(sql, params=params or None).to_arrow_table()

    @contextlib.contextmanager
    def vector_search(self) -> Iterator[VectorSearch]:
        with self.connect(read_only=True) as con:

            def search(vector, k: int, *, where: str = "", params: list | None = None) -> pa.Table:
                narrowed = f"AND {where}" if where else ""
                return con.sql(
                    f"SELECT {NEAREST_COLUMNS}, array_cosine_similarity(embedding, CAST(? AS FLOAT[{len(vector)}])) "
                    f"AS similarity FROM knowledge_items WHERE is_active {narrowed} "
                    f"ORDER BY similarity DESC, item_id LIMIT ?",
                    params=[[float(x) for x in vector], *(params or []), k],
                ).to_arrow_table()

            yield search

    # Statement types an untrusted query may have: SELECT covers FROM-first, WITH, VALUES, TABLE, DESCRIBE,
    # SHOW and SUMMARIZE; EXPLAIN (ANALYZE) only runs what a SELECT could.
    READONLY_STATEMENT_TYPES = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})

    def query_readonly(self, sql: str, timeout_s: float) -> pa.Table:
        """A read-only file, no external access (files, network, extensions), a locked configuration, one
        SELECT-like statement (DuckDB's own parser decides), interrupted after `timeout_s`."""
        with self.connect(sandboxed=True) as con:
            statements = con.extract_statements(sql)  # a syntax error raises duckdb.ParserException
            if len(statements) != 1:
                raise ReadOnlyQueryRefused(
                    "empty query" if not statements else f"only one statement is accepted, got {len(statements)}"
                )
            kind = statements[0].type
            if kind not in self.READONLY_STATEMENT_TYPES:
                raise ReadOnlyQueryRefused(
                    f"only read-only queries are accepted (SELECT, WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, "
                    f"SUMMARIZE, EXPLAIN), not {kind.name}"
                )
            interrupted = threading.Event()

            def interrupt() -> None:
                interrupted.set()
                con.interrupt()

            timer = threading.Timer(timeout_s, interrupt)
            timer.daemon = True
            timer.start()
            try:
                return con.sql(statements[0].query).to_arrow_table()
            except duckdb.InterruptException as error:
                if interrupted.is_set():
                    raise TimeoutError(f"the query ran longer than {timeout_s:g}s and was interrupted") from None
                raise error
            finally:
                timer.cancel()

    def drop_before(self, table: str, cutoff: dt.date, date_column: str = "event_date") -> int:
        check_identifier(table)
        check_identifier(date_column)
        with self.connect() as con:
            return int(con.execute(f"DELETE FROM {table} WHERE {date_column} < ?", [cutoff]).fetchone()[0])


class _DuckDBTransaction:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def query(self, sql: str, params: list | None = None) -> pa.Table:
        return self.con.sql(sql, params=params or None).to_arrow_table()

    def execute(self, sql: str, params: list | None = None) -> int:
        result = self.con.execute(sql, params or [])
        row = result.fetchone() if result.description else None
        return int(row[0]) if row and isinstance(row[0], int) else 0

    def insert(self, table: str, rows: pa.Table) -> int:
        check_identifier(table)
        self.con.register("incoming_rows", rows)
        try:
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_rows")
        finally:
            self.con.unregister("incoming_rows")
        return rows.num_rows

    def lock(self, table: str) -> None:
        check_identifier(table)  # one writer at a time holds the file lock: nothing more to take


@contextlib.contextmanager
def _flocked(path: Path, timeout_s: float, what: str) -> Iterator[None]:
    """An exclusive `flock` on `path` (created if missing) across processes, waited for up to `timeout_s`."""
    with open(path, "a+") as lock_file:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as busy:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"waited {timeout_s}s for {what} {path}") from busy
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _is_damage(error: Exception) -> bool:
    """DuckDB's errors for a file whose blocks fail their checksum or end before its metadata says."""
    message = str(error)
    return "Corrupt database file" in message or "Could not read enough bytes" in message


@contextlib.contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT, rolled back on error. When DuckDB has already aborted the transaction itself (a full
    disk, an I/O error), ROLLBACK fails with "no transaction is active": the original error is the one raised."""
    con.execute("BEGIN")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_SIZE_UNITS |= {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _size_bytes(text: str) -> float:
    """A DuckDB memory setting ("512MB", "1GiB", "2 GB") in bytes; unreadable sizes count as unlimited."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]*)\s*", text)
    unit = _SIZE_UNITS.get(match[2].upper()) if match else None
    return float(match[1]) * unit if match and unit else float("inf")
