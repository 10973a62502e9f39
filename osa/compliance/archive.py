"""The cold archive: Parquet files per table and day, written before rows leave the hot tables.

Layout: ``<archive>/<table>/event_date=<YYYY-MM-DD>/part-<digest>.parquet``. A part's name is the digest of
its rows, so archiving the same rows again (a re-run after a crash between archive and delete) rewrites the
same file instead of adding a copy. Files are written to a temporary name and renamed into place.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from osa.config import STATE_DIR


def default_archive_dir() -> Path:
    return Path(os.environ.get("OSA_ARCHIVE_DIR", STATE_DIR / "archive"))


def _digest(rows: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()[:20]


def write_part(root: Path, table: str, day: dt.date, rows: pa.Table) -> Path:
    """Archive `rows` (one table, one day); returns the file."""
    folder = root / table / f"event_date={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"part-{_digest(rows)}.parquet"
    replace_part(path, rows)
    return path


def replace_part(path: Path, rows: pa.Table) -> None:
    """Write `rows` to `path` atomically (an erasure rewrites a part this way; no rows: the part goes)."""
    if rows.num_rows == 0:
        path.unlink(missing_ok=True)
        return
    temporary = path.with_name(path.name + ".tmp")
    pq.write_table(rows, temporary, compression="zstd")
    os.replace(temporary, path)


def parts(root: Path, table: str | None = None) -> list[Path]:
    """Every archived part (of one table), in table and day order."""
    base = root / table if table else root
    return sorted(base.glob("*/*.parquet" if table else "*/*/*.parquet")) if base.is_dir() else []


def table_of(path: Path) -> str:
    return path.parent.parent.name


def read_table(root: Path, table: str) -> pa.Table | None:
    """Every archived row of `table` (None when nothing is archived)."""
    found = parts(root, table)
    if not found:
        return None
    return pa.concat_tables([pq.read_table(p, partitioning=None) for p in found], promote_options="permissive")
