"""Embedding providers: the protocol, the OpenAI provider and dimension safety.

Free of Dagster: a resource picks a provider (default the offline ``HashingEmbeddingProvider``) and passes the key
and base URL it read from the environment.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import EmbeddingConfigError, EmbeddingError, one_line
from .hashing import HashingEmbeddingProvider
from .stats import EmbeddingStats, estimate_cost
from .tokens import count_tokens, truncate

#: The API's limits for /v1/embeddings.
MAX_INPUTS_PER_REQUEST = 2048
MAX_TOKENS_PER_INPUT = 8191
MAX_TOKENS_PER_REQUEST = 300_000

#: Native dimensions per model, and whether the API accepts a smaller ``dimensions``.
MODEL_DIMENSIONS: dict[str, tuple[int, bool]] = {
    "text-embedding-3-small": (1536, True),
    "text-embedding-3-large": (3072, True),
    "text-embedding-ada-002": (1536, False),
}
DEFAULT_OPENAI_MODEL = "text-embedding-3-small"

Redactor = Callable[[list[str]], list[str]]


@runtime_checkable
class EmbeddingProvider(Protocol):
    """What the pipeline needs from any embedding backend.

    ``external`` is True when texts leave the machine: such a provider only ever gets redacted text
    (``embed_with_cache`` refuses to call it without a ``redact`` function).
    """

    name: str
    model: str
    dimensions: int
    external: bool
    last_stats: EmbeddingStats

    def embed(self, texts: list[str]) -> np.ndarray:
        """float32 array of shape ``(len(texts), dimensions)`` with L2-normalized rows."""
        ...


def check_dimensions(provider: EmbeddingProvider, index_dimensions: int) -> None:
    """Refuse, at start, a provider whose vectors would not fit the index: one index never mixes dimensions."""
    if provider.dimensions != index_dimensions:
        raise EmbeddingConfigError(
            f"embedding provider {provider.name}/{provider.model} gives {provider.dimensions} dimensions "
            f"but the index is declared with {index_dimensions}"
        )


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """L2-normalize rows as float32 (a zero row stays zero rather than becoming NaN)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def redact_texts(texts: list[str], redact: Redactor) -> list[str]:
    """Apply the PII choke point to texts before they go to an external provider; one output per input."""
    out = list(redact(list(texts)))
    if len(out) != len(texts):
        raise EmbeddingError(f"redaction returned {len(out)} texts for {len(texts)}")
    return out


def embed_redacted(texts: list[str], provider: EmbeddingProvider, redact: Redactor) -> np.ndarray:
    """Embed ``texts`` with only their redacted form ever reaching ``provider``."""
    return provider.embed(redact_texts(texts, redact))


@dataclass(frozen=True)
class _Batch:
    start: int
    texts: list[str]
    tokens: int


def plan_batches(
    token_counts: list[int],
    *,
    max_inputs: int = MAX_INPUTS_PER_REQUEST,
    max_tokens: int = MAX_TOKENS_PER_REQUEST,
) -> list[tuple[int, int]]:
    """Greedy, order-keeping ``(start, stop)`` ranges within both the input-count and the token budget per request."""
    ranges: list[tuple[int, int]] = []
    start = 0
    tokens = 0
    for i, count in enumerate(token_counts):
        if i > start and (i - start >= max_inputs or tokens + count > max_tokens):
            ranges.append((start, i))
            start, tokens = i, 0
        tokens += count
    if start < len(token_counts):
        ranges.append((start, len(token_counts)))
    return ranges


