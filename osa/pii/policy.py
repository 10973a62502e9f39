"""Context-aware policy: which protection mode applies to which finding.

The same email is pseudonymized when stored in silver (joins still work), hashed
in a log line, shown partially to an ordinary user and removed for a guest. The
decision depends only on (operation, classification, role, pii_type), so it is a
small ordered rule table: the first matching rule wins. See docs/pii.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .types import ALL_TYPES, HIGH_RISK_TYPES

OPERATIONS = ("logging", "display", "storage")
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
ROLES = ("admin", "user", "guest")
MODES = ("mask", "hash", "encrypt", "anonymize", "pseudonymize", "partial", "remove")


class PolicyError(ValueError):
    """An invalid policy context or rule."""


@dataclass(frozen=True, slots=True)
class PolicyContext:
    """Where the protected data is going: what for, how sensitive, and for whom."""

    operation: str = "storage"
    classification: str = "internal"
    role: str = "admin"

    def __post_init__(self) -> None:
        for value, allowed, what in (
            (self.operation, OPERATIONS, "operation"),
            (self.classification, CLASSIFICATIONS, "classification"),
            (self.role, ROLES, "role"),
        ):
            if value not in allowed:
                raise PolicyError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")


@dataclass(frozen=True, slots=True)
class Rule:
    """``mode`` applies when every non-None condition matches (None = any)."""

    mode: str
    operation: str | None = None
    classification: str | None = None
    role: str | None = None
    pii_types: frozenset[str] | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise PolicyError(f"unknown mode {self.mode!r}; expected one of {', '.join(MODES)}")
        if self.pii_types is not None:
            unknown = set(self.pii_types) - set(ALL_TYPES)
            if unknown:
                raise PolicyError(f"unknown pii types in rule: {sorted(unknown)}")

    def matches(self, context: PolicyContext, pii_type: str) -> bool:
        return (
            (self.operation is None or self.operation == context.operation)
            and (self.classification is None or self.classification == context.classification)
            and (self.role is None or self.role == context.role)
            and (self.pii_types is None or pii_type in self.pii_types)
        )


def default_rules() -> list[Rule]:
    """The documented default table (docs/pii.md, "Policy")."""
    high = frozenset(HIGH_RISK_TYPES)
    return [
        Rule("remove", role="guest", reason="guests never see personal data"),
        Rule("hash", operation="logging", pii_types=high, reason="high-risk types are hashed in logs"),
        Rule("hash", operation="display", pii_types=high, reason="high-risk types are hashed on screen"),
        Rule(
            "encrypt",
            operation="storage",
            classification="restricted",
            pii_types=high,
            reason="restricted data keeps high-risk values recoverable, encrypted",
        ),
        Rule("anonymize", classification="public", reason="public data carries no linkable tokens"),
        Rule("partial", role="user", reason="ordinary users see the last digits / email domain"),
        Rule(
            "pseudonymize",
            operation="storage",
            reason="silver default: stable keyed tokens keep joins and erasure working",
        ),
        Rule("pseudonymize", operation="logging", reason="logs can correlate a subject without seeing them"),
        Rule("pseudonymize", operation="display", reason="admins see stable tokens, never raw values"),
    ]


@dataclass(frozen=True)
class Policy:
    """An ordered rule list; ``mode_for`` returns the first match (or ``fallback``)."""

    rules: Sequence[Rule] = field(default_factory=default_rules)
    fallback: str = "anonymize"
    #: Findings below this confidence are not protected (and not audited).
    min_confidence: float = 0.5

    def __post_init__(self) -> None:
        if self.fallback not in MODES:
            raise PolicyError(f"unknown fallback mode {self.fallback!r}")
        object.__setattr__(self, "_cache", {})

    @classmethod
    def default(cls) -> Policy:
        return cls()

    @classmethod
    def with_overrides(cls, overrides: Iterable[Rule], base: Policy | None = None) -> Policy:
        """Put project-specific rules in front of the defaults."""
        base = base or cls()
        return cls(rules=[*overrides, *base.rules], fallback=base.fallback, min_confidence=base.min_confidence)

    def mode_for(self, context: PolicyContext, pii_type: str) -> str:
        cache: dict = self._cache  # type: ignore[attr-defined]
        key = (context, pii_type)
        mode = cache.get(key)
        if mode is None:
            mode = next((r.mode for r in self.rules if r.matches(context, pii_type)), self.fallback)
            cache[key] = mode
        return mode

    def table(self, context: PolicyContext) -> dict[str, str]:
        """Mode per PII type for one context (handy for docs and audits)."""
        return {t: self.mode_for(context, t) for t in ALL_TYPES}
