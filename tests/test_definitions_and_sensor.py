"""The code location loads, is well described, and the landing sensor turns new files into ranged runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osa import catalog
from osa.config import PROJECT_ROOT
from pipelines.definitions import defs
from pipelines.instance_storage import EngineCachingSqliteEventLogStorage
from pipelines.lakehouse import changed_since, landing_sensor, range_tags
from resources import LandingZoneResource
from tests.instances import open_instance

GROUPS = {"bronze", "silver", "quarantine", "gold", "pii", "knowledge", "metrics", "compliance"}


EXTERNAL = {"landing_intake_forms", "landing_opal_deliveries"}


def test_every_catalogue_table_is_an_asset_described_from_the_catalogue():
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    # every catalogue table, the landing files, and the assets that are files: the dashboard and compliance reports
    files = {"dashboard_report", "compliance_report"}
    assert set(specs) == set(catalog.CATALOG) | {"landing_intake_forms", "landing_opal_deliveries"} | files
    for table in catalog.TABLES:
        spec = specs[table.name]
        assert spec.group_name == table.layer and spec.group_name in GROUPS
        assert table.description in spec.description and table.grain in spec.description
        assert spec.owners == [table.owner]
        assert "duckdb" in spec.kinds and "postgres" not in spec.kinds  # the configured (default) backend
        assert spec.partitions_def is not None, table.name
        assert spec.tags["retention"] == table.retention
        schema = spec.metadata["dagster/column_schema"]
        assert [c.name for c in schema.columns] == list(table.column_names)
        for column, declared in zip(schema.columns, table.columns, strict=True):
            assert column.description == declared.description and column.type == declared.type.label
            assert column.constraints.nullable == declared.nullable
        references = spec.metadata["dagster/code_references"].code_references
        assert references[0].file_path.endswith("osa/catalog/tables.py")
        line = Path(references[0].file_path).read_text().splitlines()[references[0].line_number - 1]
        assert table.name in line or table.name.rsplit("_", 2)[0] in line
    for name in ("landing_intake_forms", "landing_opal_deliveries"):
        assert specs[name].group_name == "landing" and specs[name].description
    for table in catalog.tables(layer="gold"):
        assert specs[table.name].freshness_policy is not None


def test_asset_kinds_follow_the_configured_backend(tmp_path):
    """The kinds come from the backend registry: on Postgres the assets say postgres, not duckdb."""
    code = (
        "from osa import catalog\nfrom pipelines.definitions import defs\n"
        "print(sorted({k for s in defs.resolve_all_asset_specs() if s.key.to_user_string() in catalog.CATALOG "
        "for k in s.kinds}))"
    )
    env = {**os.environ, "OSA_WAREHOUSE": "postgres", "OSA_STATE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['polars', 'postgres']"


def test_lakehouse_job_covers_every_asset_and_check():
    job = defs.resolve_job_def("lakehouse_job")
    assert job.partitions_def is not None
    graph = defs.resolve_asset_graph()
    executable = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    compliance = {t.name for t in catalog.tables(layer="compliance")} | {"compliance_report"}  # nightly jobs
    assert executable == {key.to_user_string() for key in graph.get_all_asset_keys()} - EXTERNAL - compliance
    names = {key.name for key in graph.asset_check_keys}
    assert names == {
        "every_record_accounted_for",
        "no_raw_pii",
        "meets_catalogue_rules",
        "schema_matches_catalogue",
        "row_volume",
        "great_expectations_suite",
        "rollups_cover_raw",
        "every_chart_renders",
        "no_compliance_violations",
    }
    assert {
        key.asset_key.to_user_string() for key in graph.asset_check_keys if key.name == "every_record_accounted_for"
    } == {"bronze_intake_forms", "bronze_opal_deliveries"}
    # the leak check guards every silver, gold and quarantine table
    assert {key.asset_key.to_user_string() for key in graph.asset_check_keys if key.name == "no_raw_pii"} == {
        t.name for t in catalog.TABLES if t.layer in ("silver", "gold", "quarantine")
    }
    blocking = {key for key in graph.asset_check_keys if graph.get_check_spec(key).blocking}
    leak_checks = {key for key in graph.asset_check_keys if key.name == "no_raw_pii"}
    assert leak_checks <= blocking  # a leak stops the run: nothing downstream reads it
    for table in catalog.TABLES:  # silver rules block gold from reading bad rows; gold's never block
        for check in ("meets_catalogue_rules", "schema_matches_catalogue"):
            if table.layer in ("silver", "quarantine", "pii", "gold"):
                key = dg.AssetCheckKey(dg.AssetKey(table.name), check)
                assert (key in blocking) == (table.layer != "gold"), key


def test_nightly_schedule_reruns_the_two_previous_days():
    schedule = defs.resolve_schedule_def("nightly_lakehouse")
    assert schedule.job_name == "lakehouse_job" and schedule.cron_schedule == "0 1 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC))
    request = schedule.evaluate_tick(context).run_requests[0]
    assert range_tags("2026-11-25", "2026-11-26").items() <= request.tags.items()


def test_resources_are_bound():
    job = defs.resolve_job_def("lakehouse_job")
    assert {"warehouse", "landing", "webhook", "privacy"} <= set(job.resource_defs)


def test_workspace_loads_with_the_dagster_cli(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "OSA_STATE_DIR": str(tmp_path / "state")}
    dagster = Path(sys.executable).with_name("dagster")
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Validation successful for code location osa_lakehouse" in completed.stderr + completed.stdout


def test_instance_configuration_has_telemetry_off(tmp_path):
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with open_instance(tmp_path) as instance:
        assert instance.telemetry_enabled is False


def test_local_instance_reuses_one_engine_per_event_log_database(tmp_path):
    """The local storage keeps Dagster's files and behaviour; it only stops building an engine per event."""
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")

    @dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2026-01-01"))
    def daily(context):
        context.add_output_metadata({"n": 1})

    with open_instance(tmp_path) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, EngineCachingSqliteEventLogStorage)
        for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
            assert dg.materialize([daily], instance=instance, partition_key=day).success
        assert len(storage._engines) <= 1 + 3  # the index database and one per run, not one per event
    assert (tmp_path / "history" / "runs.db").exists() and (tmp_path / "history" / "runs" / "index.db").exists()
    with open_instance(tmp_path) as reopened:  # another process's view: every event is on disk
        records = reopened.fetch_materializations(dg.AssetKey("daily"), limit=10).records
        assert sorted(r.partition_key for r in records) == ["2026-01-01", "2026-01-02", "2026-01-03"]


