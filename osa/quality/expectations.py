"""Great Expectations suites for the gold tables, derived from the table catalogue, with Data Docs.

Every rule comes from the catalogue declaration (`osa/catalog/tables.py`), never from the data:

- the column set and order equal the declared columns (``expect_table_columns_to_match_ordered_list``);
- non-nullable columns hold no nulls (``expect_column_values_to_not_be_null``);
- columns with ``allowed`` values hold only those (``expect_column_values_to_be_in_set``);
- columns with ``minimum``/``maximum`` stay within those inclusive bounds (``expect_column_values_to_be_between``);
- the table key is unique (``expect_compound_columns_to_be_unique``, or ``expect_column_values_to_be_unique``
  for a one-column key: GX refuses a compound check over a single column);
- the row count is not negative (``expect_table_row_count_to_be_between(min_value=0)``): a table-level
  anchor for Data Docs; the per-day volume (``min_rows_per_day``) is checked elsewhere.

`validate` runs a suite on an Arrow table or polars frame (converted to pandas) in a fresh ephemeral GX
context whose run-time stores live in memory; only the suites, value-free copies of the results and the
Data Docs HTML are written, all under ``docs_dir`` (``_gx_store/`` holds the JSON the HTML is rendered from,
so the index keeps listing earlier runs). Nothing is written under the user's home, no ``gx/`` project
directory is created, nothing is fetched from the network: GX 1.24 has no usage-statistics client left
(``GX_ANALYTICS_ENABLED=false`` and ``analytics_enabled=False`` are set anyway) and its PyPI version check
is not on this code path. The pages themselves load Bootstrap/jQuery/Vega from public CDNs when a browser
opens them.

Personal data: the report (`GxReport`) holds expectation types, column names and counts only. GX runs with
``result_format="COMPLETE"`` (the only format that returns every unexpected row's index, used to count
failures per day) and ``partial_unexpected_count=0``; before anything is written, every value-bearing field
of a column-level result (``unexpected_list``, ``unexpected_index_list``, ``partial_unexpected_*``,
``unexpected_index_query``, ``observed_value``, exception texts) is removed, so neither the report nor the
HTML/JSON under ``docs_dir`` holds a row value.

Measured on the development machine (2 vCPUs, load ~3.5 from parallel work; Python 3.11, GX 1.24.1,
pandas 3.1): ``import great_expectations`` 3.2-5.0 s, paid once per process on the first `build_suite` /
`validate` call (importing this module costs nothing of it: GX is imported lazily); `validate` of
gold_agent_performance_daily with 504 rows (25 expectations), Data Docs build included, 0.68-0.88 s
(median 0.73 s, about half validation, half HTML rendering). The index page loads every stored result,
adding ~1-2 ms per earlier run listed in it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import pathlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from osa.catalog.model import Table

if TYPE_CHECKING:  # GX costs ~4 s to import: only ever imported inside the functions below
    import great_expectations as gx

SITE_NAME = "osa_quality"
DATASOURCE_NAME = "osa_frames"
BATCH_NAME = "whole_frame"
DOCS_RESULTS_STORE = "osa_scrubbed_results_store"
STORE_DIR = "_gx_store"  # under docs_dir: the suites and the scrubbed results the HTML is rendered from
# Result fields that carry row values (or row indexes plus values); dropped before anything is stored or shown.
_VALUE_FIELDS = (
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_index_query",
    "unexpected_index_column_names",
    "partial_unexpected_list",
    "partial_unexpected_index_list",
    "partial_unexpected_counts",
    "unexpected_rows",
    "details",
)
_COUNT_FIELDS = ("element_count", "unexpected_count", "missing_count")


@dataclass(frozen=True)
class GxReport:
    """What one validation found, without a single row value.

    `failures` has one line per failed expectation (type, column(s), counts). `failed_by_day` maps each
    partition day (ISO date) to the number of unexpected rows on it, summed over the failed row-level
    expectations (a row failing two rules counts twice; both rows of a duplicated key count).
    """

    success: bool
    evaluated: int
    failed: int
    failures: list[str] = field(default_factory=list)
    failed_by_day: dict[str, int] = field(default_factory=dict)
    docs_index: pathlib.Path = pathlib.Path()


def suite_name(table: Table) -> str:
    return f"{table.name}_suite"


def build_suite(table: Table) -> gx.ExpectationSuite:
    """The table's expectation suite, derived only from its catalogue declaration (not saved anywhere)."""
    gx = _gx()
    gxe = gx.expectations
    meta = {"source": "osa.catalog", "table": table.name}
    columns = list(table.column_names)
    expectations = [
        gxe.ExpectTableColumnsToMatchOrderedList(
            column_list=columns,
            notes=f"The table has exactly the {len(columns)} columns the catalogue declares, in the declared order.",
            meta=meta,
        ),
        gxe.ExpectTableRowCountToBeBetween(
            min_value=0,
            notes="The table can be read; the minimum rows per day are checked by the volume check, not here.",
            meta=meta,
        ),
    ]
    for column in table.columns:
        col_meta = {**meta, "column": column.name}
        if not column.nullable:
            expectations.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=column.name,
                    notes=f"Every row has a value for {column.name} ({column.description.rstrip('.')}).",
                    meta=col_meta,
                )
            )
        if column.allowed is not None:
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=column.name,
                    value_set=list(column.allowed),
                    notes=f"{column.name} only holds one of the catalogue's values: {', '.join(column.allowed)}.",
                    meta=col_meta,
                )
            )
        if column.minimum is not None or column.maximum is not None:
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column.name,
                    min_value=column.minimum,
                    max_value=column.maximum,
                    notes=f"{column.name} stays {_bounds_text(column.minimum, column.maximum)}.",
                    meta=col_meta,
                )
            )
    if len(table.key) == 1:
        (key,) = table.key
        expectations.append(
            gxe.ExpectColumnValuesToBeUnique(
                column=key,
                notes=f"No two rows share the same {key}: one row per {table.grain}.",
                meta={**meta, "column": key},
            )
        )
    elif table.key:
        expectations.append(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=list(table.key),
                notes=f"No two rows share the same {', '.join(table.key)}: one row per {table.grain}.",
                meta={**meta, "columns": list(table.key)},
            )
        )
    # Built in one go: `add_expectation` on a suite whose name a live context already stores would
    # rewrite that stored suite once per expectation.
    return gx.ExpectationSuite(
        name=suite_name(table),
        expectations=expectations,
        meta={"source": "osa.catalog", "table": table.name, "notes": table.description},
    )


