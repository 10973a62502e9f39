#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set up, lint, then pytest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "test: ruff"
.venv/bin/ruff check .
echo "test: pytest"
.venv/bin/python -m pytest "$@"