# ------------------------------------------------------------------ the landing sensor
def _evaluate(landing: Path, cursor: str | None = None) -> tuple[dg.RunRequest | dg.SkipReason, str | None]:
    context = dg.build_sensor_context(cursor=cursor, resources={"landing": LandingZoneResource(path=str(landing))})
    result = landing_sensor(context)
    return result, context.cursor


def _write(landing: Path, source: str, day: str, name: str = "batch.jsonl", text: str = "{}\n") -> Path:
    path = landing / source / f"dt={day}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_sensor_targets_the_lakehouse_job():
    assert landing_sensor.job_name == "lakehouse_job"
    assert defs.resolve_sensor_def("landing_sensor").default_status == dg.DefaultSensorStatus.RUNNING


def test_sensor_requests_one_ranged_run_for_the_days_of_the_files(small_landing):
    result, cursor = _evaluate(small_landing)
    assert isinstance(result, dg.RunRequest)
    assert result.tags == range_tags("2026-07-01", "2026-07-03")
    assert result.run_key
    state = json.loads(cursor)
    assert set(state) == {"ns", "at"} and state["ns"] > 0
    assert all(entry.split("|")[0].endswith(".jsonl") for entry in state["at"])


def test_sensor_cursor_stays_bounded_however_many_files_arrive(small_landing):
    """The cursor is a high-water mark plus the files at exactly that mark, never every file ever seen."""
    _, cursor = _evaluate(small_landing)
    for i in range(300):
        _write(small_landing, "opal_deliveries", f"2026-08-{1 + i % 28:02d}", name=f"b{i}.jsonl")
    result, cursor = _evaluate(small_landing, cursor)
    assert result.tags == range_tags("2026-08-01", "2026-08-28")
    assert len(cursor) < 2_000
    assert isinstance(_evaluate(small_landing, cursor)[0], dg.SkipReason)


