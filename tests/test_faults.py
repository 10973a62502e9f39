"""Faults of the machine, through the command a user runs: a read-only or full disk under each state location.

Real file systems, not mocks: each location is a tmpfs mounted read-only or with a few hundred KB, so the
errors are the kernel's own (EROFS, ENOSPC) as the libraries meet them (DuckDB's WAL, SQLite's journal,
Python's file writes). Mounting needs root or CAP_SYS_ADMIN (CI runs as root); without it these tests fail
with that reason, never skip. Every case ends in one line on stderr naming the cause, a non-zero exit, and
no truncated or empty landing file left for a later run to read.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from osa.ingest.landing import split_lines
from tests.conftest import osa_env

OSA = str(Path(sys.executable).with_name("osa"))


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def run_osa(*args: str, env: dict[str, str]) -> tuple[int, list[str]]:
    done = subprocess.run([OSA, *args], env=env, capture_output=True, text=True, timeout=600)
    return done.returncode, done.stderr.strip().splitlines()


def landing_files_are_whole(landing: Path, seed: Path) -> None:
    """Every landing file is byte-identical to its seed counterpart: none empty, none cut short."""
    for path in landing.rglob("*.jsonl"):
        source = seed / path.relative_to(landing)
        assert path.read_bytes() == source.read_bytes(), path


@pytest.mark.parametrize(
    ("location", "options", "cause"),
    [
        ("state", "ro", "Read-only file system"),
        ("dagster_home", "ro", "Read-only file system"),
        ("state", "size=400k", "No space left on device"),  # the seed data does not fit
        ("state", "size=3m", "No space left on device"),  # the seed data fits, the warehouse does not
        ("dagster_home", "size=256k", "no space left for DAGSTER_HOME"),
    ],
    ids=["read-only-state", "read-only-dagster-home", "full-disk-seed", "full-disk-warehouse", "full-dagster-home"],
)
def test_osa_run_on_a_read_only_or_full_disk_is_one_line(tmp_path, location, options, cause):
    from osa.config import SEED_DATA_DIR

    env = osa_env(tmp_path)
    with tmpfs(tmp_path / location, options):
        code, errors = run_osa("run", env=env)
        assert code == 1
        assert len(errors) == 1 and errors[0].startswith("osa run: error: "), errors
        assert cause in errors[0], errors[0]
        landing = Path(env["OSA_LANDING_DIR"])
        if landing.exists():
            landing_files_are_whole(landing, SEED_DATA_DIR)


def test_osa_ingest_into_a_full_landing_zone_is_one_line_and_leaves_no_partial_file(tmp_path):
    from osa.config import SEED_DATA_DIR

    env = osa_env(tmp_path)
    source = next((SEED_DATA_DIR / "opal_deliveries").rglob("*.jsonl"))
    incoming = tmp_path / "incoming" / "opal_deliveries" / "batch.jsonl"
    incoming.parent.mkdir(parents=True)
    incoming.write_bytes(source.read_bytes() * 40)  # larger than the landing zone
    assert len(split_lines(incoming.read_bytes())) > 0
    landing = Path(env["OSA_LANDING_DIR"])
    with tmpfs(landing, "size=64k"):
        code, errors = run_osa("ingest", str(incoming), env=env)
        assert code == 1
        assert errors == [f"osa ingest: error: cannot stage {incoming}: No space left on device"], errors
        assert [p for p in landing.rglob("*") if p.is_file()] == []  # no partial copy, no temporary file


def test_a_database_that_stops_accepting_connections_mid_run_is_one_line(tmp_path, new_pg_database, pg_server):
    """The Postgres warehouse goes away while `osa run` writes: its sessions are terminated and new ones refused
    (what clients see of a stopped database). The run ends in one line naming the cause, without the password."""
    import time
    from urllib.parse import urlsplit

    url = new_pg_database(with_schema=False)
    name = urlsplit(url).path.lstrip("/")
    password = urlsplit(url).password
    env = {**osa_env(tmp_path), "OSA_WAREHOUSE": "postgres", "OSA_DATABASE_URL": url}
    run = subprocess.Popen([OSA, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while run.poll() is None and time.monotonic() < deadline:  # until the run has written its first rows
            with pg_server.admin() as con:
                written = con.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query ILIKE 'COPY %%'",
                    [name],
                ).fetchone()[0]
                if written:
                    con.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
                    con.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = %s AND backend_type = 'client backend'",
                        [name],
                    )
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the run ended before it wrote anything")
        _, stderr = run.communicate(timeout=300)
    finally:
        run.kill()
        with pg_server.admin() as con:
            con.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
    assert run.returncode == 1
    errors = stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("osa run: error: "), stderr[-3000:]
    assert "terminat" in errors[0] or "not currently accepting connections" in errors[0], errors[0]
    assert url not in errors[0] and f":{password}@" not in errors[0]  # the test role's password is "osa" itself
