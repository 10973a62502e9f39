"""Warehouse backends: embedded DuckDB (default) and PostgreSQL + TimescaleDB + pgvector (production).

`BACKENDS` is the one registry of backends: the Dagster resource, the CLI and the asset kinds all read it,
so adding a backend is one entry here plus its `Warehouse` implementation and `sql/<dialect>/` migrations.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from osa.warehouse.base import Warehouse


class WarehouseNotReady(RuntimeError):
    """The warehouse exists but its schema is behind the code: run the startup step (`osa migrate`)."""


def _open_duckdb(duckdb_path: str, database_url: str) -> Warehouse:
    from osa.warehouse.duckdb_warehouse import DuckDBWarehouse

    return DuckDBWarehouse(duckdb_path)


def _open_postgres(duckdb_path: str, database_url: str) -> Warehouse:
    if not database_url:
        raise ValueError(
            "OSA_WAREHOUSE=postgres needs OSA_DATABASE_URL "
            "(e.g. postgresql://user:password@host:5432/osa; locally: bash scripts/pg.sh start)"
        )
    from osa.warehouse.postgres_warehouse import PostgresWarehouse  # psycopg only when it is used

    return PostgresWarehouse(database_url)


def _duckdb_errors() -> tuple[type[BaseException], ...]:
    import duckdb

    return (duckdb.Error,)


def _postgres_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (psycopg.Error,)


@dataclass(frozen=True)
class Backend:
    """One warehouse backend: how to open it and how the rest of the platform names it."""

    name: str  # the value of OSA_WAREHOUSE
    kind: str  # the Dagster kind shown on assets
    dialect: str  # sql/<dialect>/ migrations and catalogue DDL
    description: str
    opener: Callable[[str, str], Warehouse]
    errors: Callable[[], tuple[type[BaseException], ...]]  # database errors a user can cause (bad SQL, ...)

    def open(self, *, duckdb_path: str = "", database_url: str = "") -> Warehouse:
        return self.opener(duckdb_path, database_url)


BACKENDS: dict[str, Backend] = {
    "duckdb": Backend("duckdb", "duckdb", "duckdb", "embedded DuckDB file", _open_duckdb, _duckdb_errors),
    "postgres": Backend(
        "postgres", "postgres", "postgres", "PostgreSQL + TimescaleDB + pgvector", _open_postgres, _postgres_errors
    ),
}


def backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown warehouse backend {name!r}; expected one of {', '.join(BACKENDS)}") from None


def configured_backend() -> Backend:
    """The backend the environment selects (OSA_WAREHOUSE, default duckdb)."""
    return backend(os.environ.get("OSA_WAREHOUSE") or "duckdb")


def configured_warehouse() -> Warehouse:
    """The warehouse the environment selects, for code outside Dagster (the CLI): OSA_WAREHOUSE=duckdb (the
    file at OSA_DUCKDB_PATH) or postgres (OSA_DATABASE_URL). Dagster assets use `WarehouseResource`."""
    from osa.config import default_duckdb_path

    return configured_backend().open(
        duckdb_path=str(default_duckdb_path()), database_url=os.environ.get("OSA_DATABASE_URL", "")
    )


def ready(warehouse: Warehouse) -> Warehouse:
    """`warehouse` if its schema is current; otherwise a clear error naming the startup step."""
    pending = warehouse.pending_migrations()
    if pending:
        raise WarehouseNotReady(
            f"the warehouse schema is missing migrations {', '.join(pending)}: run `osa migrate` "
            "(the startup step; `osa run`, `osa ingest` and `osa ui` run it themselves)"
        )
    return warehouse