def test_sensor_sees_a_copied_file_whose_mtime_is_old(small_landing, tmp_path):
    """A file copied with its original (old) mtime is still new: the mark follows the change time."""
    _, cursor = _evaluate(small_landing)
    source = tmp_path / "old.jsonl"
    source.write_text("{}\n")
    os.utime(source, (0, 0))
    target = small_landing / "intake_forms" / "dt=2026-07-12" / "old.jsonl"
    target.parent.mkdir(parents=True)
    shutil.copy2(source, target)  # keeps mtime 1970
    result, _ = _evaluate(small_landing, cursor)
    assert isinstance(result, dg.RunRequest) and result.tags == range_tags("2026-07-12", "2026-07-12")


def test_sensor_skips_when_nothing_changed(small_landing):
    _, cursor = _evaluate(small_landing)
    again, cursor_after = _evaluate(small_landing, cursor)
    assert isinstance(again, dg.SkipReason)
    assert str(small_landing) in again.skip_message
    assert cursor_after == cursor


def test_sensor_requests_a_run_for_a_new_day_only(small_landing):
    first, cursor = _evaluate(small_landing)
    _write(small_landing, "opal_deliveries", "2026-07-09")
    result, _ = _evaluate(small_landing, cursor)
    assert isinstance(result, dg.RunRequest)
    assert result.tags == range_tags("2026-07-09", "2026-07-09")
    assert result.run_key != first.run_key


def test_sensor_reacts_to_a_changed_file(small_landing):
    _, cursor = _evaluate(small_landing)
    target = small_landing / "intake_forms" / "dt=2026-07-02" / "batch.jsonl"
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    result, cursor = _evaluate(small_landing, cursor)
    assert isinstance(result, dg.RunRequest)
    assert result.tags == range_tags("2026-07-02", "2026-07-02")
    assert isinstance(_evaluate(small_landing, cursor)[0], dg.SkipReason)


def test_sensor_spans_every_new_day_in_one_request(small_landing):
    _, cursor = _evaluate(small_landing)
    _write(small_landing, "intake_forms", "2026-07-04")
    _write(small_landing, "opal_deliveries", "2026-07-06", name="second.jsonl")
    result, _ = _evaluate(small_landing, cursor)
    assert result.tags == range_tags("2026-07-04", "2026-07-06")


@pytest.mark.parametrize(
    "junk",
    [
        "intake_forms/dt=2026-07-08/notes.txt",
        "intake_forms/not-a-day/batch.jsonl",
        "intake_forms/dt=2026-07-08/batch.jsonl.tmp",
        "unknown_source/dt=2026-07-08/batch.jsonl",
    ],
)
def test_sensor_ignores_files_outside_the_landing_layout(small_landing, junk):
    _, cursor = _evaluate(small_landing)
    path = small_landing / junk
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}\n")
    assert isinstance(_evaluate(small_landing, cursor)[0], dg.SkipReason)


def test_sensor_on_an_empty_or_missing_landing_zone(tmp_path):
    assert isinstance(_evaluate(tmp_path / "missing")[0], dg.SkipReason)
    (tmp_path / "empty").mkdir()
    assert isinstance(_evaluate(tmp_path / "empty")[0], dg.SkipReason)