def validate(table: Table, rows: pa.Table | pl.DataFrame, docs_dir: pathlib.Path, *, run_name: str) -> GxReport:
    """Validate `rows` against the table's suite, write Data Docs under `docs_dir`, report without values.

    `failed_by_day` comes from GX itself: each failed row-level expectation's ``unexpected_index_list``
    (row positions of the pandas frame) is mapped to the rows' partition day.

    Safe to re-run with the same `docs_dir`: each call builds a fresh context (names never collide), the
    suite is added or replaced by name, and the scrubbed results of earlier runs stay listed in the index.
    Concurrent calls (runs of different partitions in several processes) writing the same `docs_dir` take
    turns on an exclusive lock file there: GX's stores and ``index.html`` are not safe to share otherwise.
    """
    docs_dir = pathlib.Path(docs_dir).resolve()
    docs_dir.mkdir(parents=True, exist_ok=True)
    with open(docs_dir / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _validate(table, rows, docs_dir, run_name=run_name)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _validate(table: Table, rows: pa.Table | pl.DataFrame, docs_dir: pathlib.Path, *, run_name: str) -> GxReport:
    gx = _gx()
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    arrow = rows.to_arrow() if isinstance(rows, pl.DataFrame) else rows
    frame = _to_pandas(arrow)

    context = gx.get_context(mode="ephemeral", project_config=_context_config(docs_dir))
    suite = context.suites.add_or_update(build_suite(table))
    datasource = context.data_sources.add_or_update_pandas(DATASOURCE_NAME)
    asset = datasource.add_dataframe_asset(table.name)
    batch = asset.add_batch_definition_whole_dataframe(BATCH_NAME)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{table.name}_validation", data=batch, suite=suite)
    )
    run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
    result = definition.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE", "partial_unexpected_count": 0},
        run_id=run_id,
    )

    days = _partition_days(arrow, table.partition_column)
    present = set(arrow.column_names)
    failures: list[str] = []
    by_day: Counter[str] = Counter()
    for outcome in result.results:
        if outcome.success:
            continue
        failures.append(_describe(outcome, present))
        indexes = (outcome.result or {}).get("unexpected_index_list") or []
        if days is not None:
            by_day.update(days[i] for i in indexes if isinstance(i, int) and 0 <= i < len(days))

    # GX stored the raw result (with the unexpected values) in the in-memory store; only a scrubbed copy
    # goes to the on-disk store the Data Docs are rendered from.
    for outcome in result.results:
        _scrub(outcome)
    keys = context.validation_results_store.list_keys()
    docs_store = context.stores[DOCS_RESULTS_STORE]
    for key in keys:
        docs_store.set(key, result)
    context.build_data_docs(
        site_names=[SITE_NAME],
        resource_identifiers=[ExpectationSuiteIdentifier(name=suite.name), *keys],
    )

    return GxReport(
        success=bool(result.success),
        evaluated=len(result.results),
        failed=len(failures),
        failures=failures,
        failed_by_day=dict(sorted(by_day.items())),
        docs_index=docs_dir / "index.html",
    )


