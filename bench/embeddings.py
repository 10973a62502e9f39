"""Embedding benchmark: texts/s per provider, and what batching and concurrency buy against a slow API.

Usage: .venv/bin/python bench/embeddings.py [--texts 3000] [--latency 0.1]
Texts are the string fields of the seed deliveries and forms (topped up with generated sentences). The openai
provider runs the real client against tests/fake_openai.py with ``--latency`` seconds injected per request.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from osa.embeddings import HashingEmbeddingProvider, OpenAIEmbeddingProvider, count_tokens  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402

WORDS = (
    "improve",
    "onboarding",
    "conversion",
    "retail",
    "customers",
    "personalised",
    "emails",
    "checkout",
    "funnel",
    "mobile",
    "loyalty",
    "program",
    "audience",
    "segment",
    "experiment",
    "pricing",
    "page",
    "content",
    "strategy",
    "search",
    "ranking",
    "recommendation",
    "churn",
    "retention",
)


def corpus(n: int) -> list[str]:
    """Realistic short texts: every string of >= 3 words in the seed data, then generated sentences up to ``n``."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str) and len(value.split()) >= 3:
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in sorted((ROOT / "seed-data").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                walk(json.loads(line))
            except json.JSONDecodeError:
                continue
    texts = list(dict.fromkeys(found))[:n]
    rng = random.Random(7)
    while len(texts) < n:
        texts.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 25))) + f" #{len(texts)}")
    return texts


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    texts = corpus(args.texts)
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(
        f"corpus: {len(texts)} texts, {words:.1f} words/text on average; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}"
    )

    print("\n## offline providers")
    print(f"| {'provider':<32} | {'dimensions':>10} | {'cold s':>7} | {'warm s':>7} | {'texts/s (warm)':>14} |")
    print(f"|{'-' * 34}|{'-' * 12}|{'-' * 9}|{'-' * 9}|{'-' * 16}|")
    for dimensions in (1536, 384):
        provider = HashingEmbeddingProvider(dimensions=dimensions)
        cold = timed(provider.embed, texts)
        warm = min(timed(provider.embed, texts) for _ in range(3))
        print(
            f"| {'hashing (' + provider.model + ')':<32} | {dimensions:>10} | {cold:>7.3f} | {warm:>7.3f} | "
            f"{len(texts) / warm:>14,.0f} |"
        )
    seconds = min(timed(count_tokens, texts) for _ in range(3))
    print(
        f"\ntoken counting (bpe-openai, cl100k_base): {len(texts) / seconds:,.0f} texts/s, "
        f"{sum(count_tokens(texts)) / len(texts):.1f} tokens/text"
    )

    print(f"\n## openai provider, real client against the fake server, {args.latency * 1000:.0f} ms per request")
    print(
        f"| {'batch size':>10} | {'concurrency':>11} | {'texts':>6} | {'requests':>8} | {'requests/1,000':>14} | "
        f"{'seconds':>7} | {'texts/s':>8} |"
    )
    print(f"|{'-' * 12}|{'-' * 13}|{'-' * 8}|{'-' * 10}|{'-' * 16}|{'-' * 9}|{'-' * 10}|")
    with FakeOpenAI(latency=args.latency) as fake:
        for batch_size in (1, 16, 256, 2048):
            for concurrency in (1, 4):
                n = 100 if batch_size == 1 else 1000  # batch size 1 alone would take 100 s per 1,000 texts
                sample = texts[:n]
                provider = OpenAIEmbeddingProvider(
                    api_key=fake.api_key or "",
                    base_url=fake.base_url,
                    batch_size=batch_size,
                    max_concurrency=concurrency,
                    max_retries=0,
                )
                provider.embed(sample[:1])  # warm the connection and the tokenizer
                before = len(fake.embedding_requests)
                seconds = timed(provider.embed, sample)
                requests = len(fake.embedding_requests) - before
                print(
                    f"| {batch_size:>10} | {concurrency:>11} | {n:>6} | {requests:>8} | "
                    f"{math.ceil(1000 / batch_size):>14} | {seconds:>7.2f} | {n / seconds:>8,.0f} |"
                )
                provider.close()


if __name__ == "__main__":
    main()
