"""Dagster resources: thin wrappers that build the plain-Python domain objects from configuration."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from osa.config import default_duckdb_path, default_landing_dir, is_development
from osa.ingest.signature import resolve_webhook_secret
from osa.privacy import PassThroughProtector, Protector, default_protector
from osa.warehouse.base import Warehouse
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse backend, chosen by configuration (`OSA_WAREHOUSE`, `OSA_DATABASE_URL`)."""

    backend: str = "duckdb"
    duckdb_path: str = str(default_duckdb_path())
    database_url: str = ""  # bound from EnvVar("OSA_DATABASE_URL"), so the password never lands in run config

    def get(self) -> Warehouse:
        if self.backend == "duckdb":
            warehouse: Warehouse = DuckDBWarehouse(self.duckdb_path)
        elif self.backend == "postgres":
            if not self.database_url:
                raise ValueError(
                    "OSA_WAREHOUSE=postgres needs OSA_DATABASE_URL "
                    "(e.g. postgresql://user:password@host:5432/osa; locally: bash scripts/pg.sh start)"
                )
            from osa.warehouse.postgres_warehouse import PostgresWarehouse  # psycopg only when it is used

            warehouse = PostgresWarehouse(self.database_url)
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
    """The protector at the PII choke point: the PII engine with the storage policy (pseudonymize).

    Keys come from the environment (`OSA_PII_HMAC_KEY`, `OSA_PII_ENCRYPTION_KEYS`, `OSA_PII_ACTIVE_KEY_ID`);
    the documented development keys are used only in development (`OSA_ENV=development`, the default).
    `engine="passthrough"` exists for benchmarks that measure the engine's overhead, never for real data.
    """

    engine: str = "pii"

    def protector(self) -> Protector:
        if self.engine == "passthrough":
            return PassThroughProtector()
        if self.engine != "pii":
            raise ValueError(f"unknown privacy engine {self.engine!r}; expected 'pii' or 'passthrough'")
        return default_protector()

    def scanner(self):
        """The PII engine, for leak checks (whatever the protector, the scan always uses the real engine)."""
        return default_protector().engine