def _context_config(docs_dir: pathlib.Path):
    """An ephemeral context: run-time stores in memory; suites, scrubbed results and HTML under `docs_dir`."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    def on_disk(*parts: str) -> dict:
        return {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir.joinpath(*parts))}

    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    stores = dict(defaults.stores)
    stores[defaults.expectations_store_name] = {
        "class_name": "ExpectationsStore",
        "store_backend": on_disk(STORE_DIR, "expectations"),
    }
    stores[DOCS_RESULTS_STORE] = {
        "class_name": "ValidationResultsStore",
        "store_backend": on_disk(STORE_DIR, "validations"),
    }
    return DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites={
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": on_disk(),
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "site_section_builders": {
                    "expectations": {"source_store_name": defaults.expectations_store_name},
                    "validations": {"source_store_name": DOCS_RESULTS_STORE},
                    "profiling": "None",
                },
            }
        },
    )


# ---------------------------------------------------------------------------------------------- helpers
def _gx():
    """Import GX on first use, quietly: no analytics, no progress bars, only errors logged."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def _bounds_text(minimum: float | None, maximum: float | None) -> str:
    def fmt(x: float) -> str:
        return f"{x:g}"

    if minimum is not None and maximum is not None:
        return f"between {fmt(minimum)} and {fmt(maximum)} (inclusive)"
    if minimum is not None:
        return f"at least {fmt(minimum)}"
    return f"at most {fmt(maximum)}"


def _to_pandas(arrow: pa.Table):
    """Arrow -> pandas for GX: exact decimals become floats (bounds are floats), everything else as is."""
    columns = []
    for column in arrow.columns:
        if pa.types.is_decimal(column.type):
            column = column.cast(pa.float64())
        columns.append(column)
    # A new table has no pandas metadata, so the frame gets a RangeIndex: GX's unexpected_index_list
    # entries are then row positions, which `_partition_days` maps to days.
    return pa.table(columns, names=arrow.column_names).to_pandas()


def _partition_days(arrow: pa.Table, partition_column: str) -> list[str] | None:
    if partition_column not in arrow.column_names:
        return None
    return [d.isoformat() if d is not None else "null" for d in arrow.column(partition_column).to_pylist()]


def _columns(outcome) -> list[str]:
    """The column(s) a column-level expectation checks; [] for table-level ones."""
    kwargs = outcome.expectation_config.kwargs
    if kwargs.get("column"):
        return [str(kwargs["column"])]
    if outcome.expectation_config.type == "expect_compound_columns_to_be_unique":
        return [str(c) for c in kwargs["column_list"]]
    return []


def _raised(outcome) -> bool:
    """GX 1.x reports errors either flat or as one entry per metric; either shape counts."""
    info = outcome.exception_info or {}
    if info.get("raised_exception"):
        return True
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _describe(outcome, present: set[str]) -> str:
    """One line for an analyst: expectation, column(s), counts. Built from counts only, never from values."""
    kind = outcome.expectation_config.type
    columns = _columns(outcome)
    where = ", ".join(columns) or "table"
    result = outcome.result or {}
    if _raised(outcome):
        missing = [c for c in columns if c not in present]
        if missing:
            return f"{kind} on {where}: not evaluated, column {', '.join(missing)} is missing"
        return f"{kind} on {where}: not evaluated, GX raised an error"
    counts = {k: result[k] for k in _COUNT_FIELDS if isinstance(result.get(k), int)}
    if "unexpected_count" in counts:
        line = f"{kind} on {where}: {counts['unexpected_count']} of {counts.get('element_count', '?')} rows unexpected"
        if counts.get("missing_count") and kind != "expect_column_values_to_not_be_null":
            line += f" ({counts['missing_count']} null rows not checked)"
        return line
    observed = result.get("observed_value")
    if kind == "expect_table_row_count_to_be_between" and isinstance(observed, int):
        return f"{kind} on table: {observed} rows"
    if kind == "expect_table_columns_to_match_ordered_list":
        return f"{kind} on table: the columns differ from the catalogue's declaration (names or order)"
    return f"{kind} on {where}: failed"


def _scrub(outcome) -> None:
    """Drop every row value from a column-level result (table-level results hold column names and counts)."""
    if not _columns(outcome):
        return
    result = outcome.result
    if result:
        for key in _VALUE_FIELDS:
            result.pop(key, None)
        result.pop("observed_value", None)
    if _raised(outcome):  # tracebacks and messages may quote data
        outcome.exception_info = {
            "raised_exception": True,
            "exception_message": "not evaluated (see the validation report)",
            "exception_traceback": "",
        }
