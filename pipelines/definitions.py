"""The code location's single entry point: merges the per-area definitions and binds resources."""

from __future__ import annotations

import dagster as dg

from osa.config import default_duckdb_path, default_landing_dir
from pipelines import lakehouse, maintenance
from resources import LandingZoneResource, PrivacyResource, WarehouseResource, WebhookSecretResource


def build_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources from the environment; secrets only through `EnvVar`, never literals."""
    import os

    webhook = (
        WebhookSecretResource(secret=dg.EnvVar("OSA_WEBHOOK_SECRET"))
        if os.environ.get("OSA_WEBHOOK_SECRET")
        else WebhookSecretResource()
    )
    return {
        "warehouse": WarehouseResource(
            backend=os.environ.get("OSA_WAREHOUSE", "duckdb"),
            duckdb_path=str(default_duckdb_path()),
            database_url=dg.EnvVar("OSA_DATABASE_URL") if os.environ.get("OSA_DATABASE_URL") else "",
        ),
        "landing": LandingZoneResource(path=str(default_landing_dir())),
        "webhook": webhook,
        "privacy": PrivacyResource(),
    }


defs = dg.Definitions.merge(lakehouse.defs, maintenance.defs, dg.Definitions(resources=build_resources()))
