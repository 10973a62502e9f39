"""The warehouse interface every backend implements (DuckDB embedded, PostgreSQL in production).

Writes are partition-window replacements: delete the window, insert the new rows, in one transaction,
so re-running a partition is idempotent and a crash never leaves half a partition visible.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from osa.catalog.ddl import LiveColumn

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def check_identifier(name: str) -> str:
    """Table and column names are interpolated into SQL, so only plain identifiers are allowed."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


class VectorSearch(Protocol):
    """One nearest-neighbour search on an open connection (see `Warehouse.vector_search`)."""

    def __call__(self, vector, k: int, *, where: str = "", params: list | None = None) -> pa.Table: ...


#: What a nearest-neighbour search returns of each knowledge item.
NEAREST_COLUMNS = (
    "item_id, knowledge_type, title, summary, source_agent, workflow_id, industry, category, confidence, event_date"
)


class Transaction(Protocol):
    """Reads and writes that commit together (see `Warehouse.transaction`); SQL uses `?` parameters."""

    def query(self, sql: str, params: list | None = None) -> pa.Table: ...

    def execute(self, sql: str, params: list | None = None) -> int:
        """Run one statement; returns the rows it changed."""

    def insert(self, table: str, rows: pa.Table) -> int: ...

    def lock(self, table: str) -> None:
        """Hold `table` exclusively for writers until the transaction ends (append-only chains)."""


class WarehouseDamaged(RuntimeError):
    """The warehouse's storage failed its integrity check; the message says how to recover."""


