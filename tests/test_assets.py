"""Dagster-level tests: materialize every asset on a small generated landing set into a temporary DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from assets import checks, ingest
from assets.checks import LEAK_CHECKED_TABLES
from osa import catalog
from osa.generate import generate
from osa.ingest.landing import SOURCES, count_lines, landing_files
from osa.ingest.signature import DEVELOPMENT_WEBHOOK_SECRET
from osa.ledger import accounting_by_day
from osa.warehouse.duckdb_warehouse import DuckDBWarehouse
from pipelines import lakehouse
from pipelines.definitions import defs
from pipelines.lakehouse import range_tags
from resources import EmbeddingResource, LandingZoneResource, PrivacyResource, WebhookSecretResource
from tests.backends import stable_select
from tests.conftest import SMALL_DAYS as SMALL_DAY_COUNT
from tests.conftest import SMALL_FIRST, SMALL_LAST, SMALL_WORKFLOWS, warehouse_resource

SMALL_DAYS = [dt.date(2026, 7, 1), dt.date(2026, 7, 2), dt.date(2026, 7, 3)]


def lakehouse_resources(duckdb_path: Path | str, landing: Path | str) -> dict:
    return {
        "warehouse": warehouse_resource(str(duckdb_path)),
        "landing": LandingZoneResource(path=str(landing)),
        "webhook": WebhookSecretResource(secret=DEVELOPMENT_WEBHOOK_SECRET),  # what the generator signs with
        "privacy": PrivacyResource(),
        "embeddings": EmbeddingResource(),  # the offline default
    }


def run_job(duckdb_path: Path, landing: Path, **kwargs) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("lakehouse_job")
    kwargs.setdefault("tags", range_tags(SMALL_FIRST, SMALL_LAST) if "partition_key" not in kwargs else None)
    return job.execute_in_process(resources=lakehouse_resources(duckdb_path, landing), **kwargs)


def snapshot(warehouse: DuckDBWarehouse) -> dict[str, list[dict]]:
    """Every lakehouse table's full contents in a canonical order."""
    return {
        table: warehouse.query(f"{stable_select(table)} ORDER BY ALL").to_pylist()
        for table in warehouse.table_names(views=False)
        if table != "schema_migrations"
    }


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory):
    """One ranged run over the three days of the small landing set, shared by tests that only read it."""
    root = tmp_path_factory.mktemp("shared_run")
    generate(root / "landing", workflows=SMALL_WORKFLOWS, days=SMALL_DAY_COUNT)
    result = run_job(root / "warehouse.duckdb", root / "landing")
    return result, DuckDBWarehouse(root / "warehouse.duckdb"), root / "landing"


@pytest.fixture
def full_run(isolated_env, small_landing):
    """A private ranged run for tests that change the warehouse or the landing zone."""
    path = isolated_env / "warehouse.duckdb"
    result = run_job(path, small_landing)
    return result, DuckDBWarehouse(path), small_landing


def test_full_run_succeeds_and_checks_pass(shared_run):
    result, warehouse, _ = shared_run
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    expected = set(defs.resolve_job_def("lakehouse_job").asset_layer.asset_graph.asset_check_keys)
    assert {e.asset_check_key for e in evaluations} == expected  # every declared check ran, once
    assert len(evaluations) == len(expected)
    assert all(e.passed for e in evaluations), [
        (e.asset_key, e.check_name, e.metadata) for e in evaluations if not e.passed
    ]
    by_name: dict[str, set[str]] = {}
    for e in evaluations:
        by_name.setdefault(e.check_name, set()).add(e.asset_key.to_user_string())
    assert by_name["every_record_accounted_for"] == {"bronze_intake_forms", "bronze_opal_deliveries"}
    assert by_name["no_raw_pii"] == set(LEAK_CHECKED_TABLES)
    quality_tables = {t.name for t in catalog.TABLES if t.layer in ("silver", "quarantine", "pii", "gold")}
    for check in ("meets_catalogue_rules", "schema_matches_catalogue", "row_volume"):
        assert by_name[check] == quality_tables, check
    assert by_name["great_expectations_suite"] == {t.name for t in catalog.tables(layer="gold")}
    accounting = [e for e in evaluations if e.check_name == "every_record_accounted_for"]
    assert {e.metadata["days_checked"].value for e in accounting} == {3}
    leaks = [e for e in evaluations if e.check_name == "no_raw_pii"]
    assert sum(e.metadata["rows_scanned"].value for e in leaks) > 0
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    external = {"landing_intake_forms", "landing_opal_deliveries"}
    nightly = {t.name for t in catalog.tables(layer="compliance")} | {"compliance_report"}  # compliance jobs
    everything = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert materialized == everything - external - nightly


