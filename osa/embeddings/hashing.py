"""The offline default: a lexical feature-hashing embedding (no key, no network, no weights).

Each text becomes word unigrams, word bigrams and character 3-5-grams of every word; each feature is hashed
(stable 64-bit BLAKE2b, so vectors are identical across processes and machines) to a column and a sign, weighted by
sublinear term frequency (1 + ln tf) and the row is L2-normalized. Signed hashing keeps collisions unbiased; the
character n-grams make inflections and typos ("personalise", "personalized") close. It knows no synonyms: see
docs/embeddings.md for the measurements behind choosing it as the default.
"""

from __future__ import annotations

import hashlib
import re
import time

import numpy as np

from .errors import EmbeddingConfigError
from .stats import EmbeddingStats

_WORD = re.compile(r"\w+", re.UNICODE)
_EMPTY_FEATURE = "\x00empty"
#: The weight of each feature family before normalization (characters are many, so each counts for less).
UNIGRAM_WEIGHT = 1.0
BIGRAM_WEIGHT = 0.7
CHAR_WEIGHT = 0.35
CHAR_NGRAMS = (3, 4, 5)
_UNIGRAM, _BIGRAM, _CHAR = 0, 1, 2
_FAMILY_WEIGHTS = np.array([UNIGRAM_WEIGHT, BIGRAM_WEIGHT, CHAR_WEIGHT])
_MEMO_LIMIT = 500_000


class HashingEmbeddingProvider:
    """Deterministic lexical embeddings of exactly ``dimensions`` columns; several thousand texts per second."""

    name = "hashing"
    model = "osa-lexical-hash-v1"  # change the version whenever the features change: it is part of the cache key
    external = False

    def __init__(self, dimensions: int = 1536, *, index_dimensions: int | None = None) -> None:
        if dimensions < 8:
            raise EmbeddingConfigError(f"hashing embedding needs at least 8 dimensions, got {dimensions}")
        if index_dimensions is not None and index_dimensions != dimensions:
            raise EmbeddingConfigError(
                f"embedding provider {self.name}/{self.model} gives {dimensions} dimensions "
                f"but the index is declared with {index_dimensions}"
            )
        self.dimensions = dimensions
        self.last_stats = EmbeddingStats(provider=self.name, model=self.model, dimensions=dimensions)
        self._codes: dict[str, int] = {}  # feature -> code (see _code)
        self._words: dict[str, list[int]] = {}  # word -> codes of its unigram and character n-grams

    def __repr__(self) -> str:
        return f"HashingEmbeddingProvider(dimensions={self.dimensions})"

    def _code(self, feature: str, family: int) -> int:
        """A feature's code: ``(signed column + dimensions) * 3 + family``, a non-negative int (memoized)."""
        code = self._codes.get(feature)
        if code is None:
            h = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
            column = (h >> 1) % self.dimensions
            signed = column + 1 if h & 1 else -(column + 1)
            code = (signed + self.dimensions) * 3 + family
            if len(self._codes) >= _MEMO_LIMIT:
                self._codes.clear()
            self._codes[feature] = code
        return code

    def _word_codes(self, word: str) -> list[int]:
        """The codes of a word: its unigram and its character n-grams (memoized per word)."""
        codes = self._words.get(word)
        if codes is None:
            padded = f"<{word}>"
            codes = [self._code("w:" + word, _UNIGRAM)]
            codes.extend(
                self._code("c:" + padded[i : i + n], _CHAR)
                for n in CHAR_NGRAMS
                for i in range(max(1, len(padded) - n + 1))
            )
            if len(self._words) >= _MEMO_LIMIT:
                self._words.clear()
            self._words[word] = codes
        return codes

    def embed(self, texts: list[str]) -> np.ndarray:
        """Rows L2-normalized, float32, shape ``(len(texts), dimensions)``."""
        started = time.perf_counter()
        dims = self.dimensions
        codes: list[int] = []
        lengths: list[int] = []
        empty = self._code(_EMPTY_FEATURE, _UNIGRAM)
        for text in texts:
            before = len(codes)
            words = _WORD.findall(text.lower())
            if not words:
                codes.append(empty)
            for word in words:
                codes.extend(self._word_codes(word))
            codes.extend(self._code("b:" + a + " " + b, _BIGRAM) for a, b in zip(words, words[1:], strict=False))
            lengths.append(len(codes) - before)
        out = np.zeros((len(texts), dims), dtype=np.float64)
        if texts:
            span = (2 * dims + 1) * 3
            rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
            keys, tf = np.unique(rows * span + np.asarray(codes, dtype=np.int64), return_counts=True)
            row, code = np.divmod(keys, span)
            family = code % 3
            signed = code // 3 - dims
            values = _FAMILY_WEIGHTS[family] * (1.0 + np.log(tf)) * np.sign(signed)
            flat = row * dims + (np.abs(signed) - 1)
            out = np.bincount(flat, weights=values, minlength=len(texts) * dims).reshape(out.shape)
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            # a row cancels out only if all its features collide with opposite signs: use the empty text's vector
            zero = norms[:, 0] == 0
            if zero.any():
                out[zero] = 0.0
                out[zero, abs(empty // 3 - dims) - 1] = 1.0
                norms[zero] = 1.0
            out /= norms
        self.last_stats = EmbeddingStats(
            provider=self.name,
            model=self.model,
            dimensions=self.dimensions,
            texts=len(texts),
            embedded=len(texts),
            seconds=time.perf_counter() - started,
            cost_usd=0.0,
        )
        return out.astype(np.float32)
