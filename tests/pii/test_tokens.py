"""The protection-token format is defined once (osa/pii/operators.py) and every reader agrees with it."""

from __future__ import annotations

import polars as pl

from osa import leakscan
from osa.pii import PiiKeys
from osa.pii.analyzer import _PROTECTED_MARK, _TOKEN_GATE, blank_tokens, is_protected_or_empty
from osa.pii.operators import ENC_RE, TOKEN_PATTERN, TOKEN_RE, Operators, token_pattern
from osa.pii.types import ALL_TYPES

TOKEN_MODES = ("pseudonymize", "hash", "encrypt", "anonymize")


def tokens() -> list[tuple[str, str, str]]:
    ops = Operators(PiiKeys.development())
    return [(mode, t, ops.apply(mode, "jane@example.com", t)) for t in sorted(ALL_TYPES) for mode in TOKEN_MODES]


def test_every_token_the_operators_write_is_read_by_every_pattern() -> None:
    for mode, pii_type, token in tokens():
        assert TOKEN_RE.fullmatch(token), (mode, token)
        assert _TOKEN_GATE.search(token) and _PROTECTED_MARK.search(token), token
        assert is_protected_or_empty(token), token
        assert leakscan.PROTECTED.fullmatch(token), token  # the independent scanner tolerates it too
        assert blank_tokens(f"see {token} here") == "see " + " " * (len(token) - 4) + "xxxx here"
        if mode == "encrypt":
            assert ENC_RE.fullmatch(token).group(1) == pii_type.upper()
    column = pl.Series([f"a {token} b" for _, _, token in tokens()])
    assert column.str.contains(TOKEN_PATTERN).all()  # the polars (Rust) engine reads the same pattern


def test_the_leak_scanner_keeps_the_same_definition() -> None:
    """osa.leakscan imports nothing from osa.pii on purpose: its copy must be `token_pattern` verbatim."""
    assert leakscan.PROTECTED.pattern == token_pattern(leakscan._TYPE_WORD)
