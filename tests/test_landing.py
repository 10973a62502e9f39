"""The landing zone: layout, line reading (every line keeps a home) and staging files into it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from osa.config import SEED_DATA_DIR
from osa.ingest.intake import process_intake
from osa.ingest.landing import SOURCES, count_lines, days_with_data, landing_files, read_lines, stage_file

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
