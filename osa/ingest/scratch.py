"""A private scratch DuckDB database for one transformation step.

DuckDB parallelizes by row group (122,880 rows by default), so a day or a few days of deliveries
would run on one core. The scratch database is a throw-away file in the temp directory attached
with small row groups, so every intermediate table spreads across all cores. It is deleted on exit.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

SCRATCH_ROW_GROUP = 8_192
SCRATCH_MEMORY_LIMIT = os.environ.get("OSA_SCRATCH_MEMORY_LIMIT", "512MB")  # beyond this DuckDB spills to disk


@contextlib.contextmanager
def scratch_connection(threads: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-process DuckDB whose default catalog is a small-row-group scratch file."""
    threads = threads or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="osa-scratch-") as folder:
        con = duckdb.connect(
            config={"threads": threads, "memory_limit": SCRATCH_MEMORY_LIMIT, "temp_directory": folder}
        )
        try:
            path = Path(folder) / "scratch.duckdb"
            con.execute(f"ATTACH '{path}' AS scratch (ROW_GROUP_SIZE {SCRATCH_ROW_GROUP})")
            con.execute("USE scratch")
            con.execute("SET force_compression = 'uncompressed'")  # throw-away tables: skip the CPU cost
            yield con
        finally:
            con.close()
