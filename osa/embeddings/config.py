"""Which embedding provider a deployment uses: one function for the Dagster resource and the CLI alike."""

from __future__ import annotations

import os

from .errors import EmbeddingConfigError
from .hashing import HashingEmbeddingProvider
from .providers import DEFAULT_OPENAI_MODEL, EmbeddingProvider, OpenAIEmbeddingProvider

PROVIDERS = ("hashing", "openai")


def configured_provider(
    index_dimensions: int,
    *,
    provider: str = "",
    model: str = "",
    dimensions: int = 0,
    api_key: str = "",
    base_url: str = "",
    max_concurrency: int = 4,
) -> EmbeddingProvider:
    """The provider named by `provider` or OSA_EMBEDDING_PROVIDER (default `hashing`: offline, no key).

    Dimensions default to the index's; anything else is refused here, at start, never as a table of mixed
    vectors. `openai` reads OPENAI_API_KEY / OPENAI_BASE_URL when they are not passed in.
    """
    name = provider or os.environ.get("OSA_EMBEDDING_PROVIDER") or "hashing"
    if name == "hashing":
        return HashingEmbeddingProvider(dimensions or index_dimensions, index_dimensions=index_dimensions)
    if name == "openai":
        key = api_key or os.environ.get("OPENAI_API_KEY", "")
        if not key:
            raise EmbeddingConfigError("OSA_EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY")
        return OpenAIEmbeddingProvider(
            api_key=key,
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
            model=model or DEFAULT_OPENAI_MODEL,
            dimensions=dimensions or index_dimensions,
            index_dimensions=index_dimensions,
            max_concurrency=max_concurrency,
        )
    raise EmbeddingConfigError(
        f"unknown embedding provider {name!r} (OSA_EMBEDDING_PROVIDER): expected one of {', '.join(PROVIDERS)}"
    )
