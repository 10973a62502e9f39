"""The landing zone: layout, line reading (every line keeps a home) and staging files into it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re

import pytest

from osa.config import SEED_DATA_DIR, partitions_start
from osa.ingest.intake import process_intake
from osa.ingest.landing import (
    SOURCES,
    count_lines,
    days_with_data,
    landing_files,
    read_lines,
    split_lines,
    stage_file,
    staged_name,
)

DAY = dt.date(2026, 7, 1)
TODAY = dt.date(2026, 11, 1)


def _delivery_line(received_at: str, marker: str) -> str:
    return json.dumps({"received_at": received_at, "headers": {}, "body": marker})


def test_landing_files_follow_the_layout(small_landing):
    files = landing_files(small_landing, "opal_deliveries")
    assert [f.day for f in files] == [DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)]
    assert all(f.source == "opal_deliveries" and f.path.suffix == ".jsonl" for f in files)
    only = landing_files(small_landing, "intake_forms", [DAY + dt.timedelta(days=1)])
    assert [f.day for f in only] == [DAY + dt.timedelta(days=1)]
    assert days_with_data(small_landing) == [DAY + dt.timedelta(days=i) for i in range(3)]
    assert landing_files(small_landing / "missing", "intake_forms") == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b'{"a":1}\n{"b":2}\n', ['{"a":1}', '{"b":2}'], id="trailing_newline_adds_nothing"),
        pytest.param(b'{"a":1}\n{"b":2}', ['{"a":1}', '{"b":2}'], id="no_trailing_newline"),
        pytest.param(b'{"a":1}\n\n{"b":2}\n', ['{"a":1}', "", '{"b":2}'], id="empty_line_in_the_middle_is_a_record"),
        pytest.param(b'{"a":1}\r\n{"b":2}\r\n', ['{"a":1}', '{"b":2}'], id="crlf"),
        pytest.param(b'{"a":"\xff\xfe"}\n', ['{"a":"\ufffd\ufffd"}'], id="invalid_utf8_keeps_its_place"),
        pytest.param(b"", [], id="empty_file"),
    ],
)
def test_read_lines_and_count_lines_agree(tmp_path, raw, expected):
    path = tmp_path / "intake_forms" / "dt=2026-07-01" / "x.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(raw)
    files = landing_files(tmp_path, "intake_forms")
    table = read_lines(files, tmp_path)
    assert table["line"].to_pylist() == expected
    assert table["source_line"].to_pylist() == list(range(1, len(expected) + 1))
    assert set(table["source_file"].to_pylist()) <= {"intake_forms/dt=2026-07-01/x.jsonl"}
    assert count_lines(files) == table.num_rows  # the accounting check counts independently


def test_odd_lines_are_quarantined_not_lost(tmp_path):
    path = tmp_path / "intake_forms" / "dt=2026-07-01" / "x.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"workflow_id": "\xff"\n\n[]\n')
    result = process_intake(read_lines(landing_files(tmp_path, "intake_forms"), tmp_path))
    assert result.quarantine["reason_codes"].to_pylist() == [["invalid_json"], ["invalid_json"], ["form_not_object"]]
    assert result.records_in == 3 == result.quarantined


def test_read_lines_of_the_seed_data_matches_count_lines():
    for source in SOURCES:
        files = landing_files(SEED_DATA_DIR, source)
        assert read_lines(files, SEED_DATA_DIR).num_rows == count_lines(files)


def test_stage_file_splits_by_receiving_day(tmp_path):
    incoming = tmp_path / "in" / "deliveries.jsonl"
    incoming.parent.mkdir()
    incoming.write_text(
        "\n".join(
            [
                _delivery_line("2026-07-01T10:00:00Z", "a"),
                _delivery_line("2026-07-02T00:30:00+02:00", "b"),  # 2026-07-01 22:30 UTC
                _delivery_line("2026-07-03T09:00:00Z", "c"),
                "not json at all",
                _delivery_line("not a time", "d"),
            ]
        )
        + "\n"
    )
    landing = tmp_path / "landing"
    days = stage_file(incoming, "opal_deliveries", landing, today=TODAY)
    assert days == [DAY, dt.date(2026, 7, 3), TODAY]
    staged = {f.day: f.path.read_text().splitlines() for f in landing_files(landing, "opal_deliveries")}
    assert [json.loads(x)["body"] for x in staged[DAY]] == ["a", "b"]
    assert [json.loads(x)["body"] for x in staged[dt.date(2026, 7, 3)]] == ["c"]
    assert staged[TODAY][0] == "not json at all"  # unreadable lines are filed under today, never dropped
    assert sum(len(v) for v in staged.values()) == 5
    assert not list(landing.rglob("*.tmp"))


def test_staging_the_same_file_again_replaces_it(tmp_path):
    incoming = tmp_path / "deliveries.jsonl"
    incoming.write_text(_delivery_line("2026-07-01T10:00:00Z", "a") + "\n")
    landing = tmp_path / "landing"
    stage_file(incoming, "opal_deliveries", landing, today=TODAY)
    stage_file(incoming, "opal_deliveries", landing, today=TODAY)
    assert count_lines(landing_files(landing, "opal_deliveries")) == 1


def test_files_with_the_same_name_do_not_overwrite_each_other(tmp_path):
    landing = tmp_path / "landing"
    for folder, marker in (("a", "first"), ("b", "second")):
        incoming = tmp_path / folder / "batch.jsonl"
        incoming.parent.mkdir()
        incoming.write_text(_delivery_line("2026-07-01T10:00:00Z", marker) + "\nbroken {\n")
        stage_file(incoming, "opal_deliveries", landing, today=TODAY)
    staged = landing_files(landing, "opal_deliveries")
    day_lines = [line for f in staged if f.day == DAY for line in f.path.read_text().splitlines()]
    bodies = sorted(json.loads(line)["body"] for line in day_lines)
    assert bodies == ["first", "second"]
    assert sum(count_lines([f]) for f in staged if f.day == TODAY) == 2  # both unreadable lines kept


def test_staging_all_of_the_seed_data_keeps_every_line(tmp_path):
    for source in SOURCES:
        for path in sorted((SEED_DATA_DIR / source).rglob("*.jsonl")):
            stage_file(path, source, tmp_path, today=TODAY)
        assert count_lines(landing_files(tmp_path, source)) == count_lines(landing_files(SEED_DATA_DIR, source))


def test_stage_file_rejects_an_unknown_source(tmp_path):
    (tmp_path / "x.jsonl").write_text("{}\n")
    with pytest.raises(ValueError, match="unknown source"):
        stage_file(tmp_path / "x.jsonl", "emails", tmp_path / "landing")


# ---------------------------------------------------------------- one definition of a line (see split_lines)
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"\n", [""], id="only_a_newline_is_one_empty_record"),
        pytest.param(b'{"a":1}\n\n', ['{"a":1}', ""], id="ending_in_a_blank_line"),
        pytest.param(b"\n\n\n", ["", "", ""], id="only_newlines"),
        pytest.param(b"\r\n", [""], id="only_crlf"),
        pytest.param(b"\r", [""], id="lone_cr_is_no_separator"),
        pytest.param(b"a\rb\nc", ["a\rb", "c"], id="cr_in_the_middle_stays"),
        pytest.param(b"\xe2\x82\n\xff", ["\ufffd", "\ufffd"], id="truncated_utf8_before_a_newline"),
    ],
)
def test_read_lines_and_count_lines_agree_on_blank_and_odd_endings(tmp_path, raw, expected):
    path = tmp_path / "intake_forms" / "dt=2026-07-01" / "x.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(raw)
    files = landing_files(tmp_path, "intake_forms")
    table = read_lines(files, tmp_path)
    assert table["line"].to_pylist() == expected
    assert count_lines(files) == table.num_rows == len(split_lines(raw))


def test_split_lines_is_the_shared_definition():
    assert split_lines(b"") == []
    assert split_lines(b"\n") == [b""]
    assert split_lines(b"a") == [b"a"]
    assert split_lines(b"a\n") == [b"a"]
    assert split_lines(b"a\n\nb\r\n") == [b"a", b"", b"b\r"]


def test_a_staged_file_ending_in_a_blank_line_is_counted_as_read(tmp_path):
    incoming = tmp_path / "deliveries.jsonl"
    incoming.write_bytes((_delivery_line("2026-07-01T10:00:00Z", "a") + "\n\n").encode())
    landing = tmp_path / "landing"
    assert stage_file(incoming, "opal_deliveries", landing, today=TODAY) == [DAY, TODAY]
    for landing_file in landing_files(landing, "opal_deliveries"):
        assert count_lines([landing_file]) == read_lines([landing_file], landing).num_rows == 1
    only_newline = tmp_path / "newline.jsonl"
    only_newline.write_bytes(b"\n")
    assert stage_file(only_newline, "opal_deliveries", landing, today=TODAY) == [TODAY]
    files = landing_files(landing, "opal_deliveries", [TODAY])
    assert count_lines(files) == read_lines(files, landing).num_rows == 2


# ---------------------------------------------------------------- staged names
def test_staged_names_are_a_digest_of_the_source_path(tmp_path):
    landing = tmp_path / "landing"
    names = [
        "jane.doe@example.com.jsonl",
        "x" * 240 + ".jsonl",
        os.fsdecode(b"caf\xe9-\xff.jsonl"),  # not UTF-8
        "new\nline.jsonl",
    ]
    for number, name in enumerate(names):
        incoming = tmp_path / name
        incoming.write_text(_delivery_line("2026-07-01T10:00:00Z", str(number)) + "\n")
        assert stage_file(incoming, "opal_deliveries", landing, today=TODAY) == [DAY]
        assert staged_name(incoming) == staged_name(tmp_path / "." / name)  # the resolved path
    staged = landing_files(landing, "opal_deliveries")
    assert len(staged) == len(names)
    assert all(re.fullmatch(r"[0-9a-f]{16}\.jsonl", f.path.name) for f in staged)
    source_files = read_lines(staged, landing)["source_file"].to_pylist()
    assert not [s for s in source_files if "jane" in s or "@" in s or "x" * 20 in s]


def test_restaging_replaces_copies_under_the_earlier_name(tmp_path):
    incoming = tmp_path / "deliveries.jsonl"
    incoming.write_text(_delivery_line("2026-07-01T10:00:00Z", "new") + "\n")
    resolved = incoming.resolve()
    legacy = f"{resolved.stem}-{hashlib.sha256(str(resolved).encode()).hexdigest()[:12]}.jsonl"
    old = tmp_path / "landing" / "opal_deliveries" / "dt=2026-07-02" / legacy
    old.parent.mkdir(parents=True)
    old.write_text(_delivery_line("2026-07-02T10:00:00Z", "old") + "\n")
    assert stage_file(incoming, "opal_deliveries", tmp_path / "landing", today=TODAY) == [DAY, DAY + dt.timedelta(1)]
    assert not old.exists()
    assert [f.day for f in landing_files(tmp_path / "landing", "opal_deliveries")] == [DAY]


# ---------------------------------------------------------------- restaging a file that lost days
def test_restaging_removes_the_days_a_file_no_longer_has(tmp_path):
    incoming = tmp_path / "deliveries.jsonl"
    landing = tmp_path / "landing"
    incoming.write_text(
        _delivery_line("2026-07-01T10:00:00Z", "a") + "\n" + _delivery_line("2026-07-05T10:00:00Z", "b") + "\n"
    )
    assert stage_file(incoming, "opal_deliveries", landing, today=TODAY) == [DAY, dt.date(2026, 7, 5)]
    incoming.write_text(_delivery_line("2026-07-01T10:00:00Z", "a2") + "\n")
    # 2026-07-05 is touched too: its ingestion must drop the rows of the copy that is gone
    assert stage_file(incoming, "opal_deliveries", landing, today=TODAY) == [DAY, dt.date(2026, 7, 5)]
    staged = landing_files(landing, "opal_deliveries")
    assert [f.day for f in staged] == [DAY]
    assert [json.loads(x)["body"] for x in staged[0].path.read_text().splitlines()] == ["a2"]
    incoming.write_bytes(b"")
    assert stage_file(incoming, "opal_deliveries", landing, today=TODAY) == [DAY]
    assert landing_files(landing, "opal_deliveries") == []


def test_restaging_as_the_other_source_removes_the_first_copies(tmp_path):
    incoming = tmp_path / "batch.jsonl"
    landing = tmp_path / "landing"
    incoming.write_text(_delivery_line("2026-07-01T10:00:00Z", "a") + "\n")
    assert stage_file(incoming, "intake_forms", landing, today=TODAY) == [TODAY]  # no submitted_at: today
    assert stage_file(incoming, "opal_deliveries", landing, today=TODAY) == [DAY, TODAY]
    assert landing_files(landing, "intake_forms") == []
    assert [f.day for f in landing_files(landing, "opal_deliveries")] == [DAY]


def test_other_files_copies_are_left_alone(tmp_path):
    landing = tmp_path / "landing"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.jsonl").write_text(_delivery_line("2026-07-02T10:00:00Z", "a") + "\n")
    (tmp_path / "b" / "x.jsonl").write_text(_delivery_line("2026-07-01T10:00:00Z", "b") + "\n")
    stage_file(tmp_path / "a" / "x.jsonl", "opal_deliveries", landing, today=TODAY)
    assert stage_file(tmp_path / "b" / "x.jsonl", "opal_deliveries", landing, today=TODAY) == [DAY]
    assert [f.day for f in landing_files(landing, "opal_deliveries")] == [DAY, DAY + dt.timedelta(1)]


# ---------------------------------------------------------------- days that are no partition
@pytest.mark.parametrize(
    "received_at",
    ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2026-06-30T23:59:59Z", "2026-11-02T00:00:00Z", "9999-12-31"],
)
def test_a_day_outside_the_partitions_is_filed_under_today(tmp_path, received_at):
    incoming = tmp_path / "deliveries.jsonl"
    incoming.write_text(_delivery_line(received_at, "odd") + "\n" + _delivery_line("2026-07-01T10:00:00Z", "a") + "\n")
    landing = tmp_path / "landing"
    assert stage_file(incoming, "opal_deliveries", landing, today=TODAY) == [DAY, TODAY]
    assert sorted(p.name for p in (landing / "opal_deliveries").iterdir()) == ["dt=2026-07-01", "dt=2026-11-01"]


def test_the_partition_range_is_a_parameter_with_the_configured_default(tmp_path, monkeypatch):
    incoming = tmp_path / "deliveries.jsonl"
    incoming.write_text(_delivery_line("2026-07-03T10:00:00Z", "a") + "\n")
    first = dt.date(2026, 7, 4)
    assert stage_file(incoming, "opal_deliveries", tmp_path / "l1", today=TODAY, first_day=first) == [TODAY]
    assert stage_file(incoming, "opal_deliveries", tmp_path / "l2", today=TODAY) == [dt.date(2026, 7, 3)]
    monkeypatch.setenv("OSA_PARTITIONS_START", "2026-07-04")
    assert partitions_start() == first
    assert stage_file(incoming, "opal_deliveries", tmp_path / "l3", today=TODAY) == [TODAY]
    assert stage_file(incoming, "opal_deliveries", tmp_path / "l4", today=TODAY, first_day=DAY) == [dt.date(2026, 7, 3)]
    with pytest.raises(ValueError, match="outside the partitions"):
        stage_file(incoming, "opal_deliveries", tmp_path / "l5", today=dt.date(2026, 7, 1))
    monkeypatch.delenv("OSA_PARTITIONS_START")
    assert partitions_start() == DAY


def test_landing_files_skips_folders_named_like_files_and_impossible_days(tmp_path):
    (tmp_path / "intake_forms" / "dt=2026-07-01" / "folder.jsonl").mkdir(parents=True)
    (tmp_path / "intake_forms" / "dt=2026-02-30").mkdir(parents=True)
    (tmp_path / "intake_forms" / "dt=2026-02-30" / "x.jsonl").write_text("{}\n")
    (tmp_path / "intake_forms" / "dt=2026-07-01" / "x.jsonl").write_text("{}\n")
    files = landing_files(tmp_path, "intake_forms")
    assert [f.path.name for f in files] == ["x.jsonl"]
    assert read_lines(files, tmp_path).num_rows == count_lines(files) == 1
