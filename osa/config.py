"""Where things live by default, resolved once so the CLI, Dagster and tests agree."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEED_DATA_DIR = PROJECT_ROOT / "seed-data"
STATE_DIR = Path(os.environ.get("OSA_STATE_DIR", PROJECT_ROOT / ".osa"))


def default_landing_dir() -> Path:
    return Path(os.environ.get("OSA_LANDING_DIR", STATE_DIR / "landing"))


def default_duckdb_path() -> Path:
    return Path(os.environ.get("OSA_DUCKDB_PATH", STATE_DIR / "warehouse.duckdb"))


def default_data_docs_dir() -> Path:
    """Where the Great Expectations Data Docs (HTML) of the gold suites are written."""
    return Path(os.environ.get("OSA_DATA_DOCS_DIR", STATE_DIR / "data-docs"))


def is_development() -> bool:
    """Development mode (OSA_ENV=development, the default when unset) is the only one that allows the
    documented development secrets and keys (seed data, tests); every other value refuses them by value.
    OSA_ENVIRONMENT is read when OSA_ENV is unset, as osa.pii.keys does."""
    for name in ("OSA_ENV", "OSA_ENVIRONMENT"):
        if os.environ.get(name):
            return os.environ[name].lower() == "development"
    return "OSA_ENV" not in os.environ  # declared but empty: not development


def partitions_start() -> dt.date:
    """The first day of the daily partitions (OSA_PARTITIONS_START, default 2026-07-01).

    Staging files no line under an earlier day: such a day is no partition, so no run could ingest it.
    """
    return dt.date.fromisoformat(os.environ.get("OSA_PARTITIONS_START") or "2026-07-01")
