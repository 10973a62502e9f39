"""Semantic search over the knowledge base, the same on both warehouses."""

from __future__ import annotations

import pyarrow as pa

from osa.catalog.tables import KNOWLEDGE_TYPES
from osa.embeddings import EmbeddingConfigError, EmbeddingProvider, Redactor


def search(
    store,
    provider: EmbeddingProvider,
    text: str,
    *,
    k: int = 10,
    knowledge_type: str | None = None,
    redact: Redactor | None = None,
) -> pa.Table:
    """The `k` knowledge items closest to `text`, best first (`similarity` is the cosine).

    The query is embedded like the items (same provider, so the same space); an external provider gets it only
    through `redact`, the PII choke point, as it gets every text."""
    if knowledge_type is not None and knowledge_type not in KNOWLEDGE_TYPES:
        raise ValueError(f"unknown knowledge type {knowledge_type!r}; expected one of {', '.join(KNOWLEDGE_TYPES)}")
    if provider.external:
        if redact is None:
            raise EmbeddingConfigError(f"provider {provider.name} sends text off the machine: pass redact=")
        text = redact([text])[0]
    vector = provider.embed([text])[0]
    where, params = ("knowledge_type = ?", [knowledge_type]) if knowledge_type else ("", [])
    return store.nearest(vector, k, where=where, params=params)
