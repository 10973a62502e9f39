"""Fixtures for the PII engine tests: one engine per session (lexicons load once)."""

from __future__ import annotations

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
