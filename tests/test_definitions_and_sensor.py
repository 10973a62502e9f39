"""The code location loads, is well described, and the landing sensor turns new files into ranged runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from osa.config import PROJECT_ROOT
from pipelines.definitions import defs
from pipelines.lakehouse import landing_sensor, range_tags
from resources import LandingZoneResource

GROUPS = {"bronze", "silver", "quarantine", "gold", "pii"}


def test_definitions_load_with_every_asset_described():
    specs = list(defs.resolve_all_asset_specs())
    assert len(specs) == 24
    for spec in specs:
        name = spec.key.to_user_string()
        assert spec.group_name in GROUPS, name
        assert spec.description and len(spec.description) > 10, name
        assert spec.owners, name
        assert spec.kinds and "duckdb" in spec.kinds, name
        assert spec.partitions_def is not None, name
        assert name.startswith(spec.group_name + "_"), name  # the layer is visible in the name too
    groups = {spec.group_name for spec in specs}
    assert groups == GROUPS


def test_lakehouse_job_covers_every_asset_and_check():
    job = defs.resolve_job_def("lakehouse_job")
    assert job.partitions_def is not None
    graph = defs.resolve_asset_graph()
    assert job.asset_layer.executable_asset_keys == set(graph.get_all_asset_keys())
    assert {key.name for key in graph.asset_check_keys} == {"every_record_accounted_for", "no_raw_pii"}
    assert {
        key.asset_key.to_user_string() for key in graph.asset_check_keys if key.name == "every_record_accounted_for"
    } == {"bronze_intake_forms", "bronze_opal_deliveries"}
    # the leak check guards every silver, gold and quarantine table
    assert {key.asset_key.to_user_string() for key in graph.asset_check_keys if key.name == "no_raw_pii"} == {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if key.to_user_string().split("_")[0] in ("silver", "gold", "quarantine")
    }


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
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.telemetry_enabled is False


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
    seen = json.loads(cursor)
    assert len(seen) == 6  # three days x two sources
    assert all(path.endswith(".jsonl") for path in seen)


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
