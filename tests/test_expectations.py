"""Great Expectations suites of the gold tables (osa.quality.expectations), run for real on Arrow frames.

Frames are built from the catalogue alone (`Table.arrow_schema`, allowed values, bounds, key), so a new gold
table or rule is covered without touching this file.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import socket
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from osa.catalog import Column, Table, tables
from osa.quality.expectations import GxReport, build_suite, suite_name, validate

GOLD = tables(layer="gold")
DAYS = [dt.date(2026, 7, 1) + dt.timedelta(days=i) for i in range(3)]
TARGET_DAY = DAYS[1]  # every planted violation lands on this day
EMAIL = "jane.planted-doe@example.org"  # a distinctive "personal" value: must never reach a report or a page


def ids(table: Table) -> str:
    return table.name


# ---------------------------------------------------------------------------------------------- builders
def _domain(table: Table, name: str, rows_per_day: int) -> list:
    column = table.column(name)
    if column.allowed is not None:
        return list(column.allowed)
    return [_value(column, i) for i in range(rows_per_day)]


def _value(column: Column, i: int):
    """A value the catalogue accepts for `column` (row `i` varies text and bounded numbers a little)."""
    arrow = column.type.arrow
    if column.allowed is not None:
        return column.allowed[i % len(column.allowed)]
    if pa.types.is_date(arrow):
        return DAYS[0]
    if pa.types.is_timestamp(arrow):
        return dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)
    if pa.types.is_boolean(arrow):
        return i % 2 == 0
    if pa.types.is_string(arrow):
        return f"{column.name}-{i}"
    if pa.types.is_list(arrow):
        return [f"{column.name}-{i}"]
    low = column.minimum if column.minimum is not None else 0
    high = column.maximum if column.maximum is not None else low + 100
    if pa.types.is_integer(arrow):
        return int(low) + i % (int(high - low) + 1)
    if pa.types.is_decimal(arrow):
        return decimal.Decimal(f"{(low + high) / 2:.2f}")
    if pa.types.is_floating(arrow):
        return low + (high - low) * ((i % 5) / 4)
    raise AssertionError(f"no test value for {column.name} ({column.type.label})")


def valid_rows(table: Table) -> list[dict]:
    """Three days of rows: every combination of the key's allowed values per day, nullable columns
    sometimes null, every other value inside the catalogue's rules."""
    others = [k for k in table.key if k != table.partition_column]
    combos = list(itertools.product(*(_domain(table, k, 4) for k in others))) or [()]
    rows = []
    for day in DAYS:
        for combo in combos:
            i = len(rows)
            row = {}
            for column in table.columns:
                if column.name == table.partition_column:
                    row[column.name] = day
                elif column.name in others:
                    row[column.name] = combo[others.index(column.name)]
                elif column.nullable and i % 4 == 3:
                    row[column.name] = None
                else:
                    row[column.name] = _value(column, i)
            rows.append(row)
    return rows


def arrow(table: Table, rows: list[dict]) -> pa.Table:
    """Rows in the declared schema; violations of NOT NULL need the fields relaxed to nullable."""
    schema = table.arrow_schema
    if any(row[f.name] is None for row in rows for f in schema if not f.nullable):
        schema = pa.schema([f.with_nullable(True) for f in schema])
    return pa.Table.from_pylist(rows, schema=schema)


def target_row(table: Table, rows: list[dict]) -> int:
    return next(i for i, row in enumerate(rows) if row[table.partition_column] == TARGET_DAY)


def assert_single_failure(report: GxReport, expectation: str, column: str, unexpected: int, total: int) -> None:
    assert not report.success
    assert report.failed == 1, report.failures
    (line,) = report.failures
    assert line.startswith(f"{expectation} on {column}: {unexpected} of {total} rows unexpected"), line
    assert report.failed_by_day == {TARGET_DAY.isoformat(): unexpected}


def all_text(directory: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in directory.rglob("*") if p.suffix in (".html", ".json"))


