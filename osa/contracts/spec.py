"""A tiny declarative language for JSON data contracts.

A contract is a list of `Field`s addressed by dotted paths; `[]` marks the elements of an array of
objects (``agent_data.recommendations[].priority``). The same declaration drives the columnar
validator (compiled to DuckDB SQL in `osa.ingest.validate`), the documentation and the seed generator,
so the rules live in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["string", "number", "integer", "boolean", "timestamp", "object", "string_list", "object_list"]


@dataclass(frozen=True)
class Field:
    """One rule-bearing JSON location.

    `kind` is the JSON type expected; `string_list` is an array of strings and `object_list` an array of
    objects whose own fields are declared with `path[].name`. `object` is a free-form JSON object.
    """

    path: str
    kind: Kind
    required: bool = True
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None  # strings: trimmed length; lists: element count
    pattern: str | None = None  # full-match regular expression for strings
    description: str = ""

    @property
    def array_path(self) -> str | None:
        """The object-list path this field lives under, or None for a top-level field."""
        return self.path.split("[]")[0] if "[]" in self.path else None

    @property
    def leaf(self) -> str:
        """The field name inside its object-list element (or the full path when top level)."""
        return self.path.split("[].")[1] if "[]" in self.path else self.path


@dataclass(frozen=True)
class Contract:
    """A named list of fields plus extra checks that span several fields (`rules`)."""

    name: str
    fields: tuple[Field, ...]
    description: str = ""

    def field(self, path: str) -> Field:
        for candidate in self.fields:
            if candidate.path == path:
                return candidate
        raise KeyError(f"{self.name} declares no field {path!r}")
