"""The embedding cache: a re-run embeds only new or changed text (a no-op re-run makes zero API calls).

Keyed by (content hash, model, dimensions), so changing the model or its dimensions never reuses a vector. The key
hashes the text as given (before redaction), which is also the ``content_hash`` stored with knowledge items; a change
of redaction policy therefore needs a cache purge. An in-memory implementation lives here; the warehouse-backed one
implements the same protocol.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from .errors import EmbeddingConfigError, EmbeddingError
from .providers import EmbeddingProvider, Redactor, redact_texts
from .stats import EmbeddingStats, estimate_cost


def content_hash(text: str) -> str:
    """sha256 hex of the UTF-8 text: stable across processes, machines and Python versions."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CacheKey(NamedTuple):
    content_hash: str
    model: str
    dimensions: int


def cache_key(text: str, provider: EmbeddingProvider) -> CacheKey:
    return CacheKey(content_hash(text), provider.model, provider.dimensions)


@runtime_checkable
class EmbeddingCache(Protocol):
    """Storage of vectors by key; implementations return only the keys they hold."""

    def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, np.ndarray]: ...

    def put_many(self, items: Mapping[CacheKey, np.ndarray]) -> None: ...


class InMemoryEmbeddingCache:
    """A dict-backed cache for one process (tests, benchmarks, a single run)."""

    def __init__(self) -> None:
        self._items: dict[CacheKey, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, np.ndarray]:
        return {key: self._items[key] for key in keys if key in self._items}

    def put_many(self, items: Mapping[CacheKey, np.ndarray]) -> None:
        for key, vector in items.items():
            stored = np.array(vector, dtype=np.float32)  # a copy: callers may mutate their arrays
            stored.setflags(write=False)
            self._items[key] = stored


def embed_with_cache(
    texts: list[str],
    provider: EmbeddingProvider,
    cache: EmbeddingCache,
    *,
    redact: Redactor | None = None,
) -> tuple[np.ndarray, EmbeddingStats]:
    """Vectors for ``texts`` (same rows as ``provider.embed``), embedding only texts the cache does not hold.

    Identical texts in one call are embedded once. An external provider gets only ``redact(texts)`` and refuses to
    run without ``redact``: the PII choke point is not optional for text that leaves the machine.
    """
    if provider.external and redact is None:
        raise EmbeddingConfigError(
            f"provider {provider.name} sends text off the machine: pass redact= (the PII choke point)"
        )
    started = time.perf_counter()
    keys = [cache_key(text, provider) for text in texts]
    unique: dict[CacheKey, str] = {}
    for key, text in zip(keys, texts, strict=True):
        unique.setdefault(key, text)
    found = cache.get_many(list(unique))
    missing = [key for key in unique if key not in found]
    computed: dict[CacheKey, np.ndarray] = {}
    provider_stats: EmbeddingStats | None = None
    if missing:
        to_send = [unique[key] for key in missing]
        if redact is not None:
            to_send = redact_texts(to_send, redact)
        vectors = provider.embed(to_send)
        if vectors.shape != (len(missing), provider.dimensions):
            raise EmbeddingError(
                f"provider {provider.name} returned shape {vectors.shape}, "
                f"expected {(len(missing), provider.dimensions)}"
            )
        provider_stats = provider.last_stats
        computed = dict(zip(missing, vectors, strict=True))
        cache.put_many(computed)
    out = np.zeros((len(texts), provider.dimensions), dtype=np.float32)
    hits = 0
    for row, key in enumerate(keys):
        vector = found.get(key)
        if vector is not None:
            hits += 1
        else:
            vector = computed[key]
        out[row] = vector
    base = provider_stats or EmbeddingStats(
        provider=provider.name,
        model=provider.model,
        dimensions=provider.dimensions,
        cost_usd=estimate_cost(provider.model, 0) if provider.external else 0.0,
    )
    stats = replace(
        base,
        texts=len(texts),
        embedded=len(missing),
        cache_hits=hits,
        duplicates=len(texts) - hits - len(missing),
        seconds=time.perf_counter() - started,
    )
    return out, stats
