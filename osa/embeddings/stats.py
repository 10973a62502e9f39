"""Per-call embedding statistics, shaped for asset metadata (requests, tokens, cache hits, estimated cost)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: USD per 1M input tokens, per model (OpenAI price list); a model not listed has no cost estimate.
PRICE_PER_MILLION_TOKENS: dict[str, float] = {
    "text-embedding-3-small": 0.02,
    "text-embedding-3-large": 0.13,
    "text-embedding-ada-002": 0.10,
}


def estimate_cost(model: str, input_tokens: int) -> float | None:
    """Estimated USD for ``input_tokens`` of ``model``; None when the model's price is unknown."""
    price = PRICE_PER_MILLION_TOKENS.get(model)
    return None if price is None else input_tokens * price / 1_000_000


@dataclass(frozen=True)
class EmbeddingStats:
    """What one ``embed``/``embed_with_cache`` call did."""

    provider: str
    model: str
    dimensions: int
    texts: int = 0  # texts asked for
    embedded: int = 0  # texts the provider actually embedded (after cache and de-duplication)
    cache_hits: int = 0  # texts answered from the cache
    duplicates: int = 0  # texts answered by an identical text in the same call
    requests: int = 0  # API requests issued (not counting the client's own retries)
    input_tokens: int = 0
    truncated_inputs: int = 0
    cost_usd: float | None = 0.0
    seconds: float = 0.0

    def as_metadata(self) -> dict[str, object]:
        """A flat dict for Dagster asset metadata."""
        return asdict(self)
