#!/bin/bash
# First start of the warehouse container only (docker-entrypoint-initdb.d): the extensions the warehouse
# migrations expect (vector is not a trusted extension, so it is created here, as the superuser) and a
# separate database for Dagster's run/event/schedule storage.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE EXTENSION IF NOT EXISTS vector;
SELECT 'CREATE DATABASE ${DAGSTER_PG_DB:-dagster}'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${DAGSTER_PG_DB:-dagster}')\gexec
SQL