def test_every_table_has_rows(shared_run):
    _, warehouse, _ = shared_run
    tables = snapshot(warehouse)
    assert len(tables) >= 20
    own_record = {t.name for t in catalog.tables(layer="compliance")}  # not compared: see tests.backends
    empty = [name for name, rows in tables.items() if not rows and name not in own_record]
    assert empty == []
    assert {r["event_date"] for r in tables["silver_agent_executions"]} == set(SMALL_DAYS)
    # the run audited its workflow state changes, and the metric store has each day's embedding usage
    assert warehouse.scalar("SELECT count(*) FROM audit_log WHERE action = 'workflow_state'") >= 1
    knowledge_days = warehouse.scalar("SELECT count(DISTINCT event_date) FROM knowledge_items")
    usage_days = warehouse.scalar(
        "SELECT count(DISTINCT event_date) FROM metric_events WHERE metric_name = 'embedding.requests'"
    )
    assert usage_days == knowledge_days > 0


def test_accounting_invariant_per_day(shared_run):
    _, warehouse, landing = shared_run
    for source in SOURCES:
        report = accounting_by_day(warehouse, source, landing_files(landing, source))
        assert [row["event_date"] for row in report] == SMALL_DAYS
        for row in report:
            assert row["records_in"] > 0
            assert row["records_in"] == row["accepted"] + row["quarantined"] + row["duplicates"], row
            assert row["unaccounted"] == 0
    deliveries = accounting_by_day(warehouse, "opal_deliveries", landing_files(landing, "opal_deliveries"))
    assert sum(r["duplicates"] for r in deliveries) > 0  # the generator plants replays
    assert sum(r["quarantined"] for r in deliveries) > 0


def test_accounting_is_in_asset_metadata_per_partition(shared_run):
    """Each daily partition carries its own day's accounting and row count, never the window's."""
    result, warehouse, landing = shared_run
    for source, silver in (("intake_forms", "silver_intake_forms"), ("opal_deliveries", "silver_agent_executions")):
        events = [
            e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == f"bronze_{source}"
        ]
        assert sorted(e.partition for e in events) == [d.isoformat() for d in SMALL_DAYS]  # one per partition
        for event in events:
            day = dt.date.fromisoformat(event.partition)
            metadata = {k: v.value for k, v in event.materialization.metadata.items()}
            assert metadata["unaccounted"] == 0
            assert metadata["records_in"] == metadata["accepted"] + metadata["quarantined"] + metadata["duplicates"]
            day_files = [f for f in landing_files(landing, source) if f.day == day]
            assert metadata["records_in"] == count_lines(day_files)
            where = f"WHERE event_date = DATE '{day}'"
            assert metadata["accepted"] == warehouse.scalar(f"SELECT count(*) FROM {silver} {where}")
            assert metadata["quarantined"] == warehouse.scalar(f"SELECT count(*) FROM quarantine_{source} {where}")
            assert metadata["dagster/row_count"] == warehouse.scalar(f"SELECT count(*) FROM bronze_{source} {where}")


def test_every_partition_reports_its_own_row_count(shared_run):
    """A ranged run: each table's materialization of a day shows that day's rows (0 and a note for none)."""
    result, warehouse, _ = shared_run
    for event in result.get_asset_materialization_events():
        table = event.asset_key.to_user_string()
        if table not in catalog.CATALOG:  # the dashboard report is a file, not a table
            continue
        metadata = event.materialization.metadata
        truth = warehouse.scalar(f"SELECT count(*) FROM {table} WHERE event_date = DATE '{event.partition}'")
        assert metadata["dagster/row_count"].value == truth, (table, event.partition)
        if truth == 0:
            assert metadata["note"].value == "no rows that day"
    gold = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "gold_agent_performance_daily"
    ]
    for event in gold:
        day = event.partition
        expected = warehouse.scalar(
            "SELECT round(sum(sla_met) / sum(executions), 4) FROM gold_agent_performance_daily "
            f"WHERE event_date = DATE '{day}'"
        )
        assert event.materialization.metadata["sla_compliance_rate"].value == pytest.approx(expected)
        assert f"| {day} |" in event.materialization.metadata["preview"].value
        other_days = {d.isoformat() for d in SMALL_DAYS} - {day}
        assert not any(f"| {other} |" in event.materialization.metadata["preview"].value for other in other_days)


