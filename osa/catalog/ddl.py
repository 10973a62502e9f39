"""DDL derived from the catalogue, for both dialects, and the comparison of a live warehouse with it.

The committed, versioned migrations (`sql/<dialect>/V*.sql`) remain how a warehouse is built. This module
renders what they must produce (`schema_sql`), compares a live warehouse with the catalogue (`drift`, used
by tests and the schema asset check), writes the next migration from that difference
(``python -m osa.catalog.ddl new NAME``) and keeps the warehouse's table and column comments equal to the
catalogue's descriptions (`comment_statements`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from osa.catalog.model import Column, Table
from osa.catalog.tables import TABLES

Dialect = Literal["duckdb", "postgres"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "postgres")

# How each dialect's catalog reports a declared type (DuckDB information_schema, PostgreSQL format_type).
_REPORTED = {
    "postgres": {
        "TEXT": "text",
        "TEXT[]": "text[]",
        "INTEGER": "integer",
        "BIGINT": "bigint",
        "DOUBLE PRECISION": "double precision",
        "BOOLEAN": "boolean",
        "DATE": "date",
        "TIMESTAMPTZ": "timestamp with time zone",
        "NUMERIC(3,2)": "numeric(3,2)",
        "vector(1536)": "vector(1536)",
    }
}


def declared_type(column: Column, dialect: Dialect) -> str:
    return column.type.duckdb if dialect == "duckdb" else column.type.postgres


def reported_type(column: Column, dialect: Dialect) -> str:
    """The type string the dialect's catalog reports for this column (what `LiveColumn.type` holds)."""
    declared = declared_type(column, dialect)
    return _REPORTED.get(dialect, {}).get(declared, declared)


def _column_sql(column: Column, dialect: Dialect) -> str:
    sql = f"{column.name} {declared_type(column, dialect)}"
    if not column.nullable:
        sql += " NOT NULL"
    if column.compression:
        sql += f" USING COMPRESSION {column.compression}" if dialect == "duckdb" else " COMPRESSION lz4"
    return sql


def create_statements(table: Table, dialect: Dialect) -> list[str]:
    """CREATE TABLE (and, on Postgres, the hypertable and its indexes) for one table."""
    columns = ",\n".join(f"    {_column_sql(c, dialect)}" for c in table.columns)
    statements = [f"CREATE TABLE IF NOT EXISTS {table.name} (\n{columns}\n);"]
    if dialect == "postgres":
        if table.hypertable:
            statements.append(
                f"SELECT create_hypertable('{table.name}', by_range('{table.partition_column}', "
                f"INTERVAL '{table.chunk_days} day{'s' if table.chunk_days > 1 else ''}'), "
                "if_not_exists => true);"
            )
        for index in table.indexes:
            name = f"{table.name}_{'_'.join(part.split()[0] for part in index)}_idx"
            statements.append(f"CREATE INDEX IF NOT EXISTS {name} ON {table.name} ({', '.join(index)});")
    return statements


def schema_sql(dialect: Dialect) -> str:
    """The whole catalogue as DDL: what the committed migrations of `dialect` must add up to."""
    header = ["CREATE EXTENSION IF NOT EXISTS timescaledb;", "CREATE EXTENSION IF NOT EXISTS vector;"]
    body = [s for t in TABLES for s in create_statements(t, dialect)]
    return "\n".join((header if dialect == "postgres" else []) + body) + "\n"


# ------------------------------------------------------------------------------------------ live schema
@dataclass(frozen=True)
class LiveColumn:
    table: str
    name: str
    position: int
    type: str
    nullable: bool
    comment: str | None


def drift(live: list[LiveColumn], dialect: Dialect) -> list[str]:
    """Every difference between a live warehouse's base tables and the catalogue, as readable lines."""
    by_table: dict[str, list[LiveColumn]] = {}
    for column in live:
        by_table.setdefault(column.table, []).append(column)
    problems: list[str] = []
    for table in TABLES:
        columns = sorted(by_table.pop(table.name, []), key=lambda c: c.position)
        if not columns:
            problems.append(f"{table.name}: missing from the warehouse")
            continue
        names = [c.name for c in columns]
        if names != list(table.column_names):
            problems.append(f"{table.name}: columns {names} != catalogue {list(table.column_names)}")
            continue
        for declared, actual in zip(table.columns, columns, strict=True):
            if actual.type != reported_type(declared, dialect):
                problems.append(
                    f"{table.name}.{declared.name}: type {actual.type} != {reported_type(declared, dialect)}"
                )
            if actual.nullable != declared.nullable:
                problems.append(
                    f"{table.name}.{declared.name}: {'nullable' if actual.nullable else 'NOT NULL'} in the "
                    f"warehouse, {'nullable' if declared.nullable else 'NOT NULL'} in the catalogue"
                )
    problems += [f"{name}: in the warehouse but not in the catalogue" for name in sorted(by_table)]
    return problems


