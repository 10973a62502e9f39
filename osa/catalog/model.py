"""The catalogue's vocabulary: logical column types, columns and tables.

A table is declared once (in `osa.catalog.tables`) with these classes; the DDL of both dialects, the
Dagster asset specs, column comments, `docs/catalog.md`, the PII choke point's settings, the data-quality
schemas and the lists tests iterate over are all derived from the declaration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl
import pyarrow as pa

Layer = Literal["bronze", "silver", "quarantine", "pii", "gold", "knowledge", "metrics", "compliance"]
Step = Literal["intake_forms", "opal_deliveries", "gold", "embeddings", "recommendations", "metrics", "compliance"]
# Retention categories (the nightly retention job maps each to a policy; see docs/catalog.md).
RetentionCategory = Literal[
    "pii_data",
    "strategy_workflow",
    "audit_log",
    "user_analytics",
    "metrics_raw",
    "metrics_hourly",
    "metrics_daily",
    "legal_hold",
]
RETENTION_CATEGORIES: dict[str, str] = {
    "pii_data": "raw personal data (bronze payloads and forms): 30 days, then deleted",
    "strategy_workflow": "strategy workflow data (silver, gold, knowledge): 365 days, then archived to Parquet",
    "audit_log": "audit trails: 2555 days (7 years), archived, chain kept verifiable",
    "user_analytics": "user analytics data: 90 days, then anonymized",
    "metrics_raw": "raw metric observations: 90 days, dropped by whole partitions once their rollups are checked",
    "metrics_hourly": "hourly metric rollups: 1 year",
    "metrics_daily": "daily metric rollups: 2 years",
    "legal_hold": "legal holds: kept while in force and after release (the record of a hold is never expired)",
}


@dataclass(frozen=True)
class SqlType:
    """One logical column type and how every consumer spells it."""

    label: str  # what analysts read in the UI and the docs
    duckdb: str
    postgres: str
    arrow: pa.DataType
    polars: pl.DataType

    @property
    def is_text(self) -> bool:
        """Strings and lists of strings: the values the PII engine can scan."""
        return self.polars in (pl.String, pl.List(pl.String))


DATE = SqlType("date", "DATE", "DATE", pa.date32(), pl.Date)
TEXT = SqlType("text", "VARCHAR", "TEXT", pa.string(), pl.String)
TEXT_LIST = SqlType("list of text", "VARCHAR[]", "TEXT[]", pa.list_(pa.field("l", pa.string())), pl.List(pl.String))
INT = SqlType("integer (32-bit)", "INTEGER", "INTEGER", pa.int32(), pl.Int32)
BIGINT = SqlType("integer (64-bit)", "BIGINT", "BIGINT", pa.int64(), pl.Int64)
DOUBLE = SqlType("decimal number (double)", "DOUBLE", "DOUBLE PRECISION", pa.float64(), pl.Float64)
BOOL = SqlType("true/false", "BOOLEAN", "BOOLEAN", pa.bool_(), pl.Boolean)
TIMESTAMPTZ = SqlType(
    "timestamp (UTC)",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMPTZ",
    pa.timestamp("us", tz="UTC"),
    pl.Datetime("us", "UTC"),
)
DECIMAL_3_2 = SqlType("exact decimal (3,2)", "DECIMAL(3,2)", "NUMERIC(3,2)", pa.decimal128(3, 2), pl.Decimal(3, 2))
VECTOR_1536 = SqlType(
    "vector of 1536 floats",
    "FLOAT[1536]",
    "vector(1536)",
    pa.list_(pa.field("", pa.float32()), 1536),
    pl.Array(pl.Float32, 1536),
)

SYSTEM = "system.operations"  # fideslang: data the system itself generates (ids, enums, counts)


@dataclass(frozen=True)
class Column:
    """One column. `privacy` is a fideslang data category (https://ethyca.github.io/fideslang/taxonomy/).

    The category says what the column holds (``system.*``: values the pipeline generates or ids; ``user.*``:
    personal data). The PII choke point scans every text column whatever its category.
    """

    name: str
    type: SqlType
    description: str
    privacy: str = SYSTEM
    nullable: bool = True
    allowed: tuple[str, ...] | None = None  # allowed values (text columns)
    minimum: float | None = None  # inclusive bounds (numeric columns)
    maximum: float | None = None
    json: bool = False  # the value is a JSON document (the PII engine walks it as JSON)
    compression: str | None = None  # payload compression (DuckDB codec; Postgres uses lz4 TOAST)

    @property
    def scanned(self) -> bool:
        """Whether the PII choke point scans this column's values: every text column of a table written
        through it, ids and enums included (a sender can put anything into an id; what the pipeline
        generates itself, such as digests and reason codes, simply yields no finding)."""
        return self.type.is_text

    @property
    def personal(self) -> bool:
        """Declared to hold (protected) personal data."""
        return self.privacy.startswith("user.")


@dataclass(frozen=True)
class Table:
    """One warehouse table: what it holds, who owns it, how it is partitioned, kept and checked."""

    name: str
    layer: Layer
    step: Step  # the pipeline step (Dagster asset) that writes it
    description: str
    grain: str  # what one row is
    owner: str
    retention: RetentionCategory
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # unique per row; also the record id in the PII audit trail
    depends_on: tuple[str, ...] = ()  # catalogue tables it is computed from (lineage)
    hypertable: bool = True  # Postgres: TimescaleDB hypertable with `chunk_days`-day chunks on partition_column
    # Days per TimescaleDB chunk. One day for tables written and expired by the day; more for small tables read
    # over long periods, where planning a query over hundreds of one-day chunks costs more than running it.
    chunk_days: int = 1
    indexes: tuple[tuple[str, ...], ...] = ()  # Postgres secondary indexes (column expressions)
    partition_column: str = "event_date"
    count_by: str | None = None  # a column whose value counts the UI shows per partition
    figures: dict[str, str] = field(default_factory=dict)  # per-day business figures: name -> SQL aggregate
    agent: str | None = None  # the OPAL agent whose output feeds it (agent-specific insight tables)
    min_rows_per_day: int = 0  # volume check: a day with data below this is flagged

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type.arrow, nullable=c.nullable) for c in self.columns])

    @property
    def passthrough_columns(self) -> tuple[str, ...]:
        """Columns the PII choke point copies unscanned: those that hold no text."""
        return tuple(c.name for c in self.columns if not c.scanned)

    @property
    def json_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.json)
