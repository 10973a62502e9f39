"""Token counting for OpenAI embedding models, offline.

``tiktoken`` downloads its BPE table at run time, which a fresh or air-gapped machine cannot do; ``bpe-openai``
(Python bindings of GitHub's Rust ``bpe-openai`` crate) embeds the ``cl100k_base`` and ``o200k_base`` tables in
its wheel and offers a tiktoken-compatible API, so counts are exact and nothing is fetched.
"""

from __future__ import annotations

import functools
from typing import Any

#: The encoding of every OpenAI embedding model (text-embedding-3-small/large, ada-002).
EMBEDDING_ENCODING = "cl100k_base"


@functools.cache
def encoding(name: str = EMBEDDING_ENCODING) -> Any:
    """The tokenizer, loaded once per process from the tables bundled in the ``bpe-openai`` wheel."""
    import bpe_openai

    return bpe_openai.get_encoding(name)


def count_tokens(texts: list[str], name: str = EMBEDDING_ENCODING) -> list[int]:
    """Exact token counts; special-token text such as ``<|endoftext|>`` is counted as ordinary text, as the API does."""
    enc = encoding(name)
    return [len(tokens) for tokens in enc.encode_ordinary_batch(texts)]


def truncate(text: str, max_tokens: int, name: str = EMBEDDING_ENCODING) -> tuple[str, int]:
    """``text`` cut to at most ``max_tokens`` tokens, and its token count after cutting.

    Decoding a cut can split a multi-byte character; the re-encoded count is checked and the cut shortened until it
    fits, so the API's per-input limit is never exceeded.
    """
    enc = encoding(name)
    tokens = enc.encode_ordinary(text)
    if len(tokens) <= max_tokens:
        return text, len(tokens)
    keep = max_tokens
    while keep > 0:
        cut = enc.decode_bytes(tokens[:keep]).decode("utf-8", errors="ignore")
        count = len(enc.encode_ordinary(cut))
        if count <= max_tokens:
            return cut, count
        keep -= 1
    return "", 0