class OpenAIEmbeddingProvider:
    """OpenAI ``/v1/embeddings`` through the official client: batched within the API limits, retried by the client.

    429 and 5xx are retried by the client itself (exponential backoff, honouring ``Retry-After``) up to
    ``max_retries``; whatever still fails ends as one ``EmbeddingError`` line. ``max_concurrency`` > 1 sends
    batches from a thread pool (the client is thread-safe), which hides request latency.
    """

    name = "openai"
    external = True

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        model: str = DEFAULT_OPENAI_MODEL,
        dimensions: int | None = None,
        index_dimensions: int | None = None,
        max_retries: int = 4,
        timeout: float = 60.0,
        batch_size: int = MAX_INPUTS_PER_REQUEST,
        max_tokens_per_request: int = MAX_TOKENS_PER_REQUEST,
        max_tokens_per_input: int = MAX_TOKENS_PER_INPUT,
        max_concurrency: int = 1,
    ) -> None:
        import openai

        if not api_key:
            raise EmbeddingConfigError("OpenAI embeddings need an API key (OPENAI_API_KEY is not set)")
        native, shortenable = MODEL_DIMENSIONS.get(model, (None, True))
        if dimensions is None:
            if native is None:
                raise EmbeddingConfigError(f"model {model!r} has no known dimensions: pass dimensions explicitly")
            dimensions = native
        if dimensions < 1 or (native is not None and dimensions > native):
            raise EmbeddingConfigError(f"model {model} supports 1..{native} dimensions, got {dimensions}")
        if native is not None and not shortenable and dimensions != native:
            raise EmbeddingConfigError(f"model {model} has fixed {native} dimensions, got {dimensions}")
        if not 1 <= batch_size <= MAX_INPUTS_PER_REQUEST:
            raise EmbeddingConfigError(f"batch_size must be 1..{MAX_INPUTS_PER_REQUEST}, got {batch_size}")
        if max_concurrency < 1:
            raise EmbeddingConfigError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.model = model
        self.dimensions = dimensions
        if index_dimensions is not None:
            check_dimensions(self, index_dimensions)
        self._send_dimensions = native is None or shortenable  # ada-002 rejects the parameter
        self.base_url = base_url or "https://api.openai.com/v1"
        self.max_retries = max_retries
        self.batch_size = batch_size
        self.max_tokens_per_request = max_tokens_per_request
        self.max_tokens_per_input = max_tokens_per_input
        self.max_concurrency = max_concurrency
        self._api_key = api_key
        self._client = openai.OpenAI(api_key=api_key, base_url=self.base_url, max_retries=max_retries, timeout=timeout)
        self.last_stats = EmbeddingStats(provider=self.name, model=model, dimensions=dimensions)

    def __repr__(self) -> str:  # never shows the key
        return (
            f"OpenAIEmbeddingProvider(model={self.model!r}, dimensions={self.dimensions}, base_url={self.base_url!r})"
        )

    def close(self) -> None:
        self._client.close()

    def prepare(self, texts: list[str]) -> tuple[list[str], list[int], int]:
        """Texts cut to the per-input token limit, their token counts, and how many were cut."""
        counts = count_tokens(texts)
        prepared = list(texts)
        truncated = 0
        for i, count in enumerate(counts):
            if count > self.max_tokens_per_input:
                prepared[i], counts[i] = truncate(texts[i], self.max_tokens_per_input)
                truncated += 1
            elif not texts[i]:
                prepared[i] = " "  # the API rejects empty strings; a blank embeds like nothing
                counts[i] = 1
        return prepared, counts, truncated

    def batches(self, texts: list[str]) -> tuple[list[_Batch], int]:
        prepared, counts, truncated = self.prepare(texts)
        ranges = plan_batches(counts, max_inputs=self.batch_size, max_tokens=self.max_tokens_per_request)
        return [_Batch(a, prepared[a:b], sum(counts[a:b])) for a, b in ranges], truncated

    def embed(self, texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        batches, truncated = self.batches(list(texts))
        used_tokens = 0
        if self.max_concurrency == 1 or len(batches) == 1:
            results: Iterator[tuple[_Batch, np.ndarray, int]] = map(self._request, batches)
        else:
            pool = ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(batches)), thread_name_prefix="embed")
            results = pool.map(self._request, batches)
        try:
            for batch, vectors, tokens in results:
                out[batch.start : batch.start + len(batch.texts)] = vectors
                used_tokens += tokens
        finally:
            if self.max_concurrency > 1 and len(batches) > 1:
                pool.shutdown(wait=True, cancel_futures=True)
        self.last_stats = EmbeddingStats(
            provider=self.name,
            model=self.model,
            dimensions=self.dimensions,
            texts=len(texts),
            embedded=len(texts),
            requests=len(batches),
            input_tokens=used_tokens,
            truncated_inputs=truncated,
            cost_usd=estimate_cost(self.model, used_tokens),
            seconds=time.perf_counter() - started,
        )
        return out

    def _request(self, batch: _Batch) -> tuple[_Batch, np.ndarray, int]:
        import openai

        # base64 (as the client itself defaults to): float JSON is ~4x larger and dominates the time of big batches
        kwargs: dict[str, object] = {"model": self.model, "input": batch.texts, "encoding_format": "base64"}
        if self._send_dimensions:
            kwargs["dimensions"] = self.dimensions
        try:
            response = self._client.embeddings.create(**kwargs)  # type: ignore[arg-type]
        except openai.AuthenticationError as exc:
            raise self._error(f"OpenAI rejected the API key (401) at {self.base_url}") from exc
        except openai.PermissionDeniedError as exc:
            raise self._error(f"OpenAI denied access (403) to {self.model} at {self.base_url}") from exc
        except openai.APITimeoutError as exc:
            raise self._error(
                f"OpenAI embeddings API timed out at {self.base_url} after {self.max_retries} retries"
            ) from exc
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise self._error(f"OpenAI embeddings API unreachable at {self.base_url}: {cause}") from exc
        except openai.RateLimitError as exc:
            raise self._error(
                f"OpenAI rate limit (429) persisted after {self.max_retries} retries: {_api_message(exc)}"
            ) from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise self._error(
                    f"OpenAI server error ({exc.status_code}) persisted after {self.max_retries} retries: "
                    f"{_api_message(exc)}"
                ) from exc
            raise self._error(f"OpenAI rejected the request ({exc.status_code}): {_api_message(exc)}") from exc
        except openai.OpenAIError as exc:
            raise self._error(f"OpenAI embeddings failed: {type(exc).__name__}: {exc}") from exc
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != len(batch.texts):
            raise self._error(f"OpenAI returned {len(data)} embeddings for {len(batch.texts)} inputs")
        rows = [_decode(item.embedding) for item in data]
        wrong = next((len(row) for row in rows if len(row) != self.dimensions), None)
        if wrong is not None:
            raise self._error(f"OpenAI returned {wrong}-dimensional vectors, expected {self.dimensions}")
        vectors = np.stack(rows) if rows else np.zeros((0, self.dimensions), dtype=np.float32)
        usage = getattr(response, "usage", None)
        tokens = getattr(usage, "prompt_tokens", None) or batch.tokens
        return batch, normalize_rows(vectors), int(tokens)

    def _error(self, message: str) -> EmbeddingError:
        return EmbeddingError(one_line(message, self._api_key))


def _decode(embedding: object) -> np.ndarray:
    """One embedding as float32: base64 of little-endian float32 (what we ask for) or a list of floats."""
    if isinstance(embedding, str):
        return np.frombuffer(base64.b64decode(embedding), dtype="<f4").astype(np.float32)
    return np.asarray(embedding, dtype=np.float32)


def _api_message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(exc, "message", exc))


__all__ = [
    "DEFAULT_OPENAI_MODEL",
    "MAX_INPUTS_PER_REQUEST",
    "MAX_TOKENS_PER_INPUT",
    "MAX_TOKENS_PER_REQUEST",
    "EmbeddingProvider",
    "HashingEmbeddingProvider",
    "OpenAIEmbeddingProvider",
    "Redactor",
    "check_dimensions",
    "embed_redacted",
    "normalize_rows",
    "plan_batches",
    "redact_texts",
]