def test_materializing_twice_gives_identical_tables(full_run):
    result, warehouse, landing = full_run
    before = snapshot(warehouse)
    again = run_job(warehouse.path, landing)
    assert again.success
    assert snapshot(warehouse) == before


def test_day_by_day_runs_equal_one_ranged_run(shared_run, tmp_path):
    _, ranged, landing = shared_run
    per_day = tmp_path / "per_day.duckdb"
    for day in SMALL_DAYS:
        result = run_job(per_day, landing, partition_key=day.isoformat())
        assert result.success
        assert all(e.passed for e in result.get_asset_check_evaluations())
    assert snapshot(DuckDBWarehouse(per_day)) == snapshot(ranged)


def test_a_ranged_run_in_chunks_of_days_equals_one_pass(shared_run, tmp_path, monkeypatch):
    """A backfill goes through its window in chunks (OSA_INGEST_CHUNK_MB): one day per chunk gives the tables
    one pass over the window gives, cross-day replays included, also over a warehouse loaded in reverse."""
    _, one_pass, landing = shared_run
    assert one_pass.scalar("SELECT count(*) FROM bronze_opal_deliveries WHERE is_duplicate") > 0
    monkeypatch.setenv("OSA_INGEST_CHUNK_MB", "0.000001")  # every day is a chunk of its own
    assert ingest.chunks_of(landing, "opal_deliveries", SMALL_DAYS[0], SMALL_DAYS[-1] + dt.timedelta(days=1)) == [
        (day, day + dt.timedelta(days=1)) for day in SMALL_DAYS
    ]
    chunked = tmp_path / "chunked.duckdb"
    result = run_job(chunked, landing)
    assert result.success and all(e.passed for e in result.get_asset_check_evaluations())
    assert snapshot(DuckDBWarehouse(chunked)) == snapshot(one_pass)
    reverse = tmp_path / "reverse.duckdb"
    for day in reversed(SMALL_DAYS):
        assert run_job(reverse, landing, partition_key=day.isoformat()).success
    assert run_job(reverse, landing).success  # the chunked ranged run decides as one pass would
    assert snapshot(DuckDBWarehouse(reverse)) == snapshot(one_pass)


def test_a_bad_chunk_size_fails_the_step_with_its_name(shared_run, tmp_path, monkeypatch):
    _, _, landing = shared_run
    monkeypatch.setenv("OSA_INGEST_CHUNK_MB", "lots")
    result = run_job(tmp_path / "bad.duckdb", landing, raise_on_error=False)
    assert not result.success
    failures = [event.step_failure_data.error for event in result.all_events if event.is_step_failure]
    assert any("OSA_INGEST_CHUNK_MB must be a number of megabytes" in error.message for error in failures), failures


def test_partitions_in_any_order_never_count_a_cross_day_replay_twice(shared_run, tmp_path):
    _, in_order, landing = shared_run
    reverse = DuckDBWarehouse(tmp_path / "reverse.duckdb")
    for day in reversed(SMALL_DAYS):  # the later day (holding a replay of an earlier delivery) is loaded first
        assert run_job(reverse.path, landing, partition_key=day.isoformat()).success
    for warehouse in (in_order, reverse):
        assert warehouse.scalar("SELECT count(*) - count(DISTINCT delivery_id) FROM silver_agent_executions") == 0
    cross_day = in_order.scalar("""
        SELECT count(*) FROM bronze_opal_deliveries d JOIN bronze_opal_deliveries o
          ON o.delivery_id = d.delivery_id AND o.event_date < d.event_date AND NOT o.is_duplicate
        WHERE d.is_duplicate""")
    assert cross_day > 0, "the generated set must contain a replay on a later day for this test to mean anything"
    totals = (
        "SELECT count(*) FROM silver_agent_executions UNION ALL "
        "SELECT count(*) FROM bronze_opal_deliveries WHERE is_duplicate"
    )
    assert reverse.query(totals).to_pylist() == in_order.query(totals).to_pylist()
    # re-running the first day afterwards keeps it that way
    assert run_job(reverse.path, landing, partition_key=SMALL_DAYS[0].isoformat()).success
    assert reverse.query(totals).to_pylist() == in_order.query(totals).to_pylist()


