"""Compliance benchmark: `osa dsr export/erase`, `osa retention` and `osa audit verify` as whole processes on a
warehouse built from `osa generate --workflows N` by `osa run` (the real pipeline, every asset).

Usage: .venv/bin/python bench/compliance.py [--workflows 10000] [--dir DIR] [--database-url URL]

DIR keeps the generated landing files and the built warehouse between runs (default: a temporary directory).
With --database-url the warehouse is that PostgreSQL database (OSA_WAREHOUSE=postgres). Prints one table:
wall time and peak RSS of each command (GNU time, /usr/bin/time), and the rows each request found and changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OSA = [str(PROJECT_ROOT / ".venv" / "bin" / "osa")]


def run(env: dict, *args: str) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MB, stdout) of one whole `osa` process, measured by GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as measured:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M", "-o", measured.name, *OSA, *args], env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(f"osa {' '.join(args[:2])} failed: {done.stderr.strip()[:300]}")
        wall, peak_kb = measured.read().split()[-2:]
    return float(wall), int(peak_kb) // 1024, done.stdout


def first_email(landing: Path) -> str:
    for path in sorted((landing / "intake_forms").rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                recipients = json.loads(line).get("recipients") or []
            except (ValueError, AttributeError):
                continue
            if recipients:
                return recipients[0]
    sys.exit("no recipient e-mail in the generated forms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=10_000)
    parser.add_argument("--dir")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="osa-bench-compliance-"))
    landing = root / "landing"
    env = {
        **os.environ,
        "OSA_STATE_DIR": str(root / "state"),
        "OSA_LANDING_DIR": str(landing),
        "OSA_DUCKDB_PATH": str(root / "warehouse.duckdb"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "OSA_ARCHIVE_DIR": str(root / "archive"),
    }
    if args.database_url:
        env.update(OSA_WAREHOUSE="postgres", OSA_DATABASE_URL=args.database_url)
    if not landing.exists():
        run(env, "generate", "--workflows", str(args.workflows), "--out", str(landing))
    if not (root / "built").exists():
        wall, peak, _ = run(env, "run", "--landing", str(landing))
        (root / "built").write_text(f"{wall:.1f}")
        print(f"built the warehouse with `osa run` in {wall:.1f} s (peak RSS {peak} MB)")
    days = sorted(p.name[3:] for p in (landing / "opal_deliveries").iterdir() if p.name.startswith("dt="))
    as_of = (dt.date.fromisoformat(days[-1]) + dt.timedelta(days=1)).isoformat()
    subject = first_email(landing)
    rows = []
    for label, command in (
        ("osa dsr export", ("dsr", "export", "--subject", subject, "--out", str(root / "bundle.json"))),
        ("osa dsr erase", ("dsr", "erase", "--subject", subject)),
        ("osa retention --dry-run", ("retention", "--as-of", as_of, "--dry-run")),
        ("osa retention", ("retention", "--as-of", as_of)),
        ("osa retention (again: nothing left)", ("retention", "--as-of", as_of)),
        ("osa audit verify", ("audit", "verify")),
    ):
        wall, peak, out = run(env, *command)
        found = re.search(r'^\{.*"found".*\}$', out, re.MULTILINE)
        detail = ""
        if found:
            result = json.loads(found.group(0))
            detail = f"found {sum(result['found'].values())} rows/lines, changed {sum(result['changed'].values())}"
        elif "retention" in label:
            detail = "; ".join(line.strip() for line in out.splitlines()[1:4]) + (" ..." if out.count("\n") > 4 else "")
        else:
            detail = out.strip()
        rows.append((label, wall, peak, detail))
    load = os.getloadavg()[0]
    backend = "postgres" if args.database_url else "duckdb"
    print(f"\n{args.workflows} workflows, backend {backend}, load {load:.1f}, as of {as_of}\n")
    print("| command | wall | peak RSS | result |\n|---|---|---|---|")
    for label, wall, peak, detail in rows:
        print(f"| {label} | {wall:.2f} s | {peak} MB | {detail} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
