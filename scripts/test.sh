#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set up, lint, then pytest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "test: ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "test: postgres"
# The PostgreSQL variants of the tests need the real server: install (idempotent) and start the project's
# cluster, stop it whatever happens. They fail, never skip, without it.
bash scripts/pg-install.sh
bash scripts/browser-install.sh
trap 'bash scripts/pg.sh stop' EXIT
export OSA_TEST_PG_URL="$(bash scripts/pg.sh start)"
[ -n "$OSA_TEST_PG_URL" ] || { echo "test: scripts/pg.sh start printed no URL" >&2; exit 1; }
echo "test: pytest"
.venv/bin/python -m pytest "$@"
