"""Fixtures for the PII engine tests: one engine per session (lexicons load once)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from osa.pii import PiiEngine, PiiKeys, Policy, PolicyContext


@pytest.fixture(scope="session")
def engine() -> PiiEngine:
    return PiiEngine(PiiKeys.development(), Policy.default())


@pytest.fixture
def storage() -> PolicyContext:
    return PolicyContext(operation="storage", classification="internal", role="admin")


def spans(engine: PiiEngine, text: str, field: str | None = None) -> list[tuple[str, str]]:
    """(pii_type, matched text) pairs, the easiest thing to assert on."""
    return [(f.pii_type, text[f.start : f.end]) for f in engine.analyze(text, field)]


def assert_prefilters_cover(engine: PiiEngine, texts: list[str]) -> np.ndarray:
    """Every recognizer that finds something in a text has its prefilter bit set there; the masks."""
    masks = engine._masks(pl.Series("v", texts, dtype=pl.String))
    assert len(masks) == len(texts)
    for text, mask in zip(texts, masks.tolist(), strict=True):
        for index, recognizer in enumerate(engine.recognizers):
            if recognizer.find(text):
                assert mask >> index & 1, f"{recognizer.name} prefilter misses {text!r}"
    return masks
