"""Embedding providers, the embedding cache and the redaction step in front of external APIs.

Plain Python + numpy; no Dagster imports. See docs/embeddings.md.

    from osa.embeddings import HashingEmbeddingProvider, InMemoryEmbeddingCache, embed_with_cache

    provider = HashingEmbeddingProvider(dimensions=1536, index_dimensions=1536)
    vectors, stats = embed_with_cache(texts, provider, InMemoryEmbeddingCache())
"""

from .cache import CacheKey, EmbeddingCache, InMemoryEmbeddingCache, cache_key, content_hash, embed_with_cache
from .config import PROVIDERS, configured_provider
from .errors import EmbeddingConfigError, EmbeddingError
from .hashing import HashingEmbeddingProvider
from .providers import (
    DEFAULT_OPENAI_MODEL,
    MAX_INPUTS_PER_REQUEST,
    MAX_TOKENS_PER_INPUT,
    MAX_TOKENS_PER_REQUEST,
    MODEL_DIMENSIONS,
    EmbeddingProvider,
    OpenAIEmbeddingProvider,
    Redactor,
    check_dimensions,
    embed_redacted,
    normalize_rows,
    plan_batches,
    redact_texts,
)
from .stats import PRICE_PER_MILLION_TOKENS, EmbeddingStats, estimate_cost
from .tokens import count_tokens, truncate

__all__ = [
    "DEFAULT_OPENAI_MODEL",
    "MAX_INPUTS_PER_REQUEST",
    "MAX_TOKENS_PER_INPUT",
    "MAX_TOKENS_PER_REQUEST",
    "MODEL_DIMENSIONS",
    "PRICE_PER_MILLION_TOKENS",
    "PROVIDERS",
    "CacheKey",
    "EmbeddingCache",
    "EmbeddingConfigError",
    "EmbeddingError",
    "EmbeddingProvider",
    "EmbeddingStats",
    "HashingEmbeddingProvider",
    "InMemoryEmbeddingCache",
    "OpenAIEmbeddingProvider",
    "Redactor",
    "cache_key",
    "check_dimensions",
    "configured_provider",
    "content_hash",
    "count_tokens",
    "embed_redacted",
    "embed_with_cache",
    "estimate_cost",
    "normalize_rows",
    "plan_batches",
    "redact_texts",
    "truncate",
]