# ---------------------------------------------------------------------------------------------- suites
@pytest.mark.parametrize("table", GOLD, ids=ids)
def test_suite_is_derived_from_the_catalogue(table):
    suite = build_suite(table)
    assert suite.name == suite_name(table) == f"{table.name}_suite"
    kinds = [e.expectation_type for e in suite.expectations]
    by_kind = {k: [e for e in suite.expectations if e.expectation_type == k] for k in set(kinds)}

    (ordered,) = by_kind["expect_table_columns_to_match_ordered_list"]
    assert ordered.column_list == list(table.column_names)
    assert {e.column for e in by_kind["expect_column_values_to_not_be_null"]} == {
        c.name for c in table.columns if not c.nullable
    }
    assert {(e.column, tuple(e.value_set)) for e in by_kind.get("expect_column_values_to_be_in_set", [])} == {
        (c.name, c.allowed) for c in table.columns if c.allowed is not None
    }
    assert {(e.column, e.min_value, e.max_value) for e in by_kind["expect_column_values_to_be_between"]} == {
        (c.name, c.minimum, c.maximum) for c in table.columns if c.minimum is not None or c.maximum is not None
    }
    if len(table.key) == 1:
        assert [e.column for e in by_kind["expect_column_values_to_be_unique"]] == list(table.key)
    else:
        (unique,) = by_kind["expect_compound_columns_to_be_unique"]
        assert unique.column_list == list(table.key)
    assert "expect_table_row_count_to_be_between" in by_kind
    for expectation in suite.expectations:
        assert isinstance(expectation.notes, str) and expectation.notes.endswith("."), expectation
        assert expectation.meta["table"] == table.name


def test_module_import_does_not_import_great_expectations():
    code = "import sys, osa.quality.expectations; assert 'great_expectations' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------- validate
@pytest.mark.parametrize("table", GOLD, ids=ids)
def test_valid_frame_passes_and_writes_data_docs(table, tmp_path):
    rows = valid_rows(table)
    report = validate(table, arrow(table, rows), tmp_path / "docs", run_name="valid")
    assert report.success, report.failures
    assert report.failed == 0 and report.failures == [] and report.failed_by_day == {}
    assert report.evaluated == len(build_suite(table).expectations)

    assert report.docs_index == tmp_path / "docs" / "index.html"
    index = report.docs_index.read_text()
    assert index.lstrip().lower().startswith("<!doctype html") or "<html" in index[:500].lower()
    assert suite_name(table) in index
    (page,) = (tmp_path / "docs" / "validations" / suite_name(table) / "valid").rglob("*.html")
    assert page.name in index


def test_polars_frame_is_accepted(tmp_path):
    table = GOLD[0]
    frame = pl.from_arrow(arrow(table, valid_rows(table)))
    assert isinstance(frame, pl.DataFrame)
    report = validate(table, frame, tmp_path, run_name="polars")
    assert report.success, report.failures


@pytest.mark.parametrize("table", GOLD, ids=ids)
def test_null_in_a_non_nullable_column_fails(table, tmp_path):
    column = next(c for c in table.columns if not c.nullable and c.name not in table.key)
    rows = valid_rows(table)
    rows[target_row(table, rows)][column.name] = None
    report = validate(table, arrow(table, rows), tmp_path, run_name="null")
    assert_single_failure(report, "expect_column_values_to_not_be_null", column.name, 1, len(rows))


WITH_ALLOWED = [t for t in GOLD if any(c.allowed for c in t.columns)]


@pytest.mark.parametrize("table", WITH_ALLOWED, ids=ids)
def test_value_outside_allowed_fails_without_leaking_the_value(table, tmp_path):
    assert WITH_ALLOWED, "no gold table declares allowed values"
    column = next(c for c in table.columns if c.allowed)
    rows = valid_rows(table)
    rows[target_row(table, rows)][column.name] = EMAIL
    docs = tmp_path / "docs"
    report = validate(table, arrow(table, rows), docs, run_name="allowed")
    assert_single_failure(report, "expect_column_values_to_be_in_set", column.name, 1, len(rows))
    assert EMAIL not in repr(report)
    assert "jane" not in all_text(docs)  # neither the HTML pages nor the stored results hold the value


