"""Dagster resources: thin wrappers that build the plain-Python domain objects from configuration."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from osa.config import default_duckdb_path, default_landing_dir, is_development
from osa.ingest.signature import WebhookKeyring, check_webhook_secret, resolve_webhook_keyring, resolve_webhook_secret
from osa.privacy import PassThroughProtector, Protector, default_protector, text_redactor
from osa.warehouse import backend, ready
from osa.warehouse.base import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse backend, chosen from the registry `osa.warehouse.BACKENDS` by configuration.

    Empty settings are resolved when a step runs (not when definitions load): `backend` from OSA_WAREHOUSE
    (default duckdb), `duckdb_path` from OSA_DUCKDB_PATH / OSA_STATE_DIR. `database_url` is always bound to
    `EnvVar("OSA_DATABASE_URL")`, so the password never lands in run config. `get()` never migrates: the
    schema is brought up to date by the startup step (`osa migrate`, which `osa run`/`osa ui` call), and a
    warehouse behind the code is refused with that instruction.
    """

    backend: str = ""
    duckdb_path: str = ""
    database_url: str = ""

    def get(self) -> Warehouse:
        return ready(self.open())

    def open(self) -> Warehouse:
        """The warehouse without the schema check (for the startup step itself)."""
        chosen = backend(self.backend or os.environ.get("OSA_WAREHOUSE") or "duckdb")
        return chosen.open(duckdb_path=self.duckdb_path or str(default_duckdb_path()), database_url=self.database_url)


class LandingZoneResource(dg.ConfigurableResource):
    """The directory raw files arrive in (`<dir>/<source>/dt=<day>/*.jsonl`); empty: OSA_LANDING_DIR (resolved
    when a step runs)."""

    path: str = ""

    @property
    def root(self) -> Path:
        return Path(self.path) if self.path else default_landing_dir()


class WebhookSecretResource(dg.ConfigurableResource):
    """The HMAC secrets for OPAL webhooks: the keyring `OSA_WEBHOOK_SECRETS` (ids and validity windows, for
    rotation) and/or the single `OSA_WEBHOOK_SECRET` (key id `default`); production refuses to run without one.
    Empty settings are read from the environment when a step runs."""

    secret: str = ""
    secrets: str = ""

    def keyring(self) -> WebhookKeyring:
        """Every active key; the development secret only in development, refused by value in any key."""
        return resolve_webhook_keyring(
            allow_development_secret=is_development(), secret=self.secret or None, secrets=self.secrets or None
        )

    def get(self) -> str:
        """The single secret `OSA_WEBHOOK_SECRET` (the pipeline verifies with `keyring()`)."""
        if self.secret:  # bound from EnvVar("OSA_WEBHOOK_SECRET"): the development value only in development
            return check_webhook_secret(self.secret, allow_development_secret=is_development())
        return resolve_webhook_secret(allow_development_secret=is_development())

    def __repr__(self) -> str:  # never print a secret
        return "WebhookSecretResource(secret=***, secrets=***)"


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

    def redactor(self):
        """The choke point in front of an external API: each text as the storage policy protects it."""
        return text_redactor()


class EmbeddingResource(dg.ConfigurableResource):
    """The embedding provider, chosen by `provider` or OSA_EMBEDDING_PROVIDER: `hashing` (the offline default,
    no key, no network) or `openai` (the official client; key and base URL bound to `EnvVar`s so they never
    land in run config). Dimensions default to the index's (`catalog.EMBEDDING_DIMENSIONS`); a configuration
    that would give other dimensions is an error when the step starts, never a table of mixed vectors."""

    provider: str = ""
    model: str = ""
    dimensions: int = 0
    api_key: str = ""
    base_url: str = ""
    max_concurrency: int = 4

    def get(self):
        from osa import catalog
        from osa.embeddings import configured_provider

        return configured_provider(
            catalog.EMBEDDING_DIMENSIONS,
            provider=self.provider,
            model=self.model,
            dimensions=self.dimensions,
            api_key=self.api_key,
            base_url=self.base_url,
            max_concurrency=self.max_concurrency,
        )

    def __repr__(self) -> str:  # never print the key
        return f"EmbeddingResource(provider={self.provider!r}, model={self.model!r}, api_key=***)"