class Warehouse(ABC):
    """A place silver and gold tables live. Implementations must be safe across processes."""

    backend: str

    @abstractmethod
    def apply_schema(self) -> list[str]:
        """Apply pending versioned DDL from ``sql/<backend>/``; returns the versions applied."""

    @abstractmethod
    def replace_windows(
        self, tables: dict[str, pa.Table], start: dt.date, end: dt.date, date_column: str = "event_date"
    ) -> int:
        """In ONE transaction, replace the rows with `start <= date_column < end` of every table in
        `tables` by the given rows: a step's outputs become visible together or not at all."""

    def replace_window(
        self, table: str, rows: pa.Table, start: dt.date, end: dt.date, date_column: str = "event_date"
    ) -> int:
        """Atomically replace one table's window. Returns rows written."""
        return self.replace_windows({table: rows}, start, end, date_column)

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Transaction]:
        """One transaction for data maintenance that must read and write atomically (the audit chain,
        retention, data-subject requests): committed when the block ends, rolled back on error."""

    @abstractmethod
    def serialized(self, name: str) -> AbstractContextManager[None]:
        """Hold the cross-process mutex `name` (a plain identifier) until the block ends: every other holder of
        the same name, in any process, waits until then. It blocks nothing else: reads, writes and transactions
        go on as usual, so a caller can read, decide and write under it (the ingest steps' replay decision)."""

    @abstractmethod
    def query(self, sql: str, params: list | None = None) -> pa.Table:
        """Run a query of the platform's own code and return its result (trusted SQL: see `query_readonly`)."""

    @abstractmethod
    def query_readonly(self, sql: str, timeout_s: float) -> pa.Table:
        """Run ONE untrusted SELECT-like statement (what `osa query` sends) that cannot write, read files,
        change its session or outlive `timeout_s`; raises `osa.warehouse.readonly.ReadOnlyQueryRefused`
        for anything else and `TimeoutError` when interrupted."""

    def nearest(self, vector, k: int, *, where: str = "", params: list | None = None) -> pa.Table:
        """The `k` active knowledge items most similar to `vector` (cosine), best first, with a `similarity`
        column; `where` (trusted SQL with `?` parameters) narrows the candidates. DuckDB scans exactly;
        Postgres walks the HNSW index. One search; for many, `vector_search()` keeps one connection."""
        with self.vector_search() as search:
            return search(vector, k, where=where, params=params)

    @abstractmethod
    def vector_search(self) -> AbstractContextManager[VectorSearch]:
        """A `nearest()` that keeps its connection (and session settings) open for many searches: on Postgres
        opening a connection costs more than an HNSW search (bench/vector_search.py)."""

    @abstractmethod
    def drop_before(self, table: str, cutoff: dt.date, date_column: str = "event_date") -> int:
        """Remove whole partitions older than `cutoff` (retention). Returns rows removed."""

    @abstractmethod
    def execute(self, statements: list[str]) -> None:
        """Run DDL statements in ONE transaction (schema maintenance, never data)."""

    @abstractmethod
    def live_columns(self) -> list[LiveColumn]:
        """Every column of every base table in the warehouse schema, as the database reports it."""

    @abstractmethod
    def table_comments(self) -> dict[str, str | None]:
        """The comment on every base table (None where there is none)."""

    @abstractmethod
    def applied_migrations(self) -> set[str]:
        """Versions recorded in schema_migrations (empty for a new warehouse)."""

    def pending_migrations(self) -> list[str]:
        """Committed migration versions this warehouse has not applied yet."""
        applied = self.applied_migrations()
        return [version for version, _ in migration_files(self.backend) if version not in applied]

    def sync_comments(self) -> int:
        """Make table and column comments equal the catalogue's descriptions; returns statements run."""
        from osa.catalog.ddl import comment_statements

        statements = comment_statements(self.live_columns(), self.table_comments())
        if statements:
            self.execute(statements)
        return len(statements)

    def prepare(self) -> dict[str, object]:
        """The explicit startup step: check the storage, apply pending migrations, sync comments. Idempotent.

        Several processes start at once (runs launched together, every step process): the whole step runs
        under one cross-process lock, so the first does the work and the others find it done. Without it,
        two processes could both see a view missing and the second CREATE would fail."""
        with self.serialized("startup"):
            self.verify()
            applied = self.apply_schema()
            return {
                "migrations_applied": applied,
                "comments_updated": self.sync_comments(),
                "views_created": self.create_views(),
            }

    def create_views(self) -> int:
        """(Re)create the dashboard views whose declaration (`osa.metrics.views`) changed; returns how many.

        Each view's comment is its question plus a fingerprint of its SQL, so an unchanged view is left alone."""
        from osa.metrics.views import VIEWS, view_comment, view_statements

        current = self.view_comments()
        stale = [v for v in VIEWS if current.get(v.name) != view_comment(v, self.backend)]
        if stale:
            self.execute(view_statements(stale, self.backend))
        return len(stale)

    @abstractmethod
    def view_comments(self) -> dict[str, str | None]:
        """The comment on every view (None where there is none)."""

    def verify(self) -> None:
        """Raise `WarehouseDamaged` if the storage is corrupt. A server checks its own storage; an embedded
        file is checked by the backend (see `DuckDBWarehouse.verify`)."""
        return None

    def scalar(self, sql: str, params: list | None = None):
        result = self.query(sql, params)
        return result.column(0)[0].as_py() if result.num_rows else None

    def table_names(self, *, views: bool = True) -> list[str]:
        only_tables = " AND table_type = 'BASE TABLE'" if not views else ""
        return [
            r
            for r in self.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                f"{only_tables} ORDER BY table_name"
            )
            .column(0)
            .to_pylist()
        ]

    def partitioned_tables(self, date_column: str = "event_date") -> list[str]:
        """Base tables (not views) carrying `date_column`: the ones retention applies to."""
        return (
            self.query(
                "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
                "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
                "WHERE c.table_schema = current_schema() AND c.column_name = ? AND t.table_type = 'BASE TABLE' "
                "ORDER BY 1",
                [date_column],
            )
            .column(0)
            .to_pylist()
        )


def migration_files(backend: str) -> list[tuple[str, Path]]:
    """Versioned DDL files ``V<nnn>__<name>.sql`` for `backend`, in order."""
    files = sorted((SQL_DIR / backend).glob("V*__*.sql"))
    return [(f.name.split("__")[0], f) for f in files]
