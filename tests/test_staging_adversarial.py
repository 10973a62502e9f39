"""Adversarial staging: arbitrary bytes, hostile file names, misleading names, shrinking files, days that are no
partition, and a failing day range. Properties over the real landing functions and the real `osa` CLI."""

from __future__ import annotations

import collections
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osa.generate import generate
from osa.ingest.landing import SOURCES, count_lines, landing_files, read_lines, stage_file
from osa.ledger import accounting_by_day
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.conftest import osa_env

OSA = str(Path(sys.executable).with_name("osa"))
FIRST = dt.date(2026, 7, 1)
TODAY = dt.date(2026, 7, 20)


def osa(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([OSA, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=env["CWD"])


def _env(root: Path, first: dt.date) -> dict[str, str]:
    return {**osa_env(root), "OSA_PARTITIONS_START": first.isoformat(), "CWD": str(root)}


def _lines(raw: bytes) -> list[bytes]:
    """An independent reading of "a line": what a binary stream's readline yields, without the newline."""
    return [line.removesuffix(b"\n") for line in io.BytesIO(raw).readlines()]


# ---------------------------------------------------------------- arbitrary bytes
_FIELDS = st.sampled_from(["received_at", "submitted_at"])
_ANY_DAY = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
_NEAR_DAY = st.dates(min_value=FIRST - dt.timedelta(3), max_value=TODAY + dt.timedelta(3))
_STAMP = st.one_of(
    st.builds(lambda d: f"{d}T12:00:00Z", _NEAR_DAY | _ANY_DAY),
    st.builds(lambda d: f"{d}T00:30:00+02:00", _NEAR_DAY),
    st.text(max_size=12),
)
_RECORD = st.builds(lambda field, stamp: orjson.dumps({field: stamp, "body": "x"}), _FIELDS, _STAMP)
_SEGMENT = st.one_of(_RECORD, st.binary(max_size=12), st.sampled_from([b"", b"\xff\xfe", b"\xe2\x82", b"{}", b"[]"]))
_SEPARATOR = st.sampled_from([b"\n", b"\r\n", b"\r", b"", b"\n\n", b"\r\r\n"])
RAW = st.one_of(
    st.binary(max_size=200),
    st.lists(st.tuples(_SEGMENT, _SEPARATOR), max_size=12).map(lambda parts: b"".join(a + b for a, b in parts)),
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _is_subsequence(part: list[bytes], whole: list[bytes]) -> bool:
    rest = iter(whole)
    return all(any(line == other for other in rest) for line in part)


def _check_staged(landing: Path, source: str, raw: bytes, days: list[dt.date]) -> None:
    files = landing_files(landing, source)
    original = _lines(raw)
    assert {f.day for f in files} == set(days)
    assert all(FIRST <= day <= TODAY for day in days)
    assert all(re.fullmatch(r"[0-9a-f]{16}\.jsonl", f.path.name) for f in files)
    staged: list[bytes] = []
    for day in days:
        day_files = [f for f in files if f.day == day]
        table = read_lines(day_files, landing)
        assert count_lines(day_files) == table.num_rows  # the accounting check, per day
        for landing_file in day_files:
            lines = _lines(landing_file.path.read_bytes())
            assert _is_subsequence(lines, original)  # a day keeps its lines' order
            staged += lines
    assert collections.Counter(staged) == collections.Counter(original)  # every line once, none made up
    read = read_lines(files, landing)["line"].to_pylist()
    expected = [line.decode("utf-8", errors="replace").rstrip("\r") for line in original]
    assert sorted(read) == sorted(expected)
    assert count_lines(files) == len(original) == len(read)


@SETTINGS
@given(raw=RAW, source=st.sampled_from(SOURCES))
def test_staging_reading_and_counting_agree_on_any_bytes(raw, source):
    with tempfile.TemporaryDirectory() as tmp:
        incoming = Path(tmp) / "in.jsonl"
        incoming.write_bytes(raw)
        landing = Path(tmp) / "landing"
        days = stage_file(incoming, source, landing, today=TODAY, first_day=FIRST)
        _check_staged(landing, source, raw, days)


@SETTINGS
@given(first=RAW, second=RAW, source=st.sampled_from(SOURCES))
def test_restaging_leaves_exactly_the_new_content(first, second, source):
    with tempfile.TemporaryDirectory() as tmp:
        incoming = Path(tmp) / "in.jsonl"
        landing = Path(tmp) / "landing"
        incoming.write_bytes(first)
        before = stage_file(incoming, source, landing, today=TODAY, first_day=FIRST)
        incoming.write_bytes(second)
        after = stage_file(incoming, source, landing, today=TODAY, first_day=FIRST)
        assert set(before) <= set(after)  # the days it lost are touched too, so their rows go away
        _check_staged(landing, source, second, sorted({f.day for f in landing_files(landing, source)}))


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_read_lines_and_count_lines_agree_on_any_landing_file(raw):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "intake_forms" / "dt=2026-07-01" / "x.jsonl"
        path.parent.mkdir(parents=True)
        path.write_bytes(raw)
        files = landing_files(Path(tmp), "intake_forms")
        assert count_lines(files) == read_lines(files, Path(tmp)).num_rows == len(_lines(raw))


# ---------------------------------------------------------------- the real CLI
def _deliveries(root: Path, day: dt.date, workflows: int = 2) -> bytes:
    generate(root / f"gen-{day}", workflows=workflows, days=1, start=day)
    return (root / f"gen-{day}" / "opal_deliveries" / f"dt={day}" / "batch.jsonl").read_bytes()


def _accounting(env: dict[str, str], source: str = "opal_deliveries") -> list[dict]:
    landing = Path(env["OSA_LANDING_DIR"])
    return accounting_by_day(DuckDBWarehouse(env["OSA_DUCKDB_PATH"]), source, landing_files(landing, source))


def test_hostile_names_stage_and_ingest_without_leaking_the_name(tmp_path):
    today = dt.datetime.now(dt.UTC).date()
    env = _env(tmp_path, today - dt.timedelta(10))
    data = _deliveries(tmp_path, today)
    lines = data.splitlines(keepends=True)
    odd = [
        json.dumps({"received_at": stamp, "headers": {}, "body": "{}"}).encode() + b"\n"
        for stamp in ("0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2000-02-29")
    ]
    folder = tmp_path / "incoming" / "opal_deliveries"  # the folder names the source: no --source needed
    folder.mkdir(parents=True)
    files = {
        "jane.doe@example.com.jsonl": b"".join(lines[:3]) + b"\n",  # ends in a blank line
        "x" * 240 + ".jsonl": b"".join(lines[3:6]),
        os.fsdecode(b"caf\xe9 \xff.jsonl"): b"".join(lines[6:9]) + b"".join(odd),  # not UTF-8; days out of range
        "malformed_forms.jsonl": b"".join(lines[9:]),  # "form" in its name: still deliveries
        "only-newline.jsonl": b"\n",
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    (folder / "folder.jsonl").mkdir()  # a folder named like a file is no file
    completed = osa("ingest", str(tmp_path / "incoming"), env=env)
    assert completed.returncode == 0, completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stdout.splitlines()[0] == f"staged {len(files)} file(s) as opal_deliveries"
    assert "jane" not in completed.stdout and "@" not in completed.stdout and "xxxxxxxx" not in completed.stdout
    landing = Path(env["OSA_LANDING_DIR"])
    assert not (landing / "intake_forms").exists()
    assert {p.name for p in landing.rglob("*")} - {"opal_deliveries"} <= {f"dt={today}"} | {
        f"dt={today + dt.timedelta(1)}"  # (the clock may pass midnight meanwhile)
    } | {p.name for p in landing.rglob("*.jsonl")}
    assert all(re.fullmatch(r"[0-9a-f]{16}\.jsonl", p.name) for p in landing.rglob("*.jsonl"))
    warehouse = DuckDBWarehouse(env["OSA_DUCKDB_PATH"])
    for table in ("bronze_opal_deliveries", "quarantine_opal_deliveries"):
        names = warehouse.query(f"SELECT DISTINCT source_file FROM {table}").column(0).to_pylist()
        assert names and not [n for n in names if "jane" in n or "@" in n or "xxxxxxxx" in n or "caf" in n]
    total = sum(len(_lines(content)) for content in files.values())
    report = _accounting(env)
    assert sum(row["records_in"] for row in report) == total
    assert all(row["unaccounted"] == 0 for row in report), report


def test_a_name_that_merely_contains_a_source_word_is_refused(tmp_path):
    env = _env(tmp_path, dt.date(2026, 7, 1))
    for folder, name in (("forms_and_deliveries", "malformed.jsonl"), ("intake_formsX", "a.jsonl")):
        path = tmp_path / folder / name
        path.parent.mkdir()
        path.write_text("{}\n")
        completed = osa("ingest", str(path), env=env)
        assert completed.returncode == 1
        assert completed.stderr.count("\n") == 1 and "--source" in completed.stderr
        assert "Traceback" not in completed.stderr
    mixed = tmp_path / "mixed"
    (mixed / "opal_deliveries").mkdir(parents=True)
    (mixed / "opal_deliveries" / "a.jsonl").write_text("{}\n")
    (mixed / "deliveries" / "dt=2026-07-01").mkdir(parents=True)
    (mixed / "deliveries" / "dt=2026-07-01" / "b.jsonl").write_text("{}\n")
    completed = osa("ingest", str(mixed), env=env)
    assert completed.returncode == 1 and "--source" in completed.stderr
    assert not Path(env["OSA_LANDING_DIR"]).exists()  # refused before anything was staged


def test_a_name_the_landing_zone_cannot_hold_is_one_line(tmp_path):
    # the staged name never is, but the landing zone's own path can be too long: one line, no traceback
    env = _env(tmp_path, dt.date(2026, 7, 1))
    env["OSA_LANDING_DIR"] = str(tmp_path / ("l" * 300))
    (tmp_path / "opal_deliveries").mkdir()
    (tmp_path / "opal_deliveries" / "a.jsonl").write_text("{}\n")
    completed = osa("ingest", str(tmp_path / "opal_deliveries" / "a.jsonl"), env=env)
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr.count("\n") == 1 and "cannot stage" in completed.stderr
    assert "name too long" in completed.stderr.lower()


def test_restaging_a_shrunk_file_removes_its_rows_and_failing_ranges_spare_the_others(tmp_path):
    today = dt.datetime.now(dt.UTC).date()
    early, middle = today - dt.timedelta(6), today - dt.timedelta(3)
    env = _env(tmp_path, today - dt.timedelta(10))
    landing = Path(env["OSA_LANDING_DIR"])
    incoming = tmp_path / "opal_deliveries" / "batch.jsonl"
    incoming.parent.mkdir()
    incoming.write_bytes(_deliveries(tmp_path, early) + _deliveries(tmp_path, today))
    completed = osa("ingest", str(incoming), env=env)
    assert completed.returncode == 0, completed.stderr
    warehouse = DuckDBWarehouse(env["OSA_DUCKDB_PATH"])

    def rows(day: dt.date) -> int:
        return warehouse.scalar(f"SELECT count(*) FROM bronze_opal_deliveries WHERE event_date = DATE '{day}'")

    assert rows(early) > 0

    # the file loses its early day and gains a middle one: the early day is ingested again, and is empty
    incoming.write_bytes(_deliveries(tmp_path, middle) + _deliveries(tmp_path, today))
    completed = osa("ingest", str(incoming), env=env)
    assert completed.returncode == 0, completed.stderr
    assert f"covering 3 day(s) in 3 run(s): {early}, {middle}, {today}" in completed.stdout
    assert rows(early) == 0 and rows(middle) > 0
    assert not list((landing / "opal_deliveries").glob(f"dt={early}/*.jsonl"))
    assert all(row["unaccounted"] == 0 for row in _accounting(env))

    # a landing file that cannot be read (a real I/O error) in the middle day: its run fails, the run of the
    # next range is still made and succeeds (the accounting check reads only the files of its run's days); the
    # failure is one line on stderr, the only one, and the exit status says so
    unreadable = landing / "opal_deliveries" / f"dt={middle}" / "unreadable.jsonl"
    unreadable.symlink_to("/proc/self/mem")
    completed = osa("ingest", str(incoming), env=env)
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    errors = completed.stderr.strip().splitlines()
    assert len(errors) == 1, completed.stderr
    assert errors[0].startswith(f"osa ingest: error: ingesting {middle} failed: ") and "opal_deliveries" in errors[0]
    assert "covering 2 day(s) in 1 run(s)" in completed.stdout
    unreadable.unlink()
    assert all(row["unaccounted"] == 0 for row in _accounting(env))


def test_a_landing_file_gone_since_its_rows_were_stored_fails_its_day_and_keeps_the_rows(tmp_path):
    """A staged copy deleted by hand (not by restaging) is an error for its day: the day's rows stay as they
    were until the file is restored or its source restaged; the failure is one line naming the file."""
    today = dt.datetime.now(dt.UTC).date()
    day = today - dt.timedelta(2)
    env = _env(tmp_path, today - dt.timedelta(10))
    landing = Path(env["OSA_LANDING_DIR"])
    folder = tmp_path / "opal_deliveries"
    folder.mkdir()
    first, second = folder / "first.jsonl", folder / "second.jsonl"
    first.write_bytes(_deliveries(tmp_path, day))
    assert osa("ingest", str(first), env=env).returncode == 0
    warehouse = DuckDBWarehouse(env["OSA_DUCKDB_PATH"])
    count = "SELECT count(*) FROM bronze_opal_deliveries"
    stored = warehouse.scalar(count)
    assert stored > 0

    (staged,) = (landing / "opal_deliveries" / f"dt={day}").glob("*.jsonl")
    staged.unlink()
    second.write_bytes(_deliveries(tmp_path / "other", day, workflows=1))
    completed = osa("ingest", str(second), env=env)  # touches the day again
    assert completed.returncode == 1
    (error,) = completed.stderr.strip().splitlines()
    assert error.startswith(f"osa ingest: error: ingesting {day} failed: ") and "is gone since its rows" in error
    assert f"opal_deliveries/dt={day}/{staged.name}" in error
    assert warehouse.scalar(count) == stored  # nothing deleted

    completed = osa("ingest", str(folder), env=env)  # restaging the source restores the copy
    assert completed.returncode == 0, completed.stderr
    assert warehouse.scalar(count) > stored  # both files' lines (the second's are replays of the first's)
    assert all(row["unaccounted"] == 0 for row in _accounting(env))


def test_copy_of_the_seed_layout_guesses_each_source(tmp_path):
    # a dt= folder's parent names the source; nothing is ingested twice when the same tree is ingested again
    today = dt.datetime.now(dt.UTC).date()
    env = _env(tmp_path, today - dt.timedelta(10))
    generate(tmp_path / "gen", workflows=2, days=1, start=today)
    shutil.copytree(tmp_path / "gen", tmp_path / "tree")
    for _ in range(2):
        completed = osa("ingest", str(tmp_path / "tree"), env=env)
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.splitlines()[0] == "staged 1 file(s) as intake_forms, 1 file(s) as opal_deliveries"
    for source in SOURCES:
        assert all(row["unaccounted"] == 0 for row in _accounting(env, source))
