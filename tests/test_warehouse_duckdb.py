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


def _damage(path, how: str) -> None:
    raw = path.read_bytes()
    middle = len(raw) // 2
    if how == "truncated":
        path.write_bytes(raw[:middle])
    else:  # a run of zeros over blocks in the middle, as a torn write or a bad sector leaves
        path.write_bytes(raw[:middle] + b"\0" * 65536 + raw[middle + 65536 :])


@pytest.mark.parametrize("how", ["truncated", "overwritten"])
def test_a_damaged_file_is_refused_by_the_startup_step_with_the_way_to_recover(tmp_path, how):
    """A partly overwritten file opens and even takes writes in DuckDB; the startup step reads every block, so
    `osa migrate` (and `osa run`, `osa ingest`, `osa ui`, which run it) stops before anything is written."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import osa_env

    env = osa_env(tmp_path)
    path = Path(env["OSA_DUCKDB_PATH"])
    warehouse = DuckDBWarehouse(path)
    warehouse.prepare()
    with warehouse.connect() as con:  # enough data that the middle of the file is table blocks
        con.execute("CREATE TABLE filler AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(500000)")
    _damage(path, how)
    before = path.read_bytes()
    osa = str(Path(sys.executable).with_name("osa"))
    done = subprocess.run([osa, "migrate"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert f"the DuckDB file {path} is damaged" in line and "osa run" in line and "backup" in line, line
    assert path.read_bytes() == before  # nothing written into it


def test_a_window_load_runs_under_the_smaller_memory_limit_and_keeps_the_rest(tmp_path, monkeypatch):
    """replace_windows lowers DuckDB's memory limit for its own connection (a bulk load of Arrow tables needs
    no large buffer pool); the rows are written all the same and other connections keep the warehouse limit."""
    import contextlib
    import datetime as dt

    import pyarrow as pa

    def limit(con) -> str:
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    seen: list[str] = []

    class Spy:  # the real connection, noting the limit in force when each table is loaded
        def __init__(self, con):
            self._con = con

        def __getattr__(self, name):
            return getattr(self._con, name)

        def register(self, *args):
            seen.append(limit(self._con.cursor()))  # the limit is the database's: any cursor reads it
            return self._con.register(*args)

    real_connect = DuckDBWarehouse.connect

    @contextlib.contextmanager
    def connect(self, **kwargs):
        with real_connect(self, **kwargs) as con:
            yield Spy(con)

    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb")
    with warehouse.connect() as con:
        con.execute("CREATE TABLE t (event_date DATE, v INTEGER)")
        default = limit(con)
    monkeypatch.setattr(DuckDBWarehouse, "connect", connect)
    rows = pa.table({"event_date": [dt.date(2026, 1, 1)] * 3, "v": [1, 2, 3]})
    assert warehouse.replace_windows({"t": rows}, dt.date(2026, 1, 1), dt.date(2026, 1, 2)) == 3
    assert seen == ["122.0 MiB"] and default == "488.2 MiB"  # 128MB during the load, 512MB elsewhere
    monkeypatch.setattr(DuckDBWarehouse, "connect", real_connect)
    with warehouse.connect(read_only=True) as con:
        assert con.execute("SELECT sum(v) FROM t").fetchone()[0] == 6
        assert limit(con) == default