def test_single_partition_run_on_a_fresh_warehouse(isolated_env, small_landing):
    path = isolated_env / "warehouse.duckdb"
    result = run_job(path, small_landing, partition_key="2026-07-02")
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert all(e.passed for e in evaluations)
    accounting = [e for e in evaluations if e.check_name == "every_record_accounted_for"]
    assert len(accounting) == 2 and {e.metadata["days_checked"].value for e in accounting} == {1}
    warehouse = DuckDBWarehouse(path)
    for table in ("silver_agent_executions", "bronze_intake_forms", "gold_agent_performance_daily"):
        days = {r["event_date"] for r in warehouse.query(f"SELECT DISTINCT event_date FROM {table}").to_pylist()}
        assert days == {dt.date(2026, 7, 2)}, table


def test_rerunning_one_day_leaves_other_days_alone(full_run):
    _, warehouse, landing = full_run
    before = snapshot(warehouse)
    result = run_job(warehouse.path, landing, partition_key="2026-07-02")
    assert result.success
    assert snapshot(warehouse) == before


def test_a_lost_record_fails_the_accounting_check(full_run):
    _, warehouse, landing = full_run
    with warehouse.connect() as con:  # plant a loss: one accepted agent output disappears from silver
        lost_day = con.execute("SELECT event_date FROM silver_agent_executions ORDER BY ALL LIMIT 1").fetchone()[0]
        con.execute(
            "DELETE FROM silver_agent_executions WHERE rowid = "
            "(SELECT min(rowid) FROM silver_agent_executions WHERE event_date = ?)",
            [lost_day],
        )
    report = accounting_by_day(warehouse, "opal_deliveries", landing_files(landing, "opal_deliveries"))
    assert {r["event_date"]: r["unaccounted"] for r in report if r["unaccounted"]} == {lost_day: 1}

    result = dg.materialize(
        [ingest.intake_forms, ingest.opal_deliveries, checks.intake_accounting_check, checks.delivery_accounting_check],
        selection=dg.AssetSelection.checks(checks.intake_accounting_check, checks.delivery_accounting_check),
        resources=lakehouse_resources(warehouse.path, landing),
        tags=range_tags(SMALL_FIRST, SMALL_LAST),
        raise_on_error=False,
    )
    outcome = {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}
    assert outcome["bronze_intake_forms"].passed
    assert not outcome["bronze_opal_deliveries"].passed
    assert outcome["bronze_opal_deliveries"].metadata["unbalanced_days"].value == lost_day.isoformat()
    assert not result.success  # the check is blocking


def test_an_unprocessed_landing_file_fails_the_accounting_check(full_run):
    _, warehouse, landing = full_run
    extra = landing / "intake_forms" / "dt=2026-07-02" / "late.jsonl"
    extra.write_text('{"workflow_id": "late"}\n')  # landed after the run: not yet in the warehouse
    result = dg.materialize(
        [ingest.intake_forms, ingest.opal_deliveries, checks.intake_accounting_check, checks.delivery_accounting_check],
        selection=dg.AssetSelection.checks(checks.intake_accounting_check),
        resources=lakehouse_resources(warehouse.path, landing),
        tags=range_tags(SMALL_FIRST, SMALL_LAST),
        raise_on_error=False,
    )
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["unbalanced_days"].value == "2026-07-02"


# ------------------------------------------------------------------ the PII choke point
MARK = "\u27e6p\u27e7"


class MarkingProtector:
    """Prefixes every string (and every string in a string list) so unprotected values stand out."""

    def protect_table(self, table: str, rows: pa.Table):
        columns = []
        for column in rows.columns:
            array = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
            if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
                array = pc.binary_join_element_wise(MARK, array, "")
            elif pa.types.is_list(array.type) and pa.types.is_string(array.type.value_type):
                marked = pc.binary_join_element_wise(MARK, array.values, "")
                array = pa.ListArray.from_arrays(array.offsets, marked, mask=array.is_null())
            columns.append(array)
        return pa.Table.from_arrays(columns, names=rows.column_names), None, None


class MarkingPrivacy(PrivacyResource):
    def protector(self):
        return MarkingProtector()


