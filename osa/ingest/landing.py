"""The landing zone: where raw files arrive before ingestion.

Layout: ``<landing>/<source>/dt=<YYYY-MM-DD>/<name>.jsonl`` with source ``intake_forms`` or
``opal_deliveries``. The ``dt`` folder is the day the records were received and therefore the Dagster
partition they belong to; a record's own timestamps never move it to another partition, so every line
has exactly one home even when its content is garbage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from osa.config import partitions_start

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
    for day, day_dir in _day_dirs(root):
        if wanted is not None and day not in wanted:
            continue
        found.extend(LandingFile(source, day, p) for p in sorted(day_dir.glob("*.jsonl")) if p.is_file())
    return found


def _day_dirs(root: Path) -> list[tuple[dt.date, Path]]:
    """The `dt=YYYY-MM-DD` folders under one source's folder (others, and impossible dates, are ignored)."""
    found = []
    if not root.is_dir():
        return found
    for day_dir in sorted(root.iterdir()):
        match = _DT_DIR.match(day_dir.name)
        if not match or not day_dir.is_dir():
            continue
        try:
            found.append((dt.date.fromisoformat(match.group(1)), day_dir))
        except ValueError:  # dt=2026-02-30: no day, so no partition reads it
            continue
    return found


def days_with_data(landing_dir: Path) -> list[dt.date]:
    """Every day that has at least one landing file of any source."""
    return sorted({f.day for source in SOURCES for f in landing_files(landing_dir, source)})


def read_lines(files: list[LandingFile], landing_dir: Path) -> pa.Table:
    """All lines of `files` as (event_date, source_file, source_line, line, utf8_valid), split in Arrow.

    Lines are those of `split_lines`. A line that is not valid UTF-8 keeps its place with its bad bytes
    replaced and `utf8_valid` false, so it is quarantined (`invalid_utf8`) rather than lost or accepted with
    U+FFFD in it; a trailing carriage return is dropped.
    """
    parts = []
    for landing_file in files:
        raw = landing_file.path.read_bytes()
        try:
            text = raw.decode("utf-8")
            utf8_valid = None  # every line
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")  # b"\n" is never part of a bad sequence
            utf8_valid = pa.array([_is_utf8(line) for line in split_lines(raw)], pa.bool_())
        if text:
            # the final newline terminates the last line rather than starting another one
            text = text.removesuffix("\n")
            lines = pc.list_flatten(pc.split_pattern(pa.array([text], pa.large_string()), "\n"))
        else:
            lines = pa.array([], pa.large_string())
        lines = pc.utf8_rtrim(lines, characters="\r")
        count = len(lines)
        parts.append(
            pa.table(
                {
                    "event_date": pa.repeat(pa.scalar(landing_file.day, pa.date32()), count),
                    "source_file": pa.repeat(pa.scalar(str(landing_file.path.relative_to(landing_dir))), count),
                    "source_line": pa.array(np.arange(1, count + 1, dtype=np.int32)),
                    "line": lines,
                    "utf8_valid": pa.repeat(pa.scalar(True), count) if utf8_valid is None else utf8_valid,
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
                "utf8_valid": pa.array([], pa.bool_()),
            }
        )
    return pa.concat_tables(parts)


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def count_lines(files: list[LandingFile]) -> int:
    """Records in `files` counted independently of the ingest code (used by the accounting check).

    Every newline ends a line, and bytes after the last newline are one more line (see `split_lines`).
    """
    total = 0
    for landing_file in files:
        raw = landing_file.path.read_bytes()
        total += raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)
    return total


def split_lines(raw: bytes) -> list[bytes]:
    """The lines of a landing file: THE definition of "a line" that staging, reading and counting share.

    Every ``\\n``-terminated segment is a line (an empty one too: it becomes a quarantined record), and so is
    a final segment without a newline if it is not empty. ``\\r`` is not a separator: a ``\\r\\n`` line keeps its
    ``\\r`` here (the reader drops it), a lone ``\\r`` is part of its line. Empty bytes have no lines; a lone
    newline has one, empty line.
    """
    lines = raw.split(b"\n")
    if lines[-1] == b"":  # what follows a final newline (or the whole of an empty file) is no line
        lines.pop()
    return lines


def _record_day(source: str, line: bytes, fallback: dt.date, first_day: dt.date, last_day: dt.date) -> dt.date:
    """The receiving day of one raw line, used only to file it into the landing zone.

    A day that cannot be read, or that is no partition (before `first_day`, after `last_day`), is `fallback`.
    """
    field = "received_at" if source == "opal_deliveries" else "submitted_at"
    try:
        value = orjson.loads(line).get(field)
        day = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.UTC).date()
    except Exception:  # unreadable lines are filed under the fallback day and quarantined there
        return fallback
    return day if first_day <= day <= last_day else fallback


