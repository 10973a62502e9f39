#!/usr/bin/env bash
# Create the project virtualenv (.venv) and install OSA Lakehouse with its dev/test extras.
# Idempotent: re-running only installs what changed. Needs nothing but Python 3.11 and pip.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 required, found {sys.version}"'

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
echo "setup: installing osa-lakehouse[dev] into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | { grep -v "^WARNING: Location" || true; }
.venv/bin/python -c 'import osa, dagster, duckdb, polars; print("setup: ok (dagster", dagster.__version__ + ", duckdb", duckdb.__version__ + ", polars", polars.__version__ + ")")'
