"""Warehouse backends: embedded DuckDB (default) and PostgreSQL + TimescaleDB + pgvector (production)."""

from __future__ import annotations

import os

from osa.warehouse.base import Warehouse


def configured_warehouse() -> Warehouse:
    """The warehouse the environment selects, for code outside Dagster (the CLI): OSA_WAREHOUSE=duckdb (the
    file at OSA_DUCKDB_PATH) or postgres (OSA_DATABASE_URL). Dagster assets use `WarehouseResource`."""
    backend = os.environ.get("OSA_WAREHOUSE", "duckdb")
    if backend == "postgres":
        url = os.environ.get("OSA_DATABASE_URL", "")
        if not url:
            raise ValueError("OSA_WAREHOUSE=postgres needs OSA_DATABASE_URL")
        from osa.warehouse.postgres_warehouse import PostgresWarehouse

        return PostgresWarehouse(url)
    if backend == "duckdb":
        from osa.config import default_duckdb_path
        from osa.warehouse.duckdb_warehouse import DuckDBWarehouse

        return DuckDBWarehouse(default_duckdb_path())
    raise ValueError(f"unknown warehouse backend {backend!r}; expected 'duckdb' or 'postgres'")
