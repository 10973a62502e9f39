"""The landing zone: where raw files arrive before ingestion.

Layout: ``<landing>/<source>/dt=<YYYY-MM-DD>/<name>.jsonl`` with source ``intake_forms`` or
``opal_deliveries``. The ``dt`` folder is the day the records were received and therefore the Dagster
partition they belong to; a record's own timestamps never move it to another partition, so every line
has exactly one home even when its content is garbage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

SOURCES = ("intake_forms", "opal_deliveries")
_DT_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class LandingFile:
    source: str
    day: dt.date
    path: Path


def landing_files(landing_dir: Path, source: str, days: Iterable[dt.date] | None = None) -> list[LandingFile]:
    """Files of `source` in the landing zone, optionally only for `days`, in a stable order."""
    wanted = None if days is None else set(days)
    found: list[LandingFile] = []
    root = Path(landing_dir) / source
    if not root.is_dir():
        return found
    for day_dir in sorted(root.iterdir()):
        match = _DT_DIR.match(day_dir.name)
        if not match or not day_dir.is_dir():
            continue
        day = dt.date.fromisoformat(match.group(1))
        if wanted is not None and day not in wanted:
            continue
        found.extend(LandingFile(source, day, p) for p in sorted(day_dir.glob("*.jsonl")))
    return found


def days_with_data(landing_dir: Path) -> list[dt.date]:
    """Every day that has at least one landing file of any source."""
    return sorted({f.day for source in SOURCES for f in landing_files(landing_dir, source)})


def read_lines(files: list[LandingFile], landing_dir: Path) -> pa.Table:
    """All lines of `files` as (event_date, source_file, source_line, line), split in Arrow.

    A line that is not valid UTF-8 keeps its place with its bad bytes replaced, so it is quarantined
    as invalid JSON rather than lost. A trailing newline does not make an extra record; an empty line
    in the middle does (and is quarantined).
    """
    parts = []
    for landing_file in files:
        text = landing_file.path.read_bytes().decode("utf-8", errors="replace")
        if text.endswith("\n"):
            text = text[:-1]
        lines = (
            pc.list_flatten(pc.split_pattern(pa.array([text], pa.large_string()), "\n"))
            if text
            else pa.array([], pa.large_string())
        )
        lines = pc.utf8_rtrim(lines, characters="\r")
        count = len(lines)
        parts.append(
            pa.table(
                {
                    "event_date": pa.repeat(pa.scalar(landing_file.day, pa.date32()), count),
                    "source_file": pa.repeat(pa.scalar(str(landing_file.path.relative_to(landing_dir))), count),
                    "source_line": pa.array(np.arange(1, count + 1, dtype=np.int32)),
                    "line": lines,
                }
            )
        )
    if not parts:
        return pa.table(
            {
                "event_date": pa.array([], pa.date32()),
                "source_file": pa.array([], pa.string()),
                "source_line": pa.array([], pa.int32()),
                "line": pa.array([], pa.large_string()),
            }
        )
    return pa.concat_tables(parts)


def count_lines(files: list[LandingFile]) -> int:
    """Records in `files` counted independently of the ingest code (used by the accounting check)."""
    total = 0
    for landing_file in files:
        raw = landing_file.path.read_bytes()
        total += raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)
    return total


def _record_day(source: str, line: bytes, fallback: dt.date) -> dt.date:
    """The receiving day of one raw line, used only to file it into the landing zone."""
    field = "received_at" if source == "opal_deliveries" else "submitted_at"
    try:
        value = orjson.loads(line).get(field)
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.UTC).date()
    except Exception:  # unreadable lines are filed under the fallback day and quarantined there
        return fallback


def stage_file(path: Path, source: str, landing_dir: Path, *, today: dt.date | None = None) -> list[dt.date]:
    """Copy one JSONL file into the landing zone, split by receiving day. Returns the days touched.

    Staging is a file operation, not validation: every line is copied, none is judged here. Lines
    whose day cannot be read go to `today` (UTC), where ingestion quarantines them with a reason.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    today = today or dt.datetime.now(dt.UTC).date()
    by_day: dict[dt.date, list[bytes]] = {}
    raw = Path(path).read_bytes()
    chunks = raw.split(b"\n")
    if chunks and chunks[-1] == b"":
        chunks.pop()
    for chunk in chunks:
        by_day.setdefault(_record_day(source, chunk, today), []).append(chunk)
    # One staged file per source file and day, named after the source file's path: files with the same name
    # from different folders (or several files' unreadable lines, all filed under today) must not overwrite
    # each other, while staging the same file again replaces its earlier copy.
    name = f"{Path(path).stem}-{hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:12]}.jsonl"
    for day, chunk_lines in by_day.items():
        target_dir = Path(landing_dir) / source / f"dt={day.isoformat()}"
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / name
        tmp = target.with_suffix(".jsonl.tmp")
        tmp.write_bytes(b"\n".join(chunk_lines) + b"\n")
        tmp.replace(target)  # atomic: the sensor never sees half a file
    return sorted(by_day)


def copy_tree(src: Path, dst: Path) -> None:
    """Copy a landing tree (used to seed a fresh landing zone from `seed-data/`)."""
    shutil.copytree(src, dst, dirs_exist_ok=True)
