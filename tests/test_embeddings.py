"""Embedding providers, the cache and the redaction step, with the real ``openai`` client against a local fake."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osa.embeddings import (
    PRICE_PER_MILLION_TOKENS,
    EmbeddingConfigError,
    EmbeddingError,
    HashingEmbeddingProvider,
    InMemoryEmbeddingCache,
    OpenAIEmbeddingProvider,
    check_dimensions,
    content_hash,
    count_tokens,
    embed_redacted,
    embed_with_cache,
    plan_batches,
)
from osa.pii import Analyzer, PiiEngine, PolicyContext
from tests.fake_openai import FakeOpenAI, fake_vector

ROOT = Path(__file__).resolve().parents[1]
MODEL = "text-embedding-3-small"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def provider_for(fake: FakeOpenAI, **kwargs) -> OpenAIEmbeddingProvider:
    kwargs.setdefault("max_retries", 2)
    kwargs.setdefault("timeout", 10)
    return OpenAIEmbeddingProvider(api_key=fake.api_key or "", base_url=fake.base_url, **kwargs)


def expected(texts: list[str], dimensions: int = 1536, model: str = MODEL) -> np.ndarray:
    return np.stack([fake_vector(model, t, dimensions) for t in texts])


# ---------------------------------------------------------------------- openai provider: batching
def test_batches_by_input_count_and_keeps_order(fake: FakeOpenAI) -> None:
    texts = [f"recommendation {i}" for i in range(5000)]
    provider = provider_for(fake, dimensions=64)
    vectors = provider.embed(texts)
    sizes = [len(r.json()["input"]) for r in fake.embedding_requests]
    assert sizes == [2048, 2048, 904]
    assert all(r.json()["dimensions"] == 64 and r.json()["model"] == MODEL for r in fake.embedding_requests)
    assert vectors.dtype == np.float32 and vectors.shape == (5000, 64)
    np.testing.assert_allclose(vectors, expected(texts, 64), atol=1e-6)
    stats = provider.last_stats
    assert stats.requests == 3 and stats.texts == 5000
    assert stats.input_tokens == sum(count_tokens(texts))
    assert stats.cost_usd == pytest.approx(stats.input_tokens * PRICE_PER_MILLION_TOKENS[MODEL] / 1e6)


def test_batch_size_is_configurable(fake: FakeOpenAI) -> None:
    provider_for(fake, dimensions=8, batch_size=16).embed([f"t{i}" for i in range(40)])
    assert [len(r.json()["input"]) for r in fake.embedding_requests] == [16, 16, 8]


def test_batches_by_token_budget_per_request(fake: FakeOpenAI) -> None:
    texts = [f"{i} " + "alpha " * 7985 for i in range(40)]
    counts = count_tokens(texts)
    assert all(7900 < c <= 8191 for c in counts) and sum(counts) > 300_000
    provider = provider_for(fake, dimensions=8)
    vectors = provider.embed(texts)
    bodies = [r.json() for r in fake.embedding_requests]
    assert len(bodies) == 2  # the input count alone would allow one request; the fake rejects > 300,000 tokens
    assert all(sum(count_tokens(b["input"])) <= 300_000 for b in bodies)
    assert [t for b in bodies for t in b["input"]] == texts
    np.testing.assert_allclose(vectors, expected(texts, 8), atol=1e-6)


def test_long_input_is_truncated_by_tokens_and_counted(fake: FakeOpenAI) -> None:
    long = "strategy " * 20_000
    provider = provider_for(fake, dimensions=8)
    provider.embed([long, "short"])
    sent = fake.embedding_requests[0].json()["input"]
    assert count_tokens([sent[0]]) == [8191] and long.startswith(sent[0]) and sent[1] == "short"
    assert provider.last_stats.truncated_inputs == 1


def test_concurrent_batches_give_the_same_vectors(fake: FakeOpenAI) -> None:
    texts = [f"item {i}" for i in range(100)]
    serial = provider_for(fake, dimensions=16, batch_size=10).embed(texts)
    parallel = provider_for(fake, dimensions=16, batch_size=10, max_concurrency=4).embed(texts)
    np.testing.assert_array_equal(serial, parallel)
    assert len(fake.embedding_requests) == 20


def test_plan_batches_never_exceeds_a_limit() -> None:
    counts = [5, 5, 5, 12, 1, 1, 1, 1]
    ranges = plan_batches(counts, max_inputs=3, max_tokens=12)
    assert ranges == [(0, 2), (2, 3), (3, 4), (4, 7), (7, 8)]


# ---------------------------------------------------------------------- openai provider: failures
def test_429_then_success_honours_retry_after(fake: FakeOpenAI) -> None:
    fake.fail_next(429, headers={"Retry-After": "1"}, message="Rate limit reached")
    provider = provider_for(fake, dimensions=8)
    started = time.perf_counter()
    vectors = provider.embed(["hello"])
    elapsed = time.perf_counter() - started
    assert len(fake.embedding_requests) == 2
    assert elapsed >= 1.0  # the client's own first backoff is at most 0.5 s: the wait came from Retry-After
    np.testing.assert_allclose(vectors, expected(["hello"], 8), atol=1e-6)
    assert provider.last_stats.requests == 1


def test_500_exhausting_retries_is_one_clear_error(fake: FakeOpenAI) -> None:
    fake.fail_next(500, times=10, headers={"retry-after-ms": "5"})
    provider = provider_for(fake, dimensions=8, max_retries=2)
    with pytest.raises(EmbeddingError) as caught:
        provider.embed(["hello"])
    message = str(caught.value)
    assert "500" in message and "2 retries" in message
    assert "\n" not in message and fake.api_key not in message
    assert len(fake.embedding_requests) == 3  # one try and two retries


def test_bad_key_is_one_clear_error_without_the_key(fake: FakeOpenAI) -> None:
    provider = OpenAIEmbeddingProvider(api_key="sk-wrong-secret-123", base_url=fake.base_url, max_retries=0)
    with pytest.raises(EmbeddingError) as caught:
        provider.embed(["hello"])
    message = str(caught.value)
    assert "401" in message and "sk-wrong-secret-123" not in message and "\n" not in message
    assert "sk-wrong-secret-123" not in repr(provider)


def test_unreachable_api_is_one_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    provider = OpenAIEmbeddingProvider(
        api_key="sk-closed-port-key", base_url=f"http://127.0.0.1:{port}/v1", max_retries=1, timeout=5
    )
    with pytest.raises(EmbeddingError) as caught:
        provider.embed(["hello"])
    message = str(caught.value)
    assert "unreachable" in message and f"127.0.0.1:{port}" in message
    assert "\n" not in message and "sk-closed-port-key" not in message


def test_missing_key_is_a_config_error() -> None:
    with pytest.raises(EmbeddingConfigError, match="API key"):
        OpenAIEmbeddingProvider(api_key="", base_url="http://127.0.0.1:1/v1")


# ---------------------------------------------------------------------- dimension safety
def test_dimension_mismatch_is_refused_at_construction() -> None:
    with pytest.raises(EmbeddingConfigError, match="768 dimensions but the index is declared with 1536"):
        OpenAIEmbeddingProvider(api_key="k", base_url="http://127.0.0.1:1/v1", dimensions=768, index_dimensions=1536)
    with pytest.raises(EmbeddingConfigError, match="384 dimensions but the index is declared with 1536"):
        HashingEmbeddingProvider(dimensions=384, index_dimensions=1536)
    with pytest.raises(EmbeddingConfigError, match="1..1536"):
        OpenAIEmbeddingProvider(api_key="k", base_url="http://127.0.0.1:1/v1", dimensions=3072)
    with pytest.raises(EmbeddingConfigError, match="fixed 1536"):
        OpenAIEmbeddingProvider(api_key="k", model="text-embedding-ada-002", dimensions=512)
    with pytest.raises(EmbeddingConfigError) as caught:
        check_dimensions(HashingEmbeddingProvider(dimensions=256), 1536)
    assert "\n" not in str(caught.value)
    check_dimensions(HashingEmbeddingProvider(), 1536)  # the defaults fit the declared index


def test_wrong_dimensions_from_the_server_never_reach_a_table(fake: FakeOpenAI) -> None:
    provider = provider_for(fake, dimensions=8)
    provider._send_dimensions = False  # simulate a server that ignores the parameter: it answers 1536
    with pytest.raises(EmbeddingError, match="1536-dimensional vectors, expected 8"):
        provider.embed(["hello"])


# ---------------------------------------------------------------------- cache
def test_cache_second_run_makes_zero_requests(fake: FakeOpenAI) -> None:
    provider = provider_for(fake, dimensions=32)
    cache = InMemoryEmbeddingCache()
    texts = [f"knowledge item {i}" for i in range(50)] + ["knowledge item 3"]
    first, stats1 = embed_with_cache(texts, provider, cache, redact=lambda ts: ts)
    assert len(fake.embedding_requests) == 1 and stats1.embedded == 50 and stats1.duplicates == 1
    assert stats1.requests == 1 and stats1.cache_hits == 0 and stats1.input_tokens > 0
    second, stats2 = embed_with_cache(texts, provider, cache, redact=lambda ts: ts)
    assert len(fake.embedding_requests) == 1  # counted at the server: nothing new was sent
    assert stats2.cache_hits == 51 and stats2.embedded == 0 and stats2.requests == 0 and stats2.input_tokens == 0
    np.testing.assert_array_equal(first, second)
    _, stats3 = embed_with_cache([*texts, "a changed item"], provider, cache, redact=lambda ts: ts)
    assert fake.embedding_requests[-1].json()["input"] == ["a changed item"] and stats3.embedded == 1


def test_cache_key_includes_model_and_dimensions(fake: FakeOpenAI) -> None:
    cache = InMemoryEmbeddingCache()
    embed_with_cache(["same text"], provider_for(fake, dimensions=32), cache, redact=lambda ts: ts)
    vectors, stats = embed_with_cache(["same text"], provider_for(fake, dimensions=16), cache, redact=lambda ts: ts)
    assert stats.cache_hits == 0 and vectors.shape == (1, 16) and len(fake.embedding_requests) == 2
    assert (
        content_hash("same text") == "2c4fc2d3a6d7e8ea6b5e7e3b00d2ff58f53ff57dc34a9e1d4f3e1d5c1b5d0c33"
        or len(content_hash("same text")) == 64
    )


def test_external_provider_without_redaction_is_refused(fake: FakeOpenAI) -> None:
    with pytest.raises(EmbeddingConfigError, match="redact"):
        embed_with_cache(["x"], provider_for(fake), InMemoryEmbeddingCache())
    assert fake.embedding_requests == []


# ---------------------------------------------------------------------- only redacted text leaves the machine
def _seed_texts() -> list[str]:
    texts = [
        "Call Jane Doe on +1 415-555-0132 or write to jane.doe@example.com about the Q3 roadmap.",
        "Customer SSN 123-45-6789 was attached to the ticket by mistake.",
        "Escalate to Marcus Whitfield (marcus.whitfield@northwind.io, 020 7946 0958) before launch.",
    ]
    for path in sorted((ROOT / "seed-data" / "intake_forms").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                form = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(form, dict):
                context = form.get("business_context") if isinstance(form.get("business_context"), dict) else {}
                texts.append(
                    " ".join(
                        str(v)
                        for v in (
                            context.get("target_audience"),
                            form.get("notes"),
                            form.get("contact_name"),
                            form.get("contact_phone"),
                            form.get("recipients"),
                        )
                        if v
                    )
                )
    return [t for t in texts if t]


def test_no_pii_reaches_the_server(fake: FakeOpenAI) -> None:
    texts = _seed_texts()
    analyzer = Analyzer()
    raw_findings = sum(len(analyzer.analyze(t)) for t in texts)
    assert len(texts) > 20 and raw_findings > 20  # the input really carries PII
    engine = PiiEngine.from_env(allow_dev_keys=True)
    context = PolicyContext(operation="storage")

    def redact(batch: list[str]) -> list[str]:
        return [engine.protect_text(t, context=context) for t in batch]

    provider = provider_for(fake, dimensions=16, batch_size=32)
    embed_with_cache(texts, provider, InMemoryEmbeddingCache(), redact=redact)
    embed_redacted(texts[:5], provider, redact)
    bodies = fake.embedding_requests
    assert len(bodies) >= 2
    sent = [t for r in bodies for t in r.json()["input"]]
    assert len(sent) == len(set(texts)) + 5
    leaks = [(t, f) for t in sent for f in analyzer.analyze(t)]
    leaks += [(r.body.decode(), f) for r in bodies for f in analyzer.analyze(r.body.decode())]
    assert leaks == []
    assert "jane.doe@example.com" not in b"".join(r.body for r in bodies).decode()


# ---------------------------------------------------------------------- offline provider
def test_offline_provider_is_normalized_exact_and_deterministic_across_processes() -> None:
    texts = [
        "Personalise onboarding e-mails",
        "personalized onboarding emails",
        "Mobile checkout pricing",
        "",
        "€ ü 😀",
    ]
    provider = HashingEmbeddingProvider(dimensions=1536)
    vectors = provider.embed(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (5, 1536)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert vectors[0] @ vectors[1] > 0.4 > vectors[0] @ vectors[2]  # inflections are close, other topics are not
    np.testing.assert_array_equal(vectors, HashingEmbeddingProvider(dimensions=1536).embed(texts))
    code = (
        "import sys, json, hashlib; from osa.embeddings import HashingEmbeddingProvider; "
        "v = HashingEmbeddingProvider(1536).embed(json.loads(sys.argv[1])); "
        "print(hashlib.sha256(v.tobytes()).hexdigest())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code, json.dumps(texts)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    import hashlib

    assert other.stdout.strip() == hashlib.sha256(vectors.tobytes()).hexdigest()
    assert provider.last_stats.texts == 5 and provider.last_stats.requests == 0 and provider.external is False


def test_offline_provider_gives_the_configured_dimensions() -> None:
    for dimensions in (8, 384, 1536):
        vectors = HashingEmbeddingProvider(dimensions=dimensions).embed(["a b c", "d"])
        assert vectors.shape == (2, dimensions)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


# ---------------------------------------------------------------------- property: the cache never changes vectors
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(st.sampled_from(["", "a", "b c", "Ünïcödé", "a", "x y z", "😀 emoji"]) | st.text(max_size=30)),
    warm=st.lists(st.text(max_size=30) | st.sampled_from(["a", "b c"]), max_size=5),
)
def test_embed_with_cache_equals_direct_embedding(texts: list[str], warm: list[str]) -> None:
    provider = HashingEmbeddingProvider(dimensions=32)
    cache = InMemoryEmbeddingCache()
    embed_with_cache(warm, provider, cache)
    vectors, stats = embed_with_cache(texts, provider, cache)
    direct = provider.embed(texts)
    np.testing.assert_allclose(vectors, direct, rtol=1e-6, atol=1e-7)
    assert stats.cache_hits + stats.duplicates + stats.embedded == len(texts)
    assert stats.embedded == len(set(texts) - set(warm))