def migration_statements(live: list[LiveColumn], dialect: Dialect) -> list[str]:
    """DDL taking a live schema to the catalogue: new tables, new columns, nullability. Anything else
    (renames, type changes, dropped columns) needs a hand-written migration and raises."""
    by_table: dict[str, dict[str, LiveColumn]] = {}
    for column in live:
        by_table.setdefault(column.table, {})[column.name] = column
    statements: list[str] = []
    for table in TABLES:
        existing = by_table.get(table.name)
        if existing is None:
            statements += create_statements(table, dialect)
            continue
        for column in table.columns:
            current = existing.get(column.name)
            if current is None:
                add = f"ALTER TABLE {table.name} ADD COLUMN {column.name} {declared_type(column, dialect)};"
                statements.append(add)
                if not column.nullable:
                    statements.append(f"ALTER TABLE {table.name} ALTER COLUMN {column.name} SET NOT NULL;")
                continue
            if current.type != reported_type(column, dialect):
                raise ValueError(f"{table.name}.{column.name} changes type: write this migration by hand")
            if current.nullable != column.nullable:
                action = "DROP NOT NULL" if column.nullable else "SET NOT NULL"
                statements.append(f"ALTER TABLE {table.name} ALTER COLUMN {column.name} {action};")
        extra = set(existing) - set(table.column_names)
        if extra:
            raise ValueError(f"{table.name} drops columns {sorted(extra)}: write this migration by hand")
    return statements


# ------------------------------------------------------------------------------------------ comments
def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_comment(table: Table) -> str:
    return f"{table.description} Grain: {table.grain}. Owner: {table.owner}. Retention: {table.retention}."


def column_comment(column: Column) -> str:
    return f"{column.description} [privacy: {column.privacy}]"


def comment_statements(live: list[LiveColumn], table_comments: dict[str, str | None]) -> list[str]:
    """COMMENT ON statements for every table and column whose warehouse comment differs from the catalogue
    (empty when they already agree, so applying them at every start costs one catalog read)."""
    current = {(c.table, c.name): c.comment for c in live}
    statements = []
    for table in TABLES:
        if table.name not in table_comments:
            continue  # not created yet: the migrations come first
        if table_comments[table.name] != table_comment(table):
            statements.append(f"COMMENT ON TABLE {table.name} IS {_quote(table_comment(table))};")
        for column in table.columns:
            if (table.name, column.name) in current and current[(table.name, column.name)] != column_comment(column):
                statements.append(f"COMMENT ON COLUMN {table.name}.{column.name} IS {_quote(column_comment(column))};")
    return statements


# ------------------------------------------------------------------------------------------ new migrations
def _next_version(dialect: Dialect) -> int:
    from osa.warehouse.base import migration_files

    versions = [int(version.removeprefix("V")) for version, _ in migration_files(dialect)]
    return max(versions, default=0) + 1


def write_migration(name: str) -> list[Path]:
    """Write ``V<next>__<name>.sql`` for both dialects: the DDL from the committed migrations' result to the
    catalogue (computed on a scratch DuckDB, which the drift test keeps equal to Postgres)."""
    from osa.warehouse.base import SQL_DIR
    from osa.warehouse.duckdb_warehouse import DuckDBWarehouse

    with tempfile.TemporaryDirectory() as scratch:
        warehouse = DuckDBWarehouse(Path(scratch) / "scratch.duckdb")
        warehouse.apply_schema()
        live = warehouse.live_columns()
    duckdb_statements = migration_statements(live, "duckdb")
    if not duckdb_statements:
        raise SystemExit("the committed migrations already match the catalogue; nothing to write")
    postgres_live = [
        LiveColumn(c.table, c.name, c.position, _to_postgres_reported(c), c.nullable, c.comment) for c in live
    ]
    written = []
    by_dialect = {"duckdb": duckdb_statements, "postgres": migration_statements(postgres_live, "postgres")}
    for dialect, statements in by_dialect.items():
        version = _next_version(dialect)
        path = SQL_DIR / dialect / f"V{version:03d}__{name}.sql"
        header = f"-- V{version:03d}: {name.replace('_', ' ')} (written by `python -m osa.catalog.ddl new {name}`).\n"
        path.write_text(header + "\n".join(statements) + "\n")
        written.append(path)
    return written


def _to_postgres_reported(column: LiveColumn) -> str:
    from osa.catalog import CATALOG

    declared = CATALOG.get(column.table)
    for candidate in declared.columns if declared else ():
        if candidate.name == column.name and candidate.type.duckdb == column.type:
            return reported_type(candidate, "postgres")
    return column.type


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m osa.catalog.ddl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print the catalogue as DDL")
    show.add_argument("dialect", choices=DIALECTS)
    new = sub.add_parser("new", help="write the next migration for both dialects from the catalogue")
    new.add_argument("name")
    args = parser.parse_args(argv)
    if args.command == "show":
        sys.stdout.write(schema_sql(args.dialect))
    else:
        for path in write_migration(args.name):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