def test_a_new_sensor_starts_from_the_last_ingest_not_from_zero(small_landing):
    """After `osa run`, starting the daemon must not re-ingest the whole landing zone: files older than the
    last materialization of both bronze assets count as ingested; a file staged after it does not."""
    with dg.DagsterInstance.ephemeral() as instance:
        resources = {"landing": LandingZoneResource(path=str(small_landing))}
        first = landing_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(first, dg.RunRequest)  # nothing ingested yet: everything is new
        for source in ("intake_forms", "opal_deliveries"):
            instance.report_runless_asset_event(dg.AssetMaterialization(f"bronze_{source}", partition="2026-07-03"))
        context = dg.build_sensor_context(instance=instance, resources=resources)
        assert isinstance(landing_sensor(context), dg.SkipReason)
        _write(small_landing, "opal_deliveries", "2026-07-10")
        context = dg.build_sensor_context(instance=instance, resources=resources, cursor=context.cursor)
        result = landing_sensor(context)
        assert isinstance(result, dg.RunRequest) and result.tags == range_tags("2026-07-10", "2026-07-10")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("new"), st.integers(1, 9), st.integers(0, 3)),
            st.tuples(st.just("replace"), st.integers(1, 9), st.integers(0, 3)),
            st.tuples(st.just("append"), st.integers(1, 9), st.integers(0, 3)),
            st.tuples(st.just("evaluate"), st.just(0), st.just(0)),
        ),
        max_size=25,
    )
)
def test_sensor_never_misses_a_change_and_never_repeats_one(tmp_path_factory, steps):
    """Property: whatever order files are created, replaced (as staging does) or appended to, in the same clock
    tick or not, each evaluation asks for exactly the days changed since the previous one (an independent
    record kept here), and the cursor stays bounded."""
    landing = tmp_path_factory.mktemp("landing")
    resources = {"landing": LandingZoneResource(path=str(landing))}
    cursor, dirty = None, set()
    for action, day, name in [*steps, ("evaluate", 0, 0)]:
        if action == "evaluate":
            context = dg.build_sensor_context(cursor=cursor, resources=resources)
            result = landing_sensor(context)
            if dirty:
                assert isinstance(result, dg.RunRequest)
                assert result.tags == range_tags(min(dirty), max(dirty))
                cursor = context.cursor
            else:
                assert isinstance(result, dg.SkipReason)
            assert cursor is None or len(cursor) < 2_000
            dirty = set()
            continue
        path = landing / "opal_deliveries" / f"dt=2026-07-{day:02d}" / f"f{name}.jsonl"
        if action != "new" and not path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if action == "append":
            with path.open("a") as handle:
                handle.write("{}\n")
        else:  # a new file, or a replacement through a temporary file (what osa ingest's staging does)
            tmp = path.with_suffix(".jsonl.tmp")
            tmp.write_text("{}\n")
            tmp.replace(path)
        dirty.add(f"2026-07-{day:02d}")


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(st.tuples(st.sampled_from(["change", "evaluate"]), st.integers(0, 4), st.booleans()), max_size=40)
)
def test_cursor_logic_reports_exactly_the_changed_files_even_within_one_clock_tick(steps):
    """The cursor logic alone, with a simulated clock that often does not advance between changes (coarse
    filesystem timestamps): every evaluation returns exactly the files changed since the previous one."""
    clock, version, files, cursor, dirty = 0, 0, {}, {}, set()
    for action, name, tick in [*steps, ("evaluate", 0, False)]:
        if action == "change":
            clock += int(tick)
            version += 1
            files[name] = (clock, f"f{name}|{version}")  # a replacement: a new identity
            dirty.add(name)
            continue
        changed, cursor = changed_since(cursor, [(n, ns, ident) for n, (ns, ident) in files.items()])
        assert set(changed) == dirty
        assert len(cursor.get("at", [])) <= len(files)
        dirty = set()
