"""Ingest benchmark: OPAL deliveries from landing files into the warehouse, two ways, on the same files.

Usage: .venv/bin/python bench/ingest.py [--workflows 10000] [--keep DIR] [--mode both|functions|step]
                                        [--chunk-mb N] [--protector pii|passthrough]

* ``functions``: the ingest functions on the whole batch at once, in process (read the landing files,
  verify + dedupe + validate + build silver, protect at the choke point, write every table into a DuckDB
  warehouse in one transaction). Not the Dagster step: no known-ids query, no lock, no metadata, no checks.
* ``step``: the real ``opal_deliveries`` Dagster step (``dagster.materialize`` over the whole partition range,
  one run, with its accounting check) in a fresh process: the known-ids query, the cross-process lock, the
  chunks of days (``OSA_INGEST_CHUNK_MB``, ``--chunk-mb``), per-partition metadata and the check included.
  Its peak RSS is that process's own.

Generation runs in a separate process first; neither its time nor its memory counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from osa.ingest.landing import landing_files, read_lines  # noqa: E402
from osa.ingest.opal import process_deliveries  # noqa: E402
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET  # noqa: E402
from osa.privacy import PassThroughProtector, default_protector, protect_rows, write_protected  # noqa: E402
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse  # noqa: E402


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM): unlike ru_maxrss it is not inherited across fork + exec from a
    parent that was bigger."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def remove_warehouse(path: Path) -> None:
    """Measure ingest, not re-ingest: no warehouse file (or WAL, lock) from an earlier run."""
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()


def fresh_warehouse(path: Path) -> DuckDBWarehouse:
    remove_warehouse(path)
    warehouse = DuckDBWarehouse(path)
    warehouse.apply_schema()
    return warehouse


def run_functions(landing: Path, work: Path, protector_name: str) -> None:
    files = landing_files(landing, "opal_deliveries")
    started = time.perf_counter()
    lines = read_lines(files, landing)
    read_s = time.perf_counter() - started

    started = time.perf_counter()
    result = process_deliveries(lines, secret=DEVELOPMENT_WEBHOOK_SECRET)
    process_s = time.perf_counter() - started
    del lines  # as in the asset: the raw lines are not needed once processed

    warehouse = fresh_warehouse(work / "functions.duckdb")
    first, last = files[0].day, files[-1].day + dt.timedelta(days=1)
    protector = PassThroughProtector() if protector_name == "passthrough" else default_protector()
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
    print("\nfunctions, whole batch at once, in process (not the Dagster step)")
    print(f"{'stage':<42}{'seconds':>9}{'deliveries/s':>15}")
    for stage, seconds in (
        ("read landing files", read_s),
        ("verify+dedupe+validate+silver", process_s),
        (f"protect ({protector_name}) + write DuckDB", write_s),
        ("functions total", total),
    ):
        print(f"{stage:<42}{seconds:>9.2f}{n / seconds:>15,.0f}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


def step_child(landing: Path, warehouse_path: Path, protector_name: str) -> None:
    """In a fresh process: the opal_deliveries step over every day with data, as one ranged run."""
    import warnings

    warnings.filterwarnings("ignore")
    import dagster as dg

    from assets.checks import delivery_accounting_check
    from assets.ingest import opal_deliveries
    from pipelines.lakehouse import range_tags
    from resources import LandingZoneResource, PrivacyResource, WarehouseResource, WebhookSecretResource

    files = landing_files(landing, "opal_deliveries")
    first, last = files[0].day.isoformat(), files[-1].day.isoformat()
    remove_warehouse(warehouse_path)
    warehouse = WarehouseResource(backend="duckdb", duckdb_path=str(warehouse_path))
    warehouse.open().prepare()  # the startup step (migrations), as `osa run` does before a run
    if protector_name == "passthrough":
        raise SystemExit("bench/ingest.py: --mode step always runs the PII engine (the step's own protector)")
    started = time.perf_counter()
    result = dg.materialize(
        [opal_deliveries, delivery_accounting_check],
        resources={
            "warehouse": warehouse,
            "landing": LandingZoneResource(path=str(landing)),
            "webhook": WebhookSecretResource(secret=DEVELOPMENT_WEBHOOK_SECRET),
            "privacy": PrivacyResource(),
        },
        tags=range_tags(first, last),
        raise_on_error=False,
    )
    seconds = time.perf_counter() - started
    checks = [e.passed for e in result.get_asset_check_evaluations()]
    print(
        json.dumps(
            {
                "success": result.success,
                "checks_passed": all(checks) and bool(checks),
                "seconds": seconds,
                "days": len(files),
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


def run_step(landing: Path, work: Path, chunk_mb: int | None) -> None:
    env = dict(os.environ)
    if chunk_mb is not None:
        env["OSA_INGEST_CHUNK_MB"] = str(chunk_mb)
    env.setdefault("DAGSTER_HOME", tempfile.mkdtemp(prefix="osa-bench-dagster-"))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--step-child", str(landing), str(work / "step.duckdb")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench/ingest.py: the step failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    n = read_lines(landing_files(landing, "opal_deliveries"), landing).num_rows  # records in (after the run)
    print(f"\nthe opal_deliveries Dagster step, one ranged run over {figures['days']} days, fresh process")
    print(f"  chunk: {env.get('OSA_INGEST_CHUNK_MB', '32 (default)')} MB of landing files")
    print(f"  success {figures['success']}, accounting check passed {figures['checks_passed']}")
    print(f"  step (materialize): {figures['seconds']:.2f} s = {n / figures['seconds']:,.0f} deliveries/s")
    print(f"  whole process incl. imports: {wall:.2f} s = {n / wall:,.0f} deliveries/s")
    print(f"  peak RSS of that process: {figures['peak_rss_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workflows", type=int, default=10_000)
    parser.add_argument("--keep", help="reuse/keep generated data in this directory")
    parser.add_argument("--mode", choices=("both", "functions", "step"), default="both")
    parser.add_argument("--chunk-mb", type=int, help="OSA_INGEST_CHUNK_MB for the step (default: 32)")
    parser.add_argument(
        "--protector",
        choices=("pii", "passthrough"),
        default="pii",
        help="functions mode: the PII engine at the choke point (default), or none, to measure its overhead",
    )
    parser.add_argument("--step-child", nargs=2, metavar=("LANDING", "DUCKDB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step_child:
        step_child(Path(args.step_child[0]), Path(args.step_child[1]), args.protector)
        return

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="osa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    landing = work / "landing"
    if not landing.exists():
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "osa.cli", "generate", "--workflows", str(args.workflows), "--out", str(landing)],
            check=True,
        )
        print(f"generated in {time.perf_counter() - started:.1f}s (not part of the measurement)")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.mode in ("both", "functions"):
        run_functions(landing, work, args.protector)
    if args.mode in ("both", "step"):
        run_step(landing, work, args.chunk_mb)


if __name__ == "__main__":
    main()