def staged_name(path: Path) -> str:
    """The name of a source file's staged copies: a digest of its resolved path, never the name itself.

    Bounded (any name length, any bytes), free of whatever personal data the original name carries (it ends
    up in `source_file`), distinct for files with the same name in different folders, and the same for every
    staging of one file, so staging it again replaces its copies.
    """
    return hashlib.sha256(os.fsencode(Path(path).resolve())).hexdigest()[:16] + ".jsonl"


def _legacy_staged_name(path: Path) -> str | None:
    """The name earlier versions gave staged copies (`<stem>-<hash>.jsonl`), so restaging replaces those too."""
    resolved = Path(path).resolve()
    try:
        name = f"{resolved.stem}-{hashlib.sha256(str(resolved).encode()).hexdigest()[:12]}.jsonl"
        return name if len(name.encode()) <= 255 else None
    except UnicodeEncodeError:
        return None


def stage_file(
    path: Path,
    source: str,
    landing_dir: Path,
    *,
    today: dt.date | None = None,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
) -> list[dt.date]:
    """Copy one JSONL file into the landing zone, split by receiving day. Returns the days touched.

    Staging is a file operation, not validation: every line (see `split_lines`) is copied, none is judged here.
    Lines whose day cannot be read, or is no partition, go to `today` (UTC), where ingestion quarantines them.
    The partitions are the days from `first_day` (default `osa.config.partitions_start()`) to `last_day`
    (default `today`, the last partition of the daily partitions, which end today).

    Staging a file again replaces its earlier copies, and removes those of days (or of the other source) it
    no longer has lines for: those days are touched too, so that their ingestion drops the old rows, and a
    `removal_marker` says the copy went on purpose (see `vanished_files`).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    today = today or dt.datetime.now(dt.UTC).date()
    first_day = first_day or partitions_start()
    last_day = last_day or today
    if not first_day <= today <= last_day:
        raise ValueError(
            f"today ({today}) is outside the partitions ({first_day}..{last_day}), so unreadable lines have "
            "no home; check OSA_PARTITIONS_START"
        )
    by_day: dict[dt.date, list[bytes]] = {}
    for line in split_lines(Path(path).read_bytes()):
        by_day.setdefault(_record_day(source, line, today, first_day, last_day), []).append(line)
    landing_dir = Path(landing_dir)
    name = staged_name(path)
    written: set[Path] = set()
    for day, day_lines in by_day.items():
        target = landing_dir / source / f"dt={day.isoformat()}" / name
        _write_atomically(target, b"\n".join(day_lines) + b"\n")
        removal_marker(target).unlink(missing_ok=True)
        written.add(target)
    touched = set(by_day)
    names = {name} | ({legacy} if (legacy := _legacy_staged_name(path)) else set())
    for any_source in SOURCES:  # earlier copies this staging did not replace
        for day, day_dir in _day_dirs(landing_dir / any_source):
            for stale in (day_dir / n for n in names):
                if stale not in written and stale.is_file():
                    removal_marker(stale).touch()  # first: a crash in between leaves a marker, never a gap
                    stale.unlink()
                    if first_day <= day <= last_day:  # a day outside them was never ingested
                        touched.add(day)
    return sorted(touched)


def removal_marker(staged: Path) -> Path:
    """The marker that says a staged copy was removed on purpose (by restaging), next to where it was."""
    return staged.with_name(f".{staged.name}.removed")


def vanished_files(landing_dir: Path, committed: Iterable[str]) -> list[str]:
    """Of the `source_file`s that rows in the warehouse came from, those no longer in the landing zone and
    not removed on purpose (`removal_marker`).

    Ingestion replaces a day's rows with what its files hold now, so a file that disappeared after it was
    ingested (deleted by hand, lost with a disk, not yet synced back) would silently delete committed rows.
    Such a day is an error until the file is restored or its source is restaged.
    """
    root = Path(landing_dir)
    return sorted(
        name for name in set(committed) if not (root / name).is_file() and not removal_marker(root / name).exists()
    )


def copy_tree(src: Path, dst: Path) -> None:
    """Copy a landing tree (used to seed a fresh landing zone from `seed-data/`), each file written under a
    temporary name and renamed, so a full disk leaves no truncated landing file for a run to read."""
    for path in sorted(Path(src).rglob("*")):
        if path.is_file():
            _write_atomically(Path(dst) / path.relative_to(src), path.read_bytes())


def _write_atomically(target: Path, data: bytes) -> None:
    """`data` as `target`, whole or not at all: the sensor and the reader never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
