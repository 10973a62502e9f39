"""The two exception types of the embedding layer, so callers catch one thing per failure kind."""

from __future__ import annotations


class EmbeddingError(RuntimeError):
    """Embedding failed at run time (unreachable API, rejected key, retries exhausted, bad response).

    The message is one line naming the cause; it never contains the API key.
    """


class EmbeddingConfigError(ValueError):
    """A configuration that cannot work (unknown model, dimensions that do not fit the index), found at start."""


def one_line(message: str, *secrets: str | None) -> str:
    """Collapse whitespace to one line and blank out every secret, so an error can be logged as is."""
    text = " ".join(str(message).split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
