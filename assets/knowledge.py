"""The knowledge step: knowledge items with embeddings (and the embedding cache) from the silver window.

The logic lives in `osa.knowledge.items` and `osa.embeddings`; this module wires it to the warehouse, the
embedding provider and the PII choke point, and reports what the embedding cost.
"""

import dagster as dg
import numpy as np

from assets.metadata import daily_metadata, report_partitions
from assets.partitions import DAILY, SINGLE_RUN, window
from assets.specs import step_specs
from osa import catalog
from osa.embeddings import embed_with_cache
from osa.knowledge.daily import form_recommendations, workflow_recommendations
from osa.knowledge.items import (
    WarehouseEmbeddingCache,
    build_items,
    cache_rows,
    read_sources,
    with_embeddings,
)
from resources import EmbeddingResource, PrivacyResource, WarehouseResource

#: Runs that call an external embedding API share this pool, so parallel backfills stay under one rate limit
#: (its limit is instance configuration: `dagster instance concurrency set embedding_api 1`).
EMBEDDING_POOL = "embedding_api"


@dg.multi_asset(
    specs=step_specs("embeddings", build_items, embed_with_cache),
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    can_subset=False,
    pool=EMBEDDING_POOL,
)
def knowledge(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    embeddings: EmbeddingResource,
    privacy: PrivacyResource,
):
    start, end = window(context)
    store, provider = warehouse.get(), embeddings.get()
    items = build_items(read_sources(store, start, end))
    vectors, stats = embed_with_cache(
        items["content"].to_list(),
        provider,
        WarehouseEmbeddingCache(store),
        redact=privacy.redactor() if provider.external else None,
    )
    if not len(items):
        vectors = np.zeros((0, provider.dimensions), np.float32)
    model = provider.model  # the cache key's model too
    rows = with_embeddings(items, vectors, model)
    cache = cache_rows(rows, provider.dimensions)
    store.replace_windows({"knowledge_items": rows, "embedding_cache": cache}, start, end)
    report_partitions(context, "knowledge_items", start, end, daily_metadata(catalog.table("knowledge_items"), rows))
    report_partitions(context, "embedding_cache", start, end, daily_metadata(catalog.table("embedding_cache"), cache))
    context.log.info(
        f"knowledge {start}..{end}: {len(items)} items, {stats.embedded} embedded, {stats.cache_hits} cached"
    )
    figures = {f"embedding/{name}": value for name, value in stats.as_metadata().items() if value is not None}
    yield dg.MaterializeResult(asset_key="knowledge_items", metadata={"embedding_model": model, **figures})
    yield dg.MaterializeResult(asset_key="embedding_cache")


@dg.multi_asset(
    specs=step_specs("recommendations", workflow_recommendations, form_recommendations),
    partitions_def=DAILY,
    backfill_policy=SINGLE_RUN,
    can_subset=False,
)
def recommendations(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    start, end = window(context)
    store = warehouse.get()
    tables = {
        "workflow_recommendations": workflow_recommendations(store, start, end),
        "form_recommendations": form_recommendations(store, start, end),
    }
    store.replace_windows(tables, start, end)
    for name, rows in tables.items():
        report_partitions(context, name, start, end, daily_metadata(catalog.table(name), rows))
        yield dg.MaterializeResult(asset_key=name)
