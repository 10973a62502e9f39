"""What only the embedded DuckDB warehouse has: its file (reads never create one) and its cross-process
file lock. The backend-independent contract is in test_warehouse.py (run against both backends)."""

from __future__ import annotations

import time

import pytest

from osa.warehouse.duckdb_warehouse import DuckDBWarehouse


def test_query_on_a_missing_file_raises_file_not_found(tmp_path):
    path = tmp_path / "nowhere" / "w.duckdb"
    with pytest.raises(FileNotFoundError, match="osa run"):
        DuckDBWarehouse(path).query("SELECT 1")
    assert not path.exists()  # a read never creates a warehouse


def test_lock_wait_times_out_with_a_clear_error(tmp_path):
    holder = DuckDBWarehouse(tmp_path / "w.duckdb")
    holder.apply_schema()
    waiter = DuckDBWarehouse(tmp_path / "w.duckdb", lock_timeout_s=0.3)
    with holder.connect():
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="lock"):
            waiter.query("SELECT 1")
        assert time.monotonic() - started >= 0.3
    assert waiter.scalar("SELECT 1") == 1  # free again once the holder is done


def test_timestamps_come_back_in_utc_whatever_the_machine_time_zone(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        store = DuckDBWarehouse(tmp_path / "w.duckdb")
        store.apply_schema()
        assert (
            str(store.query("SELECT TIMESTAMPTZ '2026-07-01 00:00:00+00' AS t").schema.field("t").type)
            == "timestamp[us, tz=UTC]"
        )
    finally:
        monkeypatch.undo()
        time.tzset()