def test_every_string_bound_for_silver_gold_and_quarantine_passes_the_choke_point(isolated_env, small_landing):
    path = isolated_env / "warehouse.duckdb"
    resources = {**lakehouse_resources(path, small_landing), "privacy": MarkingPrivacy()}
    # without the quality checks: marked enum values break the catalogue's rules, which would (rightly) block gold
    assets_only = dg.define_asset_job("assets_only", selection=lakehouse.lakehouse_job.selection.without_checks())
    job = dg.Definitions(assets=lakehouse.defs.assets, jobs=[assets_only], resources=resources)
    result = job.resolve_job_def("assets_only").execute_in_process(tags=range_tags(SMALL_FIRST, SMALL_LAST))
    assert result.success
    warehouse = DuckDBWarehouse(path)
    columns = warehouse.query("""
        SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND (data_type = 'VARCHAR' OR data_type = 'VARCHAR[]')
    """).to_pylist()
    checked = set()
    for column in columns:
        table, name = column["table_name"], column["column_name"]
        if table.startswith("bronze_") or table in ("schema_migrations", "quarantine_records"):
            continue  # bronze is the restricted raw zone; the view only unions the quarantine tables
        if table in catalog.CATALOG and catalog.table(table).layer == "knowledge":
            continue  # built from protected silver text (checked below), plus ids, hashes and enums of its own
        if (table in catalog.CATALOG and catalog.table(table).layer == "metrics") or table.startswith("dash_"):
            continue  # tags are values of protected tables (checked below) or the platform's own names
        if table in catalog.CATALOG and catalog.table(table).layer == "compliance":
            continue  # the audit log and legal holds: the platform's own words, counts and ids, never record text
        value = f"unnest({name})" if column["data_type"].endswith("[]") else name
        unmarked = warehouse.scalar(
            f"SELECT count(*) FROM (SELECT {value} AS v FROM {table}) "
            f"WHERE v IS NOT NULL AND NOT starts_with(v, '{MARK}')"
        )
        assert unmarked == 0, f"{table}.{name} has values that bypassed protect_rows"
        checked.add(table)
    assert {t for t in checked if t.startswith("silver_")} and {t for t in checked if t.startswith("gold_")}
    assert {"quarantine_intake_forms", "quarantine_opal_deliveries"} <= checked
    assert warehouse.scalar(f"SELECT count(*) FROM silver_intake_forms WHERE starts_with(company_name, '{MARK}')") > 0
    # metric tags carry the protected values (the marks), so they were read from the protected tables; the
    # keys the metric queries compute themselves (status, source, confidence band) are the platform's own words
    computed = {"status", "source", "confidence_band"}
    for metric in ("agent.executions", "quarantine.records", "recommendations.received"):
        tags = warehouse.query("SELECT DISTINCT tags FROM metric_events WHERE metric_name = ?", [metric])
        values = [v for t in tags.column("tags").to_pylist() for k, v in json.loads(t).items() if k not in computed]
        assert values and all(v.startswith(MARK) or v == "unknown" for v in values), (metric, values[:5])


# ------------------------------------------------------------------ the multiprocess executor
def multiprocess_lakehouse_job() -> dg.JobDefinition:
    """The lakehouse job with resources from the environment (each step process rebuilds it)."""
    return dg.Definitions(
        assets=lakehouse.defs.assets,
        asset_checks=lakehouse.defs.asset_checks,
        jobs=[lakehouse.lakehouse_job],
        resources=lakehouse_resources(os.environ["OSA_DUCKDB_PATH"], os.environ["OSA_LANDING_DIR"]),
    ).resolve_job_def("lakehouse_job")


def test_multiprocess_executor_writes_one_duckdb_file_from_several_steps(isolated_env, small_landing, shared_run):
    _, in_process, _ = shared_run  # the reference result, written by the in-process executor
    path = isolated_env / "multiprocess.duckdb"
    os.environ["OSA_DUCKDB_PATH"] = str(path)  # restored by isolated_env's monkeypatch
    os.environ["OSA_LANDING_DIR"] = str(small_landing)
    (isolated_env / "instance").mkdir()
    with dg.instance_for_test(temp_dir=str(isolated_env / "instance")) as instance:
        run_config = {"execution": {"config": {"multiprocess": {"max_concurrent": 4}}}}
        with dg.execute_job(
            dg.reconstructable(multiprocess_lakehouse_job),
            instance=instance,
            tags=range_tags(SMALL_FIRST, SMALL_LAST),
            run_config=run_config,
        ) as result:
            assert result.success
            step_pids = {e.pid for e in result.all_events if e.event_type_value == "STEP_START"}
            assert len(step_pids) > 1, "steps ran in separate processes"
            assert all(e.passed for e in result.get_asset_check_evaluations())
    assert snapshot(DuckDBWarehouse(path)) == snapshot(in_process)
