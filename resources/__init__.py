"""Dagster resources: thin wrappers that build the plain-Python domain objects from configuration."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from osa.config import default_duckdb_path, default_landing_dir, is_development
from osa.ingest.signature import resolve_webhook_secret
from osa.privacy import PassThroughProtector, Protector
from osa.warehouse.base import Warehouse
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse backend, chosen by configuration (`OSA_WAREHOUSE`)."""

    backend: str = "duckdb"
    duckdb_path: str = str(default_duckdb_path())
    database_url: str = ""

    def get(self) -> Warehouse:
        if self.backend == "duckdb":
            warehouse: Warehouse = DuckDBWarehouse(self.duckdb_path)
        else:
            raise ValueError(f"unknown warehouse backend {self.backend!r}; expected 'duckdb' or 'postgres'")
        warehouse.apply_schema()
        return warehouse


class LandingZoneResource(dg.ConfigurableResource):
    """The directory raw files arrive in (`<dir>/<source>/dt=<day>/*.jsonl`)."""

    path: str = str(default_landing_dir())

    @property
    def root(self) -> Path:
        return Path(self.path)


class WebhookSecretResource(dg.ConfigurableResource):
    """The HMAC secret for OPAL webhooks; production refuses to run without `OSA_WEBHOOK_SECRET`."""

    secret: str = ""

    def get(self) -> str:
        return self.secret or resolve_webhook_secret(allow_development_secret=is_development())

    def __repr__(self) -> str:  # never print the secret
        return "WebhookSecretResource(secret=***)"


class PrivacyResource(dg.ConfigurableResource):
    """The protector used at the PII choke point."""

    engine: str = "passthrough"

    def protector(self) -> Protector:
        return PassThroughProtector()