def _out_of_range(column: Column):
    value = column.maximum + 4321.5 if column.maximum is not None else column.minimum - 98765
    if pa.types.is_integer(column.type.arrow):
        return int(value)
    if pa.types.is_decimal(column.type.arrow):
        return decimal.Decimal("9.99")
    return value


@pytest.mark.parametrize("table", GOLD, ids=ids)
def test_value_out_of_range_fails(table, tmp_path):
    bounded = [c for c in table.columns if (c.minimum is not None or c.maximum is not None) and c.name not in table.key]
    column = next((c for c in bounded if c.maximum is not None), bounded[0])
    rows = valid_rows(table)
    planted = _out_of_range(column)
    rows[target_row(table, rows)][column.name] = planted
    report = validate(table, arrow(table, rows), tmp_path / "docs", run_name="range")
    assert_single_failure(report, "expect_column_values_to_be_between", column.name, 1, len(rows))
    assert str(planted) not in repr(report)
    assert str(planted) not in all_text(tmp_path / "docs")


@pytest.mark.parametrize("table", GOLD, ids=ids)
def test_duplicated_key_fails(table, tmp_path):
    rows = valid_rows(table)
    original = target_row(table, rows)
    copy = len(rows) - 1  # a row of the last day takes over the key of a row on the target day
    assert rows[copy][table.partition_column] != TARGET_DAY
    for name in table.key:
        rows[copy][name] = rows[original][name]
    report = validate(table, arrow(table, rows), tmp_path, run_name="duplicate")
    if len(table.key) == 1:
        expectation, where = "expect_column_values_to_be_unique", table.key[0]
    else:
        expectation, where = "expect_compound_columns_to_be_unique", ", ".join(table.key)
    assert_single_failure(report, expectation, where, 2, len(rows))


def test_columns_out_of_order_fail_at_table_level(tmp_path):
    table = GOLD[0]
    frame = arrow(table, valid_rows(table))
    names = list(frame.column_names)
    names[1], names[2] = names[2], names[1]
    report = validate(table, frame.select(names), tmp_path, run_name="order")
    assert not report.success
    assert report.failures == [
        "expect_table_columns_to_match_ordered_list on table: the columns differ from the catalogue's "
        "declaration (names or order)"
    ]
    assert report.failed_by_day == {}


def test_missing_column_is_reported_not_raised(tmp_path):
    table = GOLD[0]
    dropped = next(c.name for c in table.columns if not c.nullable and c.name not in table.key)
    report = validate(table, arrow(table, valid_rows(table)).drop_columns([dropped]), tmp_path, run_name="drop")
    assert not report.success
    assert any(line.startswith("expect_table_columns_to_match_ordered_list") for line in report.failures)
    assert f"expect_column_values_to_not_be_null on {dropped}: not evaluated, column {dropped} is missing" in (
        report.failures
    )


def test_reruns_into_the_same_docs_dir_keep_every_suite_and_run(tmp_path):
    docs = tmp_path / "docs"
    for run in ("first", "second"):
        for table in GOLD:
            assert validate(table, arrow(table, valid_rows(table)), docs, run_name=run).success
    index = (docs / "index.html").read_text()
    for table in GOLD:
        assert (docs / "expectations" / f"{suite_name(table)}.html").is_file()
        for run in ("first", "second"):
            (page,) = (docs / "validations" / suite_name(table) / run).rglob("*.html")
            assert page.name in index and f"{suite_name(table)}/{run}/" in index


def test_no_network_and_nothing_on_stderr(tmp_path, monkeypatch, capfd):
    table = GOLD[0]
    rows = valid_rows(table)
    column = next(c for c in table.columns if not c.nullable and c.name not in table.key)
    rows[target_row(table, rows)][column.name] = None  # a failing run renders the most
    frame = arrow(table, rows)
    attempts: list[object] = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    capfd.readouterr()
    validate(table, frame, tmp_path, run_name="offline")
    assert attempts == []
    assert capfd.readouterr().err == ""
