"""Open a Dagster instance directory from a test, the way the CLI and `dagster dev` do.

The local instance's storage is located by `DAGSTER_HOME` (`dagster.yaml`: `base_dir: {env: DAGSTER_HOME}`),
so reading another process's instance sets it for the duration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg


@contextmanager
def open_instance(home: Path | str) -> Iterator[dg.DagsterInstance]:
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous
