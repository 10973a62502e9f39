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
    # One embedding call per day, so each partition reports its own figures (a ranged run used to put the
    # window's totals on every day). The cache answers a text embedded on an earlier day of the window.
    cache = WarehouseEmbeddingCache(store)
    vectors = np.zeros((len(items), provider.dimensions), np.float32)
    figures: dict[str, dict] = {}
    days = items["event_date"]
    for day in days.unique().sort().to_list():
        day_rows = np.flatnonzero((days == day).to_numpy())
        vectors[day_rows], stats = embed_with_cache(
            items["content"].gather(day_rows).to_list(),
            provider,
            cache,
            redact=privacy.redactor() if provider.external else None,
        )
        figures[day.isoformat()] = {
            f"embedding/{name}": value for name, value in stats.as_metadata().items() if value is not None
        }
    model = provider.model  # the cache key's model too
    rows = with_embeddings(items, vectors, model)
    cache_table = cache_rows(rows, provider.dimensions)
    store.replace_windows({"knowledge_items": rows, "embedding_cache": cache_table}, start, end)
    per_day = daily_metadata(catalog.table("knowledge_items"), rows)
    for day, day_figures in figures.items():
        per_day[day].update(day_figures)
    report_partitions(context, "knowledge_items", start, end, per_day)
    report_partitions(
        context, "embedding_cache", start, end, daily_metadata(catalog.table("embedding_cache"), cache_table)
    )
    embedded = sum(f["embedding/embedded"] for f in figures.values())
    hits = sum(f["embedding/cache_hits"] for f in figures.values())
    context.log.info(f"knowledge {start}..{end}: {len(items)} items, {embedded} embedded, {hits} cached")
    yield dg.MaterializeResult(asset_key="knowledge_items", metadata={"embedding_model": model})
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
