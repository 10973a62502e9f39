"""The code location's single entry point: merges the per-area definitions and binds resources."""

from __future__ import annotations

import os

import dagster as dg

from pipelines import compliance, lakehouse, maintenance
from resources import (
    EmbeddingResource,
    LandingZoneResource,
    PrivacyResource,
    WarehouseResource,
    WebhookSecretResource,
)

OPTIONAL_SECRETS = (
    "OSA_DATABASE_URL",
    "OSA_WEBHOOK_SECRET",
    "OSA_WEBHOOK_SECRETS",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
)


def build_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources; secrets always through `EnvVar`, resolved when a run starts (never at import, never in run
    config). Optional secrets that are absent are declared empty so the binding holds: an empty database URL
    is refused by the postgres backend, empty webhook secrets outside development by the webhook resource."""
    for name in OPTIONAL_SECRETS:
        os.environ.setdefault(name, "")
    return {
        "warehouse": WarehouseResource(database_url=dg.EnvVar("OSA_DATABASE_URL")),
        "landing": LandingZoneResource(),
        "webhook": WebhookSecretResource(
            secret=dg.EnvVar("OSA_WEBHOOK_SECRET"), secrets=dg.EnvVar("OSA_WEBHOOK_SECRETS")
        ),
        "privacy": PrivacyResource(),
        "embeddings": EmbeddingResource(api_key=dg.EnvVar("OPENAI_API_KEY"), base_url=dg.EnvVar("OPENAI_BASE_URL")),
    }


defs = dg.Definitions.merge(
    lakehouse.defs, maintenance.defs, compliance.defs, dg.Definitions(resources=build_resources())
)
