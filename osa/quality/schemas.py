"""Data-quality schemas derived from the catalogue, run with pandera on polars frames.

Each silver and gold table's pandera schema checks what the catalogue declares: the exact columns in
order, their types, not-null, allowed values, numeric ranges and the unique key. A failure is reported
as counts per rule and per day (`event_date`) — never with the offending values, which may be
pseudonymized personal data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandera.polars as pa_pl
import polars as pl
import pyarrow as pa

from osa import catalog
from osa.catalog import Table
from osa.catalog.model import Column


def _checks(column: Column) -> list[pa_pl.Check]:
    checks = []
    if column.allowed:
        if column.type.polars == pl.List(pl.String):
            allowed = list(column.allowed)
            checks.append(
                pa_pl.Check(
                    lambda data, allowed=allowed: data.lazyframe.select(
                        pl.col(data.key).list.eval(pl.element().is_in(allowed)).list.all()
                    ),
                    name="isin",
                    error=f"every element one of {allowed}",
                )
            )
        else:
            checks.append(pa_pl.Check.isin(list(column.allowed)))
    if column.minimum is not None:
        checks.append(pa_pl.Check.ge(column.minimum))
    if column.maximum is not None:
        checks.append(pa_pl.Check.le(column.maximum))
    return checks


def pandera_schema(table: Table) -> pa_pl.DataFrameSchema:
    """The pandera (polars) schema of a catalogue table (built once per table)."""
    return _schema(table.name)


@functools.cache
def _schema(name: str) -> pa_pl.DataFrameSchema:
    table = catalog.table(name)
    return pa_pl.DataFrameSchema(
        {c.name: pa_pl.Column(c.type.polars, nullable=c.nullable, checks=_checks(c)) for c in table.columns},
        unique=list(table.key) or None,
        strict=True,
        ordered=True,
        name=table.name,
    )


RULES = {
    "not_nullable": "null in a column declared NOT NULL",
    "isin": "value outside the column's allowed values",
    "greater_than_or_equal_to": "value below the column's minimum",
    "less_than_or_equal_to": "value above the column's maximum",
    "unique": "duplicate value of the table's unique key",
    "multiple_fields_uniqueness": "duplicate of the table's unique key (several columns)",
    "dtype": "column type differs from the catalogue",
    "column_in_dataframe": "declared column missing",
    "column_in_schema": "column not declared in the catalogue",
    "column_ordered": "columns out of the declared order",
}


@dataclass(frozen=True)
class QualityReport:
    """The outcome of validating one table's rows: failures per rule/column and per day, no values."""

    table: str
    rows: int
    failures: dict[str, int] = field(default_factory=dict)  # "rule on column" -> failing rows
    failures_by_day: dict[str, int] = field(default_factory=dict)  # ISO day -> failing rows

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.passed:
            return f"all {self.rows} rows meet the catalogue's rules"
        return "; ".join(f"{rule}: {n} row(s)" for rule, n in sorted(self.failures.items()))


def _rule(check: str) -> str:
    name = check.split("(")[0]
    return RULES.get(name, name)


def validate(table: Table, rows: pa.Table | pl.DataFrame) -> QualityReport:
    """Validate `rows` against the table's schema (lazily: every failure, not just the first)."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.from_arrow(rows)
    try:
        pandera_schema(table).validate(frame, lazy=True)
        return QualityReport(table.name, frame.height)
    except pa_pl.errors.SchemaErrors as errors:
        cases = (
            pl.from_dataframe(errors.failure_cases)
            if not isinstance(errors.failure_cases, pl.DataFrame)
            else (errors.failure_cases)
        )
    failures: dict[str, int] = {}
    for check, column, n in cases.group_by("check", "column").len().iter_rows():
        label = f"{_rule(str(check))} ({column})" if column else _rule(str(check))
        failures[label] = failures.get(label, 0) + n
    by_day: dict[str, int] = {}
    if "index" in cases.columns and table.partition_column in frame.columns:
        index = cases.get_column("index").drop_nulls().cast(pl.Int64).unique()
        if index.len():
            days = frame.select(pl.col(table.partition_column).cast(pl.String)).to_series().gather(index)
            by_day = dict(days.value_counts().iter_rows())
    return QualityReport(table.name, frame.height, failures, by_day)
