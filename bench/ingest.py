"""Ingest benchmark: verify -> validate -> silver for N generated workflows (9+ deliveries each).

Usage: .venv/bin/python bench/ingest.py [--workflows 10000] [--keep DIR]
Prints deliveries/s for the columnar pipeline alone and end to end (read files, verify, validate,
build silver, protect at the choke point, write every table into a DuckDB warehouse), plus peak RSS.
Generation runs in a separate process first so its memory does not count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from osa.ingest.landing import landing_files, read_lines
from osa.ingest.opal import process_deliveries
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET
from osa.privacy import PassThroughProtector, default_protector, protect_rows, write_protected
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflows", type=int, default=10_000)
    parser.add_argument("--keep", help="reuse/keep generated data in this directory")
    parser.add_argument(
        "--protector",
        choices=("pii", "passthrough"),
        default="pii",
        help="the PII engine at the choke point (default), or none, to measure its overhead",
    )
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="osa-bench-"))
    landing = work / "landing"
    if not landing.exists():
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "osa.cli", "generate", "--workflows", str(args.workflows), "--out", str(landing)],
            check=True,
        )
        print(f"generated in {time.perf_counter() - started:.1f}s (not part of the measurement)")

    files = landing_files(landing, "opal_deliveries")
    started = time.perf_counter()
    lines = read_lines(files, landing)
    read_s = time.perf_counter() - started

    started = time.perf_counter()
    result = process_deliveries(lines, secret=DEVELOPMENT_WEBHOOK_SECRET)
    process_s = time.perf_counter() - started
    del lines  # as in the asset: the raw lines are not needed once processed

    for leftover in work.glob("bench.duckdb*"):  # a fresh warehouse each run: measure ingest, not re-ingest
        leftover.unlink()
    warehouse = DuckDBWarehouse(work / "bench.duckdb")
    warehouse.apply_schema()
    first, last = files[0].day, files[-1].day + dt.timedelta(days=1)
    protector = PassThroughProtector() if args.protector == "passthrough" else default_protector()
    started = time.perf_counter()
    tables = {
        "quarantine_opal_deliveries": result.quarantine,
        "silver_agent_executions": result.agent_executions,
        "silver_workflow_executions": result.workflow_executions,
        "silver_recommendations": result.recommendations,
        **result.insights,
    }
    write_protected(
        warehouse,
        [protect_rows(table, rows, protector) for table, rows in tables.items()],
        first,
        last,
        audit_source="opal_deliveries",
        restricted={"bronze_opal_deliveries": result.bronze},
    )
    write_s = time.perf_counter() - started

    n = result.records_in
    assert n == result.accepted + result.quarantined + result.duplicates, "accounting identity broken"
    total = read_s + process_s + write_s
    print(
        f"deliveries: {n:,} over {len(files)} daily files "
        f"(accepted {result.accepted:,}, quarantined {result.quarantined:,}, duplicates {result.duplicates:,})"
    )
    print(f"{'stage':<34}{'seconds':>9}{'deliveries/s':>15}")
    for stage, seconds in (
        ("read landing files", read_s),
        ("verify+dedupe+validate+silver", process_s),
        (f"protect ({args.protector}) + write DuckDB", write_s),
        ("end to end", total),
    ):
        print(f"{stage:<34}{seconds:>9.2f}{n / seconds:>15,.0f}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
